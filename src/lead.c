/*
 * lead.c — SQL face of lead scoring: the crmscm.lead_model type, the
 * lead_model_fit aggregate, scoring and explanations, crmscm.auc, the naive
 * Bayes aggregate and engagement decay.  The math is in src/core/logreg.c.
 *
 * lead_model_fit buffers its rows.  Newton's method needs several passes over
 * the data, and the likelihood of a logistic regression has no fixed-size
 * sufficient statistic, so an exact fit must see every row more than once.
 * The transition function appends (features, label) to chunks of at most
 * LEAD_CHUNK_BYTES, as they are (8 p + 1 bytes per row, float8 kept exact) or
 * packed by lr_pack_row (only the nonzero features: one-hot rows shrink to a
 * fraction); the final function runs the Newton iterations over the chunks
 * as they are.  Partial states of parallel workers are serialised (at most
 * 1 GB each, a bytea limit) and their chunks taken over by the combine
 * function, so the fit is exact and parallel.
 * A state holds at most crmscm.max_fit_memory of buffers (54000 beyond,
 * src/fit_memory.c), counted as allocated: a worker's partial state, and
 * the leader's state that takes over its chunks.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "cancel.h"
#include "fit_memory.h"
#include "logreg.h"

/* Rows of one buffer chunk: at most this many bytes of features. */
#define LEAD_CHUNK_BYTES (8 * 1024 * 1024)
/* Most attributes of lead_nb_fit. */
#define LEAD_NB_MAX_ATTRIBUTES 1000

/* ------------------------------------------------------------ the type */

typedef struct LeadModelData
{
	int32		vl_len_;
	int32		p;
	int64		rows;
	int64		positives;
	int32		iterations;
	int16		converged;
	int16		separation;
	double		l2;
	double		log_likelihood;
	double		condition_number;
	double		v[FLEXIBLE_ARRAY_MEMBER];	/* coef[p + 1], std_err[p + 1] */
} LeadModelData;

#define LEAD_MODEL_SIZE(p) (offsetof(LeadModelData, v) + sizeof(double) * 2 * ((p) + 1))
#define PG_GETARG_LEAD_MODEL(n) ((LeadModelData *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

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

static LeadModelData *
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

static LrModel *
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
static pg_attribute_noreturn() void
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
static const double *
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

static int
stop_requested(void *arg)
{
	return crmscm_cancel_pending();
}

/* ------------------------------------------------------- fit aggregate */

/*
 * The buffered rows, in chunks of one of two formats: dense (8 bytes per
 * feature and 1 for the label, as the array holds them) or packed
 * (lr_pack_row: only nonzero features, 2 bytes for a 1, 10 for another
 * value, plus 8 per row).  One-hot encoded data packs to a fraction of its
 * dense size, which is memory that is never touched; rows of numbers do not,
 * and stay dense.  Each new chunk takes the format that is smaller on the
 * rows of the previous chunk (the first chunk is packed).
 */
typedef struct FitChunk
{
	int64		n;				/* rows */
	int64		cap;			/* dense: rows; packed: bytes */
	int64		size;			/* packed: bytes used */
	double	   *x;				/* dense: features, n * p */
	unsigned char *y;			/* dense: labels */
	char	   *packed;			/* packed rows, or NULL for a dense chunk */
} FitChunk;

typedef struct LeadFitState
{
	int			p;				/* -1 until the first row */
	bool		has_l2;
	double		l2;
	int64		n;
	int64		bytes;			/* buffered bytes of rows */
	int64		mem;			/* bytes allocated for them (max_fit_memory) */
	int			nchunks;
	int			maxchunks;
	FitChunk   *chunks;
} LeadFitState;

static LeadFitState *
fit_state_new(void)
{
	LeadFitState *s = (LeadFitState *) palloc0(sizeof(LeadFitState));

	s->p = -1;
	return s;
}

/*
 * Count more bytes of buffers against crmscm.max_fit_memory before they are
 * allocated (54000 beyond).
 */
static void
fit_state_charge(LeadFitState *s, int64 more)
{
	if (s->mem + more > crmscm_fit_memory_limit())
	{
		char		what[96];

		snprintf(what, sizeof(what), "%lld rows of %d features", (long long) s->n + 1, Max(s->p, 0));
		crmscm_fit_memory_check("lead_model_fit", s->mem + more, what);
	}
	s->mem += more;
}

