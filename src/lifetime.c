/*
 * lifetime.c — SQL face of the customer-lifetime models: rfm_summary,
 * bgnbd_fit and gamma_gamma_fit aggregates, BG/NBD, Gamma-Gamma and CLV
 * predictions.  The math is in src/core/lifetime.c.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/typcache.h"

#include "cancel.h"
#include "fit_memory.h"
#include "lifetime.h"

/* Largest number of entries an aggregate state may hold (1 GB allocations) */

/* ---------------------------------------------------------------- errors */

static void
lt_report_customer(LtStatus st, double x, double tx, double T)
{
	switch (st)
	{
		case LT_NOT_FINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s must be finite: %g", !isfinite(x) ? "frequency" : !isfinite(tx) ? "recency" : "t",
							!isfinite(x) ? x : !isfinite(tx) ? tx : T),
					 errdetail("Customer summary: frequency %g, recency %g, t %g.", x, tx, T)));
			break;
		case LT_NEGATIVE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("customer summary must not be negative: frequency %g, recency %g, t %g", x, tx, T)));
			break;
		case LT_RECENCY_GT_T:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("recency %g is greater than t %g", tx, T),
					 errdetail("The last purchase cannot come after the end of the observation period.")));
			break;
		case LT_ZERO_FREQ_RECENCY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("recency %g must be 0 when frequency is 0", tx),
					 errdetail("Without repeat purchases the last purchase is the first one.")));
			break;
		case LT_NOT_WHOLE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("frequency %g is not a whole number", x),
					 errdetail("Frequency counts repeat purchases.")));
			break;
		default:
			break;
	}
}

static inline void
lt_check_customer(double x, double tx, double T)
{
	LtStatus	st = bgnbd_check_customer(x, tx, T);

	if (st != LT_OK)
		lt_report_customer(st, x, tx, T);
}

/*
 * Predictions ignore recency when frequency is 0 (the model does not use it;
 * lifetimes returns P(alive) = 1 for (0, 1, 1)); the fits reject such rows
 * as inconsistent data.
 */
static inline void
lt_check_customer_pred(double x, double tx, double T)
{
	LtStatus	st = bgnbd_check_customer(x, tx, T);

	if (st != LT_OK && st != LT_ZERO_FREQ_RECENCY)
		lt_report_customer(st, x, tx, T);
}

static inline void
lt_check_horizon(double t, const char *what)
{
	if (!isfinite(t))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be finite: %g", what, t)));
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative: %g", what, t)));
}

static void
lt_check_gg_customer(double x, double m)
{
	LtStatus	st = gg_check_customer(x, m);

	if (st == LT_NOT_FINITE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("frequency %g and monetary %g must be finite", x, m)));
	if (st == LT_NEGATIVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency %g and monetary %g must not be negative", x, m)));
	if (st == LT_NONPOS_MONETARY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary %g must be positive when frequency is %g", m, x),
				 errdetail("The Gamma-Gamma model describes positive spend of repeat purchases.")));
	if (x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency %g is not a whole number", x)));
}

static int
lt_interrupted(void)
{
	return crmscm_cancel_pending();
}

static inline void
lt_check_finite(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be finite: %g", what, v)));
}

/*
 * A prediction that is not finite (an overflow on extreme parameters) is an
 * error, never a stored NaN or Infinity; a pending cancel comes first (the
 * kernel returns NaN when interrupted).
 */
static inline double
lt_result(double v, const char *fn)
{
	CHECK_FOR_INTERRUPTS();
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: result out of range for these arguments", fn)));
	return v;
}

/* ---------------------------------------------------------------- model arguments */

/* Memo of E[Y(t)]/P(alive) by (t, x, T) for one model: customers share them */
#define LT_COND_MEMO 4096

typedef struct LtCondMemo
{
	double		t;
	double		x;
	double		T;
	double		value;
} LtCondMemo;

typedef struct LtModelCache
{
	Size		len;
	double		par[4];
	LtCondMemo *memo;			/* BG/NBD slot only, reset when the model changes */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} LtModelCache;

/*
 * Parameters of a crmscm.bgnbd (k = 4: r, alpha, a, b) or crmscm.gamma_gamma
 * (k = 3: p, q, v) argument, validated; cached in fn_extra while the same
 * value comes back (a constant model in a query over many customers).  The
 * bytes of the datum are compared without detoasting it (a composite read
 * from a table has a short header; detoasting would copy it on every call).
 */
