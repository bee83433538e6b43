/*
 * Unit tests of src/core/lifetime.c: special functions, BG/NBD and
 * Gamma-Gamma fits on CDNOW, predictions, CLV, RFM.
 *
 * Sources of the expected numbers (see also issue #5):
 *  - digamma / incomplete beta: closed forms (psi(1) = -gamma,
 *    psi(1/2) = -gamma - 2 ln 2, I_x(a,1) = x^a, I_1/2(a,a) = 1/2);
 *  - CDNOW fits: Fader, Hardie & Lee (2005) and lifetimes' tests
 *    (r 0.2426, alpha 4.4135, a 0.7929, b 2.4258, LL -9582.43;
 *    Gamma-Gamma p 6.2488, q 3.7446, v 15.4476);
 *  - predictions: lifetimes' test_estimation.py and the BTYD vignette;
 *  - the rest: consistency identities (sum of P(X(t)=n) = 1, its mean =
 *    E[X(t)], series = quadrature, finite differences = analytic gradient).
 */
#include <stdlib.h>
#include <string.h>

#include "lifetime.h"
#include "tap.h"

#define CDNOW "../../data/cdnow/cdnow_customers_summary_with_transactions.csv"

static LtPattern bg[4000],
			gg[4000];
static double zbar[4000];
static size_t ncust;

static int
load_cdnow(void)
{
	FILE	   *f = fopen(CDNOW, "r");
	char		line[256];

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
	{
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f) && ncust < 4000)
	{
		int			id;
		double		x,
					tx,
					T,
					z;

		if (sscanf(line, "%d,%lf,%lf,%lf,%lf", &id, &x, &tx, &T, &z) != 5)
			continue;
		bg[ncust] = (LtPattern) {x, tx, T, 1.0};
		gg[ncust] = (LtPattern) {x, z, 0.0, 1.0};
		zbar[ncust] = z;
		ncust++;
	}
	fclose(f);
	return 1;
}

static void
test_special(void)
{
	is_close(lt_digamma(1.0), -0.57721566490153286, 1e-13, 0, "digamma(1) = -Euler gamma");
	is_close(lt_digamma(0.5), -1.9635100260214235, 1e-13, 0, "digamma(1/2) = -gamma - 2 ln 2");
	is_close(lt_digamma(1e-8), -1e8 - 0.57721566490153286, 1e-13, 0, "digamma(1e-8) ~ -1/x - gamma");
	is_close(lt_digamma(1001.0) - lt_digamma(1000.0), 1.0 / 1000.0, 1e-10, 0, "digamma recurrence at 1000");
	is_close(lt_incbeta(0.3, 0.7, 2.5, 1.0), pow(0.3, 2.5), 1e-13, 0, "I_x(a,1) = x^a");
	is_close(lt_incbeta(0.5, 0.5, 7.3, 7.3), 0.5, 1e-13, 0, "I_1/2(a,a) = 1/2");
	is_close(lt_incbeta(0.9, 0.1, 1.0, 3.0), 1 - pow(0.1, 3), 1e-13, 0, "I_x(1,b) = 1-(1-x)^b");
}

static void
test_patterns(void)
{
	LtPattern	p[5] = {{2, 1, 5, 1}, {0, 0, 5, 1}, {2, 1, 5, 2}, {0, 0, 5, 1}, {1, 3, 5, 1}};
	size_t		n = lt_patterns_compact(p, 5);

	ok(n == 3, "compact merges identical patterns (5 rows -> 3 patterns)");
	ok(p[0].x == 0 && p[0].w == 2 && p[2].x == 2 && p[2].w == 3, "weights are summed");

	/* the hash set: 3000 rows over 1000 distinct patterns, grown from 64 slots */
	{
		LtPatternSet s;
		LtPattern  *dense;
		size_t		slots = 64;
		int			grown = 0;
		double		wsum = 0;
		size_t		n;

		s.tab = calloc(slots, sizeof(LtPattern));
		s.n = 0;
		s.mask = slots - 1;
		for (int i = 0; i < 3000; i++)
		{
			int			k = (i * 7) % 1000;

			while (lt_set_add(&s, k % 10, (k / 10) * 0.5, k == 0 ? -0.0 : 60.0, 1.0))
			{
				LtPattern  *old = s.tab;

				grown++;
				slots *= 2;
				s.tab = calloc(slots, sizeof(LtPattern));
				s.n = 0;
				s.mask = slots - 1;
				lt_set_move(&s, old, slots / 2);
				free(old);
			}
		}
		dense = malloc(s.n * sizeof(LtPattern));
		n = lt_set_collect(&s, dense);
		for (size_t i = 0; i < n; i++)
			wsum += dense[i].w;
		ok(n == 1000 && wsum == 3000 && grown == 5, "pattern set: 1000 distinct of 3000 rows, weights kept across growth");
		ok(lt_set_add(&s, 0, 0, 0.0, 1.0) == 0 && s.n == 1000, "pattern set: -0 and +0 are the same pattern");
		free(dense);
		free(s.tab);
	}
}