/*
 * Memory for a chunk.  Fresh memory costs a page fault per 4 kB page when
 * first written, and on a virtual machine the faults of a 4 MB buffer took
 * longer than the Newton passes over it.  So a buffer of 2 MB or more starts
 * on a 2 MB boundary (2 MB more is reserved, never touched) and is advised
 * to get transparent huge pages: one fault per 2 MB.  Never pfree'd alone:
 * it goes with the aggregate's memory context.
 */
#define FIT_HUGE_PAGE ((Size) 2 * 1024 * 1024)

/* what fit_alloc_big allocates for size bytes */
static int64
fit_alloc_size(Size size)
{
	return size < FIT_HUGE_PAGE ? Max(size, 8) : size + FIT_HUGE_PAGE;
}

static void *
fit_alloc_big(Size size)
{
	char	   *raw;
	uintptr_t	aligned;

	if (size < FIT_HUGE_PAGE)
		return MemoryContextAllocHuge(CurrentMemoryContext, Max(size, 8));
	raw = MemoryContextAllocHuge(CurrentMemoryContext, size + FIT_HUGE_PAGE);
	aligned = ((uintptr_t) raw + FIT_HUGE_PAGE - 1) & ~((uintptr_t) FIT_HUGE_PAGE - 1);
	lr_advise_huge((void *) aligned, size);
	return (void *) aligned;
}

static FitChunk *
fit_state_push_chunk(LeadFitState *s)
{
	if (s->nchunks == s->maxchunks)
	{
		if ((Size) s->maxchunks >= MaxAllocSize / sizeof(FitChunk) / 2)
			elog(ERROR, "lead_model_fit: too many chunks");
		s->maxchunks = s->maxchunks ? 2 * s->maxchunks : 8;
		s->chunks = s->chunks ? repalloc(s->chunks, sizeof(FitChunk) * s->maxchunks)
			: palloc(sizeof(FitChunk) * s->maxchunks);
	}
	memset(&s->chunks[s->nchunks], 0, sizeof(FitChunk));
	return &s->chunks[s->nchunks++];
}

/* bytes per row of chunk c in the packed format (measured or estimated) */
static double
fit_chunk_packed_row_bytes(const LeadFitState *s, const FitChunk *c)
{
	int64		m = Min(c->n, 256),
				bytes = 0;

	if (c->packed)
		return (double) c->size / (double) Max(c->n, 1);
	/* dense: the size its first rows would have packed */
	for (int64 i = 0; i < m; i++)
	{
		const double *x = c->x + i * s->p;
		int			nz = 0,
					nv = 0;

		for (int j = 0; j < s->p; j++)
		{
			nz += x[j] != 0;
			nv += x[j] != 0 && x[j] != 1;
		}
		bytes += 8 + 8 * ((nz + 3) / 4) + 8 * nv;
	}
	return (double) bytes / (double) Max(m, 1);
}

/*
 * The chunk that takes the next row, with room for it: the last one, or a
 * new one twice its size (at most LEAD_CHUNK_BYTES) in the format that would
 * have been smaller for the last one's rows.
 */
static FitChunk *
fit_state_room(LeadFitState *s)
{
	FitChunk   *c = s->nchunks > 0 ? &s->chunks[s->nchunks - 1] : NULL;
	int64		dense_row = sizeof(double) * (int64) s->p + 1;
	int64		packed_max = LR_PACKED_ROW_MAX(s->p);
	bool		packed;
	int64		prev_bytes,
				bytes;

	if (c && (c->packed ? c->cap - c->size >= packed_max : c->n < c->cap))
		return c;
	packed = c == NULL || fit_chunk_packed_row_bytes(s, c) < (double) dense_row;
	prev_bytes = c == NULL ? 0 : c->packed ? c->cap : c->cap * dense_row;
	c = fit_state_push_chunk(s);

	/*
	 * 64 rows first (a small fit stays small), then whole huge pages: 2 MB,
	 * 4 MB, then LEAD_CHUNK_BYTES each.
	 */
	bytes = prev_bytes == 0 ? 64 * (packed ? packed_max : dense_row)
		: Min(Max(2 * prev_bytes, (int64) FIT_HUGE_PAGE), LEAD_CHUNK_BYTES);
	/* near crmscm.max_fit_memory: a smaller chunk (without huge-page slack) */
	{
		int64		room = crmscm_fit_memory_limit() - s->mem;

		if (fit_alloc_size(bytes) > room)
			bytes = Max(Min(room, (int64) FIT_HUGE_PAGE - 1), packed ? packed_max : dense_row);
	}
	if (packed)
	{
		c->cap = Max(bytes, packed_max);
		fit_state_charge(s, fit_alloc_size(c->cap));
		/* 8-byte aligned, as packed rows need */
		c->packed = fit_alloc_big(c->cap);
	}
	else
	{
		c->cap = Max(bytes / dense_row, 1);
		fit_state_charge(s, fit_alloc_size(c->cap * sizeof(double) * s->p) + c->cap);
		c->x = (double *) fit_alloc_big(c->cap * sizeof(double) * s->p);
		c->y = (unsigned char *) MemoryContextAllocHuge(CurrentMemoryContext, c->cap);
	}
	return c;
}

