/*
 * Unit tests of src/core/moments.c.  Every expectation names its source:
 *  - the running moments against a two-pass computation in long double on
 *    the same data (an independent method: no running update at all);
 *  - the sample variance of 2,4,4,4,5,5,7,9 (32/7; the textbook example of
 *    the standard deviation, population variance 4);
 *  - the bias of the weighted estimators on seeded lognormal lead times
 *    (mean 10 days, CV 0.4; issue #18): the true mean and sd are the
 *    parameters themselves;
 *  - weighted quantiles against a brute-force definition (for each
 *    candidate value, the weight at or below it) and R's quantile(type = 1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "moments.h"
#include "tap.h"

/* splitmix64: a seeded generator, the same stream on every platform */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double
rng_unif(void)					/* (0, 1) */
{
	return ((double) (rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

static double
rng_normal(void)				/* Box-Muller */
{
	return sqrt(-2.0 * log(rng_unif())) * cos(6.283185307179586 * rng_unif());
}

/* two-pass weighted mean and reliability-weighted variance in long double */
static void
two_pass(const double *x, const double *w, int n, double *mean, double *var)
{
	long double sw = 0,
				sw2 = 0,
				sx = 0,
				m,
				ss = 0;

	for (int i = 0; i < n; i++)
	{
		sw += w[i];
		sw2 += (long double) w[i] * w[i];
		sx += (long double) w[i] * x[i];
	}
	m = sx / sw;
	for (int i = 0; i < n; i++)
		ss += w[i] * (x[i] - m) * (x[i] - m);
	*mean = (double) m;
	*var = (double) (ss / (sw - sw2 / sw));
}

static void
test_textbook(void)
{
	const double x[8] = {2, 4, 4, 4, 5, 5, 7, 9};
	WMoments	m;

	wm_init(&m);
	for (int i = 0; i < 8; i++)
		wm_add(&m, x[i], 1);
	is_close(m.mean, 5, 0, 1e-15, "mean of 2,4,4,4,5,5,7,9 = 5");
	is_close(wm_var(&m), 32.0 / 7, 1e-15, 0, "sample variance 32/7 (n - 1)");
	is_close(m.m2 / m.w, 4, 1e-15, 0, "population variance 4");
	is_close(wm_neff(&m), 8, 1e-15, 0, "equal weights: n_eff = n");
	/* weight 2 on a value = the value twice, for the mean */
	wm_init(&m);
	wm_add(&m, 1, 2);
	wm_add(&m, 4, 1);
	is_close(m.mean, 2, 1e-15, 0, "weights: (2*1 + 4)/3 = 2");
	is_close(m.m2, 2 * 1 + 1 * 4, 1e-15, 0, "M2 = 2 (1-2)^2 + (4-2)^2 = 6");
	/* reliability weights: W - sum w^2 / W = 3 - 5/3 = 4/3 */
	is_close(wm_var(&m), 6 / (4.0 / 3), 1e-15, 0, "variance M2 / (W - sum w^2 / W)");
	wm_init(&m);
	wm_add(&m, 3, 5);
	ok(isnan(wm_var(&m)), "one observation: variance undefined (NaN)");
	ok(wm_add(&m, NAN, 1) == WM_NOT_FINITE && wm_add(&m, 1, INFINITY) == WM_NOT_FINITE,
	   "NaN or infinity rejected");
	ok(wm_add(&m, 1, 0) == WM_BAD_WEIGHT && wm_add(&m, 1, -2) == WM_BAD_WEIGHT,
	   "a weight <= 0 rejected");
	ok(m.n == 1 && m.w == 5, "rejected values leave the moments unchanged");
}

/* running = two-pass on random histories, also far from zero */
static void
test_two_pass(void)
{
	int			worst_mean_ok = 1,
				worst_var_ok = 1,
				merge_ok = 1;
	double		worst = 0;

	rng_state = 18;
	for (int run = 0; run < 500; run++)
	{
		int			n = 2 + (int) (rng_next() % 400);
		double		scale = (run % 3 == 0) ? 1 : (run % 3 == 1) ? 1e-3 : 10;
		/* means up to 1e4 standard deviations from 0 (lead times: ~1-100) */
		double		offset = scale * ((run % 5 == 0) ? 1e4 : (run % 5 == 1) ? -1e3 : 0);
		double	   *x = malloc(sizeof(double) * n),
				   *w = malloc(sizeof(double) * n);
		double		mean,
					var;
		WMoments	m,
					a,
					b;
		int			cut = (int) (rng_next() % n);

		wm_init(&m);
		wm_init(&a);
		wm_init(&b);
		for (int i = 0; i < n; i++)
		{
			x[i] = offset + scale * rng_normal();
			w[i] = (run % 4 == 0) ? 1 : 1 + (double) (rng_next() % 1000) / 7;
			wm_add(&m, x[i], w[i]);
			wm_add(i < cut ? &a : &b, x[i], w[i]);
		}
		two_pass(x, w, n, &mean, &var);
		if (fabs(m.mean - mean) > 1e-12 * fmax(fabs(mean), scale))
			worst_mean_ok = 0;
		if (fabs(wm_var(&m) - var) > 1e-9 * var)
			worst_var_ok = 0;
		worst = fmax(worst, fabs(wm_var(&m) - var) / var);
		wm_merge(&a, &b);
		if (a.n != m.n || fabs(a.w - m.w) > 1e-12 * m.w ||
			fabs(a.mean - m.mean) > 1e-12 * fmax(fabs(m.mean), scale) ||
			fabs(wm_var(&a) - wm_var(&m)) > 1e-9 * wm_var(&m))
			merge_ok = 0;
		free(x);
		free(w);
	}
	ok(worst_mean_ok, "500 random histories: running mean = two-pass mean (1e-12; means up to 1e4 sd)");
	if (!ok(worst_var_ok, "running variance = two-pass variance within 1e-9 relative"))
		printf("#   worst relative error %.3g\n", worst);
	ok(merge_ok, "moments of two halves merged (Chan) = moments of the whole");
}

/*
 * Issue #18: lognormal lead times with mean 10 days and CV 0.4, 200 runs of
 * 100 receipts with random quantities as weights; the average estimate
 * over the runs is within 1 % (mean) and 3 % (sd) of the truth.
 */
static void
test_lognormal_bias(void)
{
	const double mu = 10,
				cv = 0.4;
	double		s2 = log(1 + cv * cv),
				lm = log(mu) - s2 / 2,
				sum_mean = 0,
				sum_sd = 0;

	rng_state = 20240918;
	for (int run = 0; run < 200; run++)
	{
		WMoments	m;

		wm_init(&m);
		for (int i = 0; i < 100; i++)
			wm_add(&m, exp(lm + sqrt(s2) * rng_normal()), 1 + (double) (rng_next() % 100));
		sum_mean += m.mean;
		sum_sd += wm_sd(&m);
	}
	{
		double		bm = (sum_mean / 200 - mu) / mu,
					bs = (sum_sd / 200 - mu * cv) / (mu * cv);
		char		name[128];

		snprintf(name, sizeof(name), "lognormal(10, CV 0.4), 200 x 100 weighted receipts: bias of the mean %.3f %% (<= 1 %%)", 100 * bm);
		ok(fabs(bm) <= 0.01, name);
		snprintf(name, sizeof(name), "bias of the sd %.3f %% (<= 3 %%)", 100 * bs);
		ok(fabs(bs) <= 0.03, name);
	}
}

/* the brute-force definition: the smallest value whose weight at or below reaches q W */
static double
brute_quantile(const double *x, const double *w, int n, double q)
{
	double		total = 0,
				best = INFINITY;

	for (int i = 0; i < n; i++)
		total += w[i];
	for (int i = 0; i < n; i++)
	{
		double		below = 0;

		for (int j = 0; j < n; j++)
			if (x[j] <= x[i])
				below += w[j];
		if (below >= q * total && x[i] < best)
			best = x[i];
	}
	return best;
}

static void
test_quantiles(void)
{
	WqItem		it[10];
	double		qs[3] = {0.5, 0.9, 0},
				out[3];
	int			all_ok = 1;

	/* R: quantile(1:10, c(0.5, 0.9, 0), type = 1) = 5, 9, 1 */
	for (int i = 0; i < 10; i++)
	{
		it[i].x = 10 - i;
		it[i].w = 1;
	}
	ok(wq_quantiles(it, 10, qs, 3, out) == WM_OK, "quantiles of 1..10");
	ok(out[0] == 5 && out[1] == 9 && out[2] == 1, "p50 = 5, p90 = 9, p0 = 1 (R quantile type 1)");
	/* weights: value 1 weight 3, value 2 weight 1: p50 = 1, p90 = 2 */
	it[0].x = 2;
	it[0].w = 1;
	it[1].x = 1;
	it[1].w = 3;
	wq_quantiles(it, 2, qs, 2, out);
	ok(out[0] == 1 && out[1] == 2, "weights 3 on 1, 1 on 2: p50 = 1, p90 = 2");
	it[0].x = NAN;
	ok(wq_quantiles(it, 2, qs, 2, out) == WM_NOT_FINITE, "NaN value rejected");
	it[0].x = 1;
	it[0].w = 0;
	ok(wq_quantiles(it, 2, qs, 2, out) == WM_BAD_WEIGHT, "weight 0 rejected");
	ok(wq_quantiles(it, 0, qs, 2, out) == WM_OK && isnan(out[0]), "no values: NaN");

	rng_state = 7;
	for (int run = 0; run < 300; run++)
	{
		int			n = 1 + (int) (rng_next() % 60);
		double	   *x = malloc(sizeof(double) * n),
				   *w = malloc(sizeof(double) * n);
		WqItem	   *items = malloc(sizeof(WqItem) * n);
		double		q[5] = {0, 0.1, 0.5, 0.9, 1},
					got[5];

		for (int i = 0; i < n; i++)
		{
			x[i] = (double) (rng_next() % 20) - 5;	/* ties on purpose */
			w[i] = 1 + (double) (rng_next() % 9);
			items[i].x = x[i];
			items[i].w = w[i];
		}
		wq_quantiles(items, n, q, 5, got);
		for (int k = 0; k < 5; k++)
			if (got[k] != brute_quantile(x, w, n, q[k]))
				all_ok = 0;
		free(x);
		free(w);
		free(items);
	}
	ok(all_ok, "300 random weighted samples with ties: quantiles = the brute-force definition");
}

static void
test_shrink(void)
{
	is_close(wm_shrink(10, 12, 5, 7), (10 * 12 + 5 * 7) / 15.0, 1e-15, 0, "(n x + k L0)/(n + k)");
	ok(wm_shrink(0, 12, 5, 7) == 7, "no observations: the prior");
	ok(wm_shrink(3, 12, 0, 7) == 12, "k = 0: the sample value");
	ok(wm_shrink(3, NAN, 5, 7) == 7, "undefined statistic: the prior");
}

int
main(void)
{
	test_textbook();
	test_two_pass();
	test_lognormal_bias();
	test_quantiles();
	test_shrink();
	return done_testing();
}
