/*
 * Unit tests of src/core/geo.c: parsing, formatting, distances.
 *
 * Reference distances: PostGIS 3.3.2 / PROJ 9.1.1, ST_DistanceSphere and
 * geography ST_Distance, as given in issue #2 (metres).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "tap.h"

static const struct
{
	const char *name;
	double		lat1, lon1, lat2, lon2;
	double		sphere_m, ellipsoid_m;
}			refs[] = {
	{"Berlin-Paris", 52.52, 13.405, 48.8566, 2.3522, 877464.5340, 879699.3161},
	{"Moscow-Vladivostok", 55.7558, 37.6173, 43.1155, 131.8855, 6415466.2407, 6433968.9159},
	{"(0,0)-(0,1)", 0, 0, 0, 1, 111195.0797, 111319.4908},
	{"(0,0)-(1,0)", 0, 0, 1, 0, 111195.0797, 110574.3886},
	{"(0,0)-(0.5,179.5)", 0, 0, 0.5, 179.5, 19936488.0563, 19936288.5790},
	{"(0,0)-(0,180) antipodal", 0, 0, 0, 180, 20015114.3522, 20003931.4586},
	{"pole to pole", 90, 0, -90, 0, 20015114.3522, 20003931.4586},
	{"across the antimeridian", 10, 179.9, 10, -179.9, 21901.1550, 21927.8725},
};

static void
test_distances(void)
{
	char		name[128];

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
	{
		GeoPoint	a = {refs[i].lat1, refs[i].lon1},
					b = {refs[i].lat2, refs[i].lon2};

		/* the reference is rounded to 0.1 mm: allow that on top of 1e-9 */
		snprintf(name, sizeof(name), "sphere %s within 1e-9 of ST_DistanceSphere", refs[i].name);
		is_close(geo_distance_km(&a, &b) * 1000, refs[i].sphere_m, 1e-9, 5e-5, name);
		snprintf(name, sizeof(name), "sphere %s symmetric", refs[i].name);
		ok(geo_distance_km(&a, &b) == geo_distance_km(&b, &a) ||
		   fabs(geo_distance_km(&a, &b) - geo_distance_km(&b, &a)) < 1e-12, name);
		snprintf(name, sizeof(name), "ellipsoid %s within 1 mm of geography ST_Distance", refs[i].name);
		is_close(geo_geodesic_km(&a, &b) * 1000, refs[i].ellipsoid_m, 0, 1e-3, name);
	}

	/* near points: arc length R*dlambda on the equator (exact on a sphere) */
	{
		GeoPoint	a = {0, 0},
					b = {0, 1e-9};

		is_close(geo_distance_km(&a, &b), GEO_EARTH_RADIUS_KM * 1e-9 * M_PI / 180, 1e-12, 0,
				 "1e-9 degree apart on the equator: R * dlambda");
		GeoPoint	c = {-33.8688, 151.2093};

		ok(geo_distance_km(&a, &a) == 0.0, "distance to itself is 0");
		ok(geo_distance_km(&c, &c) == 0.0, "distance of Sydney to itself is 0");
		ok(geo_geodesic_km(&a, &a) == 0.0, "geodesic to itself is 0");
	}
	/* a quarter meridian on the sphere is exactly pi*R/2 */
	{
		GeoPoint	a = {0, 30},
					b = {90, 30};

		is_close(geo_distance_km(&a, &b), M_PI * GEO_EARTH_RADIUS_KM / 2, 1e-15, 0,
				 "equator to pole is pi R / 2");
	}
}

