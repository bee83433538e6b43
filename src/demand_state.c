/*
 * demand_state.c — demand per item and warehouse kept current at commit
 * (issue #18, doc/replenishment.md).
 *
 * What counts: a line of a confirmed or closed order that is not
 * cancelled, on the UTC day of the order's ordered_at, for its warehouse,
 * or (without one) for the warehouses where it is reserved, backordered or
 * was shipped; revenue qty * unit_price.  The same rule as the view
 * crmscm.demand_history, which reorder_rebuild() and the full recompute
 * read.
 *
 * Statement time (no lock, no read but one): every change of a line
 * (insert, update of qty, price, status, item or warehouse, delete) writes a
 * NOTE_DEMAND into the reservation engine's notes with the line's values
 * before the change (for a line without a warehouse also where it was held,
 * read in a new snapshot: the line is locked by the change, so nobody moves
 * its stock meanwhile); an insert counted for nothing.  A change of an
 * order's status or day (or its delete) notes the order.  The notes follow
 * sub-transactions with the engine's (reserve_notes.c).
 *
 * Commit: a stage of the pass (reserve_stages.c), after the inventory rows:
 *   1. lock the demand_orders rows of the noted orders in key order: the
 *      status (counted or not) and day each order's lines were booked under;
 *   2. read, in a new statement, the orders and noted lines as they are now
 *      (and all lines of an order whose status or day changed);
 *   3. per line, what it counts for now minus what it counted for when it
 *      was last booked (its earliest pending note, under the booked order):
 *      deltas per (item, warehouse, day); rebook the orders that changed;
 *   4. lock the demand_state rows of the items in (item, warehouse) order,
 *      creating the missing ones;
 *   5. add the deltas to demand_days (key order; returns the new totals);
 *   6. only where needed: roll a row's window forward to yesterday (once a
 *      day per row: fold demand_days of the days since, trim the front),
 *      patch a back-dated day in its series, or move pending_from back.
 * The booked order is what makes a line change and a concurrent change of
 * its order agree: whichever commits second waits for the first's
 * demand_orders row and reads what it committed.  Lock order: inventory,
 * demand_orders, demand_state, demand_days.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "demand_window.h"
#include "replenishment.h"
#include "trigger_tuple.h"
#include "reserve_model.h"

/* the elements of an array known to have no NULLs (ARR_DATA_PTR trips -Wsign-compare) */
#define ARR_NONULL_DATA(a) ((void *) (((char *) (a)) + ARR_OVERHEAD_NONULLS(ARR_NDIM(a))))

/* A line before a change (Note.extra of a NOTE_DEMAND of a line) */
typedef struct DemandSnap
{
	bool		existed;		/* false: inserted, it counted for nothing */
	bool		cancelled;
	int64		item;
	bool		wh_null;
	int64		wh;
	Datum		qty;			/* numeric */
	Datum		price;			/* numeric */
	int			ndist;			/* without a warehouse: where it was held */
	int64	   *dist_wh;
	Datum	   *dist_qty;
} DemandSnap;

#define EQ " OPERATOR(pg_catalog.=) "

/* the distribution of a line without a warehouse: reserved + backordered + shipped per warehouse */
#define DIST_SQL(s, o, l, cond) \
	"SELECT x.w, pg_catalog.sum(x.q) AS q FROM (" \
	"  SELECT r.warehouse_id AS w, r.qty AS q FROM " s ".reservations r" \
	"   WHERE r.tenant_id" EQ "$1 AND r.order_id" EQ o " AND r.line_no" EQ l " AND " cond \
	"  UNION ALL" \
	"  SELECT b.warehouse_id, b.qty FROM " s ".backorders b" \
	"   WHERE b.tenant_id" EQ "$1 AND b.order_id" EQ o " AND b.line_no" EQ l " AND " cond \
	"  UNION ALL" \
	"  SELECT m.warehouse_id, OPERATOR(pg_catalog.-) m.qty FROM " s ".stock_moves m" \
	"   WHERE m.tenant_id" EQ "$1 AND m.order_id" EQ o " AND m.line_no" EQ l " AND " cond \
	"     AND m.kind" EQ "'shipment') x GROUP BY x.w"

/* only for a line without a warehouse that is not cancelled (a one-time filter per line) */
#define HELD_ONLY "l.warehouse_id IS NULL AND l.status OPERATOR(pg_catalog.<>) 'cancelled'"

/* the columns of a line as the stage reads it, with its distribution */
#define LINE_COLS "l.order_id, l.line_no, l.item_id, l.warehouse_id, l.qty, l.unit_price, l.status, d.w, d.q"

/* ------------------------------------------------------------------------
 * prepared statements
 * ------------------------------------------------------------------------
 */
/*
 * A kept statement in two forms: over arrays of keys (custom plans: the
 * planner sees how many keys there are), and, where a commit mostly has
 * one key, by that key (a generic plan, made once per backend; custom on
 * Citus).  A custom plan is made again at every execution, and planning
 * these statements cost more than running them for the one line of an
 * ordinary insert (bench/replenishment_overhead.sh).  By key, not over a
 * one-element array: a generic plan over arrays is made once, possibly while
 * the tables were small, and an index scan on the tenant alone, filtered,
 * chosen then costs more with every row the table gains; by its whole key,
 * planned with sequential scans off (crmscm_exec_by_key(), reserve.c), the
 * plan is an index scan whatever the size.  The lock of demand_state rows
 * by one key takes that row only, the form over arrays every row of the
 * items: either way in (item, warehouse) order.
 */
typedef struct Kept
{
	SPIPlanPtr	many;			/* $2... arrays of keys */
	SPIPlanPtr	one;			/* the same arguments as scalars, or NULL */
	int			nargs;
	Oid			elem[8];		/* element type of argument i of many, or InvalidOid */
} Kept;

typedef struct DemandPlans
{
	Oid			nsp;
	Kept		snap_dist;		/* a line's distribution */
	Kept		book_lock;		/* demand_orders rows, FOR NO KEY UPDATE */
	Kept		orders;			/* orders now */
	Kept		lines;			/* noted lines now */
	Kept		order_lines;	/* every line of orders now */
	Kept		rebook;			/* demand_orders of changed orders */
	Kept		lock;			/* demand_state rows of items, FOR NO KEY UPDATE */
	Kept		ensure;			/* missing demand_state rows */
	Kept		days;			/* deltas into demand_days */
	Kept		read;			/* series and days to fold of rows to roll */
	Kept		write;			/* rolled or patched rows */
	Kept		pending;		/* pending_from moved back */
} DemandPlans;

static DemandPlans dp;

static SPIPlanPtr
keep1(const char *sql, int nargs, Oid *types, int options)
{
	return crmscm_keep_plan("demand state", sql, nargs, types, options);
}

/* the statement over arrays; one_sql: the same by one key (or NULL) */
static Kept
keep(const char *sql, int nargs, Oid *types, const char *one_sql)
{
	Kept		k;
	Oid			scalar[8];
	int			i;

	Assert(nargs <= 8);
	memset(&k, 0, sizeof(k));
	k.nargs = nargs;
	for (i = 0; i < nargs; i++)
	{
		k.elem[i] = get_element_type(types[i]);
		scalar[i] = OidIsValid(k.elem[i]) ? k.elem[i] : types[i];
	}
	k.many = keep1(sql, nargs, types, crmscm_plan_options_for(nargs, types));
	if (one_sql != NULL)
		k.one = keep1(one_sql, nargs, scalar, crmscm_plan_options(true));
	return k;
}

/*
 * The statements are made again every DEMAND_REPLAN_EVERY uses.  A generic
 * plan by one key is made once and kept until its tables are analyzed: made
 * while a table was small or empty (reservations, backorders), it may scan
 * an index on the tenant alone and filter, a tie the planner breaks either
 * way at that size, and that scan grows with every row the table gains
 * (1.0 ms per reserving insert after 2,800 inserts, most of the demand
 * stage's cost in bench/replenishment_overhead.sh) until autovacuum's
 * ANALYZE invalidates it.  Made again later, the planner sees the table's
 * current size and takes the index on the whole key.  About 2 ms of
 * planning per 1,000 commits.
 */
