/*
 * reorder_suggestions.c — crmscm.reorder_suggestions_at(as_of, from_history)
 * (doc/reorder.md, doc/replenishment.md; issue #18): what to order, where
 * and how much, for every item and warehouse of the current tenant, in one
 * pass in C.
 *
 * It reads through SPI as the caller (no SECURITY DEFINER: row-level
 * security applies), every statement filtered on the caller's tenant
 * (crmscm.current_tenant(), which raises its error when none is set) with
 * tenant_id = $1, so that Citus routes each to one node: the demand
 * profiles (from the kept demand state, or recomputed from
 * crmscm.demand_history with from_history => true), items, inventory,
 * backorders, purchase order lines on order, lead times learned from
 * receipts and the pipeline demand.  The per-row rules then run once for
 * both sources of demand: lead time shrinkage, safety stock, EOQ, reorder
 * point (src/core/reorder_plan.c, src/core/reorder.c), the lot, the
 * suggested quantity and the reason text, with the numeric arithmetic and
 * the output functions of the SQL it replaces (numeric, round(x::numeric),
 * float8 output as format('%s') gives it), so that the rows are the same.
 *
 * The statement it replaces took 1.5-1.95 s for 30,000 rows, spread over
 * the whole plan, and planned the recompute from the history even when it
 * was not asked for (doc/benchmarks.md).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"

#include "fit_memory.h"
#include "reorder_plan.h"
#include "replenishment.h"

extern Datum crmscm_current_tenant(PG_FUNCTION_ARGS);
extern Datum crmscm_sql_demand_window_days(PG_FUNCTION_ARGS);
extern Datum crmscm_safety_stock(PG_FUNCTION_ARGS);
extern Datum crmscm_eoq(PG_FUNCTION_ARGS);

#define EQ " OPERATOR(pg_catalog.=) "
#define RS_BATCH 1000
#define RS_NCOLS 38
#define RS_ALPHA 0.1

typedef struct RsKey
{
	int64		item;
	int64		wh;
} RsKey;

/* one item and warehouse: what the statements read for it */
typedef struct RsPair
{
	RsKey		key;
	bool		in_pairs;		/* inventory, demand, backorders or on order */
	Datum		on_hand,
				reserved,
				backordered,
				on_order;		/* numeric, NULL pointer: none (0) */
	bool		has_demand;
	int32		demand_periods;
	double		total,
				mean,
				sd,
				forecast;
	const char *klass,
			   *method;
	bool		has_learned;
	bool		has_mean,
				has_sd;
	double		receipts,
				learned_mean,
				learned_sd;
	double		pipeline_qty,
				pipeline_var;
	double		lead,
				lead_sd;
} RsPair;

typedef struct RsItem
{
	int64		item;
	char	   *sku,
			   *name;
	double		lead,
				lead_sd,
				service_level,
				order_cost,
				holding_cost;
	bool		order_cost_null,
				holding_cost_null;
	Datum		pack_size;		/* numeric */
	Datum		revenue;		/* numeric sum over its demand rows, 0: none */
	bool		has_revenue;
	bool		revenue_null;	/* a demand row without revenue only */
	char		abc;
} RsItem;

typedef struct RsState
{
	MemoryContext cxt;			/* the call's: pairs, items, kept values */
	MemoryContext row;			/* reset per row and per fetched tuple */
	const char *nsp;
	int64		tenant;
	DateADT		as_of,
				start,
				end;
	int32		window_days;
	double		k;
	HTAB	   *pairs;
	HTAB	   *items;
	Datum		zero,
				one;
} RsState;

typedef void (*RsRowFn) (RsState *st, HeapTuple tup, TupleDesc td);

/* ---- reading ---- */

/*
 * Run one statement (tenant $1, window start $2 and end $3) through an SPI
 * cursor, RS_BATCH rows at a time, calling fn for each row in the per-row
 * context; what fn keeps it copies into st->cxt.
 */
/*
 * What the call keeps per item and warehouse (about 250 bytes a pair, and
 * the tables' initial 3 MB) is bounded by crmscm.max_fit_memory: 54000
 * beyond it, checked after every batch read.
 */
static void
rs_check_memory(RsState *st)
{
	int64		bytes = (int64) MemoryContextMemAllocated(st->cxt, true);
	int64		limit = crmscm_fit_memory_limit();

	if (bytes > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("reorder_suggestions: %lld kB for the tenant's %ld item-warehouse pairs, more than crmscm.max_fit_memory (%lld kB)",
						(long long) ((bytes + 1023) / 1024), hash_get_num_entries(st->pairs), (long long) (limit / 1024)),
				 errhint("Ask an administrator to raise crmscm.max_fit_memory.")));
}

