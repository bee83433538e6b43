/*
 * Robustness of the numeric kernels of src/core (issue #13): hostile inputs
 * (denormals, 1e300, huge counts) end in bounded time with a finite result,
 * converged = 0 or an error status, never a hang; and an interrupt callback
 * that starts asking to stop is obeyed within 100 ms on inputs at the size
 * limits (the kernels poll it by amount of work, not per iteration).
 *
 * A watchdog (SIGALRM) turns a hang into a failed test instead of a stuck
 * suite.  Expected values: the contract of the kernels' headers (finite
 * parameters or a non-zero status), and wall-clock bounds.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auc.h"
#include "lifetime.h"
#include "logreg.h"
#include "reorder.h"
#include "tsp.h"
#include "vrp.h"
#include "tap.h"

/*
 * The bound on the latency of an interrupt: 100 ms (issue #13), measured on
 * the plain build.  Under AddressSanitizer every memory access is checked,
 * the kernels' loops run 2-4 times slower and so does the work between two
 * polls: there the bound is 400 ms, which still catches a kernel that stops
 * polling (it would run to its end, seconds later).
 */
#if defined(__SANITIZE_ADDRESS__)
#define LATENCY_LIMIT_MS 400
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LATENCY_LIMIT_MS 400
#endif
#endif
#ifndef LATENCY_LIMIT_MS
#define LATENCY_LIMIT_MS 100
#endif

/* ------------------------------------------------------------ watchdog */

static const char *volatile current_case = "";

static void
on_alarm(int sig)
{
	char		buf[256];
	int			len;

	(void) sig;
	len = snprintf(buf, sizeof(buf), "not ok %d - %s: still running after the watchdog (hang)\n",
				   tap_n + 1, current_case);
	if (write(1, buf, len) < 0)
		_exit(2);
	_exit(1);
}

static void
watch(const char *name, unsigned seconds)
{
	current_case = name;
	alarm(seconds);
}

