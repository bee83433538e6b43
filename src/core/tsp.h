/*
 * tsp.h — travelling salesman tours on a cost matrix, plain C (no PostgreSQL
 * headers).
 *
 * Closed tours and open paths with a fixed end, symmetric or asymmetric
 * costs.  Up to TSP_EXACT_MAX_N nodes the tour is exact (Held-Karp dynamic
 * programming); above that a nearest-neighbour construction is improved by
 * local search with neighbour lists (2-opt and Or-3opt segment insertion for
 * symmetric costs, Or-3opt segment insertion — no reversal — for asymmetric
 * costs) and then by iterated local search: a local 4-change kick (three
 * short consecutive segments B C D become D C B, valid for asymmetric costs),
 * local search, keep if not worse.
 *
 * Determinism: the random kicks come from a fixed-seed PRNG and the search
 * stops after an iteration budget (max_iterations kicks, or stall_iterations
 * kicks without improvement), both counted, never timed.  The time limit is
 * only a safety cap; results are identical run to run whenever the budget
 * ends first, which at the default budget holds up to about 1000 nodes on
 * current hardware.
 *
 * Memory comes from env->alloc (malloc when NULL) so that a PostgreSQL
 * caller can hand in palloc; env->interrupt is called regularly and may
 * either return non-zero (the solver frees its memory and returns
 * TSP_CANCELLED) or not return at all (longjmp out, when alloc is palloc).
 */
#ifndef CRMSCM_TSP_H
#define CRMSCM_TSP_H

#include <stddef.h>
#include <stdint.h>

/* Largest instance accepted (nodes).  A full cost matrix of this size is
 * 200 MB of doubles. */
#define TSP_MAX_NODES 5000

/* Largest cost accepted: keeps sums of 5000 edges, and the forcing weight
 * of open paths, far from overflow. */
#define TSP_MAX_COST 1e15

/* Instances up to this many nodes are solved exactly (Held-Karp). */
#define TSP_EXACT_MAX_N 12

typedef struct TspEnv
{
	void	   *(*alloc) (size_t size, void *arg);	/* NULL = malloc */
	void		(*dealloc) (void *ptr, void *arg);	/* NULL = free */
	int			(*interrupt) (void *arg);	/* non-zero = stop; may longjmp */
	void	   *arg;
} TspEnv;

typedef struct TspOptions
{
	int			start;			/* 0-based start node */
	int			end;			/* 0-based end node of an open path; -1 = closed tour */
	double		time_limit_ms;	/* cap on the search; <= 0 = no cap */
	long		max_iterations; /* ILS kicks; < 0 = default for n */
	long		stall_iterations;	/* stop after this many kicks without
									 * improvement; < 0 = default for n */
	unsigned long long seed;	/* PRNG seed */
	int			exact_max_n;	/* Held-Karp up to this n (<= TSP_EXACT_MAX_N) */
} TspOptions;

typedef enum TspStatus
{
	TSP_OK = 0,
	TSP_EINVAL,					/* bad arguments */
	TSP_ENOMEM,					/* allocation failed */
	TSP_CANCELLED				/* env->interrupt asked to stop */
} TspStatus;

/* Fill in the defaults: start 0, closed, no time cap, default budget. */
/* Memory through the caller's allocator when it has one, else malloc/free;
 * shared with vrp.c. */
extern void *tsp_alloc(const TspEnv *env, size_t size);
extern void tsp_free(const TspEnv *env, void *p);

/* Monotonic clock in seconds, for time caps. */
extern double tsp_now(void);

/* splitmix64: the deterministic generator of the searches */
static inline uint64_t
tsp_splitmix64(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

extern void tsp_default_options(TspOptions *opt);

/* Default iteration budget for n nodes. */
extern long tsp_default_iterations(int n);

/*
 * Solve.  cost is n*n row-major, cost[i*n + j] the cost of going from i to
 * j; finite, in [0, TSP_MAX_COST] (else TSP_EINVAL).  On TSP_OK order[0..n-1] holds
 * the visiting order starting at opt->start (closed: start not repeated;
 * open: order[n-1] == opt->end) and *length its cost (closed tours include
 * the way back).  *iterations (may be NULL) receives the kicks done.
 */
extern TspStatus tsp_solve(int n, const double *cost, const TspOptions *opt,
						   const TspEnv *env, int *order, double *length,
						   long *iterations);

/* Cost of a visiting order; closed adds the way back to order[0]. */
extern double tsp_order_cost(int n, const double *cost, const int *order, int closed);

/*
 * Check a cost matrix: entries off the diagonal finite and in
 * [0, TSP_MAX_COST] (else TSP_EINVAL), the largest in *maxc, symmetry in
 * *sym; polls env->interrupt (TSP_CANCELLED).  Shared with vrp.c.
 */
extern TspStatus tsp_scan_matrix(int n, const double *cost, const TspEnv *env,
								 double *maxc, int *sym);

/* Is the matrix symmetric (exactly)? */
extern int	tsp_is_symmetric(int n, const double *cost);

#endif							/* CRMSCM_TSP_H */
