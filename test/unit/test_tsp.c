/*
 * test_tsp.c — unit tests of src/core/tsp.c.
 *
 * References: exact optima by brute force over all permutations (computed
 * here, independently of the solver); TSPLIB optima 426 (eil51), 7542
 * (berlin52), 21282 (kroA100) from TSPLIB95 (test/data/tsplib/README.md);
 * asymmetric ftv33 optimum 1286 (TSPLIB95, test/data/atsp/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "tsp.h"
#include "tsplib.h"

static uint64_t rng = 42;

static double
urand(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double) (rng >> 11) / 9007199254740992.0;
}

/* brute force: best order starting at s, ending at e (or closed when e < 0) */
static double bf_best;

static void
bf_rec(int n, const double *c, int *perm, int k, int e, double acc, int closed)
{
	if (acc >= bf_best)
		return;
	if (k == n)
	{
		double		t = acc + (closed ? c[perm[n - 1] * n + perm[0]] : 0);

		if (t < bf_best)
			bf_best = t;
		return;
	}
	for (int i = k; i < n; i++)
	{
		int			tmp;

		if (!closed && perm[i] == e && k != n - 1)
			continue;
		tmp = perm[k];
		perm[k] = perm[i];
		perm[i] = tmp;
		bf_rec(n, c, perm, k + 1, e, acc + c[perm[k - 1] * n + perm[k]], closed);
		tmp = perm[k];
		perm[k] = perm[i];
		perm[i] = tmp;
	}
}

static double
brute_force(int n, const double *c, int s, int e)
{
	int			perm[16];
	int			k = 1;

	perm[0] = s;
	for (int v = 0; v < n; v++)
		if (v != s)
			perm[k++] = v;
	bf_best = INFINITY;
	bf_rec(n, c, perm, 1, e, 0, e < 0);
	return bf_best;
}

static int
valid_order(int n, const int *order, int s, int e)
{
	char		seen[TSP_MAX_NODES] = {0};

	if (order[0] != s || (e >= 0 && order[n - 1] != e))
		return 0;
	for (int i = 0; i < n; i++)
	{
		if (order[i] < 0 || order[i] >= n || seen[order[i]])
			return 0;
		seen[order[i]] = 1;
	}
	return 1;
}

static int	cancel_after;
static int
cancel_cb(void *arg)
{
	(void) arg;
	return --cancel_after <= 0;
}

static void
small_exact(void)
{
	/* 4..9 nodes, symmetric and asymmetric, closed and open with fixed end;
	 * default (Held-Karp) and the heuristic alone (exact_max_n = 0) */
	int			bad_exact = 0,
				bad_heur = 0,
				bad_valid = 0,
				cases = 0;

	for (int rep = 0; rep < 20; rep++)
		for (int n = 4; n <= 9; n++)
			for (int sym = 0; sym < 2; sym++)
				for (int open = 0; open < 2; open++)
				{
					double		c[81];
					int			order[9];
					double		len,
								want;
					int			s = (int) (urand() * n),
								e = -1;
					TspOptions	opt;

					for (int i = 0; i < n; i++)
						for (int j = 0; j < n; j++)
							c[i * n + j] = i == j ? 0 : (double) (int) (urand() * 100);
					if (sym)
						for (int i = 0; i < n; i++)
							for (int j = 0; j < i; j++)
								c[i * n + j] = c[j * n + i];
					if (open)
						do
							e = (int) (urand() * n);
						while (e == s);
					want = brute_force(n, c, s, e);
					tsp_default_options(&opt);
					opt.start = s;
					opt.end = e;
					cases++;
					if (tsp_solve(n, c, &opt, NULL, order, &len, NULL) != TSP_OK ||
						!valid_order(n, order, s, e))
						bad_valid++;
					else if (fabs(len - want) > 1e-9 ||
							 fabs(tsp_order_cost(n, c, order, e < 0) - want) > 1e-9)
						bad_exact++;
					opt.exact_max_n = 0;
					if (tsp_solve(n, c, &opt, NULL, order, &len, NULL) != TSP_OK ||
						!valid_order(n, order, s, e))
						bad_valid++;
					else if (fabs(len - want) > 1e-9)
					{
						bad_heur++;
						printf("# heuristic n=%d sym=%d open=%d got %g want %g\n", n, sym, open, len, want);
					}
				}
	printf("# %d random cases of 4..9 nodes\n", cases);
	ok(bad_valid == 0, "small instances: every result is a permutation starting at start and ending at end");
	ok(bad_exact == 0, "small instances: default solve equals the brute-force optimum (sym/asym, closed/open)");
	ok(bad_heur == 0, "small instances: local search + ILS alone equals the brute-force optimum");
}

