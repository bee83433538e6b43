/*
 * lifetime_tracking.c — keeping customer_lifetime current at commit (doc/lifetime.md).
 *
 * Every change of a sales order or order line is written down here by a
 * cheap AFTER ROW trigger (crmscm_lifetime_mark): the order it touches and,
 * for a line, the line's old and new (qty, qty_shipped, unit_price, status).
 * At commit a DEFERRABLE INITIALLY DEFERRED constraint trigger on the same
 * rows (crmscm_lifetime_flush) hands everything written down so far, in one
 * call, to @extschema@._lifetime_apply() (src/sql/340_lifetime_triggers.sql),
 * which turns it into deltas of sales_order_totals, customer_purchase_days
 * and customer_lifetime, locking rows in key order.  The first deferred
 * event of a commit does the work; the rest find nothing left to do.
 *
 * Why not let each deferred event do its own row?  Locks would then be
 * taken in event order, and two transactions touching customers [A, B] and
 * [B, A] could deadlock at commit; one sorted pass cannot.  And the cost per
 * commit no longer grows with the customer's history: a line adds its own
 * delta, only an order whose status, customer or day changed is recounted
 * (over its own lines).
 *
 * The notes follow PostgreSQL's sub-transactions: notes written in a
 * sub-transaction that rolls back are dropped; notes handed over by a flush
 * that ran inside a sub-transaction (SET CONSTRAINTS ... IMMEDIATE) which
 * then rolls back are handed over again, because PostgreSQL also marks those
 * deferred events as not fired and the flush's writes are gone.  Memory
 * lives in TopTransactionContext and is forgotten at the end of the
 * transaction.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "reserve.h"
#include "txn_notes.h"
#include "trigger_tuple.h"

/* notes with the line's values; beyond, line changes mark whole orders */
#define LT_DETAILED_NOTES 100000

/* line columns carried by a note, in this order */
#define LT_NCOLS 4
static const char *const lt_line_cols[LT_NCOLS] = {"qty", "qty_shipped", "unit_price", "status"};

typedef struct LtNote
{
	TxnNoteHeader h;			/* txn_notes.h: who wrote it, which flush took it */
	int64		tenant;
	int64		order_id;
	bool		recount;		/* the order itself changed: recount it */
	bool		has_old;
	bool		has_new;
	Datum		oldv[LT_NCOLS];
	bool		oldnull[LT_NCOLS];
	Datum		newv[LT_NCOLS];
	bool		newnull[LT_NCOLS];
} LtNote;

static TxnNoteList lt_list = TXN_NOTE_LIST(LtNote, "customer_lifetime bookkeeping");

#define lt_n (lt_list.n)
#define LT(i) ((LtNote *) txn_note_at(&lt_list, (i)))

/*
 * Prepared statements, per schema: the call of _lifetime_apply (the general
 * path), and the one statement of the fast path (order, customer, day).
 */
#define LT_PLAN_APPLY 0
#define LT_PLAN_ORDER 1			/* the order's booking and the customer */
#define LT_NPLANS 2
static SPIPlanPtr lt_plans[LT_NPLANS];
static Oid	lt_plan_nsp = InvalidOid;
static bool lt_plan_citus = false;	/* made for Citus (custom plans) */

static LtNote *
lt_new_note(int64 tenant, int64 order_id, bool recount)
{
	LtNote	   *note = txn_note_add(&lt_list);

	note->tenant = tenant;
	note->order_id = order_id;
	note->recount = recount;
	return note;
}

static int64
lt_get_int8(HeapTuple tup, TupleDesc desc, int att)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, att, desc, &isnull);

	if (isnull)
		return 0;				/* NOT NULL columns; never happens */
	return DatumGetInt64(d);
}

