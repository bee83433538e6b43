/*
 * fit_memory.c — the memory limit of buffering aggregate states
 * (crmscm.max_fit_memory), shared by lead_model_fit, lead_nb_fit, auc,
 * bgnbd_fit, gamma_gamma_fit and rfm_summary.
 *
 * A fit that must see its rows more than once (Newton's method) or that
 * counts distinct values buffers them in its aggregate state.  Without a
 * limit one reader could make one backend allocate tens of gigabytes, and a
 * few such readers bring in the OOM killer, which restarts the cluster.  The
 * limit applies to each state, serial or parallel: a parallel worker's
 * partial state counts against it, and so does the state that the leader
 * combines from them.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "fit_memory.h"

/* 1 GB, in kB */
int			crmscm_max_fit_memory = 1024 * 1024;

void
crmscm_define_fit_memory_settings(void)
{
	DefineCustomIntVariable("crmscm.max_fit_memory",
							"Most memory one aggregate state of a crmscm fit, or one call of reorder_suggestions, may hold.",
							"Applies to lead_model_fit, lead_nb_fit, auc, bgnbd_fit, gamma_gamma_fit and "
							"rfm_summary, to each parallel partial state and to the combined state, and to "
							"what reorder_suggestions keeps per item and warehouse. "
							"Only superusers (or roles granted SET on it) can change it.",
							&crmscm_max_fit_memory,
							1024 * 1024,	/* 1 GB */
							64,			/* 64 kB */
							INT_MAX,	/* 2 TB */
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
}

int64
crmscm_fit_memory_limit(void)
{
	return (int64) crmscm_max_fit_memory * 1024;
}

void
crmscm_fit_memory_check(const char *fn, int64 bytes, const char *what)
{
	int64		limit = crmscm_fit_memory_limit();

	if (bytes > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: the aggregate state would need %lld kB for %s, more than crmscm.max_fit_memory (%lld kB)",
						fn, (long long) ((bytes + 1023) / 1024), what, (long long) (limit / 1024)),
				 errhint("Aggregate fewer rows (for example a random sample), or ask an administrator to raise crmscm.max_fit_memory.")));
}
