/*
 * reorder.c — SQL face of the reorder-point math (doc/reorder.md): normal
 * distribution and loss functions, safety stock, reorder points, EOQ,
 * forecasts on arrays, and aggregates over (day, qty) rows that count
 * missing days as zero demand.  The math is in src/core/reorder.c.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"

#include "reorder.h"

/* Longest daily series an aggregate builds: 100 years of days. */
#define RO_MAX_DAYS 36600

/* Report a failed check of the core; what names the argument. */
static void
ro_report(ReorderStatus st, const char *what, double value)
{
	char	   *v = float8out_internal(value);

	switch (st)
	{
		case RO_NOT_FINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s must be finite, got %s", what, v)));
			break;
		case RO_BAD_PROBABILITY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s %s is out of range", what, v),
					 errdetail("It must be strictly between 0 and 1.")));
			break;
		case RO_NEGATIVE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be negative, got %s", what, v)));
			break;
		case RO_ZERO:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be positive, got %s", what, v)));
			break;
		case RO_PRODUCTION_RATE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("production_rate %s must exceed annual_demand", v)));
			break;
		case RO_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s must not be empty", what)));
			break;
		case RO_TOO_SHORT:
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s needs at least 2 values for Holt's method", what)));
			break;
		case RO_BAD_SMOOTHING:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("smoothing parameter %s %s is out of range", what, v),
					 errdetail("It must be in (0, 1] (a trend smoothing beta may be 0).")));
			break;
		case RO_OK:
			break;
	}
}

/* Check a group of arguments that must be finite and non-negative */
static inline void
ro_check_arg(double x, const char *what)
{
	if (!isfinite(x))
		ro_report(RO_NOT_FINITE, what, x);
	if (x < 0)
		ro_report(RO_NEGATIVE, what, x);
}

static inline void
ro_check_probability_arg(double p, const char *what)
{
	if (isnan(p))
		ro_report(RO_NOT_FINITE, what, p);
	if (!(p > 0 && p < 1))
		ro_report(RO_BAD_PROBABILITY, what, p);
}

static inline void
ro_check_finite_arg(double x, const char *what)
{
	if (!isfinite(x))
		ro_report(RO_NOT_FINITE, what, x);
}

/*
 * A result that overflowed (values near 1e308 in, or a loss function far in
 * its tail) is an error, never NaN or Infinity handed to the caller.
 */
static inline double
ro_result(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range for type double precision", what)));
	return v;
}

/* Standard normal distribution function */
PG_FUNCTION_INFO_V1(crmscm_normal_cdf);
Datum
crmscm_normal_cdf(PG_FUNCTION_ARGS)
{
	double		z = PG_GETARG_FLOAT8(0);

	ro_check_finite_arg(z, "z");
	PG_RETURN_FLOAT8(ro_result(ro_normal_cdf(z), "normal_cdf"));
}

/* Standard normal quantile */
PG_FUNCTION_INFO_V1(crmscm_normal_quantile);
Datum
crmscm_normal_quantile(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(0);

	ro_check_finite_arg(p, "probability");
	if (p < 0 || p > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probability %s is out of range", float8out_internal(p)),
				 errdetail("It must be strictly between 0 and 1.")));
	if (p == 0 || p == 1)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("normal_quantile(%s) is %s, out of range", float8out_internal(p), p == 0 ? "-Infinity" : "Infinity"),
				 errdetail("The probability must be strictly between 0 and 1.")));
	PG_RETURN_FLOAT8(ro_result(ro_normal_quantile(p), "normal_quantile"));
}

/* First-order standard normal loss function */
PG_FUNCTION_INFO_V1(crmscm_normal_loss);
Datum
crmscm_normal_loss(PG_FUNCTION_ARGS)
{
	double		z = PG_GETARG_FLOAT8(0);

	ro_check_finite_arg(z, "z");
	PG_RETURN_FLOAT8(ro_result(ro_normal_loss(z), "normal_loss"));
}

