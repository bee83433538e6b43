/*
 * auc.c — the crmscm.auc aggregate: ROC AUC of scores and labels (SQL face
 * of lr_auc_ex, src/core/auc.c).  The scores are buffered, at most
 * crmscm.max_fit_memory of them (src/fit_memory.c).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "auc.h"
#include "fit_memory.h"
#include "lead_model.h"

/* ------------------------------------------------------------------ AUC */

typedef struct AucState
{
	int64		n[2];			/* [0] negatives, [1] positives */
	int64		cap[2];
	double	   *v[2];
} AucState;

static void
auc_push(AucState *s, int cls, const double *vals, int64 k)
{
	if (s->n[cls] + k > s->cap[cls])
	{
		int64		cap = Max(Max(s->cap[cls] * 2, 1024), s->n[cls] + k);

		/* both arrays count against crmscm.max_fit_memory; grow less near it */
		if ((cap + s->cap[1 - cls]) * (int64) sizeof(double) > crmscm_fit_memory_limit())
			cap = Max(s->n[cls] + k, crmscm_fit_memory_limit() / (int64) sizeof(double) - s->cap[1 - cls]);
		if ((Size) cap * sizeof(double) > MaxAllocHugeSize / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("auc: too many rows (%lld)", (long long) (s->n[cls] + k))));
		{
			char		what[64];

			snprintf(what, sizeof(what), "%lld scores", (long long) (s->n[0] + s->n[1] + k));
			crmscm_fit_memory_check("auc", (cap + s->cap[1 - cls]) * (int64) sizeof(double), what);
		}
		s->v[cls] = s->v[cls]
			? repalloc_huge(s->v[cls], cap * sizeof(double))
			: MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(double));
		s->cap[cls] = cap;
	}
	memcpy(s->v[cls] + s->n[cls], vals, k * sizeof(double));
	s->n[cls] += k;
}

/* Transition: remember one (score, label) */
PG_FUNCTION_INFO_V1(crmscm_auc_trans);
Datum
crmscm_auc_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext,
				old;
	AucState   *s;
	double		score;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "auc transition function called in non-aggregate context");
	s = PG_ARGISNULL(0) ? NULL : (AucState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	score = PG_GETARG_FLOAT8(1);
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("auc: score must not be NaN")));
	if (isinf(score))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("auc: score must be finite, not %s", score > 0 ? "Infinity" : "-Infinity")));
	old = MemoryContextSwitchTo(aggcontext);
	if (s == NULL)
		s = palloc0(sizeof(AucState));
	auc_push(s, PG_GETARG_BOOL(2) ? 1 : 0, &score, 1);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s);
}

/* Combine two AUC states */
PG_FUNCTION_INFO_V1(crmscm_auc_combine);
Datum
crmscm_auc_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext,
				old;
	AucState   *s1,
			   *s2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "auc combine function called in non-aggregate context");
	s1 = PG_ARGISNULL(0) ? NULL : (AucState *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (AucState *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	old = MemoryContextSwitchTo(aggcontext);
	if (s1 == NULL)
		s1 = palloc0(sizeof(AucState));
	for (int c = 0; c < 2; c++)
		if (s2->n[c] > 0)
			auc_push(s1, c, s2->v[c], s2->n[c]);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s1);
}

/* Serialise an AUC state: two counts, then the scores */
PG_FUNCTION_INFO_V1(crmscm_auc_serial);
Datum
crmscm_auc_serial(PG_FUNCTION_ARGS)
{
	AucState   *s = (AucState *) PG_GETARG_POINTER(0);
	int64		size = VARHDRSZ + 2 * sizeof(int64) + (s->n[0] + s->n[1]) * (int64) sizeof(double);
	bytea	   *out;
	char	   *w;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "auc serial function called in non-aggregate context");
	if (size > (int64) MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("auc: partial state of %lld rows is too large to pass between parallel workers",
						(long long) (s->n[0] + s->n[1])),
				 errhint("Disable parallel query with SET max_parallel_workers_per_gather = 0.")));
	out = palloc(size);
	SET_VARSIZE(out, size);
	w = VARDATA(out);
	memcpy(w, s->n, 2 * sizeof(int64));
	w += 2 * sizeof(int64);
	for (int c = 0; c < 2; c++)
	{
		if (s->n[c] > 0)
			memcpy(w, s->v[c], s->n[c] * sizeof(double));
		w += s->n[c] * sizeof(double);
	}
	PG_RETURN_BYTEA_P(out);
}

/* Deserialise an AUC state */
PG_FUNCTION_INFO_V1(crmscm_auc_deserial);
Datum
crmscm_auc_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_P(0);
	int64		len = VARSIZE(in) - VARHDRSZ;
	const char *r = VARDATA(in);
	int64		n[2];
	AucState   *s;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "auc deserial function called in non-aggregate context");
	if (len < (int64) (2 * sizeof(int64)))
		elog(ERROR, "auc: corrupt serialised state");
	memcpy(n, r, sizeof(n));
	r += sizeof(n);
	if (n[0] < 0 || n[1] < 0 || len != (int64) sizeof(n) + (n[0] + n[1]) * (int64) sizeof(double))
		elog(ERROR, "auc: corrupt serialised state");
	s = palloc0(sizeof(AucState));
	crmscm_fit_memory_check("auc", (n[0] + n[1]) * (int64) sizeof(double), "the scores of a parallel worker");
	for (int c = 0; c < 2; c++)
	{
		if (n[c] > 0)
		{
			double	   *tmp = MemoryContextAllocHuge(CurrentMemoryContext, n[c] * sizeof(double));

			memcpy(tmp, r, n[c] * sizeof(double));
			s->v[c] = tmp;
			s->n[c] = s->cap[c] = n[c];
		}
		r += n[c] * sizeof(double);
	}
	PG_RETURN_POINTER(s);
}

/* Final: ROC AUC, NULL unless both classes occur */
PG_FUNCTION_INFO_V1(crmscm_auc_final);
Datum
crmscm_auc_final(PG_FUNCTION_ARGS)
{
	AucState   *s;
	double		auc;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "auc final function called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (AucState *) PG_GETARG_POINTER(0);
	if (s->n[0] == 0 || s->n[1] == 0)
		PG_RETURN_NULL();
	/* sorts the buffers in place: harmless, the order carries no meaning */
	auc = lr_auc_ex(s->v[1], s->n[1], s->v[0], s->n[0], stop_requested, NULL);
	while (isnan(auc) && InterruptPending)
	{
		CHECK_FOR_INTERRUPTS();	/* stopped for a cancel: raises it */
		auc = lr_auc_ex(s->v[1], s->n[1], s->v[0], s->n[0], stop_requested, NULL);
	}
	PG_RETURN_FLOAT8(auc);
}
