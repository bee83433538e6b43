/*
 * Unit tests of src/core/reorder.c.  Every expectation names its source:
 *  - stockpyl (Snyder & Shen) tests: EOQ, EOQ+SS reorder point, loss values;
 *  - exact quantiles of the doubles, issue #6 (and mpmath, make_ref.py);
 *  - R forecast::croston on [0,0,3,0,4,0,0,0,2,0] = 299/301, and on R's PBS
 *    series as in sktime's test_croston.py;
 *  - statsforecast's tests: TSB, SES on AirPassengers;
 *  - R HoltWinters(gamma = FALSE) on AirPassengers.
 */
#include <stdlib.h>
#include <string.h>

#include "reorder.h"
#include "tap.h"

/* R datasets::AirPassengers (Box & Jenkins 1976), monthly 1949-1960 */
static const double air[144] = {
	112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118,
	115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140,
	145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166,
	171, 180, 193, 181, 183, 218, 230, 242, 209, 191, 172, 194,
	196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201,
	204, 188, 235, 227, 234, 264, 302, 293, 259, 229, 203, 229,
	242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278,
	284, 277, 317, 313, 318, 374, 413, 405, 355, 306, 271, 306,
	315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336,
	340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337,
	360, 342, 406, 396, 420, 472, 548, 559, 463, 407, 362, 405,
	417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432
};

static const double shortseries[10] = {0, 0, 3, 0, 4, 0, 0, 0, 2, 0};

static void
test_eoq(void)
{
	double		q,
				r;

	/* stockpyl tests/test_eoq.py (Snyder & Shen Example 3.1 and problem 3.1) */
	ok(ro_eoq(1300, 8, 0.225, &q) == RO_OK, "eoq ok");
	is_close(q, 304.0467800264368, 1e-14, 0, "EOQ K=8 h=0.225 d=1300 (stockpyl)");
	ro_eoq_cost(1300, 8, 0.225, &q);
	is_close(q, 68.41052550594827, 1e-14, 0, "EOQ cost 68.41052550594827 (stockpyl)");
	ro_eoq(182500, 2250, 275, &q);
	is_close(q, 1728.109844993551, 1e-14, 0, "EOQ K=2250 h=275 d=182500 (stockpyl)");
	ro_eoq_backorder(1300, 8, 0.225, 5, &q);
	is_close(q, 310.8125551589646, 1e-14, 0, "EOQ with backorders p=5 (stockpyl)");
	ro_eoq_production(1300, 8, 0.225, 2000, &q);
	is_close(q, 513.9328595516969, 1e-14, 0, "EPQ production rate 2000 (stockpyl)");

	/* stockpyl r_eoqss: lambda 1300, sigma 150, L 1/12, service p/(p+h) */
	ok(ro_reorder_point(7.5 / (7.5 + 0.225), 1300, 150, 1.0 / 12, 0, &r) == RO_OK, "rop ok");
	is_close(r, 190.3369965715624, 1e-13, 0, "EOQ+SS reorder point 190.3369965715624 (stockpyl)");

	/* bad input */
	ok(ro_eoq(-1, 8, 1, &q) == RO_NEGATIVE, "negative demand rejected");
	ok(ro_eoq(1, 8, 0, &q) == RO_ZERO, "zero holding cost rejected");
	ok(ro_eoq(NAN, 8, 1, &q) == RO_NOT_FINITE, "NaN demand rejected");
	ok(ro_eoq_production(1300, 8, 0.225, 1300, &q) == RO_PRODUCTION_RATE,
	   "production rate equal to demand rejected");
	ok(ro_eoq_backorder(1300, 8, 0.225, 0, &q) == RO_ZERO, "zero backorder cost rejected");
	ok(ro_eoq(0, 8, 1, &q) == RO_OK && q == 0, "zero demand: EOQ 0");
}

