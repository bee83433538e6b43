/*
 * fuzz_reorder.c — libFuzzer target: the inventory math of
 * src/core/reorder.c (normal distribution, loss functions and their
 * inverse, safety stock, EOQs, forecasts, demand classification) with
 * arguments from the input, extremes included.
 *
 * Input: doubles (fuzz_input.h).  Properties beyond "no crash, no sanitizer
 * report, no timeout (-timeout)": for a finite z, Phi(z) in [0, 1] and the
 * loss functions are not negative and not NaN; the quantile of a
 * probability strictly inside (0, 1) is finite and Phi of it is close to p;
 * the loss inverse of a finite positive target is not NaN; a status RO_OK
 * comes with a result that is not NaN; a classified series has
 * demand_periods <= periods.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "reorder.h"
#include "fuzz_input.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FzIn		in = {data, size};
	double		z = fz_double(&in),
				pr = fz_double(&in),
				args[6],
				out = 0;
	ReorderStatus st;

	if (isfinite(z))
	{
		double		c = ro_normal_cdf(z),
					l = ro_normal_loss(z),
					l2 = ro_normal_loss2(z);

		FZ_CHECK(c >= 0 && c <= 1, "Phi(z) in [0, 1]");
		FZ_CHECK(l >= 0, "L(z) >= 0 and not NaN");
		FZ_CHECK(l2 >= 0, "L2(z) >= 0 and not NaN");
		if (z > 0)
		{
			double		zi = ro_normal_loss_inverse(z);

			FZ_CHECK(!isnan(zi), "L^-1(target) not NaN");
		}
	}
	if (pr > 0 && pr < 1)
	{
		double		q = ro_normal_quantile(pr);

		FZ_CHECK(isfinite(q), "quantile of p in (0, 1) finite");
		FZ_CHECK(fabs(ro_normal_cdf(q) - pr) <= 1e-9 * pr + 1e-300 || pr < 1e-300 || 1 - pr < 1e-15,
				 "Phi(quantile(p)) = p");
	}
	for (int i = 0; i < 6; i++)
		args[i] = fz_double(&in);
	st = ro_safety_stock(args[0], args[1], args[2], args[3], args[4], &out);
	FZ_CHECK(st != RO_OK || !isnan(out), "safety stock not NaN");
	st = ro_reorder_point(args[0], args[1], args[2], args[3], args[4], &out);
	FZ_CHECK(st != RO_OK || !isnan(out), "reorder point not NaN");
	st = ro_safety_stock_fill_rate(args[0], args[5], args[1], args[2], args[3], args[4], &out);
	FZ_CHECK(st != RO_OK || !isnan(out), "fill-rate safety stock not NaN");
	st = ro_eoq(args[0], args[1], args[2], &out);
	FZ_CHECK(st != RO_OK || !isnan(out), "EOQ not NaN");
	st = ro_eoq_backorder(args[0], args[1], args[2], args[3], &out);
	FZ_CHECK(st != RO_OK || !isnan(out), "EOQ with backorders not NaN");
	st = ro_eoq_production(args[0], args[1], args[2], args[3], &out);
	FZ_CHECK(st != RO_OK || !isnan(out), "EPQ not NaN");

	/* a series and its forecasts */
	{
		double		y[256],
					alpha = fz_double(&in),
					beta = fz_double(&in);
		size_t		n = 0,
					want = fz_u8(&in),
					bad;
		int			m = fz_u8(&in) % 5;
		DemandProfile prof;

		for (size_t i = 0; i < want && in.left > 0; i++)
		{
			uint8_t		k = fz_u8(&in);

			/* small whole numbers mostly (demand), raw doubles sometimes */
			y[n++] = k < 200 ? (double) (k % 12) : fz_double(&in);
		}
		if (ro_check_series(y, n, 1, &bad) == RO_OK)
		{
			st = ro_intermittent(y, n, m < 3 ? (ReorderMethod) m : RO_SBA, alpha, beta, &out);
			FZ_CHECK(st != RO_OK || !isnan(out), "intermittent forecast not NaN");
			if (ro_classify(y, n, &prof) == RO_OK)
				FZ_CHECK(prof.demand_periods <= prof.periods && prof.periods == n, "profile counts");
		}
		if (ro_check_series(y, n, 0, &bad) == RO_OK)
		{
			st = ro_ses(y, n, alpha, &out);
			(void) st;			/* overflow to Infinity is an ERROR in the SQL layer */
			st = ro_holt(y, n, alpha, beta, &out);
			(void) st;
		}
	}
	return 0;
}
