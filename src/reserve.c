/*
 * reserve.c — the reservation engine: the commit pass (doc/orders.md).
 *
 * Every rule about stock lives here, once: which warehouses a line takes
 * stock from, what becomes a backorder and where, what a smaller quantity,
 * a cancel or a delete gives back, how receipts and released stock fill the
 * backorder queues, what ship() consumes, and what on order is.  The
 * statement-time triggers (reserve_notes.c) only write down what changed.
 *
 * One pass per commit (or per crmscm.reserve_pending()), tenant by tenant
 * in ascending order:
 *
 *   1. read the lines to reconcile (their orders' lines) with the order's
 *      status, priority and ship_to; the tenant's warehouses;
 *   2. lock every inventory row of every touched item in one
 *      SELECT … ORDER BY item_id, warehouse_id FOR NO KEY UPDATE, creating
 *      the rows a backorder, receipt or purchase needs first;
 *   3. read (new statements: their snapshot sees every commit before the
 *      locks) the reservations and backorders of those lines, on order;
 *   4. in memory: stock moves, shipments, each line reconciled — the stock
 *      it should hold (qty - qty_shipped of an open line of a confirmed
 *      order, else nothing) against what it holds —, then the backorder
 *      queues where stock became available;
 *   5. write it back in a few set-based statements.
 *
 * Lock order of the whole commit: inventory rows in (tenant, item,
 * warehouse) order, then rows keyed by them (reservations, backorders),
 * then waiting lines of other transactions, which are never waited for:
 * they are taken with SKIP LOCKED, and a waiting line another transaction
 * holds gets the stock set aside on its backorder (backorders.allocated,
 * counted in inventory.reserved) instead, which the line's next pass turns
 * into its reservation.  So no unit is available while a backorder of its
 * item and warehouse waits, after every commit.  Then the customer-lifetime
 * bookkeeping (lifetime_tracking.c) in its own key order.
 *
 * The arithmetic follows 0.2.0's statements term by term (running sums,
 * least(), qty - total), so quantities carry the same numeric scales; the
 * differential test (test/scripts/orders_differential.sh) compares the two.
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "geopoint.h"
#include "reserve_model.h"

/* ------------------------------------------------------------------------
 * prepared statements
 * ------------------------------------------------------------------------
 */
typedef struct PassPlans
{
	Oid			nsp;
	int			options;		/* cursor options they were made with */
	SPIPlanPtr	warehouses;
	SPIPlanPtr	lines;
	SPIPlanPtr	lines_by_key;
	SPIPlanPtr	lock;
	SPIPlanPtr	ensure;
	SPIPlanPtr	reservations;
	SPIPlanPtr	backorders;
	SPIPlanPtr	on_order;
	SPIPlanPtr	queue;
	SPIPlanPtr	trylock;
	SPIPlanPtr	f_inv;
	SPIPlanPtr	f_res_del;
	SPIPlanPtr	f_res_upd;
	SPIPlanPtr	f_res_add;
	SPIPlanPtr	f_bo_del;
	SPIPlanPtr	f_bo_upd;
	SPIPlanPtr	f_bo_ins;
	SPIPlanPtr	f_line;
	/* one row each: for the few rows of most passes (below) */
	SPIPlanPtr	f_inv1;
	SPIPlanPtr	f_line1;
	SPIPlanPtr	f_res_add1;
	SPIPlanPtr	f_res_upd1;
	SPIPlanPtr	f_one_line;		/* a line's reservation, its inventory row and the line */
} PassPlans;

static PassPlans pp;

static SPIPlanPtr
plan(const char *sql, int nargs, Oid *types)
{
	return crmscm_keep_plan("reservation pass", sql, nargs, types, pp.options);
}

#define EQ " OPERATOR(pg_catalog.=) "

/*
 * The statements are made again every PASS_REPLAN_EVERY passes, as the
 * demand stage's (src/demand_state.c): a generic plan is kept until its
 * tables are analyzed, and one made while a table was small may scan an
 * index on the tenant alone and filter, a scan that grows with the table
 * until autovacuum's ANALYZE; a long-lived pooled backend would keep it
 * that long.  The old plans are freed (also when the options change).
 */
#define PASS_REPLAN_EVERY 1000
static uint32 pp_uses = 0;

/*
 * Passes running in this backend: a pass nested in another (its writes fire
 * the deferred trigger at once under SET CONSTRAINTS ... IMMEDIATE) must not
 * free the statements the outer pass is executing
 */
static int	pass_depth = 0;

bool
reserve_pass_nested(void)
{
	return pass_depth > 1;
}

static void
pass_plans_free(void)
{
	SPIPlanPtr *all[] = {&pp.warehouses, &pp.lines, &pp.lines_by_key, &pp.lock, &pp.ensure,
		&pp.reservations, &pp.backorders, &pp.on_order, &pp.queue, &pp.trylock, &pp.f_inv,
		&pp.f_res_del, &pp.f_res_upd, &pp.f_res_add, &pp.f_bo_del, &pp.f_bo_upd, &pp.f_bo_ins,
		&pp.f_line, &pp.f_inv1, &pp.f_line1, &pp.f_res_add1, &pp.f_res_upd1, &pp.f_one_line};
	size_t		i;

	StaticAssertStmt(sizeof(PassPlans) == offsetof(PassPlans, warehouses) + 23 * sizeof(SPIPlanPtr),
					 "pass_plans_free() frees every plan of PassPlans");
	for (i = 0; i < lengthof(all); i++)
	{
		if (*all[i] != NULL)
			SPI_freeplan(*all[i]);
		*all[i] = NULL;
	}
}

/*
 * Prepare the statements of the pass once per backend and schema (and again
 * every PASS_REPLAN_EVERY passes).
 * Length: a list of prepared statements, one after another, each with its
 * comment; new fields go at the end of its SELECT lists (doc/orders.md).
 */
