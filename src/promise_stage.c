/*
 * promise_stage.c — keeping promises inside the commit pass (issue #17,
 * doc/synergy.md), after the engine has written its result and while it
 * still holds the inventory rows of every item it touched.
 *
 * For each such item, in ascending order:
 *
 *   1. every backorder's day and source, from the kernel (src/core/
 *      promise.c) replaying the queue of its warehouse through the dated
 *      purchase lines; written where they changed (backorders are keyed by
 *      the inventory rows the pass holds, so they can always be written: the
 *      check_inventory() invariant on promises rests on them);
 *   2. the lines: those the pass worked on, and every line whose backorders'
 *      days moved; lines of other transactions are taken with SKIP LOCKED
 *      (a line another transaction holds keeps its promise until its own
 *      next pass, and shows in crmscm.at_risk_lines meanwhile).
 *
 * A line's promise (doc/synergy.md "Promised dates"): the first one, and one
 * made again after the customer changed the line, is the later of its
 * requested date, today and the day its last waiting unit is covered.
 * After that it moves only later, when its supply can no longer make it, and
 * never once its day has passed: a missed promise stays, for OTIF.
 * The stage also books the day of each ship() call on the line.
 *
 * Lock order: inventory (held) -> backorders (keyed by it) -> lines, only
 * with SKIP LOCKED (or held by this transaction already).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "synergy.h"

typedef struct StagePlans
{
	Oid			nsp;
	SPIPlanPtr	lines;
	SPIPlanPtr	orders;
	SPIPlanPtr	set_bo;
	SPIPlanPtr	set_line;
	/* by one key, for the one line of most commits (generic plans) */
	SPIPlanPtr	lines1;
	SPIPlanPtr	orders1;
	SPIPlanPtr	set_line1;
} StagePlans;

static StagePlans sp;

#define EQ " OPERATOR(pg_catalog.=) "

static SPIPlanPtr
keep_with(const char *sql, int nargs, Oid *types, int options)
{
	return crmscm_keep_plan("promise stage", sql, nargs, types, options);
}

/* array-keyed: custom plans (citus.c, crmscm_plan_options_for()) */
static SPIPlanPtr
keep(const char *sql, int nargs, Oid *types)
{
	return keep_with(sql, nargs, types, crmscm_plan_options_for(nargs, types));
}

/*
 * by one key: a generic plan, made once (custom on Citus).  The array forms
 * were planned at every commit, 0.47 ms of a one-line insert's commit
 * (pg_stat_statements over bench/orders_insert.sh's statement)
 */
static SPIPlanPtr
keep1(const char *sql, int nargs, Oid *types)
{
	return keep_with(sql, nargs, types, crmscm_plan_options(true));
}

/*
 * Made again every STAGE_REPLAN_EVERY passes and the old ones freed, as the
 * reservation pass's statements (src/reserve.c, pass_plans()): a generic
 * plan made while a table was small stays until the table is analyzed.
 */
#define STAGE_REPLAN_EVERY 1000
static uint32 sp_uses = 0;

