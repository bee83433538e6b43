/*
 * reserve_notes.c — what the order/inventory triggers write down at
 * statement time, for the commit pass (reserve.c; doc/orders.md).
 *
 * The triggers here take no inventory lock and change no stock: they
 * validate the change, write a note (which line, order, stock move or
 * purchase order line changed) and return.  The deferred constraint
 * trigger "Commit_pass" on the same tables runs the pass at commit, and
 * crmscm.reserve_pending() runs it at once.
 *
 * Statement-time locks, all on rows the statement itself concerns:
 *   - inserting lines takes their orders FOR SHARE (a concurrent status
 *     change of the order waits for the commit that reserves the lines);
 *   - confirming an order takes its lines FOR NO KEY UPDATE, cancelling it
 *     updates them to cancelled (the lines are the order's);
 *   - ship() takes its line FOR NO KEY UPDATE.
 *
 * Notes follow PostgreSQL's sub-transactions (txn_notes.h): notes of a
 * sub-transaction that rolls back are dropped; notes a pass took inside a
 * sub-transaction that then rolls back are pending again (the pass's writes
 * are gone).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "storage/proc.h"
#include "utils/timestamp.h"

#include "reserve.h"
#include "tenant.h"
#include "trigger_tuple.h"

extern Datum crmscm_current_tenant(PG_FUNCTION_ARGS);

static TxnNoteList notes = TXN_NOTE_LIST(Note, "the reservation engine");

#define NOTE(i) ((Note *) txn_note_at(&notes, (i)))

Note *
note_add(NoteKind kind, int64 tenant, int64 a, int64 b, int64 c)
{
	Note	   *n = txn_note_add(&notes);

	n->kind = kind;
	n->tenant = tenant;
	n->a = a;
	n->b = b;
	n->c = c;
	return n;
}

Note *
notes_take(bool one_tenant, int64 tenant, int *n)
{
	return txn_notes_take(&notes, one_tenant, tenant, n);
}

bool
notes_pending(bool one_tenant, int64 tenant)
{
	return txn_notes_pending(&notes, one_tenant, tenant);
}

Datum
notes_shipped_from(int64 tenant, int64 res_id, Datum zero)
{
	Datum		sum = zero;
	int			i;

	for (i = txn_notes_first_pending(&notes); i < notes.n; i++)
		if (txn_note_is_pending(&notes, i) &&
			NOTE(i)->kind == NOTE_SHIP && NOTE(i)->tenant == tenant && NOTE(i)->c == res_id)
			sum = num_add(sum, NOTE(i)->qty);
	return sum;
}

bool
notes_line_pending(int64 tenant, int64 order_id, int32 line_no)
{
	int			i;

	for (i = txn_notes_first_pending(&notes); i < notes.n; i++)
	{
		Note	   *x = NOTE(i);

		if (txn_note_is_pending(&notes, i) && x->tenant == tenant &&
			((x->kind == NOTE_LINE && x->a == order_id && x->b == line_no) ||
			 (x->kind == NOTE_ORDER && x->a == order_id)))
			return true;
	}
	return false;
}

/* ---- tuple access ---- */

static void
check_trigger(FunctionCallInfo fcinfo, const char *name)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: not called by trigger manager", name)));
}

/*
 * A note trigger fired by another table than crmscm's own (anyone may
 * attach a trigger function to a table of theirs) must not write notes:
 * refuse unless the table is in crmscm's schema and is the named table or,
 * on Citus, one of its shards (named table_<shard id>).
 */
void
crmscm_check_table(FunctionCallInfo fcinfo, const char *table)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel = trigdata->tg_relation;
	const char *name = RelationGetRelationName(rel);
	size_t		len = strlen(table);
	bool		ok = RelationGetNamespace(rel) == crmscm_schema_of(fcinfo) &&
		strncmp(name, table, len) == 0;

	if (ok && name[len] != '\0')
	{
		const char *c = name + len;

		ok = *c++ == '_' && *c != '\0';
		for (; ok && *c; c++)
			ok = *c >= '0' && *c <= '9';
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("this crmscm trigger must be fired by %s of its own schema, not by \"%s\"",
						table, name)));
}

static SPIPlanPtr
keep_plan(const char *sql, int nargs, Oid *types)
{
	return crmscm_keep_plan("notes", sql, nargs, types, crmscm_plan_options(false));
}