static void
tiny_cases(void)
{
	double		c1[1] = {0};
	double		c2[4] = {0, 3, 5, 0};
	double		c3[9] = {0, 1, 9, 9, 0, 1, 1, 9, 0};
	int			o[3];
	double		len;
	TspOptions	opt;

	tsp_default_options(&opt);
	ok(tsp_solve(1, c1, &opt, NULL, o, &len, NULL) == TSP_OK && o[0] == 0 && len == 0, "1 node: trivial tour");
	ok(tsp_solve(2, c2, &opt, NULL, o, &len, NULL) == TSP_OK && o[0] == 0 && o[1] == 1 && len == 8, "2 nodes closed: 0 1, length 3 + 5");
	opt.start = 1;
	opt.end = 0;
	ok(tsp_solve(2, c2, &opt, NULL, o, &len, NULL) == TSP_OK && o[0] == 1 && o[1] == 0 && len == 5, "2 nodes open 1 -> 0: length 5");
	tsp_default_options(&opt);
	ok(tsp_solve(3, c3, &opt, NULL, o, &len, NULL) == TSP_OK && o[1] == 1 && o[2] == 2 && len == 3,
	   "3 nodes asymmetric: 0 1 2 (1+1+1) beats 0 2 1 (9+9+9)");
	opt.end = 0;
	ok(tsp_solve(3, c3, &opt, NULL, o, &len, NULL) == TSP_EINVAL, "end == start with more nodes is rejected");
	tsp_default_options(&opt);
	opt.start = 3;
	ok(tsp_solve(3, c3, &opt, NULL, o, &len, NULL) == TSP_EINVAL, "start out of range is rejected");
}

static void
tsplib(const char *name, double optimum)
{
	char		path[256];
	TsplibInstance ins;
	double	   *m;
	int		   *order;
	double		len;
	long		iters;
	TspOptions	opt;
	struct timespec t0,
				t1;
	char		msg[256];

	snprintf(path, sizeof(path), "../data/tsplib/%s.tsp", name);
	if (tsplib_read(path, &ins) != 0)
	{
		ok(0, path);
		return;
	}
	m = tsplib_matrix(&ins);
	order = malloc(sizeof(int) * ins.n);
	tsp_default_options(&opt);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tsp_solve(ins.n, m, &opt, NULL, order, &len, &iters) != TSP_OK)
		len = INFINITY;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %s: length %.0f, optimum %.0f, gap %.2f%%, %ld kicks, %.0f ms\n", name, len, optimum,
		   100 * (len / optimum - 1), iters,
		   (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	ok(valid_order(ins.n, order, 0, -1), "TSPLIB tour is a permutation");
	snprintf(msg, sizeof(msg), "%s: default tour within 1%% of the TSPLIB optimum %.0f", name, optimum);
	ok(len <= optimum * 1.01 && len >= optimum, msg);
	/* determinism */
	{
		int		   *o2 = malloc(sizeof(int) * ins.n);
		double		l2;

		tsp_solve(ins.n, m, &opt, NULL, o2, &l2, NULL);
		snprintf(msg, sizeof(msg), "%s: same input, same tour", name);
		ok(memcmp(order, o2, sizeof(int) * ins.n) == 0, msg);
		free(o2);
	}
	/* open path from 0 to the last node: at most the closed optimum */
	opt.end = ins.n - 1;
	tsp_solve(ins.n, m, &opt, NULL, order, &len, NULL);
	snprintf(msg, sizeof(msg), "%s: open path 1 -> %d is valid and shorter than the closed optimum", name, ins.n);
	ok(valid_order(ins.n, order, 0, ins.n - 1) && len <= optimum, msg);
	free(order);
	free(m);
	tsplib_free(&ins);
}

