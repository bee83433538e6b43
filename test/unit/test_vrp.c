/*
 * test_vrp.c — unit tests of src/core/vrp.c.
 *
 * References: optimal values of Augerat's set A from CVRPLIB
 * (http://vrp.galgos.inf.puc-rio.br, test/data/cvrplib/README.md):
 * A-n32-k5 784, A-n33-k5 661, A-n37-k6 949, A-n45-k7 1146, A-n80-k10 1763;
 * small instances checked against an exhaustive search done here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "vrp.h"
#include "tsplib.h"

static int
check_solution(int n, const double *c, const double *dem, double cap, int maxv,
			   const int *stops, const int *rs, const double *load, const double *rcost,
			   int nr, double total)
{
	char	   *seen = calloc(n, 1);
	double		sum = 0;
	int			good = 1;

	if (maxv > 0 && nr > maxv)
		good = 0;
	for (int r = 0; r < nr; r++)
	{
		double		l = 0,
					cost = 0;
		int			prev = 0;

		if (rs[r + 1] <= rs[r])
			good = 0;
		for (int p = rs[r]; p < rs[r + 1]; p++)
		{
			int			v = stops[p];

			if (v < 1 || v >= n || seen[v])
				good = 0;
			else
				seen[v] = 1;
			l += dem[v];
			cost += c[prev * n + v];
			prev = v;
		}
		cost += c[prev * n];
		if (l > cap + 1e-9 || fabs(l - load[r]) > 1e-9 || fabs(cost - rcost[r]) > 1e-6)
			good = 0;
		sum += cost;
	}
	for (int v = 1; v < n; v++)
		if (!seen[v])
			good = 0;
	if (fabs(sum - total) > 1e-6)
		good = 0;
	free(seen);
	return good;
}

static int	cancel_after;
static int
cancel_cb(void *arg)
{
	(void) arg;
	return --cancel_after <= 0;
}

static double
augerat(const char *name, double optimum, int k)
{
	char		path[256],
				msg[256];
	TsplibInstance ins;
	double	   *m;
	int		   *stops,
			   *rs,
				nr;
	double	   *load,
			   *rcost,
				total = INFINITY;
	VrpOptions	opt;
	struct timespec t0,
				t1;
	VrpStatus	st;

	snprintf(path, sizeof(path), "../data/cvrplib/%s.vrp", name);
	if (tsplib_read(path, &ins) != 0)
	{
		ok(0, path);
		return 1;
	}
	m = tsplib_matrix(&ins);
	stops = malloc(sizeof(int) * ins.n);
	rs = malloc(sizeof(int) * (ins.n + 1));
	load = malloc(sizeof(double) * ins.n);
	rcost = malloc(sizeof(double) * ins.n);
	vrp_default_options(&opt);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = vrp_solve(ins.n, m, ins.demand, ins.capacity, k, &opt, NULL, stops, rs, load, rcost, &nr, &total);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %s: cost %.0f, optimum %.0f, gap %.2f%%, %d routes, %.0f ms\n", name, total, optimum,
		   100 * (total / optimum - 1), nr,
		   (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	snprintf(msg, sizeof(msg), "%s: every customer once, no vehicle over capacity %.0f, at most %d vehicles",
			 name, ins.capacity, k);
	ok(st == VRP_OK && check_solution(ins.n, m, ins.demand, ins.capacity, k, stops, rs, load, rcost, nr, total), msg);
	snprintf(msg, sizeof(msg), "%s: cost not below the optimum %.0f", name, optimum);
	ok(total >= optimum - 1e-9, msg);
	free(stops);
	free(rs);
	free(load);
	free(rcost);
	free(m);
	tsplib_free(&ins);
	return total / optimum - 1;
}

/* exhaustive: best CVRP cost for tiny instances, by trying every giant tour
 * permutation and every way to cut it into routes (DP over cuts) */