/*
 * Plans of the statement-time triggers, prepared once per backend and
 * schema (the plan cache re-plans them when the tables change).
 */
typedef struct NotePlans
{
	Oid			nsp;
	bool		citus;			/* made for Citus (custom plans) */
	SPIPlanPtr	orders_share;	/* the orders of inserted lines, FOR SHARE */
	SPIPlanPtr	lock_lines;		/* an order's lines FOR NO KEY UPDATE */
	SPIPlanPtr	cancel_lines;	/* an order's open lines -> cancelled */
	SPIPlanPtr	receipt;		/* the receipt move of a purchase order line */
	SPIPlanPtr	po_lines;		/* (item, warehouse) of a purchase order's lines */
} NotePlans;

static NotePlans nplans;

static void
note_plans(Oid nsp)
{
	char	   *s;
	Oid			t[5];
	bool		citus = crmscm_on_citus();

	if (nplans.nsp == nsp && nplans.citus == citus)
		return;
	nplans.nsp = InvalidOid;
	nplans.citus = citus;
	s = (char *) quote_identifier(get_namespace_name(nsp));
	t[0] = INT8OID;
	t[1] = INT8ARRAYOID;
	t[1] = INT8OID;
	nplans.orders_share = keep_plan(psprintf(
		"SELECT o.order_id, o.status FROM %s.sales_orders o"
		" WHERE o.tenant_id OPERATOR(pg_catalog.=) $1 AND o.order_id OPERATOR(pg_catalog.=) $2"
		" FOR SHARE", s), 2, t);
	t[1] = INT8OID;
	nplans.lock_lines = keep_plan(psprintf(
		"SELECT l.line_no FROM %s.sales_order_lines l"
		" WHERE l.tenant_id OPERATOR(pg_catalog.=) $1 AND l.order_id OPERATOR(pg_catalog.=) $2"
		" ORDER BY l.line_no FOR NO KEY UPDATE", s), 2, t);
	nplans.cancel_lines = keep_plan(psprintf(
		"UPDATE %s.sales_order_lines l SET status = 'cancelled'"
		" WHERE l.tenant_id OPERATOR(pg_catalog.=) $1 AND l.order_id OPERATOR(pg_catalog.=) $2"
		"   AND l.status OPERATOR(pg_catalog.=) 'open'", s), 2, t);
	t[1] = INT8OID;
	t[2] = INT8OID;
	t[3] = NUMERICOID;
	nplans.receipt = keep_plan(psprintf(
		"INSERT INTO %s.stock_moves (tenant_id, item_id, warehouse_id, qty, kind)"
		" VALUES ($1, $2, $3, $4, 'receipt')", s), 4, t);
	nplans.po_lines = keep_plan(psprintf(
		"SELECT DISTINCT l.item_id, l.warehouse_id FROM %s.purchase_order_lines l"
		" WHERE l.tenant_id OPERATOR(pg_catalog.=) $1 AND l.po_id OPERATOR(pg_catalog.=) $2", s), 2, t);
	nplans.nsp = nsp;
}

/* Run a statement as crmscm (owner's rights), the engine flag as given */
static void
run_as_crmscm(SPIPlanPtr plan, Datum *args, bool engine_flag, int expect)
{
	int			rc = engine_run(plan, args, NULL, false, engine_flag);

	if (rc != expect)
		elog(ERROR, "crmscm: statement failed: %s", SPI_result_code_string(rc));
}

/* ------------------------------------------------------------------------
 * sales_order_lines
 * ------------------------------------------------------------------------
 */

/*
 * The status of the orders inserted lines belong to, taken FOR SHARE (a
 * concurrent status change of the order waits for this transaction, whose
 * commit reserves the lines): remembered for the rest of the statement, so
 * a multi-row insert reads each order once.
 */
typedef struct OrderStatusCache
{
	LocalTransactionId lxid;
	TimestampTz stmt;
	int64		tenant;
	int64		order_id;
	char		status;			/* d(raft), c(onfirmed), x (cancelled), l (closed), 0 none */
} OrderStatusCache;

static OrderStatusCache ocache;

