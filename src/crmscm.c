/*
 * crmscm.c — module entry point: registers crmscm's settings.
 *
 * Each module registers its settings in crmscm_define_<module>_settings()
 * (doc/conventions.md "Settings"); the tenant lives in src/tenant.c.
 */
#include "postgres.h"

#include "fmgr.h"

#include "reserve.h"
#include "fit_memory.h"
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
	crmscm_define_promise_settings();
}