static void
test_bgnbd(void)
{
	LtPattern  *work = malloc(sizeof(LtPattern) * ncust);
	size_t		n;
	BgnbdFit	fit;
	BgnbdParams p,
				q;
	double		g[4],
				ll0,
				llw;
	int			rc;

	memcpy(work, bg, sizeof(LtPattern) * ncust);
	n = lt_patterns_compact(work, ncust);
	ok(n < ncust, "CDNOW has repeated (x, t_x, T) patterns");
	rc = bgnbd_fit(work, n, &fit, NULL);
	ok(rc == 0 && fit.converged, "BG/NBD fit on CDNOW converges");
	is_close(fit.p.r, 0.2426, 1e-3, 0, "r = 0.2426 (FHL 2005: 0.243)");
	is_close(fit.p.alpha, 4.4135, 1e-3, 0, "alpha = 4.4135 (FHL 2005: 4.414)");
	is_close(fit.p.a, 0.7929, 1e-3, 0, "a = 0.7929 (FHL 2005: 0.793)");
	is_close(fit.p.b, 2.4258, 1e-3, 0, "b = 2.4258 (FHL 2005: 2.426)");
	is_close(fit.log_likelihood, -9582.43, 0, 0.01, "LL = -9582.43 (FHL 2005: -9582.4)");
	ok(fit.n == 2357, "n = 2357 customers");
	/* weights: same LL on the compacted and the raw data */
	ll0 = bgnbd_loglik(&fit.p, bg, ncust, NULL);
	llw = bgnbd_loglik(&fit.p, work, n, NULL);
	is_close(llw, ll0, 1e-12, 0, "weighted LL equals the LL over all customers");
	{
		/* the per-frequency cache does not depend on the order of the patterns */
		LtPattern  *rev = malloc(sizeof(LtPattern) * n);
		double		g1[4],
					g2[4];

		for (size_t i = 0; i < n; i++)
			rev[i] = work[n - 1 - i];
		rev[0].x += 600;		/* and one frequency beyond the cache */
		work[n - 1].x += 600;
		is_close(bgnbd_loglik(&fit.p, rev, n, g1), bgnbd_loglik(&fit.p, work, n, g2), 1e-12, 0,
				 "LL independent of pattern order (cached and uncached frequencies)");
		is_close(g1[3], g2[3], 1e-10, 1e-10, "gradient independent of pattern order");
		work[n - 1].x -= 600;
		free(rev);
	}

	/* analytic gradient against central differences */
	p = (BgnbdParams) {0.3, 5.0, 0.7, 2.0};
	bgnbd_loglik(&p, work, n, g);
	for (int i = 0; i < 4; i++)
	{
		double		h = 1e-6,
					fd;
		char		name[64];

		q = p;
		((double *) &q)[i] += h;
		fd = bgnbd_loglik(&q, work, n, NULL);
		q = p;
		((double *) &q)[i] -= h;
		fd = (fd - bgnbd_loglik(&q, work, n, NULL)) / (2 * h);
		snprintf(name, sizeof(name), "BG/NBD gradient component %d = finite difference", i);
		is_close(g[i], fd, 1e-5, 1e-4, name);
	}

	/* analytic Hessian against central differences of the analytic gradient */
	{
		double		H[16],
					g0[4],
					gp[4],
					gm[4];

		p = (BgnbdParams) {0.3, 5.0, 0.7, 2.0};
		bgnbd_loglik_hess(&p, work, n, g0, H);
		for (int j = 0; j < 4; j++)
		{
			double		h = 1e-6 * ((double *) &p)[j];
			char		name[80];
			double		maxerr = 0,
						maxh = 0;

			q = p;
			((double *) &q)[j] += h;
			bgnbd_loglik(&q, work, n, gp);
			q = p;
			((double *) &q)[j] -= h;
			bgnbd_loglik(&q, work, n, gm);
			for (int i = 0; i < 4; i++)
			{
				double		fd = (gp[i] - gm[i]) / (2 * h);

				if (fabs(fd - H[i * 4 + j]) > maxerr)
					maxerr = fabs(fd - H[i * 4 + j]);
				if (fabs(fd) > maxh)
					maxh = fabs(fd);
			}
			snprintf(name, sizeof(name), "BG/NBD Hessian column %d = finite differences of the gradient", j);
			ok(maxerr <= 1e-5 * maxh + 1e-3, name);
			if (maxerr > 1e-5 * maxh + 1e-3)
				printf("#   max error %g, max entry %g\n", maxerr, maxh);
		}
	}

	p = fit.p;
	/* lifetimes test_estimation.py, BetaGeoFitter on the CDNOW summary */
	is_close(bgnbd_expected(&p, 39, 2, 30.43, 38.86), 1.226, 0, 0.001,
			 "E[Y(39) | 2, 30.43, 38.86] = 1.226 (lifetimes)");
	{
		double		t[] = {0.1429, 1, 3, 31.8571, 32, 78};
		double		want[] = {0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576};

		for (int i = 0; i < 6; i++)
		{
			char		name[80];

			snprintf(name, sizeof(name), "E[X(%g)] new customer = %g (lifetimes)", t[i], want[i]);
			is_close(bgnbd_expected_new(&p, t[i]), want[i], 0, 0.0005, name);
		}
	}
	ok(bgnbd_p_alive(&p, 0, 1, 1) == 1.0, "P(alive | x=0) is exactly 1");
	ok(bgnbd_p_alive(&p, 1000, 10, 100) == 0.0, "P(alive | 1000, 10, 100) is exactly 0");
	ok(bgnbd_expected(&p, 52, 1000, 10, 100) == 0.0, "E[Y] for a surely dead customer is 0");

	/* series and quadrature agree (z around 0.5 and 0.9) */
	for (int x = 0; x <= 40; x += 10)
	{
		char		name[80];
		double		s = bgnbd_expected(&p, 39, x, 30, 38.86),
					qd = bgnbd_expected_quad(&p, 39, x, 30, 38.86);

		snprintf(name, sizeof(name), "series = quadrature at x=%d, t=39", x);
		is_close(s, qd, 1e-9, 1e-15, name);
		s = bgnbd_expected(&p, 350, x, 30, 38.86);
		qd = bgnbd_expected_quad(&p, 350, x, 30, 38.86);
		snprintf(name, sizeof(name), "series = quadrature at x=%d, t=350", x);
		is_close(s, qd, 1e-9, 1e-15, name);
	}
	/* a + b < 1 (lifetimes: NaN), issue #5 */
	q = (BgnbdParams) {0.2429, 4.4324, 0.2856, 0.6585};
	is_close(bgnbd_expected(&q, 39, 0, 0, 38.86), 0.192478, 1e-5, 0, "a+b<1: E[Y(39) | 0, 0, 38.86] = 0.192478");
	is_close(bgnbd_expected(&q, 39, 0, 0, 38.86), bgnbd_expected_quad(&q, 39, 0, 0, 38.86), 1e-9, 0,
			 "a+b<1: series = quadrature");
	/* a = 1 exactly: removable singularity */
	q = (BgnbdParams) {0.5, 4.0, 1.0, 2.0};
	is_close(bgnbd_expected(&q, 20, 3, 10, 30), bgnbd_expected_quad(&q, 20, 3, 10, 30), 1e-9, 0,
			 "a = 1: series = quadrature, finite");
	/* huge frequency stays finite */
	ok(isfinite(bgnbd_expected(&p, 52, 1e6, 99, 100)), "x = 1e6: expected purchases finite");
	ok(isfinite(bgnbd_expected(&p, 1e7, 5, 30, 40)), "horizon 1e7: expected purchases finite");

	/* P(X(t) = n): sums to 1, mean = E[X(t)] */
	{
		double		s = 0,
					m = 0;

		for (int k = 0; k < 3000; k++)
		{
			double		pk = bgnbd_prob_n(&p, k, 39);

			s += pk;
			m += k * pk;
		}
		is_close(s, 1.0, 1e-10, 0, "sum_n P(X(39)=n) = 1");
		is_close(m, bgnbd_expected_new(&p, 39), 1e-8, 0, "sum_n n P(X(39)=n) = E[X(39)]");
	}

	/* degenerate: nobody repeats -> no interior maximum */
	{
		LtPattern	d[2] = {{0, 0, 10, 5}, {0, 0, 20, 5}};

		rc = bgnbd_fit(d, 2, &fit, NULL);
		ok(rc == 0 && !fit.converged && isfinite(fit.log_likelihood),
		   "no repeat purchases: converged = false, finite log-likelihood");
	}
	free(work);
}

