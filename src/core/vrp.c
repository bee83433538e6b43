/*
 * vrp.c — capacitated vehicle routing (see vrp.h).
 *
 * Solution representation: doubly linked lists with two sentinels per route
 * slot r, S(r) = n + 2r (leaves the depot) and E(r) = n + 2r + 1 (returns to
 * it); both stand for node 0 in the cost matrix.  route[], idx[] (position
 * in the route) and pl[] (load picked up so far, including the node) are
 * refreshed for a route after every change to it.
 */
#include "vrp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VRP_NBR_K 30

typedef struct Vrp
{
	int			n;
	int			M;				/* route slots */
	int			V;				/* n + 2M vertices */
	const double *c;
	const double *dem;			/* size n; sentinels read 0 via DEM() */
	double		cap;
	double		capeps;
	double		eps;
	int			sym;
	const TspEnv *env;
	int			k;
	int		   *nb;				/* (n)*k customer neighbours of customers */
	int		   *next,
			   *prev,
			   *route,
			   *idx;
	double	   *pl;
	double	   *load;
	int		   *cnt;
	double		total;
	int			ehint;			/* where the last empty slot was found */
	/* snapshot of the accepted solution */
	int		   *bnext,
			   *bprev,
			   *broute,
			   *bidx;
	double	   *bpl,
			   *bload;
	int		   *bcnt;
	double		btotal;
	int		   *queue;
	char	   *inq;
	int			qhead,
				qlen;
	int		   *tmp;
	uint64_t	rng;
	double		deadline;
	int			stopped;
	long		checks;
} Vrp;

#define S(x, r) ((x)->n + 2 * (r))
#define E(x, r) ((x)->n + 2 * (r) + 1)
#define NID(x, v) ((v) < (x)->n ? (v) : 0)
#define DEM(x, v) ((v) < (x)->n && (v) > 0 ? (x)->dem[v] : 0.0)
#define ISCUST(x, v) ((v) > 0 && (v) < (x)->n)

static inline double
D(const Vrp *x, int u, int v)
{
	int			a = NID(x, u),
				b = NID(x, v);

	/* the diagonal is never a cost (an empty route costs nothing) */
	return a == b ? 0.0 : x->c[(size_t) a * x->n + b];
}

static int
vrp_poll(Vrp *x)
{
	if (x->env && x->env->interrupt && x->env->interrupt(x->env->arg))
		return 1;
	if (x->deadline > 0 && tsp_now() > x->deadline)
		x->stopped = 1;
	return 0;
}

static inline uint64_t
vrp_rand(Vrp *x)
{
	return tsp_splitmix64(&x->rng);
}

static inline int
vrp_randint(Vrp *x, int lo, int hi)
{
	return lo + (int) (vrp_rand(x) % (uint64_t) (hi - lo + 1));
}

void
vrp_default_options(VrpOptions *opt)
{
	opt->time_limit_ms = 0;
	opt->max_iterations = -1;
	opt->seed = 12345;
}

long
vrp_default_iterations(int n)
{
	return 3000 + 30L * n;
}

/* ---------- bookkeeping ---------- */

static void
vrp_refresh(Vrp *x, int r)
{
	int			v = S(x, r),
				i = 0,
				cnt = 0;
	double		l = 0;

	x->route[v] = r;
	x->idx[v] = 0;
	x->pl[v] = 0;
	for (v = x->next[v];; v = x->next[v])
	{
		x->route[v] = r;
		x->idx[v] = ++i;
		l += DEM(x, v);
		x->pl[v] = l;
		if (v == E(x, r))
			break;
		cnt++;
	}
	x->load[r] = l;
	x->cnt[r] = cnt;
}

static double
vrp_route_cost(const Vrp *x, int r)
{
	double		s = 0;

	for (int v = S(x, r); v != E(x, r); v = x->next[v])
		s += D(x, v, x->next[v]);
	return s;
}

static double
vrp_total(const Vrp *x)
{
	double		s = 0;

	for (int r = 0; r < x->M; r++)
		if (x->cnt[r] > 0)
			s += vrp_route_cost(x, r);
	return s;
}

