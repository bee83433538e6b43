/*
 * rebalance.c — crmscm.rebalance(item_id, dry_run) (issue #17,
 * doc/synergy.md): move the reservations of open, unshipped lines so that
 * each warehouse's stock of an item follows the current tiers and
 * allocation rules.
 *
 * Per item and warehouse, the units there — the available stock and what
 * the open lines hold there (reservations and units set aside on their
 * backorders) — go to the lines holding or waiting there in the queue
 * order with the customers' current tiers: order priority desc, tier,
 * order age, order id, line number; each line of tier t takes what it
 * wants of what the fences of the tiers better than t leave.  A line that
 * gets less than it holds waits for the rest in the same warehouse; its
 * backorders take the customer's current tier.  Shipped quantities are
 * never touched (they left on hand).  The result depends only on the
 * state, not on how it came about, so a second call moves nothing.
 *
 * Lock order, as the commit pass (doc/orders.md): the inventory rows of
 * every item in (item, warehouse) order, then the reservations and
 * backorders keyed by them, then the lines with SKIP LOCKED: a line another
 * transaction holds keeps what it holds (it may only get units set aside,
 * as the engine does).  It therefore refuses to run after order or stock
 * changes of its own transaction that the pass has not worked off yet.
 * A dry run reads without locking and writes nothing.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "synergy.h"

extern Datum crmscm_current_tenant(PG_FUNCTION_ARGS);

typedef struct RbPlans
{
	Oid			nsp;
	SPIPlanPtr	items;
	SPIPlanPtr	item_exists;
	SPIPlanPtr	lock;
	SPIPlanPtr	inventory;
	SPIPlanPtr	reservations;
	SPIPlanPtr	backorders;
	SPIPlanPtr	lines_lock;
	SPIPlanPtr	lines_read;
	SPIPlanPtr	orders;
	SPIPlanPtr	rules;
	SPIPlanPtr	w_inv;
	SPIPlanPtr	w_res_del;
	SPIPlanPtr	w_res_upd;
	SPIPlanPtr	w_res_ins;
	SPIPlanPtr	w_bo_del;
	SPIPlanPtr	w_bo_upd;
	SPIPlanPtr	w_bo_ins;
	SPIPlanPtr	w_line;
} RbPlans;

static RbPlans rp;

#define EQ " OPERATOR(pg_catalog.=) "

static SPIPlanPtr
keep(const char *sql, int nargs, Oid *types)
{
	return crmscm_keep_plan("rebalance", sql, nargs, types, crmscm_plan_options_for(nargs, types));
}

static void
rb_plans(Oid nsp)
{
	const char *s;
	Oid			t1[3] = {INT8OID, INT8OID, INT8OID};
	Oid			ta[3] = {INT8OID, INT8ARRAYOID, INT8OID};

	if (rp.nsp == nsp)
		return;
	rp.nsp = InvalidOid;
	s = quote_identifier(get_namespace_name(nsp));
	rp.items = keep(psprintf(
		"SELECT r.item_id FROM %s.reservations r WHERE r.tenant_id" EQ "$1"
		" UNION SELECT b.item_id FROM %s.backorders b WHERE b.tenant_id" EQ "$1 ORDER BY 1", s, s), 1, t1);
	rp.item_exists = keep(psprintf(
		"SELECT 1 FROM %s.items i WHERE i.tenant_id" EQ "$1 AND i.item_id" EQ "$2", s), 2, t1);
	rp.lock = keep(psprintf(
		"SELECT i.item_id FROM %s.inventory i WHERE i.tenant_id" EQ "$1 AND i.item_id" EQ "ANY ($2)"
		" ORDER BY i.item_id, i.warehouse_id FOR NO KEY UPDATE", s), 2, ta);
	rp.inventory = keep(psprintf(
		"SELECT i.warehouse_id, i.on_hand, i.reserved FROM %s.inventory i"
		" WHERE i.tenant_id" EQ "$1 AND i.item_id" EQ "$2 ORDER BY i.warehouse_id", s), 2, t1);
	rp.reservations = keep(psprintf(
		"SELECT r.reservation_id, r.order_id, r.line_no, r.warehouse_id, r.qty FROM %s.reservations r"
		" WHERE r.tenant_id" EQ "$1 AND r.item_id" EQ "$2", s), 2, t1);
	rp.backorders = keep(psprintf(
		"SELECT b.backorder_id, b.order_id, b.line_no, b.warehouse_id, b.qty, b.allocated, b.tier, b.created_at,"
		"       b.priority FROM %s.backorders b WHERE b.tenant_id" EQ "$1 AND b.item_id" EQ "$2", s), 2, t1);
	/* by the primary key (a superset: orders x line numbers), the item checked in C */
	rp.lines_lock = keep(psprintf(
		"SELECT l.order_id, l.line_no, l.status, l.qty_reserved, l.qty_backordered, l.item_id FROM %s.sales_order_lines l"
		"  JOIN %s.sales_orders o ON o.tenant_id" EQ "l.tenant_id AND o.order_id" EQ "l.order_id"
		" WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "ANY ($2) AND l.line_no" EQ "ANY ($3) AND o.tenant_id" EQ "$1"
		"   FOR NO KEY UPDATE OF l SKIP LOCKED FOR KEY SHARE OF o SKIP LOCKED", s, s),
		3, (Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID});
	rp.lines_read = keep(psprintf(
		"SELECT l.order_id, l.line_no, l.status, l.qty_reserved, l.qty_backordered, l.item_id FROM %s.sales_order_lines l"
		" WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "ANY ($2) AND l.line_no" EQ "ANY ($3)", s),
		3, (Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID});
	rp.orders = keep(psprintf(
		"SELECT o.order_id, o.status, o.priority, o.ordered_at, o.customer_id, t.tier FROM %s.sales_orders o"
		"  LEFT JOIN %s.customer_tiers t ON t.tenant_id" EQ "o.tenant_id AND t.customer_id" EQ "o.customer_id"
		" WHERE o.tenant_id" EQ "$1 AND o.order_id" EQ "ANY ($2)", s, s), 2, ta);
	rp.rules = keep(psprintf(
		"SELECT r.tier, r.share FROM %s.allocation_rules r WHERE r.tenant_id" EQ "$1 AND r.item_id" EQ "$2", s), 2, t1);
	rp.w_inv = keep(psprintf(
		"UPDATE %s.inventory x SET reserved = u.r FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(w, r)"
		" WHERE x.tenant_id" EQ "$1 AND x.item_id" EQ "$2 AND x.warehouse_id" EQ "u.w", s),
		4, (Oid[]) {INT8OID, INT8OID, INT8ARRAYOID, NUMERICARRAYOID});
	rp.w_res_del = keep(psprintf(
		"DELETE FROM %s.reservations x WHERE x.tenant_id" EQ "$1 AND x.reservation_id" EQ "ANY ($2)", s),
		2, (Oid[]) {INT8OID, INT8ARRAYOID});
	rp.w_res_upd = keep(psprintf(
		"UPDATE %s.reservations x SET qty = u.q FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS u(id, q)"
		" WHERE x.tenant_id" EQ "$1 AND x.reservation_id" EQ "u.id", s),
		3, (Oid[]) {INT8OID, INT8ARRAYOID, NUMERICARRAYOID});
	rp.w_res_ins = keep(psprintf(
		"INSERT INTO %s.reservations (tenant_id, order_id, line_no, item_id, warehouse_id, qty)"
		" SELECT $1, u.o, u.l, $2, u.w, u.q FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),"
		"        pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(o, l, w, q)", s),
		6, (Oid[]) {INT8OID, INT8OID, INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID});
	rp.w_bo_del = keep(psprintf(
		"DELETE FROM %s.backorders x WHERE x.tenant_id" EQ "$1 AND x.backorder_id" EQ "ANY ($2)", s),
		2, (Oid[]) {INT8OID, INT8ARRAYOID});
	rp.w_bo_upd = keep(psprintf(
		"UPDATE %s.backorders x SET qty = u.q, allocated = u.a, priority = u.p, tier = u.t"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
		"                  pg_catalog.unnest($6)) AS u(id, q, a, p, t)"
		" WHERE x.tenant_id" EQ "$1 AND x.backorder_id" EQ "u.id", s),
		6, (Oid[]) {INT8OID, INT8ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, INT4ARRAYOID, TEXTARRAYOID});
	rp.w_bo_ins = keep(psprintf(
		"INSERT INTO %s.backorders (tenant_id, order_id, line_no, item_id, warehouse_id, qty, priority, tier)"
		" SELECT $1, u.o, u.l, $2, u.w, u.q, u.p, u.t FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),"
		"        pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8))"
		"        WITH ORDINALITY AS u(o, l, w, q, p, t, n) ORDER BY u.n", s),
		8, (Oid[]) {INT8OID, INT8OID, INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID, INT4ARRAYOID, TEXTARRAYOID});
	rp.w_line = keep(psprintf(
		"UPDATE %s.sales_order_lines x SET qty_reserved = u.r, qty_backordered = u.b"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5))"
		"       AS u(o, l, r, b)"
		" WHERE x.tenant_id" EQ "$1 AND x.order_id" EQ "u.o AND x.line_no" EQ "u.l", s),
		5, (Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID});
	rp.nsp = nsp;
}

