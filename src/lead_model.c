/*
 * lead_model.c — SQL face of lead scoring: the crmscm.lead_model type (text
 * and binary forms), feature arrays, lead_score, lead_score_explain,
 * lead_model_summary and the accessors.  The fit aggregate is in
 * src/lead_fit.c; the math in src/core/logreg_fit.c and
 * src/core/logreg_format.c.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "cancel.h"
#include "lead_model.h"
#include "logreg.h"

/* ------------------------------------------------------------ the type */

/* View a stored model as an LrModel (arrays point into the datum) */
static inline void
lead_model_view(LeadModelData *d, LrModel *m)
{
	m->p = d->p;
	m->rows = d->rows;
	m->positives = d->positives;
	m->l2 = d->l2;
	m->log_likelihood = d->log_likelihood;
	m->iterations = d->iterations;
	m->converged = d->converged;
	m->separation = d->separation;
	m->condition_number = d->condition_number;
	m->coef = d->v;
	m->std_err = d->v + d->p + 1;
}

LeadModelData *
lead_model_make(const LrModel *m)
{
	Size		size = LEAD_MODEL_SIZE(m->p);
	LeadModelData *d = (LeadModelData *) palloc0(size);

	SET_VARSIZE(d, size);
	d->p = m->p;
	d->rows = m->rows;
	d->positives = m->positives;
	d->iterations = m->iterations;
	d->converged = (int16) m->converged;
	d->separation = (int16) m->separation;
	d->l2 = m->l2;
	d->log_likelihood = m->log_likelihood;
	d->condition_number = m->condition_number;
	memcpy(d->v, m->coef, sizeof(double) * (m->p + 1));
	memcpy(d->v + m->p + 1, m->std_err, sizeof(double) * (m->p + 1));
	return d;
}

LrModel *
lr_model_alloc(int p)
{
	LrModel    *m = (LrModel *) palloc0(sizeof(LrModel));

	m->coef = (double *) palloc(sizeof(double) * (p + 1));
	m->std_err = (double *) palloc(sizeof(double) * (p + 1));
	return m;
}

/* Parse the text form of a lead_model */
PG_FUNCTION_INFO_V1(crmscm_lead_model_in);
Datum
crmscm_lead_model_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LrModel    *m;
	LrStatus	st;

	if (strlen(str) > LR_MAX_TEXT_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("input for type lead_model is too long: \"%.40s...\"", str),
				 errdetail("The text form of a lead_model is at most %d bytes.", (int) LR_MAX_TEXT_LEN)));
	m = lr_model_alloc(LR_MAX_FEATURES);
	st = lr_model_parse(str, m);
	if (st == LR_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid value for type lead_model: \"%.200s\"", str),
				 errdetail("Counts need 0 < positives < rows; l2 >= 0; log_likelihood <= 0; "
						   "std_err >= 0; null (dropped) exactly where both coef and std_err are null; "
						   "the intercept is never null.")));
	if (st != LR_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type lead_model: \"%.200s\"", str),
				 errhint("Use the form crmscm.lead_model_fit produces: {\"features\":N,\"rows\":...,\"coef\":[...],\"std_err\":[...]}, keys in that order.")));
	PG_RETURN_POINTER(lead_model_make(m));
}

/* Format a lead_model as text (round-trips exactly) */
PG_FUNCTION_INFO_V1(crmscm_lead_model_out);
Datum
crmscm_lead_model_out(PG_FUNCTION_ARGS)
{
	LeadModelData *d = PG_GETARG_LEAD_MODEL(0);
	LrModel		m;
	size_t		len = lr_model_text_size(d->p);
	char	   *buf = palloc(len);

	lead_model_view(d, &m);
	if (lr_model_format(&m, buf, len) < 0)
		elog(ERROR, "lead_model text buffer too small");
	PG_RETURN_CSTRING(buf);
}

/* Read the binary form */
PG_FUNCTION_INFO_V1(crmscm_lead_model_recv);
Datum
crmscm_lead_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		p = pq_getmsgint(buf, 4);
	LrModel    *m;

	if (p < 0 || p > LR_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of features in external lead_model value: %d", p),
				 errdetail("A lead_model has 0 to %d features.", LR_MAX_FEATURES)));
	m = lr_model_alloc(p);
	m->p = p;
	m->rows = pq_getmsgint64(buf);
	m->positives = pq_getmsgint64(buf);
	m->iterations = pq_getmsgint(buf, 4);
	m->converged = pq_getmsgbyte(buf);
	m->separation = pq_getmsgbyte(buf);
	m->l2 = pq_getmsgfloat8(buf);
	m->log_likelihood = pq_getmsgfloat8(buf);
	m->condition_number = pq_getmsgfloat8(buf);
	for (int j = 0; j <= p; j++)
		m->coef[j] = pq_getmsgfloat8(buf);
	for (int j = 0; j <= p; j++)
		m->std_err[j] = pq_getmsgfloat8(buf);
	if (lr_model_check(m) != LR_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external lead_model value"),
				 errdetail("The values are inconsistent (see the text form's rules).")));
	PG_RETURN_POINTER(lead_model_make(m));
}

