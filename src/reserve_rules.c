/*
 * reserve_rules.c — the allocation rules of the reservation engine, once
 * (doc/orders.md): which warehouses a line takes stock from, what becomes a
 * backorder and where, what a smaller quantity, a cancel or a delete gives
 * back, and how released or received stock fills the backorder queues.
 *
 * They work on the in-memory model of reserve_model.h and do no I/O; the
 * pass (reserve.c) loads the rows, runs them and writes the result.  The
 * arithmetic follows 0.2.0's statements term by term (running sums, least(),
 * qty - total), so quantities carry the same numeric scales.
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "reserve_model.h"

/* ---- the model ---- */

Line *
line_get(Pass *p, int64 order_id, int32 line_no, bool create)
{
	LineKey		k;
	bool		found;
	Line	   *l;

	memset(&k, 0, sizeof(k));
	k.order_id = order_id;
	k.line_no = line_no;
	l = hash_search(p->lines, &k, create ? HASH_ENTER : HASH_FIND, &found);
	if (create && !found)
	{
		memset(((char *) l) + sizeof(LineKey), 0, sizeof(Line) - sizeof(LineKey));
		l->qty = l->shipped = l->reserved = l->backordered = p->zero;
		l->status = LINE_OPEN;
		l->pref_null = true;
	}
	return l;
}

Inv *
inv_find(Pass *p, int64 item, int64 wh)
{
	int			lo = 0,
				hi = p->ninv;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		Inv		   *v = &p->inv[mid];

		if (v->item < item || (v->item == item && v->wh < wh))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->ninv && p->inv[lo].item == item && p->inv[lo].wh == wh)
		return &p->inv[lo];
	return NULL;
}

Inv *
inv_must(Pass *p, int64 item, int64 wh)
{
	Inv		   *v = inv_find(p, item, wh);

	if (v == NULL)
		elog(ERROR, "crmscm reservation pass: inventory row of item " INT64_FORMAT " in warehouse " INT64_FORMAT " not locked",
			 item, wh);
	return v;
}

Hold *
hold_new(Pass *p, bool is_bo, Line *l, int64 wh)
{
	Hold	   *h = palloc0(sizeof(Hold));

	h->is_bo = is_bo;
	h->order_id = l->key.order_id;
	h->line_no = l->key.line_no;
	h->item = l->item;
	h->wh = wh;
	h->qty = h->allocated = h->qty0 = p->zero;
	h->dirty = true;
	if (p->nholds == p->capholds)
	{
		p->capholds = p->capholds ? p->capholds * 2 : 64;
		p->holds = p->holds ? repalloc_huge(p->holds, sizeof(Hold *) * p->capholds)
			: palloc(sizeof(Hold *) * p->capholds);
	}
	p->holds[p->nholds++] = h;
	return h;
}

void
hold_attach(Line *l, Hold *h)
{
	Hold	  **pp_ = &l->holds;

	while (*pp_)
		pp_ = &(*pp_)->next;
	*pp_ = h;
}

/* ---- warehouses: nearest to the order's ship_to first ---- */