/* ---- helpers ---- */

static void
run(SPIPlanPtr p, Datum *args, bool ro, int expect)
{
	int			rc = SPI_execute_plan(p, args, NULL, ro, 0);

	if (rc != expect)
		elog(ERROR, "crmscm rebalance: statement failed: %s", SPI_result_code_string(rc));
}

static Datum
num_of(SPITupleTable *tt, uint64 r, int c)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tt->vals[r], tt->tupdesc, c, &isnull);

	return isnull ? num_zero() : datumCopy(d, false, -1);
}

static int64
i8(SPITupleTable *tt, uint64 r, int c)
{
	bool		isnull;

	return DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, c, &isnull));
}

static int32
i4(SPITupleTable *tt, uint64 r, int c)
{
	bool		isnull;

	return DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, c, &isnull));
}

static Datum
arr(Datum *d, int n, Oid type)
{
	int16		len;
	bool		byval;
	char		align;

	get_typlenbyvalalign(type, &len, &byval, &align);
	return PointerGetDatum(construct_array(d, n, type, len, byval, align));
}

static Datum
num_max0(Datum a)
{
	return num_cmp(a, num_zero()) > 0 ? a : num_zero();
}

static const char *
tier_text(char t)
{
	return t == 'A' ? "A" : (t == 'B' ? "B" : "C");
}

/* ---- the model of one item ---- */

typedef struct RbLine
{
	int64		order_id;
	int32		line_no;
	bool		movable;		/* locked (or dry run), open, of a confirmed order */
	bool		seen;			/* returned by the lines query */
	int32		priority;
	TimestampTz ordered_at;
	int64		customer_id;
	char		tier;			/* current */
	Datum		reserved;		/* line columns, before */
	Datum		backordered;
	Datum		new_reserved;
	Datum		new_backordered;
	const char *reason;
	bool		found_order;
} RbLine;

typedef struct RbHold
{
	bool		is_bo;
	int64		id;
	int64		order_id;
	int32		line_no;
	int64		wh;
	Datum		qty;
	Datum		allocated;
	char		tier;
	TimestampTz created_at;
	int32		priority;
	RbLine	   *line;
} RbHold;

