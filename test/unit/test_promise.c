/*
 * test_promise.c — unit tests of the time-phased available-to-promise kernel
 * (src/core/promise.c).
 *
 * Independent source of every expected value: hand-worked cases (the
 * arithmetic is in the comments), and a brute-force reference written here
 * from the engine's rules (doc/orders.md, doc/synergy.md), not from the
 * kernel: it moves stock ONE UNIT AT A TIME, each unit to the first warehouse
 * (rank order) or the first waiting entry (queue order, found by sorting the
 * entries and the request with its own comparator) that may take it, and it
 * walks the receipts after sorting them itself.  On 10,000 seeded random
 * instances (quantities in quarter units, so that every fence is whole)
 * the kernel's promise and the day and source of every queue entry must
 * equal the reference's.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promise.h"
#include "tap.h"

/* ---- hand-worked cases ---- */

static PqRules no_rules = {{0, 0, 0}, 1};

static int
row_is(const PqRow *r, int site, int32_t day, long qty, PqSource src)
{
	return r->site == site && r->day == day && r->qty == qty && r->source == src;
}

static void
hand_cases(void)
{
	PqRow		rows[16];
	PqEntry		ent[16];
	pq_qty		scr[16];
	int			n;

	/*
	 * 1. Stock first, nearest first, then the home warehouse's purchase,
	 * then lead time.  Site 0 has 5 available, site 1 has 3; site 0 expects
	 * 4 on day 103.  A request of 14 on day 100 (lead day 107): 5 + 3 now,
	 * 4 on day 103 at site 0, the last 2 on day 107.
	 */
	{
		PqReceipt	rc0[] = {{103, 4}};
		PqSite		s[2] = {{5, 5, rc0, 1, NULL, 0}, {3, 3, NULL, 0, NULL, 0}};
		PqRequest	rq = {14, 0, 2, 0, 0, 100, 107};

		n = pq_promise(&rq, s, 2, &no_rules, rows, ent, scr, NULL, NULL);
		ok(n == 4 && row_is(&rows[0], 0, 100, 5, PQ_STOCK) && row_is(&rows[1], 1, 100, 3, PQ_STOCK)
		   && row_is(&rows[2], 0, 103, 4, PQ_PURCHASE) && row_is(&rows[3], 0, 107, 2, PQ_LEAD),
		   "hand 1: 5 + 3 now (nearest first), 4 on the purchase day, 2 on the lead-time day");
	}

	/*
	 * 2. Demand ahead consumes supply first.  Site 0: nothing available, a
	 * backorder of 3 (priority 0, tier C) waits, 4 arrive on day 102.  A
	 * request of 2 (priority 0, tier C, the newest) is behind it: of the 4,
	 * 3 go to the backorder, 1 to the request; its other unit waits for the
	 * lead-time day 110.
	 */
	{
		PqReceipt	rc[] = {{102, 4}};
		PqEntry		q[] = {{3, 0, 2, 0, PQ_NONE}};
		PqSite		s = {0, 0, rc, 1, q, 1};
		PqRequest	rq = {2, 0, 2, 0, 0, 100, 110};

		n = pq_promise(&rq, &s, 1, &no_rules, rows, ent, scr, NULL, NULL);
		ok(n == 2 && row_is(&rows[0], 0, 102, 1, PQ_PURCHASE) && row_is(&rows[1], 0, 110, 1, PQ_LEAD),
		   "hand 2: a backorder of 3 ahead takes 3 of the 4 received; 1 on the purchase day, 1 on the lead-time day");

		/* 3. the same request from a tier-A customer is ahead of the tier-C backorder: both units on day 102 */
		rq.tier = 0;
		n = pq_promise(&rq, &s, 1, &no_rules, rows, ent, scr, NULL, NULL);
		ok(n == 1 && row_is(&rows[0], 0, 102, 2, PQ_PURCHASE),
		   "hand 3: tier A goes before an older tier-C backorder of equal priority: 2 on the purchase day");
		/* and a higher priority beats a better tier */
		q[0].priority = 1;
		n = pq_promise(&rq, &s, 1, &no_rules, rows, ent, scr, NULL, NULL);
		ok(n == 2 && row_is(&rows[0], 0, 102, 1, PQ_PURCHASE) && row_is(&rows[1], 0, 110, 1, PQ_LEAD),
		   "hand 3b: a backorder of higher priority stays ahead of a tier-A request");

		/* the queue alone: the backorder of 3 is covered on day 102 */
		pq_cover_queue(&s, &no_rules, 100, 110, scr, NULL, NULL);
		ok(q[0].day == 102 && q[0].source == PQ_PURCHASE, "hand 4: the queue alone: the backorder is covered on the purchase day");
	}

	/*
	 * 5. A fence.  Tier A is protected a share of 1/2 of on hand.  On hand 8,
	 * all available, a tier-C request of 6: the fence is 4, so 4 now.  Then
	 * 8 arrive on day 101: on hand 16, fence 8, available 4 + 8 = 12, room
	 * 12 - 8 = 4 >= the 2 still needed: 2 on day 101.
	 */
	{
		PqRules		half_a = {{1, 0, 0}, 2};
		PqReceipt	rc[] = {{101, 8}};
		PqSite		s = {8, 8, rc, 1, NULL, 0};
		PqRequest	rq = {6, 0, 2, 0, 0, 100, 105};

		ok(pq_fence(&half_a, 2, 8) == 4 && pq_fence(&half_a, 0, 8) == 0 && pq_fence(&half_a, 1, 8) == 4,
		   "hand 5: the fence of a share of 1/2 for tier A is 4 of 8 for tiers B and C, 0 for A");
		n = pq_promise(&rq, &s, 1, &half_a, rows, ent, scr, NULL, NULL);
		ok(n == 2 && row_is(&rows[0], 0, 100, 4, PQ_STOCK) && row_is(&rows[1], 0, 101, 2, PQ_PURCHASE),
		   "hand 5: a tier-C request gets 4 of 8 now (fence 4), 2 when 8 arrive (fence 8 of 16)");
		rq.tier = 0;
		n = pq_promise(&rq, &s, 1, &half_a, rows, ent, scr, NULL, NULL);
		ok(n == 1 && row_is(&rows[0], 0, 100, 6, PQ_STOCK), "hand 5: a tier-A request takes all 6 now");
	}

	/*
	 * 6. A preferred warehouse: only it.  Site 0 has 5, site 1 (home,
	 * preferred) has 1: 1 now at site 1, the rest (3) on the lead-time day.
	 */
	{
		PqSite		s[2] = {{5, 5, NULL, 0, NULL, 0}, {1, 1, NULL, 0, NULL, 0}};
		PqRequest	rq = {4, 0, 2, 1, 1, 100, 104};

		n = pq_promise(&rq, s, 2, &no_rules, rows, ent, scr, NULL, NULL);
		ok(n == 2 && row_is(&rows[0], 1, 100, 1, PQ_STOCK) && row_is(&rows[1], 1, 104, 3, PQ_LEAD),
		   "hand 6: a preferred warehouse reserves only there");
	}

	/*
	 * 7. Receipts after the lead-time day do not count; an overdue one (day
	 * 95 < today 100) counts on its own day.
	 */
	{
		PqReceipt	rc[] = {{95, 2}, {120, 50}};
		PqSite		s = {0, 0, rc, 2, NULL, 0};
		PqRequest	rq = {5, 0, 2, 0, 0, 100, 107};

		n = pq_promise(&rq, &s, 1, &no_rules, rows, ent, scr, NULL, NULL);
		ok(n == 2 && row_is(&rows[0], 0, 95, 2, PQ_PURCHASE) && row_is(&rows[1], 0, 107, 3, PQ_LEAD),
		   "hand 7: an overdue receipt counts on its day, one after the lead-time day not at all");
	}
}

