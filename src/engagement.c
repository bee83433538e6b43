/*
 * engagement.c — decayed_points and the engagement_score aggregate:
 * engagement points that halve every half-life (src/core/engagement.c).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "engagement.h"

/* ----------------------------------------------------------- engagement */

static double
interval_seconds(const Interval *iv)
{
	/* as EXTRACT(epoch FROM interval): a year is 365.25 days, a month 30 */
	return iv->time / 1e6
		+ ((double) DAYS_PER_YEAR * SECS_PER_DAY) * (iv->month / MONTHS_PER_YEAR)
		+ ((double) DAYS_PER_MONTH * SECS_PER_DAY) * (iv->month % MONTHS_PER_YEAR)
		+ ((double) SECS_PER_DAY) * iv->day;
}

static double
decayed(double points, TimestampTz occurred_at, Interval *half_life, TimestampTz as_of)
{
	double		hl = interval_seconds(half_life);

	if (!isfinite(points))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("decayed_points: points must be finite, not %g", points)));
	if (!(hl > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("decayed_points: half_life must be positive"),
				 errdetail("The half-life is %g seconds.", hl)));
	if (TIMESTAMP_NOT_FINITE(occurred_at) || TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("decayed_points: occurred_at and as_of must be finite timestamps")));
	return lr_decay(points, (double) (as_of - occurred_at) / 1e6, hl);
}

/* points * 2^(-(as_of - occurred_at) / half_life); 0 for future events */
PG_FUNCTION_INFO_V1(crmscm_decayed_points);
Datum
crmscm_decayed_points(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(decayed(PG_GETARG_FLOAT8(0), PG_GETARG_TIMESTAMPTZ(1),
							 PG_GETARG_INTERVAL_P(2), PG_GETARG_TIMESTAMPTZ(3)));
}

/* Transition of engagement_score: add one event's decayed points */
PG_FUNCTION_INFO_V1(crmscm_engagement_score_trans);
Datum
crmscm_engagement_score_trans(PG_FUNCTION_ARGS)
{
	double		state = PG_GETARG_FLOAT8(0),
				sum;

	if (!isfinite(state))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("engagement_score: the running sum must be finite, not %g", state)));
	sum = state + decayed(PG_GETARG_FLOAT8(1), PG_GETARG_TIMESTAMPTZ(2),
						  PG_GETARG_INTERVAL_P(3), PG_GETARG_TIMESTAMPTZ(4));
	if (!isfinite(sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("engagement_score: the sum of points overflows")));
	PG_RETURN_FLOAT8(sum);
}