static LtModelCache *
lt_model_arg(FunctionCallInfo fcinfo, int argno, int k, const char *type, int cacheslot)
{
	Datum		raw = PG_GETARG_DATUM(argno);
	struct varlena *v = (struct varlena *) DatumGetPointer(raw);
	LtModelCache **slots = (LtModelCache **) fcinfo->flinfo->fn_extra;
	LtModelCache *c;
	HeapTupleHeader th;
	Oid			tupType;
	int32		tupTypmod;
	TupleDesc	tupdesc;
	HeapTupleData tuple;
	const char *payload = NULL;
	Size		plen = 0;
	static const char *const bgnames[] = {"r", "alpha", "a", "b"};
	static const char *const ggnames[] = {"p", "q", "v"};

	if (slots == NULL)
	{
		slots = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, 2 * sizeof(LtModelCache *));
		fcinfo->flinfo->fn_extra = slots;
	}
	c = slots[cacheslot];
	if (!VARATT_IS_EXTENDED(v) || VARATT_IS_SHORT(v))
	{
		payload = VARDATA_ANY(v);
		plen = VARSIZE_ANY_EXHDR(v);
		if (c && c->len == plen && memcmp(c->data, payload, plen) == 0)
			return c;
	}

	th = DatumGetHeapTupleHeader(raw);
	if (payload == NULL)
	{
		payload = VARDATA(th);
		plen = VARSIZE(th) - VARHDRSZ;
	}
	tupType = HeapTupleHeaderGetTypeId(th);
	tupTypmod = HeapTupleHeaderGetTypMod(th);
	tupdesc = lookup_rowtype_tupdesc(tupType, tupTypmod);
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;

	if (c == NULL || c->len < plen)
	{
		LtCondMemo *memo = c ? c->memo : NULL;

		if (c)
			pfree(c);
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, offsetof(LtModelCache, data) + plen);
		c->memo = memo;
		slots[cacheslot] = c;
	}
	c->len = 0;
	if (c->memo)
		memset(c->memo, 0, sizeof(LtCondMemo) * LT_COND_MEMO);
	for (int i = 0; i < k; i++)
	{
		bool		isnull;
		Datum		d;
		double		val;
		const char *name = k == 4 ? bgnames[i] : ggnames[i];

		if (i >= tupdesc->natts || TupleDescAttr(tupdesc, i)->atttypid != FLOAT8OID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("argument is not of type %s", type)));
		d = heap_getattr(&tuple, i + 1, tupdesc, &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s parameter %s must not be NULL", type, name)));
		val = DatumGetFloat8(d);
		if (!isfinite(val))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s parameter %s must be finite: %g", type, name, val)));
		if (!(val > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s parameter %s must be positive and finite: %g", type, name, val)));
		c->par[i] = val;
	}
	ReleaseTupleDesc(tupdesc);
	memcpy(c->data, payload, plen);
	c->len = plen;
	return c;
}

static inline BgnbdParams
lt_bgnbd_arg(FunctionCallInfo fcinfo, int argno)
{
	const double *p = lt_model_arg(fcinfo, argno, 4, "bgnbd", 0)->par;
	BgnbdParams b = {p[0], p[1], p[2], p[3]};

	return b;
}

static inline GgParams
lt_gg_arg(FunctionCallInfo fcinfo, int argno)
{
	const double *p = lt_model_arg(fcinfo, argno, 3, "gamma_gamma", 1)->par;
	GgParams g = {p[0], p[1], p[2]};

	return g;
}

/* ---------------------------------------------------------------- pattern states */

/*
 * Aggregate state of bgnbd_fit and gamma_gamma_fit: the distinct patterns
 * with their weights, in a hash set (src/core), so memory and fitting time
 * grow with the distinct (frequency, recency, t), not with the rows.
 */
#define LT_BATCH 128

typedef struct LtState
{
	LtPatternSet set;
	LtPattern  *old;			/* the table being moved while growing */
	MemoryContextCallback cb;	/* frees the tables with the aggregate context */
	int			nbuf;			/* rows waiting in buf */
	double		buf[LT_BATCH][3];	/* added in batches, prefetching their slots */
} LtState;

/* Slots moved between two interrupt checks when the table grows (~10 ms) */
#define LT_MOVE_SLICE ((Size) 1 << 17)

/* At most 2^26 slots (2 GB, half of them usable: 33.5 million distinct patterns) */
#define LT_MAX_SLOTS ((Size) 1 << 26)

/*
 * The hash table is calloc'ed, not palloc'ed: fresh zero pages from the
 * kernel are faulted in only when the hash touches them, where palloc0 would
 * write all of them first.  A reset callback of the aggregate's memory
 * context frees it, also on error.
 */
static void
lt_state_free(void *arg)
{
	LtState    *s = (LtState *) arg;

	free(s->set.tab);
	s->set.tab = NULL;
	free(s->old);
	s->old = NULL;
}

/*
 * A zeroed table of slots patterns; keep (slots of a table that lives on
 * while this one fills: growth) counts against crmscm.max_fit_memory too.
 */
static LtPattern *
lt_table_alloc(Size slots, Size keep)
{
	LtPattern  *t;
	char		what[64];

	snprintf(what, sizeof(what), "%zu distinct customer patterns", (size_t) (slots / 2));
	crmscm_fit_memory_check("bgnbd_fit/gamma_gamma_fit", (int64) ((slots + keep) * sizeof(LtPattern)), what);
	t = calloc(slots, sizeof(LtPattern));

	if (t == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu for customer patterns.", slots * sizeof(LtPattern))));
	return t;
}

static LtState *
lt_state_new(MemoryContext cxt, Size nhint)
{
	LtState    *s = MemoryContextAllocZero(cxt, sizeof(LtState));
	Size		slots = 16384;

	while (slots < 2 * nhint && slots < LT_MAX_SLOTS)
		slots *= 2;
	s->set.tab = lt_table_alloc(slots, 0);
	s->set.mask = slots - 1;
	s->set.n = 0;
	s->cb.func = lt_state_free;
	s->cb.arg = s;
	MemoryContextRegisterResetCallback(cxt, &s->cb);
	return s;
}

static void
lt_state_grow(LtState *s)
{
	Size		oldslots = s->set.mask + 1;
	Size		slots = oldslots * 2;
	LtPattern  *old = s->set.tab,
			   *tab;

	if (slots > LT_MAX_SLOTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct customer patterns: more than %zu", (Size) LT_MAX_SLOTS / 2)));
	/*
	 * The new table first: when it is refused (max_fit_memory) the state
	 * still owns only the old one.  Then the old one is s->old until the
	 * move is done, freed by the callback if a cancel comes.
	 */
	tab = lt_table_alloc(slots, oldslots);
	s->old = old;
	s->set.tab = tab;
	s->set.n = 0;
	s->set.mask = slots - 1;
	/* in slices: moving 16 million patterns takes a second */
	for (Size off = 0; off < oldslots; off += LT_MOVE_SLICE)
	{
		CHECK_FOR_INTERRUPTS();
		lt_set_move(&s->set, old + off, Min(LT_MOVE_SLICE, oldslots - off));
	}
	s->old = NULL;
	free(old);
}

static inline void
lt_state_add(LtState *s, MemoryContext cxt, double x, double tx, double T, double w)
{
	while (lt_set_add(&s->set, x, tx, T, w) != 0)
		lt_state_grow(s);
}

/*
 * Add the buffered rows (weight 1).  Hash them all first and prefetch each
 * row's slot a few rows ahead: the table is larger than the caches, and
 * overlapping the misses is most of the speed of the aggregate.
 */
static void
lt_state_flush(LtState *s)
{
	size_t		h[LT_BATCH];
	int			n = s->nbuf;

	for (int i = 0; i < n; i++)
		h[i] = lt_pattern_hash(s->buf[i][0], s->buf[i][1], s->buf[i][2]);
#if defined(__GNUC__)
	for (int i = 0; i < n && i < 8; i++)
		__builtin_prefetch(&s->set.tab[h[i] & s->set.mask]);
#endif
	for (int i = 0; i < n; i++)
	{
#if defined(__GNUC__)
		if (i + 8 < n)
			__builtin_prefetch(&s->set.tab[h[i + 8] & s->set.mask]);
#endif
		while (lt_set_add_hashed(&s->set, h[i], s->buf[i][0], s->buf[i][1], s->buf[i][2], 1.0) != 0)
			lt_state_grow(s);
	}
	s->nbuf = 0;
}

static inline void
lt_state_push(LtState *s, double x, double tx, double T)
{
	s->buf[s->nbuf][0] = x;
	s->buf[s->nbuf][1] = tx;
	s->buf[s->nbuf][2] = T;
	if (++s->nbuf == LT_BATCH)
		lt_state_flush(s);
}

static MemoryContext
lt_aggcontext(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return cxt;
}

static bytea *
lt_state_serialize(LtState *s)
{
	Size		n,
				sz;
	bytea	   *b;

	if (s)
		lt_state_flush(s);
	n = s ? s->set.n : 0;
	sz = add_size(VARHDRSZ, mul_size(n, sizeof(LtPattern)));
	b = palloc(sz);

	SET_VARSIZE(b, sz);
	if (n > 0)
		lt_set_collect(&s->set, (LtPattern *) VARDATA(b));
	return b;
}

static LtState *
lt_state_deserialize(MemoryContext cxt, bytea *b)
{
	Size		len = VARSIZE_ANY_EXHDR(b);
	Size		n = len / sizeof(LtPattern);
	const LtPattern *p = (const LtPattern *) VARDATA_ANY(b);
	LtState    *s;

	if (len % sizeof(LtPattern) != 0 || n > LT_MAX_SLOTS / 2)
		elog(ERROR, "corrupt customer pattern state");
	s = lt_state_new(cxt, n);
	for (Size i = 0; i < n; i++)
	{
		LtPattern	e;

		if ((i & (LT_MOVE_SLICE - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		memcpy(&e, p + i, sizeof(e));	/* bytea data need not be aligned */
		if (!(e.w > 0))
			elog(ERROR, "corrupt customer pattern state");
		lt_state_add(s, cxt, e.x, e.tx, e.T, e.w);
	}
	return s;
}

static LtState *
lt_state_combine(MemoryContext cxt, LtState *a, LtState *b)
{
	if (b)
		lt_state_flush(b);
	if (a)
		lt_state_flush(a);
	if (b == NULL || b->set.n == 0)
		return a;
	if (a == NULL)
		a = lt_state_new(cxt, b->set.n);
	for (Size i = 0; i <= b->set.mask; i++)
	{
		if ((i & (LT_MOVE_SLICE - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		if (b->set.tab[i].w != 0.0)
			lt_state_add(a, cxt, b->set.tab[i].x, b->set.tab[i].tx, b->set.tab[i].T, b->set.tab[i].w);
	}
	return a;
}

/* The distinct patterns into out, in slices between interrupt checks */
static Size
lt_state_collect(LtState *s, LtPattern *out)
{
	Size		slots = s->set.mask + 1,
				n = 0;

	for (Size off = 0; off < slots; off += LT_MOVE_SLICE)
	{
		Size		len = Min(LT_MOVE_SLICE, slots - off);
		LtPatternSet view = {s->set.tab + off, 0, len - 1};	/* len: a power of two */

		CHECK_FOR_INTERRUPTS();
		n += lt_set_collect(&view, out + n);
	}
	return n;
}

/* ---------------------------------------------------------------- bgnbd_fit */

/* Transition: one customer's (frequency, recency, t) */
PG_FUNCTION_INFO_V1(crmscm_bgnbd_fit_trans);
Datum
crmscm_bgnbd_fit_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = lt_aggcontext(fcinfo, "bgnbd_fit");
	LtState    *s = PG_ARGISNULL(0) ? NULL : (LtState *) PG_GETARG_POINTER(0);
	double		x,
				tx,
				T;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	x = PG_GETARG_FLOAT8(1);
	tx = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	lt_check_customer(x, tx, T);
	if (s == NULL)
		s = lt_state_new(cxt, 0);
	lt_state_push(s, x, tx, T);
	PG_RETURN_POINTER(s);
}

/* Combine two partial states (parallel aggregation) */
PG_FUNCTION_INFO_V1(crmscm_lt_combine);
Datum
crmscm_lt_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = lt_aggcontext(fcinfo, "combine");
	LtState    *a = PG_ARGISNULL(0) ? NULL : (LtState *) PG_GETARG_POINTER(0);
	LtState    *b = PG_ARGISNULL(1) ? NULL : (LtState *) PG_GETARG_POINTER(1);

	a = lt_state_combine(cxt, a, b);
	if (a == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(a);
}

/* Serialize a pattern state */
PG_FUNCTION_INFO_V1(crmscm_lt_serialize);
Datum
crmscm_lt_serialize(PG_FUNCTION_ARGS)
{
	(void) lt_aggcontext(fcinfo, "serialize");
	PG_RETURN_BYTEA_P(lt_state_serialize((LtState *) PG_GETARG_POINTER(0)));
}

/* Deserialize a pattern state */
PG_FUNCTION_INFO_V1(crmscm_lt_deserialize);
Datum
crmscm_lt_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = lt_aggcontext(fcinfo, "deserialize");

	PG_RETURN_POINTER(lt_state_deserialize(cxt, PG_GETARG_BYTEA_PP(0)));
}

static void
lt_check_nonempty(LtState *s, const char *fn, const char *what)
{
	if (s)
		lt_state_flush(s);
	if (s == NULL || s->set.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least one %s", fn, what),
				 errdetail("The input is empty or all its rows are NULL.")));
}

/* "frequency in [0, 12], recency in [0, 38.1], t in [27, 38.9]": the input of a fit */
static char *
lt_input_ranges(const LtPattern *pat, Size n, bool gg)
{
	double		lo[3] = {INFINITY, INFINITY, INFINITY},
				hi[3] = {-INFINITY, -INFINITY, -INFINITY};

	for (Size i = 0; i < n; i++)
	{
		double		v[3] = {pat[i].x, pat[i].tx, pat[i].T};

		for (int k = 0; k < 3; k++)
		{
			lo[k] = Min(lo[k], v[k]);
			hi[k] = Max(hi[k], v[k]);
		}
	}
	if (gg)
		return psprintf("%zu distinct customers, frequency in [%g, %g], monetary in [%g, %g]",
						(size_t) n, lo[0], hi[0], lo[1], hi[1]);
	return psprintf("%zu distinct customers, frequency in [%g, %g], recency in [%g, %g], t in [%g, %g]",
					(size_t) n, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
}

/*
 * The outcome of a fit: an ERROR when interrupted (the pending cancel or
 * timeout), out of memory, or without a finite estimate (22003, naming the
 * input); a WARNING when the estimate did not converge.
 */
static void
lt_fit_rc(int rc, const char *fn, const LtPattern *pat, Size n, bool gg, bool converged)
{
	if (rc == LT_FIT_NO_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory in the optimiser")));
	if (rc == LT_FIT_NOT_FINITE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the maximum likelihood estimate is not finite for this input", fn),
				 errdetail("The input has %s.", lt_input_ranges(pat, n, gg)),
				 errhint("Rescale the time unit or the amounts so that they are neither tiny nor huge.")));
	if (rc != LT_FIT_OK)
		elog(ERROR, "%s: unexpected status %d", fn, rc);
	if (!converged)
	{
		bool		repeat = gg;

		for (Size i = 0; i < n && !repeat; i++)
			repeat = pat[i].x > 0;
		ereport(WARNING,
				(errmsg("%s did not converge: converged = false", fn),
				 errdetail("The input has %s.", lt_input_ranges(pat, n, gg)),
				 repeat ? 0 : errhint("Without repeat purchases there is no interior maximum.")));
	}
}

/* Final: maximum likelihood BG/NBD model */
PG_FUNCTION_INFO_V1(crmscm_bgnbd_fit_final);
Datum
crmscm_bgnbd_fit_final(PG_FUNCTION_ARGS)
{
	LtState    *s = PG_ARGISNULL(0) ? NULL : (LtState *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {0};
	BgnbdFit	fit;
	LtPattern  *pat;
	Size		n;
	int			rc;

	(void) lt_aggcontext(fcinfo, "bgnbd_fit");
	lt_check_nonempty(s, "bgnbd_fit", "customer");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	pat = MemoryContextAllocHuge(CurrentMemoryContext, mul_size(s->set.n, sizeof(LtPattern)));
	n = lt_state_collect(s, pat);
	/* stopped only for a cancel, which CHECK_FOR_INTERRUPTS raises */
	while ((rc = bgnbd_fit(pat, n, &fit, lt_interrupted)) == LT_FIT_INTERRUPTED)
		CHECK_FOR_INTERRUPTS();
	lt_fit_rc(rc, "bgnbd_fit", pat, n, false, fit.converged != 0);
	values[0] = Float8GetDatum(fit.p.r);
	values[1] = Float8GetDatum(fit.p.alpha);
	values[2] = Float8GetDatum(fit.p.a);
	values[3] = Float8GetDatum(fit.p.b);
	values[4] = Float8GetDatum(fit.log_likelihood);
	values[5] = Int64GetDatum((int64) fit.n);
	values[6] = BoolGetDatum(fit.converged != 0);
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------- gamma_gamma_fit */

/* Transition: one customer's (frequency, monetary); frequency 0 is skipped */
PG_FUNCTION_INFO_V1(crmscm_gamma_gamma_fit_trans);
Datum
crmscm_gamma_gamma_fit_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = lt_aggcontext(fcinfo, "gamma_gamma_fit");
	LtState    *s = PG_ARGISNULL(0) ? NULL : (LtState *) PG_GETARG_POINTER(0);
	double		x,
				m;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	x = PG_GETARG_FLOAT8(1);
	m = PG_GETARG_FLOAT8(2);
	lt_check_gg_customer(x, m);
	if (x == 0)
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (s == NULL)
		s = lt_state_new(cxt, 0);
	lt_state_push(s, x, m, 0.0);
	PG_RETURN_POINTER(s);
}

/* Final: maximum likelihood Gamma-Gamma model */
PG_FUNCTION_INFO_V1(crmscm_gamma_gamma_fit_final);
Datum
crmscm_gamma_gamma_fit_final(PG_FUNCTION_ARGS)
{
	LtState    *s = PG_ARGISNULL(0) ? NULL : (LtState *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {0};
	GgFit		fit;
	LtPattern  *pat;
	Size		n;
	int			rc;

	(void) lt_aggcontext(fcinfo, "gamma_gamma_fit");
	lt_check_nonempty(s, "gamma_gamma_fit", "customer with frequency > 0");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	pat = MemoryContextAllocHuge(CurrentMemoryContext, mul_size(s->set.n, sizeof(LtPattern)));
	n = lt_state_collect(s, pat);
	while ((rc = gg_fit(pat, n, &fit, lt_interrupted)) == LT_FIT_INTERRUPTED)
		CHECK_FOR_INTERRUPTS();
	lt_fit_rc(rc, "gamma_gamma_fit", pat, n, true, fit.converged != 0);
	values[0] = Float8GetDatum(fit.p.p);
	values[1] = Float8GetDatum(fit.p.q);
	values[2] = Float8GetDatum(fit.p.v);
	values[3] = Float8GetDatum(fit.log_likelihood);
	values[4] = Int64GetDatum((int64) fit.n);
	values[5] = BoolGetDatum(fit.converged != 0);
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------- rfm_summary */

typedef struct RfmState
{
	int32		as_of;
	Size		n;
	Size		cap;
	LtPurchase *p;
} RfmState;

static RfmState *
rfm_state_new(MemoryContext cxt, int32 as_of, Size cap)
{
	RfmState   *s = MemoryContextAlloc(cxt, sizeof(RfmState));

	crmscm_fit_memory_check("rfm_summary", (int64) (Max(cap, 16) * sizeof(LtPurchase)), "the purchases of one group");
	s->as_of = as_of;
	s->n = 0;
	s->cap = Max(cap, 16);
	s->p = MemoryContextAlloc(cxt, mul_size(s->cap, sizeof(LtPurchase)));
	return s;
}

static void
rfm_state_reserve(RfmState *s, Size more)
{
	if (s->n + more > s->cap)
	{
		Size		newcap = Max(s->cap * 2, s->n + more);
		int64		limit = crmscm_fit_memory_limit() / (int64) sizeof(LtPurchase);

		/* grow less near crmscm.max_fit_memory; error beyond it */
		if ((int64) newcap > limit)
			newcap = Max(s->n + more, (Size) limit);
		crmscm_fit_memory_check("rfm_summary", (int64) (newcap * sizeof(LtPurchase)), "the purchases of one group");

		if (newcap > MaxAllocSize / sizeof(LtPurchase))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many purchases in one rfm_summary group: more than %zu",
							(Size) (MaxAllocSize / sizeof(LtPurchase)))));
		s->p = repalloc(s->p, mul_size(newcap, sizeof(LtPurchase)));
		s->cap = newcap;
	}
}

static void
rfm_check_as_of(RfmState *s, int32 as_of)
{
	if (s->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group: %s and %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(s->as_of))),
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(as_of))))));
}

/* Transition: one purchase (ordered_at, amount, as_of) */
PG_FUNCTION_INFO_V1(crmscm_rfm_trans);
Datum
crmscm_rfm_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = lt_aggcontext(fcinfo, "rfm_summary");
	RfmState   *s = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	DateADT		day,
				as_of;
	double		amount;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	day = PG_GETARG_DATEADT(1);
	amount = PG_GETARG_FLOAT8(2);
	as_of = PG_GETARG_DATEADT(3);
	if (DATE_NOT_FINITE(day) || DATE_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("rfm_summary needs finite dates")));
	if (!isfinite(amount))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("purchase amount must be finite: %g", amount)));
	if (s == NULL)
		s = rfm_state_new(cxt, as_of, 16);
	else
		rfm_check_as_of(s, as_of);
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		rfm_state_reserve(s, 1);
		MemoryContextSwitchTo(old);
	}
	s->p[s->n].day = day;
	s->p[s->n].amount = amount;
	s->n++;
	PG_RETURN_POINTER(s);
}