static char
status_code(Datum status)
{
	return crmscm_text_is(status, "confirmed") ? 'c' : crmscm_text_is(status, "cancelled") ? 'x' :
		crmscm_text_is(status, "closed") ? 'l' : 'd';
}

static char
order_status_for_line(int64 tenant, int64 order_id, Oid nsp)
{
	LocalTransactionId lxid = MyProc->lxid;
	TimestampTz stmt = GetCurrentStatementStartTimestamp();
	Datum		args[2];
	char		st = 0;

	if (ocache.lxid == lxid && ocache.stmt == stmt && ocache.tenant == tenant && ocache.order_id == order_id && ocache.status)
		return ocache.status;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm_lines_inserted: SPI_connect failed");
	engine_set_schema(nsp);
	note_plans(nsp);
	args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(order_id);
	run_as_crmscm(nplans.orders_share, args, false, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		status = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

		st = status_code(status);
	}
	SPI_finish();
	ocache.lxid = lxid;
	ocache.stmt = stmt;
	ocache.tenant = tenant;
	ocache.order_id = order_id;
	ocache.status = st;
	return st;
}

/*
 * BEFORE INSERT FOR EACH ROW on sales_order_lines: check the new line
 * against its order and note the lines of confirmed orders.  BEFORE, so
 * that every line of a multi-row statement is noted when the pass runs at
 * its end under SET CONSTRAINTS ALL IMMEDIATE (in key order, as at commit).
 * A note of a row that is not inserted after all (ON CONFLICT) only makes
 * the pass reconcile that line, which changes nothing.
 */
PG_FUNCTION_INFO_V1(crmscm_lines_inserted);
Datum
crmscm_lines_inserted(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tup;
	bool		isnull;
	Datum		status,
				qty,
				shipped,
				res,
				bo;
	int64		tenant,
				order_id,
				item;
	int32		line_no;
	char		ost;

	check_trigger(fcinfo, "crmscm_lines_inserted");
	crmscm_check_table(fcinfo, "sales_order_lines");
	if (crmscm_engine_writing)
		return PointerGetDatum(trigdata->tg_trigtuple);
	desc = RelationGetDescr(trigdata->tg_relation);
	tup = trigdata->tg_trigtuple;
	/*
	 * Issue #13: a BEFORE trigger runs before the NOT NULL constraints, and
	 * an explicit NULL status crashed the server here.  A row with a NULL
	 * in a column read below is left to its NOT NULL constraint (23502).
	 */
	{
		static const char *const cols[] = {"tenant_id", "order_id", "line_no", "item_id", "status",
		"qty", "qty_shipped", "qty_reserved", "qty_backordered"};

		for (size_t i = 0; i < lengthof(cols); i++)
			if (heap_attisnull(tup, crmscm_tuple_attnum(desc, cols[i]), desc))
				return PointerGetDatum(tup);
	}
	tenant = crmscm_tuple_int8(tup, desc, "tenant_id", NULL);
	order_id = crmscm_tuple_int8(tup, desc, "order_id", NULL);
	line_no = crmscm_tuple_int4(tup, desc, "line_no");
	item = crmscm_tuple_int8(tup, desc, "item_id", NULL);
	status = crmscm_tuple_get(tup, desc, "status", &isnull);
	qty = crmscm_tuple_get(tup, desc, "qty", &isnull);
	shipped = crmscm_tuple_get(tup, desc, "qty_shipped", &isnull);
	res = crmscm_tuple_get(tup, desc, "qty_reserved", &isnull);
	bo = crmscm_tuple_get(tup, desc, "qty_backordered", &isnull);
	/* a row its policy refuses: another tenant's order neither read, locked nor described */
	if (crmscm_policy_refuses(trigdata->tg_relation, tenant))
		return PointerGetDatum(tup);

	/*
	 * The order's status: the trigger "Line_order" (src/order_copy.c), which
	 * fires before this one, copied it onto the row, read FOR SHARE when the
	 * row is of the session's tenant; otherwise (a role that bypasses row
	 * security writing for another tenant; that trigger only peeked) it is
	 * read and locked here.
	 */
	ost = 0;
	if (crmscm_session_tenant_is(tenant))
	{
		Datum		ostatus = crmscm_tuple_get(tup, desc, "order_status", &isnull);

		if (!isnull)
			ost = status_code(ostatus);
	}
	if (ost == 0)
		ost = order_status_for_line(tenant, order_id, crmscm_schema_of(fcinfo));
	/*
	 * #15: an upsert (INSERT … ON CONFLICT DO UPDATE, as ORMs write it) of
	 * an existing line with its own values reaches this trigger before the
	 * conflict is found: it will update that line (or fail with 23505), so
	 * it is neither checked as new nor noted here.  The AFTER INSERT trigger
	 * "sales_order_lines_new_check" repeats the check for lines really
	 * inserted.
	 */
	if (!(ost != 'x' && ost != 'l' && crmscm_text_is(status, "open") && num_is_zero(res) && num_is_zero(bo) && num_is_zero(shipped)))
	{
		static const char *checked[] = {"status", "qty_reserved", "qty_backordered", "qty_shipped", "item_id"};
		HeapTuple	existing = crmscm_row_by_key(trigdata->tg_relation, tup);

		if (existing != NULL && crmscm_attrs_equal(desc, existing, tup, checked, lengthof(checked)))
			return PointerGetDatum(tup);
	}
	if (ost == 'x')
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("cannot add line %d to order " INT64_FORMAT ": the order is cancelled",
						line_no, order_id),
				 errtableconstraint(trigdata->tg_relation, "line_order_final")));
	else if (ost == 'l')
	{
		/* history import: shipped (qty_shipped = qty) or cancelled lines, no stock */
		if (!(num_is_zero(res) && num_is_zero(bo) &&
			  ((crmscm_text_is(status, "shipped") && num_cmp(shipped, qty) == 0) ||
			   (crmscm_text_is(status, "cancelled") && num_cmp(shipped, qty) <= 0))))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("cannot add line %d to order " INT64_FORMAT ": the order is closed",
							line_no, order_id),
					 errhint("Lines of closed orders are history: status shipped with qty_shipped = qty, or cancelled."),
					 errtableconstraint(trigdata->tg_relation, "line_order_final")));
	}
	else if (!(crmscm_text_is(status, "open") && num_is_zero(res) && num_is_zero(bo) && num_is_zero(shipped)))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("new line %d of order " INT64_FORMAT " must be open with nothing reserved, backordered or shipped",
						line_no, order_id),
				 errhint("crmscm maintains status and the qty_* columns; history goes into closed orders."),
				 errtableconstraint(trigdata->tg_relation, "line_new_open")));
	else if (ost == 'c')
	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
		Note	   *note = note_add(NOTE_LINE, tenant, order_id, line_no, item);

		note->inserted = true;
		MemoryContextSwitchTo(old);
	}
	return PointerGetDatum(tup);
}