static int
vrp_empty_slot(Vrp *x)
{
	for (int i = 0; i < x->M; i++)
	{
		int			r = (x->ehint + i) % x->M;

		if (x->cnt[r] == 0)
		{
			x->ehint = r;
			return r;
		}
	}
	return -1;
}

static void
vrp_snapshot(Vrp *x, int save)
{
	size_t		vs = (size_t) x->V * sizeof(int),
				vd = (size_t) x->V * sizeof(double);

	if (save)
	{
		memcpy(x->bnext, x->next, vs);
		memcpy(x->bprev, x->prev, vs);
		memcpy(x->broute, x->route, vs);
		memcpy(x->bidx, x->idx, vs);
		memcpy(x->bpl, x->pl, vd);
		memcpy(x->bload, x->load, (size_t) x->M * sizeof(double));
		memcpy(x->bcnt, x->cnt, (size_t) x->M * sizeof(int));
		x->btotal = x->total;
	}
	else
	{
		memcpy(x->next, x->bnext, vs);
		memcpy(x->prev, x->bprev, vs);
		memcpy(x->route, x->broute, vs);
		memcpy(x->idx, x->bidx, vs);
		memcpy(x->pl, x->bpl, vd);
		memcpy(x->load, x->bload, (size_t) x->M * sizeof(double));
		memcpy(x->cnt, x->bcnt, (size_t) x->M * sizeof(int));
		x->total = x->btotal;
	}
}

static inline void
vrp_push(Vrp *x, int v)
{
	if (!ISCUST(x, v) || x->inq[v])
		return;
	x->inq[v] = 1;
	x->queue[(x->qhead + x->qlen) % x->n] = v;
	x->qlen++;
}

static void
vrp_push_around(Vrp *x, int v)
{
	if (v >= x->V)
		return;
	vrp_push(x, v);
	if (ISCUST(x, v))
	{
		vrp_push(x, x->prev[v]);
		vrp_push(x, x->next[v]);
	}
}

/* Unlink customer u from its route (route not refreshed). */
static void
vrp_unlink(Vrp *x, int u)
{
	int			p = x->prev[u],
				q = x->next[u];

	x->next[p] = q;
	x->prev[q] = p;
}

/* Link customer u after vertex w (route not refreshed). */
static void
vrp_link_after(Vrp *x, int u, int w)
{
	int			q = x->next[w];

	x->next[w] = u;
	x->prev[u] = w;
	x->next[u] = q;
	x->prev[q] = u;
}

/* ---------- moves ---------- */

/* Relocate u after w; returns 1 if applied (improving and feasible). */
static int
vrp_relocate(Vrp *x, int u, int w)
{
	int			pu = x->prev[u],
				nu = x->next[u],
				nw;
	int			ru = x->route[u],
				rw;
	double		delta;

	if (w == u || w == pu || w >= x->V || (w >= x->n && (w - x->n) % 2 == 1))
		return 0;
	rw = x->route[w];
	if (rw != ru && x->load[rw] + x->dem[u] > x->capeps)
		return 0;
	nw = x->next[w];
	delta = D(x, pu, nu) - D(x, pu, u) - D(x, u, nu) + D(x, w, u) + D(x, u, nw) - D(x, w, nw);
	if (delta >= -x->eps)
		return 0;
	vrp_unlink(x, u);
	vrp_link_after(x, u, w);
	vrp_refresh(x, ru);
	if (rw != ru)
		vrp_refresh(x, rw);
	x->total += delta;
	vrp_push_around(x, pu);
	vrp_push_around(x, nu);
	vrp_push_around(x, u);
	return 1;
}