static void
pass_plans(Oid nsp)
{
	const char *s;
	Oid			t[10];
	int			options = crmscm_plan_options(true);

	/* generic plans; custom ones on Citus (citus.c) */
	if (pp.nsp == nsp && pp.options == options && (++pp_uses < PASS_REPLAN_EVERY || reserve_pass_nested()))
		return;
	if (pp.nsp != InvalidOid)
	{
		pp.nsp = InvalidOid;
		pass_plans_free();
	}
	pp_uses = 0;
	pp.options = options;
	s = quote_identifier(get_namespace_name(nsp));

	t[0] = INT8OID;
	pp.warehouses = plan(psprintf(
		"SELECT w.warehouse_id, w.location FROM %s.warehouses w WHERE w.tenant_id" EQ "$1", s), 1, t);

	t[1] = INT8ARRAYOID;
	pp.lines = plan(psprintf(
		"SELECT l.order_id, l.line_no, l.item_id, l.qty, l.qty_shipped, l.qty_reserved, l.qty_backordered,"
		"       l.status, l.warehouse_id, o.status, o.priority, o.ship_to"
		"       ,(SELECT pg_catalog.array_agg(w.warehouse_id ORDER BY w.warehouse_id) FROM %s.warehouses w WHERE w.tenant_id" EQ "$1)"
		"       ,(SELECT pg_catalog.array_agg(%s.latitude(w.location) ORDER BY w.warehouse_id) FROM %s.warehouses w WHERE w.tenant_id" EQ "$1)"
		"       ,(SELECT pg_catalog.array_agg(%s.longitude(w.location) ORDER BY w.warehouse_id) FROM %s.warehouses w WHERE w.tenant_id" EQ "$1)"
		"       ,o.fill_policy"
		"  FROM %s.sales_order_lines l"
		"  JOIN %s.sales_orders o ON o.tenant_id" EQ "l.tenant_id AND o.order_id" EQ "l.order_id"
		" WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "ANY ($2)", s, s, s, s, s, s, s), 2, t);

	/* noted lines by key (an order's other lines are not read) */
	pp.lines_by_key = plan(psprintf(
		"SELECT l.order_id, l.line_no, l.item_id, l.qty, l.qty_shipped, l.qty_reserved, l.qty_backordered,"
		"       l.status, l.warehouse_id, o.status, o.priority, o.ship_to"
		"       ,(SELECT pg_catalog.array_agg(w.warehouse_id ORDER BY w.warehouse_id) FROM %s.warehouses w WHERE w.tenant_id" EQ "$1)"
		"       ,(SELECT pg_catalog.array_agg(%s.latitude(w.location) ORDER BY w.warehouse_id) FROM %s.warehouses w WHERE w.tenant_id" EQ "$1)"
		"       ,(SELECT pg_catalog.array_agg(%s.longitude(w.location) ORDER BY w.warehouse_id) FROM %s.warehouses w WHERE w.tenant_id" EQ "$1)"
		"       ,o.fill_policy"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS k(o, n)"
		"  JOIN %s.sales_order_lines l ON l.tenant_id" EQ "$1 AND l.order_id" EQ "k.o AND l.line_no" EQ "k.n"
		"  JOIN %s.sales_orders o ON o.tenant_id" EQ "$1 AND o.order_id" EQ "l.order_id", s, s, s, s, s, s, s), 3,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID});

	pp.lock = plan(psprintf(
		"SELECT i.item_id, i.warehouse_id, i.on_hand, i.reserved, i.on_order FROM %s.inventory i"
		" WHERE i.tenant_id" EQ "$1 AND i.item_id" EQ "ANY ($2)"
		" ORDER BY i.item_id, i.warehouse_id FOR NO KEY UPDATE", s), 2, t);

	/* the reservations and backorders of lines, by key */
	pp.reservations = plan(psprintf(
		"SELECT r.reservation_id, r.order_id, r.line_no, r.item_id, r.warehouse_id, r.qty"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS k(o, n)"
		"  JOIN %s.reservations r ON r.tenant_id" EQ "$1 AND r.order_id" EQ "k.o AND r.line_no" EQ "k.n", s), 3,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID});
	pp.backorders = plan(psprintf(
		"SELECT b.backorder_id, b.order_id, b.line_no, b.item_id, b.warehouse_id, b.qty, b.allocated,"
		"       b.priority, b.created_at, b.tier"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS k(o, n)"
		"  JOIN %s.backorders b ON b.tenant_id" EQ "$1 AND b.order_id" EQ "k.o AND b.line_no" EQ "k.n", s), 3,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID});

	/*
	 * the open quantity of ordered purchase order lines of one item and
	 * warehouse (doc/orders.md, "Purchase orders"); per key, by the index on
	 * (tenant_id, item_id, warehouse_id), and each line's order by its
	 * primary key: a scalar subquery, not EXISTS, which the planner may turn
	 * into a join that scans all the tenant's purchase orders for each line
	 * (it did, planned right after a bulk load: 12 ms a key for 300 lines)
	 */
	t[1] = INT8OID;
	t[2] = INT8OID;
	pp.on_order = plan(psprintf(
		"SELECT pg_catalog.sum(%s._po_line_open_qty(l.qty, l.qty_received))"
		"  FROM %s.purchase_order_lines l"
		" WHERE l.tenant_id" EQ "$1 AND l.item_id" EQ "$2 AND l.warehouse_id" EQ "$3"
		"   AND (SELECT p.status FROM %s.purchase_orders p WHERE p.tenant_id" EQ "$1"
		"         AND p.po_id" EQ "l.po_id)" EQ "'ordered'", s, s, s), 3, t);

	/* the backorder queue of one item and warehouse, in fill order */
	pp.queue = plan(psprintf(
		"SELECT b.backorder_id, b.order_id, b.line_no, b.item_id, b.warehouse_id, b.qty, b.allocated,"
		"       b.priority, b.created_at, b.tier FROM %s.backorders b"
		" WHERE b.tenant_id" EQ "$1 AND b.item_id" EQ "$2 AND b.warehouse_id" EQ "$3"
		" ORDER BY b.priority DESC, b.tier, b.created_at, b.backorder_id", s), 3, t);

	t[1] = INT8OID;
	t[2] = INT8OID;
	pp.ensure = plan(psprintf(
		"INSERT INTO %s.inventory (tenant_id, item_id, warehouse_id) VALUES ($1, $2, $3)"
		" ON CONFLICT DO NOTHING", s), 3, t);

	t[2] = INT4OID;
	/*
	 * a waiting line, and its order FOR KEY SHARE: an order another
	 * transaction is deleting counts as held (the pass writes the line a
	 * second time, which has the foreign key check its order FOR KEY SHARE,
	 * and that check would wait for the deleting transaction while this one
	 * holds inventory the other's commit needs)
	 */
	pp.trylock = plan(psprintf(
		"SELECT l.qty_reserved, l.qty_backordered FROM %s.sales_order_lines l"
		"  JOIN %s.sales_orders o ON o.tenant_id" EQ "l.tenant_id AND o.order_id" EQ "l.order_id"
		" WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "$2 AND l.line_no" EQ "$3 AND o.tenant_id" EQ "$1"
		"   FOR NO KEY UPDATE OF l SKIP LOCKED FOR KEY SHARE OF o SKIP LOCKED", s, s), 3, t);

	/* ---- writes ---- */
	t[1] = INT8ARRAYOID;
	t[2] = INT8ARRAYOID;
	t[3] = NUMERICARRAYOID;
	t[4] = NUMERICARRAYOID;
	t[5] = NUMERICARRAYOID;
	pp.f_inv = plan(psprintf(
		"UPDATE %s.inventory x SET on_hand = u.h, reserved = u.r, on_order = u.o"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(i, w, h, r, o)"
		" WHERE x.tenant_id" EQ "$1 AND x.item_id" EQ "u.i AND x.warehouse_id" EQ "u.w", s), 6, t);

	pp.f_res_del = plan(psprintf(
		"DELETE FROM %s.reservations x WHERE x.tenant_id" EQ "$1 AND x.reservation_id" EQ "ANY ($2)", s), 2, t);
	pp.f_bo_del = plan(psprintf(
		"DELETE FROM %s.backorders x WHERE x.tenant_id" EQ "$1 AND x.backorder_id" EQ "ANY ($2)", s), 2, t);

	t[2] = NUMERICARRAYOID;
	pp.f_res_upd = plan(psprintf(
		"UPDATE %s.reservations x SET qty = u.q FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS u(id, q)"
		" WHERE x.tenant_id" EQ "$1 AND x.reservation_id" EQ "u.id", s), 3, t);
	t[3] = NUMERICARRAYOID;
	pp.f_bo_upd = plan(psprintf(
		"UPDATE %s.backorders x SET qty = u.q, allocated = u.a FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(id, q, a)"
		" WHERE x.tenant_id" EQ "$1 AND x.backorder_id" EQ "u.id", s), 4, t);

	/* reservations: new rows, or units added to a (line, warehouse) row */
	t[2] = INT4ARRAYOID;
	t[3] = INT8ARRAYOID;
	t[4] = INT8ARRAYOID;
	t[5] = NUMERICARRAYOID;
	pp.f_res_add = plan(psprintf(
		"INSERT INTO %s.reservations AS x (tenant_id, order_id, line_no, item_id, warehouse_id, qty)"
		" SELECT $1, u.o, u.l, u.i, u.w, u.q FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) WITH ORDINALITY AS u(o, l, i, w, q, n)"
		" ORDER BY u.n"
		" ON CONFLICT (tenant_id, order_id, line_no, warehouse_id)"
		" DO UPDATE SET qty = x.qty OPERATOR(pg_catalog.+) excluded.qty", s), 6, t);
	t[6] = INT4ARRAYOID;
	pp.f_bo_ins = plan(psprintf(
		"INSERT INTO %s.backorders (tenant_id, order_id, line_no, item_id, warehouse_id, qty, priority, allocated, tier)"
		" SELECT $1, u.o, u.l, u.i, u.w, u.q, u.p, u.a, u.t"
		"   FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9)) WITH ORDINALITY AS u(o, l, i, w, q, p, a, t, n)"
		" ORDER BY u.n", s), 9, (Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		NUMERICARRAYOID, INT4ARRAYOID, NUMERICARRAYOID, TEXTARRAYOID});

	pp.f_line = plan(psprintf(
		"UPDATE %s.sales_order_lines x SET qty_reserved = u.r, qty_backordered = u.b, status = u.s"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(o, l, r, b, s)"
		" WHERE x.tenant_id" EQ "$1 AND x.order_id" EQ "u.o AND x.line_no" EQ "u.l", s), 6,
		(Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, TEXTARRAYOID});

	/*
	 * The same writes for one row, by primary key.  A pass mostly writes a
	 * few rows; the array forms above join their keys to the table with a
	 * generic plan made once, possibly when the table was small, and a hash
	 * join over a sequential scan chosen then costs more with every row the
	 * table gains.  By key, the plan is an index scan whatever the size.
	 */
	pp.f_inv1 = plan(psprintf(
		"UPDATE %s.inventory x SET on_hand = $4, reserved = $5, on_order = $6"
		" WHERE x.tenant_id" EQ "$1 AND x.item_id" EQ "$2 AND x.warehouse_id" EQ "$3", s), 6,
		(Oid[]) {INT8OID, INT8OID, INT8OID, NUMERICOID, NUMERICOID, NUMERICOID});
	pp.f_line1 = plan(psprintf(
		"UPDATE %s.sales_order_lines x SET qty_reserved = $4, qty_backordered = $5, status = $6"
		" WHERE x.tenant_id" EQ "$1 AND x.order_id" EQ "$2 AND x.line_no" EQ "$3", s), 6,
		(Oid[]) {INT8OID, INT8OID, INT4OID, NUMERICOID, NUMERICOID, TEXTOID});
	pp.f_res_add1 = plan(psprintf(
		"INSERT INTO %s.reservations AS x (tenant_id, order_id, line_no, item_id, warehouse_id, qty)"
		" VALUES ($1, $2, $3, $4, $5, $6)"
		" ON CONFLICT (tenant_id, order_id, line_no, warehouse_id)"
		" DO UPDATE SET qty = x.qty OPERATOR(pg_catalog.+) excluded.qty", s), 6,
		(Oid[]) {INT8OID, INT8OID, INT4OID, INT8OID, INT8OID, NUMERICOID});
	pp.f_res_upd1 = plan(psprintf(
		"UPDATE %s.reservations x SET qty = $3"
		" WHERE x.tenant_id" EQ "$1 AND x.reservation_id" EQ "$2", s), 3,
		(Oid[]) {INT8OID, INT8OID, NUMERICOID});

	/*
	 * The commonest pass of all (one line reserved from one warehouse) in
	 * one statement: each statement has a fixed cost comparable to these
	 * one-row writes
	 */
	pp.f_one_line = plan(psprintf(
		"WITH i AS ("
		"  UPDATE %s.inventory x SET on_hand = $4, reserved = $5, on_order = $6"
		"   WHERE x.tenant_id" EQ "$1 AND x.item_id" EQ "$2 AND x.warehouse_id" EQ "$3"
		"), r AS ("
		"  INSERT INTO %s.reservations AS x (tenant_id, order_id, line_no, item_id, warehouse_id, qty)"
		"  VALUES ($1, $7, $8, $2, $3, $9)"
		"  ON CONFLICT (tenant_id, order_id, line_no, warehouse_id)"
		"  DO UPDATE SET qty = x.qty OPERATOR(pg_catalog.+) excluded.qty"
		")"
		" UPDATE %s.sales_order_lines x SET qty_reserved = $10, qty_backordered = $11, status = $12"
		"  WHERE x.tenant_id" EQ "$1 AND x.order_id" EQ "$7 AND x.line_no" EQ "$8", s, s, s), 12,
		(Oid[]) {INT8OID, INT8OID, INT8OID, NUMERICOID, NUMERICOID, NUMERICOID,
		INT8OID, INT4OID, NUMERICOID, NUMERICOID, NUMERICOID, TEXTOID});

	pp.nsp = nsp;
}