static void
fit_state_check_l2(LeadFitState *s, bool has_l2, double l2)
{
	if (!s->has_l2 && s->n == 0)
	{
		s->has_l2 = has_l2;
		s->l2 = l2;
	}
	else if (s->has_l2 != has_l2 || s->l2 != l2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lead_model_fit: l2 must be the same on every row (%g and %g)", s->l2, l2)));
}

static void
fit_state_check_p(LeadFitState *s, int p)
{
	if (s->p < 0)
	{
		if (p > LR_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("lead_model_fit: %d features exceed the maximum of %d", p, LR_MAX_FEATURES)));
		s->p = p;
	}
	else if (s->p != p)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("lead_model_fit: feature arrays differ in length (%d and %d)", s->p, p),
				 errdetail("Every row must have the same number of features.")));
}

/*
 * Append o's chunks to s.  Both live in the aggregate's memory context (the
 * deserial function allocates there), so the chunks are taken over, not
 * copied.
 */
static void
fit_state_append(LeadFitState *s, const LeadFitState *o)
{
	if (o->p < 0)
		return;
	fit_state_check_p(s, o->p);
	fit_state_check_l2(s, o->has_l2, o->l2);
	/* the chunks are taken over: the combined state holds both */
	fit_state_charge(s, o->mem);
	for (int c = 0; c < o->nchunks; c++)
	{
		FitChunk   *dst;

		if (o->chunks[c].n == 0)
			continue;
		dst = fit_state_push_chunk(s);
		*dst = o->chunks[c];
		s->n += dst->n;
	}
	s->bytes += o->bytes;
}

/* the label of the first buffered row */
static bool
fit_state_first_label(const LeadFitState *s)
{
	for (int c = 0; c < s->nchunks; c++)
	{
		const FitChunk *ch = &s->chunks[c];
		uint16		h[4];

		if (ch->n == 0)
			continue;
		if (!ch->packed)
			return ch->y[0] != 0;
		memcpy(h, ch->packed, sizeof(h));
		return h[2] != 0;
	}
	return false;
}

static Datum
fit_transfn(FunctionCallInfo fcinfo, bool has_l2)
{
	MemoryContext aggcontext,
				old;
	LeadFitState *s;
	ArrayType  *arr;
	const double *x;
	int			p;
	double		l2 = 0;
	FitChunk   *c;
	bool		y;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "lead_model_fit transition function called in non-aggregate context");
	s = PG_ARGISNULL(0) ? NULL : (LeadFitState *) PG_GETARG_POINTER(0);
	if (has_l2)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("lead_model_fit: l2 must not be NULL")));
		l2 = PG_GETARG_FLOAT8(3);
		if (!(l2 >= 0) || isinf(l2))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lead_model_fit: l2 must be a finite number >= 0, not %g", l2)));
	}
	/* rows with a NULL label or NULL features are skipped */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	arr = PG_GETARG_ARRAYTYPE_P(2);
	/* finiteness is checked while the row is copied */
	x = feature_values(arr, "lead_model_fit", &p, false);
	y = PG_GETARG_BOOL(1);

	old = MemoryContextSwitchTo(aggcontext);
	if (s == NULL)
		s = fit_state_new();
	fit_state_check_p(s, p);
	fit_state_check_l2(s, has_l2, l2);
	c = fit_state_room(s);
	if (c->packed)
	{
		int			bad;
		size_t		len = lr_pack_row(x, p, y, c->packed + c->size, &bad);

		if (len == 0)
		{
			if (bad < 0)
				elog(ERROR, "lead_model_fit: cannot pack %d features", p);
			feature_not_finite("lead_model_fit", bad, x[bad]);
		}
		c->size += len;
		s->bytes += len;
	}
	else
	{
		for (int i = 0; i < p; i++)
			if (unlikely(!isfinite(x[i])))
				feature_not_finite("lead_model_fit", i, x[i]);
		if (p > 0)
			memcpy(c->x + c->n * p, x, sizeof(double) * p);
		c->y[c->n] = y ? 1 : 0;
		s->bytes += sizeof(double) * (int64) p + 1;
	}
	c->n++;
	s->n++;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s);
}

