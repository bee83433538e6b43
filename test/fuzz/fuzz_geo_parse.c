/*
 * fuzz_geo_parse.c — libFuzzer target: the geopoint text parser and
 * formatter of src/core/geo.c (the code behind geopoint_in/out).
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   - a parsed point is finite and within [-90, 90] x [-180, 180];
 *   - formatting it and parsing the text again gives the same bits
 *     (the type's output round-trips exactly).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "geo.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *str;
	GeoPoint	p,
				q;
	double		bad;
	char		buf[GEO_FORMAT_BUFLEN];

	/* the server hands the parser a NUL-terminated C string */
	str = malloc(size + 1);
	if (str == NULL)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';

	if (geo_parse(str, &p, &bad) == GEO_OK)
	{
		if (!isfinite(p.lat) || !isfinite(p.lon) ||
			p.lat < -90 || p.lat > 90 || p.lon < -180 || p.lon > 180)
			abort();
		geo_format(&p, buf, sizeof(buf));
		if (geo_parse(buf, &q, &bad) != GEO_OK ||
			memcmp(&p, &q, sizeof(GeoPoint)) != 0)
			abort();
	}
	free(str);
	return 0;
}