/*
 * A statement by key of a stage (demand_state.c, allocation.c) has a
 * generic plan, made at its first execution, and again after an
 * invalidation, whenever that is: made while a table was small (a tenant's
 * first orders; demand_state starts empty), it would scan the table, and
 * go on scanning it, filtered, as it grows.  Planned with sequential scans
 * off, a lookup by key is an index scan whatever the size.  The setting is
 * set for the statement only (as a function's SET clause is).
 */
int
crmscm_exec_by_key(SPIPlanPtr plan, Datum *args, const char *nulls)
{
	int			level = NewGUCNestLevel();
	int			rc;

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_plan(plan, args, nulls, false, 0);
	AtEOXact_GUC(true, level);
	return rc;
}

/* ---- small helpers ---- */

static Datum
int8_array(int64 *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
datum_array(Datum *d, int n, Oid type)
{
	int16		len;
	bool		byval;
	char		align;

	get_typlenbyvalalign(type, &len, &byval, &align);
	return PointerGetDatum(construct_array(d, n, type, len, byval, align));
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : (x > y);
}

static int
uniq64(int64 *v, int n)
{
	int			i,
				m = 0;

	qsort(v, n, sizeof(int64), int64_cmp);
	for (i = 0; i < n; i++)
		if (m == 0 || v[m - 1] != v[i])
			v[m++] = v[i];
	return m;
}

static void
exec(SPIPlanPtr p, Datum *args, int expect)
{
	int			rc = SPI_execute_plan(p, args, NULL, false, 0);

	if (rc != expect)
		elog(ERROR, "crmscm reservation pass: statement failed: %s", SPI_result_code_string(rc));
}

static int64
col_int8(SPITupleTable *tt, uint64 r, int c, bool *isnull)
{
	bool		n;
	Datum		d = SPI_getbinval(tt->vals[r], tt->tupdesc, c, &n);

	if (isnull)
		*isnull = n;
	return n ? 0 : DatumGetInt64(d);
}

static Datum
col_num(SPITupleTable *tt, uint64 r, int c)
{
	bool		n;
	Datum		d = SPI_getbinval(tt->vals[r], tt->tupdesc, c, &n);

	return n ? num_zero() : datumCopy(d, false, -1);
}

static int
order_status(Datum d)
{
	char	   *s = TextDatumGetCString(d);

	if (strcmp(s, "confirmed") == 0)
		return ORDER_CONFIRMED;
	if (strcmp(s, "cancelled") == 0)
		return ORDER_CANCELLED;
	if (strcmp(s, "closed") == 0)
		return ORDER_CLOSED;
	return ORDER_DRAFT;
}

static char
line_status(Datum d)
{
	char	   *s = TextDatumGetCString(d);

	if (strcmp(s, "open") == 0)
		return LINE_OPEN;
	if (strcmp(s, "shipped") == 0)
		return LINE_SHIPPED;
	return LINE_CANCELLED;
}







/* ------------------------------------------------------------------------
 * loading
 * ------------------------------------------------------------------------
 */

static void
load_warehouses(Pass *p)
{
	Datum		args[1];
	uint64		r;
	SPITupleTable *tt;

	if (p->whs_loaded)
		return;
	args[0] = Int64GetDatum(p->tenant);
	exec(pp.warehouses, args, SPI_OK_SELECT);
	tt = SPI_tuptable;
	p->whs = palloc(sizeof(Wh) * Max(SPI_processed, 1));
	p->nwh = (int) SPI_processed;
	for (r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		Datum		loc;

		p->whs[r].id = col_int8(tt, r, 1, NULL);
		loc = SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull);
		p->whs[r].has_loc = !isnull;
		if (!isnull)
			p->whs[r].loc = *DatumGetGeoPointP(loc);
	}
	SPI_freetuptable(tt);
	p->whs_loaded = true;
}






