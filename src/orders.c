/*
 * orders.c — C side of the order/inventory triggers (SPEC §8).
 *
 * Two triggers are C, each because measurement showed the interpreter and
 * call overhead, not the row work, dominating it (README "Orders and
 * inventory reservations"):
 *
 *   - crmscm_guard, the row guard that runs on every update of the hot
 *     tables (C: 2-3x cheaper than the same check in PL/pgSQL);
 *   - crmscm_lines_after_insert, the reservation of lines inserted into a
 *     confirmed order, the path every new order takes.  Its PL/pgSQL
 *     version spent about half of a reserving insert in three SET
 *     search_path functions, set_config calls and a string-building loop;
 *     the C version issues the same statements, in the same lock order,
 *     through SPI plans prepared once per backend.
 *
 * The other paths (quantity changes, cancellations, deletes, order confirm
 * and cancel, receipts, ship()) stay PL/pgSQL in src/sql/300_orders.sql,
 * with the set logic they share (_reserve, _release, _fill, _settle).
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

/* Setting our own functions raise while they write bookkeeping columns */
#define INTERNAL_SETTING "crmscm.internal"

static bool
crmscm_internal_write(void)
{
	const char *val = GetConfigOption(INTERNAL_SETTING, true, false);

	return val != NULL && strcmp(val, "on") == 0;
}

/* Is attribute attnum of the two tuples different (NULL-aware, binary)? */
static bool
crmscm_attr_changed(TupleDesc desc, int attnum, HeapTuple oldtup, HeapTuple newtup)
{
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	bool		oldnull,
				newnull;
	Datum		oldval = heap_getattr(oldtup, attnum, desc, &oldnull);
	Datum		newval = heap_getattr(newtup, attnum, desc, &newnull);

	if (oldnull || newnull)
		return oldnull != newnull;
	return !datumIsEqual(oldval, newval, att->attbyval, att->attlen);
}

/*
 * Guard the columns crmscm maintains.
 *
 * BEFORE INSERT OR UPDATE row trigger.  tenant_id may never change (SPEC §2).
 * The columns named in the trigger arguments are maintained by crmscm: an
 * UPDATE may change them, and an INSERT may set them to anything but zero,
 * only inside crmscm's own functions.
 */
PG_FUNCTION_INFO_V1(crmscm_guard);
Datum
crmscm_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	newtup;
	bool		internal;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_guard: not called by trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_guard: must be fired BEFORE INSERT OR UPDATE FOR EACH ROW")));

	trigger = trigdata->tg_trigger;
	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	internal = crmscm_internal_write();

	/*
	 * The setting is a plain custom GUC that anyone can SET; it only counts
	 * when the statement runs with the table owner's rights, i.e. inside
	 * crmscm's SECURITY DEFINER functions.  Anyone else setting it would
	 * switch off the bookkeeping of their own tenant.
	 */
	if (internal && !superuser() && GetUserId() != rel->rd_rel->relowner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("setting \"%s\" is reserved for crmscm's own functions", INTERNAL_SETTING),
				 errhint("Use the documented API: order lines, crmscm.ship(), crmscm.receive(), stock moves.")));

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	oldtup = trigdata->tg_trigtuple;
		int			tenant_att = SPI_fnumber(desc, "tenant_id");

		newtup = trigdata->tg_newtuple;
		if (tenant_att > 0 && crmscm_attr_changed(desc, tenant_att, oldtup, newtup))
			ereport(ERROR,
					(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
					 errmsg("cannot change tenant_id of a row of \"%s\"",
							RelationGetRelationName(rel)),
					 errdetail("A row belongs to its tenant for life; copy it to the other tenant instead.")));
		if (!internal)
		{
			for (i = 0; i < trigger->tgnargs; i++)
			{
				int			att = SPI_fnumber(desc, trigger->tgargs[i]);

				if (att <= 0)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_COLUMN),
							 errmsg("crmscm_guard: column \"%s\" does not exist", trigger->tgargs[i])));
				if (crmscm_attr_changed(desc, att, oldtup, newtup))
					ereport(ERROR,
							(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
							 errmsg("column \"%s\" of \"%s\" is maintained by crmscm and cannot be changed directly",
									trigger->tgargs[i], RelationGetRelationName(rel))));
			}
		}
	}
	else
	{
		newtup = trigdata->tg_trigtuple;
		if (!internal)
		{
			for (i = 0; i < trigger->tgnargs; i++)
			{
				int			att = SPI_fnumber(desc, trigger->tgargs[i]);
				bool		isnull;
				Datum		val;

				if (att <= 0)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_COLUMN),
							 errmsg("crmscm_guard: column \"%s\" does not exist", trigger->tgargs[i])));
				val = heap_getattr(newtup, att, desc, &isnull);
				if (!isnull && TupleDescAttr(desc, att - 1)->atttypid == NUMERICOID &&
					DatumGetInt32(DirectFunctionCall2(numeric_cmp, val,
													  DirectFunctionCall1(int4_numeric, Int32GetDatum(0)))) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
							 errmsg("column \"%s\" of \"%s\" is maintained by crmscm and must be 0 on insert",
									trigger->tgargs[i], RelationGetRelationName(rel)),
							 errhint("Write stock moves (crmscm.stock_moves) to change stock.")));
			}
		}
	}
	return PointerGetDatum(newtup);
}