/* Second-order standard normal loss function */
PG_FUNCTION_INFO_V1(crmscm_normal_loss2);
Datum
crmscm_normal_loss2(PG_FUNCTION_ARGS)
{
	double		z = PG_GETARG_FLOAT8(0);

	ro_check_finite_arg(z, "z");
	PG_RETURN_FLOAT8(ro_result(ro_normal_loss2(z), "normal_loss2"));
}

/* Validate service level, demand and lead time arguments 0..4 */
static void
ro_check_ss_args(FunctionCallInfo fcinfo, int first, const char *level_name)
{
	ro_check_probability_arg(PG_GETARG_FLOAT8(0), level_name);
	ro_check_arg(PG_GETARG_FLOAT8(first), "demand_mean");
	ro_check_arg(PG_GETARG_FLOAT8(first + 1), "demand_sd");
	ro_check_arg(PG_GETARG_FLOAT8(first + 2), "lead_time");
	ro_check_arg(PG_GETARG_FLOAT8(first + 3), "lead_time_sd");
}

/* Safety stock for a cycle service level */
PG_FUNCTION_INFO_V1(crmscm_safety_stock);
Datum
crmscm_safety_stock(PG_FUNCTION_ARGS)
{
	double		out = 0;
	ReorderStatus st;

	ro_check_ss_args(fcinfo, 1, "service_level");
	st = ro_safety_stock(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
						 PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4), &out);
	ro_report(st, "safety stock", out);
	PG_RETURN_FLOAT8(ro_result(out, "safety stock"));
}

/* Reorder point: mean lead-time demand plus safety stock */
PG_FUNCTION_INFO_V1(crmscm_reorder_point);
Datum
crmscm_reorder_point(PG_FUNCTION_ARGS)
{
	double		out = 0;
	ReorderStatus st;

	ro_check_ss_args(fcinfo, 1, "service_level");
	st = ro_reorder_point(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
						  PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4), &out);
	ro_report(st, "reorder point", out);
	PG_RETURN_FLOAT8(ro_result(out, "reorder point"));
}

/* Safety stock for a fill rate, via the loss function */
PG_FUNCTION_INFO_V1(crmscm_safety_stock_fill_rate);
Datum
crmscm_safety_stock_fill_rate(PG_FUNCTION_ARGS)
{
	double		out = 0,
				q = PG_GETARG_FLOAT8(1);
	ReorderStatus st;

	ro_check_probability_arg(PG_GETARG_FLOAT8(0), "fill_rate");
	ro_check_arg(q, "order_qty");
	if (q == 0)
		ro_report(RO_ZERO, "order_qty", q);
	ro_check_arg(PG_GETARG_FLOAT8(2), "demand_mean");
	ro_check_arg(PG_GETARG_FLOAT8(3), "demand_sd");
	ro_check_arg(PG_GETARG_FLOAT8(4), "lead_time");
	ro_check_arg(PG_GETARG_FLOAT8(5), "lead_time_sd");
	st = ro_safety_stock_fill_rate(PG_GETARG_FLOAT8(0), q, PG_GETARG_FLOAT8(2),
								   PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4),
								   PG_GETARG_FLOAT8(5), &out);
	if (st == RO_NOT_FINITE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("fill-rate safety stock is out of range for order_qty %s",
						float8out_internal(q))));
	ro_report(st, "safety stock", out);
	PG_RETURN_FLOAT8(ro_result(out, "safety stock"));
}

static void
ro_check_eoq_args(FunctionCallInfo fcinfo)
{
	ro_check_arg(PG_GETARG_FLOAT8(0), "annual_demand");
	ro_check_arg(PG_GETARG_FLOAT8(1), "order_cost");
	ro_check_arg(PG_GETARG_FLOAT8(2), "holding_cost");
	if (PG_GETARG_FLOAT8(2) == 0)
		ro_report(RO_ZERO, "holding_cost", 0);
}

static Datum
ro_eoq_result(ReorderStatus st, double q)
{
	if (st == RO_NOT_FINITE || !isfinite(q))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("economic order quantity is out of range for type double precision")));
	return Float8GetDatum(q);
}