/* Combine two rfm_summary states */
PG_FUNCTION_INFO_V1(crmscm_rfm_combine);
Datum
crmscm_rfm_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = lt_aggcontext(fcinfo, "rfm_summary");
	RfmState   *a = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	RfmState   *b = PG_ARGISNULL(1) ? NULL : (RfmState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = rfm_state_new(cxt, b->as_of, b->n);
	else
		rfm_check_as_of(a, b->as_of);
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		rfm_state_reserve(a, b->n);
		MemoryContextSwitchTo(old);
	}
	memcpy(a->p + a->n, b->p, b->n * sizeof(LtPurchase));
	a->n += b->n;
	PG_RETURN_POINTER(a);
}

/* Serialize an rfm_summary state: as_of, then (day, amount) pairs */
PG_FUNCTION_INFO_V1(crmscm_rfm_serialize);
Datum
crmscm_rfm_serialize(PG_FUNCTION_ARGS)
{
	RfmState   *s = (RfmState *) PG_GETARG_POINTER(0);
	Size		sz;
	bytea	   *b;

	(void) lt_aggcontext(fcinfo, "rfm_summary");
	sz = add_size(VARHDRSZ + sizeof(int32), mul_size(s->n, sizeof(LtPurchase)));
	b = palloc(sz);
	SET_VARSIZE(b, sz);
	memcpy(VARDATA(b), &s->as_of, sizeof(int32));
	memcpy(VARDATA(b) + sizeof(int32), s->p, s->n * sizeof(LtPurchase));
	PG_RETURN_BYTEA_P(b);
}

