/*
 * reserve_stages.c — work that runs inside the commit pass around the
 * allocation rules, in the pass's lock order (doc/orders.md): one call per
 * feature, each in its own file.  Before the rules a stage may load what
 * the rules need (the inventory rows are locked, the lines' holdings
 * loaded).  Before the flush a stage may still change
 * the in-memory model (the rows are locked and loaded); after it, the
 * tenant's rows are written and still locked.
 */
#include "postgres.h"

#include "replenishment.h"
#include "reserve_model.h"
#include "synergy.h"

void
stages_before_rules(Pass *p, Note *ns, int n)
{
	/* #17: the customers' tiers and the items' allocation rules */
	alloc_before_rules(p, ns, n);
}

void
stages_before_flush(Pass *p, Note *ns, int n)
{
}

void
stages_after_flush(Pass *p, Note *ns, int n)
{
	events_after_flush(p, ns, n);	/* #15 reserve_events.c */
	/* #17: backorders' and lines' promises, the lines' shipment days */
	promise_after_flush(p, ns, n);
	/* issue #18: after inventory, rows keyed by (item, warehouse) in key order */
	demand_state_stage(p->tenant, ns, n);
	supplier_stats_stage(p->tenant, ns, n);
}