static void
rs_read(RsState *st, const char *sql, RsRowFn fn)
{
	Oid			types[3] = {INT8OID, DATEOID, DATEOID};
	Datum		args[3];
	Portal		portal;

	args[0] = Int64GetDatum(st->tenant);
	args[1] = DateADTGetDatum(st->start);
	args[2] = DateADTGetDatum(st->end);
	portal = SPI_cursor_open_with_args(NULL, sql, 3, types, args, NULL, true, 0);
	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, RS_BATCH);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			MemoryContext old = MemoryContextSwitchTo(st->row);

			fn(st, SPI_tuptable->vals[r], SPI_tuptable->tupdesc);
			MemoryContextSwitchTo(old);
			MemoryContextReset(st->row);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
		rs_check_memory(st);
	}
	SPI_cursor_close(portal);
}

static Datum
rs_col(HeapTuple tup, TupleDesc td, int col, bool *isnull)
{
	return SPI_getbinval(tup, td, col, isnull);
}

static double
rs_f8(HeapTuple tup, TupleDesc td, int col, bool *isnull)
{
	Datum		d = rs_col(tup, td, col, isnull);

	return *isnull ? 0 : DatumGetFloat8(d);
}

/* a numeric datum kept for the call (NULL: none) */
static Datum
rs_keep_numeric(RsState *st, HeapTuple tup, TupleDesc td, int col)
{
	bool		isnull;
	Datum		d = rs_col(tup, td, col, &isnull);

	if (isnull)
		return (Datum) 0;
	return datumCopy(d, false, -1);
}

static RsPair *
rs_pair(RsState *st, HeapTuple tup, TupleDesc td)
{
	RsKey		key;
	bool		isnull,
				found;
	RsPair	   *p;

	memset(&key, 0, sizeof(key));
	key.item = DatumGetInt64(rs_col(tup, td, 1, &isnull));
	key.wh = DatumGetInt64(rs_col(tup, td, 2, &isnull));
	p = hash_search(st->pairs, &key, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) p) + sizeof(RsKey), 0, sizeof(RsPair) - sizeof(RsKey));
		p->klass = "no demand";
		p->method = "sba";
	}
	return p;
}

static RsItem *
rs_item(RsState *st, int64 item, HASHACTION action)
{
	return hash_search(st->items, &item, action, NULL);
}

/* the profile of a pair's demand and its revenue into the item's */
static void
rs_add_demand(RsState *st, RsPair *p, int32 demand_periods, double total, double mean,
			  double sd, const char *klass, const char *method, double forecast,
			  Datum revenue, bool revenue_null)
{
	MemoryContext old = MemoryContextSwitchTo(st->cxt);
	RsItem	   *it;
	bool		found;

	p->in_pairs = p->has_demand = true;
	p->demand_periods = demand_periods;
	p->total = total;
	p->mean = mean;
	p->sd = sd;
	p->klass = klass ? pstrdup(klass) : "no demand";
	p->method = method ? pstrdup(method) : "sba";
	p->forecast = forecast;
	/* the revenue per item for the ABC classes (sum ignores NULLs) */
	it = hash_search(st->items, &p->key.item, HASH_ENTER, &found);
	if (!found)
		memset(((char *) it) + sizeof(int64), 0, sizeof(RsItem) - sizeof(int64));
	if (revenue_null)
		it->revenue_null = true;
	else if (!it->has_revenue)
	{
		it->revenue = datumCopy(revenue, false, -1);
		it->has_revenue = true;
	}
	else
		it->revenue = DirectFunctionCall2(numeric_add, it->revenue, revenue);
	MemoryContextSwitchTo(old);
}

/* the kept state: demand_state and the demand_days after its anchor */
static void
rs_kept_row(RsState *st, HeapTuple tup, TupleDesc td)
{
	bool		sn,
				an,
				fn,
				dn,
				isnull;
	Datum		series = rs_col(tup, td, 3, &sn);
	Datum		anchor = rs_col(tup, td, 4, &an);
	Datum		from = rs_col(tup, td, 5, &fn);
	Datum		days = rs_col(tup, td, 6, &dn);
	bool		has_series = !sn && !an && !fn;
	ArrayType  *arr[3] = {NULL, NULL, NULL};
	DwProfile	w;
	RsPair	   *p;

	if (!dn)
	{
		/* (days, qty, revenue) arrays, NULL without rows */
		HeapTupleHeader th = DatumGetHeapTupleHeader(days);
		int			k;

		for (k = 0; k < 3; k++)
		{
			Datum		a = GetAttributeByNum(th, k + 1, &isnull);

			arr[k] = isnull ? NULL : DatumGetArrayTypeP(a);
		}
	}
	demand_window_profile(has_series ? DatumGetByteaPP(series) : NULL,
						  has_series ? DatumGetDateADT(anchor) : 0,
						  has_series ? DatumGetDateADT(from) : 0,
						  arr[0] ? arr[0] : NULL, arr[0] ? arr[1] : NULL, arr[0] ? arr[2] : NULL,
						  st->start, st->end, RS_ALPHA, &w);
	/* items and warehouses with demand in the window */
	if (!(w.prof.total > 0 || w.revenue != 0))
		return;
	p = rs_pair(st, tup, td);
	rs_add_demand(st, p, (int32) w.prof.demand_periods, w.prof.total, w.prof.mean, w.prof.sd,
				  ro_class_name(w.prof.klass), ro_method_name(w.prof.method), w.forecast,
				  DirectFunctionCall1(float8_numeric, Float8GetDatum(w.revenue)), false);
}