/* Deserialize an rfm_summary state */
PG_FUNCTION_INFO_V1(crmscm_rfm_deserialize);
Datum
crmscm_rfm_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = lt_aggcontext(fcinfo, "rfm_summary");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	Size		len = VARSIZE_ANY_EXHDR(b);
	int32		as_of;
	Size		n;
	RfmState   *s;

	if (len < sizeof(int32) || (len - sizeof(int32)) % sizeof(LtPurchase) != 0)
		elog(ERROR, "corrupt rfm_summary state");
	n = (len - sizeof(int32)) / sizeof(LtPurchase);
	memcpy(&as_of, VARDATA_ANY(b), sizeof(int32));
	s = rfm_state_new(cxt, as_of, n);
	memcpy(s->p, VARDATA_ANY(b) + sizeof(int32), n * sizeof(LtPurchase));
	s->n = n;
	PG_RETURN_POINTER(s);
}

/* Final: (frequency, recency, t, monetary) in days; NULL without purchases up to as_of */
PG_FUNCTION_INFO_V1(crmscm_rfm_final);
Datum
crmscm_rfm_final(PG_FUNCTION_ARGS)
{
	RfmState   *s = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {0};
	LtRfm		r;
	LtPurchase *copy;

	(void) lt_aggcontext(fcinfo, "rfm_summary");
	if (s == NULL || s->n == 0)
		PG_RETURN_NULL();
	/* the final function may run more than once on a state: work on a copy */
	copy = palloc(mul_size(s->n, sizeof(LtPurchase)));
	memcpy(copy, s->p, s->n * sizeof(LtPurchase));
	if (lt_rfm(copy, s->n, s->as_of, &r) == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int32GetDatum(r.frequency);
	values[1] = Float8GetDatum(r.recency);
	values[2] = Float8GetDatum(r.t);
	values[3] = Float8GetDatum(r.monetary);
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------------------------------------------------------------- predictions */

/* P(alive) of a customer with (frequency, recency, t) */
PG_FUNCTION_INFO_V1(crmscm_bgnbd_p_alive);
Datum
crmscm_bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	BgnbdParams p = lt_bgnbd_arg(fcinfo, 0);
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);

	lt_check_customer_pred(x, tx, T);
	PG_RETURN_FLOAT8(lt_result(bgnbd_p_alive(&p, x, tx, T), "bgnbd_p_alive"));
}