static double ex_best;
static void
ex_perm(int n, const double *c, const double *dem, double cap, int maxv, int *perm, int k)
{
	if (k == n - 1)
	{
		/* split perm[0..n-2] optimally (Bellman over cut points, counting routes) */
		double		f[10][10];	/* f[i][r]: best for first i customers in r routes */

		for (int i = 0; i <= n - 1; i++)
			for (int r = 0; r <= n - 1; r++)
				f[i][r] = INFINITY;
		f[0][0] = 0;
		for (int i = 0; i < n - 1; i++)
			for (int r = 0; r < n - 1; r++)
			{
				double		l = 0,
							cost = 0;

				if (!isfinite(f[i][r]))
					continue;
				for (int j = i; j < n - 1; j++)
				{
					l += dem[perm[j]];
					if (l > cap + 1e-9)
						break;
					cost = (j == i ? c[perm[i]] : cost - c[perm[j - 1] * n] + c[perm[j - 1] * n + perm[j]]) + c[perm[j] * n];
					if (f[i][r] + cost < f[j + 1][r + 1])
						f[j + 1][r + 1] = f[i][r] + cost;
				}
			}
		for (int r = 1; r <= n - 1; r++)
			if ((maxv <= 0 || r <= maxv) && f[n - 1][r] < ex_best)
				ex_best = f[n - 1][r];
		return;
	}
	for (int i = k; i < n - 1; i++)
	{
		int			t = perm[k];

		perm[k] = perm[i];
		perm[i] = t;
		ex_perm(n, c, dem, cap, maxv, perm, k + 1);
		t = perm[k];
		perm[k] = perm[i];
		perm[i] = t;
	}
}

static void
small_exact(void)
{
	uint64_t	rng = 7;
	int			bad = 0,
				badvalid = 0,
				cases = 0;

	for (int rep = 0; rep < 30; rep++)
		for (int n = 3; n <= 8; n++)
		{
			double		px[8],
						py[8],
						c[64],
						dem[8],
						load[8],
						rcost[8],
						total;
			int			perm[8],
						stops[8],
						rs[9],
						nr;
			double		cap = 10;
			int			maxv = (rep % 3 == 0) ? 0 : n;
			VrpOptions	opt;
			VrpStatus	st;

			for (int i = 0; i < n; i++)
			{
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				px[i] = (double) (rng >> 40) / 16777216.0 * 100;
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				py[i] = (double) (rng >> 40) / 16777216.0 * 100;
				rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
				dem[i] = i == 0 ? 0 : 1 + (double) ((rng >> 40) % 6);
			}
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					c[i * n + j] = (int) (sqrt((px[i] - px[j]) * (px[i] - px[j]) + (py[i] - py[j]) * (py[i] - py[j])) + 0.5);
			if (rep % 2)		/* asymmetric half: add a one-way surcharge */
				for (int i = 0; i < n; i++)
					for (int j = 0; j < n; j++)
					{
						rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
						if (i != j)
							c[i * n + j] += (double) ((rng >> 40) % 20);
					}
			for (int i = 0; i < n - 1; i++)
				perm[i] = i + 1;
			ex_best = INFINITY;
			ex_perm(n, c, dem, cap, maxv, perm, 0);
			vrp_default_options(&opt);
			st = vrp_solve(n, c, dem, cap, maxv, &opt, NULL, stops, rs, load, rcost, &nr, &total);
			cases++;
			if (st != VRP_OK || !check_solution(n, c, dem, cap, maxv, stops, rs, load, rcost, nr, total))
				badvalid++;
			else if (fabs(total - ex_best) > 1e-9)
			{
				bad++;
				printf("# n=%d got %g want %g\n", n, total, ex_best);
			}
		}
	printf("# %d random CVRP instances of 2..7 customers, half of them asymmetric\n", cases);
	ok(badvalid == 0, "small CVRP: valid solutions");
	ok(bad == 0, "small CVRP (symmetric and asymmetric): cost equals the exhaustive optimum");
}