/* ------------------------------------------------------------------------
 * Lines inserted into confirmed orders reserve stock (SPEC §8)
 *
 * The statement-level AFTER INSERT trigger of sales_order_lines.  Same
 * semantics and lock order as the PL/pgSQL paths of src/sql/300_orders.sql
 * (orders -> lines -> inventory in (tenant, item, warehouse) order ->
 * reservations / backorders):
 *
 *   1. the orders of the new lines FOR SHARE, in (tenant, order) order; for
 *      a confirmed order also the tenant's warehouses ranked by
 *      (distance_km(location, ship_to) NULLS LAST, warehouse_id);
 *   2. every inventory row of the items of the confirmed lines in one
 *      SELECT ... ORDER BY item_id, warehouse_id FOR NO KEY UPDATE per
 *      tenant (tenants ascending); a backorder target without inventory row
 *      gets one (crmscm._ensure_inventory) and the rows are locked again
 *      from the start;
 *   3. per line, in (tenant, order, line) order, with crmscm.internal on:
 *      the allocation computed here from the locked rows (their latest
 *      committed version: the lock follows the update chain, and this
 *      statement's own earlier lines are subtracted as they go), a backorder
 *      for what is missing, then inventory, reservations and the line's
 *      bookkeeping in one statement.
 *
 * The allocation follows _reserve()'s formula term by term (running sum
 * over the candidates, least(available, qty - before), qty - total), so the
 * numeric results carry the same scales.
 * ------------------------------------------------------------------------
 */

/* A new line read from the transition table */
typedef struct NewLine
{
	int64		tenant;
	int64		order_id;
	int32		line_no;
	int64		item;
	Datum		qty;
	bool		pref_null;
	int64		pref;
	text	   *status;
	Datum		qty_reserved;
	Datum		qty_backordered;
	Datum		qty_shipped;
	/* from the order */
	bool		have_order;
	int			order_status;	/* ORDER_* below */
	int32		priority;
	int64	   *rank;			/* the tenant's warehouses, nearest to ship_to first */
	int			nrank;
	bool		target_null;
	int64		target;			/* preferred, else nearest warehouse */
} NewLine;

#define ORDER_DRAFT			0
#define ORDER_CONFIRMED		1
#define ORDER_CANCELLED		2
#define ORDER_CLOSED		3

/* An inventory row locked by the statement */
typedef struct LockedInv
{
	int64		tenant;
	int64		item;
	int64		wh;
	Datum		available;
} LockedInv;

/* A candidate warehouse of one reservation */
typedef struct Cand
{
	LockedInv  *inv;
	int			rank;			/* position in the order's warehouse ranking */
} Cand;

/*
 * Plans of the insert path, prepared once per backend for the schema the
 * trigger function lives in (kept with SPI_keepplan: the plan cache
 * re-plans them when the tables change).  A different function (the
 * extension dropped and created again) or schema name prepares them anew.
 */
typedef struct ReservePlans
{
	Oid			fn_oid;
	char	   *nspname;		/* in TopMemoryContext */
	SPIPlanPtr	lock_orders;
	SPIPlanPtr	lock_inventory;
	SPIPlanPtr	ensure_inventory;
	SPIPlanPtr	ins_backorder;
	SPIPlanPtr	write_line;
} ReservePlans;

static ReservePlans reserve_plans;

