/*
 * guard_settings.c — the setting of the column guard (src/guard.c).
 *
 * Settings:
 *   crmscm.internal (bool, default off, user): legacy, read only by
 *     src/guard.c.  The SQL objects of crmscm 0.1.0 and 0.2.0, which a
 *     database keeps until ALTER EXTENSION crmscm UPDATE, raise it with
 *     set_config() inside their SECURITY DEFINER functions to write the
 *     columns crmscm maintains; it counts only for the table's owner (who
 *     could write them anyway).  Registered so that those functions keep
 *     working under the reserved prefix crmscm (src/crmscm.c).
 *
 * Kept apart from src/guard.c only while the reservation engine is being
 * changed on other branches; it may move into guard.c.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "settings.h"

static bool crmscm_internal = false;

void
crmscm_define_guard_settings(void)
{
	DefineCustomBoolVariable("crmscm.internal",
							 "Legacy flag of the SQL functions of crmscm 0.1.0 and 0.2.0.",
							 "Gives nobody but the owner of crmscm's tables anything; kept so that a "
							 "database not yet updated with ALTER EXTENSION crmscm UPDATE keeps working.",
							 &crmscm_internal,
							 false,
							 PGC_USERSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
}