/* recomputed from the history: demand_class per item and warehouse */
static void
rs_history_row(RsState *st, HeapTuple tup, TupleDesc td)
{
	bool		n3,
				n7,
				n8,
				n10,
				isnull;
	Datum		periods = rs_col(tup, td, 3, &n3);
	Datum		klass = rs_col(tup, td, 7, &n7);
	Datum		method = rs_col(tup, td, 8, &n8);
	Datum		revenue = rs_col(tup, td, 10, &n10);
	RsPair	   *p = rs_pair(st, tup, td);

	rs_add_demand(st, p, n3 ? 0 : DatumGetInt32(periods),
				  rs_f8(tup, td, 4, &isnull), rs_f8(tup, td, 5, &isnull),
				  rs_f8(tup, td, 6, &isnull),
				  n7 ? NULL : TextDatumGetCString(klass), n8 ? NULL : TextDatumGetCString(method),
				  rs_f8(tup, td, 9, &isnull), revenue, n10);
}

static void
rs_inventory_row(RsState *st, HeapTuple tup, TupleDesc td)
{
	RsPair	   *p = rs_pair(st, tup, td);
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	p->in_pairs = true;
	p->on_hand = rs_keep_numeric(st, tup, td, 3);
	p->reserved = rs_keep_numeric(st, tup, td, 4);
	MemoryContextSwitchTo(old);
}

static void
rs_backorder_row(RsState *st, HeapTuple tup, TupleDesc td)
{
	RsPair	   *p = rs_pair(st, tup, td);
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	p->in_pairs = true;
	p->backordered = rs_keep_numeric(st, tup, td, 3);
	MemoryContextSwitchTo(old);
}

static void
rs_on_order_row(RsState *st, HeapTuple tup, TupleDesc td)
{
	RsPair	   *p = rs_pair(st, tup, td);
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	p->in_pairs = true;
	p->on_order = rs_keep_numeric(st, tup, td, 3);
	MemoryContextSwitchTo(old);
}

static void
rs_learned_row(RsState *st, HeapTuple tup, TupleDesc td)
{
	bool		isnull;
	RsPair	   *p = rs_pair(st, tup, td);

	p->has_learned = true;
	p->receipts = rs_f8(tup, td, 3, &isnull);
	p->learned_mean = rs_f8(tup, td, 4, &isnull);
	p->has_mean = !isnull;
	p->learned_sd = rs_f8(tup, td, 5, &isnull);
	p->has_sd = !isnull;
}

static void
rs_items_row(RsState *st, HeapTuple tup, TupleDesc td)
{
	bool		isnull,
				found;
	int64		id = DatumGetInt64(rs_col(tup, td, 1, &isnull));
	MemoryContext old = MemoryContextSwitchTo(st->cxt);
	RsItem	   *it = hash_search(st->items, &id, HASH_ENTER, &found);

	if (!found)
		memset(((char *) it) + sizeof(int64), 0, sizeof(RsItem) - sizeof(int64));
	it->sku = TextDatumGetCString(rs_col(tup, td, 2, &isnull));
	it->name = TextDatumGetCString(rs_col(tup, td, 3, &isnull));
	it->lead = rs_f8(tup, td, 4, &isnull);
	it->lead_sd = rs_f8(tup, td, 5, &isnull);
	it->service_level = rs_f8(tup, td, 6, &isnull);
	it->pack_size = rs_keep_numeric(st, tup, td, 7);
	it->order_cost = rs_f8(tup, td, 8, &it->order_cost_null);
	it->holding_cost = rs_f8(tup, td, 9, &it->holding_cost_null);
	MemoryContextSwitchTo(old);
}