/* Transition: buffer one (converted, features) row */
PG_FUNCTION_INFO_V1(crmscm_lead_model_fit_trans);
Datum
crmscm_lead_model_fit_trans(PG_FUNCTION_ARGS)
{
	return fit_transfn(fcinfo, false);
}

/* Transition: buffer one (converted, features) row, with l2 */
PG_FUNCTION_INFO_V1(crmscm_lead_model_fit_trans_l2);
Datum
crmscm_lead_model_fit_trans_l2(PG_FUNCTION_ARGS)
{
	return fit_transfn(fcinfo, true);
}

/* Combine two partial fit states (parallel aggregation) */
PG_FUNCTION_INFO_V1(crmscm_lead_model_fit_combine);
Datum
crmscm_lead_model_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext,
				old;
	LeadFitState *s1,
			   *s2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "lead_model_fit combine function called in non-aggregate context");
	s1 = PG_ARGISNULL(0) ? NULL : (LeadFitState *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (LeadFitState *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	old = MemoryContextSwitchTo(aggcontext);
	if (s1 == NULL)
		s1 = fit_state_new();
	fit_state_append(s1, s2);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s1);
}

/*
 * Serialised state: the header, then per chunk a FitSerialChunk and its
 * bytes (dense: features then labels; packed: the packed rows), each padded
 * to a multiple of 8 bytes.
 */
typedef struct FitSerialHeader
{
	int32		p;
	int32		has_l2;
	double		l2;
	int64		n;
	int64		nchunks;
} FitSerialHeader;

typedef struct FitSerialChunk
{
	int64		n;
	int64		bytes;
	int32		packed;
	int32		pad;
} FitSerialChunk;

#define FIT_PAD8(x) (((x) + 7) & ~(int64) 7)

static int64
fit_chunk_bytes(const LeadFitState *s, const FitChunk *c)
{
	return c->packed ? c->size : c->n * (int64) (sizeof(double) * Max(s->p, 0) + 1);
}

/* Serialise a fit state (see FitSerialHeader) */
PG_FUNCTION_INFO_V1(crmscm_lead_model_fit_serial);
Datum
crmscm_lead_model_fit_serial(PG_FUNCTION_ARGS)
{
	LeadFitState *s = (LeadFitState *) PG_GETARG_POINTER(0);
	FitSerialHeader h = {0};
	int64		p = Max(s->p, 0);
	int64		size = VARHDRSZ + sizeof(h);
	bytea	   *out;
	char	   *w;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "lead_model_fit serial function called in non-aggregate context");
	for (int c = 0; c < s->nchunks; c++)
		size += sizeof(FitSerialChunk) + FIT_PAD8(fit_chunk_bytes(s, &s->chunks[c]));
	if (size > (int64) MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("lead_model_fit: partial state of %lld rows is too large to pass between parallel workers",
						(long long) s->n),
				 errdetail("A serialised partial state is at most 1 GB."),
				 errhint("Use more parallel workers, or disable them with SET max_parallel_workers_per_gather = 0.")));
	out = (bytea *) palloc(size);
	SET_VARSIZE(out, size);
	h.p = s->p;
	h.has_l2 = s->has_l2;
	h.l2 = s->l2;
	h.n = s->n;
	h.nchunks = s->nchunks;
	w = VARDATA(out);
	memcpy(w, &h, sizeof(h));
	w += sizeof(h);
	for (int c = 0; c < s->nchunks; c++)
	{
		const FitChunk *ch = &s->chunks[c];
		FitSerialChunk sc = {0};

		sc.n = ch->n;
		sc.bytes = fit_chunk_bytes(s, ch);
		sc.packed = ch->packed != NULL;
		sc.pad = 0;
		memcpy(w, &sc, sizeof(sc));
		w += sizeof(sc);
		if (ch->packed)
			memcpy(w, ch->packed, ch->size);
		else
		{
			memcpy(w, ch->x, sizeof(double) * ch->n * p);
			memcpy(w + sizeof(double) * ch->n * p, ch->y, ch->n);
		}
		/* zero the padding: the bytes sent are all defined */
		memset(w + sc.bytes, 0, FIT_PAD8(sc.bytes) - sc.bytes);
		w += FIT_PAD8(sc.bytes);
	}
	PG_RETURN_BYTEA_P(out);
}

