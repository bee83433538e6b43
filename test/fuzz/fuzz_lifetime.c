/*
 * fuzz_lifetime.c — libFuzzer target: the customer-lifetime kernels of
 * src/core/lifetime.c (BG/NBD and Gamma-Gamma fits, predictions, CLV, RFM)
 * on inputs a client can send: any doubles the SQL layer accepts (finite,
 * frequency a whole number, recency <= t, ...), extremes included.
 *
 * Input: a mode byte, then doubles (fuzz_input.h).
 *   mode % 4 == 0  BG/NBD fit of up to 24 customers (x, t_x, T), then its
 *                  predictions
 *   mode % 4 == 1  BG/NBD predictions for model parameters from the input
 *   mode % 4 == 2  Gamma-Gamma fit of up to 24 (x, m), then its predictions
 *   mode % 4 == 3  RFM summary of up to 32 purchases (day, amount)
 *
 * Run with -timeout: any input over the time budget is a finding (the
 * issue's hangs took for ever on a handful of customers).  Properties
 * beyond "no crash, no sanitizer report, no timeout": a fit that returns
 * LT_FIT_OK has finite positive parameters and a finite log-likelihood;
 * P(alive) is in [0, 1]; expectations and probabilities are never
 * negative; P(X(t) = n) <= 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "lifetime.h"
#include "fuzz_input.h"

static void
predictions(const BgnbdParams *p, FzIn *in, const LtPattern *pat, size_t n)
{
	double		t = fabs(fz_double(in));

	if (!isfinite(t))
		t = 52;
	/* two customers: an expectation may integrate (~30 ms, ~100 ms under ASan) */
	for (size_t i = 0; i < n && i < 2; i++)
	{
		double		pa = bgnbd_p_alive(p, pat[i].x, pat[i].tx, pat[i].T),
					e = bgnbd_expected(p, t, pat[i].x, pat[i].tx, pat[i].T);

		if (!(pa >= 0 && pa <= 1))
			fprintf(stderr, "r %.17g alpha %.17g a %.17g b %.17g; x %.17g tx %.17g T %.17g: P(alive) %.17g\n",
					p->r, p->alpha, p->a, p->b, pat[i].x, pat[i].tx, pat[i].T, pa);
		FZ_CHECK(pa >= 0 && pa <= 1, "P(alive) in [0, 1]");
		FZ_CHECK(!(e < 0), "expected purchases not negative");
	}
	{
		double		en = bgnbd_expected_new(p, t);

		if (en < 0)
			fprintf(stderr, "r %.17g alpha %.17g a %.17g b %.17g t %.17g: E[X(t)] %.17g\n",
					p->r, p->alpha, p->a, p->b, t, en);

		FZ_CHECK(!(en < 0), "expected purchases of a new customer not negative");
	}
	for (int k = 0; k < 4; k++)
	{
		double		nn = (double) (fz_u8(in) % 64),
					pn = bgnbd_prob_n(p, nn, t);

		if (!(!(pn < 0) && !(pn > 1 + 1e-9)))
			fprintf(stderr, "r %.17g alpha %.17g a %.17g b %.17g t %.17g n %g: P %.17g\n",
					p->r, p->alpha, p->a, p->b, t, nn, pn);

		FZ_CHECK(!(pn < 0) && !(pn > 1 + 1e-9), "P(X(t) = n) in [0, 1]");
	}
}

