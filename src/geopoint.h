/*
 * geopoint.h — the crmscm.geopoint type as a PostgreSQL Datum.
 *
 * Fixed length (16 bytes), passed by reference, double alignment; the
 * in-memory layout is the plain-C GeoPoint of src/core/geo.h.
 */
#ifndef CRMSCM_GEOPOINT_H
#define CRMSCM_GEOPOINT_H

#include "geo.h"

#define DatumGetGeoPointP(X)	((GeoPoint *) DatumGetPointer(X))
#define GeoPointPGetDatum(X)	PointerGetDatum(X)
#define PG_GETARG_GEOPOINT_P(n) DatumGetGeoPointP(PG_GETARG_DATUM(n))
#define PG_RETURN_GEOPOINT_P(x) return GeoPointPGetDatum(x)

/* Raise the ERROR that matches a failed geo_make/geo_parse */
extern void geopoint_report(GeoStatus st, const char *input, double bad) pg_attribute_noreturn();

/* Extract a geopoint[] without NULLs into a palloc'd array; sets *n */
struct ArrayType;
extern GeoPoint *geopoint_array(struct ArrayType *arr, const char *argname, int *n);

#endif							/* CRMSCM_GEOPOINT_H */