static void
stage_plans(Oid nsp)
{
	const char *s;

	if (sp.nsp == nsp && (++sp_uses < STAGE_REPLAN_EVERY || reserve_pass_nested()))
		return;
	if (sp.nsp != InvalidOid)
	{
		SPIPlanPtr *all[] = {&sp.lines, &sp.orders, &sp.set_bo, &sp.set_line, &sp.lines1, &sp.orders1,
		&sp.set_line1};
		size_t		i;

		StaticAssertStmt(sizeof(StagePlans) == offsetof(StagePlans, lines) + 7 * sizeof(SPIPlanPtr),
						 "stage_plans() frees every plan of StagePlans");
		sp.nsp = InvalidOid;
		for (i = 0; i < lengthof(all); i++)
		{
			if (*all[i] != NULL)
				SPI_freeplan(*all[i]);
			*all[i] = NULL;
		}
	}
	sp_uses = 0;
	s = quote_identifier(get_namespace_name(nsp));
	/*
	 * the lines (by their keys, each by the primary key) this transaction
	 * holds or can take now.  Not "order_id = ANY (orders) AND line_no = ANY
	 * (line numbers)": that superset is every line of the orders, locked,
	 * for each item (a commit of 200 orders of 100 lines over 200 items read
	 * and locked 2 million lines: 30 s)
	 */
	sp.lines = keep(psprintf(
		"SELECT l.order_id, l.line_no, l.status, l.qty_backordered, l.requested_date, l.promised_date,"
		"       l.promise_source, l.covered_on, l.customer_changed_at, l.first_shipped_at,"
		"       l.last_shipped_at, l.shipments, l.item_id"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) AS k(o, n)"
		"  JOIN %s.sales_order_lines l ON l.tenant_id" EQ "$1 AND l.order_id" EQ "k.o AND l.line_no" EQ "k.n"
		"  JOIN %s.sales_orders o ON o.tenant_id" EQ "l.tenant_id AND o.order_id" EQ "l.order_id"
		" WHERE o.tenant_id" EQ "$1"
		"   FOR NO KEY UPDATE OF l SKIP LOCKED FOR KEY SHARE OF o SKIP LOCKED", s, s),
		3, (Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID});
	sp.orders = keep(psprintf(
		"SELECT o.order_id, o.status, pg_catalog.timezone('UTC', o.ordered_at)::pg_catalog.date"
		"  FROM %s.sales_orders o WHERE o.tenant_id" EQ "$1 AND o.order_id" EQ "ANY ($2)", s),
		2, (Oid[]) {INT8OID, INT8ARRAYOID});
	/*
	 * the backorders whose day moved, but not those of a line another
	 * transaction is deleting (or changing the key of): a backorder this
	 * pass already wrote (units set aside for a line it could not take) is
	 * checked against its line by the foreign key at its second write, and
	 * that check (FOR KEY SHARE of the line) would wait for the deleting
	 * transaction while this one holds inventory that the other's commit
	 * needs: a deadlock (test/scripts/orders_stress.sh).  Such a backorder
	 * keeps its day; it goes with its line.
	 */
	sp.set_bo = keep(psprintf(
		"UPDATE %s.backorders x SET promised_date = u.d, promise_source = u.s"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(id, d, s)"
		" WHERE x.tenant_id" EQ "$1 AND x.backorder_id" EQ "u.id"
		"   AND EXISTS (SELECT FROM %s.sales_order_lines l"
		"                WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "x.order_id AND l.line_no" EQ "x.line_no"
		"                  FOR KEY SHARE SKIP LOCKED)", s, s),
		4, (Oid[]) {INT8OID, INT8ARRAYOID, DATEARRAYOID, TEXTARRAYOID});
	sp.set_line = keep(psprintf(
		"UPDATE %s.sales_order_lines x SET promised_date = u.pd, promise_source = u.ps,"
		"       covered_on = u.co, first_shipped_at = u.f, last_shipped_at = u.la, shipments = u.sh"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
		"                  pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9))"
		"       AS u(o, l, pd, ps, co, f, la, sh)"
		" WHERE x.tenant_id" EQ "$1 AND x.order_id" EQ "u.o AND x.line_no" EQ "u.l", s),
		9, (Oid[]) {INT8OID, INT8ARRAYOID, INT4ARRAYOID, DATEARRAYOID, TEXTARRAYOID,
		DATEARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, INT4ARRAYOID});
	/* the same three by one key: same columns, same locks */
	sp.lines1 = keep1(psprintf(
		"SELECT l.order_id, l.line_no, l.status, l.qty_backordered, l.requested_date, l.promised_date,"
		"       l.promise_source, l.covered_on, l.customer_changed_at, l.first_shipped_at,"
		"       l.last_shipped_at, l.shipments, l.item_id"
		"  FROM %s.sales_order_lines l"
		"  JOIN %s.sales_orders o ON o.tenant_id" EQ "l.tenant_id AND o.order_id" EQ "l.order_id"
		" WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "$2 AND l.line_no" EQ "$3 AND o.tenant_id" EQ "$1"
		"   FOR NO KEY UPDATE OF l SKIP LOCKED FOR KEY SHARE OF o SKIP LOCKED", s, s),
		3, (Oid[]) {INT8OID, INT8OID, INT4OID});
	sp.orders1 = keep1(psprintf(
		"SELECT o.order_id, o.status, pg_catalog.timezone('UTC', o.ordered_at)::pg_catalog.date"
		"  FROM %s.sales_orders o WHERE o.tenant_id" EQ "$1 AND o.order_id" EQ "$2", s),
		2, (Oid[]) {INT8OID, INT8OID});
	sp.set_line1 = keep1(psprintf(
		"UPDATE %s.sales_order_lines x SET promised_date = $4, promise_source = $5,"
		"       covered_on = $6, first_shipped_at = $7, last_shipped_at = $8, shipments = $9"
		" WHERE x.tenant_id" EQ "$1 AND x.order_id" EQ "$2 AND x.line_no" EQ "$3", s),
		9, (Oid[]) {INT8OID, INT8OID, INT4OID, DATEOID, TEXTOID, DATEOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID});
	sp.nsp = nsp;
}

