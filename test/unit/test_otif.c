/*
 * Unit tests of src/core/otif.h.  Sources of the expectations:
 *  - SQL's three-valued AND, OR and NOT: the truth tables of the
 *    PostgreSQL documentation (9.1 "Logical Operators");
 *  - on time / in full: the definitions of doc/synergy.md, one case each
 *    (the SQL level compares the whole rule with the expressions it
 *    replaced on random lines: test/pgtap/delivery_performance.sql).
 */
#include <string.h>

#include "otif.h"
#include "tap.h"

#define T OTIF_YES
#define F OTIF_NO
#define N OTIF_UNKNOWN

static OtifLine
line(OtifTruth delivers, OtifStatus st, OtifTruth nothing, int has_due, int due, int has_last, int last, int today)
{
	OtifLine	l;

	memset(&l, 0, sizeof(l));
	l.order_delivers = delivers;
	l.status = st;
	l.nothing_shipped = nothing;
	l.has_due = has_due;
	l.due = due;
	l.has_last = has_last;
	l.last = last;
	l.today = today;
	return l;
}

int
main(void)
{
	/* a AND b, a OR b for a, b in (true, false, NULL); NOT a */
	static const OtifTruth v[3] = {T, F, N};
	static const OtifTruth and_table[3][3] = {{T, F, N}, {F, F, F}, {N, F, N}};
	static const OtifTruth or_table[3][3] = {{T, T, T}, {T, F, N}, {T, N, N}};
	static const OtifTruth not_table[3] = {F, T, N};
	int			good_and = 1,
				good_or = 1,
				good_not = 1;
	OtifLine	l;

	for (int i = 0; i < 3; i++)
	{
		good_not &= otif_not(v[i]) == not_table[i];
		for (int j = 0; j < 3; j++)
		{
			good_and &= otif_and(v[i], v[j]) == and_table[i][j];
			good_or &= otif_or(v[i], v[j]) == or_table[i][j];
		}
	}
	ok(good_and, "AND: the SQL truth table");
	ok(good_or, "OR: the SQL truth table");
	ok(good_not, "NOT: the SQL truth table");

	/* shipped by the due day: on time and in full; a day after: late */
	l = line(T, OTIF_STATUS_SHIPPED, N, 1, 100, 1, 100, 120);
	ok(otif_on_time(&l) == T && otif_in_full(&l) == T, "shipped on the due day: on time, in full");
	l = line(T, OTIF_STATUS_SHIPPED, N, 1, 100, 1, 95, 120);
	ok(otif_on_time(&l) == T, "shipped early: on time");
	l = line(T, OTIF_STATUS_SHIPPED, N, 1, 100, 1, 101, 120);
	ok(otif_on_time(&l) == F && otif_in_full(&l) == T, "shipped a day late: not on time, in full");
	l = line(T, OTIF_STATUS_SHIPPED, N, 1, 100, 0, 0, 120);
	ok(otif_on_time(&l) == N, "shipped without a shipment day: on time unknown");
	/* cancelled after a partial shipment: a delivery that failed; before any: none */
	l = line(T, OTIF_STATUS_CANCELLED, F, 1, 100, 1, 90, 120);
	ok(otif_counts(&l) == T && otif_on_time(&l) == F && otif_in_full(&l) == F,
	   "cancelled after a partial shipment: neither on time nor in full");
	l = line(T, OTIF_STATUS_CANCELLED, T, 1, 100, 0, 0, 120);
	ok(otif_counts(&l) == F && otif_on_time(&l) == N && otif_in_full(&l) == N,
	   "cancelled before anything shipped: not a delivery (NULL)");
	/* open: late once the due day has passed, not yet due before */
	l = line(T, OTIF_STATUS_OTHER, N, 1, 100, 0, 0, 101);
	ok(otif_on_time(&l) == F && otif_in_full(&l) == N, "open past its due day: late, in full unknown");
	l = line(T, OTIF_STATUS_OTHER, N, 1, 100, 0, 0, 100);
	ok(otif_on_time(&l) == N, "open on its due day: not due yet (NULL)");
	/* not measured: draft order, no due day */
	l = line(F, OTIF_STATUS_SHIPPED, N, 1, 100, 1, 90, 120);
	ok(otif_on_time(&l) == N && otif_in_full(&l) == N, "a line of a draft order: NULL");
	l = line(T, OTIF_STATUS_SHIPPED, N, 0, 0, 1, 90, 120);
	ok(otif_on_time(&l) == N && otif_in_full(&l) == N, "no promised or requested day: NULL");
	/* NULLs where SQL would have them: an unknown order status leaves it unknown */
	l = line(N, OTIF_STATUS_SHIPPED, N, 1, 100, 1, 90, 120);
	ok(otif_counts(&l) == N && otif_on_time(&l) == T,
	   "order status NULL: counts NULL, so the NULL branch is not taken (as CASE WHEN NULL)");
	l = line(T, OTIF_STATUS_NULL, F, 1, 100, 0, 0, 101);
	ok(otif_counts(&l) == T && otif_on_time(&l) == F,
	   "line status NULL with units shipped: a delivery, late past its due day");
	l = line(T, OTIF_STATUS_NULL, T, 1, 100, 0, 0, 101);
	ok(otif_counts(&l) == N && otif_on_time(&l) == F,
	   "line status NULL, nothing shipped: counts NULL, measured as SQL's CASE does");
	return done_testing();
}