#define DEMAND_REPLAN_EVERY 1000
static uint32 dp_uses = 0;

static void
demand_plans_free(void)
{
	Kept	   *all[] = {&dp.snap_dist, &dp.book_lock, &dp.orders, &dp.lines, &dp.order_lines, &dp.rebook,
		&dp.lock, &dp.ensure, &dp.days, &dp.read, &dp.write, &dp.pending};
	size_t		i;

	StaticAssertStmt(sizeof(DemandPlans) == offsetof(DemandPlans, snap_dist) + 12 * sizeof(Kept),
					 "demand_plans_free() frees every Kept of DemandPlans");
	for (i = 0; i < lengthof(all); i++)
	{
		if (all[i]->many != NULL)
			SPI_freeplan(all[i]->many);
		if (all[i]->one != NULL)
			SPI_freeplan(all[i]->one);
		all[i]->many = all[i]->one = NULL;
	}
}

static void
demand_plans(Oid nsp)
{
	char	   *s;

	if (dp.nsp == nsp && ++dp_uses < DEMAND_REPLAN_EVERY)
		return;
	if (dp.nsp != InvalidOid)
	{
		dp.nsp = InvalidOid;
		demand_plans_free();
	}
	dp_uses = 0;
	s = (char *) quote_identifier(get_namespace_name(nsp));

	dp.snap_dist = keep(psprintf(DIST_SQL("%s", "$2", "$3", "true"), s, s, s), 3, (Oid[]) {INT8OID, INT8OID, INT4OID}, NULL);
	dp.book_lock = keep(psprintf(
		"SELECT b.order_id, b.day FROM %s.demand_orders b"
		" WHERE b.tenant_id" EQ "$1 AND b.order_id" EQ "ANY ($2)"
		" ORDER BY b.order_id FOR NO KEY UPDATE", s), 2, (Oid[]) {INT8OID, INT8ARRAYOID},
		psprintf("SELECT b.order_id, b.day FROM %s.demand_orders b"
				 " WHERE b.tenant_id" EQ "$1 AND b.order_id" EQ "$2 FOR NO KEY UPDATE", s));
	dp.orders = keep(psprintf(
		"SELECT o.order_id, o.status, (o.ordered_at AT TIME ZONE 'UTC')::date FROM %s.sales_orders o"
		" WHERE o.tenant_id" EQ "$1 AND o.order_id" EQ "ANY ($2)", s), 2, (Oid[]) {INT8OID, INT8ARRAYOID},
		psprintf("SELECT o.order_id, o.status, (o.ordered_at AT TIME ZONE 'UTC')::date FROM %s.sales_orders o"
				 " WHERE o.tenant_id" EQ "$1 AND o.order_id" EQ "$2", s));
	dp.lines = keep(psprintf(
		"SELECT " LINE_COLS
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS k(o, n)"
		"  JOIN %s.sales_order_lines l ON l.tenant_id" EQ "$1 AND l.order_id" EQ "k.o AND l.line_no" EQ "k.n"
		"  LEFT JOIN LATERAL (" DIST_SQL("%s", "l.order_id", "l.line_no", HELD_ONLY) ") d ON true", s, s, s, s),
		3, (Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID},
		psprintf("SELECT " LINE_COLS
				 "  FROM %s.sales_order_lines l"
				 "  LEFT JOIN LATERAL (" DIST_SQL("%s", "$2", "$3", HELD_ONLY) ") d ON true"
				 " WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "$2 AND l.line_no" EQ "$3", s, s, s, s));
	dp.order_lines = keep(psprintf(
		"SELECT " LINE_COLS
		"  FROM %s.sales_order_lines l"
		"  LEFT JOIN LATERAL (" DIST_SQL("%s", "l.order_id", "l.line_no", HELD_ONLY) ") d ON true"
		" WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "ANY ($2)", s, s, s, s),
		2, (Oid[]) {INT8OID, INT8ARRAYOID}, NULL);
	dp.rebook = keep(psprintf(
		"WITH gone AS (DELETE FROM %s.demand_orders b"
		"               WHERE b.tenant_id" EQ "$1 AND b.order_id" EQ "ANY ($2))"
		" INSERT INTO %s.demand_orders AS b (tenant_id, order_id, day)"
		" SELECT $1, u.o, u.d FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(o, d)"
		"  ORDER BY u.o"
		" ON CONFLICT (tenant_id, order_id) DO UPDATE SET day = excluded.day", s, s), 4,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT8ARRAYOID, DATEARRAYOID}, NULL);
	/* one: by (item, warehouse), $3 (lock_rows()) */
	dp.lock = keep(psprintf(
		"SELECT s.item_id, s.warehouse_id, s.anchor, s.series_from, s.pending_from FROM %s.demand_state s"
		" WHERE s.tenant_id" EQ "$1 AND s.item_id" EQ "ANY ($2)"
		" ORDER BY s.item_id, s.warehouse_id FOR NO KEY UPDATE", s), 2, (Oid[]) {INT8OID, INT8ARRAYOID}, NULL);
	dp.lock.one = keep1(psprintf(
		"SELECT s.item_id, s.warehouse_id, s.anchor, s.series_from, s.pending_from FROM %s.demand_state s"
		" WHERE s.tenant_id" EQ "$1 AND s.item_id" EQ "$2 AND s.warehouse_id" EQ "$3 FOR NO KEY UPDATE", s),
		3, (Oid[]) {INT8OID, INT8OID, INT8OID}, crmscm_plan_options(true));
	dp.ensure = keep(psprintf(
		"INSERT INTO %s.demand_state (tenant_id, item_id, warehouse_id, anchor, series_from)"
		" SELECT $1, u.i, u.w, $4, $5 FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS u(i, w)"
		" ORDER BY u.i, u.w ON CONFLICT DO NOTHING", s), 5,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT8ARRAYOID, DATEOID, DATEOID},
		psprintf("INSERT INTO %s.demand_state (tenant_id, item_id, warehouse_id, anchor, series_from)"
				 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", s));
	dp.days = keep(psprintf(
		"INSERT INTO %s.demand_days AS x (tenant_id, item_id, warehouse_id, day, qty, revenue)"
		" SELECT $1, u.i, u.w, u.d, u.q, u.r"
		"   FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4),"
		"                   pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(i, w, d, q, r)"
		"  ORDER BY u.i, u.w, u.d"
		" ON CONFLICT (tenant_id, item_id, warehouse_id, day) DO UPDATE"
		"   SET qty = x.qty OPERATOR(pg_catalog.+) excluded.qty,"
		"       revenue = x.revenue OPERATOR(pg_catalog.+) excluded.revenue"
		" RETURNING x.item_id, x.warehouse_id, x.day, x.qty, x.revenue", s), 6,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT8ARRAYOID, DATEARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID},
		psprintf("INSERT INTO %s.demand_days AS x (tenant_id, item_id, warehouse_id, day, qty, revenue)"
				 " VALUES ($1, $2, $3, $4, $5, $6)"
				 " ON CONFLICT (tenant_id, item_id, warehouse_id, day) DO UPDATE"
				 "   SET qty = x.qty OPERATOR(pg_catalog.+) excluded.qty,"
				 "       revenue = x.revenue OPERATOR(pg_catalog.+) excluded.revenue"
				 " RETURNING x.item_id, x.warehouse_id, x.day, x.qty, x.revenue", s));
	dp.read = keep(psprintf(
		"SELECT s.item_id, s.warehouse_id, s.series, p.d, p.q, p.r,"
		"       (SELECT pg_catalog.min(z.day) FROM %s.demand_days z"
		"         WHERE z.tenant_id" EQ "$1 AND z.item_id" EQ "s.item_id AND z.warehouse_id" EQ "s.warehouse_id"
		"           AND z.day OPERATOR(pg_catalog.>) GREATEST(s.anchor, $4))"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS k(i, w)"
		"  JOIN %s.demand_state s ON s.tenant_id" EQ "$1 AND s.item_id" EQ "k.i AND s.warehouse_id" EQ "k.w"
		"  LEFT JOIN LATERAL (SELECT pg_catalog.array_agg(y.day ORDER BY y.day) AS d,"
		"                            pg_catalog.array_agg(y.qty::float8 ORDER BY y.day) AS q,"
		"                            pg_catalog.array_agg(y.revenue::float8 ORDER BY y.day) AS r"
		"                       FROM %s.demand_days y"
		"                      WHERE y.tenant_id" EQ "$1 AND y.item_id" EQ "s.item_id"
		"                        AND y.warehouse_id" EQ "s.warehouse_id"
		"                        AND y.day OPERATOR(pg_catalog.>) s.anchor AND y.day OPERATOR(pg_catalog.<=) $4) p ON true",
		s, s, s), 4, (Oid[]) {INT8OID, INT8ARRAYOID, INT8ARRAYOID, DATEOID}, NULL);
	dp.write = keep(psprintf(
		"UPDATE %s.demand_state x SET anchor = u.a, series_from = u.f, pending_from = u.p, series = u.s,"
		"       updated_at = pg_catalog.now()"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4),"
		"                  pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)) AS u(i, w, a, f, p, s)"
		" WHERE x.tenant_id" EQ "$1 AND x.item_id" EQ "u.i AND x.warehouse_id" EQ "u.w", s), 7,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT8ARRAYOID, DATEARRAYOID, DATEARRAYOID, DATEARRAYOID, BYTEAARRAYOID},
		psprintf("UPDATE %s.demand_state x SET anchor = $4, series_from = $5, pending_from = $6, series = $7,"
				 "       updated_at = pg_catalog.now()"
				 " WHERE x.tenant_id" EQ "$1 AND x.item_id" EQ "$2 AND x.warehouse_id" EQ "$3", s));
	dp.pending = keep(psprintf(
		"UPDATE %s.demand_state x SET pending_from = u.p, updated_at = pg_catalog.now()"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(i, w, p)"
		" WHERE x.tenant_id" EQ "$1 AND x.item_id" EQ "u.i AND x.warehouse_id" EQ "u.w", s), 4,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT8ARRAYOID, DATEARRAYOID},
		psprintf("UPDATE %s.demand_state x SET pending_from = $4, updated_at = pg_catalog.now()"
				 " WHERE x.tenant_id" EQ "$1 AND x.item_id" EQ "$2 AND x.warehouse_id" EQ "$3", s));
	dp.nsp = nsp;
}