/* one line's claim on one warehouse */
typedef struct Claim
{
	RbLine	   *line;
	int64		wh;
	Datum		res;			/* reservation there */
	Datum		alloc;			/* set aside on its backorders there */
	Datum		bo;				/* its backorders there (incl. alloc) */
	Datum		target;			/* what it holds there afterwards (res + set aside) */
	char		tier;			/* for the fence: current (movable) or stored (held lines) */
	bool		fence_limited;
} Claim;

static int
line_cmp(const void *a, const void *b)
{
	const RbLine *x = a,
			   *y = b;

	if (x->order_id != y->order_id)
		return x->order_id < y->order_id ? -1 : 1;
	return x->line_no < y->line_no ? -1 : (x->line_no > y->line_no);
}

/* the rebalance order: priority desc, tier, order age, order id, line number */
static int
claim_cmp(const void *a, const void *b)
{
	const Claim *x = a,
			   *y = b;

	if (x->line->priority != y->line->priority)
		return x->line->priority > y->line->priority ? -1 : 1;
	if (tier_rank(x->tier) != tier_rank(y->tier))
		return tier_rank(x->tier) < tier_rank(y->tier) ? -1 : 1;
	if (x->line->ordered_at != y->line->ordered_at)
		return x->line->ordered_at < y->line->ordered_at ? -1 : 1;
	return line_cmp(x->line, y->line);
}

static RbLine *
find_line(RbLine *v, int n, int64 order_id, int32 line_no)
{
	RbLine		k;

	k.order_id = order_id;
	k.line_no = line_no;
	return bsearch(&k, v, n, sizeof(RbLine), line_cmp);
}

typedef struct RbArgs
{
	Oid			nsp;
	int64		tenant;
	bool		all;
	int64		item;
	bool		dry_run;
	ReturnSetInfo *rsinfo;
	PromiseLineHint *moved;
	int			nmoved;
	int			capmoved;
} RbArgs;

static void
emit(RbArgs *a, int64 item, int64 wh, RbLine *l, Datum rb, Datum ra, Datum bb, Datum ba, const char *reason)
{
	Datum		values[11];
	bool		nulls[11] = {false};

	values[0] = Int64GetDatum(item);
	values[1] = Int64GetDatum(wh);
	values[2] = Int64GetDatum(l->order_id);
	values[3] = Int32GetDatum(l->line_no);
	values[4] = Int64GetDatum(l->customer_id);
	nulls[4] = !l->found_order;
	values[5] = CStringGetTextDatum(tier_text(l->tier));
	values[6] = rb;
	values[7] = ra;
	values[8] = bb;
	values[9] = ba;
	values[10] = CStringGetTextDatum(reason);
	tuplestore_putvalues(a->rsinfo->setResult, a->rsinfo->setDesc, values, nulls);
}

/*
 * The state of one item's rebalance, shared by its steps: rebalance_item()
 * loads (rb_load_inventory, rb_load_holds, rb_load_lines, rb_load_rules),
 * replays each warehouse (rb_claims, rb_allocate, rb_plan_writes) and writes
 * (rb_write).  Every step is linear in the holdings (plus a sort): each
 * line keeps the chain of its holdings and, per warehouse, its claim.
 */
typedef struct RbItem
{
	int64		item;
	int			nwh;
	int64	   *whs;
	Datum	   *on_hand,
			   *reserved,
			   *new_reserved;
	RbHold	   *holds;
	int			nholds;
	int		   *hold_next;		/* next holding of the same line (ascending index), -1 */
	RbLine	   *lines;			/* by (order, line number) */
	int			nlines;
	int		   *line_first;		/* first holding of each line, -1 */
	int		   *line_claim;		/* its claim in the warehouse being replayed */
	int		   *line_claim_wh;	/* that warehouse's index, -1 */
	Datum		share[PQ_TIERS];
	bool		has_share[PQ_TIERS];
	Datum		fence[PQ_TIERS];	/* share x on hand of the warehouse being replayed */
	/* the writes */
	Datum	   *res_del,
			   *res_upd_id,
			   *res_upd_q;
	Datum	   *ri_o,
			   *ri_l,
			   *ri_w,
			   *ri_q;
	Datum	   *bo_del,
			   *bu_id,
			   *bu_q,
			   *bu_a,
			   *bu_p,
			   *bu_t;
	Datum	   *bi_o,
			   *bi_l,
			   *bi_w,
			   *bi_q,
			   *bi_p,
			   *bi_t;
	int			nrd,
				nru,
				nri,
				nbd,
				nbu,
				nbi;
	bool		any_change;
} RbItem;

/* the inventory rows of the item (locked by the caller unless a dry run); false: none */
static bool
rb_load_inventory(RbArgs *a, RbItem *it)
{
	Datum		args[2];
	SPITupleTable *tt;
	uint64		r;
	int			n;

	args[0] = Int64GetDatum(a->tenant);
	args[1] = Int64GetDatum(it->item);
	run(rp.inventory, args, false, SPI_OK_SELECT);
	tt = SPI_tuptable;
	n = (int) SPI_processed;
	it->nwh = n;
	it->whs = palloc(sizeof(int64) * Max(n, 1));
	it->on_hand = palloc(sizeof(Datum) * Max(n, 1));
	it->reserved = palloc(sizeof(Datum) * Max(n, 1));
	it->new_reserved = palloc(sizeof(Datum) * Max(n, 1));
	for (r = 0; r < SPI_processed; r++)
	{
		it->whs[r] = i8(tt, r, 1);
		it->on_hand[r] = num_of(tt, r, 2);
		it->reserved[r] = num_of(tt, r, 3);
	}
	SPI_freetuptable(tt);
	return n > 0;
}

