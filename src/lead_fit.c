/*
 * lead_fit.c — the lead_model_fit aggregate (SQL face of lr_fit,
 * src/core/logreg_fit.c).
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

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "fit_memory.h"
#include "lead_model.h"
#include "logreg.h"

/* Rows of one buffer chunk: at most this many bytes of features. */
#define LEAD_CHUNK_BYTES (8 * 1024 * 1024)

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