/* open deals closing within the pair's lead time (overdue ones included) */
static void
rs_pipeline_row(RsState *st, HeapTuple tup, TupleDesc td)
{
	bool		isnull,
				qn,
				vn;
	RsKey		key;
	RsPair	   *p;
	RsItem	   *it;
	Datum		period;
	double		days;

	memset(&key, 0, sizeof(key));
	key.item = DatumGetInt64(rs_col(tup, td, 1, &isnull));
	if (isnull)
		return;
	key.wh = DatumGetInt64(rs_col(tup, td, 2, &isnull));
	if (isnull)
		return;
	p = hash_search(st->pairs, &key, HASH_FIND, NULL);
	if (p == NULL || !p->in_pairs)
		return;
	it = rs_item(st, key.item, HASH_FIND);
	if (it == NULL || it->sku == NULL)
		return;
	period = rs_col(tup, td, 3, &isnull);
	if (isnull)
		return;
	days = (double) DatumGetInt32(DirectFunctionCall2(date_mi, period, DateADTGetDatum(st->as_of)));
	if (!float8_lt(days, p->lead))
		return;
	{
		double		q = rs_f8(tup, td, 4, &qn);
		double		v = rs_f8(tup, td, 5, &vn);

		/* sum() of the rows that have values */
		p->pipeline_qty += q;
		p->pipeline_var += v;
	}
}

/* ---- the ABC classes: revenue over all warehouses, A the first 80 % ---- */

static int
rs_revenue_cmp(const void *a, const void *b)
{
	const RsItem *x = *(RsItem *const *) a;
	const RsItem *y = *(RsItem *const *) b;
	int			c = DatumGetInt32(DirectFunctionCall2(numeric_cmp, y->revenue, x->revenue));

	if (c != 0)
		return c;
	return x->item < y->item ? -1 : x->item > y->item;
}

static void
rs_abc(RsState *st)
{
	HASH_SEQ_STATUS seq;
	RsItem	   *it,
			  **v;
	long		n = 0,
				i;
	Datum		total = st->zero,
				running = st->zero,
				a_cut,
				b_cut;

	v = MemoryContextAlloc(st->cxt, sizeof(RsItem *) * Max(hash_get_num_entries(st->items), 1));
	hash_seq_init(&seq, st->items);
	while ((it = hash_seq_search(&seq)) != NULL)
	{
		it->abc = 'C';
		/* without revenue (NULL): C, and nothing to the sums */
		if (!it->has_revenue)
			continue;
		v[n++] = it;
		total = DirectFunctionCall2(numeric_add, total, it->revenue);
	}
	qsort(v, n, sizeof(RsItem *), rs_revenue_cmp);
	a_cut = DirectFunctionCall2(numeric_mul, DirectFunctionCall3(numeric_in, CStringGetDatum("0.8"),
																 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)), total);
	b_cut = DirectFunctionCall2(numeric_mul, DirectFunctionCall3(numeric_in, CStringGetDatum("0.95"),
																 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)), total);
	for (i = 0; i < n; i++)
	{
		Datum		before;

		running = DirectFunctionCall2(numeric_add, running, v[i]->revenue);
		before = DirectFunctionCall2(numeric_sub, running, v[i]->revenue);
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, v[i]->revenue, st->zero)) <= 0)
			v[i]->abc = 'C';
		else if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, before, a_cut)) < 0)
			v[i]->abc = 'A';
		else if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, before, b_cut)) < 0)
			v[i]->abc = 'B';
		else
			v[i]->abc = 'C';
	}
}

/* ---- the rows ---- */

static char *
rs_num(Datum n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, n));
}

static char *
rs_float(double x)
{
	return DatumGetCString(DirectFunctionCall1(float8out, Float8GetDatum(x)));
}

/* round(x::numeric, scale) as text */
static char *
rs_round(double x, int scale)
{
	return rs_num(DirectFunctionCall2(numeric_round,
									  DirectFunctionCall1(float8_numeric, Float8GetDatum(x)),
									  Int32GetDatum(scale)));
}

/* one row's figures the reason text reads */
typedef struct RsRow
{
	RsPair	   *p;
	RsItem	   *it;
	Datum		ip,
				order_qty,
				lots;
	double		forecast,
				safety_stock,
				reorder_point,
				eoq;
	bool		eoq_null,
				reorder_now;
} RsRow;

/* where the lead time came from, and the pipeline */
static char *
rs_lead_reason(RsState *st, const RsRow *r)
{
	const RsPair *p = r->p;
	StringInfoData s;

	initStringInfo(&s);
	if (!p->has_learned)
		appendStringInfo(&s, "lead time %s d (sd %s) from the item: no receipts",
						 rs_float(r->it->lead), rs_float(r->it->lead_sd));
	else
		appendStringInfo(&s, "lead time %s d (sd %s) learned from %s receipts (mean %s d, sd %s), "
						 "shrunk toward the item's %s d (sd %s) with k = %s",
						 rs_round(p->lead, 2), rs_round(p->lead_sd, 2), rs_round(p->receipts, 1),
						 p->has_mean ? rs_round(p->learned_mean, 2) : "",
						 p->has_sd ? rs_round(p->learned_sd, 2) : "n/a",
						 rs_float(r->it->lead), rs_float(r->it->lead_sd), rs_float(st->k));
	if (float8_gt(p->pipeline_qty, 0))
		appendStringInfo(&s, "; pipeline %s (sd %s) expected within the lead time",
						 rs_round(p->pipeline_qty, 2),
						 rs_round(DatumGetFloat8(DirectFunctionCall1(dsqrt, Float8GetDatum(p->pipeline_var))), 2));
	return s.data;
}

