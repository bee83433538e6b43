/*
 * Unit tests of src/core/auc.c: ROC AUC with ties counted half.
 * Expected values: brute-force pair counting in the test, and the three
 * rankings whose AUC is known by definition (all tied, perfect, reversed).
 */
#include <stdlib.h>

#include "auc.h"
#include "tap.h"

static void
test_auc(void)
{
	enum
	{
	N = 600};
	double		score[N],
				pos[N],
				neg[N];
	int			lab[N];
	int64_t		np = 0,
				nn = 0;
	double		brute = 0;

	for (int i = 0; i < N; i++)
	{
		score[i] = (double) ((i * 7919) % 13) / 4.0;
		lab[i] = ((i * 31) % 7 + (i % 13)) % 3 == 0;
		if (lab[i])
			pos[np++] = score[i];
		else
			neg[nn++] = score[i];
	}
	for (int i = 0; i < N; i++)
		for (int k = 0; k < N; k++)
			if (lab[i] && !lab[k])
				brute += score[i] > score[k] ? 1.0 : score[i] == score[k] ? 0.5 : 0.0;
	brute /= (double) np * (double) nn;
	is_close(lr_auc(pos, np, neg, nn), brute, 1e-15, 0, "AUC with ties = brute-force pair count");
	ok(isnan(lr_auc(pos, np, neg, 0)), "AUC of one class is NaN");
	{
		double		a[2] = {1, 1},
					b[3] = {1, 1, 1};

		is_close(lr_auc(a, 2, b, 3), 0.5, 0, 0, "all tied: 0.5");
	}
	{
		double		a[2] = {3, 4},
					b[2] = {1, 2};

		is_close(lr_auc(a, 2, b, 2), 1.0, 0, 0, "perfect ranking: 1");
		is_close(lr_auc(b, 2, a, 2), 0.0, 0, 0, "reversed ranking: 0");
	}
}

int
main(void)
{
	test_auc();
	return done_testing();
}