static void
unwatch(void)
{
	alarm(0);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * An interrupt that fires stop_after seconds after arming (as a cancel
 * arriving while the kernel runs): the latency is the time from that moment
 * to the kernel's return, so a kernel that polls rarely shows it.
 */
static double stop_at = 0,
			first_stop = 0;

static void
arm_stop(double after)
{
	stop_at = now() + after;
	first_stop = 0;
}

static int
stop_now(void)
{
	double		t;

	if (stop_at <= 0)
		return 0;
	t = now();
	if (t < stop_at)
		return 0;
	if (first_stop == 0)
		first_stop = t;
	return 1;
}

static int
stop_now_arg(void *arg)
{
	(void) arg;
	return stop_now();
}

static double
latency_ms(void)
{
	return first_stop > 0 ? (now() - stop_at) * 1000 : -1;
}

/* ------------------------------------------------------------ lifetime */

static int
bg_result_sound(int rc, const BgnbdFit *f)
{
	if (rc != 0)
		return 1;				/* an error status is an answer */
	return isfinite(f->p.r) && isfinite(f->p.alpha) && isfinite(f->p.a) &&
		isfinite(f->p.b) && f->p.r > 0 && f->p.alpha > 0 && f->p.a > 0 && f->p.b > 0 &&
		isfinite(f->log_likelihood);
}

static void
bg_case(const char *name, LtPattern *p, size_t n)
{
	BgnbdFit	f;
	int			rc;
	double		t0 = now();
	char		msg[256];

	watch(name, 20);
	rc = bgnbd_fit(p, n, &f, NULL);
	unwatch();
	snprintf(msg, sizeof(msg), "bgnbd_fit %s: returns in %.2f s with finite parameters or an error (rc %d, converged %d)",
			 name, now() - t0, rc, rc == 0 ? f.converged : -1);
	ok(bg_result_sound(rc, &f) && now() - t0 < 5, msg);
}

static void
test_lifetime_hostile(void)
{
	/* issue #13, finding 1: found by a random search over extreme values */
	{
		LtPattern	p[1] = {{2, 0, 5e-324, 1}};

		bg_case("(2, 0, 5e-324)", p, 1);
	}
	{
		LtPattern	p[2] = {{10, 7.99e299, 1e300, 1}, {0, 0, 9.2e-06, 1}};

		bg_case("(10, 7.99e299, 1e300) + (0, 0, 9.2e-06)", p, 2);
	}
	{
		LtPattern	p[20];

		/* 20 customers, frequencies 10 .. 1e20 */
		for (int i = 0; i < 20; i++)
			p[i] = (LtPattern) {pow(10, i + 1), 30.0 * (i + 1) / 21, 31, 1};
		bg_case("20 customers with frequencies up to 1e20", p, 20);
	}
	{
		LtPattern	p[3] = {{1, 1e-300, 1e-300, 1}, {0, 0, 1e-300, 1}, {4, 5e-324, 5e-324, 1}};

		bg_case("denormal recency and t", p, 3);
	}
	{
		LtPattern	p[2] = {{9e15, 1e308, 1e308, 1}, {1, 1, 1e308, 1e15}};

		bg_case("1e308 t, 9e15 frequency, weight 1e15", p, 2);
	}
	{
		GgFit		f;
		LtPattern	g[3] = {{1e20, 1e-300, 0, 1}, {1, 1e308, 0, 1}, {2, 5e-324, 0, 1}};
		int			rc;
		double		t0 = now();

		watch("gg_fit extreme", 20);
		rc = gg_fit(g, 3, &f, NULL);
		unwatch();
		ok((rc != 0 || (isfinite(f.p.p) && isfinite(f.p.q) && isfinite(f.p.v) && isfinite(f.log_likelihood)))
		   && now() - t0 < 5,
		   "gg_fit on (1e20, 1e-300), (1, 1e308), (2, 5e-324): finite parameters or an error, in bounded time");
	}
}

/*
 * Findings of test/fuzz/fuzz_lifetime (kept in its corpus):
 *  - E[X(t)] of a new customer came out -1e59 when b (4e84) dwarfs r + x:
 *    the two terms of the series cancelled.  For a horizon tiny against
 *    alpha the first-order value r t / alpha is exact to ~(r t/alpha)^2.
 *  - (b + x) - 1 lost a tiny b: P(X(t) = 1) was Infinity for b = 1e-300,
 *    and the incomplete beta stepped below 0.
 */
static void
test_lifetime_fuzz_findings(void)
{
	BgnbdParams p = {7.2489454928724143e-07, 3.3437564327422156e-76, 2.7160416268838361e-85, 3.681828695479013e+84},
				q = {1e-300, 1e-300, 1e-300, 1e-300},
				u = {1e-300, 1, 1, 1};
	double		t = 6.5325188924474856e-86;

	is_close(bgnbd_expected_new(&p, t), p.r * t / p.alpha, 1e-9, 0,
			 "E[X(t)] with b = 3.7e84 and t << alpha = r t / alpha (was -1e59)");
	ok(bgnbd_prob_n(&q, 1, 1e300) >= 0 && bgnbd_prob_n(&q, 1, 1e300) <= 1,
	   "P(X(t) = 1) with a, b, r, alpha = 1e-300 in [0, 1] (was Infinity)");
	ok(bgnbd_prob_n(&u, 1, 10) >= 0, "P(X(t) = 1) with r = 1e-300 not negative (was -2.4e-14)");
	{
		double		s = 0;

		for (int n = 0; n < 400; n++)
			s += bgnbd_prob_n(&u, n, 10);
		is_close(s, 1.0, 1e-9, 0, "with r = 1e-300 the P(X(10) = n) still sum to 1");
	}
	/* a / (b + x - 1) underflowed to 0 and alpha + T overflowed: -Inf + Inf */
	{
		BgnbdParams v = {1.3906711615509981e-309, 9.9999999998967237e-301, 2.3001701270246942e-309, 6.6610189071962701e+286};
		double		pa = bgnbd_p_alive(&v, 6.5386757613253666e+286, 1.228729156598857e-316, 6.5386757547065589e+286);

		ok(pa >= 0 && pa <= 1, "P(alive) for a = 2e-309, b = 7e286, x = 7e286 in [0, 1] (was NaN)");
	}
	{
		BgnbdParams w = {24364069.959014066, 121821524.08327395, 2316246.4111583414, 4.3173241203137545e-07};
		double		p1 = bgnbd_prob_n(&w, 1, 1.4412062241207613e+17);

		ok(p1 >= 0 && p1 <= 1, "P(X(t) = 1) for r = 2.4e7, b = 4.3e-7, t = 1.4e17 at most 1 (was 1 + 3.7e-9)");
	}
}

/* a big fit, cancelled while it runs */
static void
test_lifetime_cancel(void)
{
	size_t		n = 2000000;
	LtPattern  *p = malloc(n * sizeof(LtPattern));
	BgnbdFit	f;
	GgFit		g;
	int			rc;
	char		msg[200];
	uint64_t	s = 42;

	for (size_t i = 0; i < n; i++)
	{
		double		T = 10 + (double) (tsp_splitmix64(&s) % 1000),
					x = (double) (tsp_splitmix64(&s) % 20),
					tx = x > 0 ? T * (double) (tsp_splitmix64(&s) % 1000) / 1000 : 0;

		p[i] = (LtPattern) {x, tx, T + i * 1e-6, 1};
	}
	watch("bgnbd_fit cancel", 30);
	arm_stop(0.05);
	rc = bgnbd_fit(p, n, &f, stop_now);
	unwatch();
	snprintf(msg, sizeof(msg), "bgnbd_fit on 2,000,000 distinct patterns stops %.1f ms after the interrupt (rc %d)",
			 latency_ms(), rc);
	ok(rc == -1 && latency_ms() >= 0 && latency_ms() < LATENCY_LIMIT_MS, msg);

	for (size_t i = 0; i < n; i++)
		p[i] = (LtPattern) {1 + (double) (i % 50), 1 + (double) i * 1e-3, 0, 1};
	watch("gg_fit cancel", 30);
	arm_stop(0.05);
	rc = gg_fit(p, n, &g, stop_now);
	unwatch();
	snprintf(msg, sizeof(msg), "gg_fit on 2,000,000 distinct patterns stops %.1f ms after the interrupt (rc %d)",
			 latency_ms(), rc);
	ok(rc == -1 && latency_ms() >= 0 && latency_ms() < LATENCY_LIMIT_MS, msg);
	stop_at = 0;
	free(p);
}

/* ------------------------------------------------------------ logistic */

/*
 * lead_model_fit at its feature limit: 1000 features, dense and packed.
 * Issue #13, finding 4: the fit polled every 65,536 rows whatever the
 * width, so a cancel at 1000 features took 29.9 s.
 */
static void
test_logreg_cancel(void)
{
	int			p = LR_MAX_FEATURES,
				n = 4000;
	double	   *x = malloc(sizeof(double) * (size_t) n * p),
			   *coef = malloc(sizeof(double) * (p + 1)),
			   *se = malloc(sizeof(double) * (p + 1));
	unsigned char *y = malloc(n);
	uint64_t	s = 7;
	LrModel		m = {.coef = coef,.std_err = se};
	LrChunk		ch;
	LrRows		rows;
	LrOptions	opt = {1.0, 0, stop_now_arg, NULL};
	char		msg[200];
	LrStatus	st;
	double		delays[] = {0.05, 0.4, 1.5};

	for (size_t i = 0; i < (size_t) n * p; i++)
		x[i] = (double) (tsp_splitmix64(&s) % 1000) / 100.0;
	for (int i = 0; i < n; i++)
		y[i] = tsp_splitmix64(&s) % 2;
	ch = (LrChunk) {n, x, y, NULL};
	rows = (LrRows) {p, 1, &ch};
	/* cancel early (a pass), later (Newton steps, covariance, eigenvalues) */
	for (int k = 0; k < 3; k++)
	{
		double		t0 = now();

		watch("lr_fit cancel", 120);
		arm_stop(delays[k]);
		st = lr_fit(&rows, &opt, &m);
		unwatch();
		if (st == LR_OK)
		{
			snprintf(msg, sizeof(msg), "lr_fit 1000 features x 4000 rows finished in %.2f s, interrupt at %.2f s",
					 now() - t0, delays[k]);
			ok(now() - t0 < delays[k] + 0.1, msg);
			continue;
		}
		snprintf(msg, sizeof(msg), "lr_fit 1000 features x 4000 rows, interrupt after %.2f s: stops %.1f ms later",
				 delays[k], latency_ms());
		ok(st == LR_INTERRUPTED && latency_ms() >= 0 && latency_ms() < LATENCY_LIMIT_MS, msg);
	}
	stop_at = 0;
	free(x);
	free(y);
	free(coef);
	free(se);
}

/* a feature that varies only in the denormal range is constant, not NaN */
static void
test_logreg_denormal(void)
{
	double		x[2 * 12],
				coef[3],
				se[3];
	unsigned char y[12];
	LrModel		m = {.coef = coef,.std_err = se};
	LrChunk		ch = {12, x, y, NULL};
	LrRows		rows = {2, 1, &ch};
	LrOptions	opt = {0, 0, NULL, NULL};
	LrStatus	st;

	for (int i = 0; i < 12; i++)
	{
		x[2 * i] = (double) (i % 5);
		x[2 * i + 1] = i % 2 ? 1e-310 : 0;
		y[i] = (i % 3 == 0);
	}
	st = lr_fit(&rows, &opt, &m);
	ok(st == LR_OK && isfinite(coef[0]) && isfinite(coef[1]) && isnan(coef[2]),
	   "lr_fit: a feature of 0 and 1e-310 is dropped as constant, the rest is fitted");
}

/* ------------------------------------------------------------ routing */

/* random points in a 1000 x 1000 square, Euclidean costs */
static double *
random_matrix(int n, uint64_t seed)
{
	double	   *xy = malloc(sizeof(double) * 2 * n),
			   *c = malloc(sizeof(double) * (size_t) n * n);

	for (int i = 0; i < 2 * n; i++)
		xy[i] = (double) (tsp_splitmix64(&seed) % 1000000) / 1000.0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			c[(size_t) i * n + j] = hypot(xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]);
	free(xy);
	return c;
}