static char *
rs_reason(RsState *st, const RsRow *r)
{
	const RsPair *p = r->p;
	bool		idle = float8_eq(r->forecast, 0) && float8_eq(p->pipeline_qty, 0);

	if (r->reorder_now && idle)
		return psprintf("no demand in the last %d days, but the inventory position %s is negative "
						"(backorders waiting): order to cover them", st->window_days, rs_num(r->ip));
	if (r->reorder_now)
		return psprintf("inventory position %s <= reorder point %s = %s/day x %s days lead time + "
						"safety stock %s (%s demand, %s, service level %s); order %s lot(s) of %s (%s); %s",
						rs_num(r->ip), rs_round(r->reorder_point, 2), rs_round(r->forecast, 3),
						rs_round(p->lead, 2), rs_round(r->safety_stock, 2), p->klass, p->method,
						rs_float(r->it->service_level), rs_num(r->lots), rs_num(r->order_qty),
						r->eoq_null ? "no EOQ without order and holding costs: one pack"
						: psprintf("EOQ %s rounded up to packs of %s", rs_round(r->eoq, 2),
								   rs_num(r->it->pack_size)),
						rs_lead_reason(st, r));
	if (idle)
		return psprintf("no demand in the last %d days; %s", st->window_days, rs_lead_reason(st, r));
	return psprintf("inventory position %s is above the reorder point %s; %s", rs_num(r->ip),
					rs_round(r->reorder_point, 2), rs_lead_reason(st, r));
}

/* the figures of one item and warehouse (lead time and pipeline already in p) */
static void
rs_figures(RsState *st, RsRow *r)
{
	RsPair	   *p = r->p;
	RsItem	   *it = r->it;
	Datum		num0 = st->zero;
	Datum		ceil_lots;

	r->ip = DirectFunctionCall2(numeric_sub,
								DirectFunctionCall2(numeric_add,
													DirectFunctionCall2(numeric_sub,
																		p->on_hand ? p->on_hand : num0,
																		p->reserved ? p->reserved : num0),
													p->on_order ? p->on_order : num0),
								p->backordered ? p->backordered : num0);
	r->forecast = p->has_demand ? p->forecast : 0;
	r->safety_stock = DatumGetFloat8(DirectFunctionCall6(crmscm_safety_stock,
														 Float8GetDatum(it->service_level),
														 Float8GetDatum(r->forecast),
														 Float8GetDatum(p->has_demand ? p->sd : 0),
														 Float8GetDatum(p->lead), Float8GetDatum(p->lead_sd),
														 Float8GetDatum(p->pipeline_var)));
	r->eoq_null = it->order_cost_null || it->holding_cost_null ||
		!ro_plan_has_eoq(r->forecast, it->order_cost, it->holding_cost);
	r->eoq = r->eoq_null ? 0 :
		DatumGetFloat8(DirectFunctionCall3(crmscm_eoq, Float8GetDatum(float8_mul(r->forecast, 365)),
										   Float8GetDatum(it->order_cost), Float8GetDatum(it->holding_cost)));
	r->reorder_point = ro_plan_reorder_point(r->forecast, p->lead, p->pipeline_qty, r->safety_stock);
	/* as the float8 arithmetic of SQL: an infinite point is 22003, never an infinite order */
	if (isinf(r->reorder_point) || isnan(r->reorder_point))
		float_overflow_error();
	/* the lot: EOQ rounded up to whole packs, at least one pack */
	ceil_lots = DirectFunctionCall1(numeric_ceil,
									DirectFunctionCall2(numeric_div,
														DirectFunctionCall1(float8_numeric, Float8GetDatum(r->eoq)),
														it->pack_size));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, ceil_lots, st->one)) <= 0)
		ceil_lots = st->one;
	r->order_qty = DirectFunctionCall2(numeric_mul, it->pack_size, ceil_lots);
	r->reorder_now =
		float8_le(DatumGetFloat8(DirectFunctionCall1(numeric_float8, r->ip)), r->reorder_point) &&
		(float8_gt(r->forecast, 0) || float8_gt(p->pipeline_qty, 0) ||
		 DatumGetInt32(DirectFunctionCall2(numeric_cmp, r->ip, num0)) < 0);
	/* the smallest multiple of the lot that lifts the position above the point */
	r->lots = r->reorder_now ?
		DirectFunctionCall2(numeric_add,
							DirectFunctionCall1(numeric_floor,
												DirectFunctionCall2(numeric_div,
																	DirectFunctionCall2(numeric_sub,
																						DirectFunctionCall1(float8_numeric, Float8GetDatum(r->reorder_point)),
																						r->ip),
																	r->order_qty)),
							st->one) : (Datum) 0;
}

