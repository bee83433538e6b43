/*
 * Unit tests of src/core/reorder_plan.c.  Expectations from the formulas of
 * doc/reorder.md worked by hand: L = (n x + k L0) / (n + k), the sd with
 * n - 1, reorder point d L + pipeline + safety stock.
 */
#include <math.h>

#include "reorder_plan.h"
#include "tap.h"

static void
test_lead(void)
{
	RoLeadIn	in = {.item_lead = 7, .item_lead_sd = 1, .k = 5};
	double		l,
				s;

	ro_plan_lead(&in, &l, &s);
	ok(l == 7 && s == 1, "no receipts: the item's lead time and sd");

	in.has_receipts = 1;
	in.receipts = 5;
	in.has_mean = 1;
	in.mean = 13;
	in.has_sd = 1;
	in.sd = 3;
	ro_plan_lead(&in, &l, &s);
	is_close(l, (5 * 13 + 5 * 7) / 10.0, 1e-15, 0, "5 receipts of mean 13, k = 5 toward 7: 10");
	is_close(s, (4 * 3 + 5 * 1) / 9.0, 1e-15, 0, "their sd 3 with n - 1 = 4 toward 1: 17/9");

	in.has_sd = 0;
	ro_plan_lead(&in, &l, &s);
	ok(s == 1, "no sd learned (one receipt's worth): the item's sd");

	in.receipts = 1;
	in.has_sd = 1;
	ro_plan_lead(&in, &l, &s);
	ok(s == 1, "n - 1 = 0: the item's sd");
	is_close(l, (13 + 5 * 7) / 6.0, 1e-15, 0, "one receipt: (13 + 35) / 6");

	in.k = 0;
	in.receipts = 5;
	ro_plan_lead(&in, &l, &s);
	ok(l == 13 && s == 3, "k = 0: the receipts alone");
}

static void
test_point_and_eoq(void)
{
	ok(ro_plan_reorder_point(2.5, 4, 3, 1.5) == 14.5, "reorder point 2.5 x 4 + 3 + 1.5 = 14.5");
	ok(ro_plan_reorder_point(0, 4, 0, 0) == 0, "no demand, no pipeline, no safety stock: 0");
	ok(ro_plan_has_eoq(1, 40, 2.5), "EOQ with demand, order and holding cost");
	ok(!ro_plan_has_eoq(0, 40, 2.5), "no EOQ without demand");
	ok(!ro_plan_has_eoq(1, 0, 2.5), "no EOQ without an order cost");
	ok(!ro_plan_has_eoq(1, 40, 0), "no EOQ without a holding cost");
}

int
main(void)
{
	test_lead();
	test_point_and_eoq();
	return done_testing();
}