/* Swap customers u and v of different routes. */
static int
vrp_swap(Vrp *x, int u, int v)
{
	int			ru,
				rv,
				pu,
				nu,
				pv,
				nv;
	double		delta;

	if (!ISCUST(x, v) || !ISCUST(x, u))
		return 0;
	ru = x->route[u];
	rv = x->route[v];
	if (ru == rv)
		return 0;
	if (x->load[ru] - x->dem[u] + x->dem[v] > x->capeps ||
		x->load[rv] - x->dem[v] + x->dem[u] > x->capeps)
		return 0;
	pu = x->prev[u];
	nu = x->next[u];
	pv = x->prev[v];
	nv = x->next[v];
	delta = D(x, pu, v) + D(x, v, nu) + D(x, pv, u) + D(x, u, nv)
		- D(x, pu, u) - D(x, u, nu) - D(x, pv, v) - D(x, v, nv);
	if (delta >= -x->eps)
		return 0;
	x->next[pu] = v;
	x->prev[v] = pu;
	x->next[v] = nu;
	x->prev[nu] = v;
	x->next[pv] = u;
	x->prev[u] = pv;
	x->next[u] = nv;
	x->prev[nv] = u;
	vrp_refresh(x, ru);
	vrp_refresh(x, rv);
	x->total += delta;
	vrp_push_around(x, u);
	vrp_push_around(x, v);
	return 1;
}

/*
 * 2-opt*: a in route r1, b in route r2 (customers or start sentinels):
 * r1 = S1..a + tail of r2 after b, r2 = S2..b + tail of r1 after a.
 */
static int
vrp_2optstar(Vrp *x, int a, int b)
{
	int			r1 = x->route[a],
				r2 = x->route[b];
	int			na,
				nb,
				e1,
				e2,
				l1,
				l2;
	double		delta;

	if (r1 == r2)
		return 0;
	if (x->pl[a] + (x->load[r2] - x->pl[b]) > x->capeps ||
		x->pl[b] + (x->load[r1] - x->pl[a]) > x->capeps)
		return 0;
	na = x->next[a];
	nb = x->next[b];
	e1 = E(x, r1);
	e2 = E(x, r2);
	if (na == e1 && nb == e2)
		return 0;
	delta = D(x, a, nb) + D(x, b, na) - D(x, a, na) - D(x, b, nb);
	if (delta >= -x->eps)
		return 0;
	l1 = x->prev[e1];
	l2 = x->prev[e2];
	x->next[a] = nb != e2 ? nb : e1;
	if (nb != e2)
	{
		x->prev[nb] = a;
		x->next[l2] = e1;
		x->prev[e1] = l2;
	}
	else
		x->prev[e1] = a;
	x->next[b] = na != e1 ? na : e2;
	if (na != e1)
	{
		x->prev[na] = b;
		x->next[l1] = e2;
		x->prev[e2] = l1;
	}
	else
		x->prev[e2] = b;
	vrp_refresh(x, r1);
	vrp_refresh(x, r2);
	x->total += delta;
	vrp_push_around(x, a);
	vrp_push_around(x, b);
	vrp_push_around(x, na);
	vrp_push_around(x, nb);
	return 1;
}

/* 2-opt inside a route (symmetric costs): new edges (a,b), (a+,b+). */
static int
vrp_2opt(Vrp *x, int u, int v)
{
	int			a,
				b,
				s,
				t,
				q,
				w,
				r;
	double		delta;

	if (!x->sym || x->route[u] != x->route[v] || u == v)
		return 0;
	a = x->idx[u] < x->idx[v] ? u : v;
	b = a == u ? v : u;
	s = x->next[a];
	t = b;
	q = x->next[b];
	if (s == b)
		return 0;
	delta = D(x, a, b) + D(x, s, q) - D(x, a, s) - D(x, b, q);
	if (delta >= -x->eps)
		return 0;
	r = x->route[u];
	for (w = s;;)
	{
		int			nx = x->next[w];

		x->next[w] = x->prev[w];
		x->prev[w] = nx;
		if (w == t)
			break;
		w = nx;
	}
	x->next[a] = t;
	x->prev[t] = a;
	x->next[s] = q;
	x->prev[q] = s;
	vrp_refresh(x, r);
	x->total += delta;
	vrp_push_around(x, a);
	vrp_push_around(x, b);
	vrp_push_around(x, s);
	vrp_push_around(x, q);
	return 1;
}

static int
vrp_improve_node(Vrp *x, int u)
{
	const int  *l = x->nb + (size_t) u * x->k;

	for (int q = 0; q < x->k; q++)
	{
		int			v = l[q];

		if (vrp_relocate(x, u, v) || vrp_relocate(x, u, x->prev[v]))
			return 1;
		if (vrp_swap(x, u, x->next[v]) || vrp_swap(x, u, x->prev[v]))
			return 1;
		if (vrp_2optstar(x, u, x->prev[v]))
			return 1;
		if (vrp_2opt(x, u, v))
			return 1;
	}
	/* a route of its own, when a vehicle is free */
	if (x->cnt[x->route[u]] > 1)
	{
		int			r = vrp_empty_slot(x);

		if (r >= 0 && vrp_relocate(x, u, S(x, r)))
			return 1;
	}
	return 0;
}