/* ---- small helpers ---- */

static bool
is_text(Datum d, const char *s)
{
	text	   *t = DatumGetTextPP(d);
	size_t		len = strlen(s);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

static bool
order_counts(Datum status)
{
	return is_text(status, "confirmed") || is_text(status, "closed");
}

static Datum
copy_num(Datum d)
{
	return datumCopy(d, false, -1);
}

static int32
utc_day(TimestampTz t)
{
	return DatumGetDateADT(DirectFunctionCall1(timestamp_date,
											   DirectFunctionCall2(timestamptz_zone, CStringGetTextDatum("UTC"),
																   TimestampTzGetDatum(t))));
}

/*
 * Run a kept SELECT as crmscm (the extension owner's rights), not
 * read-only: at READ COMMITTED it takes a new snapshot.
 */
static void
run_as_owner(Kept *plan, Datum *args)
{
	if (engine_run(plan->many, args, NULL, false, true) != SPI_OK_SELECT)
		elog(ERROR, "crmscm demand state: reading where a line is held failed");
}

/* ------------------------------------------------------------------------
 * statement time
 * ------------------------------------------------------------------------
 */

/*
 * AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on sales_order_lines (for
 * UPDATE, WHEN qty, unit_price, status, item or warehouse changed): note the
 * line as it was.  crmscm's own writes do not change what a line counts for
 * (reservations become shipments in the same warehouse), except the lines an
 * order's cancel cancels: those are noted.
 */
PG_FUNCTION_INFO_V1(crmscm_demand_line_noted);
Datum
crmscm_demand_line_noted(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	oldtup = NULL,
				newtup = NULL,
				any;
	DemandSnap *snap;
	MemoryContext old;
	bool		isnull;
	Note	   *note;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_demand_line_noted: must be fired AFTER ... FOR EACH ROW")));
	crmscm_check_table(fcinfo, "sales_order_lines");
	desc = RelationGetDescr(td->tg_relation);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		newtup = td->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
		oldtup = td->tg_trigtuple;
	else
	{
		oldtup = td->tg_trigtuple;
		newtup = td->tg_newtuple;
	}
	if (crmscm_engine_writing &&
		!(oldtup && newtup && is_text(crmscm_tuple_get(oldtup, desc, "status", &isnull), "open") &&
		  is_text(crmscm_tuple_get(newtup, desc, "status", &isnull), "cancelled")))
		return PointerGetDatum(NULL);
	any = oldtup ? oldtup : newtup;

	old = MemoryContextSwitchTo(TopTransactionContext);
	snap = palloc0(sizeof(DemandSnap));
	snap->item = crmscm_tuple_int8(any, desc, "item_id", NULL);
	if (oldtup != NULL)
	{
		snap->existed = true;
		snap->cancelled = is_text(crmscm_tuple_get(oldtup, desc, "status", &isnull), "cancelled");
		snap->wh = crmscm_tuple_int8(oldtup, desc, "warehouse_id", &snap->wh_null);
		snap->qty = copy_num(crmscm_tuple_get(oldtup, desc, "qty", &isnull));
		snap->price = copy_num(crmscm_tuple_get(oldtup, desc, "unit_price", &isnull));
	}
	MemoryContextSwitchTo(old);
	if (oldtup != NULL && snap->wh_null && !snap->cancelled)
	{
		/*
		 * Where it was held, in a new snapshot (SPI not read-only): the
		 * change locked the line, and only a transaction holding it moves its
		 * stock, so this is where the last commit that changed it left it.
		 */
		Oid			nsp = crmscm_schema_of(fcinfo);
		Datum		args[3];
		uint64		r;
		int			m = 0;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "crmscm_demand_line_noted: SPI_connect failed");
		engine_set_schema(nsp);
		demand_plans(nsp);
		args[0] = Int64GetDatum(crmscm_tuple_int8(oldtup, desc, "tenant_id", NULL));
		args[1] = Int64GetDatum(crmscm_tuple_int8(oldtup, desc, "order_id", NULL));
		args[2] = crmscm_tuple_get(oldtup, desc, "line_no", &isnull);
		run_as_owner(&dp.snap_dist, args);
		old = MemoryContextSwitchTo(TopTransactionContext);
		snap->dist_wh = palloc(sizeof(int64) * Max(SPI_processed, 1));
		snap->dist_qty = palloc(sizeof(Datum) * Max(SPI_processed, 1));
		for (r = 0; r < SPI_processed; r++)
		{
			bool		wn,
						qn;
			Datum		w = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &wn);
			Datum		q = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &qn);

			if (wn || qn)
				continue;
			snap->dist_wh[m] = DatumGetInt64(w);
			snap->dist_qty[m++] = copy_num(q);
		}
		snap->ndist = m;
		MemoryContextSwitchTo(old);
		SPI_finish();
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	note = note_add(NOTE_DEMAND, crmscm_tuple_int8(any, desc, "tenant_id", NULL), crmscm_tuple_int8(any, desc, "order_id", NULL),
					DatumGetInt32(crmscm_tuple_get(any, desc, "line_no", &isnull)), snap->item);
	note->extra = snap;
	MemoryContextSwitchTo(old);
	return PointerGetDatum(NULL);
}

/*
 * AFTER UPDATE OR DELETE FOR EACH ROW on sales_orders (for UPDATE, WHEN the
 * status or ordered_at changed): note the order; at commit its lines are
 * booked again under its new status and day.
 */