static void
rs_emit(RsState *st, ReturnSetInfo *rsinfo, RsPair *p, RsItem *it)
{
	RsRow		r;
	Datum		v[RS_NCOLS];
	bool		n[RS_NCOLS];
	int			i = 0;
	char		abc[2] = {it->abc ? it->abc : 'C', '\0'};

	memset(&r, 0, sizeof(r));
	memset(n, 0, sizeof(n));
	r.p = p;
	r.it = it;
	rs_figures(st, &r);
	v[i++] = Int64GetDatum(st->tenant);
	v[i++] = Int64GetDatum(p->key.item);
	v[i++] = Int64GetDatum(p->key.wh);
	v[i++] = CStringGetTextDatum(it->sku);
	v[i++] = CStringGetTextDatum(it->name);
	v[i++] = CStringGetTextDatum(abc);
	v[i++] = p->on_hand ? p->on_hand : st->zero;
	v[i++] = p->reserved ? p->reserved : st->zero;
	v[i++] = p->on_order ? p->on_order : st->zero;
	v[i++] = p->backordered ? p->backordered : st->zero;
	v[i++] = r.ip;
	v[i++] = Int32GetDatum(st->window_days);
	v[i++] = DateADTGetDatum(st->start);
	v[i++] = DateADTGetDatum(st->end);
	v[i++] = Float8GetDatum(p->has_demand ? p->total : 0);
	v[i++] = Int32GetDatum(p->has_demand ? p->demand_periods : 0);
	v[i++] = Float8GetDatum(p->has_demand ? p->mean : 0);
	v[i++] = Float8GetDatum(p->has_demand ? p->sd : 0);
	v[i++] = CStringGetTextDatum(p->klass);
	v[i++] = CStringGetTextDatum(p->method);
	v[i++] = Float8GetDatum(r.forecast);
	v[i++] = Float8GetDatum(p->lead);
	v[i++] = Float8GetDatum(p->lead_sd);
	v[i++] = Float8GetDatum(it->service_level);
	v[i++] = Float8GetDatum(r.safety_stock);
	v[i++] = Float8GetDatum(r.reorder_point);
	n[i] = r.eoq_null;
	v[i++] = Float8GetDatum(r.eoq);
	v[i++] = it->pack_size;
	v[i++] = r.order_qty;
	v[i++] = BoolGetDatum(r.reorder_now);
	v[i++] = r.reorder_now ? DirectFunctionCall2(numeric_mul, r.order_qty, r.lots) : st->zero;
	v[i++] = CStringGetTextDatum(rs_reason(st, &r));
	v[i++] = Float8GetDatum(p->pipeline_qty);
	v[i++] = DirectFunctionCall1(dsqrt, Float8GetDatum(p->pipeline_var));
	v[i++] = CStringGetTextDatum(p->has_learned ? "receipts" : "item");
	v[i++] = Float8GetDatum(p->has_learned ? p->receipts : 0);
	v[i++] = Float8GetDatum(it->lead);
	v[i++] = Float8GetDatum(it->lead_sd);
	Assert(i == RS_NCOLS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
}

static int
rs_pair_cmp(const void *a, const void *b)
{
	const RsPair *x = *(RsPair *const *) a;
	const RsPair *y = *(RsPair *const *) b;

	if (x->key.item != y->key.item)
		return x->key.item < y->key.item ? -1 : 1;
	return x->key.wh < y->key.wh ? -1 : x->key.wh > y->key.wh;
}

/* the pairs that have an item row, in (item, warehouse) order, with their lead times */
static RsPair **
rs_rows(RsState *st, long *nrows)
{
	HASH_SEQ_STATUS seq;
	RsPair	   *p,
			  **v;
	long		n = 0;

	/* in the call's context: SPI's goes with SPI_finish() */
	v = MemoryContextAlloc(st->cxt, sizeof(RsPair *) * Max(hash_get_num_entries(st->pairs), 1));
	hash_seq_init(&seq, st->pairs);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		RsItem	   *it = rs_item(st, p->key.item, HASH_FIND);
		RoLeadIn	in;

		if (!p->in_pairs || it == NULL || it->sku == NULL)
			continue;
		memset(&in, 0, sizeof(in));
		in.item_lead = it->lead;
		in.item_lead_sd = it->lead_sd;
		in.k = st->k;
		in.has_receipts = p->has_learned;
		in.receipts = p->receipts;
		in.has_mean = p->has_learned && p->has_mean;
		in.mean = p->learned_mean;
		in.has_sd = p->has_learned && p->has_sd;
		in.sd = p->learned_sd;
		ro_plan_lead(&in, &p->lead, &p->lead_sd);
		v[n++] = p;
	}
	qsort(v, n, sizeof(RsPair *), rs_pair_cmp);
	*nrows = n;
	return v;
}