/* Economic order quantity sqrt(2 K D / h) */
PG_FUNCTION_INFO_V1(crmscm_eoq);
Datum
crmscm_eoq(PG_FUNCTION_ARGS)
{
	double		q = 0;
	ReorderStatus st;

	ro_check_eoq_args(fcinfo);
	st = ro_eoq(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), &q);
	return ro_eoq_result(st, q);
}

/* Annual ordering plus holding cost at the EOQ */
PG_FUNCTION_INFO_V1(crmscm_eoq_cost);
Datum
crmscm_eoq_cost(PG_FUNCTION_ARGS)
{
	double		q = 0;
	ReorderStatus st;

	ro_check_eoq_args(fcinfo);
	st = ro_eoq_cost(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), &q);
	return ro_eoq_result(st, q);
}

/* EOQ with planned backorders */
PG_FUNCTION_INFO_V1(crmscm_eoq_backorder);
Datum
crmscm_eoq_backorder(PG_FUNCTION_ARGS)
{
	double		q = 0,
				p = PG_GETARG_FLOAT8(3);
	ReorderStatus st;

	ro_check_eoq_args(fcinfo);
	ro_check_arg(p, "backorder_cost");
	if (p == 0)
		ro_report(RO_ZERO, "backorder_cost", p);
	st = ro_eoq_backorder(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), p, &q);
	return ro_eoq_result(st, q);
}

/* EOQ with a finite production rate (EPQ) */
PG_FUNCTION_INFO_V1(crmscm_eoq_production);
Datum
crmscm_eoq_production(PG_FUNCTION_ARGS)
{
	double		q = 0,
				p = PG_GETARG_FLOAT8(3);
	ReorderStatus st;

	ro_check_eoq_args(fcinfo);
	ro_check_arg(p, "production_rate");
	st = ro_eoq_production(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), p, &q);
	if (st == RO_PRODUCTION_RATE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("production_rate %s must exceed annual_demand %s",
						float8out_internal(p), float8out_internal(PG_GETARG_FLOAT8(0)))));
	return ro_eoq_result(st, q);
}

/* ---- forecasts on arrays ---- */

/*
 * Detoast and check a float8[] series: one dimension, no NULLs, finite,
 * non-negative when it is demand.  Returns a pointer into the array.
 */
static double *
ro_series_arg(ArrayType *arr, bool demand, int *n)
{
	size_t		bad = 0;
	ReorderStatus st;
	double	   *y;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		elog(ERROR, "series must be float8[]");
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("series must be a one-dimensional array, got %d dimensions", ARR_NDIM(arr))));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("series must not contain NULL elements")));
	*n = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
	/* no NULLs, so the data start right after the fixed header */
	y = (double *) ((char *) arr + ARR_OVERHEAD_NONULLS(ARR_NDIM(arr)));
	st = ro_check_series(y, (size_t) *n, demand, &bad);
	if (st == RO_NOT_FINITE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("series element %d is %s; it must be finite", (int) bad + 1,
						float8out_internal(y[bad]))));
	if (st == RO_NEGATIVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series element %d is %s; demand must not be negative", (int) bad + 1,
						float8out_internal(y[bad]))));
	if (st == RO_EMPTY)
		ro_report(st, "series", 0);
	return y;
}

static ReorderMethod
ro_method_arg(text *t, bool intermittent_only)
{
	int			m = ro_method_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (m < 0 || (intermittent_only && m > RO_TSB))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown forecast method \"%s\"", text_to_cstring(t)),
				 errhint(intermittent_only ? "Use croston, sba or tsb." :
						 "Use croston, sba, tsb, ses or holt.")));
	return (ReorderMethod) m;
}

static double
ro_run_forecast(const double *y, int n, ReorderMethod m, double alpha, double beta)
{
	double		out = 0;
	ReorderStatus st;

	switch (m)
	{
		case RO_SES:
			st = ro_ses(y, n, alpha, &out);
			break;
		case RO_HOLT:
			st = ro_holt(y, n, alpha, beta, &out);
			break;
		default:
			st = ro_intermittent(y, n, m, alpha, beta, &out);
			break;
	}
	if (st == RO_BAD_SMOOTHING || st == RO_NOT_FINITE)
	{
		/* name the offending parameter */
		bool		alpha_bad = !(alpha > 0 && alpha <= 1);

		ro_report(st, alpha_bad ? "alpha" : "beta", alpha_bad ? alpha : beta);
	}
	ro_report(st, "series", 0);
	return ro_result(out, "forecast of this series");
}

