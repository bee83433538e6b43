/*
 * tsp.c — travelling salesman tours on a cost matrix (see tsp.h).
 *
 * Tour representation: tour[pos] and pos[node] on a cyclic array.  An open
 * path s..e is solved as a closed tour in which the edge e->s (and s->e for
 * symmetric costs) costs -big, big larger than any tour, so that every
 * optimal tour uses it; cutting the tour there gives the optimal path.
 */
#include "tsp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TSP_NBR_K 10			/* neighbour list length */
#define TSP_KICK_MAXLEN 30		/* longest segment of a kick */

typedef struct TspCtx
{
	int			n;
	const double *c;
	int			fs;				/* fixed edge fe -> fs (open path); -1 none */
	int			fe;
	double		big;
	int			sym;
	double		eps;
	double		len;			/* current tour length, kept by the moves */
	const TspEnv *env;
	int			k;				/* neighbour list length */
	int		   *nout;			/* n*k: nearest j by c(i,j) */
	int		   *nin;			/* n*k: nearest j by c(j,i) (asymmetric) */
	int		   *tour;
	int		   *pos;
	int		   *tmp;
	int		   *queue;
	char	   *inq;
	int			qhead;
	int			qlen;
	uint64_t	rng;
	double		deadline;		/* seconds, monotonic; 0 = none */
	int			stopped;		/* time cap reached */
	long		checks;
	/* undo log of tour writes during one ILS round: (position, old node) */
	int		   *ulog_p;
	int		   *ulog_v;
	int			ulen;
	int			ucap;
	int			logging;
	int			overflow;		/* log full: fall back to copying */
} TspCtx;

/* ---------- memory, interrupts, time ---------- */

void *
tsp_alloc(const TspEnv *env, size_t size)
{
	if (env && env->alloc)
		return env->alloc(size, env->arg);
	return malloc(size);
}

void
tsp_free(const TspEnv *env, void *p)
{
	if (p == NULL)
		return;
	if (env && env->dealloc)
		env->dealloc(p, env->arg);
	else if (!(env && env->alloc))
		free(p);
}

double
tsp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Non-zero when the caller wants us to stop (cancel).  Also notes the time
 * cap, which only ends the search, not the call. */
static int
tsp_poll(TspCtx *x)
{
	if (x->env && x->env->interrupt && x->env->interrupt(x->env->arg))
		return 1;
	if (x->deadline > 0 && tsp_now() > x->deadline)
		x->stopped = 1;
	return 0;
}

static inline uint64_t
tsp_rand(TspCtx *x)
{
	return tsp_splitmix64(&x->rng);
}

static inline int
tsp_randint(TspCtx *x, int lo, int hi)
{
	return lo + (int) (tsp_rand(x) % (uint64_t) (hi - lo + 1));
}

/* ---------- costs ---------- */

static inline double
C(const TspCtx *x, int i, int j)
{
	if (i == x->fe && j == x->fs)
		return -x->big;
	if (x->sym && i == x->fs && j == x->fe)
		return -x->big;
	return x->c[(size_t) i * x->n + j];
}

double
tsp_order_cost(int n, const double *cost, const int *order, int closed)
{
	double		s = 0;

	for (int i = 0; i + 1 < n; i++)
		s += cost[(size_t) order[i] * n + order[i + 1]];
	if (closed && n > 1)
		s += cost[(size_t) order[n - 1] * n + order[0]];
	return s;
}

/*
 * One pass over a cost matrix by tiles of TSP_TILE x TSP_TILE (the transposed
 * tile is read alongside, so the symmetry test stays in cache): every entry
 * off the diagonal finite and in [0, TSP_MAX_COST], the largest one, and
 * whether the matrix is symmetric.  env->interrupt is polled every tile row
 * (about TSP_TILE * n entries): 25 million entries at 5000 nodes took about
 * half a second unpolled.
 */
#define TSP_TILE 32