/* ---- the statements ($1 tenant, $2 first and $3 last day of the window) ---- */

/*
 * the kept state, with the demand_days after the series' anchor (or of the
 * whole window when the series does not reach back to its start) for a row
 * whose series does not cover the window or has days pending in it: a
 * scalar subquery under CASE (a LEFT JOIN LATERAL rescanned an aggregate
 * for every row, 30 ms of 30,000)
 */
#define RS_KEPT_SQL \
	"SELECT s.item_id, s.warehouse_id, s.series, s.anchor, s.series_from," \
	"	   CASE WHEN s.series_from OPERATOR(pg_catalog.>) $2 OR s.pending_from OPERATOR(pg_catalog.<=) $3 THEN" \
	"	   (SELECT ROW(pg_catalog.array_agg(y.day), pg_catalog.array_agg(y.qty::float8)," \
	"				   pg_catalog.array_agg(y.revenue::float8))" \
	"		  FROM %1$s.demand_days y" \
	"		 WHERE y.tenant_id" EQ "$1 AND y.tenant_id" EQ "s.tenant_id" \
	"		   AND y.item_id" EQ "s.item_id AND y.warehouse_id" EQ "s.warehouse_id" \
	"		   AND y.day OPERATOR(pg_catalog.>=) CASE WHEN s.series_from OPERATOR(pg_catalog.<=) $2" \
	"				THEN s.anchor OPERATOR(pg_catalog.+) 1 ELSE $2 END" \
	"		   AND y.day OPERATOR(pg_catalog.<=) $3) END" \
	"  FROM %1$s.demand_state s" \
	" WHERE s.tenant_id" EQ "$1"

/* recomputed from the history: the daily totals, then demand_class */
#define RS_HISTORY_SQL \
	"SELECT h.item_id, h.warehouse_id, (h.prof).demand_periods, (h.prof).total, (h.prof).mean," \
	"	   (h.prof).sd, (h.prof).demand_class, (h.prof).method, (h.prof).forecast, h.revenue" \
	"  FROM (SELECT h.item_id, h.warehouse_id," \
	"			   %1$s.demand_class(h.day, h.qty::float8, $2, $3, 0.1) AS prof," \
	"			   pg_catalog.sum(h.revenue) AS revenue" \
	"		  FROM (SELECT d.item_id, d.warehouse_id, d.day," \
	"					   pg_catalog.sum(d.qty) AS qty, pg_catalog.sum(d.revenue) AS revenue" \
	"				  FROM %1$s.demand_history d" \
	"				 WHERE d.tenant_id" EQ "$1" \
	"				   AND d.day OPERATOR(pg_catalog.>=) $2 AND d.day OPERATOR(pg_catalog.<=) $3" \
	"				 GROUP BY d.item_id, d.warehouse_id, d.day) h" \
	"		 GROUP BY h.item_id, h.warehouse_id) h"

#define RS_ITEMS_SQL \
	"SELECT it.item_id, it.sku, it.name, it.lead_time_days::float8, it.lead_time_sd_days::float8," \
	"	   it.service_level::float8, it.pack_size, it.order_cost::float8," \
	"	   (it.holding_rate OPERATOR(pg_catalog.*) it.unit_cost)::float8" \
	"  FROM %1$s.items it WHERE it.tenant_id" EQ "$1"

#define RS_INVENTORY_SQL \
	"SELECT v.item_id, v.warehouse_id, v.on_hand, v.reserved" \
	"  FROM %1$s.inventory v WHERE v.tenant_id" EQ "$1"

#define RS_BACKORDERS_SQL \
	"SELECT b.item_id, b.warehouse_id, pg_catalog.sum(b.qty)" \
	"  FROM %1$s.backorders b WHERE b.tenant_id" EQ "$1" \
	" GROUP BY b.item_id, b.warehouse_id"

/* the open quantity of draft and ordered purchase order lines */
#define RS_ON_ORDER_SQL \
	"SELECT pl.item_id, pl.warehouse_id," \
	"	   pg_catalog.sum(%1$s._po_line_open_qty(pl.qty, pl.qty_received))" \
	"  FROM %1$s.purchase_orders po" \
	"  JOIN %1$s.purchase_order_lines pl ON pl.tenant_id" EQ "po.tenant_id" \
	"   AND pl.po_id" EQ "po.po_id" \
	" WHERE po.tenant_id" EQ "$1 AND pl.tenant_id" EQ "$1" \
	"   AND po.status" EQ "ANY ('{draft,ordered}'::text[])" \
	" GROUP BY pl.item_id, pl.warehouse_id"