static void
bad_input(void)
{
	double		c[9] = {0, 1, 1, 1, 0, 1, 1, 1, 0};
	double		dem[3] = {0, 5, 11};
	double		dem2[3] = {0, 6, 6};
	int			stops[3],
				rs[4],
				nr;
	double		load[3],
				rcost[3],
				total;
	VrpOptions	opt;

	vrp_default_options(&opt);
	ok(vrp_solve(3, c, dem, 10, 0, &opt, NULL, stops, rs, load, rcost, &nr, &total) == VRP_EINVAL,
	   "demand above capacity is rejected");
	ok(vrp_solve(3, c, dem2, 10, 1, &opt, NULL, stops, rs, load, rcost, &nr, &total) == VRP_INFEASIBLE,
	   "total demand above max_vehicles * capacity is infeasible");
	ok(vrp_solve(3, c, dem2, 10, 2, &opt, NULL, stops, rs, load, rcost, &nr, &total) == VRP_OK && nr == 2,
	   "two vehicles serve two customers of 6 with capacity 10");
	ok(vrp_solve(1, c, dem2, 10, 2, &opt, NULL, stops, rs, load, rcost, &nr, &total) == VRP_EINVAL,
	   "a depot alone is rejected");
}

static void
cancel(void)
{
	int			n = 1000;
	double	   *c = malloc(sizeof(double) * n * n),
			   *px = malloc(sizeof(double) * n),
			   *py = malloc(sizeof(double) * n),
			   *dem = malloc(sizeof(double) * n),
			   *load = malloc(sizeof(double) * n),
			   *rcost = malloc(sizeof(double) * n),
				total;
	int		   *stops = malloc(sizeof(int) * n),
			   *rs = malloc(sizeof(int) * (n + 1)),
				nr;
	TspEnv		env = {NULL, NULL, cancel_cb, NULL};
	VrpOptions	opt;
	uint64_t	rng = 99;
	struct timespec t0,
				t1;
	double		ms;

	for (int i = 0; i < n; i++)
	{
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		px[i] = (double) (rng >> 40);
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		py[i] = (double) (rng >> 40);
		dem[i] = i ? 1 + (double) (rng >> 60) : 0;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			c[i * n + j] = sqrt((px[i] - px[j]) * (px[i] - px[j]) + (py[i] - py[j]) * (py[i] - py[j]));
	vrp_default_options(&opt);
	opt.max_iterations = 100000000;
	cancel_after = 2000;
	ok(vrp_solve(n, c, dem, 50, 0, &opt, &env, stops, rs, load, rcost, &nr, &total) == VRP_CANCELLED,
	   "interrupt callback cancels a large CVRP run (memory freed: ASan)");
	opt.time_limit_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(vrp_solve(n, c, dem, 50, 0, &opt, NULL, stops, rs, load, rcost, &nr, &total) == VRP_OK &&
	   check_solution(n, c, dem, 50, 0, stops, rs, load, rcost, nr, total),
	   "time cap: a valid solution");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("# 999 customers, 300 ms cap: %.0f ms\n", ms);
	ok(ms < 3000, "time cap of 300 ms stops a 1000-node CVRP promptly");
	free(c);
	free(px);
	free(py);
	free(dem);
	free(load);
	free(rcost);
	free(stops);
	free(rs);
}

int
main(void)
{
	double		g = 0;

	small_exact();
	bad_input();
	g += augerat("A-n32-k5", 784, 5);
	g += augerat("A-n33-k5", 661, 5);
	g += augerat("A-n37-k6", 949, 6);
	g += augerat("A-n45-k7", 1146, 7);
	g += augerat("A-n80-k10", 1763, 10);
	printf("# Augerat A: mean gap %.2f%%\n", 100 * g / 5);
	ok(g / 5 <= 0.05, "Augerat set A: mean gap to the CVRPLIB optimum at most 5%");
	cancel();
	return done_testing();
}
