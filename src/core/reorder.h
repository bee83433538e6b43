/*
 * reorder.h — inventory math in plain C (no PostgreSQL headers): the
 * standard normal distribution and its loss functions, safety stock and
 * reorder points, economic order quantities, and forecasts of (intermittent)
 * demand with the classification that chooses among them.
 *
 * Formulas: Snyder & Shen, "Fundamentals of Supply Chain Theory" (2nd ed.,
 * 2019), chapters 3-4 (as in their library stockpyl); Croston (1972),
 * Syntetos & Boylan (2005), Teunter, Syntetos & Babai (2011) with the
 * conventions of R forecast::croston and Nixtla statsforecast.
 */
#ifndef CRMSCM_REORDER_H
#define CRMSCM_REORDER_H

#include <stddef.h>

/* Status of the checked functions; the SQL layer maps them to SQLSTATEs. */
typedef enum ReorderStatus
{
	RO_OK = 0,
	RO_NOT_FINITE,				/* NaN or infinity in an argument */
	RO_BAD_PROBABILITY,			/* service level / fill rate outside (0, 1) */
	RO_NEGATIVE,				/* negative demand, deviation, lead time, cost */
	RO_ZERO,					/* a quantity that must be positive is 0 */
	RO_PRODUCTION_RATE,			/* production rate not above demand */
	RO_EMPTY,					/* empty series */
	RO_TOO_SHORT,				/* series too short for the method */
	RO_BAD_SMOOTHING			/* smoothing parameter outside its range */
} ReorderStatus;

/* ---- standard normal distribution ---- */

/* Phi(z) = P(Z <= z); full relative accuracy in the lower tail. */
extern double ro_normal_cdf(double z);

/* Upper tail Q(z) = 1 - Phi(z) without cancellation. */
extern double ro_normal_sf(double z);

/* Density phi(z). */
extern double ro_normal_pdf(double z);

/* Phi^{-1}(p) for 0 < p < 1 (AS241 PPND16 plus one Halley step on the
 * tail that is computed exactly); -inf / +inf at 0 / 1, NaN outside. */
extern double ro_normal_quantile(double p);

/* First-order loss L(z) = E[(Z - z)+] = phi(z) - z Q(z). */
extern double ro_normal_loss(double z);

/* Second-order loss L2(z) = E[((Z - z)+)^2] / 2
 *                         = ((z^2 + 1) Q(z) - z phi(z)) / 2. */
extern double ro_normal_loss2(double z);

/* Solve L(z) = target (target > 0) for z. */
extern double ro_normal_loss_inverse(double target);

/* ---- safety stock and reorder points ---- */

/*
 * Standard deviation of demand over the lead time:
 * sqrt(L sd_d^2 + d^2 sd_L^2) (demand per period, lead time in periods).
 */
extern ReorderStatus ro_lead_time_sd(double demand_mean, double demand_sd,
									 double lead_time, double lead_time_sd,
									 double *out);

/*
 * sqrt(L sd_d^2 + d^2 sd_L^2 + extra_var): the same with the variance of
 * further demand over the lead time (e.g. of open deals) added.
 */
extern ReorderStatus ro_lead_time_sd_var(double demand_mean, double demand_sd,
										 double lead_time, double lead_time_sd,
										 double extra_var, double *out);

/* z(service_level) * lead_time_sd_var(..., extra_var) */
extern ReorderStatus ro_safety_stock_var(double service_level, double demand_mean,
										 double demand_sd, double lead_time,
										 double lead_time_sd, double extra_var, double *out);

/* z(service_level) * lead_time_sd(...) */
extern ReorderStatus ro_safety_stock(double service_level, double demand_mean,
									 double demand_sd, double lead_time,
									 double lead_time_sd, double *out);

/* demand_mean * lead_time + safety stock */
extern ReorderStatus ro_reorder_point(double service_level, double demand_mean,
									  double demand_sd, double lead_time,
									  double lead_time_sd, double *out);

/*
 * Safety stock for a fill rate (type-2 service): z solves
 * sigma_LT L(z) = (1 - fill_rate) order_qty; result z sigma_LT.  May be
 * negative when the order quantity alone gives the fill rate.
 */
