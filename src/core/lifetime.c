/*
 * lifetime.c — customer lifetime models in plain C.
 *
 * BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy
 * way", Marketing Science 24(2), equations (6) likelihood, (8) P(X(t)=x),
 * (9) E[X(t)], (10) conditional expectation, and Hardie's note
 * "Computing P(alive) using the BG/NBD model".
 * Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value
 * curves", and Hardie's note 025.
 *
 * Numerics:
 *  - the likelihood is evaluated in log space (log-sum-exp of the two
 *    terms), with the x-only terms (log-gammas, digammas) computed once per
 *    distinct frequency; patterns are (x, tx, T, weight) so customers with
 *    identical summaries cost one evaluation;
 *  - the Gauss hypergeometric function of the conditional expectation is
 *    rewritten with Euler's transformation and with the removable
 *    singularities at a = 1 and a + b + x - 1 = 0 divided out analytically
 *    (see bgnbd_cond_series), so no NaN for a + b < 1 or huge x; for
 *    arguments z close to 1, where the series converges slowly, the same
 *    quantity is computed as a posterior expectation over the dropout
 *    probability p ~ Beta(a, b + x) by tanh-sinh quadrature;
 *  - P(X(t) >= x) of the negative binomial is the regularised incomplete
 *    beta function I_q(x, r), by its continued fraction (no 1 - sum).
 *  - maximum likelihood with L-BFGS (liblbfgs) on log-parameters with
 *    analytic gradients.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lbfgs.h>

#include "lifetime.h"

#define LT_PI 3.14159265358979323846

/* ---------------------------------------------------------------- special functions */

/* Digamma psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series */
double
lt_digamma(double x)
{
	double		r = 0.0,
				f;

	if (!(x > 0.0))
		return NAN;
	while (x < 10.0)
	{
		r -= 1.0 / x;
		x += 1.0;
	}
	f = 1.0 / (x * x);
	return r + log(x) - 0.5 / x
		- f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

/* Trigamma psi'(x) for x > 0: recurrence up to x >= 10, then the asymptotic series */
static double
lt_trigamma(double x)
{
	double		r = 0.0,
				f;

	while (x < 10.0)
	{
		r += 1.0 / (x * x);
		x += 1.0;
	}
	f = 1.0 / (x * x);
	return r + 1.0 / x + f / 2.0
		+ f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30))));
}

static inline double
lt_lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* Continued fraction of the incomplete beta function (modified Lentz) */
static double
lt_betacf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		qab = a + b,
				qap = a + 1.0,
				qam = a - 1.0,
				c = 1.0,
				d = 1.0 - qab * x / qap,
				h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	h = d;
	for (int m = 1; m <= 100000; m++)
	{
		double		m2 = 2.0 * m,
					aa,
					del;

		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-16)
			break;
	}
	return h;
}

/*
 * Regularised incomplete beta I_x(a, b); one_minus_x is 1 - x computed by
 * the caller without cancellation.
 */
double
lt_incbeta(double x, double one_minus_x, double a, double b)
{
	double		lbt,
				v;

	if (x <= 0.0)
		return 0.0;
	if (one_minus_x <= 0.0)
		return 1.0;
	lbt = -lt_lbeta(a, b) + a * log(x) + b * log(one_minus_x);
	if (x < (a + 1.0) / (a + b + 2.0))
		v = exp(lbt) * lt_betacf(a, b, x) / a;
	else
		v = 1.0 - exp(lbt) * lt_betacf(b, a, one_minus_x) / b;
	/* rounding may step just outside [0, 1] (a tiny b, say): clamp, NaN kept */
	if (v < 0)
		v = 0;
	if (v > 1)
		v = 1;
	return v;
}

/* ---------------------------------------------------------------- patterns */

static int
lt_pattern_cmp(const void *pa, const void *pb)
{
	const LtPattern *a = pa,
			   *b = pb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	if (a->T != b->T)
		return a->T < b->T ? -1 : 1;
	return 0;
}

size_t
lt_patterns_compact(LtPattern *p, size_t n)
{
	size_t		out = 0;

	if (n == 0)
		return 0;
	qsort(p, n, sizeof(LtPattern), lt_pattern_cmp);
	for (size_t i = 1; i < n; i++)
	{
		if (lt_pattern_cmp(&p[out], &p[i]) == 0)
			p[out].w += p[i].w;
		else
			p[++out] = p[i];
	}
	return out + 1;
}

static inline uint64_t
lt_bits(double v)
{
	uint64_t	u;

	if (v == 0.0)
		v = 0.0;				/* -0 and +0 are one pattern */
	memcpy(&u, &v, sizeof(u));
	return u;
}

static inline size_t
lt_hash3(double x, double tx, double T)
{
	uint64_t	h = lt_bits(x) * 0x9E3779B97F4A7C15ULL;

	h ^= lt_bits(tx) + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
	h *= 0xC2B2AE3D27D4EB4FULL;
	h ^= lt_bits(T) + 0x165667B19E3779F9ULL + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0x94D049BB133111EBULL;
	h ^= h >> 29;
	return (size_t) h;
}

size_t
lt_pattern_hash(double x, double tx, double T)
{
	return lt_hash3(x, tx, T);
}

int
lt_set_add(LtPatternSet *s, double x, double tx, double T, double w)
{
	return lt_set_add_hashed(s, lt_hash3(x, tx, T), x, tx, T, w);
}

int
lt_set_add_hashed(LtPatternSet *s, size_t h, double x, double tx, double T, double w)
{
	size_t		i = h & s->mask;

	if (x == 0.0)
		x = 0.0;
	if (tx == 0.0)
		tx = 0.0;
	if (T == 0.0)
		T = 0.0;
	for (;;)
	{
		LtPattern  *e = &s->tab[i];

		if (e->w == 0.0)
		{
			if (2 * (s->n + 1) > s->mask + 1)
				return 1;
			e->x = x;
			e->tx = tx;
			e->T = T;
			e->w = w;
			s->n++;
			return 0;
		}
		if (e->x == x && e->tx == tx && e->T == T)
		{
			e->w += w;
			return 0;
		}
		i = (i + 1) & s->mask;
	}
}