/* Write the binary form */
PG_FUNCTION_INFO_V1(crmscm_lead_model_send);
Datum
crmscm_lead_model_send(PG_FUNCTION_ARGS)
{
	LeadModelData *d = PG_GETARG_LEAD_MODEL(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, d->p);
	pq_sendint64(&buf, d->rows);
	pq_sendint64(&buf, d->positives);
	pq_sendint32(&buf, d->iterations);
	pq_sendbyte(&buf, (uint8) d->converged);
	pq_sendbyte(&buf, (uint8) d->separation);
	pq_sendfloat8(&buf, d->l2);
	pq_sendfloat8(&buf, d->log_likelihood);
	pq_sendfloat8(&buf, d->condition_number);
	for (int j = 0; j < 2 * (d->p + 1); j++)
		pq_sendfloat8(&buf, d->v[j]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ------------------------------------------------------ feature arrays */

/* error for the NaN or infinite feature x = element i (0-based) */
void
feature_not_finite(const char *fn, int i, double x)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s: feature %d is %s", fn, i + 1, isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity"),
			 errdetail("Features must be finite numbers.")));
}

/*
 * The float8 elements of a feature array, checked: one dimension (an empty
 * array has none), no NULL, finite (unless the caller checks that itself,
 * calling feature_not_finite).  Returns a pointer into the array.
 */
const double *
feature_values(ArrayType *arr, const char *fn, int *n, bool check_finite)
{
	const double *x;
	int			count;

	if (ARR_NDIM(arr) == 0)
	{
		*n = 0;
		return NULL;
	}
	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s: features must be a one-dimensional array, not %d-dimensional", fn, ARR_NDIM(arr))));
	count = ARR_DIMS(arr)[0];
	if (ARR_HASNULL(arr))
	{
		bits8	   *bitmap = ARR_NULLBITMAP(arr);

		for (int i = 0; i < count; i++)
			if (!(bitmap[i / 8] & (1 << (i % 8))))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("%s: features must not contain NULL elements", fn),
						 errdetail("Element %d is NULL.", i + 1)));
	}
	/* ARR_DATA_PTR, spelled out to keep -Wsign-compare quiet */
	x = (const double *) ((char *) arr + (ARR_HASNULL(arr) ? (Size) arr->dataoffset
										  : (Size) ARR_OVERHEAD_NONULLS(1)));
	if (check_finite)
		for (int i = 0; i < count; i++)
			if (unlikely(!isfinite(x[i])))
				feature_not_finite(fn, i, x[i]);
	*n = count;
	return x;
}

int
stop_requested(void *arg)
{
	return crmscm_cancel_pending();
}

/* -------------------------------------------------------------- scoring */

static inline const double *
score_features(LeadModelData *d, ArrayType *arr, const char *fn)
{
	int			n;
	const double *x = feature_values(arr, fn, &n, true);

	if (n != d->p)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s: %d features given, the model has %d", fn, n, d->p)));
	return x;
}

/* Probability that a lead converts */
PG_FUNCTION_INFO_V1(crmscm_lead_score);
Datum
crmscm_lead_score(PG_FUNCTION_ARGS)
{
	LeadModelData *d = PG_GETARG_LEAD_MODEL(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	const double *x = score_features(d, arr, "lead_score");
	const double *b = d->v;
	double		eta = b[0];

	for (int j = 0; j < d->p; j++)
		if (!isnan(b[j + 1]))
			eta += b[j + 1] * x[j];
	/* features near 1e308 overflow: +Infinity + -Infinity is NaN */
	if (isnan(eta))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("lead_score: the log-odds overflow for these features"),
				 errdetail("Some coefficient times feature is infinite in both directions.")));
	PG_RETURN_FLOAT8(lr_sigmoid(eta));
}

typedef struct ExplainRow
{
	int			feature;
	double		value;
	double		coef;
	double		contribution;
} ExplainRow;