/* distance_km(location, ship_to) NULLS LAST, then warehouse_id */
static int
rank_cmp(const void *a, const void *b)
{
	const RankEnt *x = a,
			   *y = b;

	if (x->has_d != y->has_d)
		return x->has_d ? -1 : 1;
	if (x->has_d && x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* The tenant's warehouses, nearest to the order's ship_to first */
void
order_rank(Pass *p, Ord *o)
{
	RankEnt    *e;
	int			i;

	if (o->rank != NULL)
		return;
	if (!p->whs_loaded)
		elog(ERROR, "crmscm reservation pass: warehouses not loaded");
	e = palloc(sizeof(RankEnt) * Max(p->nwh, 1));
	for (i = 0; i < p->nwh; i++)
	{
		e[i].id = p->whs[i].id;
		e[i].has_d = !o->ship_null && p->whs[i].has_loc;
		e[i].d = e[i].has_d ? geo_distance_km(&p->whs[i].loc, &o->ship_to) : 0;
	}
	qsort(e, p->nwh, sizeof(RankEnt), rank_cmp);
	o->rank = palloc(sizeof(int64) * Max(p->nwh, 1));
	for (i = 0; i < p->nwh; i++)
		o->rank[i] = e[i].id;
	o->nrank = p->nwh;
}

static int
rank_of(Ord *o, int64 wh)
{
	int			i;

	for (i = 0; i < o->nrank; i++)
		if (o->rank[i] == wh)
			return i;
	return INT_MAX;
}

/* Where a line's missing quantity waits: its preferred, else the nearest warehouse */
int64
backorder_wh(Pass *p, Line *l)
{
	if (!l->pref_null)
		return l->pref;
	order_rank(p, l->ord);
	if (l->ord->nrank == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("tenant " INT64_FORMAT " has no warehouse to reserve or backorder item " INT64_FORMAT,
						p->tenant, l->item),
				 errhint("Create a warehouse first."),
				 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "warehouse_required")));
	return l->ord->rank[0];
}

/* The reservation row of a line in a warehouse, created (empty) if asked */
static Hold *
line_reservation(Pass *p, Line *l, int64 wh, bool create)
{
	Hold	   *h;

	for (h = l->holds; h; h = h->next)
		if (!h->is_bo && !h->deleted && h->wh == wh)
			return h;
	if (!create)
		return NULL;
	h = hold_new(p, false, l, wh);
	/* a line whose rows are not in memory: the row may exist, add to it */
	h->add = !l->loaded;
	hold_attach(l, h);
	return h;
}

static void
res_add(Pass *p, Line *l, int64 wh, Datum q)
{
	Hold	   *h = line_reservation(p, l, wh, true);

	/* as ON CONFLICT … qty = x.qty + excluded.qty: a new row takes q as it is */
	h->qty = (h->id == 0 && num_is_zero(h->qty)) ? q : num_add(h->qty, q);
	h->dirty = true;
}

/*
 * Reserve qty more units for a line: from its preferred warehouse only,
 * else from the warehouses with available stock nearest to ship_to first;
 * what cannot be reserved waits as a new backorder at the preferred (else
 * nearest) warehouse.
 */
void
reserve_more(Pass *p, Line *l, Datum qty)
{
	Ord		   *o = l->ord;
	Inv		  **cand;
	int		   *crank;
	int			ncand = 0,
				i,
				j;
	Datum		cum = p->zero,
				total = p->zero;
	bool		any = false;

	order_rank(p, o);
	cand = palloc(sizeof(Inv *) * Max(p->ninv, 1));
	crank = palloc(sizeof(int) * Max(p->ninv, 1));
	for (i = 0; i < p->ninv; i++)
	{
		Inv		   *v = &p->inv[i];

		if (v->item != l->item || !num_pos(alloc_allowed(p, v, o->tier, available(v)), p->zero))
			continue;
		if (!l->pref_null && v->wh != l->pref)
			continue;
		/* insertion by (rank, warehouse) */
		{
			int			rk = rank_of(o, v->wh);

			for (j = ncand; j > 0 && (crank[j - 1] > rk || (crank[j - 1] == rk && cand[j - 1]->wh > v->wh)); j--)
			{
				cand[j] = cand[j - 1];
				crank[j] = crank[j - 1];
			}
			cand[j] = v;
			crank[j] = rk;
			ncand++;
		}
	}
	for (i = 0; i < ncand; i++)
	{
		Datum		av = alloc_allowed(p, cand[i], o->tier, available(cand[i]));
		Datum		before;

		cum = (i == 0) ? av : num_add(cum, av);
		before = num_sub(cum, av);
		if (num_cmp(before, qty) < 0)
		{
			Datum		take = num_least(av, num_sub(qty, before));

			total = any ? num_add(total, take) : take;
			any = true;
			cand[i]->reserved = num_add(cand[i]->reserved, take);
			cand[i]->dirty = true;
			res_add(p, l, cand[i]->wh, take);
		}
	}
	if (num_cmp(total, qty) < 0)
	{
		Datum		rest = num_sub(qty, total);
		int64		wh = backorder_wh(p, l);
		Hold	   *b = hold_new(p, true, l, wh);

		b->qty = rest;
		b->priority = o->priority;
		b->tier = o->tier;
		b->created_at = GetCurrentTransactionStartTimestamp();
		b->seq = ++p->newseq;
		hold_attach(l, b);
		/* a new version of the queue's inventory row (REPEATABLE READ) */
		inv_must(p, l->item, wh)->dirty = true;
		l->backordered = num_add(l->backordered, rest);
	}
	l->reserved = num_add(l->reserved, total);
	l->dirty = true;
}