/* Insert the entries of another table (of slots entries) into s, which has room */
void
lt_set_move(LtPatternSet *s, const LtPattern *tab, size_t slots)
{
	/* a ring of the next entries' hashes, their slots prefetched (memory-bound) */
	enum
	{
		AHEAD = 8
	};
	size_t		ring[AHEAD],
				src[AHEAD],
				head = 0,
				cnt = 0,
				k = 0;

	for (;;)
	{
		while (cnt < AHEAD && k < slots)
		{
			if (tab[k].w != 0.0)
			{
				size_t		h = lt_hash3(tab[k].x, tab[k].tx, tab[k].T);

#if defined(__GNUC__)
				__builtin_prefetch(&s->tab[h & s->mask]);
#endif
				ring[(head + cnt) % AHEAD] = h;
				src[(head + cnt) % AHEAD] = k;
				cnt++;
			}
			k++;
		}
		if (cnt == 0)
			break;
		{
			size_t		i = ring[head] & s->mask;

			while (s->tab[i].w != 0.0)
				i = (i + 1) & s->mask;
			s->tab[i] = tab[src[head]];
			s->n++;
			head = (head + 1) % AHEAD;
			cnt--;
		}
	}
}

/* The distinct patterns, densely, in out (room for s->n); returns s->n */
size_t
lt_set_collect(const LtPatternSet *s, LtPattern *out)
{
	size_t		n = 0;

	for (size_t k = 0; k <= s->mask; k++)
		if (s->tab[k].w != 0.0)
			out[n++] = s->tab[k];
	return n;
}

/* ---------------------------------------------------------------- checks */

LtStatus
bgnbd_check_customer(double x, double tx, double T)
{
	if (!isfinite(x) || !isfinite(tx) || !isfinite(T))
		return LT_NOT_FINITE;
	if (x < 0 || tx < 0 || T < 0)
		return LT_NEGATIVE;
	if (tx > T)
		return LT_RECENCY_GT_T;
	if (x == 0 && tx > 0)
		return LT_ZERO_FREQ_RECENCY;
	if (x >= 9007199254740992.0 ? 0 : x != (double) (long long) x)
		return LT_NOT_WHOLE;	/* whole numbers beyond 2^53 are all whole */
	return LT_OK;
}

LtStatus
bgnbd_check_params(const BgnbdParams *p)
{
	if (!(isfinite(p->r) && isfinite(p->alpha) && isfinite(p->a) && isfinite(p->b)))
		return LT_BAD_PARAM;
	if (!(p->r > 0 && p->alpha > 0 && p->a > 0 && p->b > 0))
		return LT_BAD_PARAM;
	return LT_OK;
}

LtStatus
gg_check_customer(double x, double m)
{
	if (!isfinite(x) || !isfinite(m))
		return LT_NOT_FINITE;
	if (x < 0)
		return LT_NEGATIVE;
	if (x > 0 && !(m > 0))
		return LT_NONPOS_MONETARY;
	if (x == 0 && m < 0)
		return LT_NEGATIVE;
	return LT_OK;
}

LtStatus
gg_check_params(const GgParams *p)
{
	if (!(isfinite(p->p) && isfinite(p->q) && isfinite(p->v)))
		return LT_BAD_PARAM;
	if (!(p->p > 0 && p->q > 0 && p->v > 0))
		return LT_BAD_PARAM;
	return LT_OK;
}

/* ---------------------------------------------------------------- BG/NBD likelihood */

/*
 * Weighted log-likelihood (FHL 2005 eq. 6, in log space):
 *   A1 = lnG(r+x) - lnG(r) + r ln(alpha)
 *   A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x)
 *   A3 = -(r+x) ln(alpha+T)
 *   A4 = ln(a) - ln(b+x-1) - (r+x) ln(alpha+tx)        (x > 0 only)
 *   LL = A1 + A2 + ln(exp(A3) + [x>0] exp(A4))
 * grad (optional) receives dLL/d(r, alpha, a, b).
 */
#define LT_XCACHE 512

typedef struct BgnbdXTerms
{
	double		A12;			/* A1 + A2 */
	double		d1r;			/* dA1/dr */
	double		d2a;			/* dA2/da */
	double		d2b;			/* dA2/db */
	double		lab;			/* ln(a) - ln(b+x-1) */
	double		dlab_b;			/* d lab / db */
	double		h1rr;			/* d2A1/dr2 */
	double		h2aa;			/* d2A2/da2 = d2A2/dadb */
	double		h2bb;			/* d2A2/db2 */
} BgnbdXTerms;

typedef struct BgnbdConst
{
	double		r,
				alpha,
				a,
				b,
				lalpha,
				lgr,
				lgab,
				lgb,
				psir,
				psiab,
				psib,
				la,
				tgr,
				tgab,
				tgb;
	int			grad;
	int			hess;
} BgnbdConst;

static void
bgnbd_xterms(const BgnbdConst *k, double x, BgnbdXTerms *t)
{
	t->A12 = lgamma(k->r + x) - k->lgr + k->r * k->lalpha
		+ k->lgab + lgamma(k->b + x) - k->lgb - lgamma(k->a + k->b + x);
	if (k->grad)
	{
		double		psiabx = lt_digamma(k->a + k->b + x);

		t->d1r = lt_digamma(k->r + x) - k->psir + k->lalpha;
		t->d2a = k->psiab - psiabx;
		t->d2b = k->psiab + lt_digamma(k->b + x) - k->psib - psiabx;
	}
	if (k->hess)
	{
		double		tgabx = lt_trigamma(k->a + k->b + x);

		t->h1rr = lt_trigamma(k->r + x) - k->tgr;
		t->h2aa = k->tgab - tgabx;
		t->h2bb = k->tgab + lt_trigamma(k->b + x) - k->tgb - tgabx;
	}
	if (x > 0)
	{
		/* b + (x - 1): x - 1 is exact, (b + x) - 1 loses a tiny b */
		t->lab = k->la - log(k->b + (x - 1.0));
		t->dlab_b = -1.0 / (k->b + (x - 1.0));
	}
	else
		t->lab = t->dlab_b = 0.0;
}

