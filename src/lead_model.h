/*
 * lead_model.h — the crmscm.lead_model type as stored, and the helpers its
 * modules share (src/lead_model.c: the type, feature arrays, scoring;
 * src/lead_fit.c: the lead_model_fit aggregate; src/auc.c).
 */
#ifndef CRMSCM_LEAD_MODEL_H
#define CRMSCM_LEAD_MODEL_H

#include "postgres.h"

#include "utils/array.h"

#include "logreg.h"

typedef struct LeadModelData
{
	int32		vl_len_;
	int32		p;
	int64		rows;
	int64		positives;
	int32		iterations;
	int16		converged;
	int16		separation;
	double		l2;
	double		log_likelihood;
	double		condition_number;
	double		v[FLEXIBLE_ARRAY_MEMBER];	/* coef[p + 1], std_err[p + 1] */
} LeadModelData;

#define LEAD_MODEL_SIZE(p) (offsetof(LeadModelData, v) + sizeof(double) * 2 * ((p) + 1))
#define PG_GETARG_LEAD_MODEL(n) ((LeadModelData *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

extern LeadModelData *lead_model_make(const LrModel *m);
extern LrModel *lr_model_alloc(int p);
extern pg_attribute_noreturn() void feature_not_finite(const char *fn, int i, double x);
extern const double *feature_values(ArrayType *arr, const char *fn, int *n, bool check_finite);
extern int	stop_requested(void *arg);

#endif							/* CRMSCM_LEAD_MODEL_H */