/* Expected purchases in the next horizon of a customer with (frequency, recency, t) */
PG_FUNCTION_INFO_V1(crmscm_bgnbd_expected);
Datum
crmscm_bgnbd_expected(PG_FUNCTION_ARGS)
{
	LtModelCache *c = lt_model_arg(fcinfo, 0, 4, "bgnbd", 0);
	BgnbdParams p = {c->par[0], c->par[1], c->par[2], c->par[3]};
	double		t = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4),
				pa;
	LtCondMemo *m;
	uint64		h;

	lt_check_horizon(t, "horizon");
	lt_check_customer_pred(x, tx, T);
	if (t == 0.0)
		PG_RETURN_FLOAT8(0.0);
	pa = bgnbd_p_alive(&p, x, tx, T);
	if (pa == 0.0)
		PG_RETURN_FLOAT8(0.0);

	/* the hypergeometric part depends on (t, x, T) only: memoise it */
	if (c->memo == NULL)
		c->memo = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(LtCondMemo) * LT_COND_MEMO);
	{
		uint64		bx,
					bT,
					bt;

		memcpy(&bx, &x, sizeof(bx));
		memcpy(&bT, &T, sizeof(bT));
		memcpy(&bt, &t, sizeof(bt));
		h = (bx * UINT64CONST(0x9E3779B97F4A7C15)) ^ (bT * UINT64CONST(0xC2B2AE3D27D4EB4F)) ^ bt;
		h ^= h >> 29;
		h *= UINT64CONST(0x94D049BB133111EB);
		h ^= h >> 32;
	}
	m = &c->memo[h % LT_COND_MEMO];
	if (!(m->value > 0 && m->t == t && m->x == x && m->T == T))
	{
		m->t = t;
		m->x = x;
		m->T = T;
		m->value = bgnbd_cond(&p, t, x, T);
	}
	PG_RETURN_FLOAT8(lt_result(pa * m->value, "bgnbd_expected"));
}

