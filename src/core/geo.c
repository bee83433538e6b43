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
#define Min(a, b) ((a) < (b) ? (a) : (b))

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

/*
 * Polynomial kernels for sin and cos on [-pi/4, pi/4], from FreeBSD msun
 * k_sin.c / k_cos.c (fdlibm):
 *   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *   Developed at SunPro, a Sun Microsystems, Inc. business.
 *   Permission to use, copy, modify, and distribute this
 *   software is freely granted, provided that this notice
 *   is preserved.
 * Error below 1 ulp on that interval.
 */
static inline double
kernel_sin(double x)
{
	const double S1 = -1.66666666666666324348e-01,
				S2 = 8.33333333332248946124e-03,
				S3 = -1.98412698298579493134e-04,
				S4 = 2.75573137070700676789e-06,
				S5 = -2.50507602534068634195e-08,
				S6 = 1.58969099521155010221e-10;
	double		z = x * x,
				v = z * x,
				r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));

	return x + v * (S1 + z * r);
}

static inline double
kernel_cos(double x)
{
	const double C1 = 4.16666666666666019037e-02,
				C2 = -1.38888888888741095749e-03,
				C3 = 2.48015872894767294178e-05,
				C4 = -2.75573143513906633035e-07,
				C5 = 2.08757232129817482790e-09,
				C6 = -1.13596475577881948265e-11;
	double		z = x * x,
				r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6))))),
				hz = 0.5 * z,
				w = 1.0 - hz;

	return w + (((1.0 - w) - hz) + z * r);
}

/*
 * asin(x) for |x| <= 0.5, fdlibm e_asin.c's rational approximation (same
 * copyright and permission notice as above): asin(x) = x + x*x^2*R(x^2),
 * error below 1 ulp there.
 */
static inline double
kernel_asin(double x)
{
	const double pS0 = 1.66666666666666657415e-01,
				pS1 = -3.25565818622400915405e-01,
				pS2 = 2.01212532134862925881e-01,
				pS3 = -4.00555345006794114027e-02,
				pS4 = 7.91534994289814532176e-04,
				pS5 = 3.47933107596021167570e-05,
				qS1 = -2.40339491173441421878e+00,
				qS2 = 2.02094576023350569471e+00,
				qS3 = -6.88283971605453293030e-01,
				qS4 = 7.70381505559019352791e-02;
	double		t = x * x,
				p = t * (pS0 + t * (pS1 + t * (pS2 + t * (pS3 + t * (pS4 + t * pS5))))),
				q = 1.0 + t * (qS1 + t * (qS2 + t * (qS3 + t * qS4)));

	return x + x * (p / q);
}

double
geo_asin_small(double x)
{
	return kernel_asin(x);
}

static inline void
sincosd_inline(double deg, double *s, double *c)
{
	/*
	 * Reduce in degrees, where it is exact (GeographicLib's sincosd does the
	 * same): deg - 90 q has no rounding error for |deg| <= 720, so sin(90) is
	 * exactly 1 and cos(90) exactly 0.
	 */
	long		iq = (long) (deg * (1.0 / 90.0) + (deg >= 0 ? 0.5 : -0.5));
	double		r = (deg - 90.0 * (double) iq) * DEG2RAD;
	double		sr = kernel_sin(r),
				cr = kernel_cos(r);

	/* quadrant fix-up without branches: random angles mispredict a switch */
	{
		static const double ssign[4] = {1, 1, -1, -1},
					csign[4] = {1, -1, -1, 1};
		double		v[2] = {sr, cr};
		int			k = (int) (iq & 3),
					odd = k & 1;

		*s = ssign[k] * v[odd];
		*c = csign[k] * v[odd ^ 1];
	}
	*c += 0.0;					/* no -0 */
}

void
geo_sincosd(double deg, double *s, double *c)
{
	sincosd_inline(deg, s, c);
}

/*
 * On x86-64 with GCC, also build an FMA version picked at load time (ifunc):
 * the sine/cosine polynomials are latency bound, and fused multiply-adds make
 * the whole function about a fifth faster.  Results may differ in the last
 * bit between the two versions.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
__attribute__((target_clones("fma", "default")))
#endif
double
geo_distance_km(const GeoPoint *a, const GeoPoint *b)
{
	double		sin1,
				cos1,
				sin2,
				cos2,
				sdl,
				cdl;
	double		x,
				y,
				z,
				n,
				angle;

	/* with fused multiply-adds, y below need not cancel exactly */
	if (a->lat == b->lat && a->lon == b->lon)
		return 0.0;

	sincosd_inline(a->lat, &sin1, &cos1);
	sincosd_inline(b->lat, &sin2, &cos2);
	sincosd_inline(b->lon - a->lon, &sdl, &cdl);

	/*
	 * Vincenty's formula on the sphere: the angle between the two position
	 * vectors is atan2(n, z) with n = |v1 x v2| = sin(angle) and
	 * z = v1 . v2 = cos(angle).  Instead of atan2 we pick, by sextant, a form
	 * that needs asin only on [-0.5, 0.5], where it is a short rational
	 * function and every form is well conditioned:
	 *   angle <= 30 or >= 150 degrees   asin(n), pi - asin(n)
	 *   60 .. 120                       pi/2 - asin(z)
	 *   30 .. 60                        2 asin(sqrt((1 - z) / 2))   (half angle)
	 *   120 .. 150                      pi - 2 asin(sqrt((1 + z) / 2))
	 */
	x = cos2 * sdl;
	y = cos1 * sin2 - sin1 * cos2 * cdl;
	z = sin1 * sin2 + cos1 * cos2 * cdl;
	n = sqrt(x * x + y * y);
	if (n <= 0.5)
		angle = z >= 0 ? kernel_asin(n) : M_PI - kernel_asin(n);
	else if (z >= -0.5 && z <= 0.5)
		angle = M_PI_2 - kernel_asin(z);
	else if (z > 0)
		angle = 2.0 * kernel_asin(sqrt(Min((1.0 - z) * 0.5, 0.25)));
	else
		angle = M_PI - 2.0 * kernel_asin(sqrt(Min((1.0 + z) * 0.5, 0.25)));
	return GEO_EARTH_RADIUS_KM * angle;
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
