/*
 * reorder.c — normal distribution, loss functions, safety stock, EOQ and
 * demand forecasts.  See reorder.h for the contracts.
 */
#include "reorder.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define RO_SQRT1_2 0.70710678118654752440	/* 1/sqrt(2) */
#define RO_1_SQRT2PI 0.39894228040143267794	/* 1/sqrt(2 pi) */

double
ro_normal_pdf(double z)
{
	return RO_1_SQRT2PI * exp(-0.5 * z * z);
}

/*
 * Q(z) = erfc(z/sqrt 2)/2.  erfc keeps full relative accuracy in its tail,
 * but rounding z/sqrt(2) to a double would cost about z^2 ulps there
 * (d erfc(x)/erfc(x) ~ 2x dx): the rounding error e of the product is
 * recovered with fma (and the low part of 1/sqrt 2) and corrected to first
 * order, erfc(x + e) = erfc(x) - 2/sqrt(pi) exp(-x^2) e.
 */
#define RO_SQRT1_2_LO (-4.8336466567264565186e-17)	/* 1/sqrt2 - RO_SQRT1_2 */
#define RO_2_SQRTPI 1.128379167095512573896	/* 2/sqrt(pi) */

double
ro_normal_sf(double z)
{
	double		x = z * RO_SQRT1_2,
				e = fma(z, RO_SQRT1_2, -x) + z * RO_SQRT1_2_LO,
				r = erfc(x);

	if (isfinite(x) && r > 0)
		r -= RO_2_SQRTPI * exp(-x * x) * e;
	return 0.5 * r;
}

double
ro_normal_cdf(double z)
{
	return ro_normal_sf(-z);
}

/*
 * Wichura (1988), Algorithm AS 241 PPND16: Phi^{-1}(p) to about 1e-16
 * relative.  Coefficients as published (and used by R's qnorm).
 */
