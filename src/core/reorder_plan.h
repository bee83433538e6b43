/*
 * reorder_plan.h — the per-row rules of crmscm.reorder_suggestions in plain
 * C (no PostgreSQL headers; doc/reorder.md, issue #18): the lead time and
 * its sd learned from receipts and shrunk toward the item's own, whether an
 * EOQ applies, and the reorder point.  The safety stock is ro_safety_stock_var
 * (reorder.h), the EOQ ro_eoq; the numeric lot, the suggested quantity and
 * the reason text are in the PostgreSQL layer (src/reorder_suggestions.c).
 */
#ifndef CRMSCM_REORDER_PLAN_H
#define CRMSCM_REORDER_PLAN_H

typedef struct RoLeadIn
{
	double		item_lead;		/* items.lead_time_days */
	double		item_lead_sd;	/* items.lead_time_sd_days */
	double		k;				/* pseudo-receipts of the item's values */
	int			has_receipts;	/* learned from receipts (supplier_stats) */
	double		receipts;		/* their effective number n */
	int			has_mean;		/* their mean is known */
	double		mean;
	int			has_sd;			/* their sd is known (n >= 2 effective) */
	double		sd;
} RoLeadIn;

/*
 * Lead time (n x + k L0) / (n + k) and its sd likewise with n - 1 for n;
 * the item's values without receipts (wm_shrink, moments.h).
 */
extern void ro_plan_lead(const RoLeadIn *in, double *lead, double *lead_sd);

/* An EOQ applies with demand, an order cost and a holding cost. */
extern int	ro_plan_has_eoq(double forecast, double order_cost, double holding_cost);

/* forecast per day x lead time + pipeline demand + safety stock */
extern double ro_plan_reorder_point(double forecast, double lead, double pipeline_qty,
									double safety_stock);

#endif							/* CRMSCM_REORDER_PLAN_H */