/*
 * Weighted log-likelihood (FHL 2005 eq. 6, in log space):
 *   A1 = lnG(r+x) - lnG(r) + r ln(alpha)
 *   A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x)
 *   A3 = -(r+x) ln(alpha+T)
 *   A4 = ln(a) - ln(b+x-1) - (r+x) ln(alpha+tx)        (x > 0 only)
 *   LL = A1 + A2 + ln(exp(A3) + [x>0] exp(A4))
 * The x-only terms are computed once per distinct frequency (a table for
 * small ones, the previous pattern's for the rest).  grad (optional)
 * receives dLL/d(r, alpha, a, b).
 */
/*
 * Interrupt polling by amount of work: the likelihoods poll every
 * LT_POLL_EVERY patterns (a few milliseconds), so a cancel is seen within
 * one slice of one evaluation however many distinct patterns there are.
 */
#define LT_POLL_EVERY 8192

typedef struct LtPoll
{
	LtInterruptFn interrupted;
	int			stopped;
} LtPoll;

static inline int
lt_poll(LtPoll *pl)
{
	if (pl == NULL || pl->interrupted == NULL)
		return 0;
	if (!pl->stopped && pl->interrupted())
		pl->stopped = 1;
	return pl->stopped;
}

static double bgnbd_loglik_full(const BgnbdParams *p, const LtPattern *pat, size_t n,
								double *grad, double *hess, LtPoll *pl);
static double gg_loglik_full(const GgParams *p, const LtPattern *pat, size_t n, double *grad,
							 LtPoll *pl);

double
bgnbd_loglik(const BgnbdParams *p, const LtPattern *pat, size_t n, double *grad)
{
	return bgnbd_loglik_full(p, pat, n, grad, NULL, NULL);
}

double
bgnbd_loglik_hess(const BgnbdParams *p, const LtPattern *pat, size_t n, double *grad, double *hess)
{
	return bgnbd_loglik_full(p, pat, n, grad, hess, NULL);
}

double
gg_loglik(const GgParams *p, const LtPattern *pat, size_t n, double *grad)
{
	return gg_loglik_full(p, pat, n, grad, NULL);
}

/*
 * hess (optional, needs grad) receives the 4 x 4 matrix of second derivatives
 * in (r, alpha, a, b):  d2D = w3 H3 + w4 H4 + w3 w4 (g4 - g3)(g4 - g3)'
 * where g3, g4 and H3, H4 are the derivatives of A3 and A4.  pl (may be
 * NULL) is polled every LT_POLL_EVERY patterns; when it asks to stop the
 * result is NaN.
 * Length: one closed form (Fader, Hardie and Lee 2005, eq. 6) with its
 * gradient and Hessian, term by term in one loop over the patterns, with
 * the terms shared between them cached per frequency; split up, the same
 * hypergeometric pieces would be recomputed or passed around by the dozen.
 */
static double
bgnbd_loglik_full(const BgnbdParams *p, const LtPattern *pat, size_t n, double *grad, double *hess,
				  LtPoll *pl)
{
	BgnbdConst	k;
	double		H[4][4] = {{0}};
	BgnbdXTerms cache[LT_XCACHE],
				last;
	unsigned char have[LT_XCACHE];
	double		lastx = -1.0;
	double		ll = 0.0,
				gr = 0.0,
				galpha = 0.0,
				ga = 0.0,
				gb = 0.0;
	const double r = p->r,
				alpha = p->alpha,
				a = p->a;

	k.r = p->r;
	k.alpha = p->alpha;
	k.a = p->a;
	k.b = p->b;
	k.lalpha = log(alpha);
	k.lgr = lgamma(r);
	k.lgab = lgamma(a + p->b);
	k.lgb = lgamma(p->b);
	k.la = log(a);
	k.grad = grad != NULL;
	k.hess = hess != NULL;
	if (grad)
	{
		k.psir = lt_digamma(r);
		k.psiab = lt_digamma(a + p->b);
		k.psib = lt_digamma(p->b);
	}
	if (hess)
	{
		k.tgr = lt_trigamma(r);
		k.tgab = lt_trigamma(a + p->b);
		k.tgb = lt_trigamma(p->b);
	}
	memset(have, 0, sizeof(have));
	memset(&last, 0, sizeof(last));

	for (size_t i = 0; i < n; i++)
	{
		const double x = pat[i].x,
					w = pat[i].w;
		const BgnbdXTerms *t;
		double		rx = r + x,
					A3,
					D,
					w3,
					w4 = 0.0,
					lT,
					ltx = 0.0;

		if ((i % LT_POLL_EVERY) == LT_POLL_EVERY - 1 && lt_poll(pl))
			return NAN;
		if (x < LT_XCACHE && x == (double) (int) x)
		{
			int			xi = (int) x;

			if (!have[xi])
			{
				bgnbd_xterms(&k, x, &cache[xi]);
				have[xi] = 1;
			}
			t = &cache[xi];
		}
		else
		{
			if (x != lastx)
			{
				bgnbd_xterms(&k, x, &last);
				lastx = x;
			}
			t = &last;
		}
		lT = log(alpha + pat[i].T);
		A3 = -rx * lT;
		if (x > 0)
		{
			double		A4,
						d,
						e;

			ltx = log(alpha + pat[i].tx);
			A4 = t->lab - rx * ltx;
			/* log(exp(A3) + exp(A4)) and the two shares with one exp */
			d = A4 - A3;
			e = exp(-fabs(d));
			/* log(1 + e) rather than log1p: e <= 1 and D is a sum of large
			 * terms, so the absolute error (below 2^-53) is all that matters */
			if (d > 0)
			{
				D = A4 + log(1.0 + e);
				w3 = e / (1.0 + e);
				w4 = 1.0 / (1.0 + e);
			}
			else
			{
				D = A3 + log(1.0 + e);
				w3 = 1.0 / (1.0 + e);
				w4 = e / (1.0 + e);
			}
		}
		else
		{
			D = A3;
			w3 = 1.0;
		}
		ll += w * (t->A12 + D);
		if (grad)
		{
			gr += w * (t->d1r - w3 * lT - w4 * ltx);
			galpha += w * (r / alpha - w3 * rx / (alpha + pat[i].T)
						   - w4 * rx / (alpha + pat[i].tx));
			ga += w * (t->d2a + w4 / a);
			gb += w * (t->d2b + w4 * t->dlab_b);
		}
		if (hess)
		{
			double		iT = 1.0 / (alpha + pat[i].T),
						itx = 1.0 / (alpha + pat[i].tx),
						dg[4],
						c = w * w3 * w4;

			/* A1, A2 */
			H[0][0] += w * t->h1rr;
			H[0][1] += w / alpha;
			H[1][1] -= w * r / (alpha * alpha);
			H[2][2] += w * t->h2aa;
			H[2][3] += w * t->h2aa;
			H[3][3] += w * t->h2bb;
			/* w3 H3 */
			H[0][1] -= w * w3 * iT;
			H[1][1] += w * w3 * rx * iT * iT;
			if (x > 0)
			{
				/* w4 H4 */
				H[0][1] -= w * w4 * itx;
				H[1][1] += w * w4 * rx * itx * itx;
				H[2][2] -= w * w4 / (a * a);
				H[3][3] += w * w4 * t->dlab_b * t->dlab_b;
				/* w3 w4 (g4 - g3)(g4 - g3)' */
				dg[0] = lT - ltx;
				dg[1] = rx * (iT - itx);
				dg[2] = 1.0 / a;
				dg[3] = t->dlab_b;
				for (int u = 0; u < 4; u++)
					for (int v = u; v < 4; v++)
						H[u][v] += c * dg[u] * dg[v];
			}
		}
	}
	if (hess)
	{
		for (int u = 0; u < 4; u++)
			for (int v = 0; v < 4; v++)
				hess[u * 4 + v] = u <= v ? H[u][v] : H[v][u];
	}
	if (grad)
	{
		grad[0] = gr;
		grad[1] = galpha;
		grad[2] = ga;
		grad[3] = gb;
	}
	return ll;
}

