/*
 * delivery_performance.c — the per-line measures of
 * crmscm.delivery_performance (doc/synergy.md): due day, on time, in full
 * and days late, as C functions over the line's own columns, the rules in
 * src/core/otif.h.
 *
 * Why C: the view computed them as SQL expressions that the planner copies
 * at every reference (on_time three times in a rollup of otif and
 * days_late), and reads the setting and today from a MATERIALIZED CTE that
 * kept the rollup out of parallel workers; over 10 M lines they were about
 * two thirds of its time (bench/synergy.sh, part C).  These read the
 * setting crmscm.otif_tolerance_days and the UTC day of the transaction
 * themselves: STABLE and PARALLEL SAFE (both are the leader's in a
 * parallel worker).  On Citus they run where the rows are, with the
 * shards' setting (doc/citus.md).
 *
 * Same answers as the SQL they replace, NULLs and errors included (an
 * infinite day: "cannot subtract infinite dates"; a due day beyond the
 * date range: "date out of range"): test/pgtap/delivery_performance.sql
 * compares both on random lines.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "otif.h"
#include "synergy.h"

/* arguments of every function: the columns the rules read */
#define ARG_ORDER_STATUS	0
#define ARG_STATUS			1
#define ARG_QTY_SHIPPED		2
#define ARG_PROMISED		3
#define ARG_REQUESTED		4
#define ARG_LAST_SHIPPED_AT 5

/*
 * the text argument: a status is a few bytes, inline and uncompressed;
 * anything else (a caller's compressed or toasted value) is detoasted
 */
static inline text *
arg_text(FunctionCallInfo fcinfo, int n)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(n));

	return VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v) ? (text *) pg_detoast_datum_packed(v) : (text *) v;
}

/* t = literal s, bytewise as text = for a deterministic collation */
#define TEXT_IS(t, s) \
	(VARSIZE_ANY_EXHDR(t) == sizeof(s) - 1 && memcmp(VARDATA_ANY(t), (s), sizeof(s) - 1) == 0)

/* the UTC day of a timestamptz, as timezone('00:00', ts)::date */
static DateADT
utc_day_of(TimestampTz ts)
{
	int64		d;

	if (TIMESTAMP_IS_NOBEGIN(ts))
		return DATEVAL_NOBEGIN;
	if (TIMESTAMP_IS_NOEND(ts))
		return DATEVAL_NOEND;
	d = ts / USECS_PER_DAY;
	if (ts < 0 && ts % USECS_PER_DAY != 0)
		d--;
	return (DateADT) d;
}

/* promised (else requested) day: false when both are NULL */
static bool
basis_of(FunctionCallInfo fcinfo, DateADT *basis)
{
	if (!PG_ARGISNULL(ARG_PROMISED))
		*basis = PG_GETARG_DATEADT(ARG_PROMISED);
	else if (!PG_ARGISNULL(ARG_REQUESTED))
		*basis = PG_GETARG_DATEADT(ARG_REQUESTED);
	else
		return false;
	return true;
}

/* basis + tolerance, as date + integer (date_pli: its error when out of range) */
static DateADT
due_of(DateADT basis)
{
	int64		r;

	if (DATE_NOT_FINITE(basis))
		return basis;
	r = (int64) basis + crmscm_otif_tolerance_days;
	if (!IS_VALID_DATE(r))
		return DatumGetDateADT(DirectFunctionCall2(date_pli, DateADTGetDatum(basis),
												   Int32GetDatum(crmscm_otif_tolerance_days)));
	return (DateADT) r;
}