TspStatus
tsp_scan_matrix(int n, const double *cost, const TspEnv *env, double *maxc, int *sym)
{
	double		mx = 0;
	int			symmetric = 1;

	for (int bi = 0; bi < n; bi += TSP_TILE)
	{
		int			ei = bi + TSP_TILE < n ? bi + TSP_TILE : n;

		if (env && env->interrupt && env->interrupt(env->arg))
			return TSP_CANCELLED;
		for (int bj = 0; bj < n; bj += TSP_TILE)
		{
			int			ej = bj + TSP_TILE < n ? bj + TSP_TILE : n;

			for (int i = bi; i < ei; i++)
				for (int j = bj; j < ej; j++)
				{
					double		v = cost[(size_t) i * n + j];

					if (i == j)
						continue;
					if (!(v >= 0 && v <= TSP_MAX_COST))
						return TSP_EINVAL;
					if (v > mx)
						mx = v;
					if (j > i && v != cost[(size_t) j * n + i])
						symmetric = 0;
				}
		}
	}
	if (maxc)
		*maxc = mx;
	if (sym)
		*sym = symmetric;
	return TSP_OK;
}

int
tsp_is_symmetric(int n, const double *cost)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (cost[(size_t) i * n + j] != cost[(size_t) j * n + i])
				return 0;
	return 1;
}

void
tsp_default_options(TspOptions *opt)
{
	opt->start = 0;
	opt->end = -1;
	opt->time_limit_ms = 0;
	opt->max_iterations = -1;
	opt->stall_iterations = -1;
	opt->seed = 12345;
	opt->exact_max_n = TSP_EXACT_MAX_N;
}

long
tsp_default_iterations(int n)
{
	/* Enough kicks to reach ~1% of the optimum on TSPLIB instances of a few
	 * hundred nodes; about a second at 1000 nodes. */
	return 2000 + 200L * n;
}

static double
tsp_tour_len(const TspCtx *x)
{
	double		s = 0;

	for (int i = 0; i < x->n; i++)
		s += C(x, x->tour[i], x->tour[i + 1 == x->n ? 0 : i + 1]);
	return s;
}

/* ---------- exact: Held-Karp ---------- */

static TspStatus
tsp_exact(TspCtx *x, int s)
{
	int			n = x->n;
	int			m = n - 1;
	int			map[TSP_EXACT_MAX_N];
	size_t		full = (size_t) 1 << m;
	double	   *dp;
	signed char *par;
	int			k = 0;

	for (int v = 0; v < n; v++)
		if (v != s)
			map[k++] = v;
	dp = tsp_alloc(x->env, full * m * sizeof(double));
	par = tsp_alloc(x->env, full * m);
	if (!dp || !par)
	{
		tsp_free(x->env, dp);
		tsp_free(x->env, par);
		return TSP_ENOMEM;
	}
	for (size_t mask = 1; mask < full; mask++)
	{
		if ((mask & 1023) == 0 && x->env && x->env->interrupt &&
			x->env->interrupt(x->env->arg))
		{
			tsp_free(x->env, dp);
			tsp_free(x->env, par);
			return TSP_CANCELLED;
		}
		for (int j = 0; j < m; j++)
		{
			size_t		pm;
			double		best = INFINITY;
			int			bp = -1;

			if (!(mask & ((size_t) 1 << j)))
				continue;
			pm = mask & ~((size_t) 1 << j);
			if (pm == 0)
				best = C(x, s, map[j]);
			else
				for (int i = 0; i < m; i++)
				{
					double		v;

					if (!(pm & ((size_t) 1 << i)))
						continue;
					v = dp[pm * m + i] + C(x, map[i], map[j]);
					if (v < best)
					{
						best = v;
						bp = i;
					}
				}
			dp[mask * m + j] = best;
			par[mask * m + j] = (signed char) bp;
		}
	}
	{
		size_t		mask = full - 1;
		double		best = INFINITY;
		int			j = 0;

		for (int i = 0; i < m; i++)
		{
			double		v = dp[mask * m + i] + C(x, map[i], s);

			if (v < best)
			{
				best = v;
				j = i;
			}
		}
		x->tour[0] = s;
		for (int p = m; p >= 1; p--)
		{
			int			pj = par[mask * m + j];

			x->tour[p] = map[j];
			mask &= ~((size_t) 1 << j);
			j = pj;
		}
	}
	for (int i = 0; i < n; i++)
		x->pos[x->tour[i]] = i;
	tsp_free(x->env, dp);
	tsp_free(x->env, par);
	return TSP_OK;
}