/* ---- the brute-force reference ---- */

#define MAXS 4
#define MAXR 6
#define MAXQ 14
#define UNIT 4					/* shares in quarters; on hand in multiples of 4 */

typedef struct BEnt
{
	long		need;
	int			prio;
	int			tier;
	long		age;			/* LONG_MAX: the request */
	int			day;
	int			src;
} BEnt;

typedef struct Inst
{
	int			nsites;
	long		oh[MAXS],
				av[MAXS];
	int			nrc[MAXS];
	int			rday[MAXS][MAXR];
	long		rqty[MAXS][MAXR];
	int			nq[MAXS];
	BEnt		q[MAXS][MAXQ];	/* in queue order */
	long		share[3];		/* quarters */
	long		qty;
	int			prio,
				tier,
				home,
				only_home,
				today,
				lead;
} Inst;

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	/* splitmix64 */
	uint64_t	z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static long
rint_(long lo, long hi)
{
	return lo + (long) (rnd() % (uint64_t) (hi - lo + 1));
}

static long
bf_fence(const long *share, int tier, long oh)
{
	long		f = 0;

	/* tier may not take the shares of the tiers better than it: sum share/4 * on hand */
	for (int t = 0; t < tier; t++)
		f += share[t] * oh / UNIT;
	return f;
}