/*
 * TSP and VRP at TSP_MAX_NODES, interrupted at several moments (neighbour
 * lists, construction, local search, the iterated kicks): the worst latency
 * must stay under 100 ms.
 */
static void
test_routing_cancel(void)
{
	int			n = TSP_MAX_NODES;
	double	   *c = random_matrix(n, 11),
			   *dem = malloc(sizeof(double) * n),
				delays[] = {0.02, 0.1, 0.3, 0.7, 1.5, 3.0},
				worst = 0,
				len;
	int		   *order = malloc(sizeof(int) * n),
			   *stops = malloc(sizeof(int) * n),
			   *rs = malloc(sizeof(int) * (n + 1));
	double	   *load = malloc(sizeof(double) * n),
			   *rcost = malloc(sizeof(double) * n),
				total;
	int			nroutes,
				stopped = 0;
	TspEnv		env = {NULL, NULL, stop_now_arg, NULL};
	char		msg[200];

	for (int i = 0; i < n; i++)
		dem[i] = i == 0 ? 0 : 1;
	for (int k = 0; k < 6; k++)
	{
		TspOptions	opt;
		TspStatus	st;

		tsp_default_options(&opt);
		watch("tsp cancel", 60);
		arm_stop(delays[k]);
		st = tsp_solve(n, c, &opt, &env, order, &len, NULL);
		unwatch();
		if (st == TSP_CANCELLED)
		{
			stopped++;
			worst = fmax(worst, latency_ms());
		}
	}
	snprintf(msg, sizeof(msg), "tsp_solve on %d nodes, interrupted at 6 moments: stopped %d times, worst latency %.1f ms",
			 n, stopped, worst);
	ok(stopped == 6 && worst < LATENCY_LIMIT_MS, msg);
	worst = 0;
	stopped = 0;
	for (int k = 0; k < 6; k++)
	{
		VrpOptions	opt;
		VrpStatus	st;

		vrp_default_options(&opt);
		watch("vrp cancel", 60);
		arm_stop(delays[k]);
		st = vrp_solve(n, c, dem, 40, 0, &opt, &env, stops, rs, load, rcost, &nroutes, &total);
		unwatch();
		if (st == VRP_CANCELLED)
		{
			stopped++;
			worst = fmax(worst, latency_ms());
		}
		printf("# vrp interrupt at %.2f s: status %d, latency %.1f ms\n", delays[k], st, latency_ms());
	}
	snprintf(msg, sizeof(msg), "vrp_solve on %d nodes, interrupted at 6 moments: stopped %d times, worst latency %.1f ms",
			 n, stopped, worst);
	ok(stopped == 6 && worst < LATENCY_LIMIT_MS, msg);
	stop_at = 0;
	free(c);
	free(dem);
	free(order);
	free(stops);
	free(rs);
	free(load);
	free(rcost);
}