/* lead times learned from receipts, all suppliers of the item and warehouse pooled */
#define RS_LEARNED_SQL \
	"SELECT z.item_id, z.warehouse_id, %1$s._wm_neff(z.m), (z.m)[4], %1$s._wm_sd(z.m)" \
	"  FROM (SELECT st.item_id, st.warehouse_id, %1$s._wm_pool(st.lead_moments) AS m" \
	"		  FROM %1$s.supplier_stats st WHERE st.tenant_id" EQ "$1" \
	"		 GROUP BY st.item_id, st.warehouse_id) z" \
	" WHERE (z.m)[1] OPERATOR(pg_catalog.>) 0"

#define RS_PIPELINE_SQL \
	"SELECT pd.item_id, pd.warehouse_id, pd.period, pd.expected_qty, pd.variance" \
	"  FROM %1$s.pipeline_demand pd" \
	" WHERE pd.tenant_id" EQ "$1 AND pd.period IS NOT NULL"

/*
 * crmscm.reorder_suggestions_at(as_of date, from_history boolean): the rows
 * of crmscm.reorder_suggestions with the demand window ending the day
 * before as_of (STRICT).
 */
PG_FUNCTION_INFO_V1(crmscm_reorder_suggestions_at);
Datum
crmscm_reorder_suggestions_at(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DateADT		as_of = PG_GETARG_DATEADT(0);
	bool		from_history = PG_GETARG_BOOL(1);
	RsState		st;
	HASHCTL		ctl;
	MemoryContext old;
	RsPair	  **rows;
	long		nrows,
				i;
	const char *s;

	memset(&st, 0, sizeof(st));
	/* the caller's tenant: its error when none is set (fail-closed) */
	st.tenant = DatumGetInt64(DirectFunctionCall1(crmscm_current_tenant, (Datum) 0));
	st.window_days = DatumGetInt32(DirectFunctionCall1(crmscm_sql_demand_window_days, (Datum) 0));
	st.as_of = as_of;
	st.start = DatumGetDateADT(DirectFunctionCall2(date_mii, DateADTGetDatum(as_of),
												   Int32GetDatum(st.window_days)));
	st.end = DatumGetDateADT(DirectFunctionCall2(date_mii, DateADTGetDatum(as_of), Int32GetDatum(1)));
	/* the setting as current_setting() shows it */
	st.k = DatumGetFloat8(DirectFunctionCall1(float8in,
											  CStringGetDatum(GetConfigOptionByName("crmscm.lead_time_shrinkage",
																					NULL, false))));
	InitMaterializedSRF(fcinfo, 0);

	st.cxt = AllocSetContextCreate(CurrentMemoryContext, "crmscm reorder_suggestions",
								   ALLOCSET_DEFAULT_SIZES);
	st.row = AllocSetContextCreate(st.cxt, "crmscm reorder_suggestions row", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(st.cxt);
	st.zero = DirectFunctionCall1(int8_numeric, Int64GetDatum(0));
	st.one = DirectFunctionCall1(int8_numeric, Int64GetDatum(1));
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(RsKey);
	ctl.entrysize = sizeof(RsPair);
	ctl.hcxt = st.cxt;
	/* sized for 10,000 items x 3 warehouses: growing the tables cost a tenth */
	st.pairs = hash_create("crmscm reorder pairs", 32768, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(RsItem);
	st.items = hash_create("crmscm reorder items", 16384, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	s = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm reorder_suggestions: SPI_connect failed");
	rs_read(&st, psprintf(from_history ? RS_HISTORY_SQL : RS_KEPT_SQL, s),
			from_history ? rs_history_row : rs_kept_row);
	rs_read(&st, psprintf(RS_ITEMS_SQL, s), rs_items_row);
	rs_read(&st, psprintf(RS_INVENTORY_SQL, s), rs_inventory_row);
	rs_read(&st, psprintf(RS_BACKORDERS_SQL, s), rs_backorder_row);
	rs_read(&st, psprintf(RS_ON_ORDER_SQL, s), rs_on_order_row);
	rs_read(&st, psprintf(RS_LEARNED_SQL, s), rs_learned_row);
	rows = rs_rows(&st, &nrows);
	/* the pipeline within each pair's lead time */
	rs_read(&st, psprintf(RS_PIPELINE_SQL, s), rs_pipeline_row);
	SPI_finish();

	rs_abc(&st);
	for (i = 0; i < nrows; i++)
	{
		RsItem	   *it = rs_item(&st, rows[i]->key.item, HASH_FIND);

		MemoryContextSwitchTo(st.row);
		rs_emit(&st, rsinfo, rows[i], it);
		MemoryContextSwitchTo(st.cxt);
		MemoryContextReset(st.row);
		if (i % RS_BATCH == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(st.cxt);
	return (Datum) 0;
}