/*
 * The tenant's warehouses, which the line queries return with every row
 * (columns 13-15: ids, latitudes and longitudes in id order), so that they
 * cost no statement of their own
 */
static void
warehouses_from_row(Pass *p, SPITupleTable *tt)
{
	bool		isnull[3];
	Datum		d[3];
	Datum	   *ids = NULL,
			   *lat = NULL,
			   *lon = NULL;
	bool	   *latnull = NULL,
			   *lonnull = NULL;
	int			n = 0,
				k;

	for (k = 0; k < 3; k++)
		d[k] = SPI_getbinval(tt->vals[0], tt->tupdesc, 13 + k, &isnull[k]);
	if (!isnull[0])
	{
		deconstruct_array(DatumGetArrayTypeP(d[0]), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ids, NULL, &n);
		deconstruct_array(DatumGetArrayTypeP(d[1]), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &lat, &latnull, &k);
		deconstruct_array(DatumGetArrayTypeP(d[2]), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &lon, &lonnull, &k);
	}
	p->whs = palloc(sizeof(Wh) * Max(n, 1));
	p->nwh = n;
	for (k = 0; k < n; k++)
	{
		p->whs[k].id = DatumGetInt64(ids[k]);
		p->whs[k].has_loc = !latnull[k] && !lonnull[k];
		if (p->whs[k].has_loc)
		{
			p->whs[k].loc.lat = DatumGetFloat8(lat[k]);
			p->whs[k].loc.lon = DatumGetFloat8(lon[k]);
		}
	}
	p->whs_loaded = true;
}

/*
 * Read the lines to reconcile, with their order: the noted lines by key
 * (keys != NULL), or every line of the given orders.
 */
static void
load_lines(Pass *p, int64 *orders, int32 *lines, int n)
{
	Datum		args[3];
	uint64		r;
	SPITupleTable *tt;

	args[0] = Int64GetDatum(p->tenant);
	args[1] = int8_array(orders, n);
	if (lines != NULL)
	{
		Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
		int			i;

		for (i = 0; i < n; i++)
			d[i] = Int32GetDatum(lines[i]);
		args[2] = datum_array(d, n, INT4OID);
		exec(pp.lines_by_key, args, SPI_OK_SELECT);
	}
	else
		exec(pp.lines, args, SPI_OK_SELECT);
	tt = SPI_tuptable;
	if (SPI_processed > 0 && !p->whs_loaded)
		warehouses_from_row(p, tt);
	for (r = 0; r < SPI_processed; r++)
	{
		bool		isnull,
					found;
		int64		order_id = col_int8(tt, r, 1, NULL);
		int32		line_no = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull));
		Ord		   *o = hash_search(p->orders, &order_id, HASH_FIND, &found);
		Line	   *l = line_get(p, order_id, line_no, o != NULL && o->whole);
		Datum		d;

		if (o == NULL || l == NULL || l->exists)
			continue;			/* not noted, or read already */
		l->reconcile = l->mine = true;
		if (o->status < 0)
		{
			o->status = order_status(SPI_getbinval(tt->vals[r], tt->tupdesc, 10, &isnull));
			o->priority = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 11, &isnull));
			d = SPI_getbinval(tt->vals[r], tt->tupdesc, 12, &isnull);
			o->ship_null = isnull;
			if (!isnull)
				o->ship_to = *DatumGetGeoPointP(d);
			/* #15 fill policy (columns 13-15 are the tenant's warehouses) */
			d = SPI_getbinval(tt->vals[r], tt->tupdesc, 16, &isnull);
			o->all_or_nothing = !isnull && strcmp(TextDatumGetCString(d), "all_or_nothing") == 0;
		}
		l->exists = true;
		l->ord = o;
		l->item = col_int8(tt, r, 3, NULL);
		l->qty = col_num(tt, r, 4);
		l->shipped = col_num(tt, r, 5);
		l->reserved = col_num(tt, r, 6);
		l->backordered = col_num(tt, r, 7);
		l->status = line_status(SPI_getbinval(tt->vals[r], tt->tupdesc, 8, &isnull));
		l->pref = col_int8(tt, r, 9, &l->pref_null);
	}
	SPI_freetuptable(tt);
}

static Hold *
hold_from_row(Pass *p, SPITupleTable *tt, uint64 r, bool is_bo)
{
	Hold	   *h = palloc0(sizeof(Hold));
	bool		isnull;

	h->is_bo = is_bo;
	h->id = col_int8(tt, r, 1, NULL);
	h->order_id = col_int8(tt, r, 2, NULL);
	h->line_no = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull));
	h->item = col_int8(tt, r, 4, NULL);
	h->wh = col_int8(tt, r, 5, NULL);
	h->qty = col_num(tt, r, 6);
	h->allocated = p->zero;
	if (is_bo)
	{
		h->allocated = col_num(tt, r, 7);
		h->priority = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 8, &isnull));
		h->created_at = DatumGetTimestampTz(SPI_getbinval(tt->vals[r], tt->tupdesc, 9, &isnull));
		{
			char	   *t = TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 10, &isnull));

			h->tier = t[0];
		}
	}
	h->qty0 = h->qty;			/* #15 */
	if (p->nholds == p->capholds)
	{
		p->capholds = p->capholds ? p->capholds * 2 : 64;
		p->holds = p->holds ? repalloc_huge(p->holds, sizeof(Hold *) * p->capholds)
			: palloc(sizeof(Hold *) * p->capholds);
	}
	p->holds[p->nholds++] = h;
	if (is_bo)
	{
		bool		found;
		BoEntry    *e = hash_search(p->bo_by_id, &h->id, HASH_ENTER, &found);

		e->h = h;
	}
	return h;
}

/* The reservations and backorders of the lines marked loaded */
static void
load_holdings(Pass *p)
{
	Datum		args[3];
	int			pass,
				n = 0;
	int64	   *ko;
	Datum	   *kl;
	HASH_SEQ_STATUS hs;
	Line	   *l;

	ko = palloc(sizeof(int64) * Max(hash_get_num_entries(p->lines), 1));
	kl = palloc(sizeof(Datum) * Max(hash_get_num_entries(p->lines), 1));
	hash_seq_init(&hs, p->lines);
	while ((l = hash_seq_search(&hs)) != NULL)
		if (l->loaded)
		{
			ko[n] = l->key.order_id;
			kl[n++] = Int32GetDatum(l->key.line_no);
		}
	if (n == 0)
		return;
	args[0] = Int64GetDatum(p->tenant);
	args[1] = int8_array(ko, n);
	args[2] = datum_array(kl, n, INT4OID);
	for (pass = 0; pass < 2; pass++)
	{
		SPITupleTable *tt;
		uint64		r;

		exec(pass == 0 ? pp.reservations : pp.backorders, args, SPI_OK_SELECT);
		tt = SPI_tuptable;
		for (r = 0; r < SPI_processed; r++)
		{
			bool		isnull;

			l = line_get(p, col_int8(tt, r, 2, NULL),
						 DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull)), false);
			if (l == NULL || !l->loaded)
				continue;
			hold_attach(l, hold_from_row(p, tt, r, pass == 1));
		}
		SPI_freetuptable(tt);
	}
}