/* Deserialise a fit state, into the aggregate's memory (see fit_state_append) */
PG_FUNCTION_INFO_V1(crmscm_lead_model_fit_deserial);
Datum
crmscm_lead_model_fit_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_P(0);
	FitSerialHeader h;
	LeadFitState *s;
	int64		len = VARSIZE(in) - VARHDRSZ;
	const char *r = VARDATA(in),
			   *end = r + len;
	int64		p,
				rows = 0;
	MemoryContext aggcontext,
				old;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "lead_model_fit deserial function called in non-aggregate context");
	if (len < (int64) sizeof(h))
		elog(ERROR, "lead_model_fit: corrupt serialised state");
	memcpy(&h, r, sizeof(h));
	r += sizeof(h);
	p = Max(h.p, 0);
	if (h.p < -1 || h.p > LR_MAX_FEATURES || h.n < 0 || h.nchunks < 0 ||
		h.nchunks > (len - (int64) sizeof(h)) / (int64) sizeof(FitSerialChunk))
		elog(ERROR, "lead_model_fit: corrupt serialised state");
	old = MemoryContextSwitchTo(aggcontext);
	s = fit_state_new();
	s->p = h.p;
	s->has_l2 = h.has_l2 != 0;
	s->l2 = h.l2;
	for (int64 c = 0; c < h.nchunks; c++)
	{
		FitSerialChunk sc;
		FitChunk   *ch;

		if (end - r < (int64) sizeof(sc))
			elog(ERROR, "lead_model_fit: corrupt serialised state");
		memcpy(&sc, r, sizeof(sc));
		r += sizeof(sc);
		if (sc.n < 0 || sc.bytes < 0 || FIT_PAD8(sc.bytes) > end - r ||
			(!sc.packed && sc.bytes != sc.n * (int64) (sizeof(double) * p + 1)))
			elog(ERROR, "lead_model_fit: corrupt serialised state");
		ch = fit_state_push_chunk(s);
		ch->n = sc.n;
		fit_state_charge(s, sc.packed ? Max(sc.bytes, 8) : Max(sc.n * p * (int64) sizeof(double), 1) + Max(sc.n, 1));
		if (sc.packed)
		{
			int64		cnt = -1;

			ch->packed = MemoryContextAllocHuge(CurrentMemoryContext, Max(sc.bytes, 8));
			memcpy(ch->packed, r, sc.bytes);
			ch->cap = ch->size = sc.bytes;
			if (!lr_packed_check(ch->packed, sc.bytes, (int) p, &cnt) || cnt != sc.n)
				elog(ERROR, "lead_model_fit: corrupt serialised state");
		}
		else
		{
			ch->cap = sc.n;
			ch->x = (double *) MemoryContextAllocHuge(CurrentMemoryContext, Max(sc.n * p * sizeof(double), 1));
			ch->y = (unsigned char *) MemoryContextAllocHuge(CurrentMemoryContext, Max(sc.n, 1));
			memcpy(ch->x, r, sc.n * p * sizeof(double));
			memcpy(ch->y, r + sc.n * p * sizeof(double), sc.n);
		}
		r += FIT_PAD8(sc.bytes);
		rows += sc.n;
		s->bytes += sc.bytes;
	}
	if (r != end || rows != h.n)
		elog(ERROR, "lead_model_fit: corrupt serialised state");
	s->n = h.n;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s);
}