/* ---------- neighbour lists ---------- */

/* For each i, the k nodes j != i with the smallest key (c(i,j) when out,
 * c(j,i) otherwise), ties by index. */
static int
tsp_neighbours(TspCtx *x, int *list, int out)
{
	int			n = x->n,
				k = x->k;
	double	   *key = tsp_alloc(x->env, (size_t) k * sizeof(double));

	if (!key)
		return -1;
	for (int i = 0; i < n; i++)
	{
		int		   *l = list + (size_t) i * k;
		int			cnt = 0;

		if ((i & 63) == 0 && x->env && x->env->interrupt &&
			x->env->interrupt(x->env->arg))
		{
			tsp_free(x->env, key);
			return 1;
		}
		for (int j = 0; j < n; j++)
		{
			double		v;
			int			p;

			if (j == i)
				continue;
			v = out ? C(x, i, j) : C(x, j, i);
			if (cnt == k && v >= key[k - 1])
				continue;
			p = cnt < k ? cnt++ : k - 1;
			while (p > 0 && key[p - 1] > v)
			{
				key[p] = key[p - 1];
				l[p] = l[p - 1];
				p--;
			}
			key[p] = v;
			l[p] = j;
		}
	}
	tsp_free(x->env, key);
	return 0;
}

/* ---------- construction: nearest neighbour ---------- */

static int
tsp_construct(TspCtx *x, int s)
{
	int			n = x->n;
	char	   *used = (char *) x->inq;	/* borrowed, cleared after */
	int			cur = s;

	memset(used, 0, n);
	used[s] = 1;
	x->tour[0] = s;
	for (int p = 1; p < n; p++)
	{
		int			best = -1;
		double		bv = INFINITY;
		const int  *l = x->nout + (size_t) cur * x->k;

		if ((p & 63) == 0 && x->env && x->env->interrupt &&
			x->env->interrupt(x->env->arg))
			return 1;
		for (int q = 0; q < x->k; q++)
			if (!used[l[q]] && (l[q] != x->fe || p == n - 1))
			{
				best = l[q];
				break;
			}
		if (best < 0)
			for (int j = 0; j < n; j++)
			{
				double		v;

				if (used[j] || (j == x->fe && p != n - 1))
					continue;
				v = C(x, cur, j);
				if (v < bv)
				{
					bv = v;
					best = j;
				}
			}
		used[best] = 1;
		x->tour[p] = best;
		cur = best;
	}
	for (int i = 0; i < n; i++)
		x->pos[x->tour[i]] = i;
	memset(used, 0, n);
	return 0;
}

/* ---------- tour operations ---------- */

/* Write node v at position p, logging the old node for undo. */
static inline void
tsp_set(TspCtx *x, int p, int v)
{
	if (x->logging && !x->overflow)
	{
		if (x->ulen < x->ucap)
		{
			x->ulog_p[x->ulen] = p;
			x->ulog_v[x->ulen] = x->tour[p];
			x->ulen++;
		}
		else
			x->overflow = 1;
	}
	x->tour[p] = v;
	x->pos[v] = p;
}

#define SUCC(x, v) ((x)->tour[(x)->pos[v] + 1 == (x)->n ? 0 : (x)->pos[v] + 1])
#define PRED(x, v) ((x)->tour[(x)->pos[v] == 0 ? (x)->n - 1 : (x)->pos[v] - 1])

/* Reverse the cyclic range of positions i..j (inclusive, forward). */
static void
tsp_reverse(TspCtx *x, int i, int j)
{
	int			n = x->n;
	int			len = (j - i + n) % n + 1;

	if (2 * len > n)
	{
		/* reversing the complement gives the same cycle (symmetric only) */
		int			ni = j + 1 == n ? 0 : j + 1;
		int			nj = i == 0 ? n - 1 : i - 1;

		i = ni;
		j = nj;
		len = n - len;
	}
	for (int t = 0; t < len / 2; t++)
	{
		int			a = x->tour[i],
					b = x->tour[j];

		tsp_set(x, i, b);
		tsp_set(x, j, a);
		if (++i == n)
			i = 0;
		if (--j < 0)
			j = n - 1;
	}
}

