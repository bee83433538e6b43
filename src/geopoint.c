/*
 * geopoint.c — SQL face of crmscm.geopoint: I/O, constructor, accessors,
 * comparison and hashing, distances.  The math is in src/core/geo.c.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "geopoint.h"

void
geopoint_report(GeoStatus st, const char *input, double bad)
{
	char		num[32];

	if (!isnan(bad))
		geo_format_double(bad, num, sizeof(num));

	switch (st)
	{
		case GEO_LAT_RANGE:
			if (input)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("latitude %s is out of range for type geopoint: \"%s\"", num, input),
						 errdetail("Latitude must be between -90 and 90 degrees.")));
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("latitude %s is out of range for type geopoint", num),
					 errdetail("Latitude must be between -90 and 90 degrees.")));
			break;
		case GEO_LON_RANGE:
			if (input)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("longitude %s is out of range for type geopoint: \"%s\"", num, input),
						 errdetail("Longitude must be between -180 and 180 degrees.")));
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("longitude %s is out of range for type geopoint", num),
					 errdetail("Longitude must be between -180 and 180 degrees.")));
			break;
		case GEO_NOT_FINITE:
			if (input)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("coordinates of type geopoint must be finite: \"%s\"", input),
						 errdetail("NaN and infinite latitudes or longitudes are not allowed.")));
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("coordinates of type geopoint must be finite"),
					 errdetail("NaN and infinite latitudes or longitudes are not allowed.")));
			break;
		case GEO_TOO_LONG:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("input for type geopoint is too long: \"%.40s...\"", input),
					 errdetail("The text form of a geopoint is at most %d bytes.", GEO_MAX_TEXT_LEN)));
			break;
		case GEO_SYNTAX:
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type geopoint: \"%s\"", input ? input : ""),
					 errhint("Use \"(lat,lon)\", \"lat,lon\" or \"POINT(lon lat)\".")));
			break;
	}
	pg_unreachable();
}

static inline GeoPoint *
geopoint_checked(double lat, double lon, const char *input)
{
	GeoPoint   *p = (GeoPoint *) palloc(sizeof(GeoPoint));
	GeoStatus	st = geo_make(lat, lon, p);

	if (st != GEO_OK)
		geopoint_report(st, input, st == GEO_LAT_RANGE ? lat : lon);
	return p;
}

GeoPoint *
geopoint_array(ArrayType *arr, const char *argname, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	GeoPoint   *pts;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));
	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign,
					  &elems, &nulls, &count);
	pts = (GeoPoint *) palloc(mul_size(Max(count, 1), sizeof(GeoPoint)));
	for (int i = 0; i < count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL elements", argname),
					 errdetail("Element %d is NULL.", i + 1)));
		pts[i] = *DatumGetGeoPointP(elems[i]);
	}
	*n = count;
	return pts;
}

/* Parse the text form of a geopoint */
PG_FUNCTION_INFO_V1(crmscm_geopoint_in);
Datum
crmscm_geopoint_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	GeoPoint   *p = (GeoPoint *) palloc(sizeof(GeoPoint));
	double		bad;
	GeoStatus	st = geo_parse(str, p, &bad);

	if (st != GEO_OK)
		geopoint_report(st, str, bad);
	PG_RETURN_GEOPOINT_P(p);
}

/* Format a geopoint as (lat,lon) */
PG_FUNCTION_INFO_V1(crmscm_geopoint_out);
Datum
crmscm_geopoint_out(PG_FUNCTION_ARGS)
{
	GeoPoint   *p = PG_GETARG_GEOPOINT_P(0);
	char	   *buf = palloc(GEO_FORMAT_BUFLEN);

	geo_format(p, buf, GEO_FORMAT_BUFLEN);
	PG_RETURN_CSTRING(buf);
}

/* Read the binary form: two float8, latitude first */
PG_FUNCTION_INFO_V1(crmscm_geopoint_recv);
Datum
crmscm_geopoint_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	double		lat,
				lon;

	/* pq_getmsgfloat8 raises 08P01 on a short message */
	lat = pq_getmsgfloat8(buf);
	lon = pq_getmsgfloat8(buf);
	PG_RETURN_GEOPOINT_P(geopoint_checked(lat, lon, NULL));
}

/* Write the binary form */
PG_FUNCTION_INFO_V1(crmscm_geopoint_send);
Datum
crmscm_geopoint_send(PG_FUNCTION_ARGS)
{
	GeoPoint   *p = PG_GETARG_GEOPOINT_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendfloat8(&buf, p->lat);
	pq_sendfloat8(&buf, p->lon);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Build a geopoint from latitude and longitude */
PG_FUNCTION_INFO_V1(crmscm_geopoint_make);
Datum
crmscm_geopoint_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_GEOPOINT_P(geopoint_checked(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), NULL));
}

/* Latitude in degrees */
PG_FUNCTION_INFO_V1(crmscm_geopoint_lat);
Datum
crmscm_geopoint_lat(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(PG_GETARG_GEOPOINT_P(0)->lat);
}

/* Longitude in degrees */
PG_FUNCTION_INFO_V1(crmscm_geopoint_lon);
Datum
crmscm_geopoint_lon(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(PG_GETARG_GEOPOINT_P(0)->lon);
}

/* Three-way comparison for the btree operator class */
PG_FUNCTION_INFO_V1(crmscm_geopoint_cmp);
Datum
crmscm_geopoint_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(geo_cmp(PG_GETARG_GEOPOINT_P(0), PG_GETARG_GEOPOINT_P(1)));
}

#define GEOPOINT_CMP_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(geo_cmp(PG_GETARG_GEOPOINT_P(0), PG_GETARG_GEOPOINT_P(1)) op 0); \
}

/* Comparison operators, all built on geo_cmp */
GEOPOINT_CMP_FN(crmscm_geopoint_eq, ==)
GEOPOINT_CMP_FN(crmscm_geopoint_ne, !=)
GEOPOINT_CMP_FN(crmscm_geopoint_lt, <)
GEOPOINT_CMP_FN(crmscm_geopoint_le, <=)
GEOPOINT_CMP_FN(crmscm_geopoint_gt, >)
GEOPOINT_CMP_FN(crmscm_geopoint_ge, >=)

/* Hash for the hash operator class (geo_make normalised -0.0) */
PG_FUNCTION_INFO_V1(crmscm_geopoint_hash);
Datum
crmscm_geopoint_hash(PG_FUNCTION_ARGS)
{
	GeoPoint   *p = PG_GETARG_GEOPOINT_P(0);

	return hash_any((unsigned char *) p, sizeof(GeoPoint));
}

/* Extended (seeded) hash for the hash operator class */
PG_FUNCTION_INFO_V1(crmscm_geopoint_hash_extended);
Datum
crmscm_geopoint_hash_extended(PG_FUNCTION_ARGS)
{
	GeoPoint   *p = PG_GETARG_GEOPOINT_P(0);

	return hash_any_extended((unsigned char *) p, sizeof(GeoPoint), PG_GETARG_INT64(1));
}

/* Great-circle distance in km on the WGS84 mean-radius sphere */
PG_FUNCTION_INFO_V1(crmscm_distance_km);
Datum
crmscm_distance_km(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(geo_distance_km(PG_GETARG_GEOPOINT_P(0), PG_GETARG_GEOPOINT_P(1)));
}

/* Geodesic distance in km on the WGS84 ellipsoid */
PG_FUNCTION_INFO_V1(crmscm_geodesic_km);
Datum
crmscm_geodesic_km(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(geo_geodesic_km(PG_GETARG_GEOPOINT_P(0), PG_GETARG_GEOPOINT_P(1)));
}