/* BEFORE DELETE FOR EACH ROW on sales_order_lines: a line that held stock is noted */
PG_FUNCTION_INFO_V1(crmscm_line_changed);
Datum
crmscm_line_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tup,
				ret;
	MemoryContext old;

	check_trigger(fcinfo, "crmscm_line_changed");
	crmscm_check_table(fcinfo, "sales_order_lines");
	ret = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	if (crmscm_engine_writing)
		return PointerGetDatum(ret);
	desc = RelationGetDescr(trigdata->tg_relation);
	tup = ret;
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		bool		isnull;
		Datum		res = crmscm_tuple_get(tup, desc, "qty_reserved", &isnull);
		Datum		bo = crmscm_tuple_get(tup, desc, "qty_backordered", &isnull);

		if (num_is_zero(res) && num_is_zero(bo))
			return PointerGetDatum(ret);
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	note_add(NOTE_LINE, crmscm_tuple_int8(tup, desc, "tenant_id", NULL), crmscm_tuple_int8(tup, desc, "order_id", NULL),
			 crmscm_tuple_int4(tup, desc, "line_no"), crmscm_tuple_int8(tup, desc, "item_id", NULL));
	MemoryContextSwitchTo(old);
	return PointerGetDatum(ret);
}

static const char *const line_guarded[] = {"qty_reserved", "qty_backordered", "qty_shipped",
	/* #17: the promise and the shipment days crmscm keeps */
	"promised_date", "promise_source", "covered_on", "customer_changed_at", "first_shipped_at", "last_shipped_at",
	"shipments",
	/* the order's customer and status (order_copy.c) */
	"customer_id", "order_status"};

static char *
num_text(Datum d)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, d));
}