static void
test_normal_issue_values(void)
{
	static const struct
	{
		double		p,
					x;
	}			qs[] = {
		/* exact quantiles of the doubles (issue #6; mpmath 50 digits agrees) */
		{0.8, 0.8416212335729143638},
		{0.9, 1.2815515655446005935},
		{0.95, 1.6448536269514722843},
		{0.975, 1.9599639845400538556},
		{0.99, 2.3263478740408407676},
		{0.999, 3.0902323061678132778},
		{1e-10, -6.3613409024040561991},
	};
	char		name[128];

	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
	{
		snprintf(name, sizeof(name), "normal_quantile(%g) exact within 1e-15 rel or 2e-15 abs", qs[i].p);
		is_close(ro_normal_quantile(qs[i].p), qs[i].x, 1e-15, 2e-15, name);
	}

	/* stockpyl tests/test_loss_functions.py: standard normal loss */
	is_close(ro_normal_loss(-1.4), 1.436668142708465, 1e-12, 0, "L(-1.4) (stockpyl)");
	is_close(ro_normal_loss(0.3), 0.266761242117210, 1e-12, 0, "L(0.3) (stockpyl)");
	is_close(ro_normal_loss(3.1), 2.672490952231408e-4, 1e-12, 0, "L(3.1) (stockpyl)");
	is_close(ro_normal_loss2(-1.4), 1.465289370279040, 1e-12, 0, "L2(-1.4) (stockpyl)");
	is_close(ro_normal_loss2(0.3), 0.151030102587942, 1e-12, 0, "L2(0.3) (stockpyl)");
	is_close(ro_normal_loss2(3.1), 6.956550901350656e-05, 1e-12, 0, "L2(3.1) (stockpyl)");
	/* tail where phi(z) - z Q(z) cancels (issue #6) */
	is_close(ro_normal_loss(8), 7.550262411946499e-17, 1e-10, 0, "L(8) far tail");
	ok(ro_normal_quantile(0) == -INFINITY && ro_normal_quantile(1) == INFINITY,
	   "quantile of 0 and 1 are -inf and +inf");
	ok(isnan(ro_normal_quantile(1.5)) && isnan(ro_normal_quantile(NAN)), "quantile outside [0,1] is NaN");
}

/* compare against make_ref.py's mpmath values */
static void
test_normal_reference_file(void)
{
	FILE	   *f = fopen("../data/reorder/normal_ref.csv", "r");
	char		line[256],
				kind[32],
				xs[64],
				name[160];
	double		v;
	int			n = 0,
				bad = 0;

	if (!ok(f != NULL, "open test/data/reorder/normal_ref.csv"))
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	while (fgets(line, sizeof(line), f))
	{
		double		x,
					got,
					tol;

		if (sscanf(line, "%31[^,],%63[^,],%lf", kind, xs, &v) != 3)
			continue;
		x = strtod(xs, NULL);
		if (strcmp(kind, "cdf") == 0)
			got = ro_normal_cdf(x), tol = 4e-15;
		else if (strcmp(kind, "loss") == 0)
			got = ro_normal_loss(x), tol = 1e-13;
		else if (strcmp(kind, "loss2") == 0)
			got = ro_normal_loss2(x), tol = 1e-13;
		else
			got = ro_normal_quantile(x), tol = 1e-15;
		n++;
		snprintf(name, sizeof(name), "%s(%s) = mpmath %.17g", kind, xs, v);
		/* relative, or 2e-15 absolute near 0 for the quantile */
		if (!is_close(got, v, tol, strcmp(kind, "quantile") == 0 ? 2e-15 : 0, name))
			bad++;
	}
	fclose(f);
	ok(n > 80 && bad == 0, "all mpmath reference values matched");
}

static void
test_round_trips(void)
{
	int			bad = 0;
	double		worst = 0;

	/* Phi(Phi^{-1}(p)) = p over 20,000 p spread over (0,1) and the tails */
	for (int i = 1; i < 20000; i++)
	{
		double		p = i / 20000.0,
					back = ro_normal_cdf(ro_normal_quantile(p)),
					err = fabs(back - p) / p;

		if (err > worst)
			worst = err;
		if (err > 4e-15)
			bad++;
	}
	for (int e = 1; e < 300; e++)
	{
		double		p = pow(10.0, -e),
					back = ro_normal_cdf(ro_normal_quantile(p)),
					err = fabs(back - p) / p;

		if (err > worst)
			worst = err;
		/* Phi's slope amplifies the rounding of x by about x^2 */
		if (err > (1 + pow(ro_normal_quantile(p), 2)) * 2.3e-16)
		{
			printf("# p %g: relative round-trip error %.3g\n", p, err);
			bad++;
		}
	}
	printf("# worst relative round-trip error %.3g\n", worst);
	ok(bad == 0, "normal_cdf(normal_quantile(p)) round-trips");
	ok(ro_normal_quantile(0.5) == 0, "quantile(0.5) = 0");
	ok(ro_normal_quantile(0.3) == -ro_normal_quantile(0.7) ||
	   fabs(ro_normal_quantile(0.3) + ro_normal_quantile(0.7)) < 1e-15, "symmetry p, 1-p");
}

