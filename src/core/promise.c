/*
 * promise.c — time-phased available-to-promise of one item (promise.h,
 * doc/synergy.md).
 *
 * The queue of a warehouse is replayed event by event: what is available
 * now, then each dated receipt in order, each followed by one fill of the
 * queue in queue order in which an entry takes what it needs of the stock
 * its fence leaves it (the engine's fill_queue()); on the lead-time day
 * whatever still waits is covered.  Work is O(receipts x queue) at worst; an
 * entry that is covered is never looked at again from the front of the
 * queue, and a fill stops as soon as no tier could take anything.
 */
#include "promise.h"

#include <stddef.h>

#define PQ_TICK_EVERY 4096

typedef struct Ticker
{
	PqTick		fn;
	void	   *arg;
	unsigned	n;
} Ticker;

static inline void
tick(Ticker *t)
{
	if (t->fn != NULL && ++t->n % PQ_TICK_EVERY == 0)
		t->fn(t->arg);
}

static inline int
clamp_tier(int t)
{
	return t < 0 ? 0 : (t >= PQ_TIERS ? PQ_TIERS - 1 : t);
}

pq_qty
pq_fence(const PqRules *r, int tier, pq_qty on_hand)
{
	pq_qty		f = 0;
	int			t;

	if (r == NULL || r->unit <= 0)
		return 0;
	tier = clamp_tier(tier);
	for (t = 0; t < tier; t++)
	{
		pq_qty		s = r->share[t];

		if (s <= 0)
			continue;
		/* share x on_hand / unit, exact when on_hand is a multiple of unit */
		f += (on_hand / r->unit) * s + (on_hand % r->unit) * s / r->unit;
	}
	return f;
}

int
pq_queue_position(const PqEntry *queue, int n, int32_t priority, int tier)
{
	int			i;

	tier = clamp_tier(tier);
	/* behind every entry of higher priority, or of equal priority and no worse tier (older) */
	for (i = 0; i < n; i++)
		if (queue[i].priority < priority ||
			(queue[i].priority == priority && clamp_tier(queue[i].tier) > tier))
			return i;
	return n;
}

/* Rows of a promise, consecutive parts of one site, day and source merged */
typedef struct Rows
{
	PqRow	   *v;
	int			n;
} Rows;

static void
add_row(Rows *rows, int site, int32_t day, pq_qty qty, PqSource src)
{
	PqRow	   *last = rows->n > 0 ? &rows->v[rows->n - 1] : NULL;

	if (qty <= 0)
		return;
	if (last != NULL && last->site == site && last->day == day && last->source == src)
	{
		last->qty += qty;
		return;
	}
	rows->v[rows->n].site = site;
	rows->v[rows->n].day = day;
	rows->v[rows->n].qty = qty;
	rows->v[rows->n].source = src;
	rows->n++;
}

/* The state of one queue being replayed */
typedef struct Replay
{
	PqEntry    *q;
	int			n;
	pq_qty	   *need;
	int			first;			/* every entry before it is covered */
	pq_qty		on_hand;
	pq_qty		available;
	const PqRules *rules;
	int			watch;			/* entry whose takes become rows, or -1 */
	int			site;
	Rows	   *rows;
	Ticker	   *ticker;
} Replay;

/* One fill of the queue on day: every entry in queue order takes what its fence leaves it */
static void
fill(Replay *rp, int32_t day, PqSource src)
{
	pq_qty		fence[PQ_TIERS];
	pq_qty		lowest;
	int			t,
				i;

	for (t = 0; t < PQ_TIERS; t++)
		fence[t] = pq_fence(rp->rules, t, rp->on_hand);
	lowest = fence[0];
	for (t = 1; t < PQ_TIERS; t++)
		if (fence[t] < lowest)
			lowest = fence[t];
	for (i = rp->first; i < rp->n && rp->available - lowest > 0; i++)
	{
		PqEntry    *e = &rp->q[i];
		pq_qty		room,
					take;

		tick(rp->ticker);
		if (rp->need[i] <= 0)
		{
			if (i == rp->first)
				rp->first++;
			continue;
		}
		room = rp->available - fence[clamp_tier(e->tier)];
		if (room <= 0)
			continue;
		take = rp->need[i] < room ? rp->need[i] : room;
		rp->need[i] -= take;
		rp->available -= take;
		if (i == rp->watch)
			add_row(rp->rows, rp->site, day, take, src);
		if (rp->need[i] == 0)
		{
			e->day = day;
			e->source = src;
			if (i == rp->first)
				rp->first++;
		}
	}
}