static double
ro_ppnd16(double p)
{
	double		q = p - 0.5,
				r,
				val;

	if (fabs(q) <= 0.425)
	{
		r = 0.180625 - q * q;
		return q * (((((((r * 2509.0809287301226727 +
						  33430.575583588128105) * r + 67265.770927008700853) * r +
						45921.953931549871457) * r + 13731.693765509461125) * r +
					  1971.5909503065514427) * r + 133.14166789178437745) * r +
					3.387132872796366608)
			/ (((((((r * 5226.495278852545925 +
					 28729.085735721942674) * r + 39307.89580009271061) * r +
				   21213.794301586595867) * r + 5394.1960214247511077) * r +
				 687.1870074920579083) * r + 42.313330701600911252) * r + 1.0);
	}
	r = q < 0 ? p : 1.0 - p;
	r = sqrt(-log(r));
	if (r <= 5.0)
	{
		r -= 1.6;
		val = (((((((r * 7.7454501427834140764e-4 +
					 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
				   1.27045825245236838258) * r + 3.64784832476320460504) * r +
				 5.7694972214606914055) * r + 4.6303378461565452959) * r +
			   1.42343711074968357734)
			/ (((((((r * 1.05075007164441684324e-9 +
					 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
				   0.14810397642748007459) * r + 0.68976733498510000455) * r +
				 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1.0);
	}
	else
	{
		r -= 5.0;
		val = (((((((r * 2.01033439929228813265e-7 +
					 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
				   0.026532189526576123093) * r + 0.29656057182850489123) * r +
				 1.7848265399172913358) * r + 5.4637849111641143699) * r +
			   6.6579046435011037772)
			/ (((((((r * 2.04426310338993978564e-15 +
					 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
				   7.868691311456132591e-4) * r + 0.0148753612908506148525) * r +
				 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1.0);
	}
	return q < 0 ? -val : val;
}

double
ro_normal_quantile(double p)
{
	double		x,
				t,
				e,
				u;
	int			upper;

	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;

	/*
	 * Work in the lower tail: for p > 1/2, t = 1 - p is exact (Sterbenz) and
	 * x(p) = -x(t), so the Halley step below compares Phi in the tail where
	 * erfc is accurate to the last bit.
	 */
	upper = p > 0.5;
	t = upper ? 1.0 - p : p;
	x = ro_ppnd16(t);
	if (x != 0 && t < 0.5)
	{
		/* one Halley step on Phi(x) - t (Wichura's result is already close) */
		double		d = ro_normal_pdf(x);

		if (d >= DBL_MIN)
		{
			e = ro_normal_cdf(x) - t;
			u = e / d;
			x = x - u / (1.0 + 0.5 * x * u);
		}
	}
	return upper ? -x : x;
}

/*
 * Continued fraction of the Mills ratio (Laplace):
 * Q(z)/phi(z) = 1/(z + 1/(z + 2/(z + 3/(z + ...)))).  Returns u1 and u2 of
 * u_k = k / (z + u_{k+1}), evaluated backwards, for z >= 2.  The loss
 * functions are then ratios of positive terms: no cancellation.
 */
static void
ro_mills_cf(double z, double *u1, double *u2)
{
	double		u = 0;
	int			nterms = z >= 8 ? 60 : z >= 4 ? 200 : 600;

	for (int k = nterms; k >= 2; k--)
		u = k / (z + u);
	*u2 = u;
	*u1 = 1.0 / (z + u);
}

#define RO_LOSS_CF_FROM 2.0

double
ro_normal_loss(double z)
{
	double		u1,
				u2;

	if (isnan(z))
		return NAN;
	if (z == -INFINITY)
		return INFINITY;
	if (z < RO_LOSS_CF_FROM)
		return ro_normal_pdf(z) - z * ro_normal_sf(z);	/* terms of one sign
														 * for z <= 0 */
	if (z == INFINITY)
		return 0;
	/* L = phi (1 - z R) with R = 1/(z + u1): 1 - z R = u1/(z + u1) */
	ro_mills_cf(z, &u1, &u2);
	return ro_normal_pdf(z) * u1 / (z + u1);
}

double
ro_normal_loss2(double z)
{
	double		u1,
				u2;

	if (isnan(z))
		return NAN;
	if (z == -INFINITY)
		return INFINITY;
	if (z < RO_LOSS_CF_FROM)
		return 0.5 * ((z * z + 1) * ro_normal_sf(z) - z * ro_normal_pdf(z));
	if (z == INFINITY)
		return 0;

	/*
	 * (z^2 + 1) R - z = (1 - z u1)/(z + u1) and 1 - z u1 = u2/(z + u2)
	 */
	ro_mills_cf(z, &u1, &u2);
	return 0.5 * ro_normal_pdf(z) * u2 / ((z + u2) * (z + u1));
}

double
ro_normal_loss_inverse(double target)
{
	double		z,
				lo,
				hi;

	if (!(target > 0) || isinf(target))
		return NAN;

	/*
	 * Newton on g(z) = log(L(z) / target), g' = -Q/L.  L is decreasing and
	 * log-concave, so after at most one step past the root the iterates
	 * approach it monotonically from the right; in the tail the steps are
	 * about (z^2/2)/z, where Newton on L itself would crawl by 1/z.  L(-t) =
	 * t + L(t) >= t starts us left of the root; a bisection bracket catches
	 * anything else (L underflows to 0 beyond z = 38.5 < 40).
	 */
	z = -target;
	lo = z;
	hi = 40.0;
	for (int i = 0; i < 200; i++)
	{
		double		l = ro_normal_loss(z),
					q = ro_normal_sf(z),
					next;

		if (l > target)
			lo = z;
		else if (l < target)
			hi = z;
		else
			break;
		next = (l > 0 && q > 0) ? z + log(l / target) * (l / q) : 0.5 * (lo + hi);
		if (!(next > lo && next < hi))
			next = 0.5 * (lo + hi);
		if (fabs(next - z) <= 4e-16 * fmax(1.0, fabs(z)))
		{
			z = next;
			break;
		}
		z = next;
	}
	return z;
}

/* ---- safety stock ---- */

static ReorderStatus
ro_check_nonneg(double x)
{
	if (!isfinite(x))
		return RO_NOT_FINITE;
	if (x < 0)
		return RO_NEGATIVE;
	return RO_OK;
}

static ReorderStatus
ro_check_probability(double p)
{
	if (!isfinite(p))
		return RO_NOT_FINITE;
	if (!(p > 0 && p < 1))
		return RO_BAD_PROBABILITY;
	return RO_OK;
}

ReorderStatus
ro_lead_time_sd_var(double demand_mean, double demand_sd, double lead_time,
					double lead_time_sd, double extra_var, double *out)
{
	ReorderStatus st;

	if ((st = ro_check_nonneg(demand_mean)) != RO_OK ||
		(st = ro_check_nonneg(demand_sd)) != RO_OK ||
		(st = ro_check_nonneg(lead_time)) != RO_OK ||
		(st = ro_check_nonneg(lead_time_sd)) != RO_OK ||
		(st = ro_check_nonneg(extra_var)) != RO_OK)
		return st;
	/* hypot-style scaling is not needed: each term is a finite square */
	*out = sqrt(lead_time * demand_sd * demand_sd +
				demand_mean * demand_mean * lead_time_sd * lead_time_sd + extra_var);
	if (!isfinite(*out))
		return RO_NOT_FINITE;
	return RO_OK;
}

ReorderStatus
ro_lead_time_sd(double demand_mean, double demand_sd, double lead_time,
				double lead_time_sd, double *out)
{
	/* + 0 changes no bit of the sum */
	return ro_lead_time_sd_var(demand_mean, demand_sd, lead_time, lead_time_sd, 0, out);
}

ReorderStatus
ro_safety_stock_var(double service_level, double demand_mean, double demand_sd,
					double lead_time, double lead_time_sd, double extra_var, double *out)
{
	ReorderStatus st;
	double		sigma;

	if ((st = ro_check_probability(service_level)) != RO_OK)
		return st;
	if ((st = ro_lead_time_sd_var(demand_mean, demand_sd, lead_time, lead_time_sd, extra_var,
								  &sigma)) != RO_OK)
		return st;
	*out = sigma == 0 ? 0 : ro_normal_quantile(service_level) * sigma;
	return RO_OK;
}

ReorderStatus
ro_safety_stock(double service_level, double demand_mean, double demand_sd,
				double lead_time, double lead_time_sd, double *out)
{
	return ro_safety_stock_var(service_level, demand_mean, demand_sd, lead_time, lead_time_sd, 0, out);
}

ReorderStatus
ro_reorder_point(double service_level, double demand_mean, double demand_sd,
				 double lead_time, double lead_time_sd, double *out)
{
	ReorderStatus st;
	double		ss;

	st = ro_safety_stock(service_level, demand_mean, demand_sd, lead_time,
						 lead_time_sd, &ss);
	if (st != RO_OK)
		return st;
	*out = demand_mean * lead_time + ss;
	if (!isfinite(*out))
		return RO_NOT_FINITE;
	return RO_OK;
}

ReorderStatus
ro_safety_stock_fill_rate(double fill_rate, double order_qty, double demand_mean,
						  double demand_sd, double lead_time, double lead_time_sd,
						  double *out)
{
	ReorderStatus st;
	double		sigma,
				target;

	if ((st = ro_check_probability(fill_rate)) != RO_OK)
		return st;
	if ((st = ro_check_nonneg(order_qty)) != RO_OK)
		return st;
	if (order_qty == 0)
		return RO_ZERO;
	if ((st = ro_lead_time_sd(demand_mean, demand_sd, lead_time, lead_time_sd, &sigma)) != RO_OK)
		return st;
	if (sigma == 0)
	{
		*out = 0;				/* no uncertainty: no safety stock needed */
		return RO_OK;
	}
	target = (1.0 - fill_rate) * order_qty / sigma;
	if (!isfinite(target))
		return RO_NOT_FINITE;
	if (target == 0)			/* underflow: beyond any representable z */
		return RO_NOT_FINITE;
	*out = ro_normal_loss_inverse(target) * sigma;
	return RO_OK;
}

/* ---- EOQ ---- */

static ReorderStatus
ro_check_eoq(double demand, double order_cost, double holding_cost)
{
	ReorderStatus st;

	if ((st = ro_check_nonneg(demand)) != RO_OK ||
		(st = ro_check_nonneg(order_cost)) != RO_OK ||
		(st = ro_check_nonneg(holding_cost)) != RO_OK)
		return st;
	if (holding_cost == 0)
		return RO_ZERO;
	return RO_OK;
}

ReorderStatus
ro_eoq(double demand, double order_cost, double holding_cost, double *q)
{
	ReorderStatus st = ro_check_eoq(demand, order_cost, holding_cost);

	if (st != RO_OK)
		return st;
	*q = sqrt(2.0 * order_cost * demand / holding_cost);
	return isfinite(*q) ? RO_OK : RO_NOT_FINITE;
}

ReorderStatus
ro_eoq_cost(double demand, double order_cost, double holding_cost, double *cost)
{
	ReorderStatus st = ro_check_eoq(demand, order_cost, holding_cost);

	if (st != RO_OK)
		return st;
	*cost = sqrt(2.0 * order_cost * demand * holding_cost);
	return isfinite(*cost) ? RO_OK : RO_NOT_FINITE;
}

ReorderStatus
ro_eoq_backorder(double demand, double order_cost, double holding_cost,
				 double backorder_cost, double *q)
{
	ReorderStatus st = ro_check_eoq(demand, order_cost, holding_cost);

	if (st != RO_OK)
		return st;
	if ((st = ro_check_nonneg(backorder_cost)) != RO_OK)
		return st;
	if (backorder_cost == 0)
		return RO_ZERO;
	*q = sqrt(2.0 * order_cost * demand * (holding_cost + backorder_cost) /
			  (holding_cost * backorder_cost));
	return isfinite(*q) ? RO_OK : RO_NOT_FINITE;
}

ReorderStatus
ro_eoq_production(double demand, double order_cost, double holding_cost,
				  double production_rate, double *q)
{
	ReorderStatus st = ro_check_eoq(demand, order_cost, holding_cost);

	if (st != RO_OK)
		return st;
	if ((st = ro_check_nonneg(production_rate)) != RO_OK)
		return st;
	if (!(production_rate > demand))
		return RO_PRODUCTION_RATE;
	*q = sqrt(2.0 * order_cost * demand / (holding_cost * (1.0 - demand / production_rate)));
	return isfinite(*q) ? RO_OK : RO_NOT_FINITE;
}

/* ---- forecasts ---- */

ReorderStatus
ro_check_series(const double *y, size_t n, int demand, size_t *bad)
{
	for (size_t i = 0; i < n; i++)
	{
		if (!isfinite(y[i]))
		{
			*bad = i;
			return RO_NOT_FINITE;
		}
		if (demand && y[i] < 0)
		{
			*bad = i;
			return RO_NEGATIVE;
		}
	}
	if (n == 0)
		return RO_EMPTY;
	return RO_OK;
}

static ReorderStatus
ro_check_smoothing(double a, int zero_ok)
{
	if (!isfinite(a))
		return RO_NOT_FINITE;
	if (a > 1 || a < 0 || (a == 0 && !zero_ok))
		return RO_BAD_SMOOTHING;
	return RO_OK;
}

/* SES level after y[0..n-1] started at y[0] (n >= 1) */
static double
ro_ses_level(const double *y, size_t n, double alpha)
{
	double		level = y[0];

	for (size_t i = 1; i < n; i++)
		level += alpha * (y[i] - level);
	return level;
}

ReorderStatus
ro_ses(const double *y, size_t n, double alpha, double *out)
{
	ReorderStatus st;

	if ((st = ro_check_smoothing(alpha, 0)) != RO_OK)
		return st;
	if (n == 0)
		return RO_EMPTY;
	*out = ro_ses_level(y, n, alpha);
	return RO_OK;
}

ReorderStatus
ro_holt(const double *y, size_t n, double alpha, double beta, double *out)
{
	ReorderStatus st;
	double		level,
				trend;

	if ((st = ro_check_smoothing(alpha, 0)) != RO_OK ||
		(st = ro_check_smoothing(beta, 1)) != RO_OK)
		return st;
	if (n == 0)
		return RO_EMPTY;
	if (n < 2)
		return RO_TOO_SHORT;
	level = y[1];
	trend = y[1] - y[0];
	for (size_t i = 2; i < n; i++)
	{
		double		prev = level;

		level = alpha * y[i] + (1.0 - alpha) * (level + trend);
		trend = beta * (level - prev) + (1.0 - beta) * trend;
	}
	*out = level + trend;
	return RO_OK;
}

/* the demand sizes and intervals of Croston/SBA: one update per period with demand */
static inline void
ro_size_interval(const double *y, size_t i, double alpha, double beta, double *size,
				 double *interval, size_t *last, size_t *k)
{
	/* sizes and intervals (from the series start for the first one) */
	if (*k == 0)
	{
		*size = y[i];
		*interval = (double) (i + 1);
	}
	else
	{
		*size += alpha * (y[i] - *size);
		*interval += beta * ((double) (i - *last) - *interval);
	}
	*last = i;
	(*k)++;
}

#define RO_BLOCK 256

ReorderStatus
ro_intermittent(const double *y, size_t n, ReorderMethod method, double alpha,
				double beta, double *out)
{
	ReorderStatus st;
	double		size = 0,
				interval = 0,
				prob = 0;
	size_t		last = 0,
				k = 0;

	if ((st = ro_check_smoothing(alpha, 0)) != RO_OK ||
		(st = ro_check_smoothing(beta, 0)) != RO_OK)
		return st;
	if (n == 0)
		return RO_EMPTY;

	if (method == RO_TSB)
	{
		for (size_t i = 0; i < n; i++)
		{
			/* TSB: demand probability over every period, started at y[0] */
			double		d = y[i] != 0 ? 1.0 : 0.0;

			prob = i == 0 ? d : prob + beta * (d - prob);
			if (y[i] != 0)
				ro_size_interval(y, i, alpha, beta, &size, &interval, &last, &k);
		}
	}
	else
	{
		/*
		 * Croston and SBA: the periods with demand, found a block at a time
		 * without a branch on the data (a series with zeros at random days
		 * mispredicted half of them), then the same updates in the same
		 * order
		 */
		size_t		idx[RO_BLOCK];

		for (size_t from = 0; from < n; from += RO_BLOCK)
		{
			size_t		to = n - from < RO_BLOCK ? n : from + RO_BLOCK,
						m = 0;

			for (size_t i = from; i < to; i++)
			{
				idx[m] = i;
				m += (y[i] != 0);
			}
			for (size_t j = 0; j < m; j++)
				ro_size_interval(y, idx[j], alpha, beta, &size, &interval, &last, &k);
		}
	}
	if (k == 0)
	{
		*out = 0;				/* no demand at all: forecast 0 */
		return RO_OK;
	}
	switch (method)
	{
		case RO_CROSTON:
			*out = size / interval;
			break;
		case RO_SBA:
			*out = (1.0 - beta / 2.0) * size / interval;
			break;
		case RO_TSB:
			*out = prob * size;
			break;
		default:
			return RO_BAD_SMOOTHING;
	}
	return RO_OK;
}

/* ---- classification ---- */

ReorderStatus
ro_classify(const double *y, size_t n, DemandProfile *out)
{
	double		total = 0,
				mean,
				ss = 0,
				nz_mean,
				nz_ss = 0;
	size_t		nz = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return RO_EMPTY;
	/*
	 * without branches on the data (adding +0.0 changes no sum): a series
	 * with zeros at random days mispredicted half the branches
	 */
	for (size_t i = 0; i < n; i++)
	{
		total += y[i];
		nz += (y[i] != 0);
	}
	mean = total / (double) n;
	nz_mean = nz > 0 ? total / (double) nz : 0;
	/* two-pass sums of squares: no cancellation */
	for (size_t i = 0; i < n; i++)
	{
		double		d = y[i] - mean,
					dz = y[i] - nz_mean,
					dz2 = dz * dz;
		uint64_t	bits;

		ss += d * d;
		/*
		 * dz * dz where y[i] != 0, else +0.0 (which adds nothing), by a mask
		 * on the bits instead of a branch the data mispredicted
		 */
		memcpy(&bits, &dz2, sizeof(bits));
		bits &= (uint64_t) 0 - (uint64_t) (y[i] != 0);
		memcpy(&dz2, &bits, sizeof(dz2));
		nz_ss += dz2;
	}
	out->periods = n;
	out->demand_periods = nz;
	out->total = total;
	out->mean = mean;
	out->sd = n > 1 ? sqrt(ss / (double) (n - 1)) : 0;
	if (nz == 0)
	{
		out->adi = INFINITY;
		out->cv2 = 0;
		out->klass = RO_NO_DEMAND;
		out->method = RO_SBA;
		return RO_OK;
	}
	out->adi = (double) n / (double) nz;
	out->cv2 = nz > 1 ? (nz_ss / (double) (nz - 1)) / (nz_mean * nz_mean) : 0;
	if (out->adi < RO_ADI_CUTOFF)
		out->klass = out->cv2 < RO_CV2_CUTOFF ? RO_SMOOTH : RO_ERRATIC;
	else
		out->klass = out->cv2 < RO_CV2_CUTOFF ? RO_INTERMITTENT : RO_LUMPY;
	out->method = out->klass == RO_SMOOTH ? RO_SES : RO_SBA;
	return RO_OK;
}

const char *
ro_class_name(DemandClass c)
{
	switch (c)
	{
		case RO_SMOOTH:
			return "smooth";
		case RO_ERRATIC:
			return "erratic";
		case RO_INTERMITTENT:
			return "intermittent";
		case RO_LUMPY:
			return "lumpy";
		case RO_NO_DEMAND:
		default:
			return "no demand";
	}
}

const char *
ro_method_name(ReorderMethod m)
{
	switch (m)
	{
		case RO_CROSTON:
			return "croston";
		case RO_SBA:
			return "sba";
		case RO_TSB:
			return "tsb";
		case RO_SES:
			return "ses";
		case RO_HOLT:
		default:
			return "holt";
	}
}

int
ro_method_parse(const char *s, size_t len)
{
	static const char *const names[] = {"croston", "sba", "tsb", "ses", "holt"};

	for (int i = 0; i < 5; i++)
		if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0)
			return i;
	return -1;
}