PG_FUNCTION_INFO_V1(crmscm_demand_order_noted);
Datum
crmscm_demand_order_noted(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	MemoryContext old;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_demand_order_noted: must be fired AFTER UPDATE OR DELETE ... FOR EACH ROW")));
	crmscm_check_table(fcinfo, "sales_orders");
	desc = RelationGetDescr(td->tg_relation);
	old = MemoryContextSwitchTo(TopTransactionContext);
	note_add(NOTE_DEMAND, crmscm_tuple_int8(td->tg_trigtuple, desc, "tenant_id", NULL),
			 crmscm_tuple_int8(td->tg_trigtuple, desc, "order_id", NULL), -1, 0);
	MemoryContextSwitchTo(old);
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------------------
 * the stage
 * ------------------------------------------------------------------------
 */

typedef struct DLineKey
{
	int64		order_id;
	int32		line_no;
} DLineKey;

typedef struct DLine
{
	DLineKey	key;			/* hash key */
	DemandSnap *first;			/* the earliest pending note of the line, or NULL */
	bool		exists;			/* found now */
	int			result;			/* by which statement */
	bool		cancelled;
	int64		item;
	bool		wh_null;
	int64		wh;
	Datum		qty;
	Datum		price;
	int			ndist;
	int			capdist;
	int64	   *dist_wh;
	Datum	   *dist_qty;
} DLine;

typedef struct DOrder
{
	int64		order_id;		/* hash key */
	bool		booked;			/* has a demand_orders row: its lines count */
	int32		booked_day;
	bool		exists;
	bool		counts;			/* confirmed or closed now */
	int32		day;
	bool		changed;		/* counts or day differ from the booking */
} DOrder;

typedef struct DKey
{
	int64		item;
	int64		wh;
	int32		day;
} DKey;

typedef struct DDelta
{
	DKey		key;			/* hash key */
	Datum		qty;
	Datum		revenue;
} DDelta;

typedef struct SKey
{
	int64		item;
	int64		wh;
} SKey;

typedef struct SRow
{
	SKey		key;			/* hash key */
	bool		locked;
	int32		anchor;
	int32		from;
	bool		pend_null;
	int32		pend;
	/* the days this commit changed, with their new totals (sorted) */
	int			nchg;
	int			capchg;
	DwEntry    *chg;
} SRow;

static void
delta_add(HTAB *deltas, int64 item, int64 wh, int32 day, Datum qty, Datum price, bool minus)
{
	DKey		k;
	DDelta	   *d;
	bool		found;
	Datum		rev = DirectFunctionCall2(numeric_mul, qty, price);

	memset(&k, 0, sizeof(k));
	k.item = item;
	k.wh = wh;
	k.day = day;
	d = hash_search(deltas, &k, HASH_ENTER, &found);
	if (!found)
	{
		d->qty = num_zero();
		d->revenue = num_zero();
	}
	d->qty = minus ? num_sub(d->qty, qty) : num_add(d->qty, qty);
	d->revenue = minus ? num_sub(d->revenue, rev) : num_add(d->revenue, rev);
}

/* what a line counts for: its warehouse, or where it is held */
static void
contribute(HTAB *deltas, int64 item, bool wh_null, int64 wh, int32 day, Datum qty, Datum price,
		   int ndist, int64 *dist_wh, Datum *dist_qty, bool minus)
{
	int			i;

	if (!wh_null)
		delta_add(deltas, item, wh, day, qty, price, minus);
	else
		for (i = 0; i < ndist; i++)
			delta_add(deltas, item, dist_wh[i], day, dist_qty[i], price, minus);
}

static int
dkey_cmp(const void *a, const void *b)
{
	const DDelta *x = *(DDelta *const *) a,
			   *y = *(DDelta *const *) b;

	if (x->key.item != y->key.item)
		return x->key.item < y->key.item ? -1 : 1;
	if (x->key.wh != y->key.wh)
		return x->key.wh < y->key.wh ? -1 : 1;
	return x->key.day < y->key.day ? -1 : (x->key.day > y->key.day);
}

static int
skey_cmp(const void *a, const void *b)
{
	const SRow *x = *(SRow *const *) a,
			   *y = *(SRow *const *) b;

	if (x->key.item != y->key.item)
		return x->key.item < y->key.item ? -1 : 1;
	return x->key.wh < y->key.wh ? -1 : (x->key.wh > y->key.wh);
}

static Datum
arr(Datum *d, bool *nulls, int n, Oid type)
{
	int16		len;
	bool		byval;
	char		align;
	int			dims[1],
				lbs[1] = {1};

	get_typlenbyvalalign(type, &len, &byval, &align);
	dims[0] = n;
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, type, len, byval, align));
}

/*
 * Run a kept statement over nkeys keys: by the key when there is one and
 * the statement has that form (the first element of each array argument)
 */
static void
exec_plan(Kept *p, int nkeys, Datum *args, int expect)
{
	int			rc;

	if (nkeys == 1 && p->one != NULL)
	{
		Datum		one[8];
		char		nulls[9];
		int			i;

		for (i = 0; i < p->nargs; i++)
		{
			nulls[i] = ' ';
			one[i] = args[i];
			if (OidIsValid(p->elem[i]))
			{
				ArrayType  *a = DatumGetArrayTypeP(args[i]);
				int16		len;
				bool		byval;
				char		align;
				Datum	   *d;
				bool	   *dn;
				int			n;

				get_typlenbyvalalign(p->elem[i], &len, &byval, &align);
				deconstruct_array(a, p->elem[i], len, byval, align, &d, &dn, &n);
				if (n != 1)
					elog(ERROR, "crmscm demand state: %d keys where one was expected", n);
				one[i] = d[0];
				if (dn[0])
					nulls[i] = 'n';
			}
		}
		nulls[p->nargs] = '\0';
		rc = crmscm_exec_by_key(p->one, one, nulls);
	}
	else
		rc = SPI_execute_plan(p->many, args, NULL, false, 0);

	if (rc != expect)
		elog(ERROR, "crmscm demand state: statement failed: %s", SPI_result_code_string(rc));
}

static double
to_f8(Datum num)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, num));
}

/* Lock (creating the missing ones) the demand_state rows of the keys */
static void
lock_rows(int64 tenant, HTAB *rows, int32 yesterday)
{
	HASH_SEQ_STATUS hs;
	SRow	   *s;
	int64	   *items;
	int			nitems = 0,
				round;
	long		nkeys = hash_get_num_entries(rows);

	items = palloc(sizeof(int64) * Max(nkeys, 1));
	hash_seq_init(&hs, rows);
	while ((s = hash_seq_search(&hs)) != NULL)
		items[nitems++] = s->key.item;
	for (round = 0;; round++)
	{
		Datum		args[5];
		uint64		r;
		Datum	   *mi,
				   *mw;
		int			nm = 0;
		Datum	   *id = palloc(sizeof(Datum) * Max(nitems, 1));
		int			k;

		args[0] = Int64GetDatum(tenant);
		if (nkeys == 1)
		{
			/* one key: by the whole key (Kept) */
			hash_seq_init(&hs, rows);
			s = hash_seq_search(&hs);
			hash_seq_term(&hs);
			args[1] = Int64GetDatum(s->key.item);
			args[2] = Int64GetDatum(s->key.wh);
			if (crmscm_exec_by_key(dp.lock.one, args, NULL) != SPI_OK_SELECT)
				elog(ERROR, "crmscm demand state: locking the state failed");
		}
		else
		{
			for (k = 0; k < nitems; k++)
				id[k] = Int64GetDatum(items[k]);
			args[1] = arr(id, NULL, nitems, INT8OID);
			exec_plan(&dp.lock, nitems, args, SPI_OK_SELECT);
		}
		for (r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			SKey		key;
			SRow	   *row;

			memset(&key, 0, sizeof(key));
			key.item = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
			key.wh = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
			row = hash_search(rows, &key, HASH_FIND, NULL);
			if (row == NULL)
				continue;		/* another warehouse of the item: locked, not ours */
			row->locked = true;
			row->anchor = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 3, &isnull));
			row->from = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 4, &isnull));
			row->pend = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 5, &row->pend_null));
		}
		SPI_freetuptable(SPI_tuptable);
		mi = palloc(sizeof(Datum) * Max(nkeys, 1));
		mw = palloc(sizeof(Datum) * Max(nkeys, 1));
		hash_seq_init(&hs, rows);
		while ((s = hash_seq_search(&hs)) != NULL)
			if (!s->locked)
			{
				mi[nm] = Int64GetDatum(s->key.item);
				mw[nm++] = Int64GetDatum(s->key.wh);
			}
		if (nm == 0)
			return;
		if (round > 0)
			elog(ERROR, "crmscm demand state: rows missing after creating them");
		/* a new row: nothing kept yet, so nothing before yesterday is missing */
		args[1] = arr(mi, NULL, nm, INT8OID);
		args[2] = arr(mw, NULL, nm, INT8OID);
		args[3] = DateADTGetDatum(yesterday);
		args[4] = DateADTGetDatum(yesterday - crmscm_demand_history_days + 1);
		exec_plan(&dp.ensure, nm, args, SPI_OK_INSERT);
	}
}