/* holdings: the reservations, then the backorders of the item; false: none */
static bool
rb_load_holds(RbArgs *a, RbItem *it)
{
	Datum		args[2];
	SPITupleTable *tt;
	uint64		r;
	int			k;

	args[0] = Int64GetDatum(a->tenant);
	args[1] = Int64GetDatum(it->item);
	it->nholds = 0;
	for (k = 0; k < 2; k++)
	{
		run(k == 0 ? rp.reservations : rp.backorders, args, false, SPI_OK_SELECT);
		tt = SPI_tuptable;
		if (SPI_processed > (uint64) crmscm_max_promise_queue * 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("item " INT64_FORMAT " has too many reservations or backorders to rebalance", it->item),
					 errhint("Raise crmscm.max_promise_queue.")));
		it->holds = k == 0 ? palloc(sizeof(RbHold) * Max(SPI_processed, 1))
			: repalloc_huge(it->holds, sizeof(RbHold) * (it->nholds + Max(SPI_processed, 1)));
		for (r = 0; r < SPI_processed; r++)
		{
			RbHold	   *h = &it->holds[it->nholds++];

			memset(h, 0, sizeof(*h));
			h->is_bo = k == 1;
			h->id = i8(tt, r, 1);
			h->order_id = i8(tt, r, 2);
			h->line_no = i4(tt, r, 3);
			h->wh = i8(tt, r, 4);
			h->qty = num_of(tt, r, 5);
			h->allocated = num_zero();
			if (h->is_bo)
			{
				bool		isnull;

				h->allocated = num_of(tt, r, 6);
				h->tier = TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 7, &isnull))[0];
				h->created_at = DatumGetTimestampTz(SPI_getbinval(tt->vals[r], tt->tupdesc, 8, &isnull));
				h->priority = i4(tt, r, 9);
			}
		}
		SPI_freetuptable(tt);
	}
	return it->nholds > 0;
}

/* the first line of an order in the sorted lines, -1 if none */
static int
first_line_of(RbItem *it, int64 order_id)
{
	int			lo = 0,
				hi = it->nlines;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (it->lines[mid].order_id < order_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < it->nlines && it->lines[lo].order_id == order_id ? lo : -1;
}

/* the orders of the lines: priority, age, customer and current tier; confirmed ones may move */
static void
rb_load_orders(RbArgs *a, RbItem *it, Datum *args)
{
	SPITupleTable *tt;
	uint64		r;
	Datum	   *od = palloc(sizeof(Datum) * it->nlines);
	int			no = 0,
				i;

	for (i = 0; i < it->nlines; i++)
		if (no == 0 || DatumGetInt64(od[no - 1]) != it->lines[i].order_id)
			od[no++] = Int64GetDatum(it->lines[i].order_id);
	args[1] = arr(od, no, INT8OID);
	run(rp.orders, args, false, SPI_OK_SELECT);
	tt = SPI_tuptable;
	for (r = 0; r < SPI_processed; r++)
	{
		int64		oid = i8(tt, r, 1);
		bool		isnull;
		bool		confirmed = strcmp(TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull)), "confirmed") == 0;
		int32		prio = i4(tt, r, 3);
		TimestampTz at = DatumGetTimestampTz(SPI_getbinval(tt->vals[r], tt->tupdesc, 4, &isnull));
		int64		cust = i8(tt, r, 5);
		Datum		t = SPI_getbinval(tt->vals[r], tt->tupdesc, 6, &isnull);
		char		tier = isnull ? 'C' : TextDatumGetCString(t)[0];
		int			f = first_line_of(it, oid);

		/* every line of the order */
		for (i = f; f >= 0 && i < it->nlines && it->lines[i].order_id == oid; i++)
		{
			RbLine	   *l = &it->lines[i];

			l->priority = prio;
			l->ordered_at = at;
			l->customer_id = cust;
			l->tier = tier;
			l->found_order = true;
			l->movable = confirmed; /* and open, once read below */
		}
	}
	SPI_freetuptable(tt);
}