/* Cyclic positions p.., blocks A (la) and B (lb): AB -> BA. */
static void
tsp_swap_blocks(TspCtx *x, int p, int la, int lb)
{
	int			n = x->n;
	int			t = 0;

	for (int q = 0; q < lb; q++)
		x->tmp[t++] = x->tour[(p + la + q) % n];
	for (int q = 0; q < la; q++)
		x->tmp[t++] = x->tour[(p + q) % n];
	for (int q = 0; q < t; q++)
	{
		int			pp = (p + q) % n;

		tsp_set(x, pp, x->tmp[q]);
	}
}

static inline void
tsp_push(TspCtx *x, int v)
{
	if (x->inq[v])
		return;
	x->inq[v] = 1;
	x->queue[(x->qhead + x->qlen) % x->n] = v;
	x->qlen++;
}

/* 2-opt move around a (both directions); returns 1 when applied. */
static int
tsp_try_2opt(TspCtx *x, int a)
{
	const int  *l = x->nout + (size_t) a * x->k;

	for (int dir = 0; dir < 2; dir++)
	{
		int			a1 = dir == 0 ? SUCC(x, a) : PRED(x, a);
		double		d1 = dir == 0 ? C(x, a, a1) : C(x, a1, a);

		for (int q = 0; q < x->k; q++)
		{
			int			c = l[q],
						c1;
			double		g1 = d1 - C(x, a, c),
						gain;

			if (g1 <= x->eps)
				break;
			if (c == a1)
				continue;
			c1 = dir == 0 ? SUCC(x, c) : PRED(x, c);
			if (c1 == a)
				continue;
			gain = dir == 0 ? g1 + C(x, c, c1) - C(x, a1, c1)
				: g1 + C(x, c1, c) - C(x, c1, a1);
			if (gain > x->eps)
			{
				x->len -= gain;
				if (dir == 0)
					tsp_reverse(x, x->pos[a1], x->pos[c]);
				else
					tsp_reverse(x, x->pos[a], x->pos[c1]);
				tsp_push(x, a);
				tsp_push(x, a1);
				tsp_push(x, c);
				tsp_push(x, c1);
				return 1;
			}
		}
	}
	return 0;
}

/*
 * Or-3opt segment insertion around a (no reversal, valid for asymmetric
 * costs): cycle a | S1 = a1..pc | S2 = c..d | R = sd..a becomes
 * a c..d a1..pc sd..a, adding a->c, d->a1, pc->sd.
 */
static int
tsp_try_or3(TspCtx *x, int a)
{
	int			n = x->n;
	int			a1 = SUCC(x, a);
	int			pa1 = x->pos[a1];
	double		d1 = C(x, a, a1);
	const int  *lo = x->nout + (size_t) a * x->k;
	const int  *li = (x->sym ? x->nout : x->nin) + (size_t) a1 * x->k;

	for (int q = 0; q < x->k; q++)
	{
		int			c = lo[q],
					pc,
					oc;
		double		g1 = d1 - C(x, a, c);

		if (g1 <= x->eps)
			break;
		if (c == a1)
			continue;
		pc = PRED(x, c);
		oc = (x->pos[c] - pa1 + n) % n;
		g1 += C(x, pc, c);
		for (int r = 0; r < x->k; r++)
		{
			int			d = li[r],
						od,
						sd;
			double		g2 = g1 - C(x, d, a1),
						gain;

			od = (x->pos[d] - pa1 + n) % n;
			if (od < oc || od >= n - 1)
				continue;
			sd = SUCC(x, d);
			gain = g2 + C(x, d, sd) - C(x, pc, sd);
			if (gain > x->eps)
			{
				int			l1 = oc,
							l2 = od - oc + 1,
							l3 = n - l1 - l2;

				x->len -= gain;
				if (l1 + l2 <= l2 + l3 && l1 + l2 <= l3 + l1)
					tsp_swap_blocks(x, pa1, l1, l2);
				else if (l2 + l3 <= l3 + l1)
					tsp_swap_blocks(x, x->pos[c], l2, l3);
				else
					tsp_swap_blocks(x, x->pos[sd], l3, l1);
				tsp_push(x, a);
				tsp_push(x, a1);
				tsp_push(x, c);
				tsp_push(x, pc);
				tsp_push(x, d);
				tsp_push(x, sd);
				return 1;
			}
		}
	}
	return 0;
}