static void
lt_copy_line(HeapTuple tup, TupleDesc desc, Datum *vals, bool *nulls)
{
	int			i;

	for (i = 0; i < LT_NCOLS; i++)
	{
		int			att = crmscm_tuple_attnum(desc, lt_line_cols[i]);
		Datum		d = heap_getattr(tup, att, desc, &nulls[i]);

		if (nulls[i])
			vals[i] = (Datum) 0;
		else
			vals[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
	}
}

/*
 * AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on sales_orders (argument
 * 'order') and sales_order_lines (argument 'line'): write the change down.
 */
PG_FUNCTION_INFO_V1(crmscm_lifetime_mark);
Datum
crmscm_lifetime_mark(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	oldtup = NULL,
				newtup = NULL;
	int			tenant_att,
				order_att;
	bool		is_line;
	MemoryContext oldcxt;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_lifetime_mark: not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		trigdata->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_lifetime_mark: must be fired AFTER ... FOR EACH ROW with argument 'order' or 'line'")));
	is_line = strcmp(trigdata->tg_trigger->tgargs[0], "line") == 0;
	crmscm_check_table(fcinfo, is_line ? "sales_order_lines" : "sales_orders");

	desc = RelationGetDescr(trigdata->tg_relation);
	tenant_att = crmscm_tuple_attnum(desc, "tenant_id");
	order_att = crmscm_tuple_attnum(desc, "order_id");
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		newtup = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		oldtup = trigdata->tg_trigtuple;
	else
	{
		oldtup = trigdata->tg_trigtuple;
		newtup = trigdata->tg_newtuple;
	}

	/* an update that changes nothing the bookkeeping counts (no WHEN clause: see 340_lifetime_triggers.sql) */
	if (oldtup && newtup)
	{
		static const char *const line_cols[] = {"status", "qty", "unit_price", "qty_shipped", "order_id", "tenant_id"};
		static const char *const order_cols[] = {"status", "customer_id", "ordered_at", "order_id", "tenant_id"};
		const char *const *cols = is_line ? line_cols : order_cols;
		int			ncols = is_line ? lengthof(line_cols) : lengthof(order_cols);
		bool		changed = false;
		int			k;

		for (k = 0; k < ncols && !changed; k++)
			changed = crmscm_attr_changed(desc, crmscm_tuple_attnum(desc, cols[k]), oldtup, newtup);
		if (!changed)
			return PointerGetDatum(NULL);
	}

	oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	if (!is_line)
	{
		/* the order's status, customer or day: recount the whole order */
		if (oldtup)
			lt_new_note(lt_get_int8(oldtup, desc, tenant_att), lt_get_int8(oldtup, desc, order_att), true);
		if (newtup && (!oldtup ||
					   lt_get_int8(newtup, desc, tenant_att) != lt_get_int8(oldtup, desc, tenant_att) ||
					   lt_get_int8(newtup, desc, order_att) != lt_get_int8(oldtup, desc, order_att)))
			lt_new_note(lt_get_int8(newtup, desc, tenant_att), lt_get_int8(newtup, desc, order_att), true);
	}
	else if (oldtup && newtup &&
			 (lt_get_int8(newtup, desc, tenant_att) != lt_get_int8(oldtup, desc, tenant_att) ||
			  lt_get_int8(newtup, desc, order_att) != lt_get_int8(oldtup, desc, order_att)))
	{
		/* a line moved to another order (only crmscm itself can): recount both */
		lt_new_note(lt_get_int8(oldtup, desc, tenant_att), lt_get_int8(oldtup, desc, order_att), true);
		lt_new_note(lt_get_int8(newtup, desc, tenant_att), lt_get_int8(newtup, desc, order_att), true);
	}
	else if (lt_n >= LT_DETAILED_NOTES)
	{
		/*
		 * A bulk load: past this many notes, a line change only marks its
		 * order for a recount (over its lines, at commit), and consecutive
		 * changes of one order share one mark, so memory grows with the
		 * orders, not the lines.
		 */
		HeapTuple	any = newtup ? newtup : oldtup;
		int64		tenant = lt_get_int8(any, desc, tenant_att);
		int64		order_id = lt_get_int8(any, desc, order_att);
		LtNote	   *last = LT(lt_n - 1);

		if (!(last->recount && last->tenant == tenant && last->order_id == order_id &&
			  last->h.created == GetCurrentSubTransactionId() &&
			  last->h.taken == InvalidSubTransactionId))
			lt_new_note(tenant, order_id, true);
	}
	else
	{
		HeapTuple	any = newtup ? newtup : oldtup;
		LtNote	   *note = lt_new_note(lt_get_int8(any, desc, tenant_att),
									   lt_get_int8(any, desc, order_att), false);

		if (oldtup)
		{
			note->has_old = true;
			lt_copy_line(oldtup, desc, note->oldv, note->oldnull);
		}
		if (newtup)
		{
			note->has_new = true;
			lt_copy_line(newtup, desc, note->newv, note->newnull);
		}
	}
	MemoryContextSwitchTo(oldcxt);
	return PointerGetDatum(NULL);
}

static ArrayType *
lt_array(Datum *vals, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1];
	int			lbs[1];

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	dims[0] = n;
	lbs[0] = 1;
	return construct_md_array(vals, nulls, 1, dims, lbs, elemtype, typlen, typbyval, typalign);
}

