/*
 * auc.h — ROC AUC of scores (Mann-Whitney U),
 * plain C (no PostgreSQL headers).
 */
#ifndef CRMSCM_AUC_H
#define CRMSCM_AUC_H

#include <stdint.h>

/*
 * ROC AUC from the scores of the positive and of the negative rows; sorts
 * both arrays in place.  Ties between a positive and a negative count half.
 * Returns NaN when either array is empty.
 */
extern double lr_auc(double *pos, int64_t npos, double *neg, int64_t nneg);
/* the same, polling should_stop (may be NULL) by amount of work: NaN when it
 * asked to stop */
extern double lr_auc_ex(double *pos, int64_t npos, double *neg, int64_t nneg,
						int (*should_stop) (void *), void *arg);

/* Sort n doubles (no NaN) in place, polling should_stop; 1 when stopped */
extern int	lr_sort_doubles(double *a, int64_t n, int (*should_stop) (void *), void *arg);

#endif							/* CRMSCM_AUC_H */
