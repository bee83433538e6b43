/*
 * lifetime.h — customer lifetime models in plain C: RFM summaries, BG/NBD
 * (Fader, Hardie & Lee 2005), Gamma-Gamma spend (Fader, Hardie & Lee 2005b,
 * Hardie's note 025) and customer lifetime value.  No PostgreSQL headers.
 *
 * Time is in whatever unit the caller uses consistently (days, weeks).
 */
#ifndef CRMSCM_LIFETIME_H
#define CRMSCM_LIFETIME_H

#include <stddef.h>

/* One customer pattern with its weight (number of customers sharing it).
 * BG/NBD: (x, tx, T); Gamma-Gamma: (x, m) with m in tx and T unused. */
typedef struct LtPattern
{
	double		x;
	double		tx;
	double		T;
	double		w;
} LtPattern;

typedef enum LtStatus
{
	LT_OK = 0,
	LT_NOT_FINITE,				/* NaN or infinite input */
	LT_NEGATIVE,				/* negative frequency, recency or t */
	LT_RECENCY_GT_T,			/* recency > t */
	LT_ZERO_FREQ_RECENCY,		/* frequency 0 with recency > 0 */
	LT_BAD_PARAM,				/* non-positive or non-finite model parameter */
	LT_NONPOS_MONETARY,			/* monetary <= 0 with frequency > 0 */
	LT_NOT_WHOLE				/* frequency not a whole number */
} LtStatus;

typedef struct BgnbdParams
{
	double		r;
	double		alpha;
	double		a;
	double		b;
} BgnbdParams;

typedef struct BgnbdFit
{
	BgnbdParams p;
	double		log_likelihood;
	double		n;				/* customers (sum of weights) */
	int			converged;
	int			iterations;
} BgnbdFit;

typedef struct GgParams
{
	double		p;
	double		q;
	double		v;
} GgParams;

typedef struct GgFit
{
	GgParams	p;
	double		log_likelihood;
	double		n;
	int			converged;
	int			iterations;
} GgFit;

/*
 * Returns non-zero when the caller wants the computation to stop (query
 * cancel).  The fits poll it by amount of work: every few thousand patterns
 * of a likelihood evaluation (a few milliseconds), not once per iteration.
 */
typedef int (*LtInterruptFn) (void);

/* Results of bgnbd_fit and gg_fit */
#define LT_FIT_OK 0
#define LT_FIT_INTERRUPTED (-1)		/* the interrupt callback asked to stop */
#define LT_FIT_NO_MEMORY (-2)
#define LT_FIT_EMPTY (-3)			/* no (weighted) customer */
#define LT_FIT_NOT_FINITE (-4)		/* the estimate or its likelihood is not
									 * finite (out holds what was reached) */

/* Special functions (exported for the unit tests) */
extern double lt_digamma(double x);
extern double lt_incbeta(double x, double one_minus_x, double a, double b);

/* Patterns: sort by (x, tx, T) and merge equal ones, summing weights; returns the new count */
extern size_t lt_patterns_compact(LtPattern *p, size_t n);

/*
 * A set of distinct patterns with weights: open addressing with the entries
 * in the table (one random access per row), an empty slot has w = 0.  The
 * caller owns the memory: tab holds mask + 1 (a power of two) zeroed
 * entries.  lt_set_add returns 1 when the table is half full and the
 * pattern is new: allocate a zeroed table twice as large, lt_set_move the
 * old one into it, add again.
 */
typedef struct LtPatternSet
{
	LtPattern  *tab;
	size_t		n;
	size_t		mask;
} LtPatternSet;

extern int	lt_set_add(LtPatternSet *s, double x, double tx, double T, double w);
/* the same with the pattern's hash computed beforehand (to prefetch its slot) */
extern size_t lt_pattern_hash(double x, double tx, double T);
extern int	lt_set_add_hashed(LtPatternSet *s, size_t h, double x, double tx, double T, double w);
extern void lt_set_move(LtPatternSet *dst, const LtPattern *tab, size_t slots);
extern size_t lt_set_collect(const LtPatternSet *s, LtPattern *out);

/* Input checks */
extern LtStatus bgnbd_check_customer(double x, double tx, double T);
extern LtStatus bgnbd_check_params(const BgnbdParams *p);
extern LtStatus gg_check_customer(double x, double m);
extern LtStatus gg_check_params(const GgParams *p);

/* BG/NBD */
extern double bgnbd_loglik(const BgnbdParams *p, const LtPattern *pat, size_t n, double *grad);
/* also the 4 x 4 Hessian in (r, alpha, a, b), row-major; grad and hess required */
extern double bgnbd_loglik_hess(const BgnbdParams *p, const LtPattern *pat, size_t n, double *grad, double *hess);
/*
 * Maximum likelihood; LT_FIT_* (0 = out holds finite parameters, converged
 * or not).  Every loop is bounded (iterations, step halvings, damping).
 */
extern int	bgnbd_fit(const LtPattern *pat, size_t n, BgnbdFit *out, LtInterruptFn interrupted);
extern double bgnbd_p_alive(const BgnbdParams *p, double x, double tx, double T);
extern double bgnbd_expected(const BgnbdParams *p, double t, double x, double tx, double T);
/* E[Y(t)] / P(alive): depends on (t, x, T) only, not on the recency */
extern double bgnbd_cond(const BgnbdParams *p, double t, double x, double T);
extern double bgnbd_expected_quad(const BgnbdParams *p, double t, double x, double tx, double T);
extern double bgnbd_expected_new(const BgnbdParams *p, double t);
extern double bgnbd_prob_n(const BgnbdParams *p, double n, double t);

/* Gamma-Gamma */
extern double gg_loglik(const GgParams *p, const LtPattern *pat, size_t n, double *grad);
extern int	gg_fit(const LtPattern *pat, size_t n, GgFit *out, LtInterruptFn interrupted);
extern double gg_expected(const GgParams *p, double x, double m);

/* CLV: sum_{i=1..months} spend * (E[Y(i u)] - E[Y((i-1) u)]) / (1 + d)^i;
 * interrupted (may be NULL) is polled every month: NaN when it asks to stop */
extern double lt_clv(const BgnbdParams *bg, const GgParams *gg, double x, double tx, double T,
					 double m, int months, double monthly_discount, double units_per_month,
					 LtInterruptFn interrupted);

/* RFM summary of one customer's purchases (day numbers, amounts); days are
 * merged in place.  Returns the number of distinct days. */
typedef struct LtPurchase
{
	int			day;
	double		amount;
} LtPurchase;

typedef struct LtRfm
{
	int			frequency;
	double		recency;
	double		t;
	double		monetary;
} LtRfm;

extern size_t lt_rfm(LtPurchase *p, size_t n, int as_of, LtRfm *out);

#endif