/* ---------------------------------------------------------------- optimiser glue */

typedef struct LtOpt
{
	const LtPattern *pat;
	size_t		n;
	double		wsum;
	double		scale;			/* starting value of the scale parameter */
	LtPoll		poll;			/* the caller's interrupt, polled by work */
	int			gg;				/* 0: BG/NBD, 1: Gamma-Gamma */
	int			evals;			/* likelihood evaluations */
	double		epsilon;		/* L-BFGS gradient tolerance */
} LtOpt;

/* parameters from log-parameters */
static void
lt_unpack(const LtOpt *o, const lbfgsfloatval_t *th, double *par)
{
	int			k = o->gg ? 3 : 4;

	for (int i = 0; i < k; i++)
		par[i] = exp(th[i]);
}

static lbfgsfloatval_t
lt_evaluate(void *instance, const lbfgsfloatval_t *th, lbfgsfloatval_t *g,
			const int n, const lbfgsfloatval_t step)
{
	LtOpt	   *o = instance;
	double		par[4],
				grad[4],
				ll;

	(void) step;
	o->evals++;
	if (o->poll.stopped)
	{
		/* cancelled: end the line search at once */
		for (int i = 0; i < n; i++)
			g[i] = 0.0;
		return DBL_MAX;
	}
	lt_unpack(o, th, par);
	if (o->gg)
	{
		GgParams	p = {par[0], par[1], par[2]};

		ll = gg_loglik_full(&p, o->pat, o->n, grad, &o->poll);
	}
	else
	{
		BgnbdParams p = {par[0], par[1], par[2], par[3]};

		ll = bgnbd_loglik_full(&p, o->pat, o->n, grad, NULL, &o->poll);
	}
	for (int i = 0; i < n; i++)
	{
		/* d(-LL/W)/d(log theta) = -theta dLL/dtheta / W */
		g[i] = -par[i] * grad[i] / o->wsum;
		if (!isfinite(g[i]))
			g[i] = 0.0;
	}
	if (!isfinite(ll))
		return DBL_MAX;			/* rejected by the backtracking line search */
	return -ll / o->wsum;
}

static int
lt_progress(void *instance, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g,
			const lbfgsfloatval_t fx, const lbfgsfloatval_t xnorm,
			const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step,
			int n, int k, int ls)
{
	LtOpt	   *o = instance;

	(void) x;
	(void) g;
	(void) fx;
	(void) xnorm;
	(void) gnorm;
	(void) step;
	(void) n;
	(void) k;
	(void) ls;
	return lt_poll(&o->poll);
}

/*
 * Minimise -LL/W over log-parameters th[0..k-1] (in/out).  Returns -1 when
 * interrupted, else 0; *conv tells whether the gradient vanished at an
 * interior point.
 */
static int
lt_minimise(LtOpt *o, double *th, int k, int *conv, int *iters)
{
	lbfgs_parameter_t prm;
	lbfgsfloatval_t *x = lbfgs_malloc(k);
	lbfgsfloatval_t fx = 0;
	lbfgsfloatval_t g[4];
	double		gmax = 0.0;
	int			ret,
				inside = 1;

	if (x == NULL)
		return LT_FIT_NO_MEMORY;
	for (int i = 0; i < k; i++)
		x[i] = th[i];
	lbfgs_parameter_init(&prm);
	prm.linesearch = LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
	prm.epsilon = o->epsilon > 0 ? o->epsilon : 1e-7;	/* tighter only costs line searches */
	prm.past = 0;
	prm.max_iterations = 2000;
	prm.max_linesearch = 60;
	ret = lbfgs(k, x, &fx, lt_evaluate, lt_progress, o, &prm);
	for (int i = 0; i < k; i++)
		th[i] = x[i];
	lbfgs_free(x);
	if (o->poll.stopped || lt_poll(&o->poll))
		return LT_FIT_INTERRUPTED;
	*iters = o->evals;
	/* convergence: small gradient of the mean log-likelihood at an interior point */
	(void) lt_evaluate(o, th, g, k, 0);
	for (int i = 0; i < k; i++)
	{
		if (fabs(g[i]) > gmax)
			gmax = fabs(g[i]);
		if (!(fabs(th[i]) < 15.0))
			inside = 0;
	}
	*conv = (ret >= 0 || ret == LBFGSERR_ROUNDING_ERROR || ret == LBFGSERR_MAXIMUMLINESEARCH
			 || ret == LBFGSERR_MINIMUMSTEP)
		&& gmax < 1e-6 && inside;
	return 0;
}