/*
 * Read lines (LINE_COLS, a row per warehouse held) of a result into the
 * lines table; result is the result's number: a line an earlier result
 * read already is skipped.
 */
static void
read_lines(HTAB *lines, SPITupleTable *tt, uint64 nrows, int result)
{
	uint64		r;

	for (r = 0; r < nrows; r++)
	{
		DLineKey	k;
		DLine	   *l;
		bool		isnull,
					wn,
					qn,
					found;
		Datum		w,
					q;

		memset(&k, 0, sizeof(k));
		k.order_id = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		k.line_no = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull));
		l = hash_search(lines, &k, HASH_ENTER, &found);
		if (!found)
			memset(((char *) l) + sizeof(DLineKey), 0, sizeof(DLine) - sizeof(DLineKey));
		if (l->exists && l->result != result)
			continue;
		if (!l->exists)
		{
			l->exists = true;
			l->result = result;
			l->item = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull));
			l->wh = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 4, &l->wh_null));
			l->qty = copy_num(SPI_getbinval(tt->vals[r], tt->tupdesc, 5, &isnull));
			l->price = copy_num(SPI_getbinval(tt->vals[r], tt->tupdesc, 6, &isnull));
			l->cancelled = is_text(SPI_getbinval(tt->vals[r], tt->tupdesc, 7, &isnull), "cancelled");
		}
		w = SPI_getbinval(tt->vals[r], tt->tupdesc, 8, &wn);
		q = SPI_getbinval(tt->vals[r], tt->tupdesc, 9, &qn);
		if (wn || qn)
			continue;
		if (l->ndist == l->capdist)
		{
			l->capdist = l->capdist ? 2 * l->capdist : 4;
			l->dist_wh = l->dist_wh ? repalloc(l->dist_wh, sizeof(int64) * l->capdist)
				: palloc(sizeof(int64) * l->capdist);
			l->dist_qty = l->dist_qty ? repalloc(l->dist_qty, sizeof(Datum) * l->capdist)
				: palloc(sizeof(Datum) * l->capdist);
		}
		l->dist_wh[l->ndist] = DatumGetInt64(w);
		l->dist_qty[l->ndist++] = copy_num(q);
	}
}

/*
 * The state of the stage over one tenant's notes, step by step
 * (demand_state_stage() below)
 */
typedef struct Stage
{
	int64		tenant;
	int32		yesterday;
	HTAB	   *lines;			/* DLine by (order, line) */
	HTAB	   *orders;			/* DOrder by order */
	HTAB	   *deltas;			/* DDelta by (item, warehouse, day) */
	HTAB	   *rows;			/* SRow by (item, warehouse) */
	int			nlines;
	int			norders;
	int			nchanged;		/* orders booked anew (or no longer) */
	DDelta	  **sorted;			/* the deltas that are not zero, in key order */
	int			ndelta;
	SRow	  **work;			/* rows to roll forward or patch */
	int			nwork;
} Stage;

static HTAB *
stage_hash(const char *name, Size keysize, Size entrysize)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* 1. the noted lines, each with its earliest pending note; their orders */
static void
stage_collect(Stage *st, Note *ns, int n)
{
	int			i;

	st->lines = stage_hash("crmscm demand lines", sizeof(DLineKey), sizeof(DLine));
	st->orders = stage_hash("crmscm demand orders", sizeof(int64), sizeof(DOrder));
	for (i = 0; i < n; i++)
	{
		bool		found;
		DOrder	   *o;

		if (ns[i].kind != NOTE_DEMAND)
			continue;
		o = hash_search(st->orders, &ns[i].a, HASH_ENTER, &found);
		if (!found)
		{
			memset(((char *) o) + sizeof(int64), 0, sizeof(DOrder) - sizeof(int64));
			st->norders++;
		}
		if (ns[i].b >= 0)
		{
			DLineKey	k;
			DLine	   *l;

			memset(&k, 0, sizeof(k));
			k.order_id = ns[i].a;
			k.line_no = (int32) ns[i].b;
			l = hash_search(st->lines, &k, HASH_ENTER, &found);
			if (!found)
			{
				memset(((char *) l) + sizeof(DLineKey), 0, sizeof(DLine) - sizeof(DLineKey));
				l->first = (DemandSnap *) ns[i].extra;
				st->nlines++;
			}
		}
	}
}

/* the ids of the orders, as an int8[] */
static Datum
order_ids(Stage *st)
{
	Datum	   *ao = palloc(sizeof(Datum) * Max(st->norders, 1));
	HASH_SEQ_STATUS hs;
	DOrder	   *o;
	int			i = 0;

	hash_seq_init(&hs, st->orders);
	while ((o = hash_seq_search(&hs)) != NULL)
		ao[i++] = Int64GetDatum(o->order_id);
	return arr(ao, NULL, st->norders, INT8OID);
}