/* ------------------------------------------------------------ sorting */

static int
cmp_d(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * lr_sort_doubles (the sort of auc) against qsort on shapes that break
 * naive quicksorts, then a cancel on 40 million scores.
 */
static void
test_sort(void)
{
	int64_t		n = 100003;
	double	   *a = malloc(sizeof(double) * n),
			   *b = malloc(sizeof(double) * n);
	uint64_t	s = 3;
	const char *shapes[] = {"random", "all equal", "sorted", "reversed", "organ pipe", "few values", "sawtooth"};
	int			good = 1;
	char		msg[200];

	for (int k = 0; k < 7; k++)
	{
		for (int64_t i = 0; i < n; i++)
		{
			double		v;

			switch (k)
			{
				case 0:
					v = (double) (tsp_splitmix64(&s) % 1000000) - 5e5;
					break;
				case 1:
					v = 7;
					break;
				case 2:
					v = (double) i;
					break;
				case 3:
					v = (double) (n - i);
					break;
				case 4:
					v = (double) (i < n / 2 ? i : n - i);
					break;
				case 5:
					v = (double) (tsp_splitmix64(&s) % 3);
					break;
				default:
					v = (double) (i % 1000);
					break;
			}
			a[i] = b[i] = v;
		}
		lr_sort_doubles(a, n, NULL, NULL);
		qsort(b, n, sizeof(double), cmp_d);
		if (memcmp(a, b, sizeof(double) * n) != 0)
		{
			good = 0;
			printf("# %s differs from qsort\n", shapes[k]);
		}
	}
	ok(good, "lr_sort_doubles = qsort on 100003 doubles: random, all equal, sorted, reversed, organ pipe, few values, sawtooth");
	free(a);
	free(b);

	n = 40000000;
	a = malloc(sizeof(double) * n);
	for (int64_t i = 0; i < n; i++)
		a[i] = (double) (tsp_splitmix64(&s) % 100000000);
	watch("sort cancel", 60);
	arm_stop(0.3);
	{
		int			st = lr_sort_doubles(a, n, stop_now_arg, NULL);

		unwatch();
		snprintf(msg, sizeof(msg), "lr_sort_doubles on 40,000,000 scores stops %.1f ms after the interrupt", latency_ms());
		ok(st == 1 && latency_ms() >= 0 && latency_ms() < LATENCY_LIMIT_MS, msg);
	}
	stop_at = 0;
	free(a);
}

int
main(void)
{
	signal(SIGALRM, on_alarm);
	test_lifetime_hostile();
	test_lifetime_fuzz_findings();
	test_lifetime_cancel();
	test_logreg_denormal();
	test_logreg_cancel();
	test_routing_cancel();
	test_sort();
	return done_testing();
}
