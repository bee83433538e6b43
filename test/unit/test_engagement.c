/*
 * Unit tests of src/core/engagement.c: decay of engagement points, against
 * the closed form points * 2^(-age / half_life).
 */
#include "engagement.h"
#include "tap.h"

static void
test_decay(void)
{
	is_close(lr_decay(10, 3600, 3600), 5, 1e-15, 0, "one half-life halves the points");
	is_close(lr_decay(10, 7200, 3600), 2.5, 1e-15, 0, "two half-lives quarter them");
	is_close(lr_decay(10, 0, 3600), 10, 0, 0, "no age: full points");
	ok(lr_decay(10, -1, 3600) == 0, "future event counts 0");
}

int
main(void)
{
	test_decay();
	return done_testing();
}