extern ReorderStatus ro_safety_stock_fill_rate(double fill_rate, double order_qty,
											   double demand_mean, double demand_sd,
											   double lead_time, double lead_time_sd,
											   double *out);

/* ---- economic order quantities ---- */

/* sqrt(2 K D / h) */
extern ReorderStatus ro_eoq(double demand, double order_cost, double holding_cost,
							double *q);

/* Annual ordering + holding cost at the EOQ, sqrt(2 K D h). */
extern ReorderStatus ro_eoq_cost(double demand, double order_cost, double holding_cost,
								 double *cost);

/* Planned backorders: sqrt(2 K D (h + p) / (h p)) */
extern ReorderStatus ro_eoq_backorder(double demand, double order_cost,
									  double holding_cost, double backorder_cost,
									  double *q);

/* Finite production rate P > D: sqrt(2 K D / (h (1 - D / P))) */
extern ReorderStatus ro_eoq_production(double demand, double order_cost,
									   double holding_cost, double production_rate,
									   double *q);

/* ---- forecasts ---- */

typedef enum ReorderMethod
{
	RO_CROSTON = 0,
	RO_SBA,
	RO_TSB,
	RO_SES,
	RO_HOLT
} ReorderMethod;

/* Validate a series: finite, and for demand non-negative. */
extern ReorderStatus ro_check_series(const double *y, size_t n, int demand, size_t *bad);

/*
 * Simple exponential smoothing, level started at y[0] (statsforecast's ses,
 * R ses(initial = "simple")): the one-step forecast after y[n-1].
 */
extern ReorderStatus ro_ses(const double *y, size_t n, double alpha, double *out);

/*
 * Holt's linear trend as R HoltWinters(gamma = FALSE): level y[1], trend
 * y[1] - y[0], updates from y[2]; the one-step forecast level + trend.
 */
extern ReorderStatus ro_holt(const double *y, size_t n, double alpha, double beta,
							 double *out);

/*
 * Croston / SBA / TSB per-period forecast of a non-negative series.
 * croston, sba: alpha smooths the demand sizes, beta the intervals (R uses
 * one alpha for both); SES started at the first size and first interval
 * (the interval from the start of the series to the first demand).  SBA
 * multiplies by 1 - beta/2.  tsb: alpha smooths the sizes, beta the
 * demand probability (1 if a period has demand, else 0) started at the
 * first period's indicator, as statsforecast's TSB.  An all-zero series
 * forecasts 0.
 */
extern ReorderStatus ro_intermittent(const double *y, size_t n, ReorderMethod method,
									 double alpha, double beta, double *out);

/* ---- demand classification (Syntetos, Boylan & Croston 2005) ---- */

#define RO_ADI_CUTOFF 1.32
#define RO_CV2_CUTOFF 0.49

typedef enum DemandClass
{
	RO_SMOOTH = 0,
	RO_ERRATIC,
	RO_INTERMITTENT,
	RO_LUMPY,
	RO_NO_DEMAND
} DemandClass;

typedef struct DemandProfile
{
	size_t		periods;		/* length of the series */
	size_t		demand_periods; /* periods with demand > 0 */
	double		total;			/* sum of the series */
	double		mean;			/* total / periods */
	double		sd;				/* sample standard deviation over all periods */
	double		adi;			/* periods / demand_periods (inf when none) */
	double		cv2;			/* squared coefficient of variation of the
								 * non-zero sizes (sample sd; 0 with one) */
	DemandClass klass;
	ReorderMethod method;		/* ses for smooth, sba otherwise */
} DemandProfile;

extern ReorderStatus ro_classify(const double *y, size_t n, DemandProfile *out);

extern const char *ro_class_name(DemandClass c);
extern const char *ro_method_name(ReorderMethod m);

/* Parse "croston", "sba", "tsb", "ses", "holt"; -1 when unknown. */
extern int	ro_method_parse(const char *s, size_t len);

#endif							/* CRMSCM_REORDER_H */