/* Local search from the queue until no move improves.  Returns 1 when
 * cancelled. */
static int
tsp_local_search(TspCtx *x)
{
	while (x->qlen > 0)
	{
		int			a = x->queue[x->qhead];

		if ((++x->checks & 255) == 0 && tsp_poll(x))
			return 1;
		if (x->stopped)
		{
			/* time cap: leave the tour as it is (it is valid) */
			while (x->qlen > 0)
			{
				x->inq[x->queue[x->qhead]] = 0;
				x->qhead = (x->qhead + 1) % x->n;
				x->qlen--;
			}
			return 0;
		}
		x->qhead = (x->qhead + 1) % x->n;
		x->qlen--;
		x->inq[a] = 0;
		if (x->sym && tsp_try_2opt(x, a))
			continue;
		if (tsp_try_or3(x, a))
			continue;
	}
	return 0;
}

/* Kick: three short consecutive segments B C D after position p become
 * D C B (a 4-change without reversal). */
static int
tsp_kick(TspCtx *x)
{
	int			n = x->n;
	int			maxlen = n - 3;
	int			lb,
				lc,
				ld,
				p;

	if (maxlen > TSP_KICK_MAXLEN)
		maxlen = TSP_KICK_MAXLEN;
	if (maxlen < 1)
		return 0;
	do
	{
		lb = tsp_randint(x, 1, maxlen);
		lc = tsp_randint(x, 1, maxlen);
		ld = tsp_randint(x, 1, maxlen);
	} while (lb + lc + ld > n - 1);
	for (int tries = 0; tries < 8; tries++)
	{
		int			cut[4] = {0, lb, lb + lc, lb + lc + ld};
		int			ok = 1;

		p = tsp_randint(x, 0, n - 1);
		if (x->fs >= 0)
			for (int t = 0; t < 4; t++)
			{
				int			u = x->tour[(p + cut[t]) % n],
							v = x->tour[(p + cut[t] + 1) % n];

				if ((u == x->fe && v == x->fs) || (u == x->fs && v == x->fe))
					ok = 0;
			}
		if (!ok)
			continue;
		{
			int			q = p + 1,
						t = 0;
			int			ae = x->tour[p % n],
						b1 = x->tour[(q) % n],
						be = x->tour[(p + lb) % n],
						c1 = x->tour[(q + lb) % n],
						ce = x->tour[(p + lb + lc) % n],
						d1 = x->tour[(q + lb + lc) % n],
						de = x->tour[(p + lb + lc + ld) % n],
						e1 = x->tour[(q + lb + lc + ld) % n];

			x->len += C(x, ae, d1) + C(x, de, c1) + C(x, ce, b1) + C(x, be, e1)
				- C(x, ae, b1) - C(x, be, c1) - C(x, ce, d1) - C(x, de, e1);

			for (int i = 0; i < ld; i++)
				x->tmp[t++] = x->tour[(q + lb + lc + i) % n];
			for (int i = 0; i < lc; i++)
				x->tmp[t++] = x->tour[(q + lb + i) % n];
			for (int i = 0; i < lb; i++)
				x->tmp[t++] = x->tour[(q + i) % n];
			for (int i = 0; i < t; i++)
			{
				int			pp = (q + i) % n;

				tsp_set(x, pp, x->tmp[i]);
			}
			{
				int			ncut[4] = {0, ld, ld + lc, lb + lc + ld};

				for (int i = 0; i < 4; i++)
				{
					tsp_push(x, x->tour[(p + ncut[i]) % n]);
					tsp_push(x, x->tour[(p + ncut[i] + 1) % n]);
				}
			}
		}
		return 1;
	}
	return 0;
}