static void
line_of(FunctionCallInfo fcinfo, OtifLine *l)
{
	DateADT		basis;

	memset(l, 0, sizeof(*l));
	if (PG_ARGISNULL(ARG_ORDER_STATUS))
		l->order_delivers = OTIF_UNKNOWN;
	else
	{
		text	   *os = arg_text(fcinfo, ARG_ORDER_STATUS);

		l->order_delivers = TEXT_IS(os, "confirmed") || TEXT_IS(os, "closed") ? OTIF_YES : OTIF_NO;
	}
	if (PG_ARGISNULL(ARG_STATUS))
		l->status = OTIF_STATUS_NULL;
	else
	{
		text	   *st = arg_text(fcinfo, ARG_STATUS);

		l->status = TEXT_IS(st, "shipped") ? OTIF_STATUS_SHIPPED :
			TEXT_IS(st, "cancelled") ? OTIF_STATUS_CANCELLED : OTIF_STATUS_OTHER;
	}
	/* qty_shipped = 0 matters only when the line may be cancelled */
	if ((l->status != OTIF_STATUS_CANCELLED && l->status != OTIF_STATUS_NULL) ||
		PG_ARGISNULL(ARG_QTY_SHIPPED))
		l->nothing_shipped = OTIF_UNKNOWN;
	else
		l->nothing_shipped =
			DatumGetBool(DirectFunctionCall2(numeric_eq, PG_GETARG_DATUM(ARG_QTY_SHIPPED),
											 NumericGetDatum(int64_to_numeric(0)))) ? OTIF_YES : OTIF_NO;
	l->has_due = basis_of(fcinfo, &basis);
	if (l->has_due)
		l->due = due_of(basis);
	l->has_last = !PG_ARGISNULL(ARG_LAST_SHIPPED_AT);
	if (l->has_last)
		l->last = utc_day_of(PG_GETARG_TIMESTAMPTZ(ARG_LAST_SHIPPED_AT));
	l->today = utc_today();
}

/* crmscm.otif_due(promised date, requested date) */
PG_FUNCTION_INFO_V1(crmscmotif_due);
Datum
crmscmotif_due(PG_FUNCTION_ARGS)
{
	DateADT		basis;

	if (!PG_ARGISNULL(0))
		basis = PG_GETARG_DATEADT(0);
	else if (!PG_ARGISNULL(1))
		basis = PG_GETARG_DATEADT(1);
	else
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(due_of(basis));
}

#define RETURN_TRUTH(t) \
	do { \
		OtifTruth	t_ = (t); \
		if (t_ == OTIF_UNKNOWN) \
			PG_RETURN_NULL(); \
		PG_RETURN_BOOL(t_ == OTIF_YES); \
	} while (0)

/* crmscm.otif_on_time(order status, status, qty_shipped, promised, requested, last_shipped_at) */
PG_FUNCTION_INFO_V1(crmscmotif_on_time);
Datum
crmscmotif_on_time(PG_FUNCTION_ARGS)
{
	OtifLine	l;

	line_of(fcinfo, &l);
	RETURN_TRUTH(otif_on_time(&l));
}

/* crmscm.otif_in_full(...): the same arguments */
PG_FUNCTION_INFO_V1(crmscmotif_in_full);
Datum
crmscmotif_in_full(PG_FUNCTION_ARGS)
{
	OtifLine	l;

	line_of(fcinfo, &l);
	RETURN_TRUTH(otif_in_full(&l));
}

/*
 * crmscm.otif_days_late(...): the same arguments; NULL when on_time is,
 * else GREATEST(COALESCE(last shipment day, today) - (promised, else
 * requested, day), 0)
 */
PG_FUNCTION_INFO_V1(crmscmotif_days_late);
Datum
crmscmotif_days_late(PG_FUNCTION_ARGS)
{
	OtifLine	l;
	DateADT		basis,
				upto;

	line_of(fcinfo, &l);
	if (otif_on_time(&l) == OTIF_UNKNOWN)
		PG_RETURN_NULL();
	/* measured: there is a basis day */
	if (!basis_of(fcinfo, &basis))
		elog(ERROR, "crmscm: a measured line without a due day");
	upto = l.has_last ? l.last : l.today;
	if (DATE_NOT_FINITE(upto) || DATE_NOT_FINITE(basis))
		(void) DirectFunctionCall2(date_mi, DateADTGetDatum(upto), DateADTGetDatum(basis));	/* its error */
	PG_RETURN_INT32(Max((int32) (upto - basis), 0));
}