/* Final: fit the model on the buffered rows */
PG_FUNCTION_INFO_V1(crmscm_lead_model_fit_final);
Datum
crmscm_lead_model_fit_final(PG_FUNCTION_ARGS)
{
	LeadFitState *s;
	LrChunk    *chunks;
	LrRows		rows;
	LrOptions	opt;
	LrModel    *m;
	LrStatus	st;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "lead_model_fit final function called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* no rows: no model */
	s = (LeadFitState *) PG_GETARG_POINTER(0);
	if (s->n == 0 || s->p < 0)
		PG_RETURN_NULL();

	chunks = palloc(sizeof(LrChunk) * Max(s->nchunks, 1));
	for (int c = 0; c < s->nchunks; c++)
	{
		chunks[c].n = s->chunks[c].n;
		chunks[c].x = s->chunks[c].x;
		chunks[c].y = s->chunks[c].y;
		chunks[c].packed = s->chunks[c].packed;
	}
	rows.p = s->p;
	rows.nchunks = s->nchunks;
	rows.chunks = chunks;
	opt.l2 = s->l2;
	opt.max_iter = LR_DEFAULT_MAX_ITER;
	opt.should_stop = stop_requested;
	opt.stop_arg = NULL;
	m = lr_model_alloc(s->p);

	/* stopped only for a cancel, which CHECK_FOR_INTERRUPTS raises */
	while ((st = lr_fit(&rows, &opt, m)) == LR_INTERRUPTED)
		CHECK_FOR_INTERRUPTS();
	switch (st)
	{
		case LR_OK:
			break;
		case LR_ONE_CLASS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lead_model_fit: all %lld rows have converted = %s", (long long) s->n,
							fit_state_first_label(s) ? "true" : "false"),
					 errdetail("A model needs both converted and non-converted rows.")));
			break;
		case LR_TOO_FEW_ROWS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lead_model_fit: %lld rows are too few for %d features", (long long) s->n, s->p),
					 errdetail("Without a penalty a fit needs more rows than features."),
					 errhint("Add rows, drop features, or pass l2 > 0.")));
			break;
		case LR_NOT_FINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("lead_model_fit: features must be finite")));
			break;
		case LR_TOO_MANY_FEATURES:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("lead_model_fit: %d features exceed the maximum of %d", s->p, LR_MAX_FEATURES)));
			break;
		case LR_BAD_L2:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lead_model_fit: l2 must be a finite number >= 0, not %g", s->l2)));
			break;
		case LR_SINGULAR:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lead_model_fit: the information matrix is singular"),
					 errdetail("The features leave the model unidentified.")));
			break;
		case LR_NO_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("lead_model_fit could not allocate its work space.")));
			break;
		default:
			elog(ERROR, "lead_model_fit: unexpected status %d", (int) st);
	}
	for (int j = 1; j <= s->p; j++)
		if (isnan(m->coef[j]))
			ereport(NOTICE,
					(errmsg("lead_model_fit: feature %d dropped: constant or a linear combination of earlier features", j),
					 errdetail("Its coefficient is reported as NULL and it does not contribute to scores.")));
	if (m->separation)
		ereport(WARNING,
				(errmsg("lead_model_fit: quasi-separation: fitted probabilities numerically 0 or 1 occurred"),
				 errdetail("Some coefficients tend to infinity; their estimates and standard errors are not reliable."),
				 errhint("Drop or merge the features that predict the outcome perfectly, or pass l2 > 0.")));
	else if (!m->converged)
		ereport(WARNING,
				(errmsg("lead_model_fit: did not converge in %d iterations", m->iterations)));
	/* never store what the text form could not read back */
	if (lr_model_check(m) != LR_OK)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("lead_model_fit: the fit produced values out of range (log-likelihood %g)",
						m->log_likelihood),
				 errhint("Rescale the features or pass l2 > 0.")));
	PG_RETURN_POINTER(lead_model_make(m));
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

/* ---------------------------------------------------------- naive Bayes */

typedef struct NbKey
{
	int32		attr;
	int32		len;
	const char *str;
} NbKey;

typedef struct NbEntry
{
	NbKey		key;
	int64		won;
	int64		lost;
} NbEntry;

typedef struct NbState
{
	int			nattr;			/* -1 until the first row */
	int64		won;
	int64		lost;
	HTAB	   *tab;
	MemoryContext ctx;
	int64		mem;			/* bytes of entries (crmscm.max_fit_memory) */
} NbState;

static uint32
nb_hash(const void *key, Size keysize)
{
	const NbKey *k = key;

	return hash_bytes((const unsigned char *) k->str, k->len) ^ hash_bytes_uint32((uint32) k->attr);
}

static int
nb_match(const void *a, const void *b, Size keysize)
{
	const NbKey *x = a,
			   *y = b;

	if (x->attr != y->attr || x->len != y->len)
		return 1;
	return memcmp(x->str, y->str, x->len);
}

static NbState *
nb_state_new(MemoryContext ctx)
{
	NbState    *s = MemoryContextAllocZero(ctx, sizeof(NbState));
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NbKey);
	ctl.entrysize = sizeof(NbEntry);
	ctl.hash = nb_hash;
	ctl.match = nb_match;
	ctl.hcxt = ctx;
	s->tab = hash_create("crmscm lead_nb_fit", 64, &ctl,
						 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	s->nattr = -1;
	s->ctx = ctx;
	return s;
}