/* Croston, SBA or TSB forecast per period of an intermittent series */
PG_FUNCTION_INFO_V1(crmscm_forecast_intermittent);
Datum
crmscm_forecast_intermittent(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	ReorderMethod m = ro_method_arg(PG_GETARG_TEXT_PP(1), true);
	double		alpha = PG_GETARG_FLOAT8(2),
				beta = PG_NARGS() > 3 ? PG_GETARG_FLOAT8(3) : alpha;
	int			n;
	double	   *y = ro_series_arg(arr, true, &n);

	PG_RETURN_FLOAT8(ro_run_forecast(y, n, m, alpha, beta));
}

/* Simple exponential smoothing: one-step forecast */
PG_FUNCTION_INFO_V1(crmscm_forecast_ses);
Datum
crmscm_forecast_ses(PG_FUNCTION_ARGS)
{
	int			n;
	double	   *y = ro_series_arg(PG_GETARG_ARRAYTYPE_P(0), false, &n);

	PG_RETURN_FLOAT8(ro_run_forecast(y, n, RO_SES, PG_GETARG_FLOAT8(1), 0));
}

/* Holt's linear trend: one-step forecast */
PG_FUNCTION_INFO_V1(crmscm_forecast_holt);
Datum
crmscm_forecast_holt(PG_FUNCTION_ARGS)
{
	int			n;
	double	   *y = ro_series_arg(PG_GETARG_ARRAYTYPE_P(0), false, &n);

	PG_RETURN_FLOAT8(ro_run_forecast(y, n, RO_HOLT, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2)));
}

/* Build a crmscm.demand_profile row */
static Datum
ro_profile_datum(FunctionCallInfo fcinfo, const double *y, int n, double alpha)
{
	TupleDesc	tupdesc;
	Datum		values[10];
	bool		nulls[10] = {0};
	DemandProfile p;
	double		f;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	ro_report(ro_classify(y, n, &p), "series", 0);
	f = p.klass == RO_NO_DEMAND ? 0 :
		ro_run_forecast(y, n, p.method, alpha, alpha);
	/* sums of values near 1e308 overflow: an error, never Infinity or NaN */
	(void) ro_result(p.total, "total demand of this series");
	(void) ro_result(p.sd, "standard deviation of this series");
	if (p.demand_periods > 0)
		(void) ro_result(p.cv2, "CV^2 of this series");
	values[0] = Int32GetDatum((int32) p.periods);
	values[1] = Int32GetDatum((int32) p.demand_periods);
	values[2] = Float8GetDatum(p.total);
	values[3] = Float8GetDatum(p.mean);
	values[4] = Float8GetDatum(p.sd);
	/* without demand ADI is infinite and CV^2 undefined: NULL */
	values[5] = Float8GetDatum(p.adi);
	nulls[5] = p.demand_periods == 0;
	values[6] = Float8GetDatum(p.cv2);
	nulls[6] = p.demand_periods == 0;
	values[7] = CStringGetTextDatum(ro_class_name(p.klass));
	values[8] = CStringGetTextDatum(ro_method_name(p.method));
	values[9] = Float8GetDatum(f);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* ADI / CV^2 classification of a demand series, with the chosen forecast */
PG_FUNCTION_INFO_V1(crmscm_demand_class);
Datum
crmscm_demand_class(PG_FUNCTION_ARGS)
{
	int			n;
	double	   *y = ro_series_arg(PG_GETARG_ARRAYTYPE_P(0), true, &n);
	double		alpha = PG_NARGS() > 1 ? PG_GETARG_FLOAT8(1) : 0.1;

	PG_RETURN_DATUM(ro_profile_datum(fcinfo, y, n, alpha));
}

/* ---- aggregates over (day, qty) ---- */

/*
 * Transition state: daily totals in a dense array indexed backwards from
 * the end day (vals[0] is end_day), so that rows in any order cost O(1)
 * and missing days are zero.  With a start day the length is fixed and
 * rows outside [start_day, end_day] are ignored; without one the array
 * grows back to the earliest day seen, and rows after end_day are ignored.
 * The parameters (method, alpha, beta) are taken from the first row and
 * must not change within a group.
 */
typedef struct DemandAggState
{
	int32		end;			/* end day (DateADT) */
	int32		start;			/* start day, when has_start */
	bool		has_start;
	bool		params_set;		/* method, alpha, beta taken from a row */
	int32		method;			/* ReorderMethod, or -1 */
	double		alpha;
	double		beta;
	int32		len;			/* days used: end - earliest + 1 */
	int32		cap;			/* allocated */
	double	   *vals;
} DemandAggState;

static DemandAggState *
ro_agg_state(FunctionCallInfo fcinfo, int32 end, bool has_start, int32 start)
{
	MemoryContext aggctx,
				old;
	DemandAggState *s;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "aggregate function called in non-aggregate context");
	if (!PG_ARGISNULL(0))
		return (DemandAggState *) PG_GETARG_POINTER(0);

	if (DATE_NOT_FINITE(end) || (has_start && DATE_NOT_FINITE(start)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_day and end_day must be finite dates")));
	if (has_start && start > end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_day %s is after end_day %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(start))),
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(end))))));
	if (has_start && (int64) end - start + 1 > RO_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demand series of %lld days is too long", (long long) ((int64) end - start + 1)),
				 errdetail("At most %d days are allowed.", RO_MAX_DAYS)));

	old = MemoryContextSwitchTo(aggctx);
	s = (DemandAggState *) palloc0(sizeof(DemandAggState));
	s->end = end;
	s->start = start;
	s->has_start = has_start;
	s->method = -1;
	s->cap = has_start ? end - start + 1 : 64;
	s->len = has_start ? s->cap : 0;
	s->vals = (double *) palloc0(mul_size(s->cap, sizeof(double)));
	MemoryContextSwitchTo(old);
	return s;
}