static int
vrp_local_search(Vrp *x)
{
	while (x->qlen > 0)
	{
		int			u = x->queue[x->qhead];

		if ((++x->checks & 255) == 0 && vrp_poll(x))
			return 1;
		x->qhead = (x->qhead + 1) % x->n;
		x->qlen--;
		x->inq[u] = 0;
		if (x->stopped)
			continue;
		if (vrp_improve_node(x, u))
			vrp_push(x, u);
	}
	return 0;
}

/* ---------- cheapest insertion ---------- */

/* Insert customer u at its cheapest feasible place; 0 when none. */
static int
vrp_insert_best(Vrp *x, int u)
{
	double		best = INFINITY;
	int			bw = -1;
	int			empty = -1;

	for (int r = 0; r < x->M; r++)
	{
		if (x->cnt[r] == 0)
		{
			if (empty < 0)
				empty = r;
			continue;
		}
		if (x->load[r] + x->dem[u] > x->capeps)
			continue;
		for (int w = S(x, r); w != E(x, r); w = x->next[w])
		{
			int			nw = x->next[w];
			double		d = D(x, w, u) + D(x, u, nw) - D(x, w, nw);

			if (d < best)
			{
				best = d;
				bw = w;
			}
		}
	}
	if (empty >= 0)
	{
		double		d = D(x, 0, u) + D(x, u, 0);

		if (d < best)
		{
			best = d;
			bw = S(x, empty);
		}
	}
	if (bw < 0)
		return 0;
	vrp_link_after(x, u, bw);
	vrp_refresh(x, x->route[bw]);
	x->total += best;
	return 1;
}

/* ---------- construction: Clarke-Wright savings ---------- */

typedef struct VrpSaving
{
	double		s;
	int			i;
	int			j;
} VrpSaving;

static int
vrp_saving_cmp(const void *a, const void *b)
{
	const VrpSaving *p = a,
			   *q = b;

	if (p->s != q->s)
		return p->s > q->s ? -1 : 1;
	if (p->i != q->i)
		return p->i < q->i ? -1 : 1;
	return (p->j > q->j) - (p->j < q->j);
}

typedef struct VrpCw
{
	int		   *snext,
			   *sprev,
			   *rid,
			   *head,
			   *tail;
	double	   *rload;
	int			nroutes;
} VrpCw;

static void
cw_reverse(VrpCw *w, int r)
{
	int			v = w->head[r],
				t;

	while (v >= 0)
	{
		int			nx = w->snext[v];

		w->snext[v] = w->sprev[v];
		w->sprev[v] = nx;
		v = nx;
	}
	t = w->head[r];
	w->head[r] = w->tail[r];
	w->tail[r] = t;
}

/* Try to join the route of i (ending at i) with the route of j (starting
 * at j); for symmetric costs either end may be turned around. */
static int
cw_merge(Vrp *x, VrpCw *w, int i, int j)
{
	int			a = w->rid[i],
				b = w->rid[j];

	if (a == b || w->rload[a] + w->rload[b] > x->capeps)
		return 0;
	if (w->tail[a] != i)
	{
		if (!x->sym || w->head[a] != i)
			return 0;
		cw_reverse(w, a);
	}
	if (w->head[b] != j)
	{
		if (!x->sym || w->tail[b] != j)
			return 0;
		cw_reverse(w, b);
	}
	w->snext[i] = j;
	w->sprev[j] = i;
	for (int v = j; v >= 0; v = w->snext[v])
		w->rid[v] = a;
	w->tail[a] = w->tail[b];
	w->rload[a] += w->rload[b];
	w->head[b] = w->tail[b] = -1;
	w->nroutes--;
	return 1;
}

/*
 * Clarke-Wright left more routes than vehicles: join the pair of route ends
 * with the largest saving that fits, until the routes fit the vehicles or
 * no pair fits (vrp_construct then inserts the customers of the rest).
 */