static int
bo_newest_first(const void *a, const void *b)
{
	const Hold *x = *(Hold *const *) a,
			   *y = *(Hold *const *) b;

	if (x->created_at != y->created_at)
		return x->created_at > y->created_at ? -1 : 1;
	if ((x->id == 0) != (y->id == 0))
		return x->id == 0 ? -1 : 1;
	if (x->id == 0)
		return x->seq > y->seq ? -1 : (x->seq < y->seq);
	return x->id > y->id ? -1 : (x->id < y->id);
}

static int
res_latest_first(const void *a, const void *b)
{
	const Hold *x = *(Hold *const *) a,
			   *y = *(Hold *const *) b;

	if ((x->id == 0) != (y->id == 0))
		return x->id == 0 ? -1 : 1;
	return x->id > y->id ? -1 : (x->id < y->id);
}

/*
 * Take qty units away from what a line holds: its backorders first (newest
 * first), then its reservations (latest first); released stock stays
 * available for the queues.
 */
void
release(Pass *p, Line *l, Datum qty)
{
	Hold	  **v;
	Hold	   *h;
	int			n = 0,
				i,
				k;
	Datum		left = qty,
				bo_sum = p->zero,
				res_sum = p->zero;

	for (h = l->holds; h; h = h->next)
		n++;
	v = palloc(sizeof(Hold *) * Max(n, 1));
	for (k = 0; k < 2; k++)
	{
		int			m = 0;

		for (h = l->holds; h; h = h->next)
			if (!h->deleted && h->is_bo == (k == 0))
				v[m++] = h;
		qsort(v, m, sizeof(Hold *), k == 0 ? bo_newest_first : res_latest_first);
		for (i = 0; i < m && num_pos(left, p->zero); i++)
		{
			Datum		take = num_least(left, v[i]->qty);
			Inv		   *iv = inv_must(p, v[i]->item, v[i]->wh);

			if (num_cmp(take, v[i]->qty) == 0)
				v[i]->deleted = true;
			else
				v[i]->qty = num_sub(v[i]->qty, take);
			v[i]->dirty = true;
			if (k == 0)
				bo_sum = num_add(bo_sum, take);
			else
			{
				iv->reserved = num_sub(iv->reserved, take);
				res_sum = num_add(res_sum, take);
			}
			iv->dirty = true;
			left = num_sub(left, take);
		}
	}
	if (num_pos(res_sum, p->zero) || num_pos(bo_sum, p->zero))
	{
		l->reserved = num_sub(l->reserved, res_sum);
		l->backordered = num_sub(l->backordered, bo_sum);
		l->dirty = true;
	}
}

/* Everything a deleted line held goes: reservations back to available, backorders dropped */
static void
drop_all(Pass *p, Line *l)
{
	Hold	   *h;

	for (h = l->holds; h; h = h->next)
	{
		Inv		   *iv;

		if (h->deleted)
			continue;
		iv = inv_must(p, h->item, h->wh);
		if (!h->is_bo)
			iv->reserved = num_sub(iv->reserved, h->qty);
		else if (num_pos(h->allocated, p->zero))
			iv->reserved = num_sub(iv->reserved, h->allocated);
		h->deleted = true;
		h->dirty = true;
		iv->dirty = true;
	}
}