/*
 * Lock every inventory row of the items, in (item, warehouse) order; keep
 * them in p->inv.
 */
static void
lock_inventory(Pass *p, int64 *items, int nitems)
{
	Datum		args[2];
	uint64		r;
	SPITupleTable *tt;

	args[0] = Int64GetDatum(p->tenant);
	args[1] = int8_array(items, nitems);
	exec(pp.lock, args, SPI_OK_SELECT);
	tt = SPI_tuptable;
	p->inv = palloc(sizeof(Inv) * Max(SPI_processed, 1));
	p->ninv = (int) SPI_processed;
	for (r = 0; r < SPI_processed; r++)
	{
		Inv		   *v = &p->inv[r];

		memset(v, 0, sizeof(Inv));
		v->item = col_int8(tt, r, 1, NULL);
		v->wh = col_int8(tt, r, 2, NULL);
		v->on_hand = col_num(tt, r, 3);
		v->reserved = col_num(tt, r, 4);
		v->on_order = col_num(tt, r, 5);
		v->avail0 = available(v);
		v->moved = p->zero;
		v->on_order0 = v->on_order; /* #15 */
	}
	SPI_freetuptable(tt);
}

/* ------------------------------------------------------------------------
 * the rules
 * ------------------------------------------------------------------------
 */











/* Take a waiting line of another transaction's order, if nobody holds it */
static Line *
take_waiting_line(Pass *p, int64 order_id, int32 line_no)
{
	Line	   *l = line_get(p, order_id, line_no, false);
	Datum		args[3];
	SPITupleTable *tt;

	if (l != NULL && (l->mine || l->other))
		return l->exists ? l : NULL;
	if (l != NULL && l->tried)
		return NULL;			/* already found held */
	if (l == NULL)
		l = line_get(p, order_id, line_no, true);
	args[0] = Int64GetDatum(p->tenant);
	args[1] = Int64GetDatum(order_id);
	args[2] = Int32GetDatum(line_no);
	exec(pp.trylock, args, SPI_OK_SELECT);
	tt = SPI_tuptable;
	if (SPI_processed == 1)
	{
		l->other = true;
		l->exists = true;
		l->reserved = col_num(tt, 0, 1);
		l->backordered = col_num(tt, 0, 2);
	}
	else
		l->tried = true;
	SPI_freetuptable(tt);
	return l->other ? l : NULL;
}


/* Fill the queues of every inventory row whose available stock grew in this pass */
static void
settle(Pass *p)
{
	int64	   *items = palloc(sizeof(int64) * Max(p->ninv, 1));
	int64	   *whs = palloc(sizeof(int64) * Max(p->ninv, 1));
	int			n = 0,
				i;
	Datum		args[3];
	SPITupleTable *tt;
	uint64		r;
	Hold	  **queue;
	int			nq = 0,
				capq = 16;

	for (i = 0; i < p->ninv; i++)
	{
		Datum		a = available(&p->inv[i]);

		if (num_pos(a, p->zero) && num_cmp(a, p->inv[i].avail0) > 0)
		{
			items[n] = p->inv[i].item;
			whs[n++] = p->inv[i].wh;
		}
	}
	if (n == 0)
		return;
	args[0] = Int64GetDatum(p->tenant);
	for (i = 0; i < n; i++)
	{
		args[1] = Int64GetDatum(items[i]);
		args[2] = Int64GetDatum(whs[i]);
		exec(pp.queue, args, SPI_OK_SELECT);
		tt = SPI_tuptable;
		/* the loaded rows, in memory once (rows already in memory win) */
		for (r = 0; r < SPI_processed; r++)
		{
			int64		id = col_int8(tt, r, 1, NULL);
			bool		found;

			hash_search(p->bo_by_id, &id, HASH_FIND, &found);
			if (!found)
				(void) hold_from_row(p, tt, r, true);
		}
		SPI_freetuptable(tt);
	}

	queue = palloc(sizeof(Hold *) * capq);
	for (i = 0; i < p->ninv; i++)
	{
		Inv		   *iv = &p->inv[i];
		Datum		a = available(iv);
		int			k;

		if (!(num_pos(a, p->zero) && num_cmp(a, iv->avail0) > 0))
			continue;
		nq = 0;
		for (k = 0; k < p->nholds; k++)
		{
			Hold	   *h = p->holds[k];

			if (!h->is_bo || h->deleted || h->item != iv->item || h->wh != iv->wh)
				continue;
			if (nq == capq)
			{
				capq *= 2;
				queue = repalloc_huge(queue, sizeof(Hold *) * capq);
			}
			queue[nq++] = h;
		}
		qsort(queue, nq, sizeof(Hold *), queue_cmp);
		fill_queue(p, iv, queue, nq);
	}
}

/* ------------------------------------------------------------------------
 * writing back
 * ------------------------------------------------------------------------
 */

typedef struct Arr
{
	Datum	   *d;
	int			n;
	int			cap;
} Arr;

static void
arr_push(Arr *a, Datum d)
{
	if (a->n == a->cap)
	{
		a->cap = a->cap ? a->cap * 2 : 16;
		a->d = a->d ? repalloc_huge(a->d, sizeof(Datum) * a->cap) : palloc(sizeof(Datum) * a->cap);
	}
	a->d[a->n++] = d;
}

/* up to this many rows, a table is written row by row, by key */
#define FEW 8

/* Rows to write to one table: column c of row k is col[c].d[k] */
typedef struct Rows
{
	int			ncols;
	Oid			types[8];
	Arr			col[8];
} Rows;

static void
rows_init(Rows *r, int ncols, const Oid *types)
{
	memset(r, 0, sizeof(Rows));
	r->ncols = ncols;
	memcpy(r->types, types, sizeof(Oid) * ncols);
}

static void
rows_add(Rows *r, const Datum *vals)
{
	int			c;

	for (c = 0; c < r->ncols; c++)
		arr_push(&r->col[c], vals[c]);
}

/*
 * Write the rows: one statement per row by key (plan "one", if any) when
 * they are few, else one statement over arrays (plan "many").  A pass
 * mostly writes a few rows; the array forms join their keys to the table
 * with a generic plan made once, possibly while the table was small, and a
 * hash join over a sequential scan chosen then would cost more with every
 * row the table gains.  By key, the plan is an index scan whatever the size.
 */
static void
rows_write(Pass *p, Rows *r, SPIPlanPtr many, SPIPlanPtr one, int expect)
{
	Datum		args[9];
	int			n = r->col[0].n,
				c,
				k;

	if (n == 0)
		return;
	args[0] = Int64GetDatum(p->tenant);
	if (one != NULL && n <= FEW)
	{
		for (k = 0; k < n; k++)
		{
			for (c = 0; c < r->ncols; c++)
				args[1 + c] = r->col[c].d[k];
			exec(one, args, expect);
		}
		return;
	}
	for (c = 0; c < r->ncols; c++)
		args[1 + c] = datum_array(r->col[c].d, n, r->types[c]);
	exec(many, args, expect);
}

static const Oid ids_t[] = {INT8OID};
static const Oid res_upd_t[] = {INT8OID, NUMERICOID};
static const Oid res_add_t[] = {INT8OID, INT4OID, INT8OID, INT8OID, NUMERICOID};
static const Oid bo_upd_t[] = {INT8OID, NUMERICOID, NUMERICOID};
static const Oid bo_ins_t[] = {INT8OID, INT4OID, INT8OID, INT8OID, NUMERICOID, INT4OID, NUMERICOID, TEXTOID};
static const Oid inv_t[] = {INT8OID, INT8OID, NUMERICOID, NUMERICOID, NUMERICOID};
static const Oid line_t[] = {INT8OID, INT4OID, NUMERICOID, NUMERICOID, TEXTOID};

