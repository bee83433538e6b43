/*
 * naive_bayes.c — the lead_nb_fit aggregate: Odoo-style naive Bayes counts
 * of won and lost leads per attribute value, as jsonb (the terms are in
 * src/core/naive_bayes.c).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "fit_memory.h"
#include "logreg.h"			/* lr_format_double */
#include "naive_bayes.h"

/* Most attributes of lead_nb_fit. */
#define LEAD_NB_MAX_ATTRIBUTES 1000

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