/*
 * #15: remember that qty units of a backorder became the line's reservation
 * (the event crmscm_backorder_filled, sent by reserve_events.c)
 */
static void
note_fill(Pass *p, Line *l, int64 wh, Datum qty)
{
	Fill	   *f;

	if (p->nfills == p->capfills)
	{
		p->capfills = p->capfills ? p->capfills * 2 : 16;
		p->fills = p->fills ? repalloc_huge(p->fills, sizeof(Fill) * p->capfills)
			: palloc(sizeof(Fill) * p->capfills);
	}
	f = &p->fills[p->nfills++];
	f->order_id = l->key.order_id;
	f->line_no = l->key.line_no;
	f->item = l->item;
	f->wh = wh;
	f->qty = qty;
}

/*
 * Units set aside on a backorder of a line while another transaction held
 * it become the line's reservation, now that the pass holds the line.
 */
void
convert_allocated(Pass *p, Line *l, Hold *b)
{
	Datum		a = b->allocated;

	if (!num_pos(a, p->zero))
		return;
	note_fill(p, l, b->wh, a);
	res_add(p, l, b->wh, a);
	if (num_cmp(a, b->qty) == 0)
		b->deleted = true;
	else
		b->qty = num_sub(b->qty, a);
	b->allocated = p->zero;
	b->dirty = true;
	l->reserved = num_add(l->reserved, a);
	l->backordered = num_sub(l->backordered, a);
	l->dirty = true;
	inv_must(p, b->item, b->wh)->dirty = true;
}

/* Bring one noted line to what it should hold */
void
reconcile(Pass *p, Line *l)
{
	Hold	   *h;
	Datum		target,
				held;
	int			c;

	if (!l->exists)
	{
		drop_all(p, l);
		return;
	}
	for (h = l->holds; h; h = h->next)
		if (h->is_bo && !h->deleted)
			convert_allocated(p, l, h);
	if (l->ord->status == ORDER_CONFIRMED && l->status == LINE_OPEN)
		target = num_sub(l->qty, l->shipped);
	else
		target = p->zero;
	held = num_add(l->reserved, l->backordered);
	c = num_cmp(target, held);
	if (c > 0)
		reserve_more(p, l, num_sub(target, held));
	else if (c < 0)
		release(p, l, num_sub(held, target));
	/* lowered to what was already shipped: the line is done */
	if (l->ord->status == ORDER_CONFIRMED && l->status == LINE_OPEN &&
		num_pos(l->shipped, p->zero) && num_cmp(l->qty, l->shipped) == 0)
	{
		l->status = LINE_SHIPPED;
		l->dirty = true;
	}
}

/* queue order: priority desc, tier (A first), created_at, backorder_id (new rows last, in creation order) */
int
queue_cmp(const void *a, const void *b)
{
	const Hold *x = *(Hold *const *) a,
			   *y = *(Hold *const *) b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (tier_rank(x->tier) != tier_rank(y->tier))
		return tier_rank(x->tier) < tier_rank(y->tier) ? -1 : 1;
	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;
	if ((x->id == 0) != (y->id == 0))
		return x->id == 0 ? 1 : -1;
	if (x->id == 0)
		return x->seq < y->seq ? -1 : (x->seq > y->seq);
	return x->id < y->id ? -1 : (x->id > y->id);
}

/*
 * Fill the queue of (item, warehouse) from its available stock, in queue
 * order.  A waiting line some other transaction holds keeps its place: the
 * units are set aside on its backorder (allocated).
 */