static void
test_gg(void)
{
	GgFit		fit;
	GgParams	p = {6.25, 3.74, 15.44};
	double		want[] = {24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17};
	int			rc = gg_fit(gg, ncust, &fit, NULL);
	double		clv1,
				bgll;
	BgnbdFit	bf;

	ok(rc == 0 && fit.converged, "Gamma-Gamma fit on CDNOW converges");
	ok(fit.n == 946, "fitted on the 946 repeat buyers");
	is_close(fit.p.p, 6.2488, 1e-3, 0, "p = 6.2488 (Hardie note 025: 6.25)");
	is_close(fit.p.q, 3.7446, 1e-3, 0, "q = 3.7446 (Hardie note 025: 3.74)");
	is_close(fit.p.v, 15.4476, 1e-3, 0, "v = 15.4476 (Hardie note 025: 15.44)");
	for (int i = 0; i < 10; i++)
	{
		char		name[80];

		snprintf(name, sizeof(name), "expected spend customer %d = %.2f (lifetimes)", i + 1, want[i]);
		is_close(gg_expected(&p, gg[i].x, zbar[i]), want[i], 0, 0.1, name);
	}
	/* CLV of customer 1 (issue #5: 36.278 from the published formulas) */
	rc = bgnbd_fit(bg, ncust, &bf, NULL);
	bgll = bf.log_likelihood;
	(void) bgll;
	clv1 = lt_clv(&bf.p, &fit.p, 2, 30.43, 38.86, 22.35, 12, 0.01, 4.345, NULL);
	is_close(clv1, 36.278, 0, 0.01, "CLV customer 1, 12 months = 36.278");
}

static void
test_rfm(void)
{
	/* two purchases on day 10 (merged), one on day 17, one on day 31, one after as_of */
	LtPurchase	p[5] = {{10, 5}, {17, 20}, {10, 7}, {31, 10}, {50, 99}};
	LtRfm		r;
	size_t		n = lt_rfm(p, 5, 40, &r);

	ok(n == 3 && r.frequency == 2, "rfm: same-day purchases merge, later ones ignored");
	ok(r.recency == 21 && r.t == 30, "rfm: recency = last - first, t = as_of - first");
	is_close(r.monetary, 15.0, 1e-15, 0, "rfm: monetary = mean of the repeat days' totals");
	n = lt_rfm(p, 0, 40, &r);
	ok(n == 0, "rfm: no purchase, no summary");
}

int
main(void)
{
	test_special();
	test_patterns();
	if (ok(load_cdnow() && ncust == 2357, "CDNOW summary loaded (2357 customers)"))
	{
		test_bgnbd();
		test_gg();
	}
	test_rfm();
	return done_testing();
}