/* the lines (one per holding, deduplicated), their orders, their columns, locked unless a dry run */
static void
rb_load_lines(RbArgs *a, RbItem *it)
{
	Datum		args[3];
	SPITupleTable *tt;
	uint64		r;
	RbLine	   *lines = palloc0(sizeof(RbLine) * it->nholds);
	int			nlines = 0,
				i,
				k;

	for (i = 0; i < it->nholds; i++)
	{
		lines[nlines].order_id = it->holds[i].order_id;
		lines[nlines].line_no = it->holds[i].line_no;
		nlines++;
	}
	qsort(lines, nlines, sizeof(RbLine), line_cmp);
	k = 0;
	for (i = 0; i < nlines; i++)
		if (k == 0 || line_cmp(&lines[k - 1], &lines[i]) != 0)
			lines[k++] = lines[i];
	it->lines = lines;
	it->nlines = nlines = k;

	args[0] = Int64GetDatum(a->tenant);
	rb_load_orders(a, it, args);
	{
		Datum	   *ld = palloc(sizeof(Datum) * nlines);
		int			nl = 0,
					j;

		for (i = 0; i < nlines; i++)
		{
			for (j = 0; j < nl && DatumGetInt32(ld[j]) != lines[i].line_no; j++)
				;
			if (j == nl)
				ld[nl++] = Int32GetDatum(lines[i].line_no);
		}
		args[2] = arr(ld, nl, INT4OID);
	}
	run(a->dry_run ? rp.lines_read : rp.lines_lock, args, false, SPI_OK_SELECT);
	tt = SPI_tuptable;
	for (r = 0; r < SPI_processed; r++)
	{
		RbLine	   *l = find_line(lines, nlines, i8(tt, r, 1), i4(tt, r, 2));
		bool		isnull;

		if (l == NULL || i8(tt, r, 6) != it->item)
			continue;
		l->seen = true;
		l->movable = l->movable &&
			strcmp(TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull)), "open") == 0;
		l->reserved = num_of(tt, r, 4);
		l->backordered = num_of(tt, r, 5);
	}
	SPI_freetuptable(tt);
	for (i = 0; i < nlines; i++)
	{
		if (!lines[i].seen)
		{
			/* held by another transaction: keeps what it holds */
			lines[i].movable = false;
			lines[i].reserved = lines[i].backordered = num_zero();
		}
		lines[i].new_reserved = lines[i].reserved;
		lines[i].new_backordered = lines[i].backordered;
		if (!lines[i].found_order)
			lines[i].tier = 'C';
	}
	/* each holding's line, each line's holdings (ascending) */
	it->hold_next = palloc(sizeof(int) * it->nholds);
	it->line_first = palloc(sizeof(int) * Max(nlines, 1));
	it->line_claim = palloc(sizeof(int) * Max(nlines, 1));
	it->line_claim_wh = palloc(sizeof(int) * Max(nlines, 1));
	for (i = 0; i < nlines; i++)
		it->line_first[i] = it->line_claim_wh[i] = -1;
	for (i = it->nholds - 1; i >= 0; i--)
	{
		RbHold	   *h = &it->holds[i];

		h->line = find_line(lines, nlines, h->order_id, h->line_no);
		it->hold_next[i] = -1;
		if (h->line != NULL)
		{
			it->hold_next[i] = it->line_first[h->line - lines];
			it->line_first[h->line - lines] = i;
		}
	}
}

/* the allocation rules of the item */
static void
rb_load_rules(RbArgs *a, RbItem *it)
{
	Datum		args[2];
	SPITupleTable *tt;
	uint64		r;
	int			t;

	for (t = 0; t < PQ_TIERS; t++)
		it->has_share[t] = false;
	args[0] = Int64GetDatum(a->tenant);
	args[1] = Int64GetDatum(it->item);
	run(rp.rules, args, false, SPI_OK_SELECT);
	tt = SPI_tuptable;
	for (r = 0; r < SPI_processed; r++)
	{
		bool		isnull;

		t = tier_rank(TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull))[0]);
		it->share[t] = num_of(tt, r, 2);
		it->has_share[t] = true;
	}
	SPI_freetuptable(tt);
}

/* one claim per line holding or waiting in warehouse k; returns their number */
static int
rb_claims(RbItem *it, int k, Claim *claims)
{
	int			nc = 0,
				i;

	for (i = 0; i < it->nholds; i++)
	{
		RbHold	   *h = &it->holds[i];
		int			li;
		Claim	   *cl;

		if (h->wh != it->whs[k] || h->line == NULL)
			continue;
		li = h->line - it->lines;
		if (it->line_claim_wh[li] == k)
			cl = &claims[it->line_claim[li]];
		else
		{
			it->line_claim_wh[li] = k;
			it->line_claim[li] = nc;
			cl = &claims[nc++];
			memset(cl, 0, sizeof(*cl));
			cl->line = h->line;
			cl->wh = it->whs[k];
			cl->res = cl->alloc = cl->bo = num_zero();
			/* a line another transaction holds keeps its queue place (stored tier) */
			cl->tier = h->line->movable ? h->line->tier : (h->is_bo ? h->tier : 'C');
		}
		if (h->is_bo)
		{
			cl->bo = num_add(cl->bo, h->qty);
			cl->alloc = num_add(cl->alloc, h->allocated);
			if (!h->line->movable)
				cl->tier = h->tier;
		}
		else
			cl->res = num_add(cl->res, h->qty);
	}
	return nc;
}

/*
 * The claims of warehouse k in the rebalance order, each given what it
 * wants of what the fences of better tiers leave (Claim.target); the
 * warehouse's reserved stock afterwards
 */
static void
rb_allocate(RbItem *it, int k, Claim *claims, int nc)
{
	Datum		pool = num_sub(it->on_hand[k], it->reserved[k]);	/* available */
	int			c,
				t;

	/* what the lines that may move hold here goes back into the pool */
	for (c = 0; c < nc; c++)
		if (claims[c].line->movable)
			pool = num_add(pool, num_add(claims[c].res, claims[c].alloc));
	qsort(claims, nc, sizeof(Claim), claim_cmp);
	for (t = 0; t < PQ_TIERS; t++)
		if (it->has_share[t])
			it->fence[t] = DirectFunctionCall2(numeric_mul, it->share[t], it->on_hand[k]);
	for (c = 0; c < nc; c++)
	{
		Claim	   *cl = &claims[c];
		Datum		want,
					room = pool,
					give;

		/* a movable line wants all it holds or waits for here; a held one more set aside */
		want = cl->line->movable ? num_add(cl->res, cl->bo) : num_sub(cl->bo, cl->alloc);
		for (t = 0; t < tier_rank(cl->tier); t++)
			if (it->has_share[t])
				room = num_sub(room, it->fence[t]);
		give = num_max0(num_cmp(want, room) < 0 ? want : room);
		/* it got less than both what it wants and what was left: a fence stopped it */
		cl->fence_limited = num_cmp(give, want) < 0 && num_cmp(give, pool) < 0;
		pool = num_sub(pool, give);
		cl->target = cl->line->movable ? give : num_add(cl->alloc, give);
	}
	it->new_reserved[k] = num_sub(it->on_hand[k], pool);
}