/* Expected purchases of a new customer in horizon */
PG_FUNCTION_INFO_V1(crmscm_bgnbd_expected_new);
Datum
crmscm_bgnbd_expected_new(PG_FUNCTION_ARGS)
{
	BgnbdParams p = lt_bgnbd_arg(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);

	lt_check_horizon(t, "horizon");
	PG_RETURN_FLOAT8(lt_result(bgnbd_expected_new(&p, t), "bgnbd_expected_new"));
}

/* Probability of exactly n purchases in horizon for a new customer */
PG_FUNCTION_INFO_V1(crmscm_bgnbd_prob_n);
Datum
crmscm_bgnbd_prob_n(PG_FUNCTION_ARGS)
{
	BgnbdParams p = lt_bgnbd_arg(fcinfo, 0);
	int32		n = PG_GETARG_INT32(1);
	double		t = PG_GETARG_FLOAT8(2);

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of purchases must not be negative: %d", n)));
	lt_check_horizon(t, "horizon");
	PG_RETURN_FLOAT8(lt_result(bgnbd_prob_n(&p, (double) n, t), "bgnbd_prob_n"));
}

static double
lt_spend(const GgParams *g, double x, double m)
{
	double		e;

	lt_check_gg_customer(x, m);
	e = gg_expected(g, x, m);
	if (!isfinite(e) && g->p * x + g->q - 1.0 > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("expected spend out of range for frequency %g and monetary %g", x, m)));
	if (!isfinite(e))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected spend is infinite for frequency %g: p * frequency + q = %g is not above 1",
						x, g->p * x + g->q)));
	return e;
}