static void
test_parse(void)
{
	static const struct
	{
		const char *in;
		double		lat, lon;
	}			good[] = {
		{"(52.52,13.405)", 52.52, 13.405},
		{"  ( 52.52 , 13.405 )  ", 52.52, 13.405},
		{"52.52,13.405", 52.52, 13.405},
		{"POINT(13.405 52.52)", 52.52, 13.405},
		{"point ( 13.405   52.52 )", 52.52, 13.405},
		{"(-90,-180)", -90, -180},
		{"(90,180)", 90, 180},
		{"(1e1,-2.5E-3)", 10, -0.0025},
		{"(-0,-0)", 0, 0},
		{"(.5,+.25)", 0.5, 0.25},
	};
	static const struct
	{
		const char *in;
		GeoStatus	want;
	}			bad[] = {
		{"", GEO_SYNTAX},
		{"   ", GEO_SYNTAX},
		{"()", GEO_SYNTAX},
		{"(1)", GEO_SYNTAX},
		{"(1,)", GEO_SYNTAX},
		{"(,1)", GEO_SYNTAX},
		{"(1,2,3)", GEO_SYNTAX},
		{"(1,2", GEO_SYNTAX},
		{"1,2)", GEO_SYNTAX},
		{"(1,2)x", GEO_SYNTAX},
		{"abc", GEO_SYNTAX},
		{"(1;2)", GEO_SYNTAX},
		{"(0x10,2)", GEO_SYNTAX},
		{"POINT(1,2)", GEO_SYNTAX},
		{"POINT(12)", GEO_SYNTAX},
		{"POINT 1 2", GEO_SYNTAX},
		{"(1 2)", GEO_SYNTAX},
		{"(90.0000001,0)", GEO_LAT_RANGE},
		{"(-90.0000001,0)", GEO_LAT_RANGE},
		{"(0,180.0000001)", GEO_LON_RANGE},
		{"POINT(0 91)", GEO_LAT_RANGE},
		{"(NaN,0)", GEO_NOT_FINITE},
		{"(0,Infinity)", GEO_NOT_FINITE},
		{"(-inf,0)", GEO_NOT_FINITE},
		{"(1e400,0)", GEO_NOT_FINITE},
	};
	char		name[256];
	char		longbuf[GEO_MAX_TEXT_LEN + 16];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		GeoPoint	p;
		GeoStatus	st = geo_parse(good[i].in, &p, NULL);

		snprintf(name, sizeof(name), "parses \"%s\"", good[i].in);
		ok(st == GEO_OK && p.lat == good[i].lat && p.lon == good[i].lon, name);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		GeoPoint	p;
		GeoStatus	st = geo_parse(bad[i].in, &p, NULL);

		snprintf(name, sizeof(name), "rejects \"%s\" with status %d", bad[i].in, (int) bad[i].want);
		if (!ok(st == bad[i].want, name))
			printf("#   got status %d\n", (int) st);
	}
	{
		GeoPoint	p;
		double		badval;

		ok(geo_parse("(91.5,0)", &p, &badval) == GEO_LAT_RANGE && badval == 91.5,
		   "out-of-range latitude is reported");
		ok(geo_parse("(0,-200)", &p, &badval) == GEO_LON_RANGE && badval == -200,
		   "out-of-range longitude is reported");
	}
	memset(longbuf, ' ', sizeof(longbuf));
	longbuf[sizeof(longbuf) - 1] = '\0';
	memcpy(longbuf, "(1,2)", 5);
	{
		GeoPoint	p;

		ok(geo_parse(longbuf, &p, NULL) == GEO_TOO_LONG, "overlong input rejected");
	}
	{
		GeoPoint	p;

		ok(geo_make(NAN, 0, &p) == GEO_NOT_FINITE, "geo_make rejects NaN");
		ok(geo_make(0, -INFINITY, &p) == GEO_NOT_FINITE, "geo_make rejects -Infinity");
		ok(geo_make(-0.0, -0.0, &p) == GEO_OK && !signbit(p.lat) && !signbit(p.lon),
		   "geo_make normalises -0 to 0");
	}
}