/* ---- growing arrays of nullable Datums ---- */

typedef struct NArr
{
	Datum	   *d;
	bool	   *null;
	int			n;
	int			cap;
} NArr;

static void
push(NArr *a, Datum d, bool isnull)
{
	if (a->n == a->cap)
	{
		a->cap = a->cap ? a->cap * 2 : 32;
		a->d = a->d ? repalloc_huge(a->d, sizeof(Datum) * a->cap) : palloc(sizeof(Datum) * a->cap);
		a->null = a->null ? repalloc_huge(a->null, sizeof(bool) * a->cap) : palloc(sizeof(bool) * a->cap);
	}
	a->d[a->n] = d;
	a->null[a->n] = isnull;
	a->n++;
}

static Datum
to_array(NArr *a, Oid type)
{
	int16		len;
	bool		byval;
	char		align;
	int			dims[1];
	int			lbs[1] = {1};

	dims[0] = a->n;
	get_typlenbyvalalign(type, &len, &byval, &align);
	return PointerGetDatum(construct_md_array(a->d, a->null, 1, dims, lbs, type, len, byval, align));
}

/* ---- one line ---- */

typedef struct LineState
{
	int64		order_id;
	int32		line_no;
	bool		open;			/* open line of a confirmed order */
	bool		has_bo;			/* qty_backordered > 0 */
	bool		req_null;
	DateADT		req;
	bool		pd_null;
	DateADT		pd;
	int			src;
	bool		co_null;
	DateADT		co;
	bool		changed_now;	/* a user changed it in this transaction */
	bool		f_null;
	TimestampTz f;
	bool		la_null;
	TimestampTz la;
	int32		shipments;
} LineState;

typedef struct BoRef
{
	int64		order_id;
	int32		line_no;
	int			k;				/* index in ItemData.bos */
} BoRef;

static int
boref_cmp(const void *a, const void *b)
{
	const BoRef *x = a,
			   *y = b;

	if (x->order_id != y->order_id)
		return x->order_id < y->order_id ? -1 : 1;
	return x->line_no < y->line_no ? -1 : (x->line_no > y->line_no);
}

static int
hint_cmp(const void *a, const void *b)
{
	const PromiseLineHint *x = a,
			   *y = b;

	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	if (x->order_id != y->order_id)
		return x->order_id < y->order_id ? -1 : 1;
	return x->line_no < y->line_no ? -1 : (x->line_no > y->line_no);
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : (x > y);
}

static bool
date_of(SPITupleTable *tt, uint64 r, int c, DateADT *out)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tt->vals[r], tt->tupdesc, c, &isnull);

	*out = isnull ? 0 : DatumGetDateADT(d);
	return isnull;
}