/*
 * What a line counts for under its order's status: the purchase rule of
 * src/sql/030_rules.sql, called (and inlined by the planner) with the
 * schema as the format argument "%s" each macro adds.
 */
#define LT_Q(st) "%s._sales_line_counts(o.status, " st ")"
#define LT_AMOUNT(st, q, sh, p) "%s._sales_line_amount(o.status, " st ", " q ", " sh ", " p ")"
#define LT_SHIPPED(st, sh, p) "%s._sales_line_shipped_amount(o.status, " st ", " sh ", " p ")"

static void
lt_prepare(Oid nsp, Oid *argtypes)
{
	const char *q;
	char	   *nspname;
	StringInfoData sql;
	Oid			oargtypes[3 + 2 * LT_NCOLS];
	int			i,
				k;
	bool		citus = crmscm_on_citus();

	if (lt_plan_nsp == nsp && lt_plans[0] != NULL && lt_plan_citus == citus)
		return;
	nspname = get_namespace_name(nsp);
	if (nspname == NULL)
		elog(ERROR, "crmscm lifetime bookkeeping: schema %u not found", nsp);
	q = quote_identifier(nspname);
	for (i = 0; i < LT_NPLANS; i++)
	{
		if (lt_plans[i] != NULL)
			SPI_freeplan(lt_plans[i]);
		lt_plans[i] = NULL;
	}
	lt_plan_nsp = InvalidOid;

	initStringInfo(&sql);
	for (i = 0; i < LT_NPLANS; i++)
	{
		SPIPlanPtr	plan;

		resetStringInfo(&sql);
		switch (i)
		{
			case LT_PLAN_APPLY:
				appendStringInfo(&sql, "SELECT %s._lifetime_apply($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", q);
				plan = SPI_prepare_cursor(sql.data, 3 + 2 * LT_NCOLS, argtypes, crmscm_plan_options(false));
				break;
			case LT_PLAN_ORDER:

				/*
				 * The order's booking, if it still matches the order (else a
				 * concurrent recount changed it: general path), plus the
				 * line deltas under the order's status.
				 */
				appendStringInfo(&sql,
								 "WITH p AS ("
								 "UPDATE %s.sales_order_totals st"
								 "   SET purchase_lines = st.purchase_lines OPERATOR(pg_catalog.+) d.dl,"
								 "       amount = st.amount OPERATOR(pg_catalog.+) d.da,"
								 "       shipped_amount = st.shipped_amount OPERATOR(pg_catalog.+) d.dsh"
								 "  FROM %s.sales_orders o,"
								 "       LATERAL (SELECT pg_catalog.sum((CASE WHEN " LT_Q("u.nst") " THEN 1 ELSE 0 END)"
								 "                    OPERATOR(pg_catalog.-) (CASE WHEN " LT_Q("u.ost") " THEN 1 ELSE 0 END))::pg_catalog.int4 AS dl,"
								 "                  pg_catalog.sum((" LT_AMOUNT("u.nst", "u.nq", "u.nsh", "u.np") ")"
								 "                    OPERATOR(pg_catalog.-) (" LT_AMOUNT("u.ost", "u.oq", "u.osh", "u.op") ")) AS da,"
								 "                  pg_catalog.sum((" LT_SHIPPED("u.nst", "u.nsh", "u.np") ")"
								 "                    OPERATOR(pg_catalog.-) (" LT_SHIPPED("u.ost", "u.osh", "u.op") ")) AS dsh"
								 "                 FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
								 "                      pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8),"
								 "                      pg_catalog.unnest($9), pg_catalog.unnest($10))"
								 "                      AS u(oq, osh, op, ost, nq, nsh, np, nst)) d"
								 " WHERE st.tenant_id OPERATOR(pg_catalog.=) $1 AND st.order_id OPERATOR(pg_catalog.=) $2"
								 "   AND o.tenant_id OPERATOR(pg_catalog.=) $1 AND o.order_id OPERATOR(pg_catalog.=) $2"
								 "   AND o.status OPERATOR(pg_catalog.=) st.status"
								 "   AND o.customer_id OPERATOR(pg_catalog.=) st.customer_id"
								 "   AND ((o.ordered_at AT TIME ZONE 'UTC')::pg_catalog.date) OPERATOR(pg_catalog.=) st.purchase_day"
								 "   AND st.purchase_lines OPERATOR(pg_catalog.>) 0"
								 "   AND st.purchase_lines OPERATOR(pg_catalog.+) d.dl OPERATOR(pg_catalog.>) 0"
								 " RETURNING st.customer_id, st.purchase_day, d.da, d.dsh,"
								 "   d.da OPERATOR(pg_catalog.<>) 0 OR d.dsh OPERATOR(pg_catalog.<>) 0 AS moved"
								 "), c AS ("

				/*
				 * The customer, in the same statement: it reads the order's
				 * new booking, so the booking's row is locked first.  The day
				 * is an existing purchase day, so first/last day stay, and so
				 * do purchase days and orders placed: the stage changes only
				 * with the date.
				 */
								 "UPDATE %s.customer_lifetime cl"
								 "   SET revenue = cl.revenue OPERATOR(pg_catalog.+) p.da,"
								 "       repeat_revenue = cl.repeat_revenue OPERATOR(pg_catalog.+)"
								 "         CASE WHEN p.purchase_day OPERATOR(pg_catalog.>) cl.first_order_day THEN p.da ELSE 0 END,"
								 "       shipped_revenue = cl.shipped_revenue OPERATOR(pg_catalog.+) p.dsh,"
								 "       stage = CASE WHEN cl.stage_as_of OPERATOR(pg_catalog.=) $11 THEN cl.stage"
								 "         ELSE %s.lifetime_stage(cl.order_days, cl.last_order_day, cl.orders_placed,"
								 "         $11,"
								 "         %s._at_risk_days((SELECT m.at_risk_days FROM %s.lifetime_models m WHERE m.tenant_id OPERATOR(pg_catalog.=) $1)),"
								 "         %s._churn_days((SELECT m.churn_days FROM %s.lifetime_models m WHERE m.tenant_id OPERATOR(pg_catalog.=) $1))) END,"
								 "       stage_as_of = $11,"
								 "       updated_at = pg_catalog.now()"
								 "  FROM p"
								 " WHERE p.moved AND cl.tenant_id OPERATOR(pg_catalog.=) $1"
								 "   AND cl.customer_id OPERATOR(pg_catalog.=) p.customer_id"
								 " RETURNING p.customer_id, p.purchase_day, p.da, p.dsh"
								 "), d AS ("

				/*
				 * The day, under the customer's lock: it reads the
				 * customer's update, so that one runs (and locks) first.
				 */
								 "UPDATE %s.customer_purchase_days pd"
								 "   SET amount = pd.amount OPERATOR(pg_catalog.+) c.da,"
								 "       shipped_amount = pd.shipped_amount OPERATOR(pg_catalog.+) c.dsh"
								 "  FROM c"
								 " WHERE pd.tenant_id OPERATOR(pg_catalog.=) $1 AND pd.customer_id OPERATOR(pg_catalog.=) c.customer_id"
								 "   AND pd.purchase_day OPERATOR(pg_catalog.=) c.purchase_day"
								 ") SELECT p.customer_id, p.purchase_day, p.da, p.dsh, p.moved FROM p",
								 q, q, q, q, q, q, q, q, q, q, q, q, q, q, q);
				oargtypes[0] = INT8OID;
				oargtypes[1] = INT8OID;
				for (k = 0; k < 2 * LT_NCOLS; k++)
					oargtypes[2 + k] = argtypes[3 + k];
				oargtypes[2 + 2 * LT_NCOLS] = DATEOID;	/* CURRENT_DATE: Citus refuses
														 * a stable function inside
														 * CASE in a modification */
				plan = SPI_prepare_cursor(sql.data, 3 + 2 * LT_NCOLS, oargtypes, crmscm_plan_options(false));
				break;

		}
		if (plan == NULL)
			elog(ERROR, "crmscm lifetime bookkeeping: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "crmscm lifetime bookkeeping: SPI_keepplan failed");
		lt_plans[i] = plan;
	}
	lt_plan_nsp = nsp;
	lt_plan_citus = citus;
}

/*
 * Book the notes ns[0..n) (all of one tenant, in time order): the fast
 * path, else nsp._lifetime_apply().  SPI is connected.
 */
static void
lt_flush_tenant(LtNote *ns, int n)
{
	int			i,
				k;
	Datum	   *tenant,
			   *order_id,
			   *recount,
			   *cols[2 * LT_NCOLS];
	bool	   *colnulls[2 * LT_NCOLS];
	bool	   *nonulls;
	Datum		args[3 + 2 * LT_NCOLS];
	int			ret;
	bool		fast;

	tenant = palloc(n * sizeof(Datum));
	order_id = palloc(n * sizeof(Datum));
	recount = palloc(n * sizeof(Datum));
	nonulls = palloc0(n * sizeof(bool));
	for (k = 0; k < 2 * LT_NCOLS; k++)
	{
		cols[k] = palloc(n * sizeof(Datum));
		colnulls[k] = palloc(n * sizeof(bool));
	}
	for (i = 0; i < n; i++)
	{
		LtNote	   *note = &ns[i];

		tenant[i] = Int64GetDatum(note->tenant);
		order_id[i] = Int64GetDatum(note->order_id);
		recount[i] = BoolGetDatum(note->recount);
		for (k = 0; k < LT_NCOLS; k++)
		{
			cols[k][i] = note->oldv[k];
			colnulls[k][i] = !note->has_old || note->oldnull[k];
			cols[LT_NCOLS + k][i] = note->newv[k];
			colnulls[LT_NCOLS + k][i] = !note->has_new || note->newnull[k];
		}
	}
	args[0] = PointerGetDatum(lt_array(tenant, nonulls, n, INT8OID));
	args[1] = PointerGetDatum(lt_array(order_id, nonulls, n, INT8OID));
	args[2] = PointerGetDatum(lt_array(recount, nonulls, n, BOOLOID));
	for (k = 0; k < 2 * LT_NCOLS; k++)
	{
		bool		is_status = (k % LT_NCOLS) == LT_NCOLS - 1;

		args[3 + k] = PointerGetDatum(lt_array(cols[k], colnulls[k], n, is_status ? TEXTOID : NUMERICOID));
	}

	/*
	 * The fast path: line changes of one order that was booked as a purchase
	 * under its current status, customer and day, and stays a purchase.
	 * Then only the order's, the customer's and the day's sums move, in
	 * that lock order; everything else takes the general path.
	 */
	fast = true;
	for (i = 1; i < n && fast; i++)
		fast = ns[i].order_id == ns[0].order_id;
	for (i = 0; i < n && fast; i++)
		fast = !ns[i].recount;
	if (fast)
	{
		Datum		oargs[3 + 2 * LT_NCOLS];

		oargs[0] = tenant[0];
		oargs[1] = order_id[0];
		for (k = 0; k < 2 * LT_NCOLS; k++)
			oargs[2 + k] = args[3 + k];
		oargs[2 + 2 * LT_NCOLS] = DateADTGetDatum(GetSQLCurrentDate());
		ret = SPI_execute_plan(lt_plans[LT_PLAN_ORDER], oargs, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "crmscm lifetime bookkeeping: order totals update failed: %s", SPI_result_code_string(ret));
		if (SPI_processed == 1)
			return;				/* booked: order, customer and day in that one
								 * statement */
	}

	ret = SPI_execute_plan(lt_plans[LT_PLAN_APPLY], args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "crmscm lifetime bookkeeping: _lifetime_apply failed: %s", SPI_result_code_string(ret));
}

/* notes by tenant, then time (their position in the copy) */
static int
lt_note_cmp(const void *a, const void *b)
{
	const LtNote *x = *(LtNote *const *) a;
	const LtNote *y = *(LtNote *const *) b;

	if (x->tenant != y->tenant)
		return x->tenant < y->tenant ? -1 : 1;
	return x < y ? -1 : (x > y);
}

/*
 * Hand every pending note to the bookkeeping, tenant by tenant in ascending
 * order: each call, and each statement in it, concerns one tenant given as
 * a scalar, which is what Citus can route (doc/citus.md).  The lock order
 * stays one for every commit: tenant by tenant, in each the orders'
 * bookings, then the customers.
 */
static void
lt_flush(Oid nsp)
{
	LtNote	   *taken;
	LtNote	  **ptr;
	LtNote	   *sorted;
	int			n,
				i,
				k;
	Oid			argtypes[3 + 2 * LT_NCOLS];

	/*
	 * Handed over (to be handed over again if this sub-transaction rolls
	 * back): a flush that runs while this one writes starts afresh.  A copy:
	 * the bookkeeping's own writes may add notes.
	 */
	taken = txn_notes_take(&lt_list, false, 0, &n);
	if (n == 0)
		return;

	argtypes[0] = INT8ARRAYOID;
	argtypes[1] = INT8ARRAYOID;
	argtypes[2] = BOOLARRAYOID;
	for (k = 0; k < 2 * LT_NCOLS; k++)
		argtypes[3 + k] = (k % LT_NCOLS) == LT_NCOLS - 1 ? TEXTARRAYOID : NUMERICARRAYOID;

	/* the notes by tenant (ascending), each tenant's in time order */
	ptr = palloc(n * sizeof(LtNote *));
	for (i = 0; i < n; i++)
		ptr[i] = &taken[i];
	qsort(ptr, n, sizeof(LtNote *), lt_note_cmp);
	sorted = palloc_extended((Size) n * sizeof(LtNote), MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
		sorted[i] = *ptr[i];
	pfree(ptr);
	pfree(taken);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm lifetime bookkeeping: SPI_connect failed");
	lt_prepare(nsp, argtypes);
	for (i = 0; i < n; i = k)
	{
		for (k = i + 1; k < n && sorted[k].tenant == sorted[i].tenant; k++)
			;
		CHECK_FOR_INTERRUPTS();
		lt_flush_tenant(&sorted[i], k - i);
	}
	SPI_finish();
}

/*
 * DEFERRABLE INITIALLY DEFERRED constraint trigger (FOR EACH ROW) on the
 * same tables and events: hand every pending note to _lifetime_apply().
 * SECURITY DEFINER in SQL, so _lifetime_apply (internal, no EXECUTE for
 * anyone) is called with the owner's rights.
 */
PG_FUNCTION_INFO_V1(crmscm_lifetime_flush);
Datum
crmscm_lifetime_flush(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_lifetime_flush: not called by trigger manager")));
	lt_flush(get_func_namespace(fcinfo->flinfo->fn_oid));
	return PointerGetDatum(NULL);
}

/* Is anything written down and not yet booked? */
bool
lifetime_pending(void)
{
	return txn_notes_pending(&lt_list, false, 0);
}

/* Book what is pending: the last step of the commit pass (reserve.c) */
void
lifetime_flush_pending(Oid nsp)
{
	lt_flush(nsp);
}

/*
 * The same for crmscm.reserve_pending(tenant), when every pending note is
 * of that tenant (on Citus, a call routed to the tenant's node may touch no
 * other tenant's rows); else the commit books them all.
 */
bool
lifetime_flush_tenant_alone(Oid nsp, int64 tenant)
{
	int			i;

	for (i = txn_notes_first_pending(&lt_list); i < lt_n; i++)
		if (txn_note_is_pending(&lt_list, i) && LT(i)->tenant != tenant)
			return false;
	lt_flush(nsp);
	return true;
}

/* The same, called by a rebuild before it recounts from the tables. */
PG_FUNCTION_INFO_V1(crmscm_lifetime_flush_now);
Datum
crmscm_lifetime_flush_now(PG_FUNCTION_ARGS)
{
	lt_flush(get_func_namespace(fcinfo->flinfo->fn_oid));
	PG_RETURN_VOID();
}
