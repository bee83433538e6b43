/*
 * geo.h — geographic points and distances, plain C (no PostgreSQL headers).
 *
 * A point is (latitude, longitude) in degrees on WGS84.  Parsing and
 * formatting live here so that the PostgreSQL type, the unit tests and the
 * fuzz harness share one implementation.
 */
#ifndef CRMSCM_GEO_H
#define CRMSCM_GEO_H

#include <stddef.h>

/* Mean radius of WGS84, R1 = (2a + b) / 3, the radius PostGIS uses for
 * ST_DistanceSphere. */
#define GEO_EARTH_RADIUS_KM 6371.0087714

/* WGS84 ellipsoid */
#define GEO_WGS84_A 6378137.0
#define GEO_WGS84_F (1.0 / 298.257223563)

/* Longest text form the parser accepts, in bytes. */
#define GEO_MAX_TEXT_LEN 1024

/* Shortest buffer that geo_format always fits in. */
#define GEO_FORMAT_BUFLEN 64

typedef struct GeoPoint
{
	double		lat;
	double		lon;
} GeoPoint;

typedef enum GeoStatus
{
	GEO_OK = 0,
	GEO_SYNTAX,					/* malformed text */
	GEO_TOO_LONG,				/* longer than GEO_MAX_TEXT_LEN */
	GEO_NOT_FINITE,				/* NaN or infinity */
	GEO_LAT_RANGE,				/* latitude outside [-90, 90] */
	GEO_LON_RANGE				/* longitude outside [-180, 180] */
} GeoStatus;

/* Validate a coordinate pair; -0.0 is normalised to 0.0 so that equal points
 * have equal bytes (hashing relies on it). */
extern GeoStatus geo_make(double lat, double lon, GeoPoint *out);

/*
 * Parse "(lat,lon)", "lat,lon" or WKT "POINT(lon lat)" (case-insensitive,
 * surrounding blanks allowed).  On failure *bad points at the offending value
 * when one can be named (a number out of range), else NULL.
 */
extern GeoStatus geo_parse(const char *str, GeoPoint *out, double *bad);

/* Format as "(lat,lon)" with the shortest digits that round-trip exactly. */
extern int	geo_format(const GeoPoint *p, char *buf, size_t buflen);

/* Shortest "%.*g" representation of x that reads back to x exactly. */
extern int	geo_format_double(double x, char *buf, size_t buflen);

/* Three-way compare: latitude, then longitude. */
extern int	geo_cmp(const GeoPoint *a, const GeoPoint *b);

/* Great-circle distance in km on the sphere of radius GEO_EARTH_RADIUS_KM
 * (Vincenty's atan2 form: stable for near and antipodal points). */
extern double geo_distance_km(const GeoPoint *a, const GeoPoint *b);

/* sin and cos of an angle in degrees, reduced exactly (|deg| <= 720) */
extern void geo_sincosd(double deg, double *s, double *c);

/* asin(x) for |x| <= 0.5 (the kernel distance_km uses) */
extern double geo_asin_small(double x);

/* Geodesic distance in km on the WGS84 ellipsoid (Karney, via PROJ). */
extern double geo_geodesic_km(const GeoPoint *a, const GeoPoint *b);

#endif							/* CRMSCM_GEO_H */
