/*
 * geo.c — geographic points and distances, plain C.
 */
#include "geo.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <geodesic.h>

#define DEG2RAD (M_PI / 180.0)

GeoStatus
geo_make(double lat, double lon, GeoPoint *out)
{
	if (!isfinite(lat) || !isfinite(lon))
		return GEO_NOT_FINITE;
	if (lat < -90.0 || lat > 90.0)
		return GEO_LAT_RANGE;
	if (lon < -180.0 || lon > 180.0)
		return GEO_LON_RANGE;
	out->lat = lat + 0.0;		/* -0.0 + 0.0 == +0.0 */
	out->lon = lon + 0.0;
	return GEO_OK;
}

static const char *
skip_blanks(const char *s)
{
	while (*s && isspace((unsigned char) *s))
		s++;
	return s;
}

/*
 * Read one number.  strtod also accepts "nan", "inf", hex floats and
 * "infinity"; we accept only decimal notation, but report NaN/Infinity
 * spelled out as GEO_NOT_FINITE so the message can say what was wrong.
 */
static GeoStatus
read_number(const char **sp, double *val)
{
	const char *s = skip_blanks(*sp);
	const char *p = s;
	char	   *end;

	if (*p == '+' || *p == '-')
		p++;
	if (strncasecmp(p, "nan", 3) == 0 || strncasecmp(p, "inf", 3) == 0)
		return GEO_NOT_FINITE;
	if (!(isdigit((unsigned char) *p) || (*p == '.' && isdigit((unsigned char) p[1]))))
		return GEO_SYNTAX;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return GEO_SYNTAX;
	errno = 0;
	*val = strtod(s, &end);
	if (end == s)
		return GEO_SYNTAX;
	/* ERANGE on overflow yields +-HUGE_VAL; underflow to 0 or denormal is fine */
	if (errno == ERANGE && fabs(*val) > 1.0)
		return GEO_NOT_FINITE;
	*sp = end;
	return GEO_OK;
}

static GeoStatus
parse_pair(const char **sp, char sep, double *first, double *second)
{
	GeoStatus	st;
	const char *s = *sp;

	if ((st = read_number(&s, first)) != GEO_OK)
		return st;
	s = skip_blanks(s);
	if (sep == ',')
	{
		if (*s != ',')
			return GEO_SYNTAX;
		s++;
	}
	else if (s == *sp || !isspace((unsigned char) s[-1]))
		return GEO_SYNTAX;		/* WKT needs blank between ordinates */
	if ((st = read_number(&s, second)) != GEO_OK)
		return st;
	*sp = skip_blanks(s);
	return GEO_OK;
}

GeoStatus
geo_parse(const char *str, GeoPoint *out, double *bad)
{
	const char *s;
	double		lat,
				lon;
	GeoStatus	st;

	if (bad)
		*bad = NAN;
	if (strnlen(str, GEO_MAX_TEXT_LEN + 1) > GEO_MAX_TEXT_LEN)
		return GEO_TOO_LONG;
	s = skip_blanks(str);
	if (strncasecmp(s, "point", 5) == 0)
	{
		s = skip_blanks(s + 5);
		if (*s++ != '(')
			return GEO_SYNTAX;
		if ((st = parse_pair(&s, ' ', &lon, &lat)) != GEO_OK)
			return st;
		if (*s++ != ')')
			return GEO_SYNTAX;
	}
	else if (*s == '(')
	{
		s++;
		if ((st = parse_pair(&s, ',', &lat, &lon)) != GEO_OK)
			return st;
		if (*s++ != ')')
			return GEO_SYNTAX;
	}
	else if ((st = parse_pair(&s, ',', &lat, &lon)) != GEO_OK)
		return st;
	if (*skip_blanks(s) != '\0')
		return GEO_SYNTAX;

	st = geo_make(lat, lon, out);
	if (bad && st == GEO_LAT_RANGE)
		*bad = lat;
	else if (bad && st == GEO_LON_RANGE)
		*bad = lon;
	return st;
}

int
geo_format_double(double x, char *buf, size_t buflen)
{
	int			prec;
	int			n = 0;

	for (prec = 15; prec <= 17; prec++)
	{
		n = snprintf(buf, buflen, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return n;
}

int
geo_format(const GeoPoint *p, char *buf, size_t buflen)
{
	char		lat[32],
				lon[32];

	geo_format_double(p->lat, lat, sizeof(lat));
	geo_format_double(p->lon, lon, sizeof(lon));
	return snprintf(buf, buflen, "(%s,%s)", lat, lon);
}

int
geo_cmp(const GeoPoint *a, const GeoPoint *b)
{
	if (a->lat != b->lat)
		return a->lat < b->lat ? -1 : 1;
	if (a->lon != b->lon)
		return a->lon < b->lon ? -1 : 1;
	return 0;
}

double
geo_distance_km(const GeoPoint *a, const GeoPoint *b)
{
	double		phi1 = a->lat * DEG2RAD,
				phi2 = b->lat * DEG2RAD;
	double		dlambda = (b->lon - a->lon) * DEG2RAD;
	double		sin1 = sin(phi1),
				cos1 = cos(phi1),
				sin2 = sin(phi2),
				cos2 = cos(phi2);
	double		sdl = sin(dlambda),
				cdl = cos(dlambda);
	double		x = cos2 * sdl;
	double		y = cos1 * sin2 - sin1 * cos2 * cdl;
	double		z = sin1 * sin2 + cos1 * cos2 * cdl;

	return GEO_EARTH_RADIUS_KM * atan2(sqrt(x * x + y * y), z);
}

double
geo_geodesic_km(const GeoPoint *a, const GeoPoint *b)
{
	static struct geod_geodesic g;
	static int	initialised = 0;
	double		s12 = 0.0;

	if (!initialised)
	{
		geod_init(&g, GEO_WGS84_A, GEO_WGS84_F);
		initialised = 1;
	}
	geod_inverse(&g, a->lat, a->lon, b->lat, b->lon, &s12, NULL, NULL);
	return s12 / 1000.0;
}
