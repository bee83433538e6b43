/*
 * moments.h — weighted running moments and weighted quantiles in plain C
 * (no PostgreSQL headers), for the supplier statistics of issue #18
 * (doc/replenishment.md).
 *
 * Running moments: West (1979), "Updating mean and variance estimates: an
 * improved method", CACM 22(9) — the weighted form of Welford's update,
 * numerically stable (no sum of squares is ever formed); two sets of
 * moments combine exactly by Chan, Golub & LeVeque (1979/1983).  The
 * variance is the reliability-weights estimator M2 / (W - sum(w^2)/W),
 * which is the ordinary sample variance (n - 1 in the denominator) when
 * every weight is equal.
 *
 * Quantiles: the inverted empirical distribution function of the weighted
 * sample (the smallest x whose cumulative weight reaches q W), which is
 * numpy.quantile(method="inverted_cdf", weights=w) and, with equal
 * weights, R's quantile(type = 1).
 */
#ifndef CRMSCM_MOMENTS_H
#define CRMSCM_MOMENTS_H

#include <stddef.h>

typedef struct WMoments
{
	double		n;				/* observations */
	double		w;				/* sum of weights */
	double		w2;				/* sum of squared weights */
	double		mean;			/* weighted mean (0 when empty) */
	double		m2;				/* sum of w (x - mean)^2 */
} WMoments;

#define WM_NFIELDS 5

typedef enum WmStatus
{
	WM_OK = 0,
	WM_NOT_FINITE,				/* NaN or infinity in x or w */
	WM_BAD_WEIGHT				/* w <= 0 */
} WmStatus;

extern void wm_init(WMoments *m);

/* Add x with weight w > 0 (West 1979). */
extern WmStatus wm_add(WMoments *m, double x, double w);

/* a += b (Chan, Golub & LeVeque): the moments of the union of both samples. */
extern void wm_merge(WMoments *a, const WMoments *b);

/* Effective sample size (sum w)^2 / sum w^2 (Kish); 0 when empty. */
extern double wm_neff(const WMoments *m);

/*
 * Unbiased weighted variance M2 / (W - sum(w^2)/W) with reliability
 * weights; NaN with fewer than two effective observations.
 */
extern double wm_var(const WMoments *m);
extern double wm_sd(const WMoments *m);

/* A state read back from storage: finite, n >= 0, w >= 0, m2 >= 0. */
extern int	wm_valid(const WMoments *m);

/*
 * Shrinkage of a sample statistic x from n observations toward a prior
 * value with k pseudo-observations: (n x + k prior) / (n + k); prior when
 * n + k = 0 or n = 0.
 */
extern double wm_shrink(double n, double x, double k, double prior);

typedef struct WqItem
{
	double		x;
	double		w;
} WqItem;

/*
 * Weighted quantiles (inverted CDF) of items[0..n-1] (value x, weight
 * w > 0): sorts the items by x in place, then for each q in qs[0..nq-1]
 * (0 <= q <= 1) writes the smallest x whose cumulative weight is at least
 * q W (the minimum for q = 0).  Returns WM_NOT_FINITE for a NaN or
 * infinite value, WM_BAD_WEIGHT for a weight that is not positive; n = 0
 * writes NaN.
 */
extern WmStatus wq_quantiles(WqItem *items, size_t n, const double *qs,
							 size_t nq, double *out);

#endif							/* CRMSCM_MOMENTS_H */