static inline void
ro_agg_grow(DemandAggState *s, int64 need)
{
	if (need > RO_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("demand series of %lld days is too long", (long long) need),
				 errdetail("At most %d days are allowed; pass a start_day to bound the window.",
						   RO_MAX_DAYS)));
	if (need > s->cap)
	{
		int32		cap = (int32) Min(Max(need, (int64) s->cap * 2), RO_MAX_DAYS);

		/* repalloc keeps the chunk in the aggregate context */
		s->vals = (double *) repalloc(s->vals, mul_size(cap, sizeof(double)));
		memset(s->vals + s->cap, 0, (cap - s->cap) * sizeof(double));
		s->cap = cap;
	}
	if (need > s->len)
		s->len = (int32) need;
}

/* Add one row; NULL day or qty rows are skipped */
static inline void
ro_agg_add(FunctionCallInfo fcinfo, DemandAggState *s)
{
	DateADT		day;
	double		q;
	int64		back;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return;
	day = PG_GETARG_DATEADT(1);
	q = PG_GETARG_FLOAT8(2);
	if (unlikely(!isfinite(q) || q < 0))
		ereport(ERROR,
				(errcode(isfinite(q) ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("demand quantity %s is invalid", float8out_internal(q)),
				 errdetail("Quantities must be finite and not negative.")));
	if (DATE_NOT_FINITE(day) || day > s->end || (s->has_start && day < s->start))
		return;
	back = (int64) s->end - day;
	if (back >= s->len)
		ro_agg_grow(s, back + 1);
	s->vals[back] += q;
}

static inline int32
ro_date_param(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	return PG_GETARG_DATEADT(argno);
}

static inline double
ro_float_param(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	return PG_GETARG_FLOAT8(argno);
}

static inline void
ro_agg_params(DemandAggState *s, int32 end, bool has_start, int32 start,
			  int32 method, double alpha, double beta)
{
	if (!s->params_set)
	{
		s->params_set = true;
		s->method = method;
		s->alpha = alpha;
		s->beta = beta;
	}
	if (unlikely(s->end != end || (has_start && s->start != start) ||
				 s->method != method || s->alpha != alpha || s->beta != beta))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the day range, method and smoothing parameters must be the same for every row of a group")));
}

/* (state, day, qty, end_day) */
PG_FUNCTION_INFO_V1(crmscm_demand_accum);
Datum
crmscm_demand_accum(PG_FUNCTION_ARGS)
{
	int32		end = ro_date_param(fcinfo, 3, "end_day");
	DemandAggState *s = ro_agg_state(fcinfo, end, false, 0);

	ro_agg_params(s, end, false, 0, -1, 0.1, 0.1);
	ro_agg_add(fcinfo, s);
	PG_RETURN_POINTER(s);
}

/* (state, day, qty, start_day, end_day [, alpha]) */
PG_FUNCTION_INFO_V1(crmscm_demand_accum_window);
Datum
crmscm_demand_accum_window(PG_FUNCTION_ARGS)
{
	int32		start = ro_date_param(fcinfo, 3, "start_day");
	int32		end = ro_date_param(fcinfo, 4, "end_day");
	double		alpha = PG_NARGS() > 5 ? ro_float_param(fcinfo, 5, "alpha") : 0.1;
	DemandAggState *s = ro_agg_state(fcinfo, end, true, start);

	ro_agg_params(s, end, true, start, -1, alpha, alpha);
	ro_agg_add(fcinfo, s);
	PG_RETURN_POINTER(s);
}

/* (state, day, qty, end_day, alpha [, beta]) for SES and Holt */
PG_FUNCTION_INFO_V1(crmscm_demand_accum_smooth);
Datum
crmscm_demand_accum_smooth(PG_FUNCTION_ARGS)
{
	int32		end = ro_date_param(fcinfo, 3, "end_day");
	double		alpha = ro_float_param(fcinfo, 4, "alpha");
	double		beta = PG_NARGS() > 5 ? ro_float_param(fcinfo, 5, "beta") : 0;
	DemandAggState *s = ro_agg_state(fcinfo, end, false, 0);

	ro_agg_params(s, end, false, 0, PG_NARGS() > 5 ? RO_HOLT : RO_SES, alpha, beta);
	ro_agg_add(fcinfo, s);
	PG_RETURN_POINTER(s);
}

/* (state, day, qty, end_day, method, alpha [, beta]) for Croston/SBA/TSB */
PG_FUNCTION_INFO_V1(crmscm_demand_accum_intermittent);
Datum
crmscm_demand_accum_intermittent(PG_FUNCTION_ARGS)
{
	int32		end = ro_date_param(fcinfo, 3, "end_day");
	ReorderMethod m;
	double		alpha,
				beta;
	DemandAggState *s;

	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("method must not be NULL")));
	m = ro_method_arg(PG_GETARG_TEXT_PP(4), true);
	alpha = ro_float_param(fcinfo, 5, "alpha");
	beta = PG_NARGS() > 6 ? ro_float_param(fcinfo, 6, "beta") : alpha;
	s = ro_agg_state(fcinfo, end, false, 0);
	ro_agg_params(s, end, false, 0, m, alpha, beta);
	ro_agg_add(fcinfo, s);
	PG_RETURN_POINTER(s);
}