static void
nb_check_nattr(NbState *s, int nattr)
{
	if (nattr > LEAD_NB_MAX_ATTRIBUTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("lead_nb_fit: %d attributes exceed the maximum of %d", nattr, LEAD_NB_MAX_ATTRIBUTES)));
	if (s->nattr < 0)
		s->nattr = nattr;
	else if (s->nattr != nattr)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("lead_nb_fit: attribute arrays differ in length (%d and %d)", s->nattr, nattr),
				 errdetail("Every row must have the same attributes, NULL where unset.")));
}

static void
nb_add(NbState *s, int attr, const char *str, int len, int64 won, int64 lost)
{
	NbKey		key = {attr, len, str};
	bool		found;
	NbEntry    *e = hash_search(s->tab, &key, HASH_ENTER, &found);

	if (!found)
	{
		char	   *copy;

		/* entry, hash bucket, the copy of the value and allocator headers */
		s->mem += sizeof(NbEntry) + 48 + MAXALIGN(Max(len, 1));
		if (s->mem > crmscm_fit_memory_limit())
		{
			char		what[64];

			snprintf(what, sizeof(what), "%ld distinct attribute values", hash_get_num_entries(s->tab));
			crmscm_fit_memory_check("lead_nb_fit", s->mem, what);
		}
		copy = MemoryContextAlloc(s->ctx, Max(len, 1));

		memcpy(copy, str, len);
		e->key.str = copy;
		e->won = e->lost = 0;
	}
	e->won += won;
	e->lost += lost;
}

/* Transition: count one lead's attribute values as won or lost */
PG_FUNCTION_INFO_V1(crmscm_lead_nb_fit_trans);
Datum
crmscm_lead_nb_fit_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	NbState    *s;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	bool		won;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "lead_nb_fit transition function called in non-aggregate context");
	s = PG_ARGISNULL(0) ? NULL : (NbState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	won = PG_GETARG_BOOL(1);
	arr = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("lead_nb_fit: attributes must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (s == NULL)
		s = nb_state_new(aggcontext);
	nb_check_nattr(s, n);
	if (won)
		s->won++;
	else
		s->lost++;
	for (int i = 0; i < n; i++)
	{
		text	   *t;

		if (nulls[i])
			continue;			/* unset: not counted, as Odoo does */
		t = DatumGetTextPP(elems[i]);
		nb_add(s, i, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), won ? 1 : 0, won ? 0 : 1);
	}
	PG_RETURN_POINTER(s);
}

