/*
 * Unit tests of src/core/demand_window.c.  The independent source is the
 * dense daily series built directly from the same random days and
 * quantities (an array indexed by day) and run through ro_classify and the
 * forecasts of reorder.c: the packed series, merged, trimmed and profiled
 * over a window, must give the same numbers to the last bit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demand_window.h"
#include "tap.h"

static uint64_t rng_state = 42;

static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

#define HORIZON 800

static void
test_format(void)
{
	unsigned char buf[3 * DW_ENTRY_SIZE],
				out[4 * DW_ENTRY_SIZE];
	DwEntry		e[3] = {{10, 1, 2}, {12, 3, 0}, {20, 0, 5}},
				add[2] = {{12, 0, 0}, {15, 4, 8}},
				g;
	size_t		len;

	for (int i = 0; i < 3; i++)
		dw_put(buf, i, &e[i]);
	ok(dw_check(buf, sizeof(buf)) == DW_OK, "a packed series checks");
	ok(dw_check(buf, sizeof(buf) - 1) == DW_CORRUPT, "a length not a multiple of 20 is corrupt");
	dw_put(buf, 1, &e[0]);
	ok(dw_check(buf, sizeof(buf)) == DW_CORRUPT, "days not increasing: corrupt");
	dw_put(buf, 1, &e[1]);
	/* day 12 set to zero (dropped), day 15 inserted, day 10 trimmed */
	len = dw_merge(buf, sizeof(buf), 11, add, 2, out);
	ok(len == 2 * DW_ENTRY_SIZE, "merge: trimmed before 11, day 12 dropped at zero, day 15 added");
	dw_get(out, 0, &g);
	ok(g.day == 15 && g.qty == 4 && g.revenue == 8, "first entry day 15 (4, 8)");
	dw_get(out, 1, &g);
	ok(g.day == 20 && g.qty == 0 && g.revenue == 5, "second entry day 20 (0 units, revenue 5 kept)");
}

/*
 * Random histories: the dense truth per day; the packed series built by
 * merging random batches (back-dated, repeated, zeroing days), trimmed to a
 * horizon; profiles of random windows against the dense truth.
 */
static void
test_random(void)
{
	int			all_ok = 1,
				windows = 0;
	double	   *truth = calloc(HORIZON, sizeof(double)),
			   *rev = calloc(HORIZON, sizeof(double)),
			   *y = malloc(sizeof(double) * HORIZON),
			   *yd = malloc(sizeof(double) * HORIZON);
	unsigned char *buf = malloc(HORIZON * DW_ENTRY_SIZE),
			   *tmp = malloc(2 * HORIZON * DW_ENTRY_SIZE);

	for (int run = 0; run < 200; run++)
	{
		size_t		len = 0;
		int32_t		keep_from = 0;
		int			density = 1 + (int) (rng_next() % 6);

		memset(truth, 0, HORIZON * sizeof(double));
		memset(rev, 0, HORIZON * sizeof(double));
		for (int batch = 0; batch < 30; batch++)
		{
			DwEntry		add[40];
			int			nadd = 0;
			int32_t		from = (int32_t) (rng_next() % HORIZON);

			/* a sorted batch of distinct days (a commit's deltas, applied) */
			for (int32_t d = from; d < HORIZON && nadd < 40; d += 1 + (int32_t) (rng_next() % (density * 3)))
			{
				if (rng_next() % 5 == 0)
				{
					truth[d] = 0;	/* cancelled: the day back to zero */
					rev[d] = 0;
				}
				else
				{
					truth[d] = (double) (1 + rng_next() % 40) / (rng_next() % 2 ? 1 : 4);
					rev[d] = truth[d] * 3;
				}
				add[nadd].day = d;
				add[nadd].qty = truth[d];
				add[nadd].revenue = rev[d];
				nadd++;
			}
			len = dw_merge(buf, len, keep_from, add, nadd, tmp);
			memcpy(buf, tmp, len);
			if (dw_check(buf, len) != DW_OK)
				all_ok = 0;
			/* now and then, trim the front as a roll does */
			if (batch % 10 == 9)
			{
				keep_from += (int32_t) (rng_next() % 50);
				len = dw_merge(buf, len, keep_from, NULL, 0, tmp);
				memcpy(buf, tmp, len);
				for (int32_t d = 0; d < keep_from && d < HORIZON; d++)
					truth[d] = rev[d] = 0;
			}
		}
		for (int k = 0; k < 5; k++)
		{
			int32_t		start = keep_from + (int32_t) (rng_next() % (HORIZON - keep_from));
			int32_t		end = start + (int32_t) (rng_next() % (HORIZON - start));
			size_t		n = (size_t) (end - start + 1);
			DwProfile	p;
			DemandProfile want;
			double		f = 0,
						r = 0;
			DwEntry		extra[2];

			/* a pending day given apart from the series (a day after its anchor) */
			extra[0].day = end;
			extra[0].qty = 0;
			extra[0].revenue = 0;
			for (size_t i = 0; i < n; i++)
			{
				yd[i] = truth[start + i];
				r += rev[start + i];
			}
			ro_classify(yd, n, &want);
			if (want.klass != RO_NO_DEMAND)
			{
				if (want.method == RO_SES)
					ro_ses(yd, n, 0.1, &f);
				else
					ro_intermittent(yd, n, want.method, 0.1, 0.1, &f);
			}
			if (dw_profile(buf, len, extra, 1, start, end, 0.1, y, &p) != DW_OK ||
				p.prof.total != want.total || p.prof.sd != want.sd || p.prof.mean != want.mean ||
				p.prof.demand_periods != want.demand_periods || p.prof.cv2 != want.cv2 ||
				p.prof.klass != want.klass || p.prof.method != want.method || p.forecast != f ||
				fabs(p.revenue - r) > 1e-9 * fabs(r))
			{
				all_ok = 0;
				printf("#   run %d window %d..%d: total %g/%g sd %g/%g forecast %g/%g\n", run, start, end,
					   p.prof.total, want.total, p.prof.sd, want.sd, p.forecast, f);
			}
			windows++;
		}
	}
	ok(all_ok, "200 random histories (back-dated batches, zeroed days, trims), 1000 windows: profile = dense series bit for bit");
	ok(windows == 1000, "1000 windows compared");
	free(truth);
	free(rev);
	free(y);
	free(yd);
	free(buf);
	free(tmp);
}

static void
test_limits(void)
{
	DwProfile	p;
	double		y[4];

	ok(dw_profile(NULL, 0, NULL, 0, 5, 4, 0.1, y, &p) == DW_BAD_WINDOW, "start after end");
	ok(dw_profile(NULL, 0, NULL, 0, 0, DW_MAX_DAYS, 0.1, NULL, &p) == DW_TOO_LONG, "more than 36,600 days");
	ok(dw_profile(NULL, 0, NULL, 0, 1, 4, 0.1, y, &p) == DW_OK && p.prof.klass == RO_NO_DEMAND &&
	   p.forecast == 0 && p.prof.periods == 4, "an empty series: no demand, forecast 0, 4 periods");
}

int
main(void)
{
	test_format();
	test_random();
	test_limits();
	return done_testing();
}