/* a held line: units set aside on its backorders there, oldest first */
static void
rb_set_aside(RbArgs *a, RbItem *it, Claim *cl)
{
	RbLine	   *l = cl->line;
	Datum		extra = num_sub(cl->target, cl->alloc);
	int			i;

	if (num_is_zero(extra))
		return;
	for (i = it->line_first[l - it->lines]; i >= 0 && num_cmp(extra, num_zero()) > 0; i = it->hold_next[i])
	{
		RbHold	   *h = &it->holds[i];
		Datum		room = num_sub(h->qty, h->allocated),
					take;

		if (!h->is_bo || h->wh != cl->wh || !num_cmp(room, num_zero()))
			continue;
		take = num_cmp(room, extra) < 0 ? room : extra;
		h->allocated = num_add(h->allocated, take);
		extra = num_sub(extra, take);
		it->bu_id[it->nbu] = Int64GetDatum(h->id);
		it->bu_q[it->nbu] = h->qty;
		it->bu_a[it->nbu] = h->allocated;
		it->bu_p[it->nbu] = Int32GetDatum(h->priority);
		it->bu_t[it->nbu] = CStringGetTextDatum(tier_text(h->tier));
		it->nbu++;
	}
	it->any_change = true;
	emit(a, it->item, cl->wh, l, l->reserved, l->reserved, l->backordered, l->backordered,
		 "units set aside on its backorder (its line is held by another transaction)");
}

/* a movable line's backorders there hold new_bo: the oldest keep their place, trimmed newest first, one new row for more */
static void
rb_backorders(RbItem *it, Claim *cl, Datum new_bo)
{
	RbLine	   *l = cl->line;
	Datum		left = new_bo;
	RbHold	  **mine = palloc(sizeof(RbHold *) * it->nholds);
	int			nm = 0,
				i,
				j;

	for (i = it->line_first[l - it->lines]; i >= 0; i = it->hold_next[i])
		if (it->holds[i].is_bo && it->holds[i].wh == cl->wh)
		{
			int			x = nm++;

			mine[x] = &it->holds[i];
			/* oldest first */
			while (x > 0 && (mine[x - 1]->created_at > mine[x]->created_at ||
							 (mine[x - 1]->created_at == mine[x]->created_at && mine[x - 1]->id > mine[x]->id)))
			{
				RbHold	   *tmp = mine[x - 1];

				mine[x - 1] = mine[x];
				mine[x] = tmp;
				x--;
			}
		}
	for (j = 0; j < nm; j++)
	{
		RbHold	   *h = mine[j];
		Datum		q = num_cmp(h->qty, left) < 0 ? h->qty : left;

		if (num_is_zero(q))
			it->bo_del[it->nbd++] = Int64GetDatum(h->id);
		else
		{
			it->bu_id[it->nbu] = Int64GetDatum(h->id);
			it->bu_q[it->nbu] = q;
			it->bu_a[it->nbu] = num_zero();
			it->bu_p[it->nbu] = Int32GetDatum(l->priority);
			it->bu_t[it->nbu] = CStringGetTextDatum(tier_text(l->tier));
			it->nbu++;
		}
		left = num_sub(left, q);
	}
	if (num_cmp(left, num_zero()) > 0)
	{
		it->bi_o[it->nbi] = Int64GetDatum(l->order_id);
		it->bi_l[it->nbi] = Int32GetDatum(l->line_no);
		it->bi_w[it->nbi] = Int64GetDatum(cl->wh);
		it->bi_q[it->nbi] = left;
		it->bi_p[it->nbi] = Int32GetDatum(l->priority);
		it->bi_t[it->nbi] = CStringGetTextDatum(tier_text(l->tier));
		it->nbi++;
	}
	pfree(mine);
}

/* a movable line: its reservation there becomes target; its backorders there hold the rest */
static void
rb_move_line(RbArgs *a, RbItem *it, Claim *cl)
{
	RbLine	   *l = cl->line;
	Datum		before_res = num_add(cl->res, cl->alloc);
	int			cmp = num_cmp(cl->target, before_res);
	Datum		want = num_add(cl->res, cl->bo);
	Datum		new_bo = num_sub(want, cl->target);
	Datum		cur_bo = cl->bo;
	RbHold	   *res_row = NULL;
	bool		tier_moves = false;
	int			i;

	for (i = it->line_first[l - it->lines]; i >= 0; i = it->hold_next[i])
		if (it->holds[i].wh == cl->wh)
		{
			if (!it->holds[i].is_bo)
				res_row = &it->holds[i];
			else if (it->holds[i].tier != l->tier || it->holds[i].priority != l->priority ||
					 !num_is_zero(it->holds[i].allocated))
				tier_moves = true;
		}
	if (cmp == 0 && num_cmp(new_bo, cur_bo) == 0 && !tier_moves)
		return;
	it->any_change = it->any_change || cmp != 0 || tier_moves;
	/* reservation */
	if (res_row != NULL)
	{
		if (num_is_zero(cl->target))
			it->res_del[it->nrd++] = Int64GetDatum(res_row->id);
		else if (num_cmp(cl->target, res_row->qty) != 0)
		{
			it->res_upd_id[it->nru] = Int64GetDatum(res_row->id);
			it->res_upd_q[it->nru++] = cl->target;
		}
	}
	else if (!num_is_zero(cl->target))
	{
		it->ri_o[it->nri] = Int64GetDatum(l->order_id);
		it->ri_l[it->nri] = Int32GetDatum(l->line_no);
		it->ri_w[it->nri] = Int64GetDatum(cl->wh);
		it->ri_q[it->nri++] = cl->target;
	}
	rb_backorders(it, cl, new_bo);
	{
		Datum		rb = l->new_reserved,
					bb = l->new_backordered;

		l->new_reserved = num_add(num_sub(l->new_reserved, cl->res), cl->target);
		l->new_backordered = num_add(num_sub(l->new_backordered, cur_bo), new_bo);
		if (cmp != 0 || num_cmp(new_bo, cur_bo) != 0)
			emit(a, it->item, cl->wh, l, rb, l->new_reserved, bb, l->new_backordered,
				 cmp > 0 ? "ahead in the queue order (priority, tier, age): takes units of lines behind it or available stock"
				 : cmp < 0 ? (cl->fence_limited ? "the allocation rules protect these units for better tiers"
							  : "behind lines of higher priority or better tier: gives units to them")
				 : "units set aside on its backorder become its reservation");
		if (a->moved != NULL && a->nmoved < a->capmoved)
		{
			a->moved[a->nmoved].order_id = l->order_id;
			a->moved[a->nmoved].line_no = l->line_no;
			a->moved[a->nmoved].item = it->item;
			a->moved[a->nmoved].shipped_calls = 0;
			a->nmoved++;
		}
	}
}