/* splitmix64: a small deterministic generator for the property test */
static uint64_t
next_u64(uint64_t *s)
{
	uint64_t	z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double
random_coord(uint64_t *s, double limit)
{
	uint64_t	r = next_u64(s);

	switch (r & 3)
	{
		case 0:					/* uniform */
			return ((double) (r >> 11) / 9007199254740992.0 * 2 - 1) * limit;
		case 1:					/* a few decimals, as typed by people */
			return (double) ((int64_t) (r >> 20) % (int64_t) (limit * 10000)) / 10000.0;
		case 2:					/* tiny magnitudes and denormals */
			{
				double		d;
				uint64_t	bits = (r >> 2) & 0x3FEFFFFFFFFFFFFFULL;

				memcpy(&d, &bits, sizeof(d));
				return (r & 4) ? -d : d;
			}
		default:				/* exactly representable boundaries */
			return (r & 4) ? limit : -limit;
	}
}

static void
test_roundtrip(void)
{
	uint64_t	seed = 20261127;
	long		fails = 0;
	const long	n = 1000000;

	for (long i = 0; i < n; i++)
	{
		GeoPoint	p,
					q;
		char		buf[GEO_FORMAT_BUFLEN];

		if (geo_make(random_coord(&seed, 90), random_coord(&seed, 180), &p) != GEO_OK)
		{
			fails++;
			continue;
		}
		geo_format(&p, buf, sizeof(buf));
		if (geo_parse(buf, &q, NULL) != GEO_OK || memcmp(&p, &q, sizeof(p)) != 0)
		{
			if (fails++ < 5)
				printf("#   round trip failed: %.17g %.17g -> %s\n", p.lat, p.lon, buf);
		}
	}
	ok(fails == 0, "text round trip is exact for 1,000,000 random points");
}

/* geo_sincosd against libm's sin/cos of the angle in radians */
static void
test_sincosd(void)
{
	uint64_t	seed = 7;
	double		worst = 0;
	double		s,
				c;

	for (int i = 0; i < 200000; i++)
	{
		double		deg = ((double) (next_u64(&seed) >> 11) / 9007199254740992.0 * 2 - 1) * 720;
		double		rad = deg * (M_PI / 180);

		geo_sincosd(deg, &s, &c);
		worst = fmax(worst, fmax(fabs(s - sin(rad)), fabs(c - cos(rad))));
	}
	/* libm's own argument deg*pi/180 is off by up to ~1.2e-15 at 720 degrees */
	if (!ok(worst < 2e-15, "sincosd agrees with libm sin/cos within 2e-15 on [-720, 720]"))
		printf("#   worst %g\n", worst);
	geo_sincosd(90, &s, &c);
	ok(s == 1.0 && c == 0.0, "sincosd(90) is exactly (1, 0)");
	geo_sincosd(-90, &s, &c);
	ok(s == -1.0 && c == 0.0, "sincosd(-90) is exactly (-1, 0)");
	geo_sincosd(180, &s, &c);
	ok(s == 0.0 && c == -1.0, "sincosd(180) is exactly (0, -1)");
	geo_sincosd(0, &s, &c);
	ok(s == 0.0 && c == 1.0, "sincosd(0) is exactly (0, 1)");
	geo_sincosd(30, &s, &c);
	is_close(s, 0.5, 2.3e-16, 0, "sin(30 degrees) = 1/2 within 1 ulp");
	geo_sincosd(45, &s, &c);
	is_close(s, M_SQRT1_2, 2.3e-16, 0, "sin(45 degrees) = sqrt(1/2) within 1 ulp");
}

/* the Vincenty atan2 form evaluated with libm, as PostGIS does */
static double
distance_libm(const GeoPoint *a, const GeoPoint *b)
{
	double		p1 = a->lat * M_PI / 180,
				p2 = b->lat * M_PI / 180,
				dl = (b->lon - a->lon) * M_PI / 180;
	double		x = cos(p2) * sin(dl),
				y = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl),
				z = sin(p1) * sin(p2) + cos(p1) * cos(p2) * cos(dl);

	return GEO_EARTH_RADIUS_KM * atan2(sqrt(x * x + y * y), z);
}

static void
test_kernels_vs_libm(void)
{
	uint64_t	seed = 99;
	double		worst = 0;

	for (int i = 0; i < 200000; i++)
	{
		double		x = ((double) (next_u64(&seed) >> 11) / 9007199254740992.0 - 0.5);

		worst = fmax(worst, fabs(geo_asin_small(x) - asin(x)) / fmax(fabs(asin(x)), 1e-300));
	}
	if (!ok(worst <= 2.3e-16, "asin kernel within 1 ulp of libm asin on [-0.5, 0.5]"))
		printf("#   worst relative %g\n", worst);

	worst = 0;
	for (int i = 0; i < 200000; i++)
	{
		GeoPoint	a,
					b;
		double		d,
					ref;

		geo_make(((double) (next_u64(&seed) >> 11) / 9007199254740992.0 * 2 - 1) * 90,
				 ((double) (next_u64(&seed) >> 11) / 9007199254740992.0 * 2 - 1) * 180, &a);
		geo_make(((double) (next_u64(&seed) >> 11) / 9007199254740992.0 * 2 - 1) * 90,
				 ((double) (next_u64(&seed) >> 11) / 9007199254740992.0 * 2 - 1) * 180, &b);
		d = geo_distance_km(&a, &b);
		ref = distance_libm(&a, &b);
		worst = fmax(worst, fabs(d - ref) / ref);
	}
	if (!ok(worst < 1e-12, "distance_km within 1e-12 of the libm atan2 formula on 200,000 random pairs"))
		printf("#   worst relative %g\n", worst);
}

int
main(void)
{
	test_kernels_vs_libm();
	test_sincosd();
	test_distances();
	test_parse();
	test_roundtrip();
	return done_testing();
}