static int
hold_seq_cmp(const void *a, const void *b)
{
	const Hold *x = *(Hold *const *) a,
			   *y = *(Hold *const *) b;

	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Write the pass's changes back: deletes first (a reservation may be made again) */
static void
flush(Pass *p)
{
	Rows		rdel,
				bdel,
				rupd,
				radd,
				bupd,
				bins,
				inv,
				lines;
	Hold	  **newbo = palloc(sizeof(Hold *) * Max(p->nholds, 1));
	int			nnew = 0,
				i;
	HASH_SEQ_STATUS hs;
	Line	   *l;

	rows_init(&rdel, 1, ids_t);
	rows_init(&bdel, 1, ids_t);
	rows_init(&rupd, 2, res_upd_t);
	rows_init(&radd, 5, res_add_t);
	rows_init(&bupd, 3, bo_upd_t);
	rows_init(&bins, 8, bo_ins_t);
	rows_init(&inv, 5, inv_t);
	rows_init(&lines, 5, line_t);

	for (i = 0; i < p->nholds; i++)
	{
		Hold	   *h = p->holds[i];

		if (h->deleted)
		{
			if (h->id != 0)
				rows_add(h->is_bo ? &bdel : &rdel, (Datum[]) {Int64GetDatum(h->id)});
		}
		else if (!h->dirty)
			continue;
		else if (!h->is_bo && h->id != 0)
			rows_add(&rupd, (Datum[]) {Int64GetDatum(h->id), h->qty});
		else if (!h->is_bo && num_pos(h->qty, p->zero))
			rows_add(&radd, (Datum[]) {Int64GetDatum(h->order_id), Int32GetDatum(h->line_no),
				Int64GetDatum(h->item), Int64GetDatum(h->wh), h->qty});
		else if (h->is_bo && h->id != 0)
			rows_add(&bupd, (Datum[]) {Int64GetDatum(h->id), h->qty, h->allocated});
		else if (h->is_bo)
			newbo[nnew++] = h;
	}
	/* new backorders in creation order: their ids follow it */
	qsort(newbo, nnew, sizeof(Hold *), hold_seq_cmp);
	for (i = 0; i < nnew; i++)
		rows_add(&bins, (Datum[]) {Int64GetDatum(newbo[i]->order_id), Int32GetDatum(newbo[i]->line_no),
			Int64GetDatum(newbo[i]->item), Int64GetDatum(newbo[i]->wh), newbo[i]->qty,
			Int32GetDatum(newbo[i]->priority), newbo[i]->allocated,
			CStringGetTextDatum(newbo[i]->tier == 'A' ? "A" : newbo[i]->tier == 'B' ? "B" : "C")});
	for (i = 0; i < p->ninv; i++)
		if (p->inv[i].dirty)
			rows_add(&inv, (Datum[]) {Int64GetDatum(p->inv[i].item), Int64GetDatum(p->inv[i].wh),
				p->inv[i].on_hand, p->inv[i].reserved, p->inv[i].on_order});
	hash_seq_init(&hs, p->lines);
	while ((l = hash_seq_search(&hs)) != NULL)
		if (l->dirty && l->exists)
			rows_add(&lines, (Datum[]) {Int64GetDatum(l->key.order_id), Int32GetDatum(l->key.line_no),
				l->reserved, l->backordered,
				CStringGetTextDatum(l->status == LINE_OPEN ? "open" : l->status == LINE_SHIPPED ? "shipped" : "cancelled")});

	/* one line reserved from one warehouse: one statement */
	if (rdel.col[0].n == 0 && bdel.col[0].n == 0 && rupd.col[0].n == 0 && bupd.col[0].n == 0 &&
		bins.col[0].n == 0 && radd.col[0].n == 1 && inv.col[0].n == 1 && lines.col[0].n == 1 &&
		radd.col[2].d[0] == inv.col[0].d[0] && radd.col[3].d[0] == inv.col[1].d[0] &&
		radd.col[0].d[0] == lines.col[0].d[0] && radd.col[1].d[0] == lines.col[1].d[0])
	{
		Datum		args[12];

		args[0] = Int64GetDatum(p->tenant);
		args[1] = inv.col[0].d[0];
		args[2] = inv.col[1].d[0];
		args[3] = inv.col[2].d[0];
		args[4] = inv.col[3].d[0];
		args[5] = inv.col[4].d[0];
		args[6] = radd.col[0].d[0];
		args[7] = radd.col[1].d[0];
		args[8] = radd.col[4].d[0];
		args[9] = lines.col[2].d[0];
		args[10] = lines.col[3].d[0];
		args[11] = lines.col[4].d[0];
		exec(pp.f_one_line, args, SPI_OK_UPDATE);
		return;
	}
	rows_write(p, &rdel, pp.f_res_del, NULL, SPI_OK_DELETE);
	rows_write(p, &bdel, pp.f_bo_del, NULL, SPI_OK_DELETE);
	rows_write(p, &rupd, pp.f_res_upd, pp.f_res_upd1, SPI_OK_UPDATE);
	rows_write(p, &radd, pp.f_res_add, pp.f_res_add1, SPI_OK_INSERT);
	rows_write(p, &bupd, pp.f_bo_upd, NULL, SPI_OK_UPDATE);
	rows_write(p, &bins, pp.f_bo_ins, NULL, SPI_OK_INSERT);
	rows_write(p, &inv, pp.f_inv, pp.f_inv1, SPI_OK_UPDATE);
	rows_write(p, &lines, pp.f_line, pp.f_line1, SPI_OK_UPDATE);
}

/* ------------------------------------------------------------------------
 * one tenant
 * ------------------------------------------------------------------------
 */

static int
linekey_cmp(const void *a, const void *b)
{
	const Line *x = *(Line *const *) a,
			   *y = *(Line *const *) b;

	if (x->key.order_id != y->key.order_id)
		return x->key.order_id < y->key.order_id ? -1 : 1;
	return x->key.line_no < y->key.line_no ? -1 : (x->key.line_no > y->key.line_no);
}

/* notes (by index) in (a, b) order: the purchases' recount, once per key */
static Note *sort_notes;

static int
note_key_cmp(const void *a, const void *b)
{
	const Note *x = &sort_notes[*(const int *) a],
			   *y = &sort_notes[*(const int *) b];

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return 0;
}

typedef struct KeyPair
{
	int64		item;
	int64		wh;
} KeyPair;

static int
keypair_cmp(const void *a, const void *b)
{
	const KeyPair *x = a,
			   *y = b;

	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	if (x->wh != y->wh)
		return x->wh < y->wh ? -1 : 1;
	return 0;
}

/*
 * The commit pass of one tenant over its notes ns[0..n-1].
 * Length: the steps run in the lock order of doc/orders.md (inventory rows
 * in (item, warehouse) order, then the rows keyed by them, waiting lines of
 * others with SKIP LOCKED, then lifetime), and keeping them in one function
 * keeps that order readable in one place; being rewritten on the engine
 * branches (#14, #17, #18), so left whole here.
 */
static void
tenant_pass(Pass *p, Note *ns, int n)
{
	HASHCTL		ctl;
	int64	   *orders = palloc(sizeof(int64) * (n + 1));
	int64	   *items;
	int			norders = 0,
				nitems = 0,
				capitems = 16,
				i,
				round;
	bool		any_lines = false;
	Line	  **rec;
	int			nrec = 0;
	HASH_SEQ_STATUS hs;
	Line	   *l;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(Ord);
	ctl.hcxt = CurrentMemoryContext;
	p->orders = hash_create("crmscm pass orders", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(LineKey);
	ctl.entrysize = sizeof(Line);
	p->lines = hash_create("crmscm pass lines", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(BoEntry);
	p->bo_by_id = hash_create("crmscm pass backorders", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	items = palloc(sizeof(int64) * capitems);

#define PUSH_ITEM(x) do { \
		if (nitems == capitems) { capitems *= 2; items = repalloc_huge(items, sizeof(int64) * capitems); } \
		items[nitems++] = (x); } while (0)

	/* 1. what the notes name */
	for (i = 0; i < n; i++)
	{
		Note	   *x = &ns[i];
		bool		found;
		Ord		   *o;

		switch (x->kind)
		{
			case NOTE_LINE:
				l = line_get(p, x->a, (int32) x->b, true);
				if (!l->reconcile)
				{
					/* the earliest pending note says whether it was just inserted */
					l->reconcile = l->mine = true;
					l->inserted = x->inserted;
				}
				l->note_item = x->c;
				PUSH_ITEM(x->c);
				/* FALLTHROUGH */
			case NOTE_ORDER:
				o = hash_search(p->orders, &x->a, HASH_ENTER, &found);
				if (!found)
				{
					memset(((char *) o) + sizeof(int64), 0, sizeof(Ord) - sizeof(int64));
					o->status = -1;
					orders[norders++] = x->a;
				}
				any_lines = true;
				break;
			case NOTE_MOVE:
			case NOTE_ON_ORDER:
				PUSH_ITEM(x->a);
				break;
			case NOTE_SHIP:
				PUSH_ITEM(x->a);
				l = line_get(p, x->d, (int32) x->e, true);
				l->loaded = true;
				break;
			case NOTE_DEMAND:
			case NOTE_RECEIPT:
			case NOTE_PO_CLOSED:
				break;			/* for the stages (reserve_stages.c) */
		}
	}

	/* 2. the lines: noted ones, and every line of a noted order */
	for (i = 0; i < n; i++)
		if (ns[i].kind == NOTE_ORDER)
		{
			bool		found;
			Ord		   *o = hash_search(p->orders, &ns[i].a, HASH_FIND, &found);

			o->whole = true;
		}
	if (any_lines)
	{
		int64	   *ko = palloc(sizeof(int64) * (n + 1));
		int32	   *kl = palloc(sizeof(int32) * (n + 1));
		int64	   *wo = palloc(sizeof(int64) * (n + 1));
		int			nk = 0,
					nw = 0;
		HASH_SEQ_STATUS hs2;
		Line	   *x;
		Ord		   *o;

		hash_seq_init(&hs2, p->lines);
		while ((x = hash_seq_search(&hs2)) != NULL)
			if (x->reconcile)
			{
				ko[nk] = x->key.order_id;
				kl[nk++] = x->key.line_no;
			}
		hash_seq_init(&hs2, p->orders);
		while ((o = hash_seq_search(&hs2)) != NULL)
			if (o->whole)
				wo[nw++] = o->order_id;
		if (nk > 0)
			load_lines(p, ko, kl, nk);
		if (nw > 0)
			load_lines(p, wo, NULL, nw);
	}

	/* the lines to reconcile, in key order; their items */
	rec = palloc(sizeof(Line *) * Max(hash_get_num_entries(p->lines), 1));
	hash_seq_init(&hs, p->lines);
	while ((l = hash_seq_search(&hs)) != NULL)
	{
		if (!l->reconcile)
			continue;
		rec[nrec++] = l;
		if (l->exists)
			PUSH_ITEM(l->item);
		else
			l->item = l->note_item;
		/* holdings: unless new in this transaction and never reserved */
		if (!l->exists || !l->inserted || !num_is_zero(l->reserved) || !num_is_zero(l->backordered))
		{
			l->loaded = true;
		}
	}
	qsort(rec, nrec, sizeof(Line *), linekey_cmp);
	nitems = uniq64(items, nitems);
	p->take_line = take_waiting_line;
	if (nrec > 0)
		load_warehouses(p);		/* the rules rank them by distance */

	/*
	 * 3. lock the inventory of every item; rows a backorder, move or
	 * purchase needs are created first (then everything is locked again)
	 */
	for (round = 0;; round++)
	{
		int64	   *mi = palloc(sizeof(int64) * (nrec + n + 1));
		int64	   *mw = palloc(sizeof(int64) * (nrec + n + 1));
		int			nm = 0,
					k;

		lock_inventory(p, items, nitems);
		for (k = 0; k < nrec; k++)
		{
			Line	   *x = rec[k];

			if (x->exists && x->ord->status == ORDER_CONFIRMED && x->status == LINE_OPEN &&
				num_cmp(num_sub(x->qty, x->shipped), num_add(x->reserved, x->backordered)) > 0)
			{
				int64		wh = backorder_wh(p, x);

				if (inv_find(p, x->item, wh) == NULL)
				{
					mi[nm] = x->item;
					mw[nm++] = wh;
				}
			}
		}
		for (k = 0; k < n; k++)
			if ((ns[k].kind == NOTE_MOVE || ns[k].kind == NOTE_ON_ORDER) &&
				inv_find(p, ns[k].a, ns[k].b) == NULL)
			{
				/* on order only when there is something on order */
				if (ns[k].kind == NOTE_ON_ORDER)
					continue;
				mi[nm] = ns[k].a;
				mw[nm++] = ns[k].b;
			}
		/*
		 * purchases: recount every noted (item, warehouse) after the lock,
		 * once per key (a purchase order of 20,000 lines notes each line:
		 * 20,000 recounts of the same 200 keys took 133 s), and create rows
		 * only where something is on order
		 */
		{
			int		   *ix = palloc(sizeof(int) * (n + 1));
			int			nix = 0,
						g,
						e;

			for (k = 0; k < n; k++)
				if (ns[k].kind == NOTE_ON_ORDER)
					ix[nix++] = k;
			sort_notes = ns;
			qsort(ix, nix, sizeof(int), note_key_cmp);
			for (g = 0; g < nix; g = e)
			{
				Note	   *x = &ns[ix[g]];
				Datum		args[3];
				bool		isnull;
				Datum		qty;

				for (e = g + 1; e < nix && ns[ix[e]].a == x->a && ns[ix[e]].b == x->b; e++)
					;
				CHECK_FOR_INTERRUPTS();
				args[0] = Int64GetDatum(p->tenant);
				args[1] = Int64GetDatum(x->a);
				args[2] = Int64GetDatum(x->b);
				/* by key with the index, whatever the size of the table at planning */
				if (crmscm_exec_by_key(pp.on_order, args, NULL) != SPI_OK_SELECT)
					elog(ERROR, "crmscm reservation pass: statement failed: counting on order");
				(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
				qty = isnull ? p->zero : col_num(SPI_tuptable, 0, 1);
				SPI_freetuptable(SPI_tuptable);
				for (k = g; k < e; k++)
					ns[ix[k]].qty = qty;
				if (inv_find(p, x->a, x->b) == NULL && !num_is_zero(qty))
				{
					mi[nm] = x->a;
					mw[nm++] = x->b;
				}
			}
			pfree(ix);
		}
		if (nm == 0)
			break;
		if (round > 0)
			elog(ERROR, "crmscm reservation pass: inventory rows missing after creating them");
		/* create them in key order */
		{
			int			a;
			KeyPair    *kp = palloc(sizeof(KeyPair) * nm);

			for (a = 0; a < nm; a++)
			{
				kp[a].item = mi[a];
				kp[a].wh = mw[a];
			}
			qsort(kp, nm, sizeof(KeyPair), keypair_cmp);
			for (a = 0; a < nm; a++)
			{
				mi[a] = kp[a].item;
				mw[a] = kp[a].wh;
			}
			pfree(kp);
			for (a = 0; a < nm; a++)
			{
				Datum		args[3];

				if (a > 0 && mi[a] == mi[a - 1] && mw[a] == mw[a - 1])
					continue;
				args[0] = Int64GetDatum(p->tenant);
				args[1] = Int64GetDatum(mi[a]);
				args[2] = Int64GetDatum(mw[a]);
				exec(pp.ensure, args, SPI_OK_INSERT);
			}
		}
	}

	/* 4. holdings, read after the locks */
	load_holdings(p);

	/* 5. stock moves, shipments, on order */
	for (i = 0; i < n; i++)
	{
		Note	   *x = &ns[i];

		if (x->kind == NOTE_MOVE)
		{
			Inv		   *v = inv_must(p, x->a, x->b);

			v->on_hand = num_add(v->on_hand, x->qty);
			v->moved = num_add(v->moved, x->qty);
			if (num_cmp(x->qty, p->zero) < 0)
				v->negative_move = true;
			v->dirty = true;
		}
		else if (x->kind == NOTE_SHIP)
		{
			Line	   *sl = line_get(p, x->d, (int32) x->e, false);
			Hold	   *h;
			Inv		   *v = inv_must(p, x->a, x->b);

			for (h = sl ? sl->holds : NULL; h; h = h->next)
				if (!h->is_bo && h->id == x->c)
					break;
			if (h == NULL || h->deleted)
				elog(ERROR, "crmscm reservation pass: reservation " INT64_FORMAT " shipped from is gone", x->c);
			if (num_cmp(x->qty, h->qty) == 0)
				h->deleted = true;
			else
				h->qty = num_sub(h->qty, x->qty);
			h->dirty = true;
			v->reserved = num_sub(v->reserved, x->qty);
			v->dirty = true;
		}
	}
	/* noted keys: the recount, or 0 when no ordered line is left */
	for (i = 0; i < n; i++)
		if (ns[i].kind == NOTE_ON_ORDER)
		{
			Inv		   *v = inv_find(p, ns[i].a, ns[i].b);

			if (v != NULL && num_cmp(ns[i].qty, v->on_order) != 0)
			{
				v->on_order = ns[i].qty;
				v->dirty = true;
			}
		}

	/* work other features must do before the rules (reserve_stages.c) */
	stages_before_rules(p, ns, n);

	/* 6. every noted line, in key order; 7. the queues */
	for (i = 0; i < nrec; i++)
	{
		CHECK_FOR_INTERRUPTS();
		reconcile(p, rec[i]);
	}
	settle(p);
	check_fill_policy(p, rec, nrec);	/* #15 all_or_nothing */

	/* 8. on hand never below reserved */
	for (i = 0; i < p->ninv; i++)
	{
		Inv		   *v = &p->inv[i];

		if (num_cmp(v->on_hand, v->reserved) < 0)
		{
			if (v->negative_move)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("adjustment of %s for item " INT64_FORMAT " in warehouse " INT64_FORMAT " would leave on hand below reserved stock",
								DatumGetCString(DirectFunctionCall1(numeric_out, v->moved)), v->item, v->wh),
						 errhint("Cancel or ship reservations first; on hand must stay >= reserved."),
						 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "inventory_reserved_range")));
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("item " INT64_FORMAT " in warehouse " INT64_FORMAT " would have less on hand than reserved",
							v->item, v->wh),
					 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "inventory_reserved_range")));
		}
	}

	stages_before_flush(p, ns, n);
	flush(p);
	stages_after_flush(p, ns, n);
}