/*
 * BEFORE UPDATE FOR EACH ROW on sales_order_lines, every update: the guard
 * of the columns crmscm maintains, the rules for changing a line, and the
 * note for the commit pass.  One C trigger without a WHEN clause instead of
 * three: a WHEN clause is read and planned again for every statement, and
 * the engine's own writes of the line end here at the first test.
 */
PG_FUNCTION_INFO_V1(crmscm_line_update);
Datum
crmscm_line_update(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	oldtup,
				newtup;
	bool		isnull,
				relevant;
	int64		tenant,
				order_id;
	int32		line_no;
	Datum		ostatus,
				nstatus;

	check_trigger(fcinfo, "crmscm_line_update");
	crmscm_check_table(fcinfo, "sales_order_lines");
	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	oldtup = trigdata->tg_trigtuple;
	newtup = crmscm_guard_update(rel, oldtup, trigdata->tg_newtuple, line_guarded, lengthof(line_guarded));
	if (crmscm_engine_writing)
		return PointerGetDatum(newtup);
	/* issue #13: a NULL written here is left to its NOT NULL constraint
	 * (23502); reading it crashed the server (UPDATE ... SET qty = NULL) */
	{
		static const char *const cols[] = {"order_id", "line_no", "item_id", "status", "qty"};

		for (size_t i = 0; i < lengthof(cols); i++)
			if (heap_attisnull(newtup, crmscm_tuple_attnum(desc, cols[i]), desc))
				return PointerGetDatum(newtup);
	}

	relevant = crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "qty"), oldtup, newtup) ||
		crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "status"), oldtup, newtup) ||
		crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "item_id"), oldtup, newtup) ||
		crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "warehouse_id"), oldtup, newtup) ||
		crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "order_id"), oldtup, newtup) ||
		crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "line_no"), oldtup, newtup);
	tenant = crmscm_tuple_int8(oldtup, desc, "tenant_id", NULL);
	order_id = crmscm_tuple_int8(oldtup, desc, "order_id", NULL);
	line_no = crmscm_tuple_int4(oldtup, desc, "line_no");
	if (relevant)
	{
		char		ost;

		if (crmscm_tuple_int8(newtup, desc, "order_id", NULL) != order_id || crmscm_tuple_int4(newtup, desc, "line_no") != line_no)
			ereport(ERROR,
					(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
					 errmsg("cannot move line %d of order " INT64_FORMAT " to another order or line number", line_no, order_id),
					 errtableconstraint(rel, "line_key_fixed")));
		ostatus = crmscm_tuple_get(oldtup, desc, "status", &isnull);
		nstatus = crmscm_tuple_get(newtup, desc, "status", &isnull);
		if (!crmscm_text_is(ostatus, "open"))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("line %d of order " INT64_FORMAT " is %s: its quantity, item, warehouse and status are final",
							line_no, order_id, TextDatumGetCString(ostatus)),
					 errtableconstraint(rel, "line_final")));
		if (!crmscm_text_is(nstatus, "open") && !crmscm_text_is(nstatus, "cancelled"))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("cannot set line %d of order " INT64_FORMAT " to %s", line_no, order_id, TextDatumGetCString(nstatus)),
					 errhint("Lines become shipped through crmscm.ship(); users may only cancel them."),
					 errtableconstraint(rel, "line_status_transition")));
		ost = order_status_for_line(tenant, order_id, crmscm_schema_of(fcinfo));
		if (ost == 'x' || ost == 'l')
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("order " INT64_FORMAT " is %s: its lines cannot change", order_id,
							ost == 'x' ? "cancelled" : "closed"),
					 errtableconstraint(rel, "line_order_final")));
		if (ost == 'c')
		{
			Datum		nqty = crmscm_tuple_get(newtup, desc, "qty", &isnull);
			Datum		shipped = crmscm_tuple_get(oldtup, desc, "qty_shipped", &isnull);

			if (crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "item_id"), oldtup, newtup) ||
				crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "warehouse_id"), oldtup, newtup))
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("cannot change the item or warehouse of line %d of confirmed order " INT64_FORMAT,
								line_no, order_id),
						 errhint("Cancel the line and add a new one."),
						 errtableconstraint(rel, "line_item_fixed")));
			if (num_cmp(nqty, shipped) < 0)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("qty %s of line %d of order " INT64_FORMAT " is below the %s units already shipped",
								num_text(nqty), line_no, order_id, num_text(shipped)),
						 errtableconstraint(rel, "line_qty_shipped")));
		}
	}
	/*
	 * note it (any change of a waiting line too: units set aside become its
	 * reservation; #17: a new requested date moves its promise)
	 */
	if (relevant || !num_is_zero(crmscm_tuple_get(oldtup, desc, "qty_backordered", &isnull)) ||
		crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, "requested_date"), oldtup, newtup))
	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		note_add(NOTE_LINE, tenant, order_id, line_no, crmscm_tuple_int8(newtup, desc, "item_id", NULL));
		MemoryContextSwitchTo(old);
	}
	return PointerGetDatum(newtup);
}

