/*
 * moments.c — weighted running moments and weighted quantiles.  See
 * moments.h for the contracts and sources.
 */
#include "moments.h"

#include <math.h>
#include <stdlib.h>

void
wm_init(WMoments *m)
{
	m->n = 0;
	m->w = 0;
	m->w2 = 0;
	m->mean = 0;
	m->m2 = 0;
}

WmStatus
wm_add(WMoments *m, double x, double w)
{
	double		wn,
				d,
				r;

	if (!isfinite(x) || !isfinite(w))
		return WM_NOT_FINITE;
	if (!(w > 0))
		return WM_BAD_WEIGHT;
	/* West (1979), algorithm WV2: no cancellation, one division */
	wn = m->w + w;
	d = x - m->mean;
	r = d * w / wn;
	m->mean += r;
	m->m2 += m->w * d * r;
	m->w = wn;
	m->w2 += w * w;
	m->n += 1;
	return WM_OK;
}

void
wm_merge(WMoments *a, const WMoments *b)
{
	double		w,
				d;

	if (b->w <= 0)
		return;
	if (a->w <= 0)
	{
		*a = *b;
		return;
	}
	w = a->w + b->w;
	d = b->mean - a->mean;
	/* Chan, Golub & LeVeque: the mean moves by the weighted share of d */
	a->mean += d * (b->w / w);
	a->m2 += b->m2 + d * d * (a->w / w) * b->w;
	a->w = w;
	a->w2 += b->w2;
	a->n += b->n;
}

double
wm_neff(const WMoments *m)
{
	return m->w2 > 0 ? (m->w / m->w2) * m->w : 0;
}

double
wm_var(const WMoments *m)
{
	double		denom;

	if (!(m->w > 0) || !(m->w2 > 0))
		return NAN;
	/* W - sum(w^2)/W = W (1 - 1/n_eff) */
	denom = m->w - m->w2 / m->w;
	if (!(denom > 0) || wm_neff(m) < 1 + 1e-12)
		return NAN;
	return (m->m2 > 0 ? m->m2 : 0) / denom;
}

double
wm_sd(const WMoments *m)
{
	double		v = wm_var(m);

	return isnan(v) ? v : sqrt(v);
}

int
wm_valid(const WMoments *m)
{
	return isfinite(m->n) && isfinite(m->w) && isfinite(m->w2) && isfinite(m->mean) &&
		isfinite(m->m2) && m->n >= 0 && m->w >= 0 && m->w2 >= 0 && m->m2 >= 0;
}

double
wm_shrink(double n, double x, double k, double prior)
{
	if (!(n > 0) || !isfinite(x))
		return prior;
	if (!(k > 0))
		return x;
	/* n x + k prior over n + k, written as a convex combination */
	return x + (prior - x) * (k / (n + k));
}

static int
wq_cmp(const void *a, const void *b)
{
	double		x = ((const WqItem *) a)->x,
				y = ((const WqItem *) b)->x;

	return x < y ? -1 : (x > y);
}

WmStatus
wq_quantiles(WqItem *items, size_t n, const double *qs, size_t nq, double *out)
{
	double		total = 0;
	size_t		i,
				j;

	for (i = 0; i < n; i++)
	{
		if (!isfinite(items[i].x) || !isfinite(items[i].w))
			return WM_NOT_FINITE;
		if (!(items[i].w > 0))
			return WM_BAD_WEIGHT;
		total += items[i].w;
	}
	if (n == 0)
	{
		for (j = 0; j < nq; j++)
			out[j] = NAN;
		return WM_OK;
	}
	qsort(items, n, sizeof(WqItem), wq_cmp);
	for (j = 0; j < nq; j++)
	{
		double		target = qs[j] * total,
					cum = 0;

		/*
		 * The first item whose running weight reaches q W; a running sum
		 * that falls short of W by rounding still ends at the last item.
		 */
		out[j] = items[n - 1].x;
		for (i = 0; i < n; i++)
		{
			cum += items[i].w;
			if (cum >= target)
			{
				out[j] = items[i].x;
				break;
			}
		}
	}
	return WM_OK;
}
