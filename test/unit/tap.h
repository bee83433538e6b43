/*
 * tap.h — a minimal TAP producer for the C unit tests of src/core.
 * Each check prints "ok N - name" or "not ok N - name"; done_testing()
 * prints the plan and returns the exit status.
 */
#ifndef CRMSCM_TAP_H
#define CRMSCM_TAP_H

#include <math.h>
#include <stdio.h>

static int	tap_n = 0;
static int	tap_failed = 0;

static inline int
ok(int cond, const char *name)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	return cond;
}

/* |got - want| <= tol_abs + tol_rel * |want| */
static inline int
is_close(double got, double want, double tol_rel, double tol_abs, const char *name)
{
	int			pass = isfinite(got) && fabs(got - want) <= tol_abs + tol_rel * fabs(want);

	if (!ok(pass, name))
		printf("#   got %.17g, want %.17g (rel %.3g)\n", got, want,
			   want != 0 ? fabs(got - want) / fabs(want) : fabs(got - want));
	return pass;
}

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