static void
replay(Replay *rp, const PqReceipt *receipts, int nreceipts, int32_t today, int32_t lead_day)
{
	int			i;

	for (i = 0; i < rp->n; i++)
	{
		rp->need[i] = rp->q[i].need > 0 ? rp->q[i].need : 0;
		rp->q[i].day = today;
		rp->q[i].source = PQ_STOCK;
	}
	rp->first = 0;
	while (rp->first < rp->n && rp->need[rp->first] == 0)
		rp->first++;
	/* what is available now */
	fill(rp, today, PQ_STOCK);
	/* each dated receipt up to the lead-time day, in order */
	for (i = 0; i < nreceipts && rp->first < rp->n; i++)
	{
		if (receipts[i].day > lead_day)
			continue;
		if (receipts[i].qty <= 0)
			continue;
		rp->on_hand += receipts[i].qty;
		rp->available += receipts[i].qty;
		fill(rp, receipts[i].day, PQ_PURCHASE);
	}
	/* beyond known supply: the lead time */
	for (i = rp->first; i < rp->n; i++)
	{
		tick(rp->ticker);
		if (rp->need[i] <= 0)
			continue;
		if (i == rp->watch)
			add_row(rp->rows, rp->site, lead_day, rp->need[i], PQ_LEAD);
		rp->need[i] = 0;
		rp->q[i].day = lead_day;
		rp->q[i].source = PQ_LEAD;
	}
}

void
pq_cover_queue(PqSite *site, const PqRules *r, int32_t today, int32_t lead_day,
			   pq_qty *scratch, PqTick tickfn, void *tick_arg)
{
	Ticker		tk = {tickfn, tick_arg, 0};
	Replay		rp;

	rp.q = site->queue;
	rp.n = site->nqueue;
	rp.need = scratch;
	rp.on_hand = site->on_hand;
	rp.available = site->available;
	rp.rules = r;
	rp.watch = -1;
	rp.site = 0;
	rp.rows = NULL;
	rp.ticker = &tk;
	replay(&rp, site->receipts, site->nreceipts, today, lead_day);
}

int
pq_promise(const PqRequest *rq, const PqSite *sites, int nsites, const PqRules *r,
		   PqRow *rowbuf, PqEntry *scratch_entries, pq_qty *scratch,
		   PqTick tickfn, void *tick_arg)
{
	Ticker		tk = {tickfn, tick_arg, 0};
	Rows		rows = {rowbuf, 0};
	pq_qty		rem = rq->qty;
	pq_qty		home_available;
	int			s;

	if (rem <= 0 || nsites <= 0 || rq->home < 0 || rq->home >= nsites)
		return 0;
	home_available = sites[rq->home].available;

	/* now: the available stock of the candidate warehouses, nearest first */
	for (s = 0; s < nsites && rem > 0; s++)
	{
		const PqSite *st = &sites[s];
		pq_qty		room;

		if (rq->only_home && s != rq->home)
			continue;
		tick(&tk);
		room = st->available - pq_fence(r, rq->tier, st->on_hand);
		if (room <= 0)
			continue;
		if (room > rem)
			room = rem;
		add_row(&rows, s, rq->today, room, PQ_STOCK);
		rem -= room;
		if (s == rq->home)
			home_available = st->available - room;
	}

	/* later: its place in the home warehouse's queue */
	if (rem > 0)
	{
		const PqSite *h = &sites[rq->home];
		int			pos = pq_queue_position(h->queue, h->nqueue, rq->priority, rq->tier);
		Replay		rp;
		int			i;

		for (i = 0; i < pos; i++)
			scratch_entries[i] = h->queue[i];
		scratch_entries[pos].need = rem;
		scratch_entries[pos].priority = rq->priority;
		scratch_entries[pos].tier = clamp_tier(rq->tier);
		for (i = pos; i < h->nqueue; i++)
			scratch_entries[i + 1] = h->queue[i];
		rp.q = scratch_entries;
		rp.n = h->nqueue + 1;
		rp.need = scratch;
		rp.on_hand = h->on_hand;
		rp.available = home_available;
		rp.rules = r;
		rp.watch = pos;
		rp.site = rq->home;
		rp.rows = &rows;
		rp.ticker = &tk;
		replay(&rp, h->receipts, h->nreceipts, rq->today, rq->lead_day);
	}
	return rows.n;
}