/* ------------------------------------------------------------------------
 * sales_orders
 * ------------------------------------------------------------------------
 */

/*
 * AFTER UPDATE FOR EACH ROW on sales_orders WHEN the status changed:
 * confirming takes the order's lines and notes the order; cancelling
 * cancels its open lines (which notes them).
 */
PG_FUNCTION_INFO_V1(crmscm_order_changed);
Datum
crmscm_order_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	oldtup,
				newtup;
	bool		isnull;
	Datum		ostatus,
				nstatus;
	int64		tenant,
				order_id;
	Datum		args[2];
	Oid			nsp = crmscm_schema_of(fcinfo);

	check_trigger(fcinfo, "crmscm_order_changed");
	crmscm_check_table(fcinfo, "sales_orders");
	ocache.status = 0;			/* the status cache of line inserts */
	if (crmscm_engine_writing || !TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(NULL);
	desc = RelationGetDescr(trigdata->tg_relation);
	oldtup = trigdata->tg_trigtuple;
	newtup = trigdata->tg_newtuple;
	ostatus = crmscm_tuple_get(oldtup, desc, "status", &isnull);
	nstatus = crmscm_tuple_get(newtup, desc, "status", &isnull);
	tenant = crmscm_tuple_int8(newtup, desc, "tenant_id", NULL);
	order_id = crmscm_tuple_int8(newtup, desc, "order_id", NULL);
	args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(order_id);

	if (crmscm_text_is(nstatus, "confirmed") && crmscm_text_is(ostatus, "draft"))
	{
		MemoryContext old;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "crmscm_order_changed: SPI_connect failed");
		engine_set_schema(nsp);
		note_plans(nsp);
		run_as_crmscm(nplans.lock_lines, args, false, SPI_OK_SELECT);
		SPI_finish();
		old = MemoryContextSwitchTo(TopTransactionContext);
		note_add(NOTE_ORDER, tenant, order_id, 0, 0);
		MemoryContextSwitchTo(old);
	}
	else if (crmscm_text_is(nstatus, "cancelled"))
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "crmscm_order_changed: SPI_connect failed");
		engine_set_schema(nsp);
		note_plans(nsp);
		/* as crmscm: the lines of a cancelled order are final for anyone else */
		run_as_crmscm(nplans.cancel_lines, args, true, SPI_OK_UPDATE);
		SPI_finish();
		{
			MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

			note_add(NOTE_ORDER, tenant, order_id, 0, 0);
			MemoryContextSwitchTo(old);
		}
	}
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------------------
 * stock_moves
 * ------------------------------------------------------------------------
 */

/*
 * AFTER INSERT FOR EACH ROW on stock_moves: a receipt or adjustment changes
 * on hand at commit.  Shipment moves come only from crmscm.ship(), which
 * notes them itself.
 */
