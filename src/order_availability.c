/*
 * order_availability.c — crmscm.order_availability(order_id): what
 * confirming an order now would reserve, where, and what would wait as a
 * backorder (#15; README "Using crmscm from an application").
 *
 * A dry run of the reservation engine's own rules (reserve_rules.c) on a
 * scratch model: the order's lines, the tenant's warehouses and the
 * inventory rows of the lines' items are read with plain SELECTs (no row
 * locks, nothing written), the order is taken as confirmed, and every line
 * is reconciled as the commit pass would.  So the answer is the pass's answer
 * for the committed state the statement sees; a commit between the dry run
 * and the confirm can change it.  Changes of the calling transaction that
 * its pass has not yet worked off (stock moves, other orders) are not in
 * the inventory rows: call crmscm.reserve_pending() first to count them.
 *
 * An order already confirmed shows what its lines hold, plus what their
 * pending changes would reserve; a cancelled or closed one holds nothing.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "geopoint.h"
#include "reserve_model.h"
#include "synergy.h"

extern Datum crmscm_current_tenant(PG_FUNCTION_ARGS);

typedef struct AvPlans
{
	Oid			nsp;
	SPIPlanPtr	order;
	SPIPlanPtr	lines;
	SPIPlanPtr	warehouses;
	SPIPlanPtr	inventory;
	SPIPlanPtr	reservations;
	SPIPlanPtr	backorders;
	int			options;		/* crmscm_plan_options() they were made with */
} AvPlans;

static AvPlans ap;

static SPIPlanPtr
av_plan(const char *sql, int nargs, Oid *types)
{
	return crmscm_keep_plan("order_availability", sql, nargs, types, ap.options);
}

#define EQ " OPERATOR(pg_catalog.=) "

static void
av_plans(Oid nsp)
{
	const char *s;
	Oid			t[2] = {INT8OID, INT8OID};

	if (ap.nsp == nsp && ap.options == crmscm_plan_options(false))
		return;
	ap.nsp = InvalidOid;
	ap.options = crmscm_plan_options(false);
	s = quote_identifier(get_namespace_name(nsp));
	ap.order = av_plan(psprintf(
		"SELECT o.status, o.priority, o.ship_to, o.fill_policy FROM %s.sales_orders o"
		" WHERE o.tenant_id" EQ "$1 AND o.order_id" EQ "$2", s), 2, t);
	ap.lines = av_plan(psprintf(
		"SELECT l.line_no, l.item_id, l.qty, l.qty_shipped, l.qty_reserved, l.qty_backordered,"
		"       l.status, l.warehouse_id FROM %s.sales_order_lines l"
		" WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "$2 ORDER BY l.line_no", s), 2, t);
	ap.reservations = av_plan(psprintf(
		"SELECT r.reservation_id, r.order_id, r.line_no, r.item_id, r.warehouse_id, r.qty FROM %s.reservations r"
		" WHERE r.tenant_id" EQ "$1 AND r.order_id" EQ "$2", s), 2, t);
	ap.backorders = av_plan(psprintf(
		"SELECT b.backorder_id, b.order_id, b.line_no, b.item_id, b.warehouse_id, b.qty, b.allocated,"
		"       b.priority, b.created_at, b.tier FROM %s.backorders b"
		" WHERE b.tenant_id" EQ "$1 AND b.order_id" EQ "$2", s), 2, t);
	ap.warehouses = av_plan(psprintf(
		"SELECT w.warehouse_id, w.location FROM %s.warehouses w WHERE w.tenant_id" EQ "$1", s), 1, t);
	t[1] = INT8ARRAYOID;
	ap.inventory = av_plan(psprintf(
		"SELECT i.item_id, i.warehouse_id, i.on_hand, i.reserved, i.on_order FROM %s.inventory i"
		" WHERE i.tenant_id" EQ "$1 AND i.item_id" EQ "ANY ($2) ORDER BY i.item_id, i.warehouse_id", s), 2, t);
	ap.nsp = nsp;
}

static Datum
copy_num(SPITupleTable *tt, uint64 r, int c)
{
	bool		n;
	Datum		d = SPI_getbinval(tt->vals[r], tt->tupdesc, c, &n);

	return n ? num_zero() : datumCopy(d, false, -1);
}

static int64
get8(SPITupleTable *tt, uint64 r, int c, bool *isnull)
{
	bool		n;
	Datum		d = SPI_getbinval(tt->vals[r], tt->tupdesc, c, &n);

	if (isnull)
		*isnull = n;
	return n ? 0 : DatumGetInt64(d);
}

static bool
text_is(SPITupleTable *tt, uint64 r, int c, const char *s)
{
	bool		n;
	Datum		d = SPI_getbinval(tt->vals[r], tt->tupdesc, c, &n);

	return !n && strcmp(TextDatumGetCString(d), s) == 0;
}

/* a waiting line of another order: never taken in a dry run */
static Line *
no_line(Pass *p, int64 order_id, int32 line_no)
{
	return NULL;
}

static int
inv_cmp(const void *a, const void *b)
{
	const Inv  *x = a,
			   *y = b;

	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	return x->wh < y->wh ? -1 : (x->wh > y->wh);
}

/* Hold from a reservations/backorders row, attached to its line */
static void
add_hold(Pass *p, Line *l, SPITupleTable *tt, uint64 r, bool is_bo)
{
	Hold	   *h = palloc0(sizeof(Hold));
	bool		isnull;

	h->is_bo = is_bo;
	h->id = get8(tt, r, 1, NULL);
	h->order_id = get8(tt, r, 2, NULL);
	h->line_no = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull));
	h->item = get8(tt, r, 4, NULL);
	h->wh = get8(tt, r, 5, NULL);
	h->qty = h->qty0 = copy_num(tt, r, 6);
	h->allocated = p->zero;
	if (is_bo)
	{
		h->allocated = copy_num(tt, r, 7);
		h->priority = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 8, &isnull));
		h->created_at = DatumGetTimestampTz(SPI_getbinval(tt->vals[r], tt->tupdesc, 9, &isnull));
		h->tier = TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 10, &isnull))[0];	/* #17 */
	}
	if (p->nholds == p->capholds)
	{
		p->capholds = p->capholds ? p->capholds * 2 : 64;
		p->holds = p->holds ? repalloc_huge(p->holds, sizeof(Hold *) * p->capholds)
			: palloc(sizeof(Hold *) * p->capholds);
	}
	p->holds[p->nholds++] = h;
	hold_attach(l, h);
}