/* 2. lock the orders' bookings, in key order */
static void
stage_lock_bookings(Stage *st, Datum orders)
{
	Datum		args[2];
	uint64		r;
	bool		isnull;

	args[0] = Int64GetDatum(st->tenant);
	args[1] = orders;
	exec_plan(&dp.book_lock, st->norders, args, SPI_OK_SELECT);
	for (r = 0; r < SPI_processed; r++)
	{
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
		DOrder	   *o = hash_search(st->orders, &id, HASH_FIND, NULL);

		o->booked = true;
		o->booked_day = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * 3. new statements (snapshots after the locks): the orders and noted lines
 * now; every line of an order whose status or day changed
 */
static void
stage_read_now(Stage *st, Datum orders)
{
	Datum		args[3];
	uint64		r;
	bool		isnull;
	HASH_SEQ_STATUS hs;
	DOrder	   *o;
	Datum	   *ao;
	int			i;

	args[0] = Int64GetDatum(st->tenant);
	args[1] = orders;
	exec_plan(&dp.orders, st->norders, args, SPI_OK_SELECT);
	for (r = 0; r < SPI_processed; r++)
	{
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));

		o = hash_search(st->orders, &id, HASH_FIND, NULL);
		o->exists = true;
		o->counts = order_counts(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
		o->day = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 3, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	if (st->nlines > 0)
	{
		Datum	   *lo = palloc(sizeof(Datum) * st->nlines),
				   *ll = palloc(sizeof(Datum) * st->nlines);
		DLine	   *l;

		i = 0;
		hash_seq_init(&hs, st->lines);
		while ((l = hash_seq_search(&hs)) != NULL)
		{
			lo[i] = Int64GetDatum(l->key.order_id);
			ll[i++] = Int32GetDatum(l->key.line_no);
		}
		args[1] = arr(lo, NULL, st->nlines, INT8OID);
		args[2] = arr(ll, NULL, st->nlines, INT4OID);
		exec_plan(&dp.lines, st->nlines, args, SPI_OK_SELECT);
		read_lines(st->lines, SPI_tuptable, SPI_processed, 1);
		SPI_freetuptable(SPI_tuptable);
	}
	/* an order whose status or day changed: every line of it is booked again */
	ao = palloc(sizeof(Datum) * Max(st->norders, 1));
	i = 0;
	hash_seq_init(&hs, st->orders);
	while ((o = hash_seq_search(&hs)) != NULL)
	{
		bool		counts = o->exists && o->counts;

		o->changed = counts != o->booked || (counts && o->day != o->booked_day);
		if (o->changed)
			ao[i++] = Int64GetDatum(o->order_id);
	}
	st->nchanged = i;
	if (st->nchanged > 0)
	{
		args[1] = arr(ao, NULL, st->nchanged, INT8OID);
		exec_plan(&dp.order_lines, st->nchanged, args, SPI_OK_SELECT);
		read_lines(st->lines, SPI_tuptable, SPI_processed, 2);
		SPI_freetuptable(SPI_tuptable);
	}
}

/* 4. the deltas: now minus as booked; those not zero in key order */
static void
stage_deltas(Stage *st)
{
	HASH_SEQ_STATUS hs;
	DLine	   *l;
	DDelta	   *d;

	st->deltas = stage_hash("crmscm demand deltas", sizeof(DKey), sizeof(DDelta));
	hash_seq_init(&hs, st->lines);
	while ((l = hash_seq_search(&hs)) != NULL)
	{
		DemandSnap *f = l->first;
		DOrder	   *o;

		CHECK_FOR_INTERRUPTS();
		o = hash_search(st->orders, &l->key.order_id, HASH_FIND, NULL);
		/* as booked: the earliest note's values, or (not noted) as it is */
		if (o->booked)
		{
			if (f != NULL)
			{
				if (f->existed && !f->cancelled)
					contribute(st->deltas, f->item, f->wh_null, f->wh, o->booked_day, f->qty, f->price,
							   f->ndist, f->dist_wh, f->dist_qty, true);
			}
			else if (l->exists && !l->cancelled)
				contribute(st->deltas, l->item, l->wh_null, l->wh, o->booked_day, l->qty, l->price,
						   l->ndist, l->dist_wh, l->dist_qty, true);
		}
		if (l->exists && !l->cancelled && o->exists && o->counts)
			contribute(st->deltas, l->item, l->wh_null, l->wh, o->day, l->qty, l->price,
					   l->ndist, l->dist_wh, l->dist_qty, false);
	}
	st->sorted = palloc(sizeof(DDelta *) * Max(hash_get_num_entries(st->deltas), 1));
	hash_seq_init(&hs, st->deltas);
	while ((d = hash_seq_search(&hs)) != NULL)
		if (!num_is_zero(d->qty) || !num_is_zero(d->revenue))
			st->sorted[st->ndelta++] = d;
	qsort(st->sorted, st->ndelta, sizeof(DDelta *), dkey_cmp);
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : (x > y);
}

/* the orders booked anew (or no longer), in key order */
static void
stage_rebook(Stage *st)
{
	Datum	   *gone = palloc(sizeof(Datum) * st->nchanged),
			   *bo = palloc(sizeof(Datum) * st->nchanged),
			   *bd = palloc(sizeof(Datum) * st->nchanged);
	int			ngone = 0,
				nbook = 0,
				i = 0,
				k;
	int64	   *ids = palloc(sizeof(int64) * st->nchanged);
	HASH_SEQ_STATUS hs;
	DOrder	   *o;
	Datum		args[4];

	hash_seq_init(&hs, st->orders);
	while ((o = hash_seq_search(&hs)) != NULL)
		if (o->changed)
			ids[i++] = o->order_id;
	qsort(ids, st->nchanged, sizeof(int64), int64_cmp);
	for (k = 0; k < st->nchanged; k++)
	{
		o = hash_search(st->orders, &ids[k], HASH_FIND, NULL);
		if (o->exists && o->counts)
		{
			bo[nbook] = Int64GetDatum(o->order_id);
			bd[nbook++] = DateADTGetDatum(o->day);
		}
		else
			gone[ngone++] = Int64GetDatum(o->order_id);
	}
	args[0] = Int64GetDatum(st->tenant);
	args[1] = arr(gone, NULL, ngone, INT8OID);
	args[2] = arr(bo, NULL, nbook, INT8OID);
	args[3] = arr(bd, NULL, nbook, DATEOID);
	exec_plan(&dp.rebook, st->nchanged, args, SPI_OK_INSERT);
}

/* 5. lock the demand_state rows of the deltas' keys, in key order */
static void
stage_lock_rows(Stage *st)
{
	int			i;

	st->rows = stage_hash("crmscm demand rows", sizeof(SKey), sizeof(SRow));
	for (i = 0; i < st->ndelta; i++)
	{
		SKey		k;
		bool		found;
		SRow	   *s;

		memset(&k, 0, sizeof(k));
		k.item = st->sorted[i]->key.item;
		k.wh = st->sorted[i]->key.wh;
		s = hash_search(st->rows, &k, HASH_ENTER, &found);
		if (!found)
			memset(((char *) s) + sizeof(SKey), 0, sizeof(SRow) - sizeof(SKey));
	}
	lock_rows(st->tenant, st->rows, st->yesterday);
}

/* 6. the daily totals; their new values for the series */
static void
stage_add_days(Stage *st)
{
	int			n = st->ndelta,
				i;
	Datum	   *di = palloc(sizeof(Datum) * n),
			   *dw = palloc(sizeof(Datum) * n),
			   *dd = palloc(sizeof(Datum) * n),
			   *dq = palloc(sizeof(Datum) * n),
			   *dr = palloc(sizeof(Datum) * n);
	Datum		args[6];
	SPITupleTable *tt;
	uint64		r;

	for (i = 0; i < n; i++)
	{
		di[i] = Int64GetDatum(st->sorted[i]->key.item);
		dw[i] = Int64GetDatum(st->sorted[i]->key.wh);
		dd[i] = DateADTGetDatum(st->sorted[i]->key.day);
		dq[i] = st->sorted[i]->qty;
		dr[i] = st->sorted[i]->revenue;
	}
	args[0] = Int64GetDatum(st->tenant);
	args[1] = arr(di, NULL, n, INT8OID);
	args[2] = arr(dw, NULL, n, INT8OID);
	args[3] = arr(dd, NULL, n, DATEOID);
	args[4] = arr(dq, NULL, n, NUMERICOID);
	args[5] = arr(dr, NULL, n, NUMERICOID);
	exec_plan(&dp.days, n, args, SPI_OK_INSERT_RETURNING);
	tt = SPI_tuptable;
	for (r = 0; r < SPI_processed; r++)
	{
		SKey		k;
		bool		isnull;
		DwEntry    *e;
		SRow	   *s;

		memset(&k, 0, sizeof(k));
		k.item = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		k.wh = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull));
		s = hash_search(st->rows, &k, HASH_FIND, NULL);
		if (s == NULL)
			continue;
		if (s->nchg == s->capchg)
		{
			s->capchg = s->capchg ? 2 * s->capchg : 4;
			s->chg = s->chg ? repalloc(s->chg, sizeof(DwEntry) * s->capchg)
				: palloc(sizeof(DwEntry) * s->capchg);
		}
		e = &s->chg[s->nchg++];
		e->day = DatumGetDateADT(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull));
		e->qty = to_f8(SPI_getbinval(tt->vals[r], tt->tupdesc, 4, &isnull));
		e->revenue = to_f8(SPI_getbinval(tt->vals[r], tt->tupdesc, 5, &isnull));
	}
	SPI_freetuptable(tt);
}

/*
 * What a row needs beyond its daily totals: a roll or a patch (true), or
 * only pending_from moved back (*earlier, s->pend set)
 */
static bool
row_needs(SRow *s, int32 yesterday, bool *earlier)
{
	bool		roll = s->anchor < yesterday,
				patch = false;
	int32		new_from = roll ? Max(s->from, yesterday - crmscm_demand_history_days + 1) : s->from;
	int32		new_anchor = Max(s->anchor, yesterday);
	int			k;

	*earlier = false;
	/* the days RETURNING gave come in key order, but sort to be sure */
	for (k = 1; k < s->nchg; k++)
	{
		DwEntry		x = s->chg[k];
		int			j = k;

		while (j > 0 && s->chg[j - 1].day > x.day)
		{
			s->chg[j] = s->chg[j - 1];
			j--;
		}
		s->chg[j] = x;
	}
	for (k = 0; k < s->nchg; k++)
	{
		int32		day = s->chg[k].day;

		if (day <= s->anchor && day >= new_from)
			patch = true;
		else if (day > new_anchor && (s->pend_null || day < s->pend))
		{
			*earlier = true;
			s->pend = day;
			s->pend_null = false;
		}
	}
	return roll || patch;
}