/* Most Levenberg-Marquardt shifts tried per Newton step (mu grows 4x each) */
#define LT_LM_MAX_TRIES 64

static inline int
lt_all_finite(const double *v, int n)
{
	for (int i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

/*
 * Newton's method on log-parameters with the analytic Hessian, from a point
 * close to the maximum; a step is halved until the likelihood does not
 * decrease.  Returns 1 with *conv set when the mean gradient vanished,
 * 0 when the Hessian is not negative definite, an intermediate is not
 * finite (the caller then falls back to L-BFGS) or no progress is made.
 * Every loop is bounded: 50 steps, LT_LM_MAX_TRIES shifts, 20 halvings.
 */
static int
bgnbd_newton(LtOpt *o, double *th, int *conv)
{
	double		g[4],
				H[16],
				ll;
	BgnbdParams p0 = {exp(th[0]), exp(th[1]), exp(th[2]), exp(th[3])};

	ll = bgnbd_loglik_full(&p0, o->pat, o->n, g, H, &o->poll);
	o->evals++;
	if (!isfinite(ll) || !lt_all_finite(g, 4) || !lt_all_finite(H, 16))
		return 0;
	for (int it = 0; it < 50; it++)
	{
		double		par[4] = {exp(th[0]), exp(th[1]), exp(th[2]), exp(th[3])},
					A[4][4],
					A0[4][4],
					gt[4],
					step[4],
					gmax = 0.0,
					smax = 0.0,
					trace,
					mu,
					lam;
		int			ok = 0,
					tries;

		if (lt_poll(&o->poll))
			return 0;
		/* gradient and Hessian in log-parameters, per customer */
		for (int u = 0; u < 4; u++)
		{
			gt[u] = par[u] * g[u] / o->wsum;
			if (fabs(gt[u]) > gmax)
				gmax = fabs(gt[u]);
			for (int v = 0; v < 4; v++)
				A0[u][v] = -(par[u] * par[v] * H[u * 4 + v] + (u == v ? par[u] * g[u] : 0.0)) / o->wsum;
		}
		/* NaN or infinity here would make every test below false for ever */
		if (!lt_all_finite(gt, 4) || !lt_all_finite(&A0[0][0], 16))
			return 0;
		if (gmax < 1e-9)
		{
			*conv = 1;
			for (int u = 0; u < 4; u++)
				if (!(fabs(th[u]) < 15.0))
					*conv = 0;
			return 1;
		}

		/*
		 * Solve (A + mu I) step = gt by Cholesky; mu = 0 when A is positive
		 * definite, else raised until it is (Levenberg-Marquardt).
		 */
		trace = fabs(A0[0][0]) + fabs(A0[1][1]) + fabs(A0[2][2]) + fabs(A0[3][3]);
		if (!isfinite(trace))
			return 0;
		mu = 0.0;
		for (tries = 0; !ok && tries < LT_LM_MAX_TRIES; tries++)
		{
			if (tries > 0)
				mu = mu > 0 ? mu * 4 : fmax(1e-4 * trace, 1e-12);
			if (!(mu <= 1e12 * fmax(trace, 1.0)))
				return 0;
			memcpy(A, A0, sizeof(A0));
			for (int u = 0; u < 4; u++)
				A[u][u] += mu;
			ok = 1;
			for (int j = 0; j < 4 && ok; j++)
			{
				double		d = A[j][j];

				for (int m = 0; m < j; m++)
					d -= A[j][m] * A[j][m];
				if (!(d > 0) || !isfinite(d))
				{
					ok = 0;
					break;
				}
				A[j][j] = sqrt(d);
				for (int i = j + 1; i < 4; i++)
				{
					double		e = A[i][j];

					for (int m = 0; m < j; m++)
						e -= A[i][m] * A[j][m];
					A[i][j] = e / A[j][j];
				}
			}
		}
		if (!ok)
			return 0;
		for (int i = 0; i < 4; i++)
		{
			double		e = gt[i];

			for (int m = 0; m < i; m++)
				e -= A[i][m] * step[m];
			step[i] = e / A[i][i];
		}
		for (int i = 3; i >= 0; i--)
		{
			double		e = step[i];

			for (int m = i + 1; m < 4; m++)
				e -= A[m][i] * step[m];
			step[i] = e / A[i][i];
		}
		if (!lt_all_finite(step, 4))
			return 0;
		/* at most a factor e^2 on any parameter per step */
		for (int u = 0; u < 4; u++)
			if (fabs(step[u]) > smax)
				smax = fabs(step[u]);
		if (smax > 2.0)
			for (int u = 0; u < 4; u++)
				step[u] *= 2.0 / smax;
		/* backtrack until the likelihood does not decrease; keep its derivatives */
		for (lam = 1.0; lam > 1e-6; lam /= 2)
		{
			double		tn[4],
						gn[4],
						Hn[16],
						lln;
			BgnbdParams q;

			for (int u = 0; u < 4; u++)
				tn[u] = th[u] + lam * step[u];
			q = (BgnbdParams) {exp(tn[0]), exp(tn[1]), exp(tn[2]), exp(tn[3])};
			lln = bgnbd_loglik_full(&q, o->pat, o->n, gn, Hn, &o->poll);
			o->evals++;
			if (o->poll.stopped)
				return 0;
			if (isfinite(lln) && lln >= ll - 1e-12 * fabs(ll) &&
				lt_all_finite(gn, 4) && lt_all_finite(Hn, 16))
			{
				memcpy(th, tn, sizeof(tn));
				memcpy(g, gn, sizeof(gn));
				memcpy(H, Hn, sizeof(Hn));
				ll = lln;
				break;
			}
		}
		if (lam <= 1e-6)
			return 0;
	}
	return 0;
}

int
bgnbd_fit(const LtPattern *pat, size_t n, BgnbdFit *out, LtInterruptFn interrupted)
{
	LtOpt		o;
	double		th[4],
				meanT = 0.0,
				wsum = 0.0;
	int			any_repeat = 0,
				conv = 0,
				iters = 0,
				rc;
	BgnbdParams p;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
	{
		wsum += pat[i].w;
		if (pat[i].x > 0)
			any_repeat = 1;
	}
	out->n = wsum;
	if (n == 0 || !(wsum > 0) || !isfinite(wsum))
		return LT_FIT_EMPTY;
	/* weighted mean of T without overflow (T up to 1.8e308) */
	for (size_t i = 0; i < n; i++)
		meanT += (pat[i].w / wsum) * pat[i].T;
	memset(&o, 0, sizeof(o));
	o.pat = pat;
	o.n = n;
	o.wsum = wsum;
	o.scale = meanT > 0 && isfinite(meanT) ? meanT : 1.0;
	o.poll.interrupted = interrupted;
	o.gg = 0;
	th[0] = 0.0;
	th[1] = log(o.scale);
	th[2] = 0.0;
	th[3] = 0.0;
	/* Newton's method with the analytic Hessian; L-BFGS when it fails */
	if (!bgnbd_newton(&o, th, &conv))
	{
		if (o.poll.stopped)
			return LT_FIT_INTERRUPTED;
		th[0] = 0.0;
		th[1] = log(o.scale);
		th[2] = 0.0;
		th[3] = 0.0;
		conv = 0;
		o.epsilon = 1e-7;		/* Newton failed: L-BFGS all the way */
		rc = lt_minimise(&o, th, 4, &conv, &iters);
		if (rc != 0)
			return rc;
	}
	iters = o.evals;
	p.r = exp(th[0]);
	p.alpha = exp(th[1]);
	p.a = exp(th[2]);
	p.b = exp(th[3]);
	out->p = p;
	out->log_likelihood = bgnbd_loglik_full(&p, pat, n, NULL, NULL, &o.poll);
	if (o.poll.stopped)
		return LT_FIT_INTERRUPTED;
	/* without a repeat purchase the maximum is at the boundary: no MLE */
	out->converged = conv && any_repeat && isfinite(out->log_likelihood);
	out->iterations = iters;
	if (bgnbd_check_params(&p) != LT_OK || !isfinite(out->log_likelihood))
		return LT_FIT_NOT_FINITE;
	return LT_FIT_OK;
}

/* ---------------------------------------------------------------- BG/NBD predictions */

/* log(u + v) for u, v >= 0 without overflow of the sum */
static inline double
lt_log_add(double u, double v)
{
	double		hi = fmax(u, v),
				lo = fmin(u, v);

	if (hi == 0.0)
		return -INFINITY;
	return log(hi) + log1p(lo / hi);
}

/*
 * log of the odds of being inactive: ln[(a/(b+x-1)) ((alpha+T)/(alpha+tx))^(r+x)],
 * as sums of logs: a / (b + x - 1) underflowed to 0 and alpha + T overflowed
 * to Infinity for extreme inputs (found by fuzzing: NaN = -Inf + Inf).  The
 * result is finite or +Infinity, never NaN.
 */
static double
bgnbd_log_dead_odds(const BgnbdParams *p, double x, double tx, double T)
{
	double		ratio = lt_log_add(p->alpha, T) - lt_log_add(p->alpha, tx);

	return log(p->a) - lt_log_add(p->b, x - 1.0) + (p->r + x) * fmax(ratio, 0.0);
}

double
bgnbd_p_alive(const BgnbdParams *p, double x, double tx, double T)
{
	double		lo;

	if (x == 0)
		return 1.0;
	lo = bgnbd_log_dead_odds(p, x, tx, T);
	if (lo > 0)
	{
		double		e = exp(-lo);

		return e / (1.0 + e);
	}
	return 1.0 / (1.0 + exp(lo));
}

/*
 * E[Y(t)] / P(alive) by the series.  With z = t/(alpha+T+t), L = ln(1-z),
 * C = a+b+x-1, A' = a+b-1-r, u = (a-1) L, Euler's transformation gives
 *   (1-z)^(r+x) 2F1(r+x, b+x; C; z) = (1-z)^(a-1) 2F1(A', a-1; C; z)
 * and with 2F1(A', a-1; C; z) = 1 + (a-1)/C G,
 *   G = sum_{k>=1} (A')_k (a)_{k-1} / ((C+1)_{k-1} k!) z^k,
 * FHL eq. (10) times the denominator becomes
 *   C/(a-1) [1 - (1-z)^(a-1)(1 + (a-1)/C G)] = C (-L) expm1(u)/u - e^u G,
 * which is finite at a = 1 and C = 0.  Returns NAN when the series does
 * not converge within its budget (z too close to 1).
 */
static double
bgnbd_cond_series(const BgnbdParams *p, double t, double x, double T)
{
	const double s = p->alpha + T,
				c = t / s,
				L = -log1p(c),
				z = c / (1.0 + c),
				C = p->a + p->b + (x - 1.0),
				Ap = p->a + p->b - 1.0 - p->r,
				u = (p->a - 1.0) * L;
	const double em1 = expm1(u);
	double		e1 = (u == 0.0) ? 1.0 : em1 / u,
				term = Ap * z,
				sum = term;
	int			k;

	if (z > 0.98)
		return NAN;
	/* two terms per division: t_{k+1} = t_k N_k / D_k, N_k = (A'+k)(a+k-1) z, D_k = (C+k)(k+1) */
	for (k = 1; k < 200000; k += 2)
	{
		double		n1 = (Ap + k) * (p->a + k - 1.0) * z,
					d1 = (C + k) * (k + 1.0),
					n2 = (Ap + k + 1.0) * (p->a + k) * z,
					d2 = (C + k + 1.0) * (k + 2.0),
					inv = 1.0 / (d1 * d2),
					t1 = term * n1 * d2 * inv,
					t2 = term * n1 * n2 * inv;

		sum += t1 + t2;
		term = t2;
		if (fabs(t2) <= 2e-17 * fabs(sum) || t2 == 0.0)
			break;
	}
	if (k >= 200000)
		return NAN;
	{
		double		t1 = C * (-L) * e1,
					v = t1 - (1.0 + em1) * sum;

		/*
		 * The two terms nearly cancel when b is huge against r + x (found by
		 * fuzzing: r 7e-7, b 4e84 gave -1e59 for about 1e-16).  When more
		 * than six digits are lost, or the difference is not positive, the
		 * caller integrates instead.
		 */
		if (!(v > 1e-6 * fabs(t1)))
			return NAN;
		return v;
	}
}

/*
 * The same quantity as a posterior expectation: given alive, lambda ~
 * Gamma(r+x, alpha+T) and p ~ Beta(a, b+x), E[Y(t) | lambda, p] =
 * (1 - exp(-lambda p t))/p, so E[Y(t)]/P(alive) =
 *   E_p[(1 - (1 + p t/(alpha+T))^-(r+x)) / p],
 * integrated by tanh-sinh quadrature (p = 1/(1+exp(-2u)), u = pi/2 sinh tau),
 * all in log space so endpoint singularities of the Beta density are harmless.
 */
static double
bgnbd_cond_quad(const BgnbdParams *p, double t, double x, double T)
{
	const double a = p->a,
				be = p->b + x,
				m = p->r + x,
				c = t / (p->alpha + T),
				lB = lt_lbeta(a, be),
				tmax = 8.5;
	double		h = 0.5,
				sum = 0.0,
				prev = 0.0;

	for (int level = 0; level < 14; level++)
	{
		double		add = 0.0;
		long		kmax = (long) ceil(tmax / h);

		for (long k = -kmax; k <= kmax; k++)
		{
			double		tau,
						uu,
						e,
						lp,
						lq,
						pp,
						g,
						f;

			if (level > 0 && (k % 2) == 0)
				continue;		/* already summed at a coarser level */
			tau = k * h;
			uu = LT_PI / 2 * sinh(tau);
			if (uu >= 0)
			{
				e = exp(-2.0 * uu);
				lp = -log1p(e);
				lq = -2.0 * uu - log1p(e);
			}
			else
			{
				e = exp(2.0 * uu);
				lp = 2.0 * uu - log1p(e);
				lq = -log1p(e);
			}
			pp = exp(lp);
			g = (pp * c < 1e-300) ? m * c : -expm1(-m * log1p(pp * c)) / pp;
			f = g * exp(a * lp + be * lq - lB) * LT_PI * cosh(tau);
			if (isfinite(f))
				add += f;
		}
		if (level == 0)
			sum = add * h;
		else
			sum = sum / 2.0 + add * h;
		if (level >= 3 && fabs(sum - prev) <= 1e-14 * fabs(sum))
			break;
		prev = sum;
		h /= 2.0;
	}
	return sum;
}

double
bgnbd_cond(const BgnbdParams *p, double t, double x, double T)
{
	double		c = t / (p->alpha + T),
				m = p->r + x,
				v;

	/*
	 * A horizon tiny against alpha + T: with (1 + p c)^-m = 1 - m p c +
	 * m (m + 1) p^2 c^2 / 2 - ..., E_p[(1 - (1 + p c)^-m) / p] =
	 * m c - m (m + 1) c^2 E[p] / 2 + O((m c)^3), E[p] = a / (a + b + x):
	 * exact to rounding when (m + 1) c < 1e-8, where the series cancels
	 * and the quadrature cannot resolve an extreme Beta(a, b + x).
	 */
	if ((m + 1.0) * c < 1e-8)
		return m * c * (1.0 - 0.5 * (m + 1.0) * c * (p->a / (p->a + p->b + x)));
	v = bgnbd_cond_series(p, t, x, T);

	if (!isfinite(v))
		v = bgnbd_cond_quad(p, t, x, T);
	return v;
}

double
bgnbd_expected(const BgnbdParams *p, double t, double x, double tx, double T)
{
	double		pa;

	if (t == 0.0)
		return 0.0;
	pa = bgnbd_p_alive(p, x, tx, T);
	if (pa == 0.0)
		return 0.0;
	return pa * bgnbd_cond(p, t, x, T);
}

/* Quadrature only (for tests that compare both evaluations) */
double
bgnbd_expected_quad(const BgnbdParams *p, double t, double x, double tx, double T)
{
	if (t == 0.0)
		return 0.0;
	return bgnbd_p_alive(p, x, tx, T) * bgnbd_cond_quad(p, t, x, T);
}

/* E[X(t)] for a new customer, FHL eq. (9): eq. (10) at x = tx = T = 0 */
double
bgnbd_expected_new(const BgnbdParams *p, double t)
{
	if (t == 0.0)
		return 0.0;
	return bgnbd_cond(p, t, 0.0, 0.0);
}

/* P(X(t) = n), FHL eq. (8), the bracket as the incomplete beta I_q(n, r) */
double
bgnbd_prob_n(const BgnbdParams *p, double n, double t)
{
	double		l1,
				res;

	if (t == 0.0)
		return n == 0 ? 1.0 : 0.0;
	l1 = lt_lbeta(p->a, p->b + n) - lt_lbeta(p->a, p->b)
		+ lgamma(p->r + n) - lgamma(p->r) - lgamma(n + 1.0)
		- p->r * log1p(t / p->alpha)
		+ (n > 0 ? n * (log(t) - log(p->alpha + t)) : 0.0);
	res = exp(l1);
	if (n > 0)
	{
		double		q = t / (p->alpha + t),
					oq = p->alpha / (p->alpha + t);

		res += exp(lt_lbeta(p->a + 1.0, p->b + (n - 1.0)) - lt_lbeta(p->a, p->b))
			* lt_incbeta(q, oq, n, p->r);
	}
	/* the two terms are rounded apart (found by fuzzing: 1 + 3.7e-9): clamp, NaN kept */
	if (res > 1)
		res = 1;
	return res;
}

/* ---------------------------------------------------------------- Gamma-Gamma */

/*
 * Log-likelihood of the mean spend m of x repeat transactions (x > 0):
 *   lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v)
 * Patterns: x in .x, m in .tx.  Patterns with x = 0 are skipped.
 */
static double
gg_loglik_full(const GgParams *p, const LtPattern *pat, size_t n, double *grad, LtPoll *pl)
{
	const double pp = p->p,
				q = p->q,
				v = p->v,
				lgq = lgamma(q),
				lv = log(v),
				psiq = lt_digamma(q);
	double		ll = 0.0,
				gp = 0.0,
				gq = 0.0,
				gv = 0.0;

	for (size_t i = 0; i < n; i++)
	{
		const double x = pat[i].x,
					m = pat[i].tx,
					w = pat[i].w;
		double		px,
					lxmv,
					lm,
					lx;

		if ((i % LT_POLL_EVERY) == LT_POLL_EVERY - 1 && lt_poll(pl))
			return NAN;
		if (x <= 0)
			continue;
		px = pp * x;
		lxmv = log(x * m + v);
		lm = log(m);
		lx = log(x);
		ll += w * (lgamma(px + q) - lgamma(px) - lgq + q * lv + (px - 1.0) * lm
				   + px * lx - (px + q) * lxmv);
		if (grad)
		{
			double		psipxq = lt_digamma(px + q);

			gp += w * x * (psipxq - lt_digamma(px) + lm + lx - lxmv);
			gq += w * (psipxq - psiq + lv - lxmv);
			gv += w * (q / v - (px + q) / (x * m + v));
		}
	}
	if (grad)
	{
		grad[0] = gp;
		grad[1] = gq;
		grad[2] = gv;
	}
	return ll;
}

int
gg_fit(const LtPattern *pat, size_t n, GgFit *out, LtInterruptFn interrupted)
{
	LtOpt		o;
	double		th[3],
				wsum = 0.0,
				mean_m = 0.0;
	int			conv = 0,
				iters = 0,
				rc;
	GgParams	p;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
	{
		if (pat[i].x <= 0)
			continue;
		wsum += pat[i].w;
	}
	out->n = wsum;
	if (!(wsum > 0) || !isfinite(wsum))
		return LT_FIT_EMPTY;
	/* weighted mean spend without overflow */
	for (size_t i = 0; i < n; i++)
		if (pat[i].x > 0)
			mean_m += (pat[i].w / wsum) * pat[i].tx;
	memset(&o, 0, sizeof(o));
	o.pat = pat;
	o.n = n;
	o.wsum = wsum;
	o.scale = mean_m > 0 && isfinite(mean_m) ? mean_m : 1.0;
	o.poll.interrupted = interrupted;
	o.gg = 1;
	o.epsilon = 1e-7;
	/* start at p = 1, q = 2 and v = mean spend: prior mean of the spend = p v/(q-1) */
	th[0] = 0.0;
	th[1] = log(2.0);
	th[2] = log(o.scale);
	rc = lt_minimise(&o, th, 3, &conv, &iters);
	if (rc != 0)
		return rc;
	p.p = exp(th[0]);
	p.q = exp(th[1]);
	p.v = exp(th[2]);
	out->p = p;
	out->log_likelihood = gg_loglik_full(&p, pat, n, NULL, &o.poll);
	if (o.poll.stopped)
		return LT_FIT_INTERRUPTED;
	out->converged = conv && isfinite(out->log_likelihood);
	out->iterations = iters;
	if (gg_check_params(&p) != LT_OK || !isfinite(out->log_likelihood))
		return LT_FIT_NOT_FINITE;
	return LT_FIT_OK;
}

/* E[spend | x, m] = p (v + x m) / (p x + q - 1); NAN when infinite (px + q <= 1) */
double
gg_expected(const GgParams *p, double x, double m)
{
	double		den = p->p * x + p->q - 1.0;

	if (!(den > 0))
		return NAN;
	return p->p * (p->v + x * m) / den;
}

/* ---------------------------------------------------------------- CLV */

double
lt_clv(const BgnbdParams *bg, const GgParams *gg, double x, double tx, double T,
	   double m, int months, double d, double units_per_month, LtInterruptFn interrupted)
{
	double		spend = gg_expected(gg, x, m),
				prev = 0.0,
				disc = 1.0,
				clv = 0.0;

	if (months <= 0)
		return 0.0;
	if (!isfinite(spend))
		return NAN;
	for (int i = 1; i <= months; i++)
	{
		double		e;

		/* one expectation takes up to ~30 ms (quadrature): poll each month */
		if (interrupted && interrupted())
			return NAN;
		if (!isfinite(i * units_per_month))
			return NAN;			/* an infinite horizon: no value */
		e = bgnbd_expected(bg, i * units_per_month, x, tx, T);

		disc *= 1.0 + d;
		clv += spend * (e - prev) / disc;
		prev = e;
	}
	return clv;
}

/* ---------------------------------------------------------------- RFM */

static int
lt_purchase_cmp(const void *pa, const void *pb)
{
	const LtPurchase *a = pa,
			   *b = pb;

	return (a->day > b->day) - (a->day < b->day);
}

size_t
lt_rfm(LtPurchase *p, size_t n, int as_of, LtRfm *out)
{
	size_t		k = 0;
	double		repeat = 0.0;

	/* keep purchases up to as_of, then merge same-day ones */
	for (size_t i = 0; i < n; i++)
		if (p[i].day <= as_of)
			p[k++] = p[i];
	n = k;
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	qsort(p, n, sizeof(LtPurchase), lt_purchase_cmp);
	k = 0;
	for (size_t i = 1; i < n; i++)
	{
		if (p[i].day == p[k].day)
			p[k].amount += p[i].amount;
		else
			p[++k] = p[i];
	}
	n = k + 1;
	for (size_t i = 1; i < n; i++)
		repeat += p[i].amount;
	out->frequency = (int) (n - 1);
	out->recency = (double) p[n - 1].day - p[0].day;
	out->t = (double) as_of - p[0].day;
	out->monetary = n > 1 ? repeat / (double) (n - 1) : 0.0;
	return n;
}
