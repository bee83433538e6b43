/*
 * replenishment.c — the settings of replenishment that learns and stays
 * current (issue #18, doc/replenishment.md).
 */
#include "postgres.h"

#include "utils/guc.h"

#include "replenishment.h"

double		crmscm_lead_time_shrinkage = 5.0;
int			crmscm_demand_history_days = 400;

void
crmscm_define_replenishment_settings(void)
{
	DefineCustomRealVariable("crmscm.lead_time_shrinkage",
							 "Pseudo-receipts k of the item's own lead time in the learned one.",
							 "reorder_suggestions uses (n x + k L0) / (n + k) for the lead time and its "
							 "standard deviation, n the effective number of receipts of the item and warehouse, "
							 "x what they show, L0 the item's lead_time_days (lead_time_sd_days). 0 trusts the "
							 "receipts alone.",
							 &crmscm_lead_time_shrinkage,
							 5.0, 0.0, 1e9,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("crmscm.demand_history_days",
							"Days of daily demand each item and warehouse keeps inline for reorder_suggestions.",
							"The kept demand state holds this many days before yesterday (at least 1); a "
							"demand window reaching further back reads crmscm.demand_days instead (slower, "
							"same result). Applies as rows are rolled forward or rebuilt.",
							&crmscm_demand_history_days,
							400, 1, 36600,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}
