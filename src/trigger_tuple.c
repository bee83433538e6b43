/*
 * trigger_tuple.c — a row of a trigger read by column name (trigger_tuple.h).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"

#include "trigger_tuple.h"

int
crmscm_tuple_attnum(TupleDesc desc, const char *name)
{
	int			att = SPI_fnumber(desc, name);

	if (att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("crmscm trigger: column \"%s\" does not exist", name)));
	return att;
}

Datum
crmscm_tuple_get(HeapTuple tup, TupleDesc desc, const char *name, bool *isnull)
{
	return heap_getattr(tup, crmscm_tuple_attnum(desc, name), desc, isnull);
}

int64
crmscm_tuple_int8(HeapTuple tup, TupleDesc desc, const char *name, bool *isnull)
{
	bool		n;
	Datum		d = crmscm_tuple_get(tup, desc, name, &n);

	if (isnull)
		*isnull = n;
	return n ? 0 : DatumGetInt64(d);
}

int32
crmscm_tuple_int4(HeapTuple tup, TupleDesc desc, const char *name)
{
	bool		n;
	Datum		d = crmscm_tuple_get(tup, desc, name, &n);

	return n ? 0 : DatumGetInt32(d);
}

bool
crmscm_text_is(Datum d, const char *s)
{
	text	   *t = DatumGetTextPP(d);
	size_t		len = strlen(s);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}