static SPIPlanPtr
crmscm_keep_plan(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		elog(ERROR, "crmscm: SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "crmscm: SPI_keepplan failed");
	return plan;
}

static void
crmscm_free_plan(SPIPlanPtr *plan)
{
	if (*plan != NULL)
		SPI_freeplan(*plan);
	*plan = NULL;
}

/*
 * Make sure reserve_plans hold valid plans for the function fn_oid, whose
 * schema is nsp
 */
static void
crmscm_reserve_plans(Oid fn_oid, Oid nsp)
{
	char	   *nspname = get_namespace_name(nsp);
	const char *s;
	Oid			t[10];

	if (nspname == NULL)
		elog(ERROR, "crmscm: schema %u of function %u not found", nsp, fn_oid);
	if (reserve_plans.fn_oid == fn_oid && reserve_plans.nspname != NULL &&
		strcmp(reserve_plans.nspname, nspname) == 0)
		return;

	/* forget the old plans first: an error below leaves none half-valid */
	reserve_plans.fn_oid = InvalidOid;
	if (reserve_plans.nspname != NULL)
		pfree(reserve_plans.nspname);
	reserve_plans.nspname = NULL;
	crmscm_free_plan(&reserve_plans.lock_orders);
	crmscm_free_plan(&reserve_plans.lock_inventory);
	crmscm_free_plan(&reserve_plans.ensure_inventory);
	crmscm_free_plan(&reserve_plans.ins_backorder);
	crmscm_free_plan(&reserve_plans.write_line);

	s = quote_identifier(nspname);

	/*
	 * The orders of one tenant, FOR SHARE in order_id order (lock order);
	 * for a confirmed one, the tenant's warehouses nearest to its ship_to
	 * first (the order stock is taken in, and the first is where a
	 * backorder of a line without preferred warehouse waits)
	 */
	t[0] = INT8OID;
	t[1] = INT8ARRAYOID;
	reserve_plans.lock_orders = crmscm_keep_plan(psprintf(
		"SELECT o.order_id, o.status, o.priority,"
		"       CASE WHEN o.status OPERATOR(pg_catalog.=) 'confirmed' THEN"
		"         ARRAY(SELECT w.warehouse_id FROM %s.warehouses w"
		"                WHERE w.tenant_id OPERATOR(pg_catalog.=) o.tenant_id"
		"                ORDER BY %s.distance_km(w.location, o.ship_to) NULLS LAST, w.warehouse_id) END"
		"  FROM %s.sales_orders o"
		" WHERE o.tenant_id OPERATOR(pg_catalog.=) $1"
		"   AND o.order_id OPERATOR(pg_catalog.=) ANY ($2)"
		" ORDER BY o.order_id"
		"   FOR SHARE OF o", s, s, s), 2, t);

	/* every inventory row of the items of one tenant, in key order */
	reserve_plans.lock_inventory = crmscm_keep_plan(psprintf(
		"SELECT i.item_id, i.warehouse_id, i.available"
		"  FROM %s.inventory i"
		" WHERE i.tenant_id OPERATOR(pg_catalog.=) $1"
		"   AND i.item_id OPERATOR(pg_catalog.=) ANY ($2)"
		" ORDER BY i.item_id, i.warehouse_id"
		"   FOR NO KEY UPDATE OF i", s), 2, t);

	t[0] = INT8ARRAYOID;
	t[1] = INT8ARRAYOID;
	t[2] = INT8ARRAYOID;
	reserve_plans.ensure_inventory = crmscm_keep_plan(psprintf(
		"SELECT %s._ensure_inventory($1, $2, $3)", s), 3, t);

	t[0] = INT8OID;				/* tenant */
	t[1] = INT8OID;				/* order */
	t[2] = INT4OID;				/* line */
	t[3] = INT8OID;				/* item */
	t[4] = INT8OID;				/* warehouse */
	t[5] = NUMERICOID;			/* qty */
	t[6] = INT4OID;				/* priority */
	reserve_plans.ins_backorder = crmscm_keep_plan(psprintf(
		"INSERT INTO %s.backorders (tenant_id, order_id, line_no, item_id, warehouse_id, qty, priority)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7)", s), 7, t);

	/*
	 * One statement for the rest of a reservation (measured: each statement
	 * has a fixed cost that dominates these one-row writes): inventory
	 * reserved + delta per warehouse, the reservations (one per line and
	 * warehouse), the line's bookkeeping
	 */
	t[4] = INT8ARRAYOID;		/* inventory: warehouses */
	t[5] = NUMERICARRAYOID;		/* inventory: deltas */
	t[6] = INT8ARRAYOID;		/* reservations: warehouses */
	t[7] = NUMERICARRAYOID;		/* reservations: quantities */
	t[8] = NUMERICOID;			/* line: reserved */
	t[9] = NUMERICOID;			/* line: backordered */
	reserve_plans.write_line = crmscm_keep_plan(psprintf(
		"WITH inv AS ("
		"  UPDATE %s.inventory x"
		"     SET reserved = x.reserved OPERATOR(pg_catalog.+) ($6)[pg_catalog.array_position($5, x.warehouse_id)]"
		"   WHERE x.tenant_id OPERATOR(pg_catalog.=) $1 AND x.item_id OPERATOR(pg_catalog.=) $4"
		"     AND x.warehouse_id OPERATOR(pg_catalog.=) ANY ($5)"
		"), res AS ("
		"  INSERT INTO %s.reservations AS r (tenant_id, order_id, line_no, item_id, warehouse_id, qty)"
		"  SELECT $1, $2, $3, $4, u.w, u.q FROM ROWS FROM (pg_catalog.unnest($7), pg_catalog.unnest($8)) AS u(w, q)"
		"  ON CONFLICT (tenant_id, order_id, line_no, warehouse_id)"
		"  DO UPDATE SET qty = r.qty OPERATOR(pg_catalog.+) excluded.qty"
		")"
		"UPDATE %s.sales_order_lines l"
		"   SET qty_reserved = l.qty_reserved OPERATOR(pg_catalog.+) $9,"
		"       qty_backordered = l.qty_backordered OPERATOR(pg_catalog.+) $10"
		" WHERE l.tenant_id OPERATOR(pg_catalog.=) $1 AND l.order_id OPERATOR(pg_catalog.=) $2"
		"   AND l.line_no OPERATOR(pg_catalog.=) $3", s, s, s), 10, t);

	reserve_plans.nspname = MemoryContextStrdup(TopMemoryContext, nspname);
	reserve_plans.fn_oid = fn_oid;
}

static inline int
num_cmp(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

static inline Datum
num_add(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_add, a, b);
}

static inline Datum
num_sub(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_sub, a, b);
}