static void
test_safety_stock(void)
{
	double		ss,
				z,
				fill;

	/* z sqrt(L sd^2 + d^2 sdL^2): 1.6448536269514722843 * sqrt(4*100 + 100*1) */
	ro_safety_stock(0.95, 10, 10, 4, 1, &ss);
	is_close(ss, 1.6448536269514722843 * sqrt(500.0), 1e-15, 0, "safety stock formula");
	ok(ro_safety_stock(1.0, 10, 10, 4, 1, &ss) == RO_BAD_PROBABILITY, "service level 1 rejected");
	ok(ro_safety_stock(0.0, 10, 10, 4, 1, &ss) == RO_BAD_PROBABILITY, "service level 0 rejected");
	ok(ro_safety_stock(0.9, -1, 10, 4, 1, &ss) == RO_NEGATIVE, "negative demand rejected");
	ok(ro_safety_stock(0.9, 1, 10, -4, 1, &ss) == RO_NEGATIVE, "negative lead time rejected");
	ok(ro_safety_stock(NAN, 1, 10, 4, 1, &ss) == RO_NOT_FINITE, "NaN service level rejected");
	ok(ro_safety_stock(0.9, 0, 0, 4, 1, &ss) == RO_OK && ss == 0, "no variability: 0");

	/* fill rate: sigma L(z) = (1 - beta) Q, checked through L itself */
	ok(ro_safety_stock_fill_rate(0.98, 100, 10, 5, 4, 0, &ss) == RO_OK, "fill rate ok");
	z = ss / 10.0;
	is_close(ro_normal_loss(z), 0.02 * 100 / 10.0, 1e-13, 0, "fill-rate z solves L(z) = (1-fill) Q / sigma");
	/* far tail: target 1e-15 */
	z = ro_normal_loss_inverse(1e-15);
	is_close(ro_normal_loss(z), 1e-15, 1e-12, 0, "L^{-1}(1e-15) solves in the tail");
	for (int e = -300; e <= 300; e += 20)
	{
		double		t = pow(10.0, e);
		char		nm[64];

		z = ro_normal_loss_inverse(t);
		snprintf(nm, sizeof(nm), "L^{-1}(1e%d) solves L(z) = t", e);
		/* relative error of L near its root is about z * dz (tail), so 1e-12 */
		is_close(ro_normal_loss(z), t, 1e-12, 0, nm);
	}
	z = ro_normal_loss_inverse(1e6);
	is_close(ro_normal_loss(z), 1e6, 1e-14, 0, "L^{-1}(1e6) on the far left");
	ok(ro_safety_stock_fill_rate(0.98, 0, 10, 5, 4, 0, &fill) == RO_ZERO, "order qty 0 rejected");
	ok(ro_safety_stock_fill_rate(1.2, 10, 10, 5, 4, 0, &fill) == RO_BAD_PROBABILITY, "fill rate 1.2 rejected");
}