/* queue order: priority desc, tier asc, age asc (stable for equal keys) */
static int
bf_before(const BEnt *a, const BEnt *b)
{
	if (a->prio != b->prio)
		return a->prio > b->prio;
	if (a->tier != b->tier)
		return a->tier < b->tier;
	return a->age < b->age;
}

static void
bf_sort(BEnt *v, int n)
{
	/* insertion sort: stable */
	for (int i = 1; i < n; i++)
	{
		BEnt		x = v[i];
		int			j = i;

		while (j > 0 && bf_before(&x, &v[j - 1]))
		{
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

typedef struct BRows
{
	int			site[64],
				day[64],
				src[64];
	long		qty[64];
	int			n;
} BRows;

static void
brow_add(BRows *r, int site, int day, int src, long qty)
{
	for (int i = 0; i < r->n; i++)
		if (r->site[i] == site && r->day[i] == day && r->src[i] == src)
		{
			r->qty[i] += qty;
			return;
		}
	r->site[r->n] = site;
	r->day[r->n] = day;
	r->src[r->n] = src;
	r->qty[r->n] = qty;
	r->n++;
}

/* give units, one at a time, to the first entry that may take one */
static void
bf_assign(BEnt *v, int n, long *av, long oh, const long *share, int day, int src, int site, BRows *rows)
{
	for (;;)
	{
		int			k = -1;

		for (int i = 0; i < n; i++)
			if (v[i].need > 0 && *av - bf_fence(share, v[i].tier, oh) >= 1)
			{
				k = i;
				break;
			}
		if (k < 0)
			return;
		v[k].need--;
		(*av)--;
		if (rows != NULL && v[k].age == LONG_MAX)
			brow_add(rows, site, day, src, 1);
		if (v[k].need == 0)
		{
			v[k].day = day;
			v[k].src = src;
		}
	}
}

/* one warehouse's queue (with the request in it, if any) through its receipts */
static void
bf_queue(const Inst *in, int s, BEnt *v, int n, long av, BRows *rows)
{
	long		oh = in->oh[s];
	int			order[MAXR];
	int			nr = in->nrc[s];

	for (int i = 0; i < n; i++)
	{
		v[i].day = -1;
		if (v[i].need == 0)
		{
			v[i].day = in->today;
			v[i].src = PQ_STOCK;
		}
	}
	bf_assign(v, n, &av, oh, in->share, in->today, PQ_STOCK, s, rows);
	/* receipts by day, stable */
	for (int i = 0; i < nr; i++)
		order[i] = i;
	for (int i = 1; i < nr; i++)
		for (int j = i; j > 0 && in->rday[s][order[j]] < in->rday[s][order[j - 1]]; j--)
		{
			int			t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < nr; i++)
	{
		int			k = order[i];

		if (in->rday[s][k] > in->lead)
			continue;
		oh += in->rqty[s][k];
		av += in->rqty[s][k];
		bf_assign(v, n, &av, oh, in->share, in->rday[s][k], PQ_PURCHASE, s, rows);
	}
	for (int i = 0; i < n; i++)
		if (v[i].need > 0)
		{
			if (rows != NULL && v[i].age == LONG_MAX)
				brow_add(rows, s, in->lead, PQ_LEAD, v[i].need);
			v[i].need = 0;
			v[i].day = in->lead;
			v[i].src = PQ_LEAD;
		}
}

static void
bf_promise(const Inst *in, BRows *rows)
{
	long		av[MAXS];
	long		rem = in->qty;
	BEnt		v[MAXQ + 1];
	int			n = in->nq[in->home];

	memcpy(av, in->av, sizeof(av));
	rows->n = 0;
	while (rem > 0)
	{
		int			k = -1;

		for (int s = 0; s < in->nsites; s++)
		{
			if (in->only_home && s != in->home)
				continue;
			if (av[s] - bf_fence(in->share, in->tier, in->oh[s]) >= 1)
			{
				k = s;
				break;
			}
		}
		if (k < 0)
			break;
		av[k]--;
		rem--;
		brow_add(rows, k, in->today, PQ_STOCK, 1);
	}
	if (rem == 0)
		return;
	memcpy(v, in->q[in->home], sizeof(BEnt) * n);
	v[n].need = rem;
	v[n].prio = in->prio;
	v[n].tier = in->tier;
	v[n].age = LONG_MAX;
	bf_sort(v, n + 1);
	bf_queue(in, in->home, v, n + 1, av[in->home], rows);
}

static void
gen(Inst *in)
{
	memset(in, 0, sizeof(*in));
	in->nsites = (int) rint_(1, MAXS);
	in->today = 1000;
	in->lead = in->today + (int) rint_(0, 15);
	for (int s = 0; s < in->nsites; s++)
	{
		in->oh[s] = UNIT * rint_(0, 10);
		in->av[s] = rnd() % 3 == 0 ? 0 : rint_(0, in->oh[s]);
		in->nrc[s] = (int) rint_(0, MAXR);
		for (int r = 0; r < in->nrc[s]; r++)
		{
			in->rday[s][r] = in->today + (int) rint_(-5, 20);
			in->rqty[s][r] = UNIT * rint_(1, 6);
		}
		in->nq[s] = (int) rint_(0, MAXQ);
		for (int i = 0; i < in->nq[s]; i++)
		{
			in->q[s][i].need = rnd() % 8 == 0 ? 0 : rint_(1, 30);
			in->q[s][i].prio = (int) rint_(0, 2);
			in->q[s][i].tier = (int) rint_(0, 2);
			in->q[s][i].age = i;
		}
		bf_sort(in->q[s], in->nq[s]);
	}
	if (rnd() % 2)
	{
		long		left = UNIT;

		for (int t = 0; t < 2; t++)
		{
			in->share[t] = rint_(0, left);
			left -= in->share[t];
		}
	}
	in->qty = rint_(1, 60);
	in->prio = (int) rint_(0, 2);
	in->tier = (int) rint_(0, 2);
	in->home = (int) rint_(0, in->nsites - 1);
	in->only_home = rnd() % 4 == 0;
}

/* the instance as the kernel's input (receipts sorted by day, stable) */
typedef struct KIn
{
	PqSite		sites[MAXS];
	PqReceipt	rc[MAXS][MAXR];
	PqEntry		q[MAXS][MAXQ];
	PqRules		rules;
} KIn;

static void
to_kernel(const Inst *in, KIn *k)
{
	for (int s = 0; s < in->nsites; s++)
	{
		int			nr = 0;

		/* sorted by day, ties in their order (counting sort over days) */
		for (int d = in->today - 5; d <= in->today + 20; d++)
			for (int r = 0; r < in->nrc[s]; r++)
				if (in->rday[s][r] == d)
				{
					k->rc[s][nr].day = d;
					k->rc[s][nr].qty = in->rqty[s][r];
					nr++;
				}
		for (int i = 0; i < in->nq[s]; i++)
		{
			k->q[s][i].need = in->q[s][i].need;
			k->q[s][i].priority = in->q[s][i].prio;
			k->q[s][i].tier = in->q[s][i].tier;
		}
		k->sites[s].on_hand = in->oh[s];
		k->sites[s].available = in->av[s];
		k->sites[s].receipts = k->rc[s];
		k->sites[s].nreceipts = nr;
		k->sites[s].queue = k->q[s];
		k->sites[s].nqueue = in->nq[s];
	}
	for (int t = 0; t < 3; t++)
		k->rules.share[t] = in->share[t];
	k->rules.unit = UNIT;
}

static int	ticks;

static void
count_tick(void *arg)
{
	(void) arg;
	ticks++;
}

static void
random_cases(int count, uint64_t seed)
{
	int			bad_promise = 0,
				bad_queue = 0,
				rows_total = 0,
				entries_total = 0,
				with_rules = 0,
				lead_rows = 0,
				purchase_rows = 0;
	char		first_bad[200] = "";

	rng_state = seed;
	for (int c = 0; c < count; c++)
	{
		Inst		in;
		KIn			k;
		BRows		want,
					got;
		PqRow		rows[MAXS + MAXR + 2];
		PqEntry		ent[MAXQ + 1];
		pq_qty		scr[MAXQ + 1];
		PqRequest	rq;
		int			n;

		gen(&in);
		to_kernel(&in, &k);
		with_rules += in.share[0] + in.share[1] > 0;
		rq.qty = in.qty;
		rq.priority = in.prio;
		rq.tier = in.tier;
		rq.home = in.home;
		rq.only_home = in.only_home;
		rq.today = in.today;
		rq.lead_day = in.lead;
		n = pq_promise(&rq, k.sites, in.nsites, &k.rules, rows, ent, scr, count_tick, NULL);
		got.n = 0;
		for (int i = 0; i < n; i++)
		{
			brow_add(&got, rows[i].site, rows[i].day, rows[i].source, (long) rows[i].qty);
			lead_rows += rows[i].source == PQ_LEAD;
			purchase_rows += rows[i].source == PQ_PURCHASE;
		}
		bf_promise(&in, &want);
		rows_total += want.n;
		{
			int			same = got.n == want.n;

			for (int i = 0; same && i < want.n; i++)
			{
				int			found = 0;

				for (int j = 0; j < got.n; j++)
					if (got.site[j] == want.site[i] && got.day[j] == want.day[i] && got.src[j] == want.src[i])
						found = got.qty[j] == want.qty[i];
				same = found;
			}
			if (!same && bad_promise++ == 0)
				snprintf(first_bad, sizeof(first_bad), "promise of instance %d: %d rows, reference %d", c, got.n, want.n);
		}
		/* every queue alone */
		for (int s = 0; s < in.nsites; s++)
		{
			BEnt		v[MAXQ];

			memcpy(v, in.q[s], sizeof(BEnt) * in.nq[s]);
			bf_queue(&in, s, v, in.nq[s], in.av[s], NULL);
			pq_cover_queue(&k.sites[s], &k.rules, in.today, in.lead, scr, NULL, NULL);
			for (int i = 0; i < in.nq[s]; i++)
			{
				entries_total++;
				if (k.q[s][i].day != v[i].day || (int) k.q[s][i].source != v[i].src)
				{
					if (bad_queue++ == 0 && first_bad[0] == '\0')
						snprintf(first_bad, sizeof(first_bad), "queue of instance %d site %d entry %d: day %d/%d source %d/%d",
								 c, s, i, k.q[s][i].day, v[i].day, (int) k.q[s][i].source, v[i].src);
				}
			}
		}
	}
	if (!ok(bad_promise == 0, "10,000 random instances: pq_promise() equals the unit-by-unit brute force"))
		printf("#   %d differ; first: %s\n", bad_promise, first_bad);
	if (!ok(bad_queue == 0, "10,000 random instances: the day and source of every queue entry equal the brute force's"))
		printf("#   %d differ; first: %s\n", bad_queue, first_bad);
	/* the instances exercise what they should (not vacuous) */
	ok(with_rules > count / 4 && lead_rows > count / 10 && purchase_rows > count / 10 && entries_total > count,
	   "the random instances cover fences, purchase and lead-time rows and non-empty queues");
	printf("# %d instances: %d promise rows (%d purchase, %d lead time), %d queue entries, %d with rules, %d ticks\n",
		   count, rows_total, purchase_rows, lead_rows, entries_total, with_rules, ticks);
}

static void
edge_cases(void)
{
	PqRow		rows[4];
	PqEntry		ent[2];
	pq_qty		scr[2];
	PqSite		s = {0, 0, NULL, 0, NULL, 0};
	PqRequest	rq = {0, 0, 2, 0, 0, 100, 100};
	pq_qty		big = (pq_qty) 1;

	ok(pq_promise(&rq, &s, 1, &no_rules, rows, ent, scr, NULL, NULL) == 0, "edge: a request of 0 promises nothing");
	rq.qty = 3;
	rq.home = 1;
	ok(pq_promise(&rq, &s, 1, &no_rules, rows, ent, scr, NULL, NULL) == 0, "edge: a home outside the sites promises nothing");
	rq.home = 0;
	ok(pq_promise(&rq, &s, 1, &no_rules, rows, ent, scr, NULL, NULL) == 1 && row_is(&rows[0], 0, 100, 3, PQ_LEAD),
	   "edge: no stock, no purchases, lead time 0: all on the lead-time day (today)");
	/* 10^36 units: int128 sums do not overflow */
	for (int i = 0; i < 36; i++)
		big *= 10;
	{
		PqSite		b = {big, big, NULL, 0, NULL, 0};

		rq.qty = big / 2;
		ok(pq_promise(&rq, &b, 1, &no_rules, rows, ent, scr, NULL, NULL) == 1 && rows[0].qty == big / 2,
		   "edge: quantities of 10^36 units are exact");
	}
}

int
main(void)
{
	hand_cases();
	edge_cases();
	random_cases(10000, 20240617);
	return done_testing();
}
