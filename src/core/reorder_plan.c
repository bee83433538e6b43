/*
 * reorder_plan.c — the per-row rules of crmscm.reorder_suggestions
 * (reorder_plan.h).
 */
#include "reorder_plan.h"

#include "moments.h"

void
ro_plan_lead(const RoLeadIn *in, double *lead, double *lead_sd)
{
	/* a missing n counts as none: the item's own values */
	double		n = in->has_receipts ? in->receipts : 0;
	double		n1 = in->has_receipts ? in->receipts - 1 : 0;

	*lead = in->has_mean ? wm_shrink(n, in->mean, in->k, in->item_lead) : in->item_lead;
	*lead_sd = in->has_sd ? wm_shrink(n1, in->sd, in->k, in->item_lead_sd) : in->item_lead_sd;
}

int
ro_plan_has_eoq(double forecast, double order_cost, double holding_cost)
{
	return forecast > 0 && order_cost > 0 && holding_cost > 0;
}

double
ro_plan_reorder_point(double forecast, double lead, double pipeline_qty, double safety_stock)
{
	return forecast * lead + pipeline_qty + safety_stock;
}