typedef struct OrdInfo
{
	int64		order_id;
	bool		confirmed;
	DateADT		day;
} OrdInfo;

static int
ordinfo_cmp(const void *a, const void *b)
{
	return int64_cmp(&((const OrdInfo *) a)->order_id, &((const OrdInfo *) b)->order_id);
}

typedef struct Writes
{
	NArr		bo[3];
	NArr		ln[8];
} Writes;

/*
 * A line's new promise: the first one (or after a change by the customer)
 * is the later of requested, today and the day its last waiting unit is
 * covered; after that it only moves later, and never once its day passed.
 */
static void
line_new_promise(LineState *ls, ItemData *d, BoRef *refs, int nrefs, DateADT today, bool shipped,
				 Writes *w)
{
	LineState	o = *ls;
	BoRef		key;
	BoRef	   *hit;
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	/* shipped in this pass: one shipment per transaction (the moves' moved_at) */
	if (shipped && (ls->la_null || ls->la != now))
	{
		ls->shipments++;
		if (ls->f_null)
		{
			ls->f_null = false;
			ls->f = now;
		}
		ls->la_null = false;
		ls->la = now;
	}
	if (ls->open)
	{
		DateADT		u,
					cover = today;
		int			src = PQ_STOCK;
		bool		any = false;
		bool		fresh = ls->pd_null || ls->changed_now;

		/* its backorders (all of this item, maybe in several warehouses) */
		key.order_id = ls->order_id;
		key.line_no = ls->line_no;
		hit = nrefs > 0 ? bsearch(&key, refs, nrefs, sizeof(BoRef), boref_cmp) : NULL;
		if (hit != NULL)
		{
			while (hit > refs && boref_cmp(hit - 1, &key) == 0)
				hit--;
			for (; hit < refs + nrefs && boref_cmp(hit, &key) == 0; hit++)
			{
				ItemBo	   *b = &d->bos[hit->k];

				if (!any || b->new_date > cover || (b->new_date == cover && b->new_source > src))
				{
					cover = b->new_date;
					src = b->new_source;
				}
				any = true;
			}
		}
		u = Max(ls->req, cover);
		if (fresh)
		{
			ls->pd_null = false;
			ls->pd = Max(u, today);
			ls->src = src;
		}
		else if (ls->pd >= today && u > ls->pd)
		{
			/* it can no longer be made: later */
			ls->pd = u;
			ls->src = src;
		}
		if (any || ls->has_bo)
			ls->co_null = true;
		else if (ls->co_null)
		{
			ls->co_null = false;
			ls->co = today;
		}
	}
	if (ls->pd_null != o.pd_null || ls->pd != o.pd ||
		ls->src != o.src || ls->co_null != o.co_null || ls->co != o.co || ls->f_null != o.f_null ||
		ls->f != o.f || ls->la_null != o.la_null || ls->la != o.la || ls->shipments != o.shipments)
	{
		const char *sn = pq_source_name(ls->src);

		push(&w->ln[0], Int64GetDatum(ls->order_id), false);
		push(&w->ln[1], Int32GetDatum(ls->line_no), false);
		push(&w->ln[2], DateADTGetDatum(ls->pd), ls->pd_null);
		push(&w->ln[3], sn ? CStringGetTextDatum(sn) : (Datum) 0, sn == NULL);
		push(&w->ln[4], DateADTGetDatum(ls->co), ls->co_null);
		push(&w->ln[5], TimestampTzGetDatum(ls->f), ls->f_null);
		push(&w->ln[6], TimestampTzGetDatum(ls->la), ls->la_null);
		push(&w->ln[7], Int32GetDatum(ls->shipments), false);
	}
}

/*
 * The arguments of the orders' and the lines' statements: the scalar key
 * of the one-key form (sp.orders1, sp.lines1) when there is one, else
 * arrays of the keys
 */
