/*
 * reorder_settings.c — the setting of the demand history window, and the
 * one place that reads it: crmscm.demand_window_days().
 *
 * Settings:
 *   crmscm.demand_window_days (integer, days, default 365, 1 to 36600,
 *     user): length of the demand history that reorder_suggestions and
 *     abc_classes() read, ending yesterday.
 *
 * The SQL reads it only through crmscm.demand_window_days(), a C function:
 * calling it loads the library, so the setting is always registered and its
 * default is the one below, never a second copy in SQL.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "settings.h"

/* Length of the demand history window, in days, unless set otherwise */
#define CRMSCM_DEMAND_WINDOW_DAYS 365

static int	demand_window_days = CRMSCM_DEMAND_WINDOW_DAYS;

void
crmscm_define_reorder_settings(void)
{
	DefineCustomIntVariable("crmscm.demand_window_days",
							"Days of demand history the reorder suggestions and ABC classes read.",
							"The window ends yesterday; read by crmscm.demand_window_days().",
							&demand_window_days,
							CRMSCM_DEMAND_WINDOW_DAYS,
							1,
							36600,	/* 100 years */
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
}

/* crmscm.demand_window_days(): the setting crmscm.demand_window_days */
PG_FUNCTION_INFO_V1(crmscm_sql_demand_window_days);
Datum
crmscm_sql_demand_window_days(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(demand_window_days);
}