/* ------------------------------------------------------------------------
 * the pass
 * ------------------------------------------------------------------------
 */

static Note *sort_ns;

static int
note_ix_cmp(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;

	if (sort_ns[x].tenant != sort_ns[y].tenant)
		return sort_ns[x].tenant < sort_ns[y].tenant ? -1 : 1;
	return x < y ? -1 : (x > y);
}

typedef struct PassArgs
{
	Oid			nsp;
	bool		lifetime;		/* book the lifetime notes too (at commit) */
	bool		one_tenant;		/* only the notes of tenant (reserve_pending(t)) */
	int64		tenant;
	Note	   *notes;
	int			n;
	MemoryContext cxt;
} PassArgs;

static void
pass_body(void *arg)
{
	PassArgs   *a = arg;
	Note	   *ns = a->notes;
	int			n = a->n;
	int			k = 0;

	if (n > 0)
	{
		int		   *ix = palloc(sizeof(int) * n);
		Note	   *sorted = palloc(sizeof(Note) * n);
		int			i;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "crmscm reservation pass: SPI_connect failed");
		pass_plans(a->nsp);
		/* by tenant; the notes of one tenant keep their time order */
		for (i = 0; i < n; i++)
			ix[i] = i;
		sort_ns = ns;
		qsort(ix, n, sizeof(int), note_ix_cmp);
		for (i = 0; i < n; i++)
			sorted[i] = ns[ix[i]];
		ns = sorted;
		while (k < n)
		{
			int			first = k;
			Pass		p;
			MemoryContext tcxt = AllocSetContextCreate(a->cxt, "crmscm tenant pass", ALLOCSET_DEFAULT_SIZES);
			MemoryContext o2 = MemoryContextSwitchTo(tcxt);

			while (k < n && ns[k].tenant == ns[first].tenant)
				k++;
			memset(&p, 0, sizeof(p));
			p.tenant = ns[first].tenant;
			p.cxt = tcxt;
			p.zero = num_zero();
			p.nsp = a->nsp;		/* #15 */
			tenant_pass(&p, &ns[first], k - first);
			MemoryContextSwitchTo(o2);
			MemoryContextDelete(tcxt);
		}
		SPI_finish();
	}
	if (a->lifetime && a->one_tenant)
		(void) lifetime_flush_tenant_alone(a->nsp, a->tenant);
	else if (a->lifetime)
		lifetime_flush_pending(a->nsp);
}