/* Expected spend per transaction given (frequency, monetary) */
PG_FUNCTION_INFO_V1(crmscm_gamma_gamma_expected);
Datum
crmscm_gamma_gamma_expected(PG_FUNCTION_ARGS)
{
	GgParams	g = lt_gg_arg(fcinfo, 0);

	PG_RETURN_FLOAT8(lt_spend(&g, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2)));
}

/* Discounted customer lifetime value over a number of months */
PG_FUNCTION_INFO_V1(crmscm_clv);
Datum
crmscm_clv(PG_FUNCTION_ARGS)
{
	BgnbdParams p = lt_bgnbd_arg(fcinfo, 0);
	GgParams	g = lt_gg_arg(fcinfo, 1);
	double		x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4),
				m = PG_GETARG_FLOAT8(5);
	int32		months = PG_GETARG_INT32(6);
	double		d = PG_GETARG_FLOAT8(7),
				u = PG_GETARG_FLOAT8(8);

	lt_check_customer_pred(x, tx, T);
	(void) lt_spend(&g, x, m);
	if (months < 0 || months > 12000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("months must be between 0 and 12000: %d", months)));
	lt_check_finite(d, "monthly_discount");
	lt_check_finite(u, "units_per_month");
	/* the last horizon, months * units_per_month time units, must be finite */
	if (!isfinite((double) months * u))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("clv: the horizon of %d months of %g time units is out of range", months, u)));
	if (!isfinite(d) || d < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monthly_discount must be finite and not negative: %g", d)));
	if (!isfinite(u) || !(u > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("units_per_month must be positive and finite: %g", u),
				 errhint("Use 4.345 when the model is in weeks, 30 when it is in days.")));
	PG_RETURN_FLOAT8(lt_result(lt_clv(&p, &g, x, tx, T, m, months, d, u, lt_interrupted), "clv"));
}