/* what the claims of one warehouse change: rows to write, lines moved */
static void
rb_plan_writes(RbArgs *a, RbItem *it, Claim *claims, int nc)
{
	int			c;

	for (c = 0; c < nc; c++)
	{
		if (!claims[c].line->movable)
			rb_set_aside(a, it, &claims[c]);
		else
			rb_move_line(a, it, &claims[c]);
	}
}

static void
rb_alloc_writes(RbItem *it)
{
	int			n = it->nholds;

#define RB_ALLOC(f) (it->f = palloc(sizeof(Datum) * n))
	RB_ALLOC(res_del);
	RB_ALLOC(res_upd_id);
	RB_ALLOC(res_upd_q);
	RB_ALLOC(ri_o);
	RB_ALLOC(ri_l);
	RB_ALLOC(ri_w);
	RB_ALLOC(ri_q);
	RB_ALLOC(bo_del);
	RB_ALLOC(bu_id);
	RB_ALLOC(bu_q);
	RB_ALLOC(bu_a);
	RB_ALLOC(bu_p);
	RB_ALLOC(bu_t);
	RB_ALLOC(bi_o);
	RB_ALLOC(bi_l);
	RB_ALLOC(bi_w);
	RB_ALLOC(bi_q);
	RB_ALLOC(bi_p);
	RB_ALLOC(bi_t);
#undef RB_ALLOC
	it->nrd = it->nru = it->nri = it->nbd = it->nbu = it->nbi = 0;
	it->any_change = false;
}

/* write: inventory, reservations, backorders, lines */
static void
rb_write(RbArgs *a, RbItem *it)
{
	Datum		args[8];
	int			i,
				k,
				m = 0;

	args[0] = Int64GetDatum(a->tenant);
	args[1] = Int64GetDatum(it->item);
	{
		Datum	   *wv = palloc(sizeof(Datum) * it->nwh),
				   *rv = palloc(sizeof(Datum) * it->nwh);

		for (k = 0; k < it->nwh; k++)
			if (num_cmp(it->new_reserved[k], it->reserved[k]) != 0)
			{
				wv[m] = Int64GetDatum(it->whs[k]);
				rv[m++] = it->new_reserved[k];
			}
		if (m > 0)
		{
			args[2] = arr(wv, m, INT8OID);
			args[3] = arr(rv, m, NUMERICOID);
			run(rp.w_inv, args, false, SPI_OK_UPDATE);
		}
	}
	if (it->nrd > 0)
	{
		args[1] = arr(it->res_del, it->nrd, INT8OID);
		run(rp.w_res_del, args, false, SPI_OK_DELETE);
	}
	if (it->nru > 0)
	{
		args[1] = arr(it->res_upd_id, it->nru, INT8OID);
		args[2] = arr(it->res_upd_q, it->nru, NUMERICOID);
		run(rp.w_res_upd, args, false, SPI_OK_UPDATE);
	}
	if (it->nri > 0)
	{
		args[1] = Int64GetDatum(it->item);
		args[2] = arr(it->ri_o, it->nri, INT8OID);
		args[3] = arr(it->ri_l, it->nri, INT4OID);
		args[4] = arr(it->ri_w, it->nri, INT8OID);
		args[5] = arr(it->ri_q, it->nri, NUMERICOID);
		run(rp.w_res_ins, args, false, SPI_OK_INSERT);
	}
	if (it->nbd > 0)
	{
		args[1] = arr(it->bo_del, it->nbd, INT8OID);
		run(rp.w_bo_del, args, false, SPI_OK_DELETE);
	}
	if (it->nbu > 0)
	{
		args[1] = arr(it->bu_id, it->nbu, INT8OID);
		args[2] = arr(it->bu_q, it->nbu, NUMERICOID);
		args[3] = arr(it->bu_a, it->nbu, NUMERICOID);
		args[4] = arr(it->bu_p, it->nbu, INT4OID);
		args[5] = arr(it->bu_t, it->nbu, TEXTOID);
		run(rp.w_bo_upd, args, false, SPI_OK_UPDATE);
	}
	if (it->nbi > 0)
	{
		args[1] = Int64GetDatum(it->item);
		args[2] = arr(it->bi_o, it->nbi, INT8OID);
		args[3] = arr(it->bi_l, it->nbi, INT4OID);
		args[4] = arr(it->bi_w, it->nbi, INT8OID);
		args[5] = arr(it->bi_q, it->nbi, NUMERICOID);
		args[6] = arr(it->bi_p, it->nbi, INT4OID);
		args[7] = arr(it->bi_t, it->nbi, TEXTOID);
		run(rp.w_bo_ins, args, false, SPI_OK_INSERT);
	}
	{
		Datum	   *lo = palloc(sizeof(Datum) * it->nlines),
				   *ll = palloc(sizeof(Datum) * it->nlines),
				   *lr = palloc(sizeof(Datum) * it->nlines),
				   *lb = palloc(sizeof(Datum) * it->nlines);

		m = 0;
		for (i = 0; i < it->nlines; i++)
		{
			RbLine	   *l = &it->lines[i];

			if (l->movable &&
				(num_cmp(l->new_reserved, l->reserved) != 0 ||
				 num_cmp(l->new_backordered, l->backordered) != 0))
			{
				lo[m] = Int64GetDatum(l->order_id);
				ll[m] = Int32GetDatum(l->line_no);
				lr[m] = l->new_reserved;
				lb[m++] = l->new_backordered;
			}
		}
		if (m > 0)
		{
			args[1] = arr(lo, m, INT8OID);
			args[2] = arr(ll, m, INT4OID);
			args[3] = arr(lr, m, NUMERICOID);
			args[4] = arr(lb, m, NUMERICOID);
			run(rp.w_line, args, false, SPI_OK_UPDATE);
		}
	}
}