static VrpStatus
cw_join_excess(Vrp *x, VrpCw *w)
{
	int			n = x->n;

	while (w->nroutes > x->M)
	{
		double		bs = -INFINITY;
		int			bi = -1,
					bj = -1;

		if (vrp_poll(x))
			return VRP_CANCELLED;
		for (int a = 1; a < n; a++)
		{
			if ((a & 63) == 0 && vrp_poll(x))
				return VRP_CANCELLED;
			if (w->head[a] < 0 || w->rid[w->head[a]] != a)
				continue;
			for (int b = 1; b < n; b++)
			{
				int			ends_a[2] = {w->tail[a], w->head[a]},
							ends_b[2] = {w->head[b], w->tail[b]};

				if (b == a || w->head[b] < 0 || w->rid[w->head[b]] != b ||
					w->rload[a] + w->rload[b] > x->capeps)
					continue;
				for (int ea = 0; ea < (x->sym ? 2 : 1); ea++)
					for (int eb = 0; eb < (x->sym ? 2 : 1); eb++)
					{
						int			i = ends_a[ea],
									j = ends_b[eb];
						double		s = D(x, i, 0) + D(x, 0, j) - D(x, i, j);

						if (s > bs)
						{
							bs = s;
							bi = i;
							bj = j;
						}
					}
			}
		}
		if (bi < 0 || !cw_merge(x, w, bi, bj))
			break;
	}
	return VRP_OK;
}

static VrpStatus
vrp_construct(Vrp *x)
{
	int			n = x->n;
	VrpCw		w;
	VrpSaving  *sv;
	size_t		ns = 0;
	int			slot = 0;
	VrpStatus	st = VRP_OK;

	w.snext = tsp_alloc(x->env, n * sizeof(int));
	w.sprev = tsp_alloc(x->env, n * sizeof(int));
	w.rid = tsp_alloc(x->env, n * sizeof(int));
	w.head = tsp_alloc(x->env, n * sizeof(int));
	w.tail = tsp_alloc(x->env, n * sizeof(int));
	w.rload = tsp_alloc(x->env, n * sizeof(double));
	sv = tsp_alloc(x->env, (size_t) n * (x->k > 0 ? x->k : 1) * sizeof(VrpSaving));
	if (!w.snext || !w.sprev || !w.rid || !w.head || !w.tail || !w.rload || !sv)
	{
		st = VRP_ENOMEM;
		goto out;
	}
	for (int v = 1; v < n; v++)
	{
		w.snext[v] = w.sprev[v] = -1;
		w.rid[v] = w.head[v] = w.tail[v] = v;
		w.rload[v] = x->dem[v];
	}
	w.nroutes = n - 1;
	for (int i = 1; i < n; i++)
		for (int q = 0; q < x->k; q++)
		{
			int			j = x->nb[(size_t) i * x->k + q];

			sv[ns].s = D(x, i, 0) + D(x, 0, j) - D(x, i, j);
			sv[ns].i = i;
			sv[ns].j = j;
			ns++;
		}
	qsort(sv, ns, sizeof(VrpSaving), vrp_saving_cmp);
	for (size_t p = 0; p < ns; p++)
	{
		if ((p & 4095) == 0 && vrp_poll(x))
		{
			st = VRP_CANCELLED;
			goto out;
		}
		if (sv[p].s > 0 || w.nroutes > x->M)
			cw_merge(x, &w, sv[p].i, sv[p].j);
	}
	/* still too many routes: join the best feasible pair of any ends */
	st = cw_join_excess(x, &w);
	if (st != VRP_OK)
		goto out;
	/* into route slots: heaviest routes first; the rest are dissolved and
	 * their customers inserted where they fit */
	for (int r = 0; r < x->M; r++)
	{
		x->next[S(x, r)] = E(x, r);
		x->prev[E(x, r)] = S(x, r);
		vrp_refresh(x, r);
	}
	{
		int			nr = 0;
		int		   *reps = x->tmp;

		for (int a = 1; a < n; a++)
			if (w.head[a] >= 0 && w.rid[w.head[a]] == a)
				reps[nr++] = a;
		/* sort reps by load descending, then id (insertion sort, stable) */
		for (int i = 1; i < nr; i++)
		{
			int			v = reps[i],
						j = i;

			while (j > 0 && w.rload[reps[j - 1]] < w.rload[v])
			{
				reps[j] = reps[j - 1];
				j--;
			}
			reps[j] = v;
		}
		for (int i = 0; i < nr && slot < x->M; i++, slot++)
		{
			int			last = S(x, slot);

			for (int v = w.head[reps[i]]; v >= 0; v = w.snext[v])
			{
				vrp_link_after(x, v, last);
				last = v;
			}
			vrp_refresh(x, slot);
		}
		x->total = vrp_total(x);
		for (int i = x->M; i < nr; i++)
			for (int v = w.head[reps[i]]; v >= 0;)
			{
				int			nx = w.snext[v];

				if (!vrp_insert_best(x, v))
				{
					st = VRP_INFEASIBLE;
					goto out;
				}
				v = nx;
			}
	}
	x->total = vrp_total(x);
out:
	tsp_free(x->env, w.snext);
	tsp_free(x->env, w.sprev);
	tsp_free(x->env, w.rid);
	tsp_free(x->env, w.head);
	tsp_free(x->env, w.tail);
	tsp_free(x->env, w.rload);
	tsp_free(x->env, sv);
	return st;
}

