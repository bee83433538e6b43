/*
 * trigger_tuple.h — a row of a trigger read by column name (the C triggers
 * of the commit pass: reserve_notes.c, demand_state.c, supplier_stats.c,
 * lifetime_tracking.c).  A column that is not there is an ERROR (42703), so
 * a trigger attached to the wrong table says so.
 */
#ifndef CRMSCM_TRIGGER_TUPLE_H
#define CRMSCM_TRIGGER_TUPLE_H

#include "postgres.h"
#include "access/htup.h"
#include "access/tupdesc.h"

extern int	crmscm_tuple_attnum(TupleDesc desc, const char *name);
extern Datum crmscm_tuple_get(HeapTuple tup, TupleDesc desc, const char *name, bool *isnull);
/* NULL gives 0 (and *isnull, when isnull is not NULL) */
extern int64 crmscm_tuple_int8(HeapTuple tup, TupleDesc desc, const char *name, bool *isnull);
extern int32 crmscm_tuple_int4(HeapTuple tup, TupleDesc desc, const char *name);
/* a text datum equal to s */
extern bool crmscm_text_is(Datum d, const char *s);

#endif