/* Merge two partial states (parallel aggregation) */
PG_FUNCTION_INFO_V1(crmscm_demand_combine);
Datum
crmscm_demand_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx,
				old;
	DemandAggState *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "aggregate function called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	b = (DemandAggState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		/* copy b into the aggregate context */
		old = MemoryContextSwitchTo(aggctx);
		a = (DemandAggState *) palloc(sizeof(DemandAggState));
		*a = *b;
		a->cap = Max(b->len, 1);
		a->vals = (double *) palloc0(mul_size(a->cap, sizeof(double)));
		memcpy(a->vals, b->vals, b->len * sizeof(double));
		MemoryContextSwitchTo(old);
		PG_RETURN_POINTER(a);
	}
	a = (DemandAggState *) PG_GETARG_POINTER(0);
	ro_agg_params(a, b->end, b->has_start, b->start, b->method, b->alpha, b->beta);
	if (b->len > a->len)
		ro_agg_grow(a, b->len);
	for (int32 i = 0; i < b->len; i++)
		a->vals[i] += b->vals[i];
	PG_RETURN_POINTER(a);
}

/* Serialize a state to bytea */
PG_FUNCTION_INFO_V1(crmscm_demand_serialize);
Datum
crmscm_demand_serialize(PG_FUNCTION_ARGS)
{
	DemandAggState *s;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "aggregate function called in non-aggregate context");
	s = (DemandAggState *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, s->end);
	pq_sendint32(&buf, s->start);
	pq_sendbyte(&buf, s->has_start ? 1 : 0);
	pq_sendint32(&buf, s->method);
	pq_sendfloat8(&buf, s->alpha);
	pq_sendfloat8(&buf, s->beta);
	pq_sendint32(&buf, s->len);
	for (int32 i = 0; i < s->len; i++)
		pq_sendfloat8(&buf, s->vals[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Deserialize a state from bytea */
PG_FUNCTION_INFO_V1(crmscm_demand_deserialize);
Datum
crmscm_demand_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	DemandAggState *s;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "aggregate function called in non-aggregate context");
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	s = (DemandAggState *) palloc0(sizeof(DemandAggState));
	s->end = pq_getmsgint(&buf, 4);
	s->start = pq_getmsgint(&buf, 4);
	s->has_start = pq_getmsgbyte(&buf) != 0;
	s->params_set = true;
	s->method = pq_getmsgint(&buf, 4);
	s->alpha = pq_getmsgfloat8(&buf);
	s->beta = pq_getmsgfloat8(&buf);
	s->len = pq_getmsgint(&buf, 4);
	if (s->len < 0 || s->len > RO_MAX_DAYS)
		elog(ERROR, "invalid demand aggregate state");
	s->cap = Max(s->len, 1);
	s->vals = (double *) palloc0(mul_size(s->cap, sizeof(double)));
	for (int32 i = 0; i < s->len; i++)
		s->vals[i] = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

/* The chronological series of a state (a fresh palloc'd array) */
static double *
ro_agg_series(DemandAggState *s, int *n)
{
	double	   *y = (double *) palloc(mul_size(Max(s->len, 1), sizeof(double)));

	for (int32 i = 0; i < s->len; i++)
		y[i] = s->vals[s->len - 1 - i];
	*n = s->len;
	return y;
}

/* Final: the daily series as float8[] */
PG_FUNCTION_INFO_V1(crmscm_demand_series_final);
Datum
crmscm_demand_series_final(PG_FUNCTION_ARGS)
{
	DemandAggState *s;
	double	   *y;
	int			n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (DemandAggState *) PG_GETARG_POINTER(0);
	if (s->len == 0)
		PG_RETURN_NULL();
	y = ro_agg_series(s, &n);
	PG_RETURN_ARRAYTYPE_P(construct_array((Datum *) y, n, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Final: the forecast of the method given in the rows */
PG_FUNCTION_INFO_V1(crmscm_demand_forecast_final);
Datum
crmscm_demand_forecast_final(PG_FUNCTION_ARGS)
{
	DemandAggState *s;
	double	   *y;
	int			n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (DemandAggState *) PG_GETARG_POINTER(0);
	if (s->len == 0)
		PG_RETURN_NULL();
	y = ro_agg_series(s, &n);
	PG_RETURN_FLOAT8(ro_run_forecast(y, n, (ReorderMethod) s->method, s->alpha, s->beta));
}

/* Final: the demand profile (classification and chosen forecast) */
PG_FUNCTION_INFO_V1(crmscm_demand_profile_final);
Datum
crmscm_demand_profile_final(PG_FUNCTION_ARGS)
{
	DemandAggState *s;
	double	   *y;
	int			n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (DemandAggState *) PG_GETARG_POINTER(0);
	if (s->len == 0)
		PG_RETURN_NULL();
	y = ro_agg_series(s, &n);
	PG_RETURN_DATUM(ro_profile_datum(fcinfo, y, n, s->alpha));
}