static void
key_args(int64 tenant, int64 *orders, int norders, PromiseLineHint *keys, int nkeys, Datum *args, Datum *largs)
{
	int			i;

	args[0] = largs[0] = Int64GetDatum(tenant);
	if (norders == 1)
		args[1] = Int64GetDatum(orders[0]);
	else
	{
		Datum	   *od = palloc(sizeof(Datum) * norders);

		for (i = 0; i < norders; i++)
			od[i] = Int64GetDatum(orders[i]);
		args[1] = PointerGetDatum(construct_array(od, norders, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	if (nkeys == 1)
	{
		largs[1] = Int64GetDatum(keys[0].order_id);
		largs[2] = Int32GetDatum(keys[0].line_no);
	}
	else
	{
		Datum	   *ko = palloc(sizeof(Datum) * nkeys);
		Datum	   *kl = palloc(sizeof(Datum) * nkeys);

		for (i = 0; i < nkeys; i++)
		{
			ko[i] = Int64GetDatum(keys[i].order_id);
			kl[i] = Int32GetDatum(keys[i].line_no);
		}
		largs[1] = PointerGetDatum(construct_array(ko, nkeys, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		largs[2] = PointerGetDatum(construct_array(kl, nkeys, INT4OID, 4, true, TYPALIGN_INT));
	}
}

/* The lines of one item: those hinted and those whose backorders moved */
static void
refresh_lines(ItemData *d, PromiseLineHint *hints, int nhints, bool *moved, Writes *w)
{
	int			nkeys = 0,
				i;
	PromiseLineHint *keys = palloc(sizeof(PromiseLineHint) * (nhints + d->nbos + 1));
	BoRef	   *refs = palloc(sizeof(BoRef) * Max(d->nbos, 1));
	int64	   *orders;
	int			norders = 0;
	OrdInfo    *oi;
	int			noi;
	Datum		args[2],
				largs[3];
	SPITupleTable *tt;
	uint64		r;
	DateADT		today = d->today;
	TimestampTz txstart = GetCurrentTransactionStartTimestamp();

	for (i = 0; i < nhints; i++)
		keys[nkeys++] = hints[i];
	for (i = 0; i < d->nbos; i++)
	{
		refs[i].order_id = d->bos[i].order_id;
		refs[i].line_no = d->bos[i].line_no;
		refs[i].k = i;
		if (moved[i])
		{
			keys[nkeys].order_id = d->bos[i].order_id;
			keys[nkeys].line_no = d->bos[i].line_no;
			keys[nkeys].item = d->item;
			keys[nkeys].shipped_calls = 0;
			nkeys++;
		}
	}
	if (nkeys == 0)
		return;
	qsort(refs, d->nbos, sizeof(BoRef), boref_cmp);
	qsort(keys, nkeys, sizeof(PromiseLineHint), hint_cmp);
	/* one key per line, the ship() calls summed */
	{
		int			m = 0;

		for (i = 0; i < nkeys; i++)
		{
			if (m > 0 && keys[m - 1].order_id == keys[i].order_id && keys[m - 1].line_no == keys[i].line_no)
				keys[m - 1].shipped_calls += keys[i].shipped_calls;
			else
				keys[m++] = keys[i];
		}
		nkeys = m;
	}
	orders = palloc(sizeof(int64) * nkeys);
	for (i = 0; i < nkeys; i++)
		if (norders == 0 || orders[norders - 1] != keys[i].order_id)
			orders[norders++] = keys[i].order_id;

	/* the orders: confirmed? their UTC day */
	key_args(d->tenant, orders, norders, keys, nkeys, args, largs);
	if (SPI_execute_plan(norders == 1 ? sp.orders1 : sp.orders, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "crmscm promise stage: reading orders failed");
	tt = SPI_tuptable;
	noi = (int) SPI_processed;
	oi = palloc(sizeof(OrdInfo) * Max(noi, 1));
	for (r = 0; r < SPI_processed; r++)
	{
		bool		isnull;

		oi[r].order_id = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		oi[r].confirmed = strcmp(TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull)), "confirmed") == 0;
		(void) date_of(tt, r, 3, &oi[r].day);
	}
	SPI_freetuptable(tt);
	qsort(oi, noi, sizeof(OrdInfo), ordinfo_cmp);

	/* the lines, locked (SKIP LOCKED: those another transaction holds keep their promise) */
	if (SPI_execute_plan(nkeys == 1 ? sp.lines1 : sp.lines, largs, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "crmscm promise stage: reading lines failed");
	tt = SPI_tuptable;
	for (r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		LineState	ls;
		PromiseLineHint key,
				   *hit;
		OrdInfo		ok,
				   *o;
		Datum		x;

		memset(&ls, 0, sizeof(ls));
		if (DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 13, &isnull)) != d->item)
			continue;			/* a key noted for another item (the line changed item) */
		ls.order_id = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		ls.line_no = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull));
		key.order_id = ls.order_id;
		key.line_no = ls.line_no;
		key.item = d->item;
		hit = bsearch(&key, keys, nkeys, sizeof(PromiseLineHint), hint_cmp);
		if (hit == NULL)
			continue;			/* another line of the order: not for us */
		ok.order_id = ls.order_id;
		o = bsearch(&ok, oi, noi, sizeof(OrdInfo), ordinfo_cmp);
		ls.open = o != NULL && o->confirmed &&
			strcmp(TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull)), "open") == 0;
		ls.has_bo = num_cmp(SPI_getbinval(tt->vals[r], tt->tupdesc, 4, &isnull), num_zero()) > 0;
		ls.req_null = date_of(tt, r, 5, &ls.req);
		ls.pd_null = date_of(tt, r, 6, &ls.pd);
		x = SPI_getbinval(tt->vals[r], tt->tupdesc, 7, &isnull);
		ls.src = isnull ? PQ_NONE : pq_source_of(TextDatumGetCString(x));
		ls.co_null = date_of(tt, r, 8, &ls.co);
		x = SPI_getbinval(tt->vals[r], tt->tupdesc, 9, &isnull);
		ls.changed_now = !isnull && DatumGetTimestampTz(x) == txstart;
		x = SPI_getbinval(tt->vals[r], tt->tupdesc, 10, &isnull);
		ls.f_null = isnull;
		ls.f = isnull ? 0 : DatumGetTimestampTz(x);
		x = SPI_getbinval(tt->vals[r], tt->tupdesc, 11, &isnull);
		ls.la_null = isnull;
		ls.la = isnull ? 0 : DatumGetTimestampTz(x);
		ls.shipments = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 12, &isnull));
		/* as soon as possible: the order's day (requested_date stays the user's) */
		if (ls.req_null && o != NULL)
			ls.req = o->day;
		line_new_promise(&ls, d, refs, d->nbos, today, hit->shipped_calls > 0, w);
	}
	SPI_freetuptable(tt);
}

