/*
 * naive_bayes.c — the terms of Odoo-style naive Bayes log-odds, plain C.
 * See naive_bayes.h.
 */
#include "naive_bayes.h"

#include <math.h>

/* ---------------------------------------------------------- naive Bayes */

double
lr_nb_prior(double won, double lost)
{
	return log(won + LR_NB_SMOOTHING) - log(lost + LR_NB_SMOOTHING);
}

double
lr_nb_term(double won_v, double lost_v, double won_total, double lost_total)
{
	return log((won_v + LR_NB_SMOOTHING) / won_total) - log((lost_v + LR_NB_SMOOTHING) / lost_total);
}