static int
explain_cmp(const void *a, const void *b)
{
	const ExplainRow *x = a,
			   *y = b;
	double		ax = fabs(x->contribution),
				ay = fabs(y->contribution);

	if (ax != ay)
		return ax > ay ? -1 : 1;
	return x->feature - y->feature;
}

/* Each feature's contribution coef * value to the log-odds, largest first */
PG_FUNCTION_INFO_V1(crmscm_lead_score_explain);
Datum
crmscm_lead_score_explain(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	ExplainRow *rows;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		LeadModelData *d;
		ArrayType  *arr;
		const double *x;
		TupleDesc	tupdesc;
		int			k = 0;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		d = PG_GETARG_LEAD_MODEL(0);
		arr = PG_GETARG_ARRAYTYPE_P(1);
		x = score_features(d, arr, "lead_score_explain");
		rows = palloc(sizeof(ExplainRow) * Max(d->p, 1));
		for (int j = 0; j < d->p; j++)
		{
			if (isnan(d->v[j + 1]))
				continue;
			rows[k].feature = j + 1;
			rows[k].value = x[j];
			rows[k].coef = d->v[j + 1];
			rows[k].contribution = d->v[j + 1] * x[j];
			if (!isfinite(rows[k].contribution))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("lead_score_explain: the contribution of feature %d overflows (coefficient %g, value %g)",
								j + 1, d->v[j + 1], x[j])));
			k++;
		}
		qsort(rows, k, sizeof(ExplainRow), explain_cmp);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		funcctx->tuple_desc = BlessTupleDesc(tupdesc);
		funcctx->user_fctx = rows;
		funcctx->max_calls = k;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	rows = funcctx->user_fctx;
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		ExplainRow *r = &rows[funcctx->call_cntr];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(r->feature);
		values[1] = Float8GetDatum(r->value);
		values[2] = Float8GetDatum(r->coef);
		values[3] = Float8GetDatum(r->contribution);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}

/* Per coefficient: feature, coef, std_err, z, p_value, odds_ratio */
PG_FUNCTION_INFO_V1(crmscm_lead_model_summary);
Datum
crmscm_lead_model_summary(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	LeadModelData *d;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	tupdesc;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		d = PG_GETARG_LEAD_MODEL(0);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		funcctx->tuple_desc = BlessTupleDesc(tupdesc);
		funcctx->user_fctx = d;
		funcctx->max_calls = d->p + 1;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	d = funcctx->user_fctx;
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		int			j = (int) funcctx->call_cntr;
		double		b = d->v[j],
					se = d->v[d->p + 1 + j];
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = Int32GetDatum(j);
		if (isnan(b))
			nulls[1] = nulls[2] = nulls[3] = nulls[4] = nulls[5] = true;
		else
		{
			values[1] = Float8GetDatum(b);
			values[2] = Float8GetDatum(se);
			if (se > 0)
			{
				values[3] = Float8GetDatum(b / se);
				values[4] = Float8GetDatum(lr_p_value(b / se));
			}
			else
				nulls[3] = nulls[4] = true;
			values[5] = Float8GetDatum(exp(b));
		}
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}

/* Accessors */
#define LEAD_MODEL_ACCESSOR(name, ret) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	LeadModelData *d = PG_GETARG_LEAD_MODEL(0); \
	ret; \
}

LEAD_MODEL_ACCESSOR(crmscm_lead_model_features, PG_RETURN_INT32(d->p))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_rows, PG_RETURN_INT64(d->rows))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_positives, PG_RETURN_INT64(d->positives))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_l2, PG_RETURN_FLOAT8(d->l2))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_log_likelihood, PG_RETURN_FLOAT8(d->log_likelihood))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_iterations, PG_RETURN_INT32(d->iterations))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_converged, PG_RETURN_BOOL(d->converged != 0))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_separation, PG_RETURN_BOOL(d->separation != 0))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_condition_number,
					if (isnan(d->condition_number)) PG_RETURN_NULL();
					PG_RETURN_FLOAT8(d->condition_number))

static Datum
model_array(LeadModelData *d, int offset)
{
	int			n = d->p + 1;
	Datum	   *elems = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc(sizeof(bool) * n);
	int			dims[1] = {n},
				lbs[1] = {1};

	for (int j = 0; j < n; j++)
	{
		double		v = d->v[offset + j];

		nulls[j] = isnan(v);
		elems[j] = Float8GetDatum(nulls[j] ? 0 : v);
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

LEAD_MODEL_ACCESSOR(crmscm_lead_model_coef, return model_array(d, 0))
LEAD_MODEL_ACCESSOR(crmscm_lead_model_std_err, return model_array(d, d->p + 1))