static size_t
read_customers(FzIn *in, LtPattern *pat, size_t max)
{
	size_t		n = 0,
				want = fz_u8(in) % (max + 1);

	for (size_t i = 0; i < want && in->left > 0; i++)
	{
		double		x = fz_double(in),
					tx = fz_double(in),
					T = fz_double(in);

		/* what bgnbd_fit_trans accepts (it errors on the rest) */
		if (bgnbd_check_customer(x, tx, T) != LT_OK)
			continue;
		pat[n++] = (LtPattern) {x, tx, T, 1.0};
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FzIn		in = {data, size};
	LtPattern	pat[32];
	size_t		n;

	switch (fz_u8(&in) % 4)
	{
		case 0:
			{
				BgnbdFit	fit;
				int			rc;

				n = read_customers(&in, pat, 24);
				n = lt_patterns_compact(pat, n);
				rc = bgnbd_fit(pat, n, &fit, NULL);
				FZ_CHECK(rc == LT_FIT_OK || rc == LT_FIT_EMPTY || rc == LT_FIT_NOT_FINITE, "bgnbd_fit status");
				if (rc == LT_FIT_OK)
				{
					FZ_CHECK(bgnbd_check_params(&fit.p) == LT_OK, "fitted BG/NBD parameters finite and positive");
					FZ_CHECK(isfinite(fit.log_likelihood), "fitted BG/NBD log-likelihood finite");
					predictions(&fit.p, &in, pat, n);
				}
				break;
			}
		case 1:
			{
				BgnbdParams p;

				p.r = fz_double(&in);
				p.alpha = fz_double(&in);
				p.a = fz_double(&in);
				p.b = fz_double(&in);
				if (bgnbd_check_params(&p) != LT_OK)
					break;
				n = read_customers(&in, pat, 4);
				predictions(&p, &in, pat, n);
				break;
			}
		case 2:
			{
				GgFit		fit;
				GgParams	q;
				int			rc;
				size_t		want = fz_u8(&in) % 25;

				n = 0;
				for (size_t i = 0; i < want && in.left > 0; i++)
				{
					double		x = fz_double(&in),
								m = fz_double(&in);

					/* gamma_gamma_fit_trans: checked, whole, frequency 0 skipped */
					if (gg_check_customer(x, m) != LT_OK || x != floor(x) || x == 0)
						continue;
					pat[n++] = (LtPattern) {x, m, 0.0, 1.0};
				}
				n = lt_patterns_compact(pat, n);
				rc = gg_fit(pat, n, &fit, NULL);
				FZ_CHECK(rc == LT_FIT_OK || rc == LT_FIT_EMPTY || rc == LT_FIT_NOT_FINITE, "gg_fit status");
				if (rc != LT_FIT_OK)
					break;
				FZ_CHECK(gg_check_params(&fit.p) == LT_OK, "fitted Gamma-Gamma parameters finite and positive");
				q = fit.p;
				for (size_t i = 0; i < n && i < 4; i++)
				{
					double		e = gg_expected(&q, pat[i].x, pat[i].tx);

					FZ_CHECK(!(e < 0), "expected spend not negative");
				}
				/* CLV with a model from the input, a few months */
				{
					BgnbdParams p = {fz_double(&in), fz_double(&in), fz_double(&in), fz_double(&in)};
					double		d = fabs(fz_double(&in)),
								u = fabs(fz_double(&in));

					if (n > 0 && bgnbd_check_params(&p) == LT_OK && isfinite(d) && isfinite(u) && u > 0)
					{
						double		clv = lt_clv(&p, &q, pat[0].x, 0, pat[0].x, pat[0].tx,
												 1 + fz_u8(&in) % 6, d, u, NULL);

						(void) clv;	/* NaN or infinite is turned into an ERROR by the SQL layer */
					}
				}
				break;
			}
		default:
			{
				LtPurchase	p[32];
				LtRfm		r;
				int			as_of = (int) (fz_u32(&in) % 100000);
				size_t		want = fz_u8(&in) % 33;

				n = 0;
				for (size_t i = 0; i < want && in.left > 0; i++)
				{
					double		a = fz_double(&in);

					if (!isfinite(a))
						continue;	/* rfm_summary_trans rejects it */
					p[n].day = (int) (fz_u32(&in) % 100000);
					p[n].amount = a;
					n++;
				}
				(void) lt_rfm(p, n, as_of, &r);
				FZ_CHECK(r.frequency >= 0 && r.recency >= 0 && r.recency <= r.t, "RFM summary consistent");
				break;
			}
	}
	return 0;
}