typedef struct AvState
{
	Pass	   *p;
	int64		tenant;
	int64		order_id;
	Ord		   *o;
	Line	  **lines;
	uint64		nlines;
} AvState;

/* Read the order, its lines and holdings, the warehouses and inventory */
static void
av_load(AvState *st)
{
	int64		tenant = st->tenant;
	int64		order_id = st->order_id;
	Datum		args[2];
	SPITupleTable *tt;
	uint64		r;
	int64	   *items;
	Datum	   *ditems;
	int			i,
				k;
	bool		found,
				isnull;

		args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(order_id);
	if (SPI_execute_plan(ap.order, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "crmscm order_availability: reading the order failed");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("order " INT64_FORMAT " does not exist", order_id),
				 errhint("Orders of other tenants are not visible: check crmscm.tenant_id.")));
	tt = SPI_tuptable;
	st->o = hash_search(st->p->orders, &order_id, HASH_ENTER, &found);
	memset(((char *) st->o) + sizeof(int64), 0, sizeof(Ord) - sizeof(int64));
	/* a draft order is taken as confirmed: what confirming it would do */
	st->o->status = text_is(tt, 0, 1, "cancelled") ? ORDER_CANCELLED :
		text_is(tt, 0, 1, "closed") ? ORDER_CLOSED : ORDER_CONFIRMED;
	st->o->priority = DatumGetInt32(SPI_getbinval(tt->vals[0], tt->tupdesc, 2, &isnull));
	{
		Datum		d = SPI_getbinval(tt->vals[0], tt->tupdesc, 3, &isnull);

		st->o->ship_null = isnull;
		if (!isnull)
			st->o->ship_to = *DatumGetGeoPointP(d);
	}
	st->o->all_or_nothing = text_is(tt, 0, 4, "all_or_nothing");
	st->o->whole = true;

	if (SPI_execute_plan(ap.lines, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "crmscm order_availability: reading the lines failed");
	tt = SPI_tuptable;
	st->nlines = SPI_processed;
	st->lines = palloc(sizeof(Line *) * Max(st->nlines, 1));
	items = palloc(sizeof(int64) * Max(st->nlines, 1));
	for (r = 0; r < st->nlines; r++)
	{
		int32		line_no = DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		Line	   *l = line_get(st->p, order_id, line_no, true);

		CHECK_FOR_INTERRUPTS();
		l->reconcile = l->mine = l->exists = l->loaded = true;
		l->ord = st->o;
		l->item = items[r] = get8(tt, r, 2, NULL);
		l->qty = copy_num(tt, r, 3);
		l->shipped = copy_num(tt, r, 4);
		l->reserved = copy_num(tt, r, 5);
		l->backordered = copy_num(tt, r, 6);
		l->status = text_is(tt, r, 7, "open") ? LINE_OPEN :
			text_is(tt, r, 7, "shipped") ? LINE_SHIPPED : LINE_CANCELLED;
		l->pref = get8(tt, r, 8, &l->pref_null);
		st->lines[r] = l;
	}
	SPI_freetuptable(tt);

	/* the tenant's warehouses */
	if (SPI_execute_plan(ap.warehouses, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "crmscm order_availability: reading the warehouses failed");
	tt = SPI_tuptable;
	st->p->nwh = (int) SPI_processed;
	st->p->whs = palloc(sizeof(Wh) * Max(st->p->nwh, 1));
	for (i = 0; i < st->p->nwh; i++)
	{
		Datum		loc = SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull);

		st->p->whs[i].id = get8(tt, i, 1, NULL);
		st->p->whs[i].has_loc = !isnull;
		if (!isnull)
			st->p->whs[i].loc = *DatumGetGeoPointP(loc);
	}
	st->p->whs_loaded = true;
	SPI_freetuptable(tt);

	/* the inventory rows of the items, as committed (no lock) */
	ditems = palloc(sizeof(Datum) * Max(st->nlines, 1));
	for (r = 0; r < st->nlines; r++)
		ditems[r] = Int64GetDatum(items[r]);
	args[1] = PointerGetDatum(construct_array(ditems, (int) st->nlines, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (SPI_execute_plan(ap.inventory, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "crmscm order_availability: reading the inventory failed");
	tt = SPI_tuptable;
	st->p->ninv = (int) SPI_processed;
	/* room for a scratch row per line (its backorder warehouse) */
	st->p->inv = palloc0(sizeof(Inv) * (st->p->ninv + st->nlines + 1));
	for (i = 0; i < st->p->ninv; i++)
	{
		Inv		   *v = &st->p->inv[i];

		v->item = get8(tt, i, 1, NULL);
		v->wh = get8(tt, i, 2, NULL);
		v->on_hand = copy_num(tt, i, 3);
		v->reserved = copy_num(tt, i, 4);
		v->on_order = v->on_order0 = copy_num(tt, i, 5);
		v->avail0 = available(v);
		v->moved = st->p->zero;
	}
	SPI_freetuptable(tt);

	/* what the lines hold now */
	args[1] = Int64GetDatum(order_id);
	for (k = 0; k < 2; k++)
	{
		if (SPI_execute_plan(k == 0 ? ap.reservations : ap.backorders, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "crmscm order_availability: reading the holdings failed");
		tt = SPI_tuptable;
		for (r = 0; r < SPI_processed; r++)
		{
			Line	   *l = line_get(st->p, order_id,
									 DatumGetInt32(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull)), false);

			if (l != NULL)
				add_hold(st->p, l, tt, r, k == 1);
		}
		SPI_freetuptable(tt);
	}
}

/*
 * An empty pass over the caller's tenant, in memory context cxt: the
 * engine's model (src/reserve_model.h) that av_load fills and the rules
 * (src/reserve_rules.c) run on, without touching any row.
 */
static void
av_pass_init(Pass *p, int64 tenant, Oid nsp, MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(p, 0, sizeof(*p));
	p->tenant = tenant;
	p->cxt = cxt;
	p->zero = num_zero();
	p->nsp = nsp;
	p->take_line = no_line;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(Ord);
	ctl.hcxt = cxt;
	p->orders = hash_create("crmscm availability orders", 4, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(LineKey);
	ctl.entrysize = sizeof(Line);
	p->lines = hash_create("crmscm availability lines", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(BoEntry);
	p->bo_by_id = hash_create("crmscm availability backorders", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * What confirming the order now would reserve and backorder, per line and
 * warehouse.
 *
 * Length: one pass of the engine's steps in their order (load the order,
 * its lines, the tenant's tiers and fences, stock and queues, run the
 * rules, return the rows); split, the steps would pass the whole state
 * between functions without being clearer.
 */
PG_FUNCTION_INFO_V1(crmscm_order_availability);
Datum
crmscm_order_availability(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	int64		tenant,
				order_id;
	Pass		p;
	Ord		   *o;
	uint64		r,
				nlines;
	Line	  **lines;
	int			i,
				k;
	AvState		st;
	EngineScope scope;
	MemoryContext cxt,
				old;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("order_id must not be NULL")));
	order_id = PG_GETARG_INT64(0);
	/* the caller's tenant (and whether it may work in it) */
	tenant = DatumGetInt64(DirectFunctionCall1(crmscm_current_tenant, (Datum) 0));
	InitMaterializedSRF(fcinfo, 0);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "crmscm order_availability", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	av_pass_init(&p, tenant, nsp, cxt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm order_availability: SPI_connect failed");
	av_plans(nsp);
	engine_set_schema(nsp);
	/* read as crmscm, only the caller's tenant: plain SELECTs, no row locks */
	memset(&st, 0, sizeof(st));
	st.p = &p;
	st.tenant = tenant;
	st.order_id = order_id;
	engine_begin(&scope);
	PG_TRY();
	{
		av_load(&st);
		/* #17: the customer's tier and the items' allocation fences, as the pass loads them */
		alloc_before_rules(&p, NULL, 0);
	}
	PG_FINALLY();
	{
		engine_end(&scope);
	}
	PG_END_TRY();
	SPI_finish();
	o = st.o;
	lines = st.lines;
	nlines = st.nlines;

	/* inventory rows a backorder would need, as empty scratch rows */
	for (r = 0; r < nlines; r++)
	{
		Line	   *l = lines[r];

		if (l->status == LINE_OPEN && o->status == ORDER_CONFIRMED &&
			num_cmp(num_sub(l->qty, l->shipped), num_add(l->reserved, l->backordered)) > 0)
		{
			int64		wh = backorder_wh(&p, l);

			if (inv_find(&p, l->item, wh) == NULL)
			{
				Inv		   *v = &p.inv[p.ninv++];

				memset(v, 0, sizeof(Inv));
				v->item = l->item;
				v->wh = wh;
				v->on_hand = v->reserved = v->on_order = v->on_order0 = v->avail0 = v->moved = p.zero;
				qsort(p.inv, p.ninv, sizeof(Inv), inv_cmp);
			}
		}
	}

	/* the engine's rules, line by line in key order, as the pass would */
	for (r = 0; r < nlines; r++)
	{
		CHECK_FOR_INTERRUPTS();
		reconcile(&p, lines[r]);
	}

	/* one row per line and warehouse */
	for (r = 0; r < nlines; r++)
	{
		Line	   *l = lines[r];
		Hold	   *h;
		int			nwh = 0;
		int64	   *whs = palloc(sizeof(int64) * (p.nholds + 1));
		bool		complete = (o->status != ORDER_CONFIRMED || l->status != LINE_OPEN ||
								!num_pos(l->backordered, p.zero));

		for (h = l->holds; h; h = h->next)
		{
			int			j;

			if (h->deleted || !num_pos(h->qty, p.zero))
				continue;
			for (j = 0; j < nwh && whs[j] != h->wh; j++)
				;
			if (j == nwh)
				whs[nwh++] = h->wh;
		}
		/* warehouses in ascending order */
		for (i = 1; i < nwh; i++)
			for (k = i; k > 0 && whs[k - 1] > whs[k]; k--)
			{
				int64		t = whs[k];

				whs[k] = whs[k - 1];
				whs[k - 1] = t;
			}
		for (i = 0; i < Max(nwh, 1); i++)
		{
			Datum		values[7];
			bool		nulls[7] = {false, false, false, false, false, false, false};
			Datum		res = p.zero,
						bo = p.zero;

			if (nwh > 0)
				for (h = l->holds; h; h = h->next)
				{
					if (h->deleted || h->wh != whs[i] || !num_pos(h->qty, p.zero))
						continue;
					if (h->is_bo)
						bo = num_add(bo, h->qty);
					else
						res = num_add(res, h->qty);
				}
			values[0] = Int32GetDatum(l->key.line_no);
			values[1] = Int64GetDatum(l->item);
			values[2] = num_sub(l->qty, l->shipped);
			values[3] = Int64GetDatum(nwh > 0 ? whs[i] : 0);
			nulls[3] = (nwh == 0);
			values[4] = res;
			values[5] = bo;
			values[6] = BoolGetDatum(complete);
			MemoryContextSwitchTo(old);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(cxt);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
