/*
 * replenishment.h — replenishment that learns and stays current (issue
 * #18, doc/replenishment.md): supplier statistics kept from receipts
 * (supplier_stats.c), demand state kept from order lines (demand_state.c),
 * and their settings (replenishment.c).  Both run as stages of the commit
 * pass (reserve_stages.c), after the inventory rows are locked and written.
 */
#ifndef CRMSCM_REPLENISHMENT_H
#define CRMSCM_REPLENISHMENT_H

#include "postgres.h"

#include "utils/array.h"

#include "demand_window.h"
#include "reserve.h"

/* settings (replenishment.c) */
extern double crmscm_lead_time_shrinkage;	/* crmscm.lead_time_shrinkage, k */
extern int	crmscm_demand_history_days;	/* crmscm.demand_history_days, H */
extern void crmscm_define_replenishment_settings(void);

/* the stages: work off this tenant's notes of their kinds */
extern void demand_state_stage(int64 tenant, Note *ns, int n);
extern void supplier_stats_stage(int64 tenant, Note *ns, int n);

/*
 * the demand profile of a window from a kept series and demand_days rows
 * (demand_state.c; crmscm._demand_window and reorder_suggestions.c)
 */
extern void demand_window_profile(bytea *series, int32 anchor, int32 series_from,
								  ArrayType *ad, ArrayType *aq, ArrayType *ar,
								  int32 start, int32 end, double alpha, DwProfile *p);

#endif							/* CRMSCM_REPLENISHMENT_H */