/*
 * 7. which rows need more than the daily totals: the rows to roll or patch
 * (st->work, in key order); pending_from moved back where only that
 */
static void
stage_plan_rows(Stage *st)
{
	long		nrows = hash_get_num_entries(st->rows);
	SRow	  **pend = palloc(sizeof(SRow *) * Max(nrows, 1));
	int			npend = 0,
				i;
	HASH_SEQ_STATUS hs;
	SRow	   *s;

	st->work = palloc(sizeof(SRow *) * Max(nrows, 1));
	hash_seq_init(&hs, st->rows);
	while ((s = hash_seq_search(&hs)) != NULL)
	{
		bool		earlier;

		if (row_needs(s, st->yesterday, &earlier))
			st->work[st->nwork++] = s;
		else if (earlier)
			pend[npend++] = s;
	}
	qsort(st->work, st->nwork, sizeof(SRow *), skey_cmp);
	if (npend > 0)
	{
		Datum	   *pi = palloc(sizeof(Datum) * npend),
				   *pw = palloc(sizeof(Datum) * npend),
				   *pp = palloc(sizeof(Datum) * npend);
		Datum		args[4];

		qsort(pend, npend, sizeof(SRow *), skey_cmp);
		for (i = 0; i < npend; i++)
		{
			pi[i] = Int64GetDatum(pend[i]->key.item);
			pw[i] = Int64GetDatum(pend[i]->key.wh);
			pp[i] = DateADTGetDatum(pend[i]->pend);
		}
		args[0] = Int64GetDatum(st->tenant);
		args[1] = arr(pi, NULL, npend, INT8OID);
		args[2] = arr(pw, NULL, npend, INT8OID);
		args[3] = arr(pp, NULL, npend, DATEOID);
		exec_plan(&dp.pending, npend, args, SPI_OK_UPDATE);
	}
}

/*
 * One row read for the roll (dp.read: item, warehouse, series, days to
 * fold, their qty and revenue, the next day kept after them): its new
 * series, anchor and series_from.
 */
static Datum
rolled_series(SRow *s, int32 yesterday, HeapTuple tup, TupleDesc desc, int32 *new_anchor, int32 *new_from)
{
	bool		isnull,
				dn;
	bytea	   *series = DatumGetByteaPP(SPI_getbinval(tup, desc, 3, &isnull));
	size_t		len = VARSIZE_ANY_EXHDR(series),
				outlen;
	Datum		dd;
	DwEntry    *add;
	int			nadd = 0,
				nroll = 0,
				k;
	unsigned char *out;
	ArrayType  *ad = NULL,
			   *aq = NULL,
			   *ar = NULL;
	bytea	   *res;

	if (dw_check((unsigned char *) VARDATA_ANY(series), len) != DW_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("demand state of item " INT64_FORMAT " in warehouse " INT64_FORMAT " is corrupt",
						s->key.item, s->key.wh),
				 errhint("Run crmscm.reorder_rebuild().")));
	dd = SPI_getbinval(tup, desc, 4, &dn);
	if (!dn)
	{
		ad = DatumGetArrayTypeP(dd);
		aq = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 5, &isnull));
		ar = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 6, &isnull));
		nroll = ArrayGetNItems(ARR_NDIM(ad), ARR_DIMS(ad));
	}
	*new_anchor = Max(s->anchor, yesterday);
	*new_from = s->anchor < yesterday ? Max(s->from, yesterday - crmscm_demand_history_days + 1) : s->from;
	add = palloc(sizeof(DwEntry) * (s->nchg + nroll + 1));
	/* back-dated days in the old series (before the days rolled in) */
	for (k = 0; k < s->nchg; k++)
		if (s->chg[k].day <= s->anchor && s->chg[k].day >= *new_from)
			add[nadd++] = s->chg[k];
	for (k = 0; k < nroll; k++)
	{
		add[nadd].day = ((DateADT *) ARR_NONULL_DATA(ad))[k];
		add[nadd].qty = ((float8 *) ARR_NONULL_DATA(aq))[k];
		add[nadd].revenue = ((float8 *) ARR_NONULL_DATA(ar))[k];
		nadd++;
	}
	out = palloc(len + (size_t) nadd * DW_ENTRY_SIZE + 1);
	outlen = dw_merge((unsigned char *) VARDATA_ANY(series), len, *new_from, add, nadd, out);
	res = palloc(VARHDRSZ + outlen);
	SET_VARSIZE(res, VARHDRSZ + outlen);
	memcpy(VARDATA(res), out, outlen);
	return PointerGetDatum(res);
}

/* 8. roll the rows of st->work forward to yesterday and patch back-dated days */
static void
stage_roll(Stage *st)
{
	int			n = st->nwork,
				i;
	Datum	   *wi = palloc(sizeof(Datum) * n),
			   *ww = palloc(sizeof(Datum) * n),
			   *wa = palloc(sizeof(Datum) * n),
			   *wf = palloc(sizeof(Datum) * n),
			   *wp = palloc(sizeof(Datum) * n),
			   *wsr = palloc(sizeof(Datum) * n);
	bool	   *wpn = palloc0(sizeof(bool) * n);
	Datum		args[7];
	SPITupleTable *tt;
	uint64		r;

	for (i = 0; i < n; i++)
	{
		wi[i] = Int64GetDatum(st->work[i]->key.item);
		ww[i] = Int64GetDatum(st->work[i]->key.wh);
	}
	args[0] = Int64GetDatum(st->tenant);
	args[1] = arr(wi, NULL, n, INT8OID);
	args[2] = arr(ww, NULL, n, INT8OID);
	args[3] = DateADTGetDatum(st->yesterday);
	exec_plan(&dp.read, n, args, SPI_OK_SELECT);
	tt = SPI_tuptable;
	if (SPI_processed != (uint64) n)
		elog(ERROR, "crmscm demand state: %d locked rows to roll, %lu read", n, (unsigned long) SPI_processed);
	for (r = 0; r < SPI_processed; r++)
	{
		SKey		k;
		bool		isnull,
					dn;
		Datum		dd;
		int32		new_anchor,
					new_from;
		SRow	   *s;

		memset(&k, 0, sizeof(k));
		k.item = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		k.wh = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull));
		s = hash_search(st->rows, &k, HASH_FIND, NULL);
		wsr[r] = rolled_series(s, st->yesterday, tt->vals[r], tt->tupdesc, &new_anchor, &new_from);
		wa[r] = DateADTGetDatum(new_anchor);
		wf[r] = DateADTGetDatum(new_from);
		dd = SPI_getbinval(tt->vals[r], tt->tupdesc, 7, &dn);
		wpn[r] = dn;
		wp[r] = dn ? (Datum) 0 : dd;
		wi[r] = Int64GetDatum(k.item);
		ww[r] = Int64GetDatum(k.wh);
	}
	args[1] = arr(wi, NULL, n, INT8OID);
	args[2] = arr(ww, NULL, n, INT8OID);
	args[3] = arr(wa, NULL, n, DATEOID);
	args[4] = arr(wf, NULL, n, DATEOID);
	args[5] = arr(wp, wpn, n, DATEOID);
	args[6] = arr(wsr, NULL, n, BYTEAOID);
	exec_plan(&dp.write, n, args, SPI_OK_UPDATE);
}

/*
 * The demand-state stage of the pass for one tenant's notes: the steps
 * above, in their lock order (demand_orders, demand_state, demand_days).
 */
void
demand_state_stage(int64 tenant, Note *ns, int n)
{
	Stage		st;
	Datum		orders;
	int			i;

	for (i = 0; i < n; i++)
		if (ns[i].kind == NOTE_DEMAND)
			break;
	if (i == n)
		return;
	demand_plans(engine_get_schema());
	memset(&st, 0, sizeof(st));
	st.tenant = tenant;
	st.yesterday = utc_day(GetCurrentTransactionStartTimestamp()) - 1;

	stage_collect(&st, ns, n);
	orders = order_ids(&st);
	stage_lock_bookings(&st, orders);
	stage_read_now(&st, orders);
	stage_deltas(&st);
	if (st.nchanged > 0)
		stage_rebook(&st);
	if (st.ndelta == 0)
		return;
	stage_lock_rows(&st);
	stage_add_days(&st);
	stage_plan_rows(&st);
	if (st.nwork > 0)
		stage_roll(&st);
}

