/*
 * Unit tests of src/core/naive_bayes.c: the terms of Odoo-style naive Bayes
 * log-odds, against a hand computation of Odoo's formula.
 */
#include "logreg.h"				/* lr_sigmoid */
#include "naive_bayes.h"
#include "tap.h"

static void
test_nb(void)
{
	/*
	 * Hand computation of Odoo's formula: 3 won, 2 lost; attribute values
	 * seen: "a" 2 won 1 lost, "b" 1 won 1 lost.  Lead with "a":
	 * S_won = 3.1 * 2.1/3.2, S_lost = 2.1 * 1.1/2.2,
	 * P = S_won / (S_won + S_lost) = 2.034375 / (2.034375 + 1.05).
	 */
	double		eta = lr_nb_prior(3, 2) + lr_nb_term(2, 1, 2.1 + 1.1, 1.1 + 1.1);

	is_close(lr_sigmoid(eta), 2.034375 / (2.034375 + 1.05), 1e-14, 0, "naive Bayes = hand-computed Odoo formula");
}

int
main(void)
{
	test_nb();
	return done_testing();
}
