/*
 * crmscm.c — module entry point: registers crmscm's settings and reserves
 * the prefix crmscm for them.
 *
 * Each module registers its settings in crmscm_define_<module>_settings()
 * (doc/conventions.md "Settings") and documents them in its head comment:
 *   crmscm.tenant_id                 src/tenant.c
 *   crmscm.reorder_events            src/reserve_events.c
 *   crmscm.max_fit_memory            src/fit_memory.c
 *   crmscm.internal                  src/guard_settings.c (legacy)
 *   crmscm.demand_window_days        src/reorder_settings.c
 *   crmscm.delivery_*                src/delivery_costs.c
 */
#include "postgres.h"

#include "fmgr.h"

#include "utils/guc.h"

#include "replenishment.h"
#include "reserve.h"
#include "fit_memory.h"
#include "settings.h"
#include "synergy.h"
#include "tenant.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	crmscm_define_tenant_settings();
	crmscm_define_events_settings();	/* #15 */
	crmscm_define_fit_memory_settings();
	crmscm_define_promise_settings();	/* #17 */
	/* #19: every crmscm.* setting the code or SQL reads is registered */
	crmscm_define_guard_settings();
	crmscm_define_reorder_settings();
	crmscm_define_delivery_settings();
	crmscm_define_replenishment_settings();	/* #18 */

	/*
	 * Last: no other crmscm.* name may be set from now on (42602), so a
	 * misspelt setting is an error instead of a silent placeholder.
	 * Placeholders set before the library loaded (ALTER DATABASE/ROLE ...
	 * SET, a SET before the first call) became the settings above when
	 * they were registered; any other is removed with a WARNING.
	 */
	MarkGUCPrefixReserved("crmscm");
}
