/*
 * moments.c — the SQL face of weighted running moments and weighted
 * quantiles (src/core/moments.c; issue #18, doc/replenishment.md).
 *
 * A moments state is a float8[5] {n, sum w, sum w^2, mean, M2}: the
 * supplier statistics keep one per key and merge a commit's receipts into
 * it (crmscm._wm_merge), and the aggregates crmscm._wm(x, w) and
 * crmscm._wm_pool(state) build and pool them.  Concrete state type, so
 * the aggregates run in parallel and on Citus (combine = merge).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "moments.h"

/* the elements of an array known to have no NULLs (ARR_DATA_PTR trips -Wsign-compare) */
#define ARR_NONULL_DATA(a) ((void *) (((char *) (a)) + ARR_OVERHEAD_NONULLS(ARR_NDIM(a))))

static void
wm_from_array(ArrayType *a, WMoments *m)
{
	double	   *v;

	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != WM_NFIELDS || ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("a moments state is a float8 array of %d elements", WM_NFIELDS)));
	if (ARR_HASNULL(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a moments state has no NULL elements")));
	v = (double *) ARR_NONULL_DATA(a);
	m->n = v[0];
	m->w = v[1];
	m->w2 = v[2];
	m->mean = v[3];
	m->m2 = v[4];
	if (!wm_valid(m))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid moments state {%g,%g,%g,%g,%g}", m->n, m->w, m->w2, m->mean, m->m2),
				 errdetail("Counts, weights and M2 must be finite and not negative.")));
}

static ArrayType *
wm_to_array(const WMoments *m)
{
	Datum		d[WM_NFIELDS];

	d[0] = Float8GetDatum(m->n);
	d[1] = Float8GetDatum(m->w);
	d[2] = Float8GetDatum(m->w2);
	d[3] = Float8GetDatum(m->mean);
	d[4] = Float8GetDatum(m->m2);
	return construct_array(d, WM_NFIELDS, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* Add a value with its weight (a NULL value or weight is skipped) */
PG_FUNCTION_INFO_V1(crmscm_wm_add);
Datum
crmscm_wm_add(PG_FUNCTION_ARGS)
{
	WMoments	m;
	double		x,
				w;

	if (PG_ARGISNULL(0))
		wm_init(&m);
	else
		wm_from_array(PG_GETARG_ARRAYTYPE_P(0), &m);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(wm_to_array(&m));
	x = PG_GETARG_FLOAT8(1);
	w = PG_GETARG_FLOAT8(2);
	switch (wm_add(&m, x, w))
	{
		case WM_NOT_FINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value %s with weight %s is not finite",
							float8out_internal(x), float8out_internal(w))));
			break;
		case WM_BAD_WEIGHT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weight %s is not positive", float8out_internal(w))));
			break;
		case WM_OK:
			break;
	}
	PG_RETURN_ARRAYTYPE_P(wm_to_array(&m));
}

/* Merge two states (Chan, Golub & LeVeque); NULL counts as empty */
PG_FUNCTION_INFO_V1(crmscm_wm_merge);
Datum
crmscm_wm_merge(PG_FUNCTION_ARGS)
{
	WMoments	a,
				b;

	wm_init(&a);
	wm_init(&b);
	if (!PG_ARGISNULL(0))
		wm_from_array(PG_GETARG_ARRAYTYPE_P(0), &a);
	if (!PG_ARGISNULL(1))
		wm_from_array(PG_GETARG_ARRAYTYPE_P(1), &b);
	wm_merge(&a, &b);
	PG_RETURN_ARRAYTYPE_P(wm_to_array(&a));
}

/* Unbiased (reliability-weights) standard deviation; NULL below two effective observations */
PG_FUNCTION_INFO_V1(crmscm_wm_sd);
Datum
crmscm_wm_sd(PG_FUNCTION_ARGS)
{
	WMoments	m;
	double		sd;

	wm_from_array(PG_GETARG_ARRAYTYPE_P(0), &m);
	sd = wm_sd(&m);
	if (isnan(sd))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sd);
}

/* Kish effective sample size (sum w)^2 / sum w^2 */
PG_FUNCTION_INFO_V1(crmscm_wm_neff);
Datum
crmscm_wm_neff(PG_FUNCTION_ARGS)
{
	WMoments	m;

	wm_from_array(PG_GETARG_ARRAYTYPE_P(0), &m);
	PG_RETURN_FLOAT8(wm_neff(&m));
}

/* (n x + k prior) / (n + k) */
PG_FUNCTION_INFO_V1(crmscm_shrink);
Datum
crmscm_shrink(PG_FUNCTION_ARGS)
{
	double		n,
				k,
				prior;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	n = PG_ARGISNULL(0) ? 0 : PG_GETARG_FLOAT8(0);
	k = PG_GETARG_FLOAT8(2);
	prior = PG_GETARG_FLOAT8(3);
	if (PG_ARGISNULL(1))
		PG_RETURN_FLOAT8(prior);
	PG_RETURN_FLOAT8(wm_shrink(n, PG_GETARG_FLOAT8(1), k, prior));
}

/*
 * Weighted quantiles (inverted CDF) of values with weights, for each of
 * the probabilities q; NULL pairs are skipped, no values gives NULLs.
 */
PG_FUNCTION_INFO_V1(crmscm_weighted_quantiles);
Datum
crmscm_weighted_quantiles(PG_FUNCTION_ARGS)
{
	ArrayType  *va = PG_GETARG_ARRAYTYPE_P(0),
			   *wa = PG_GETARG_ARRAYTYPE_P(1),
			   *qa = PG_GETARG_ARRAYTYPE_P(2);
	Datum	   *vd,
			   *wd,
			   *qd;
	bool	   *vn,
			   *wn,
			   *qn;
	int			nv,
				nw,
				nq,
				i,
				m = 0;
	WqItem	   *items;
	double	   *qs,
			   *out;
	Datum	   *res;
	bool	   *resnull;
	int			dims[1],
				lbs[1] = {1};

	deconstruct_array(va, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &vd, &vn, &nv);
	deconstruct_array(wa, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &wd, &wn, &nw);
	deconstruct_array(qa, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &qd, &qn, &nq);
	if (nv != nw)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%d values but %d weights", nv, nw)));
	qs = palloc(sizeof(double) * Max(nq, 1));
	for (i = 0; i < nq; i++)
	{
		if (qn[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a quantile probability is NULL")));
		qs[i] = DatumGetFloat8(qd[i]);
		if (!(qs[i] >= 0 && qs[i] <= 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("quantile probability %s is outside [0, 1]", float8out_internal(qs[i]))));
	}
	items = palloc(sizeof(WqItem) * Max(nv, 1));
	for (i = 0; i < nv; i++)
	{
		if (vn[i] || wn[i])
			continue;
		items[m].x = DatumGetFloat8(vd[i]);
		items[m].w = DatumGetFloat8(wd[i]);
		m++;
	}
	out = palloc(sizeof(double) * Max(nq, 1));
	switch (wq_quantiles(items, m, qs, nq, out))
	{
		case WM_NOT_FINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("values and weights must be finite")));
			break;
		case WM_BAD_WEIGHT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weights must be positive")));
			break;
		case WM_OK:
			break;
	}
	res = palloc(sizeof(Datum) * Max(nq, 1));
	resnull = palloc(sizeof(bool) * Max(nq, 1));
	for (i = 0; i < nq; i++)
	{
		resnull[i] = m == 0;
		res[i] = Float8GetDatum(out[i]);
	}
	dims[0] = nq;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(res, resnull, nq > 0 ? 1 : 0, dims, lbs,
											 FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