/* ftv33: explicit full matrix, asymmetric */
static void
atsp_ftv33(void)
{
	FILE	   *f = fopen("../data/atsp/ftv33.atsp", "r");
	char		line[512];
	int			n = 34,
				k = 0,
				in = 0;
	double		c[34 * 34];
	int			order[34];
	double		len;
	TspOptions	opt;
	char		msg[200];

	if (!f)
	{
		ok(0, "ftv33.atsp readable");
		return;
	}
	while (fgets(line, sizeof(line), f))
	{
		char	   *p = line,
				   *end;

		if (strncmp(line, "EDGE_WEIGHT_SECTION", 19) == 0)
		{
			in = 1;
			continue;
		}
		if (!in || strncmp(line, "EOF", 3) == 0)
			continue;
		for (double v = strtod(p, &end); end != p && k < n * n; v = strtod(p, &end))
		{
			c[k++] = v;
			p = end;
		}
	}
	fclose(f);
	ok(k == n * n && !tsp_is_symmetric(n, c), "ftv33: 34 x 34 asymmetric matrix read");
	for (int i = 0; i < n; i++)
		c[i * n + i] = 0;
	tsp_default_options(&opt);
	tsp_solve(n, c, &opt, NULL, order, &len, NULL);
	printf("# ftv33 (asymmetric): length %.0f, optimum 1286, gap %.2f%%\n", len, 100 * (len / 1286 - 1));
	snprintf(msg, sizeof(msg), "ftv33: asymmetric tour (Or-3opt ILS) within 2%% of the optimum 1286");
	ok(valid_order(n, order, 0, -1) && len >= 1286 && len <= 1286 * 1.02, msg);
}

static void
cancel_and_cap(void)
{
	int			n = 1000;
	double	   *c = malloc(sizeof(double) * n * n);
	double	   *px = malloc(sizeof(double) * n),
			   *py = malloc(sizeof(double) * n);
	int		   *order = malloc(sizeof(int) * n);
	TspOptions	opt;
	TspEnv		env = {NULL, NULL, cancel_cb, NULL};
	double		len;
	struct timespec t0,
				t1;
	double		ms;

	for (int i = 0; i < n; i++)
	{
		px[i] = urand() * 1000;
		py[i] = urand() * 1000;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			c[i * n + j] = sqrt((px[i] - px[j]) * (px[i] - px[j]) + (py[i] - py[j]) * (py[i] - py[j]));
	tsp_default_options(&opt);
	opt.max_iterations = 100000000;
	opt.stall_iterations = 100000000;
	cancel_after = 3000;
	ok(tsp_solve(n, c, &opt, &env, order, &len, NULL) == TSP_CANCELLED,
	   "interrupt callback returning non-zero cancels a large run (memory freed: ASan)");
	opt.time_limit_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(tsp_solve(n, c, &opt, NULL, order, &len, NULL) == TSP_OK && valid_order(n, order, 0, -1),
	   "time cap: returns a valid tour");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("# 1000 random points, 300 ms cap: %.0f ms\n", ms);
	ok(ms < 3000, "time cap of 300 ms stops a 1000-node search promptly");
	free(c);
	free(px);
	free(py);
	free(order);
}

int
main(void)
{
	small_exact();
	tiny_cases();
	tsplib("eil51", 426);
	tsplib("berlin52", 7542);
	tsplib("kroA100", 21282);
	atsp_ftv33();
	cancel_and_cap();
	return done_testing();
}