void
fill_queue(Pass *p, Inv *iv, Hold **queue, int n)
{
	Datum		avail = available(iv);
	int			i;

	for (i = 0; i < n && num_pos(avail, p->zero); i++)
	{
		Hold	   *b = queue[i];
		Datum		need = num_sub(b->qty, b->allocated);
		Line	   *l;
		Datum		take;

		if (b->deleted || !num_pos(need, p->zero))
			continue;
		/* what its tier may take (all of avail without allocation rules) */
		take = alloc_allowed(p, iv, b->tier, avail);
		if (!num_pos(take, p->zero))
			continue;
		take = num_least(take, need);
		iv->reserved = num_add(iv->reserved, take);
		iv->dirty = true;
		avail = num_sub(avail, take);
		l = p->take_line(p, b->order_id, b->line_no);
		if (l == NULL)
		{
			b->allocated = num_add(b->allocated, take);
			b->dirty = true;
			continue;
		}
		if (l->item == 0)
			l->item = b->item;
		if (num_pos(b->allocated, p->zero))
			convert_allocated(p, l, b);
		note_fill(p, l, b->wh, take);
		res_add(p, l, b->wh, take);
		if (num_cmp(take, b->qty) == 0)
			b->deleted = true;
		else
			b->qty = num_sub(b->qty, take);
		b->dirty = true;
		l->reserved = num_add(l->reserved, take);
		l->backordered = num_sub(l->backordered, take);
		l->dirty = true;
	}
}

/* ---- fill policy (#15) ---- */

/*
 * A line of a confirmed all_or_nothing order that is open and does not hold
 * its whole open quantity as reservations (something of it would wait)
 */
bool
line_short(Line *l, Datum zero)
{
	return l->exists && l->ord != NULL && l->ord->all_or_nothing &&
		l->ord->status == ORDER_CONFIRMED && l->status == LINE_OPEN &&
		num_pos(l->backordered, zero);
}

/*
 * all_or_nothing: after every noted line is reconciled and the queues are
 * filled, a line of such an order that would wait for stock fails the whole
 * pass (23514, constraint all_or_nothing), so the transaction holds nothing:
 * the order never waits in a backorder queue.  The detail lists the short
 * lines as JSON, [{"order_id":…, "line_no":…, "item_id":…, "qty":…, "short":…}].
 */
void
check_fill_policy(Pass *p, Line **rec, int nrec)
{
	StringInfoData msg,
				det;
	int			i,
				nshort = 0;
	int64		first_order = 0;

	for (i = 0; i < nrec; i++)
		if (line_short(rec[i], p->zero))
			break;
	if (i == nrec)
		return;
	initStringInfo(&msg);
	initStringInfo(&det);
	appendStringInfoChar(&det, '[');
	for (i = 0; i < nrec; i++)
	{
		Line	   *l = rec[i];
		char	   *qty,
				   *sh;

		if (!line_short(l, p->zero))
			continue;
		qty = DatumGetCString(DirectFunctionCall1(numeric_out, num_sub(l->qty, l->shipped)));
		sh = DatumGetCString(DirectFunctionCall1(numeric_out, l->backordered));
		if (nshort == 0)
			first_order = l->key.order_id;
		if (l->key.order_id == first_order)
			appendStringInfo(&msg, "%sline %d (item " INT64_FORMAT ") short by %s",
							 msg.len ? ", " : "", l->key.line_no, l->item, sh);
		appendStringInfo(&det, "%s{\"order_id\": " INT64_FORMAT ", \"line_no\": %d, \"item_id\": " INT64_FORMAT
						 ", \"qty\": %s, \"short\": %s}",
						 nshort ? ", " : "", l->key.order_id, l->key.line_no, l->item, qty, sh);
		nshort++;
	}
	appendStringInfoChar(&det, ']');
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("order " INT64_FORMAT " (fill_policy all_or_nothing) cannot be reserved in full: %s",
					first_order, msg.data),
			 errdetail("%s", det.data),
			 errhint("Nothing was reserved.  crmscm.order_availability(order_id) shows what is available; confirm again later, or use fill_policy backorder."),
			 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "all_or_nothing"),
			 err_generic_string(PG_DIAG_TABLE_NAME, "sales_orders")));
}