/* Combine two naive Bayes states */
PG_FUNCTION_INFO_V1(crmscm_lead_nb_fit_combine);
Datum
crmscm_lead_nb_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	NbState    *s1,
			   *s2;
	HASH_SEQ_STATUS it;
	NbEntry    *e;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "lead_nb_fit combine function called in non-aggregate context");
	s1 = PG_ARGISNULL(0) ? NULL : (NbState *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (NbState *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = nb_state_new(aggcontext);
	if (s2->nattr >= 0)
		nb_check_nattr(s1, s2->nattr);
	s1->won += s2->won;
	s1->lost += s2->lost;
	hash_seq_init(&it, s2->tab);
	while ((e = hash_seq_search(&it)) != NULL)
		nb_add(s1, e->key.attr, e->key.str, e->key.len, e->won, e->lost);
	PG_RETURN_POINTER(s1);
}

/* Serialise: nattr, won, lost, entries (attr, len, bytes, won, lost) */
PG_FUNCTION_INFO_V1(crmscm_lead_nb_fit_serial);
Datum
crmscm_lead_nb_fit_serial(PG_FUNCTION_ARGS)
{
	NbState    *s = (NbState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	HASH_SEQ_STATUS it;
	NbEntry    *e;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "lead_nb_fit serial function called in non-aggregate context");
	pq_begintypsend(&buf);
	pq_sendint32(&buf, s->nattr);
	pq_sendint64(&buf, s->won);
	pq_sendint64(&buf, s->lost);
	pq_sendint64(&buf, hash_get_num_entries(s->tab));
	hash_seq_init(&it, s->tab);
	while ((e = hash_seq_search(&it)) != NULL)
	{
		pq_sendint32(&buf, e->key.attr);
		pq_sendint32(&buf, e->key.len);
		pq_sendbytes(&buf, e->key.str, e->key.len);
		pq_sendint64(&buf, e->won);
		pq_sendint64(&buf, e->lost);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Deserialise a naive Bayes state */
PG_FUNCTION_INFO_V1(crmscm_lead_nb_fit_deserial);
Datum
crmscm_lead_nb_fit_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_P(0);
	StringInfoData buf;
	NbState    *s;
	int64		count;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "lead_nb_fit deserial function called in non-aggregate context");
	buf.data = VARDATA(in);
	buf.len = VARSIZE(in) - VARHDRSZ;
	buf.maxlen = buf.len;
	buf.cursor = 0;
	s = nb_state_new(CurrentMemoryContext);
	s->nattr = pq_getmsgint(&buf, 4);
	s->won = pq_getmsgint64(&buf);
	s->lost = pq_getmsgint64(&buf);
	count = pq_getmsgint64(&buf);
	for (int64 i = 0; i < count; i++)
	{
		int32		attr = pq_getmsgint(&buf, 4);
		int32		len = pq_getmsgint(&buf, 4);
		const char *str;
		int64		won,
					lost;

		if (len < 0 || len > buf.len - buf.cursor)
			elog(ERROR, "lead_nb_fit: corrupt serialised state");
		str = pq_getmsgbytes(&buf, len);
		won = pq_getmsgint64(&buf);
		lost = pq_getmsgint64(&buf);
		nb_add(s, attr, str, len, won, lost);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(s);
}

static int
nb_entry_cmp(const void *a, const void *b)
{
	const NbEntry *x = *(NbEntry * const *) a,
			   *y = *(NbEntry * const *) b;
	int			c;

	if (x->key.attr != y->key.attr)
		return x->key.attr < y->key.attr ? -1 : 1;
	c = memcmp(x->key.str, y->key.str, Min(x->key.len, y->key.len));
	if (c != 0)
		return c;
	return x->key.len - y->key.len;
}

static void
append_json_double(StringInfo buf, double v)
{
	char		num[40];

	lr_format_double(v, num, sizeof(num));
	appendStringInfoString(buf, num);
}

/*
 * Final: the model as jsonb
 *   {"won": W, "lost": L, "smoothing": 0.1,
 *    "attributes": [{"won_total": sum(w + s), "lost_total": sum(l + s),
 *                    "values": {"v": [w, l], ...}}, ...]}
 */
PG_FUNCTION_INFO_V1(crmscm_lead_nb_fit_final);
Datum
crmscm_lead_nb_fit_final(PG_FUNCTION_ARGS)
{
	NbState    *s;
	long		count;
	NbEntry   **ents;
	HASH_SEQ_STATUS it;
	NbEntry    *e;
	StringInfoData buf;
	long		k = 0;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "lead_nb_fit final function called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (NbState *) PG_GETARG_POINTER(0);
	if (s->won == 0 || s->lost == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lead_nb_fit: all %lld rows have converted = %s", (long long) (s->won + s->lost),
						s->won ? "true" : "false"),
				 errdetail("A model needs both won and lost leads.")));
	count = hash_get_num_entries(s->tab);
	ents = palloc(sizeof(NbEntry *) * Max(count, 1));
	hash_seq_init(&it, s->tab);
	while ((e = hash_seq_search(&it)) != NULL)
		ents[k++] = e;
	qsort(ents, count, sizeof(NbEntry *), nb_entry_cmp);

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"won\": %lld, \"lost\": %lld, \"smoothing\": ",
					 (long long) s->won, (long long) s->lost);
	append_json_double(&buf, LR_NB_SMOOTHING);
	appendStringInfoString(&buf, ", \"attributes\": [");
	k = 0;
	for (int a = 0; a < Max(s->nattr, 0); a++)
	{
		long		first = k;
		double		wt = 0,
					lt = 0;

		while (k < count && ents[k]->key.attr == a)
		{
			wt += ents[k]->won + LR_NB_SMOOTHING;
			lt += ents[k]->lost + LR_NB_SMOOTHING;
			k++;
		}
		appendStringInfoString(&buf, a > 0 ? ", {\"won_total\": " : "{\"won_total\": ");
		append_json_double(&buf, wt);
		appendStringInfoString(&buf, ", \"lost_total\": ");
		append_json_double(&buf, lt);
		appendStringInfoString(&buf, ", \"values\": {");
		for (long i = first; i < k; i++)
		{
			char	   *v = pnstrdup(ents[i]->key.str, ents[i]->key.len);

			if (i > first)
				appendStringInfoString(&buf, ", ");
			escape_json(&buf, v);
			appendStringInfo(&buf, ": [%lld, %lld]", (long long) ents[i]->won, (long long) ents[i]->lost);
		}
		appendStringInfoString(&buf, "}}");
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

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
