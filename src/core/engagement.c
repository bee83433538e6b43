/*
 * engagement.c — exponential decay of engagement points, plain C.
 * See engagement.h.
 */
#include "engagement.h"

#include <math.h>

/* ----------------------------------------------------------- engagement */

double
lr_decay(double points, double age_seconds, double half_life_seconds)
{
	if (age_seconds < 0)
		return 0.0;
	return points * exp2(-age_seconds / half_life_seconds);
}
