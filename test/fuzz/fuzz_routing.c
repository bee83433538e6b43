/*
 * fuzz_routing.c — libFuzzer target: tsp_solve and vrp_solve of
 * src/core/tsp.c and src/core/vrp.c on random cost matrices: symmetric or
 * not, ties, zeros, the largest cost allowed (TSP_MAX_COST), denormals,
 * open paths, demands up to the capacity, a vehicle limit.
 *
 * Input: a mode byte, n (3..30), then one byte per matrix entry choosing
 * its kind (0, TSP_MAX_COST, 5e-324, a raw double if it is a valid cost, or
 * a small whole number), demands and the capacity.  Run with -timeout: a
 * search over the budget (local search cycling on ties, say) is a finding.
 * Properties: a TSP_OK tour is a permutation starting at the start (ending
 * at the end of an open path) whose reported length is its cost; VRP_OK
 * routes visit every customer once, within the capacity and the vehicle
 * limit, and their costs add up to the total.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "tsp.h"
#include "vrp.h"
#include "fuzz_input.h"

#define FZ_MAXN 30

static double
cost_entry(FzIn *in)
{
	uint8_t		k = fz_u8(in);

	switch (k % 8)
	{
		case 0:
			return 0;
		case 1:
			return TSP_MAX_COST;
		case 2:
			return 5e-324;
		case 3:
			{
				double		v = fabs(fz_double(in));

				return v <= TSP_MAX_COST ? v : 1;
			}
		default:
			return (double) (k / 8);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FzIn		in = {data, size};
	uint8_t		mode = fz_u8(&in);
	int			n = 3 + fz_u8(&in) % (FZ_MAXN - 2),
				sym = mode & 1;
	double		c[FZ_MAXN * FZ_MAXN];
	int			seen[FZ_MAXN];

	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			c[i * n + j] = i == j ? 0 : (sym && j < i) ? c[j * n + i] : cost_entry(&in);

	if ((mode & 2) == 0)
	{
		TspOptions	opt;
		int			order[FZ_MAXN];
		double		len = -1;
		TspStatus	st;

		tsp_default_options(&opt);
		opt.start = fz_u8(&in) % n;
		opt.end = (mode & 4) ? (opt.start + 1 + fz_u8(&in) % (n - 1)) % n : -1;
		if ((mode & 24) != 24)
			opt.max_iterations = 50;	/* else (1 in 4) the default budget, as SQL uses */
		st = tsp_solve(n, c, &opt, NULL, order, &len, NULL);
		FZ_CHECK(st == TSP_OK, "tsp_solve succeeds on a valid matrix");
		memset(seen, 0, sizeof(seen));
		for (int i = 0; i < n; i++)
		{
			FZ_CHECK(order[i] >= 0 && order[i] < n && !seen[order[i]], "the tour is a permutation");
			seen[order[i]] = 1;
		}
		FZ_CHECK(order[0] == opt.start, "the tour starts at the start");
		FZ_CHECK(opt.end < 0 || order[n - 1] == opt.end, "an open path ends at its end");
		{
			double		want = tsp_order_cost(n, c, order, opt.end < 0);

			FZ_CHECK(fabs(len - want) <= 1e-9 * (fabs(want) + 1), "the reported length is the tour's cost");
		}
	}
	else
	{
		VrpOptions	opt;
		double		dem[FZ_MAXN],
					cap = 1 + fz_u8(&in) % 20,
					load[FZ_MAXN],
					rcost[FZ_MAXN],
					total = -1,
					sum = 0;
		int			stops[FZ_MAXN],
					rs[FZ_MAXN + 1],
					nroutes = 0,
					maxv = (mode & 4) ? 1 + fz_u8(&in) % n : 0;
		VrpStatus	st;

		vrp_default_options(&opt);
		if ((mode & 24) != 24)
			opt.max_iterations = 50;
		dem[0] = 0;
		for (int i = 1; i < n; i++)
		{
			uint8_t		k = fz_u8(&in);

			dem[i] = k % 4 == 0 ? cap : (double) (k % (int) (cap + 1));
		}
		st = vrp_solve(n, c, dem, cap, maxv, &opt, NULL, stops, rs, load, rcost, &nroutes, &total);
		FZ_CHECK(st == VRP_OK || st == VRP_INFEASIBLE, "vrp_solve status");
		if (st != VRP_OK)
			return 0;
		FZ_CHECK(maxv == 0 || nroutes <= maxv, "at most max_vehicles routes");
		memset(seen, 0, sizeof(seen));
		for (int r = 0; r < nroutes; r++)
		{
			double		l = 0;

			for (int k = rs[r]; k < rs[r + 1]; k++)
			{
				FZ_CHECK(stops[k] >= 1 && stops[k] < n && !seen[stops[k]], "each customer once");
				seen[stops[k]] = 1;
				l += dem[stops[k]];
			}
			FZ_CHECK(l <= cap * (1 + 1e-9) && fabs(l - load[r]) <= 1e-9 * (cap + 1), "loads within the capacity");
			sum += rcost[r];
		}
		for (int v = 1; v < n; v++)
			FZ_CHECK(seen[v], "every customer visited");
		FZ_CHECK(fabs(sum - total) <= 1e-9 * (fabs(total) + 1), "route costs add up to the total");
	}
	return 0;
}