/* The round is accepted: bring best[] up to date. */
static void
tsp_commit(TspCtx *x, int *best)
{
	if (x->overflow)
		memcpy(best, x->tour, (size_t) x->n * sizeof(int));
	else
		for (int i = 0; i < x->ulen; i++)
			best[x->ulog_p[i]] = x->tour[x->ulog_p[i]];
	x->ulen = 0;
	x->overflow = 0;
}

/* The round is rejected: undo its writes (or copy best back). */
static void
tsp_rollback(TspCtx *x, const int *best)
{
	if (x->overflow)
	{
		memcpy(x->tour, best, (size_t) x->n * sizeof(int));
		for (int i = 0; i < x->n; i++)
			x->pos[x->tour[i]] = i;
	}
	else
		for (int i = x->ulen - 1; i >= 0; i--)
		{
			x->tour[x->ulog_p[i]] = x->ulog_v[i];
			x->pos[x->ulog_v[i]] = x->ulog_p[i];
		}
	x->ulen = 0;
	x->overflow = 0;
}

/*
 * The heuristic search (n above the exact limit): neighbour lists, a
 * nearest-neighbour tour, local search, then kicks (more in a row while
 * stuck) each followed by local search, keeping the best tour in best,
 * until the iteration, stall or time limit.  The tour ends as best.
 */
static TspStatus
tsp_iterated_search(TspCtx *x, int s, const TspOptions *opt, int *best, long *iterations)
{
	int			n = x->n;
	long		iters;
	long		maxit = opt->max_iterations >= 0 ? opt->max_iterations : tsp_default_iterations(n);
	long		stall = opt->stall_iterations >= 0 ? opt->stall_iterations : maxit / 4 + 1000;
	long		since = 0;
	double		cur;
	int			r;

	if (opt->time_limit_ms > 0)
		x->deadline = tsp_now() + opt->time_limit_ms / 1000.0;
	r = tsp_neighbours(x, x->nout, 1);
	if (r == 0 && !x->sym)
		r = tsp_neighbours(x, x->nin, 0);
	if (r != 0)
		return r < 0 ? TSP_ENOMEM : TSP_CANCELLED;
	if (tsp_construct(x, s))
		return TSP_CANCELLED;
	for (int i = 0; i < n; i++)
		tsp_push(x, x->tour[i]);
	if (tsp_local_search(x))
		return TSP_CANCELLED;
	cur = x->len = tsp_tour_len(x);
	memcpy(best, x->tour, (size_t) n * sizeof(int));
	x->logging = 1;
	x->ulen = 0;
	x->overflow = 0;
	for (iters = 0; iters < maxit && since < stall && !x->stopped; iters++)
	{
		double		len;

		if ((iters & 15) == 0 && tsp_poll(x))
			return TSP_CANCELLED;
		/* escalate the kick while stuck: 1, 2, 3 or 4 kicks in a row */
		{
			int			nk = 1 + (int) ((since / 100) % 4);
			int			done_k = 0;

			for (int k = 0; k < nk; k++)
				done_k += tsp_kick(x);
			if (!done_k)
				break;
		}
		if (tsp_local_search(x))
			return TSP_CANCELLED;
		len = x->len;
		if (len < cur - x->eps)
		{
			cur = len;
			since = 0;
			tsp_commit(x, best);
		}
		else
		{
			since++;
			if (len <= cur + x->eps)
				tsp_commit(x, best);
			else
			{
				x->len = cur;
				tsp_rollback(x, best);
			}
		}
	}
	x->logging = 0;
	/* a time-capped local search may have stopped mid-way; best is the
	 * last accepted tour */
	memcpy(x->tour, best, (size_t) n * sizeof(int));
	for (int i = 0; i < n; i++)
		x->pos[x->tour[i]] = i;
	*iterations = iters;
	return TSP_OK;
}

/* ---------- driver ---------- */

