/*
 * naive_bayes.h — Odoo-style naive Bayes log-odds,
 * plain C (no PostgreSQL headers).
 */
#ifndef CRMSCM_NAIVE_BAYES_H
#define CRMSCM_NAIVE_BAYES_H

/*
 * Naive Bayes in the form Odoo's predictive lead scoring uses: every count is
 * smoothed by adding LR_NB_SMOOTHING; the log-odds of a lead are
 *   log(W + s) - log(L + s)
 *   + sum over known attribute values of
 *       log((w_v + s) / sum_v'(w_v' + s)) - log((l_v + s) / sum_v'(l_v' + s))
 * where W, L count won and lost leads.  lr_nb_term gives one summand.
 */
#define LR_NB_SMOOTHING 0.1
extern double lr_nb_prior(double won, double lost);
extern double lr_nb_term(double won_v, double lost_v, double won_total, double lost_total);

#endif							/* CRMSCM_NAIVE_BAYES_H */