/* least(a, b) as SQL computes it: b only when strictly smaller */
static inline Datum
num_least(Datum a, Datum b)
{
	return num_cmp(b, a) < 0 ? b : a;
}

static inline bool
text_is(const text *t, const char *s)
{
	size_t		len = strlen(s);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

static int
newline_cmp(const void *a, const void *b)
{
	const NewLine *x = (const NewLine *) a;
	const NewLine *y = (const NewLine *) b;

	if (x->tenant != y->tenant)
		return x->tenant < y->tenant ? -1 : 1;
	if (x->order_id != y->order_id)
		return x->order_id < y->order_id ? -1 : 1;
	if (x->line_no != y->line_no)
		return x->line_no < y->line_no ? -1 : 1;
	return 0;
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * By the order's warehouse ranking (distance_km(location, ship_to) NULLS
 * LAST, warehouse_id); a warehouse created after the ranking was read goes
 * last, by id
 */
static int
cand_cmp(const void *a, const void *b)
{
	const Cand *x = (const Cand *) a;
	const Cand *y = (const Cand *) b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->inv->wh < y->inv->wh ? -1 : (x->inv->wh > y->inv->wh ? 1 : 0);
}

static Datum
int8_array(int64 *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static int64
spi_int8(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(tup, desc, col, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

/*
 * Lock every inventory row of the items of the confirmed lines, tenant by
 * tenant, each in (item_id, warehouse_id) order; returns the rows (sorted
 * by tenant, item, warehouse) in *rows.
 */
static int
crmscm_lock_inventory(NewLine **conf, int nconf, LockedInv **rows)
{
	int			cap = 16,
				n = 0,
				k = 0;
	LockedInv  *out = palloc(sizeof(LockedInv) * cap);
	int64	   *items = palloc(sizeof(int64) * nconf);

	while (k < nconf)
	{
		int64		tenant = conf[k]->tenant;
		int			nitems = 0,
					nuniq = 0,
					i,
					rc;
		Datum		args[2];
		SPITupleTable *tt;

		for (; k < nconf && conf[k]->tenant == tenant; k++)
			items[nitems++] = conf[k]->item;
		qsort(items, nitems, sizeof(int64), int64_cmp);
		for (i = 0; i < nitems; i++)
			if (nuniq == 0 || items[nuniq - 1] != items[i])
				items[nuniq++] = items[i];

		args[0] = Int64GetDatum(tenant);
		args[1] = int8_array(items, nuniq);
		rc = SPI_execute_plan(reserve_plans.lock_inventory, args, NULL, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "crmscm: locking inventory failed: %s", SPI_result_code_string(rc));
		tt = SPI_tuptable;
		for (i = 0; i < (int) SPI_processed; i++)
		{
			HeapTuple	tup = tt->vals[i];
			LockedInv  *r;
			bool		isnull;

			CHECK_FOR_INTERRUPTS();
			if (n == cap)
			{
				cap *= 2;
				out = repalloc(out, sizeof(LockedInv) * cap);
			}
			r = &out[n++];
			r->tenant = tenant;
			r->item = spi_int8(tup, tt->tupdesc, 1, &isnull);
			r->wh = spi_int8(tup, tt->tupdesc, 2, &isnull);
			r->available = datumCopy(SPI_getbinval(tup, tt->tupdesc, 3, &isnull), false, -1);
		}
		SPI_freetuptable(tt);
	}
	*rows = out;
	return n;
}

/* Index of the first locked row of (tenant, item), or -1 */
static int
crmscm_find_item(LockedInv *rows, int n, int64 tenant, int64 item)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (rows[mid].tenant < tenant || (rows[mid].tenant == tenant && rows[mid].item < item))
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && rows[lo].tenant == tenant && rows[lo].item == item) ? lo : -1;
}

static void
spi_exec_plan(SPIPlanPtr plan, Datum *args, const char *nulls, int expect)
{
	int			rc = SPI_execute_plan(plan, args, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "crmscm: SPI_execute_plan returned %s", SPI_result_code_string(rc));
}

/*
 * Reserve a new line's quantity: from its preferred warehouse only, else
 * from the warehouses with stock nearest to ship_to first; backorder the
 * rest at the preferred (else nearest) warehouse.  Same writes, in the
 * same order, as the PL/pgSQL _reserve() statement.
 */
static void
crmscm_reserve_line(NewLine *l, LockedInv *rows, int nrows, Datum zero, MemoryContext keep)
{
	int			first = crmscm_find_item(rows, nrows, l->tenant, l->item);
	int			nitem = 0,
				ncand = 0,
				i,
				j;
	Cand	   *cand;
	Datum	   *take;
	Datum		cum = zero,
				total = zero,
				rest;
	bool		any = false,
				bo_done = false;
	LockedInv  *bo_inv = NULL;
	Datum		args[10];
	Datum	   *inv_wh,
			   *inv_delta,
			   *res_wh,
			   *res_qty;
	int			ninv = 0,
				nres;

	/* the item's locked rows (this runs in a per-line memory context) */
	for (i = first; i >= 0 && i < nrows && rows[i].tenant == l->tenant && rows[i].item == l->item; i++)
		nitem++;
	cand = palloc(sizeof(Cand) * Max(nitem, 1));
	for (i = first; i >= 0 && i < nrows && rows[i].tenant == l->tenant && rows[i].item == l->item; i++)
	{
		if (num_cmp(rows[i].available, zero) <= 0)
			continue;
		if (!l->pref_null && rows[i].wh != l->pref)
			continue;
		cand[ncand].inv = &rows[i];
		cand[ncand].rank = INT_MAX;
		for (j = 0; j < l->nrank; j++)
			if (l->rank[j] == rows[i].wh)
			{
				cand[ncand].rank = j;
				break;
			}
		ncand++;
	}
	if (ncand > 1)
		qsort(cand, ncand, sizeof(Cand), cand_cmp);

	/* take: running sum cum; rows whose stock before them is < qty */
	take = palloc(sizeof(Datum) * Max(ncand, 1));
	inv_wh = palloc(sizeof(Datum) * (ncand + 1));
	inv_delta = palloc(sizeof(Datum) * (ncand + 1));
	res_wh = palloc(sizeof(Datum) * (ncand + 1));
	res_qty = palloc(sizeof(Datum) * (ncand + 1));
	for (i = 0; i < ncand; i++)
	{
		Datum		before;

		cum = (i == 0) ? cand[i].inv->available : num_add(cum, cand[i].inv->available);
		before = num_sub(cum, cand[i].inv->available);
		if (num_cmp(before, l->qty) < 0)
		{
			take[i] = num_least(cand[i].inv->available, num_sub(l->qty, before));
			total = any ? num_add(total, take[i]) : take[i];
			any = true;
		}
		else
			take[i] = (Datum) 0;
	}

	/* what cannot be reserved waits at the preferred, else nearest, warehouse */
	rest = num_sub(l->qty, total);
	if (num_cmp(total, l->qty) < 0)
	{
		int64		wh = l->pref_null ? l->target : l->pref;

		args[0] = Int64GetDatum(l->tenant);
		args[1] = Int64GetDatum(l->order_id);
		args[2] = Int32GetDatum(l->line_no);
		args[3] = Int64GetDatum(l->item);
		args[4] = Int64GetDatum(wh);
		args[5] = rest;
		args[6] = Int32GetDatum(l->priority);
		spi_exec_plan(reserve_plans.ins_backorder, args, NULL, SPI_OK_INSERT);
		for (i = first; i >= 0 && i < nrows && rows[i].tenant == l->tenant && rows[i].item == l->item; i++)
			if (rows[i].wh == wh)
				bo_inv = &rows[i];
		if (bo_inv == NULL)			/* _lock_items created it: cannot happen */
			elog(ERROR, "crmscm: inventory row of item " INT64_FORMAT " in warehouse " INT64_FORMAT " not locked",
				 l->item, wh);
	}

	/*
	 * inventory: reserved + what is taken; the backorder's row gets a new
	 * version too (+0), so that REPEATABLE READ transactions reading this
	 * queue with an older snapshot get a serialization error on it
	 */
	for (i = 0; i < ncand; i++)
	{
		if (take[i] == (Datum) 0)
			continue;
		inv_wh[ninv] = Int64GetDatum(cand[i].inv->wh);
		inv_delta[ninv] = take[i];
		if (cand[i].inv == bo_inv)
		{
			inv_delta[ninv] = num_add(take[i], zero);
			bo_done = true;
		}
		ninv++;
		/* the locked rows outlive this line: later lines of the statement */
		{
			MemoryContext old = MemoryContextSwitchTo(keep);

			cand[i].inv->available = num_sub(cand[i].inv->available, take[i]);
			MemoryContextSwitchTo(old);
		}
	}
	nres = ninv;
	if (bo_inv != NULL && !bo_done)
	{
		inv_wh[ninv] = Int64GetDatum(bo_inv->wh);
		inv_delta[ninv] = zero;
		ninv++;
	}

	/* reservations (one per line and warehouse): the taken quantities */
	for (i = 0, j = 0; i < ncand; i++)
		if (take[i] != (Datum) 0)
		{
			res_wh[j] = Int64GetDatum(cand[i].inv->wh);
			res_qty[j++] = take[i];
		}

	args[0] = Int64GetDatum(l->tenant);
	args[1] = Int64GetDatum(l->order_id);
	args[2] = Int32GetDatum(l->line_no);
	args[3] = Int64GetDatum(l->item);
	args[4] = PointerGetDatum(construct_array(inv_wh, ninv, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[5] = PointerGetDatum(construct_array(inv_delta, ninv, NUMERICOID, -1, false, TYPALIGN_INT));
	args[6] = PointerGetDatum(construct_array(res_wh, nres, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[7] = PointerGetDatum(construct_array(res_qty, nres, NUMERICOID, -1, false, TYPALIGN_INT));
	args[8] = total;
	args[9] = rest;
	spi_exec_plan(reserve_plans.write_line, args, NULL, SPI_OK_UPDATE);
}

/* Trigger: lines inserted into confirmed orders reserve stock or are backordered */
PG_FUNCTION_INFO_V1(crmscm_lines_after_insert);
Datum
crmscm_lines_after_insert(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Tuplestorestate *ts;
	TupleDesc	desc;
	TupleTableSlot *slot;
	int			att_tenant,
				att_order,
				att_line,
				att_item,
				att_qty,
				att_wh,
				att_status,
				att_res,
				att_bo,
				att_ship;
	NewLine    *lines;
	NewLine   **conf;
	int			nlines = 0,
				cap = 16,
				nconf = 0,
				nrows,
				i,
				k;
	LockedInv  *rows;
	Datum		zero;
	bool		missing = false;
	int			gucnest;
	HeapTuple	proctup;
	MemoryContext linecxt;
	Oid			fn_nsp,
				fn_owner,
				save_userid;
	int			save_sec_context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_lines_after_insert: not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		trigdata->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_lines_after_insert: must be fired AFTER INSERT FOR EACH STATEMENT with a NEW TABLE")));

	ts = trigdata->tg_newtable;
	desc = RelationGetDescr(trigdata->tg_relation);
	att_tenant = SPI_fnumber(desc, "tenant_id");
	att_order = SPI_fnumber(desc, "order_id");
	att_line = SPI_fnumber(desc, "line_no");
	att_item = SPI_fnumber(desc, "item_id");
	att_qty = SPI_fnumber(desc, "qty");
	att_wh = SPI_fnumber(desc, "warehouse_id");
	att_status = SPI_fnumber(desc, "status");
	att_res = SPI_fnumber(desc, "qty_reserved");
	att_bo = SPI_fnumber(desc, "qty_backordered");
	att_ship = SPI_fnumber(desc, "qty_shipped");
	if (att_tenant <= 0 || att_order <= 0 || att_line <= 0 || att_item <= 0 || att_qty <= 0 ||
		att_wh <= 0 || att_status <= 0 || att_res <= 0 || att_bo <= 0 || att_ship <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_lines_after_insert: \"%s\" is not an order-line table",
						RelationGetRelationName(trigdata->tg_relation))));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm: SPI_connect failed");

	/* the new lines, copied out of the transition table */
	lines = palloc(sizeof(NewLine) * cap);
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	k = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(ts, k);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		NewLine    *l;
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		if (nlines == cap)
		{
			if ((Size) cap * 2 * sizeof(NewLine) > MaxAllocSize)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many order lines in one statement: more than %d", cap)));
			cap *= 2;
			lines = repalloc(lines, sizeof(NewLine) * cap);
		}
		l = &lines[nlines++];
		memset(l, 0, sizeof(NewLine));
		slot_getallattrs(slot);
		/* NOT NULL columns: the constraints have run before this trigger */
		if (slot->tts_isnull[att_tenant - 1] || slot->tts_isnull[att_order - 1] ||
			slot->tts_isnull[att_line - 1] || slot->tts_isnull[att_item - 1] ||
			slot->tts_isnull[att_qty - 1] || slot->tts_isnull[att_status - 1] ||
			slot->tts_isnull[att_res - 1] || slot->tts_isnull[att_bo - 1] ||
			slot->tts_isnull[att_ship - 1])
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("new order line has a NULL key, item, quantity or status")));
		l->tenant = DatumGetInt64(slot->tts_values[att_tenant - 1]);
		l->order_id = DatumGetInt64(slot->tts_values[att_order - 1]);
		l->line_no = DatumGetInt32(slot->tts_values[att_line - 1]);
		l->item = DatumGetInt64(slot->tts_values[att_item - 1]);
		l->qty = datumCopy(slot->tts_values[att_qty - 1], false, -1);
		isnull = slot->tts_isnull[att_wh - 1];
		l->pref_null = isnull;
		l->pref = isnull ? 0 : DatumGetInt64(slot->tts_values[att_wh - 1]);
		l->status = DatumGetTextPCopy(slot->tts_values[att_status - 1]);
		l->qty_reserved = datumCopy(slot->tts_values[att_res - 1], false, -1);
		l->qty_backordered = datumCopy(slot->tts_values[att_bo - 1], false, -1);
		l->qty_shipped = datumCopy(slot->tts_values[att_ship - 1], false, -1);
	}
	ExecDropSingleTupleTableSlot(slot);
	if (nlines == 0)
	{
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	qsort(lines, nlines, sizeof(NewLine), newline_cmp);

	/*
	 * Run as the function's owner (crmscm's tables and the guard's
	 * crmscm.internal check need the owner's rights), like SECURITY DEFINER,
	 * but switched here rather than declared: a SECURITY DEFINER function
	 * must pin search_path, and the foreign-key checks our UPDATE of the new
	 * lines fires share their cached plans with the checks of the user's
	 * INSERT itself; a different search_path inside made the plan cache
	 * re-analyse and re-plan both on every statement (measured: a third of
	 * the line UPDATE).  Every name in our statements is schema-qualified,
	 * so the caller's search_path cannot change what they mean.  An error
	 * restores the user with the (sub)transaction abort, as for SECURITY
	 * DEFINER.
	 */
	proctup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(proctup))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	fn_nsp = ((Form_pg_proc) GETSTRUCT(proctup))->pronamespace;
	fn_owner = ((Form_pg_proc) GETSTRUCT(proctup))->proowner;
	ReleaseSysCache(proctup);
	/* it writes with its owner's rights: only for crmscm's own order lines */
	if (RelationGetNamespace(trigdata->tg_relation) != fn_nsp ||
		strcmp(RelationGetRelationName(trigdata->tg_relation), "sales_order_lines") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_lines_after_insert: must be fired by sales_order_lines of its own schema, not by \"%s\"",
						RelationGetRelationName(trigdata->tg_relation))));
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(fn_owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);

	crmscm_reserve_plans(fcinfo->flinfo->fn_oid, fn_nsp);

	/*
	 * 1. The orders first (lock order): confirming or cancelling one waits
	 * for these lines, and we act on the order's latest status.
	 */
	{
		int64	   *orders = palloc(sizeof(int64) * nlines);

		k = 0;
		while (k < nlines)
		{
			int64		tenant = lines[k].tenant;
			int			first = k,
						norders = 0,
						j = 0,
						rc;
			Datum		args[2];
			SPITupleTable *tt;

			for (; k < nlines && lines[k].tenant == tenant; k++)
				if (norders == 0 || orders[norders - 1] != lines[k].order_id)
					orders[norders++] = lines[k].order_id;
			args[0] = Int64GetDatum(tenant);
			args[1] = int8_array(orders, norders);
			rc = SPI_execute_plan(reserve_plans.lock_orders, args, NULL, false, 0);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "crmscm: locking orders failed: %s", SPI_result_code_string(rc));
			tt = SPI_tuptable;
			/* match the sorted orders with the tenant's sorted lines */
			for (i = 0; i < (int) SPI_processed; i++)
			{
				HeapTuple	tup = tt->vals[i];
				bool		isnull;
				int64		order_id = spi_int8(tup, tt->tupdesc, 1, &isnull);
				text	   *status;
				int			ostatus;
				bool		rank_null,
							prio_null;
				int32		priority;
				Datum		rankd;
				int64	   *rank = NULL;
				int			nrank = 0;

				CHECK_FOR_INTERRUPTS();
				status = DatumGetTextPP(SPI_getbinval(tup, tt->tupdesc, 2, &isnull));
				if (text_is(status, "confirmed"))
					ostatus = ORDER_CONFIRMED;
				else if (text_is(status, "cancelled"))
					ostatus = ORDER_CANCELLED;
				else if (text_is(status, "closed"))
					ostatus = ORDER_CLOSED;
				else
					ostatus = ORDER_DRAFT;
				priority = DatumGetInt32(SPI_getbinval(tup, tt->tupdesc, 3, &prio_null));
				rankd = SPI_getbinval(tup, tt->tupdesc, 4, &rank_null);
				if (!rank_null)
				{
					ArrayType  *arr = DatumGetArrayTypeP(rankd);
					Datum	   *elems;
					bool	   *nulls;
					int			e;

					deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
									  &elems, &nulls, &nrank);
					rank = palloc(sizeof(int64) * Max(nrank, 1));
					for (e = 0; e < nrank; e++)
						rank[e] = nulls[e] ? 0 : DatumGetInt64(elems[e]);
				}
				for (j = first; j < k && lines[j].order_id < order_id; j++)
					;
				first = j;
				for (; j < k && lines[j].order_id == order_id; j++)
				{
					lines[j].have_order = true;
					lines[j].order_status = ostatus;
					lines[j].priority = prio_null ? 0 : priority;
					lines[j].rank = rank;
					lines[j].nrank = nrank;
					lines[j].target_null = lines[j].pref_null && nrank == 0;
					lines[j].target = lines[j].pref_null ? (nrank > 0 ? rank[0] : 0) : lines[j].pref;
				}
				first = j;
			}
			SPI_freetuptable(tt);
		}
	}

	/* the checks, line by line in (tenant, order, line) order */
	zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	conf = palloc(sizeof(NewLine *) * nlines);
	for (i = 0; i < nlines; i++)
	{
		NewLine    *l = &lines[i];

		CHECK_FOR_INTERRUPTS();
		if (!l->have_order)
			continue;			/* no such order: its foreign key has failed */
		if (l->order_status == ORDER_CANCELLED)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("cannot add line %d to order " INT64_FORMAT ": the order is cancelled",
							l->line_no, l->order_id)));
		else if (l->order_status == ORDER_CLOSED)
		{
			/* history import: shipped (qty_shipped = qty) or cancelled lines, no stock */
			if (!(((text_is(l->status, "shipped") && num_cmp(l->qty_shipped, l->qty) == 0) ||
				   (text_is(l->status, "cancelled") && num_cmp(l->qty_shipped, l->qty) <= 0)) &&
				  num_cmp(l->qty_reserved, zero) == 0 && num_cmp(l->qty_backordered, zero) == 0))
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("cannot add line %d to order " INT64_FORMAT ": the order is closed",
								l->line_no, l->order_id),
						 errhint("Lines of closed orders are history: status shipped with qty_shipped = qty, or cancelled.")));
		}
		else if (!text_is(l->status, "open") || num_cmp(l->qty_reserved, zero) != 0 ||
				 num_cmp(l->qty_backordered, zero) != 0 || num_cmp(l->qty_shipped, zero) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("new line %d of order " INT64_FORMAT " must be open with nothing reserved, backordered or shipped",
							l->line_no, l->order_id),
					 errhint("crmscm maintains status and the qty_* columns; history goes into closed orders.")));
		else if (l->order_status == ORDER_CONFIRMED)
		{
			if (l->target_null)
				ereport(ERROR,
						(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
						 errmsg("tenant " INT64_FORMAT " has no warehouse to reserve or backorder item " INT64_FORMAT,
								l->tenant, l->item)));
			conf[nconf++] = l;
		}
	}
	if (nconf == 0)
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
		SPI_finish();
		return PointerGetDatum(NULL);
	}

	/*
	 * 2. Every inventory row of the items, in key order.  A backorder target
	 * without inventory row: create the missing rows (empty, in key order),
	 * then lock again from the start.
	 */
	nrows = crmscm_lock_inventory(conf, nconf, &rows);
	for (i = 0; i < nconf && !missing; i++)
	{
		int			j = crmscm_find_item(rows, nrows, conf[i]->tenant, conf[i]->item);
		bool		found = false;

		for (; j >= 0 && j < nrows && rows[j].tenant == conf[i]->tenant && rows[j].item == conf[i]->item; j++)
			if (rows[j].wh == conf[i]->target)
				found = true;
		missing = !found;
	}
	if (missing)
	{
		int64	   *t = palloc(sizeof(int64) * nconf);
		int64	   *it = palloc(sizeof(int64) * nconf);
		int64	   *w = palloc(sizeof(int64) * nconf);
		Datum		args[3];

		for (i = 0; i < nconf; i++)
		{
			t[i] = conf[i]->tenant;
			it[i] = conf[i]->item;
			w[i] = conf[i]->target;
		}
		args[0] = int8_array(t, nconf);
		args[1] = int8_array(it, nconf);
		args[2] = int8_array(w, nconf);
		spi_exec_plan(reserve_plans.ensure_inventory, args, NULL, SPI_OK_SELECT);
		nrows = crmscm_lock_inventory(conf, nconf, &rows);
	}

	/* 3. Reserve line by line, writing bookkeeping columns as crmscm */
	gucnest = NewGUCNestLevel();
	(void) set_config_option(INTERNAL_SETTING, "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	linecxt = AllocSetContextCreate(CurrentMemoryContext, "crmscm reserve line", ALLOCSET_SMALL_SIZES);
	for (i = 0; i < nconf; i++)
	{
		MemoryContext outer = MemoryContextSwitchTo(linecxt);

		CHECK_FOR_INTERRUPTS();
		crmscm_reserve_line(conf[i], rows, nrows, zero, outer);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(linecxt);
	}
	AtEOXact_GUC(true, gucnest);

	SetUserIdAndSecContext(save_userid, save_sec_context);
	SPI_finish();
	return PointerGetDatum(NULL);
}