TspStatus
tsp_solve(int n, const double *cost, const TspOptions *opt, const TspEnv *env,
		  int *order, double *length, long *iterations)
{
	TspCtx		x;
	TspStatus	st = TSP_OK;
	int			s = opt->start,
				e = opt->end;
	int		   *best = NULL;
	long		iters = 0;
	int			closed;
	double		maxc = 0;

	if (n < 1 || n > TSP_MAX_NODES || !cost || !order || s < 0 || s >= n ||
		e < -1 || e >= n || (e >= 0 && e == s && n > 1))
		return TSP_EINVAL;
	closed = e < 0;
	memset(&x, 0, sizeof(x));
	st = tsp_scan_matrix(n, cost, env, &maxc, &x.sym);
	if (st != TSP_OK)
		return st;
	if (iterations)
		*iterations = 0;
	if (n <= 2 || (n == 3 && !closed))
	{
		order[0] = s;
		if (n == 2)
			order[1] = 1 - s;
		if (n == 3)
		{
			order[2] = e;
			order[1] = 3 - s - e;
		}
		if (length)
			*length = tsp_order_cost(n, cost, order, closed);
		return TSP_OK;
	}

	x.n = n;
	x.c = cost;
	x.env = env;
	x.fs = x.fe = -1;
	x.rng = opt->seed;
	{
		x.eps = 1e-12 * (maxc > 0 ? maxc : 1);
		if (!closed)
		{
			x.fs = s;
			x.fe = e;
			x.big = 4.0 * (n + 1) * (maxc > 0 ? maxc : 1);
		}
	}
	x.k = n - 1 < TSP_NBR_K ? n - 1 : TSP_NBR_K;
	x.tour = tsp_alloc(env, (size_t) n * sizeof(int));
	x.pos = tsp_alloc(env, (size_t) n * sizeof(int));
	x.tmp = tsp_alloc(env, (size_t) n * sizeof(int));
	x.queue = tsp_alloc(env, (size_t) n * sizeof(int));
	x.inq = tsp_alloc(env, (size_t) n);
	best = tsp_alloc(env, (size_t) n * sizeof(int));
	x.nout = tsp_alloc(env, (size_t) n * x.k * sizeof(int));
	x.nin = x.sym ? NULL : tsp_alloc(env, (size_t) n * x.k * sizeof(int));
	x.ucap = 8 * n + 4096;
	x.ulog_p = tsp_alloc(env, (size_t) x.ucap * sizeof(int));
	x.ulog_v = tsp_alloc(env, (size_t) x.ucap * sizeof(int));
	if (!x.tour || !x.pos || !x.tmp || !x.queue || !x.inq || !best || !x.nout ||
		(!x.sym && !x.nin) || !x.ulog_p || !x.ulog_v)
	{
		st = TSP_ENOMEM;
		goto done;
	}
	memset(x.inq, 0, n);

	if (n <= opt->exact_max_n && n <= TSP_EXACT_MAX_N)
	{
		st = tsp_exact(&x, s);
		if (st != TSP_OK)
			goto done;
	}
	else
	{
		st = tsp_iterated_search(&x, s, opt, best, &iters);
		if (st != TSP_OK)
			goto done;
	}

	/* output: start at s; open paths end at e; asymmetric follow succ */
	{
		int			dir = 1;
		int			p = x.pos[s];

		if (!closed && x.sym && SUCC(&x, s) == e)
			dir = -1;
		for (int i = 0; i < n; i++)
		{
			order[i] = x.tour[p];
			p = (p + dir + n) % n;
		}
		if (length)
			*length = tsp_order_cost(n, cost, order, closed);
		if (iterations)
			*iterations = iters;
	}

done:
	tsp_free(env, x.tour);
	tsp_free(env, x.pos);
	tsp_free(env, x.tmp);
	tsp_free(env, x.queue);
	tsp_free(env, x.inq);
	tsp_free(env, best);
	tsp_free(env, x.nout);
	tsp_free(env, x.nin);
	tsp_free(env, x.ulog_p);
	tsp_free(env, x.ulog_v);
	return st;
}