/* ------------------------------------------------------------------------
 * reading: a window of the kept state
 * ------------------------------------------------------------------------
 */

/*
 * The demand profile of [start, end] from a kept series (series NULL: none,
 * or it does not reach back to start) and the demand_days rows given as
 * arrays (d NULL: none; with the series, only those after its anchor
 * count).  Shared by crmscm._demand_window and crmscm.reorder_suggestions_at
 * (src/reorder_suggestions.c).
 */
void
demand_window_profile(bytea *series, int32 anchor, int32 series_from,
					  ArrayType *ad, ArrayType *aq, ArrayType *ar,
					  int32 start, int32 end, double alpha, DwProfile *p)
{
	DwEntry    *extra = NULL;
	int			nextra = 0;
	bool		use_series;
	double	   *y;
	DwStatus	st;

	if (DATE_NOT_FINITE(start) || DATE_NOT_FINITE(end))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_day and end_day must be finite dates")));
	if (!(alpha > 0 && alpha <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha %s is outside (0, 1]", float8out_internal(alpha))));
	use_series = series != NULL && series_from <= start;
	if (ad != NULL)
	{
		int			k;

		nextra = ArrayGetNItems(ARR_NDIM(ad), ARR_DIMS(ad));
		if (ARR_HASNULL(ad) || ARR_HASNULL(aq) || ARR_HASNULL(ar) ||
			ArrayGetNItems(ARR_NDIM(aq), ARR_DIMS(aq)) != nextra ||
			ArrayGetNItems(ARR_NDIM(ar), ARR_DIMS(ar)) != nextra ||
			ARR_ELEMTYPE(ad) != DATEOID || ARR_ELEMTYPE(aq) != FLOAT8OID || ARR_ELEMTYPE(ar) != FLOAT8OID)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("days, qty and revenue must be arrays of the same length without NULLs")));
		extra = palloc(sizeof(DwEntry) * Max(nextra, 1));
		for (k = 0; k < nextra; k++)
		{
			extra[k].day = ((DateADT *) ARR_NONULL_DATA(ad))[k];
			extra[k].qty = ((float8 *) ARR_NONULL_DATA(aq))[k];
			extra[k].revenue = ((float8 *) ARR_NONULL_DATA(ar))[k];
			/* with the series, only the days after its anchor */
			if (use_series && extra[k].day <= anchor)
				extra[k].qty = extra[k].revenue = 0;
		}
	}
	if ((int64) end - start + 1 > DW_MAX_DAYS || start > end)
		ereport(ERROR,
				(errcode(start > end ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demand window %s .. %s is invalid",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(start))),
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(end)))),
				 errdetail("It must run forward and span at most %d days.", DW_MAX_DAYS)));
	y = palloc(sizeof(double) * ((int64) end - start + 1));
	if (use_series)
	{
		/* the series' own days after the end are not in the window anyway */
		st = dw_profile((unsigned char *) VARDATA_ANY(series), VARSIZE_ANY_EXHDR(series),
						extra, nextra, start, end, alpha, y, p);
	}
	else
		st = dw_profile(NULL, 0, extra, nextra, start, end, alpha, y, p);
	if (st == DW_CORRUPT)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("kept demand series is corrupt"),
				 errhint("Run crmscm.reorder_rebuild().")));
	pfree(y);
	if (extra)
		pfree(extra);
}

/*
 * crmscm._demand_window(series, anchor, series_from, days, qty, revenue,
 * start_day, end_day, alpha): the demand profile of [start_day, end_day]
 * from the kept series (when it reaches back to start_day) and the
 * demand_days rows given (the days after anchor, or all of the window when
 * the series does not reach back).
 */
PG_FUNCTION_INFO_V1(crmscm_demand_window);
Datum
crmscm_demand_window(PG_FUNCTION_ARGS)
{
	bool		has_series;
	DwProfile	p;
	TupleDesc	tupdesc;
	Datum		values[11];
	bool		nulls[11] = {0};

	if (PG_ARGISNULL(6) || PG_ARGISNULL(7) || PG_ARGISNULL(8))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("start_day, end_day and alpha must not be NULL")));
	has_series = !PG_ARGISNULL(0) && !PG_ARGISNULL(1) && !PG_ARGISNULL(2);
	demand_window_profile(has_series ? PG_GETARG_BYTEA_PP(0) : NULL,
						  has_series ? PG_GETARG_DATEADT(1) : 0,
						  has_series ? PG_GETARG_DATEADT(2) : 0,
						  PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3),
						  PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(4),
						  PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(5),
						  PG_GETARG_DATEADT(6), PG_GETARG_DATEADT(7), PG_GETARG_FLOAT8(8), &p);
	/*
	 * the row type once per call site, not per row: looking it up and
	 * blessing it again cost as much as the profile itself (30,000 rows of
	 * bench/reorder.sh)
	 */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	td;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	values[0] = Int32GetDatum((int32) p.prof.periods);
	values[1] = Int32GetDatum((int32) p.prof.demand_periods);
	values[2] = Float8GetDatum(p.prof.total);
	values[3] = Float8GetDatum(p.prof.mean);
	values[4] = Float8GetDatum(p.prof.sd);
	values[5] = Float8GetDatum(p.prof.adi);
	values[6] = Float8GetDatum(p.prof.cv2);
	values[7] = CStringGetTextDatum(ro_class_name(p.prof.klass));
	values[8] = CStringGetTextDatum(ro_method_name(p.prof.method));
	values[9] = Float8GetDatum(p.forecast);
	values[10] = Float8GetDatum(p.revenue);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ------------------------------------------------------------------------
 * building a series: aggregate over (day, qty, revenue) in day order
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(crmscm_demand_pack_accum);
Datum
crmscm_demand_pack_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx,
				old;
	StringInfo	buf;
	DwEntry		e;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "aggregate function called in non-aggregate context");
	if (PG_ARGISNULL(0))
	{
		old = MemoryContextSwitchTo(aggctx);
		buf = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
	else
		buf = (StringInfo) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(buf);
	e.day = PG_GETARG_DATEADT(1);
	e.qty = PG_GETARG_FLOAT8(2);
	e.revenue = PG_GETARG_FLOAT8(3);
	if (DATE_NOT_FINITE(e.day) || !isfinite(e.qty) || !isfinite(e.revenue))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("demand days must be finite")));
	if (buf->len > 0)
	{
		DwEntry		last;

		dw_get((unsigned char *) buf->data, buf->len / DW_ENTRY_SIZE - 1, &last);
		if (e.day <= last.day)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("demand days must come in increasing day order, each once")));
	}
	if (e.qty == 0 && e.revenue == 0)
		PG_RETURN_POINTER(buf);
	old = MemoryContextSwitchTo(aggctx);
	enlargeStringInfo(buf, DW_ENTRY_SIZE);
	dw_put((unsigned char *) buf->data, buf->len / DW_ENTRY_SIZE, &e);
	buf->len += DW_ENTRY_SIZE;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(buf);
}

PG_FUNCTION_INFO_V1(crmscm_demand_pack_final);
Datum
crmscm_demand_pack_final(PG_FUNCTION_ARGS)
{
	StringInfo	buf;
	bytea	   *res;

	if (PG_ARGISNULL(0))
	{
		res = palloc(VARHDRSZ);
		SET_VARSIZE(res, VARHDRSZ);
		PG_RETURN_BYTEA_P(res);
	}
	buf = (StringInfo) PG_GETARG_POINTER(0);
	res = palloc(VARHDRSZ + buf->len);
	SET_VARSIZE(res, VARHDRSZ + buf->len);
	memcpy(VARDATA(res), buf->data, buf->len);
	PG_RETURN_BYTEA_P(res);
}