/* ---------- neighbours ---------- */

static int
vrp_neighbours(Vrp *x)
{
	int			n = x->n,
				k = x->k;
	double	   *key;

	if (k == 0)
		return 0;
	key = tsp_alloc(x->env, (size_t) k * sizeof(double));
	if (!key)
		return -1;
	for (int i = 1; i < n; i++)
	{
		int		   *l = x->nb + (size_t) i * k;
		int			cnt = 0;

		if ((i & 63) == 0 && vrp_poll(x))
		{
			tsp_free(x->env, key);
			return 1;
		}
		for (int j = 1; j < n; j++)
		{
			double		v;
			int			p;

			if (j == i)
				continue;
			v = D(x, i, j);
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

/* ---------- ruin and recreate ---------- */

static int
vrp_ruin_recreate(Vrp *x)
{
	int			n = x->n;
	int			mmax = (n - 1) / 4,
				m,
				seed,
				nrem = 0;
	int		   *rem = x->tmp;

	if (mmax > 40)
		mmax = 40;
	if (mmax < 5)
		mmax = n - 1 < 5 ? n - 1 : 5;
	m = vrp_randint(x, 1, mmax);
	seed = vrp_randint(x, 1, n - 1);
	rem[nrem++] = seed;
	for (int q = 0; q < x->k && nrem < m; q++)
		rem[nrem++] = x->nb[(size_t) seed * x->k + q];
	for (int i = 0; i < nrem; i++)
	{
		int			u = rem[i],
					pu = x->prev[u],
					nu = x->next[u];

		x->total += D(x, pu, nu) - D(x, pu, u) - D(x, u, nu);
		vrp_unlink(x, u);
		vrp_refresh(x, x->route[pu]);
	}
	/* random order */
	for (int i = nrem - 1; i > 0; i--)
	{
		int			j = vrp_randint(x, 0, i),
					t = rem[i];

		rem[i] = rem[j];
		rem[j] = t;
	}
	for (int i = 0; i < nrem; i++)
	{
		if (!vrp_insert_best(x, rem[i]))
			return 0;
		vrp_push_around(x, rem[i]);
	}
	return 1;
}

/* ---------- final: re-sequence every route with the TSP solver ---------- */

static VrpStatus
vrp_resequence(Vrp *x)
{
	int			n = x->n;
	int		   *ids = tsp_alloc(x->env, (size_t) n * sizeof(int));
	int		   *ord = tsp_alloc(x->env, (size_t) n * sizeof(int));
	double	   *sub = NULL;
	VrpStatus	st = VRP_OK;

	if (!ids || !ord)
	{
		st = VRP_ENOMEM;
		goto out;
	}
	for (int r = 0; r < x->M; r++)
	{
		int			m = x->cnt[r] + 1,
					i = 0;
		double		len,
					old;
		TspOptions	to;
		TspStatus	ts;

		if (x->cnt[r] < 3)
			continue;
		ids[i++] = 0;
		for (int v = x->next[S(x, r)]; v != E(x, r); v = x->next[v])
			ids[i++] = v;
		sub = tsp_alloc(x->env, (size_t) m * m * sizeof(double));
		if (!sub)
		{
			st = VRP_ENOMEM;
			goto out;
		}
		for (int a = 0; a < m; a++)
			for (int b = 0; b < m; b++)
				sub[a * m + b] = D(x, ids[a], ids[b]);
		tsp_default_options(&to);
		to.max_iterations = 50L * m + 500;
		ts = tsp_solve(m, sub, &to, x->env, ord, &len, NULL);
		if (ts == TSP_CANCELLED)
		{
			st = VRP_CANCELLED;
			goto out;
		}
		if (ts != TSP_OK)
		{
			st = VRP_ENOMEM;
			goto out;
		}
		old = vrp_route_cost(x, r);
		if (len < old - x->eps)
		{
			int			last = S(x, r);

			x->next[S(x, r)] = E(x, r);
			x->prev[E(x, r)] = S(x, r);
			for (int p = 1; p < m; p++)
			{
				vrp_link_after(x, ids[ord[p]], last);
				last = ids[ord[p]];
			}
			vrp_refresh(x, r);
		}
		tsp_free(x->env, sub);
		sub = NULL;
	}
out:
	tsp_free(x->env, sub);
	tsp_free(x->env, ids);
	tsp_free(x->env, ord);
	return st;
}

/* ---------- driver ---------- */

/* The routes found: the non-empty ones, ordered by their smallest customer */
static void
vrp_output(const Vrp *x, int *stops, int *route_start, double *load, double *rcost,
		   int *nroutes, double *total)
{
	int			n = x->n;
	int			nr = 0,
				p = 0;
	int		   *order = x->tmp;
	int		   *minc = x->queue;

	for (int r = 0; r < x->M; r++)
		if (x->cnt[r] > 0)
		{
			int			mn = n;

			for (int v = x->next[S(x, r)]; v != E(x, r); v = x->next[v])
				if (v < mn)
					mn = v;
			minc[r] = mn;
			order[nr++] = r;
		}
	for (int i = 1; i < nr; i++)
	{
		int			v = order[i],
					j = i;

		while (j > 0 && minc[order[j - 1]] > minc[v])
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	*total = 0;
	for (int i = 0; i < nr; i++)
	{
		int			r = order[i];

		route_start[i] = p;
		for (int v = x->next[S(x, r)]; v != E(x, r); v = x->next[v])
			stops[p++] = v;
		load[i] = x->load[r];
		rcost[i] = vrp_route_cost(x, r);
		*total += rcost[i];
	}
	route_start[nr] = p;
	*nroutes = nr;
}

static void
vrp_free(Vrp *x)
{
	tsp_free(x->env, x->nb);
	tsp_free(x->env, x->next);
	tsp_free(x->env, x->prev);
	tsp_free(x->env, x->route);
	tsp_free(x->env, x->idx);
	tsp_free(x->env, x->pl);
	tsp_free(x->env, x->load);
	tsp_free(x->env, x->cnt);
	tsp_free(x->env, x->bnext);
	tsp_free(x->env, x->bprev);
	tsp_free(x->env, x->broute);
	tsp_free(x->env, x->bidx);
	tsp_free(x->env, x->bpl);
	tsp_free(x->env, x->bload);
	tsp_free(x->env, x->bcnt);
	tsp_free(x->env, x->queue);
	tsp_free(x->env, x->inq);
	tsp_free(x->env, x->tmp);
}

VrpStatus
vrp_solve(int n, const double *cost, const double *demand, double capacity,
		  int max_vehicles, const VrpOptions *opt, const TspEnv *env,
		  int *stops, int *route_start, double *load, double *rcost,
		  int *nroutes, double *total)
{
	Vrp			x;
	VrpStatus	st = VRP_OK;
	double		maxc = 0;

	if (n < 2 || n > VRP_MAX_NODES || !cost || !demand || !(capacity >= 0) ||
		!isfinite(capacity))
		return VRP_EINVAL;
	for (int i = 1; i < n; i++)
		if (!(demand[i] >= 0) || demand[i] > capacity)
			return VRP_EINVAL;
	memset(&x, 0, sizeof(x));
	switch (tsp_scan_matrix(n, cost, env, &maxc, &x.sym))
	{
		case TSP_OK:
			break;
		case TSP_CANCELLED:
			return VRP_CANCELLED;
		default:
			return VRP_EINVAL;
	}
	x.n = n;
	x.M = max_vehicles > 0 && max_vehicles < n - 1 ? max_vehicles : n - 1;
	x.V = n + 2 * x.M;
	x.c = cost;
	x.dem = demand;
	x.cap = capacity;
	x.capeps = capacity + 1e-9 * (capacity > 1 ? capacity : 1);
	x.env = env;
	x.rng = opt->seed;
	x.k = n - 2 < VRP_NBR_K ? n - 2 : VRP_NBR_K;
	x.eps = 1e-12 * (maxc > 0 ? maxc : 1);
	if (opt->time_limit_ms > 0)
		x.deadline = tsp_now() + opt->time_limit_ms / 1000.0;
	{
		double		sum = 0;

		for (int i = 1; i < n; i++)
			sum += demand[i];
		if (sum > x.capeps * x.M + 1e-9 * sum)
			return VRP_INFEASIBLE;
	}

#define VA(p, cnt, type) ((p) = tsp_alloc(env, (size_t) (cnt) * sizeof(type)))
	if (!VA(x.nb, (size_t) n * (x.k > 0 ? x.k : 1), int) ||
		!VA(x.next, x.V, int) || !VA(x.prev, x.V, int) ||
		!VA(x.route, x.V, int) || !VA(x.idx, x.V, int) || !VA(x.pl, x.V, double) ||
		!VA(x.load, x.M, double) || !VA(x.cnt, x.M, int) ||
		!VA(x.bnext, x.V, int) || !VA(x.bprev, x.V, int) ||
		!VA(x.broute, x.V, int) || !VA(x.bidx, x.V, int) || !VA(x.bpl, x.V, double) ||
		!VA(x.bload, x.M, double) || !VA(x.bcnt, x.M, int) ||
		!VA(x.queue, n, int) || !VA(x.inq, n, char) || !VA(x.tmp, n, int))
	{
		st = VRP_ENOMEM;
		goto done;
	}
#undef VA
	memset(x.inq, 0, n);
	memset(x.route, 0, (size_t) x.V * sizeof(int));
	memset(x.idx, 0, (size_t) x.V * sizeof(int));
	memset(x.pl, 0, (size_t) x.V * sizeof(double));
	{
		int			r = vrp_neighbours(&x);

		if (r != 0)
		{
			st = r < 0 ? VRP_ENOMEM : VRP_CANCELLED;
			goto done;
		}
	}
	st = vrp_construct(&x);
	if (st != VRP_OK)
		goto done;
	for (int u = 1; u < n; u++)
		vrp_push(&x, u);
	if (vrp_local_search(&x))
	{
		st = VRP_CANCELLED;
		goto done;
	}
	vrp_snapshot(&x, 1);
	{
		long		maxit = opt->max_iterations >= 0 ? opt->max_iterations : vrp_default_iterations(n);

		for (long it = 0; it < maxit && !x.stopped && n > 2; it++)
		{
			if (vrp_poll(&x))
			{
				st = VRP_CANCELLED;
				goto done;
			}
			if (vrp_ruin_recreate(&x) && !vrp_local_search(&x) && !x.stopped &&
				x.total <= x.btotal + x.eps)
				vrp_snapshot(&x, 1);
			else
			{
				if (x.env && x.env->interrupt && x.env->interrupt(x.env->arg))
				{
					st = VRP_CANCELLED;
					goto done;
				}
				while (x.qlen > 0)
				{
					x.inq[x.queue[x.qhead]] = 0;
					x.qhead = (x.qhead + 1) % n;
					x.qlen--;
				}
				vrp_snapshot(&x, 0);
			}
		}
	}
	st = vrp_resequence(&x);
	if (st != VRP_OK)
		goto done;

	vrp_output(&x, stops, route_start, load, rcost, nroutes, total);

done:
	vrp_free(&x);
	return st;
}