static void
test_forecasts(void)
{
	double		f,
				pbs[204];
	FILE	   *fp;
	char		line[128];
	size_t		n = 0,
				bad;
	DemandProfile prof;

	/* R forecast::croston(x, alpha = 0.1) on the issue's short series */
	ro_intermittent(shortseries, 10, RO_CROSTON, 0.1, 0.1, &f);
	is_close(f, 299.0 / 301.0, 1e-15, 0, "croston [0,0,3,0,4,0,0,0,2,0] = 299/301 (R forecast)");
	ro_intermittent(shortseries, 10, RO_SBA, 0.1, 0.1, &f);
	is_close(f, 0.95 * 299.0 / 301.0, 1e-15, 0, "sba = croston x (1 - 0.1/2)");
	/* statsforecast TSB(alpha_d = 0.3, alpha_p = 0.1) */
	ro_intermittent(shortseries, 10, RO_TSB, 0.3, 0.1, &f);
	is_close(f, 0.5729169879, 0, 5e-11, "tsb = 0.5729169879 (statsforecast)");

	/* PBS scripts, R's fpp3 data as shipped by sktime */
	fp = fopen("../data/pbs/PBS_dataset.csv", "r");
	if (ok(fp != NULL, "open PBS data"))
	{
		if (!fgets(line, sizeof(line), fp))
			line[0] = 0;
		while (n < 204 && fgets(line, sizeof(line), fp))
		{
			char	   *c = strchr(line, ',');

			if (c)
				pbs[n++] = strtod(c + 1, NULL);
		}
		fclose(fp);
		ok(n == 204, "204 PBS months");
		/* sktime test_croston.py: values from R forecast::croston */
		ro_intermittent(pbs, n, RO_CROSTON, 0.1, 0.1, &f);
		is_close(f, 0.8688921, 0, 5e-8, "croston PBS alpha 0.1 = 0.8688921 (R via sktime)");
		ro_intermittent(pbs, n, RO_CROSTON, 0.5, 0.5, &f);
		is_close(f, 0.6754646, 0, 5e-8, "croston PBS alpha 0.5 = 0.6754646 (R via sktime)");
		ro_intermittent(pbs, n, RO_CROSTON, 0.05, 0.05, &f);
		is_close(f, 1.405808, 0, 5e-7, "croston PBS alpha 0.05 = 1.405808 (R via sktime)");
	}

	/* statsforecast test: ses(AirPassengers, alpha 0.1) */
	ro_ses(air, 144, 0.1, &f);
	is_close(f, 460.3027724818841, 1e-14, 0, "SES AirPassengers 460.3027724818841 (statsforecast)");
	/* R HoltWinters(AirPassengers, alpha 0.5, beta 0.3, gamma FALSE) */
	ro_holt(air, 144, 0.5, 0.3, &f);
	is_close(f, 409.02344335260443, 1e-14, 0, "Holt AirPassengers 409.02344335260443 (R HoltWinters)");

	/* bad input and edge cases */
	ok(ro_ses(air, 0, 0.1, &f) == RO_EMPTY, "SES on an empty series rejected");
	ok(ro_ses(air, 10, 0, &f) == RO_BAD_SMOOTHING, "SES alpha 0 rejected");
	ok(ro_ses(air, 10, 1.5, &f) == RO_BAD_SMOOTHING, "SES alpha 1.5 rejected");
	ok(ro_holt(air, 1, 0.5, 0.3, &f) == RO_TOO_SHORT, "Holt needs two values");
	ok(ro_intermittent(air, 0, RO_CROSTON, 0.1, 0.1, &f) == RO_EMPTY, "croston empty rejected");
	{
		double		zeros[5] = {0, 0, 0, 0, 0},
					neg[3] = {1, -1, 2},
					nan3[3] = {1, NAN, 2};

		ok(ro_intermittent(zeros, 5, RO_TSB, 0.1, 0.1, &f) == RO_OK && f == 0,
		   "all-zero series forecasts 0 (statsforecast convention)");
		ok(ro_check_series(neg, 3, 1, &bad) == RO_NEGATIVE && bad == 1, "negative demand found");
		ok(ro_check_series(nan3, 3, 0, &bad) == RO_NOT_FINITE && bad == 1, "NaN found");
		ok(ro_classify(zeros, 5, &prof) == RO_OK && prof.klass == RO_NO_DEMAND, "all zero: no demand");
	}

	/* ADI / CV^2: [0,0,3,0,4,0,0,0,2,0]: ADI 10/3, sizes 3,4,2: CV^2 = 1/9 */
	ro_classify(shortseries, 10, &prof);
	is_close(prof.adi, 10.0 / 3.0, 1e-15, 0, "ADI = periods / demand periods");
	is_close(prof.cv2, 1.0 / 9.0, 1e-15, 0, "CV^2 of sizes (sample variance 1 / mean 3 squared)");
	ok(prof.klass == RO_INTERMITTENT && prof.method == RO_SBA, "intermittent -> sba");
	{
		double		smooth[6] = {10, 11, 9, 10, 12, 10},
					erratic[6] = {1, 30, 2, 40, 1, 25},
					lumpy[8] = {0, 0, 50, 0, 1, 0, 0, 30};

		ro_classify(smooth, 6, &prof);
		ok(prof.klass == RO_SMOOTH && prof.method == RO_SES, "smooth -> ses");
		ro_classify(erratic, 6, &prof);
		ok(prof.klass == RO_ERRATIC, "erratic");
		ro_classify(lumpy, 8, &prof);
		ok(prof.klass == RO_LUMPY, "lumpy");
		/* sample sd of 10,11,9,10,12,10 = sqrt(5.333/5) */
		ro_classify(smooth, 6, &prof);
		is_close(prof.sd, sqrt((0.0 + 1 + 1 + 0 + 4 + 0 - 6 * (1.0 / 3) * (1.0 / 3)) / 5), 1e-14, 0,
				 "sample sd over all periods");
	}
	ok(ro_method_parse("tsb", 3) == RO_TSB && ro_method_parse("TSB", 3) == -1, "method names");
}

int
main(void)
{
	test_eoq();
	test_normal_issue_values();
	test_normal_reference_file();
	test_round_trips();
	test_safety_stock();
	test_forecasts();
	return done_testing();
}