/*
 * Rebalance one item: load its stock, holdings, queue, tiers and fences,
 * replay the allocation of each warehouse in queue order, write what moved.
 */
static pg_noinline void
rebalance_item(RbArgs *a, int64 item)
{
	RbItem		it;
	Claim	   *claims;
	int			k;

	memset(&it, 0, sizeof(it));
	it.item = item;
	if (!rb_load_inventory(a, &it) || !rb_load_holds(a, &it))
		return;
	rb_load_lines(a, &it);
	/* the lines it moves, for their promises */
	a->moved = palloc(sizeof(PromiseLineHint) * (it.nwh * it.nlines + 1));
	a->capmoved = it.nwh * it.nlines + 1;
	a->nmoved = 0;
	rb_load_rules(a, &it);

	rb_alloc_writes(&it);
	claims = palloc(sizeof(Claim) * it.nholds);
	for (k = 0; k < it.nwh; k++)
	{
		int			nc;

		CHECK_FOR_INTERRUPTS();
		nc = rb_claims(&it, k, claims);
		rb_allocate(&it, k, claims, nc);
		rb_plan_writes(a, &it, claims, nc);
	}
	if (a->dry_run || !it.any_change)
		return;
	rb_write(a, &it);
}

static pg_noinline void
rebalance_body(RbArgs *a)
{
	Datum		args[2];
	int64	   *items;
	int			nitems = 0;
	uint64		r;
	int			i;

	rb_plans(a->nsp);
	args[0] = Int64GetDatum(a->tenant);
	if (a->all)
	{
		run(rp.items, args, true, SPI_OK_SELECT);
		items = palloc(sizeof(int64) * Max(SPI_processed, 1));
		for (r = 0; r < SPI_processed; r++)
			items[nitems++] = i8(SPI_tuptable, r, 1);
		SPI_freetuptable(SPI_tuptable);
	}
	else
	{
		args[1] = Int64GetDatum(a->item);
		run(rp.item_exists, args, true, SPI_OK_SELECT);
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("item " INT64_FORMAT " does not exist", a->item)));
		SPI_freetuptable(SPI_tuptable);
		items = palloc(sizeof(int64));
		items[nitems++] = a->item;
	}
	if (nitems == 0)
		return;
	if (!a->dry_run)
	{
		Datum	   *d = palloc(sizeof(Datum) * nitems);

		for (i = 0; i < nitems; i++)
			d[i] = Int64GetDatum(items[i]);
		args[1] = arr(d, nitems, INT8OID);
		/* the lock order of the commit pass: every inventory row, by (item, warehouse) */
		run(rp.lock, args, false, SPI_OK_SELECT);
		SPI_freetuptable(SPI_tuptable);
	}
	for (i = 0; i < nitems; i++)
	{
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "crmscm rebalance item", ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		CHECK_FOR_INTERRUPTS();
		a->moved = NULL;
		a->nmoved = a->capmoved = 0;
		rebalance_item(a, items[i]);
		/* the moved lines' promises, and the item's backorders' days */
		if (!a->dry_run)
			promise_refresh(a->nsp, a->tenant, &items[i], 1, a->moved, a->nmoved);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
	}
}

/* crmscm.rebalance(item_id, dry_run) */
PG_FUNCTION_INFO_V1(crmscm_rebalance);
Datum
crmscm_rebalance(PG_FUNCTION_ARGS)
{
	RbArgs		a;
	EngineScope scope;

	memset(&a, 0, sizeof(a));
	a.nsp = crmscm_schema_of(fcinfo);
	a.all = PG_ARGISNULL(0);
	if (!a.all)
		a.item = PG_GETARG_INT64(0);
	a.dry_run = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
	a.tenant = DatumGetInt64(DirectFunctionCall1(crmscm_current_tenant, (Datum) 0));
	if (!a.dry_run && notes_pending(false, 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("crmscm.rebalance() cannot run after order or stock changes of its own transaction"),
				 errdetail("It locks inventory in the engine's lock order; the reservation work of those changes is still pending."),
				 errhint("Call it in a transaction of its own, or first in one.")));
	InitMaterializedSRF(fcinfo, 0);
	a.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm rebalance: SPI_connect failed");
	engine_set_schema(a.nsp);
	engine_begin(&scope);
	PG_TRY();
	{
		rebalance_body(&a);
	}
	PG_FINALLY();
	{
		engine_end(&scope);
	}
	PG_END_TRY();
	SPI_finish();
	return (Datum) 0;
}