PG_FUNCTION_INFO_V1(crmscm_move_inserted);
Datum
crmscm_move_inserted(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tup;
	bool		isnull;
	MemoryContext old;
	Note	   *note;

	check_trigger(fcinfo, "crmscm_move_inserted");
	crmscm_check_table(fcinfo, "stock_moves");
	if (crmscm_engine_writing)
		return PointerGetDatum(NULL);
	desc = RelationGetDescr(trigdata->tg_relation);
	tup = trigdata->tg_trigtuple;
	if (crmscm_text_is(crmscm_tuple_get(tup, desc, "kind", &isnull), "shipment"))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("shipment moves are written by crmscm.ship()"),
				 errhint("Use crmscm.ship(order_id, line_no, qty), or a negative adjustment for losses."),
				 errtableconstraint(trigdata->tg_relation, "shipment_via_ship")));
	old = MemoryContextSwitchTo(TopTransactionContext);
	note = note_add(NOTE_MOVE, crmscm_tuple_int8(tup, desc, "tenant_id", NULL), crmscm_tuple_int8(tup, desc, "item_id", NULL),
					crmscm_tuple_int8(tup, desc, "warehouse_id", NULL), 0);
	note->qty = datumCopy(crmscm_tuple_get(tup, desc, "qty", &isnull), false, -1);
	MemoryContextSwitchTo(old);
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------------------
 * purchase orders
 * ------------------------------------------------------------------------
 */

static void
note_on_order(int64 tenant, int64 item, int64 wh)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	note_add(NOTE_ON_ORDER, tenant, item, wh, 0);
	MemoryContextSwitchTo(old);
}

/*
 * AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on purchase_order_lines:
 * raising qty_received writes the receipt move; on_order of the line's
 * (item, warehouse), before and after, is recounted at commit.
 */
PG_FUNCTION_INFO_V1(crmscm_po_line_changed);
Datum
crmscm_po_line_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	oldtup = NULL,
				newtup = NULL;
	Oid			nsp = crmscm_schema_of(fcinfo);

	check_trigger(fcinfo, "crmscm_po_line_changed");
	crmscm_check_table(fcinfo, "purchase_order_lines");
	if (crmscm_engine_writing)
		return PointerGetDatum(NULL);
	desc = RelationGetDescr(trigdata->tg_relation);
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		newtup = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		oldtup = trigdata->tg_trigtuple;
	else
	{
		oldtup = trigdata->tg_trigtuple;
		newtup = trigdata->tg_newtuple;
	}
	if (oldtup && newtup)
	{
		bool		isnull;
		Datum		orec = crmscm_tuple_get(oldtup, desc, "qty_received", &isnull);
		Datum		nrec = crmscm_tuple_get(newtup, desc, "qty_received", &isnull);

		if (num_cmp(nrec, orec) > 0)
		{
			Datum		args[4];

			args[0] = Int64GetDatum(crmscm_tuple_int8(newtup, desc, "tenant_id", NULL));
			args[1] = Int64GetDatum(crmscm_tuple_int8(newtup, desc, "item_id", NULL));
			args[2] = Int64GetDatum(crmscm_tuple_int8(newtup, desc, "warehouse_id", NULL));
			args[3] = num_sub(nrec, orec);
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "crmscm_po_line_changed: SPI_connect failed");
			engine_set_schema(nsp);
			note_plans(nsp);
			/* as crmscm, flag off: the move's own trigger notes it */
			run_as_crmscm(nplans.receipt, args, false, SPI_OK_INSERT);
			SPI_finish();
		}
	}
	if (oldtup)
		note_on_order(crmscm_tuple_int8(oldtup, desc, "tenant_id", NULL), crmscm_tuple_int8(oldtup, desc, "item_id", NULL),
					  crmscm_tuple_int8(oldtup, desc, "warehouse_id", NULL));
	if (newtup && (!oldtup ||
				   crmscm_tuple_int8(newtup, desc, "item_id", NULL) != crmscm_tuple_int8(oldtup, desc, "item_id", NULL) ||
				   crmscm_tuple_int8(newtup, desc, "warehouse_id", NULL) != crmscm_tuple_int8(oldtup, desc, "warehouse_id", NULL)))
		note_on_order(crmscm_tuple_int8(newtup, desc, "tenant_id", NULL), crmscm_tuple_int8(newtup, desc, "item_id", NULL),
					  crmscm_tuple_int8(newtup, desc, "warehouse_id", NULL));
	return PointerGetDatum(NULL);
}

/*
 * AFTER UPDATE FOR EACH ROW on purchase_orders WHEN the status changed: the
 * order's lines count as on order from now, or no longer.
 */