void
promise_refresh(Oid nsp, int64 tenant, int64 *items, int nitems, PromiseLineHint *hints, int nhints)
{
	Writes		w;
	int			i,
				h = 0;
	Datum		args[9];

	if (nitems == 0)
		return;
	stage_plans(nsp);
	memset(&w, 0, sizeof(w));
	qsort(items, nitems, sizeof(int64), int64_cmp);
	qsort(hints, nhints, sizeof(PromiseLineHint), hint_cmp);
	for (i = 0; i < nitems; i++)
	{
		ItemData	d;
		bool	   *moved;
		int			k,
					first;
		MemoryContext cxt,
					old;

		if (i > 0 && items[i] == items[i - 1])
			continue;
		CHECK_FOR_INTERRUPTS();
		while (h < nhints && hints[h].item < items[i])
			h++;
		first = h;
		while (h < nhints && hints[h].item == items[i])
			h++;
		cxt = AllocSetContextCreate(CurrentMemoryContext, "crmscm promise item", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(cxt);
		/* an item beyond crmscm.max_promise_queue keeps its days as they are */
		if (item_load(nsp, tenant, items[i], &d, false, true))
		{
			item_cover_queues(&d);
			moved = palloc0(sizeof(bool) * Max(d.nbos, 1));
			for (k = 0; k < d.nbos; k++)
			{
				ItemBo	   *b = &d.bos[k];

				if (b->has_date && b->promised_date == b->new_date && b->source == b->new_source)
					continue;
				moved[k] = true;
				MemoryContextSwitchTo(old);
				push(&w.bo[0], Int64GetDatum(b->id), false);
				push(&w.bo[1], DateADTGetDatum(b->new_date), false);
				push(&w.bo[2], CStringGetTextDatum(pq_source_name(b->new_source)), false);
				MemoryContextSwitchTo(cxt);
			}
			MemoryContextSwitchTo(old);
			refresh_lines(&d, hints + first, h - first, moved, &w);
		}
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
	}

	args[0] = Int64GetDatum(tenant);
	if (w.bo[0].n > 0)
	{
		args[1] = to_array(&w.bo[0], INT8OID);
		args[2] = to_array(&w.bo[1], DATEOID);
		args[3] = to_array(&w.bo[2], TEXTOID);
		if (SPI_execute_plan(sp.set_bo, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "crmscm promise stage: writing backorders failed");
	}
	if (w.ln[0].n == 1)
	{
		char		nulls[9];
		int			k;

		memset(nulls, ' ', sizeof(nulls));
		for (k = 0; k < 8; k++)
		{
			args[k + 1] = w.ln[k].d[0];
			if (w.ln[k].null[0])
				nulls[k + 1] = 'n';
		}
		if (SPI_execute_plan(sp.set_line1, args, nulls, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "crmscm promise stage: writing lines failed");
	}
	else if (w.ln[0].n > 0)
	{
		args[1] = to_array(&w.ln[0], INT8OID);
		args[2] = to_array(&w.ln[1], INT4OID);
		args[3] = to_array(&w.ln[2], DATEOID);
		args[4] = to_array(&w.ln[3], TEXTOID);
		args[5] = to_array(&w.ln[4], DATEOID);
		args[6] = to_array(&w.ln[5], TIMESTAMPTZOID);
		args[7] = to_array(&w.ln[6], TIMESTAMPTZOID);
		args[8] = to_array(&w.ln[7], INT4OID);
		if (SPI_execute_plan(sp.set_line, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "crmscm promise stage: writing lines failed");
	}
}

/* The pass's stage: the items it touched, the lines it worked on or shipped from */
void
promise_after_flush(Pass *p, Note *ns, int n)
{
	long		cap = p->ninv + hash_get_num_entries(p->lines) + n + 1;
	int64	   *items = palloc(sizeof(int64) * cap);
	PromiseLineHint *hints = palloc(sizeof(PromiseLineHint) * cap);
	int			nitems = 0,
				nhints = 0,
				i;
	HASH_SEQ_STATUS hs;
	Line	   *l;

	for (i = 0; i < p->ninv; i++)
		if (nitems == 0 || items[nitems - 1] != p->inv[i].item)
			items[nitems++] = p->inv[i].item;
	hash_seq_init(&hs, p->lines);
	while ((l = hash_seq_search(&hs)) != NULL)
	{
		if (!l->exists || !(l->reconcile || l->other) || l->item == 0)
			continue;
		items[nitems++] = l->item;
		hints[nhints].order_id = l->key.order_id;
		hints[nhints].line_no = l->key.line_no;
		hints[nhints].item = l->item;
		hints[nhints].shipped_calls = 0;
		nhints++;
	}
	/* ship() took stock of these lines in this pass (refresh_lines merges keys) */
	for (i = 0; i < n; i++)
		if (ns[i].kind == NOTE_SHIP)
		{
			items[nitems++] = ns[i].a;
			hints[nhints].order_id = ns[i].d;
			hints[nhints].line_no = (int32) ns[i].e;
			hints[nhints].item = ns[i].a;
			hints[nhints].shipped_calls = 1;
			nhints++;
		}
	promise_refresh(engine_get_schema(), p->tenant, items, nitems, hints, nhints);
}
