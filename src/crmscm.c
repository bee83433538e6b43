/*
 * crmscm.c — module entry point and tenancy basics.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

/* Name of the setting that selects the current tenant. */
#define TENANT_SETTING "crmscm.tenant_id"
#define TENANT_DEFAULT 1

/* Return the tenant selected by crmscm.tenant_id (1 when unset or empty) */
PG_FUNCTION_INFO_V1(crmscm_current_tenant);
Datum
crmscm_current_tenant(PG_FUNCTION_ARGS)
{
	const char *val = GetConfigOption(TENANT_SETTING, true, false);
	char	   *end;
	long long	id;

	if (val == NULL || *val == '\0')
		PG_RETURN_INT64(TENANT_DEFAULT);

	errno = 0;
	id = strtoll(val, &end, 10);
	while (*end == ' ')
		end++;
	if (end == val || *end != '\0' || errno == ERANGE || id <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for setting \"%s\": \"%s\"", TENANT_SETTING, val),
				 errdetail("The tenant id must be a positive bigint.")));
	PG_RETURN_INT64((int64) id);
}