PG_FUNCTION_INFO_V1(crmscm_po_changed);
Datum
crmscm_po_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tup;
	int64		tenant;
	Datum		args[2];
	uint64		r;
	Oid			nsp = crmscm_schema_of(fcinfo);
	EngineScope scope;

	check_trigger(fcinfo, "crmscm_po_changed");
	crmscm_check_table(fcinfo, "purchase_orders");
	if (crmscm_engine_writing)
		return PointerGetDatum(NULL);
	desc = RelationGetDescr(trigdata->tg_relation);
	tup = trigdata->tg_newtuple ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	tenant = crmscm_tuple_int8(tup, desc, "tenant_id", NULL);
	args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(crmscm_tuple_int8(tup, desc, "po_id", NULL));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm_po_changed: SPI_connect failed");
	engine_set_schema(nsp);
	note_plans(nsp);
	engine_begin(&scope);
	PG_TRY();
	{
		if (SPI_execute_plan(nplans.po_lines, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "crmscm_po_changed: reading the lines failed");
	}
	PG_FINALLY();
	{
		engine_end(&scope);
	}
	PG_END_TRY();
	for (r = 0; r < SPI_processed; r++)
	{
		bool		isnull;

		note_on_order(tenant,
					  DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull)),
					  DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull)));
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------------------
 * the pass: at commit, or at once
 * ------------------------------------------------------------------------
 */

/*
 * DEFERRABLE INITIALLY DEFERRED constraint trigger "Commit_pass" (FOR EACH
 * ROW) on the order, line, stock move and purchase order tables: the first
 * event at commit works off everything pending; the rest find nothing.
 */
PG_FUNCTION_INFO_V1(crmscm_commit_pass);
Datum
crmscm_commit_pass(PG_FUNCTION_ARGS)
{
	check_trigger(fcinfo, "crmscm_commit_pass");
	reserve_pass(crmscm_schema_of(fcinfo), true);
	return PointerGetDatum(NULL);
}

/* crmscm.reserve_pending(): do the pending reservation work now */
PG_FUNCTION_INFO_V1(crmscm_reserve_pending);
Datum
crmscm_reserve_pending(PG_FUNCTION_ARGS)
{
	reserve_pass(crmscm_schema_of(fcinfo), false);
	PG_RETURN_VOID();
}

/*
 * crmscm.reserve_pending(tenant): the pending work of one tenant now, its
 * reservations and its customer-lifetime bookkeeping: everything the commit
 * would do for it, so that its errors come at this statement with their own
 * SQLSTATE.  On Citus it is a distributed function, routed by the tenant to
 * the node that holds the tenant's shards, where the triggers wrote the
 * notes (crmscm.distribute(); doc/citus.md).  Run anywhere else, it would
 * find no notes: that is an error.
 */
PG_FUNCTION_INFO_V1(crmscm_reserve_pending_tenant);
Datum
crmscm_reserve_pending_tenant(PG_FUNCTION_ARGS)
{
	Oid			nsp = crmscm_schema_of(fcinfo);
	int64		tenant,
				current;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tenant must not be NULL")));
	tenant = PG_GETARG_INT64(0);
	/* the session's tenant (and whether it may work in it) */
	current = DatumGetInt64(DirectFunctionCall1(crmscm_current_tenant, (Datum) 0));
	if (tenant != current)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reserve_pending(" INT64_FORMAT ") in a transaction of tenant " INT64_FORMAT,
						tenant, current)));
	if (crmscm_on_citus() && !crmscm_citus_tenant_is_local(nsp, tenant))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("reserve_pending(" INT64_FORMAT ") did not run on the node of tenant " INT64_FORMAT,
						tenant, tenant),
				 errdetail("The pending work lives on the Citus node that holds the tenant's shards."),
				 errhint("Call it as a statement of its own, SELECT crmscm.reserve_pending(7), with a constant or a bind parameter: Citus then runs it there.")));
	reserve_pass_tenant(nsp, tenant, true);
	PG_RETURN_VOID();
}

/*
 * The statement-level reservation trigger of crmscm 0.2.0.  A 0.2.0
 * installation keeps calling it until ALTER EXTENSION crmscm UPDATE; the
 * rules now run at commit in one engine.
 */
PG_FUNCTION_INFO_V1(crmscm_lines_after_insert);
Datum
crmscm_lines_after_insert(PG_FUNCTION_ARGS)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("crmscm's SQL objects are older than its library"),
			 errhint("Run ALTER EXTENSION crmscm UPDATE.")));
	PG_RETURN_NULL();
}