/* Run fn(arg) writing as crmscm */
static void
in_engine_scope(void (*fn) (void *), void *arg)
{
	EngineScope scope;

	engine_begin(&scope);
	PG_TRY();
	{
		fn(arg);
	}
	PG_FINALLY();
	{
		engine_end(&scope);
	}
	PG_END_TRY();
}

static void
pass_run(PassArgs *a)
{
	MemoryContext old;

	/* the events of a commit after the first find nothing to do */
	if (!notes_pending(a->one_tenant, a->tenant) && (!a->lifetime || !lifetime_pending()))
		return;
	engine_set_schema(a->nsp);
	a->cxt = AllocSetContextCreate(CurrentMemoryContext, "crmscm reservation pass", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(a->cxt);
	/* a copy: the pass's own writes may add notes (and move the array) */
	a->notes = notes_take(a->one_tenant, a->tenant, &a->n);
	pass_depth++;
	PG_TRY();
	{
		in_engine_scope(pass_body, a);
	}
	PG_FINALLY();
	{
		pass_depth--;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(a->cxt);
}

void
reserve_pass(Oid nsp, bool at_commit)
{
	PassArgs	a;

	memset(&a, 0, sizeof(a));
	a.nsp = nsp;
	a.lifetime = at_commit;
	pass_run(&a);
}

void
reserve_pass_tenant(Oid nsp, int64 tenant, bool lifetime)
{
	PassArgs	a;

	memset(&a, 0, sizeof(a));
	a.nsp = nsp;
	a.lifetime = lifetime;
	a.one_tenant = true;
	a.tenant = tenant;
	pass_run(&a);
}
