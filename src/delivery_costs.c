/*
 * delivery_costs.c — the settings of the delivery_costs view
 * (src/sql/440_delivery_costs.sql) and crmscm.delivery_setting(), which
 * reads them.
 *
 * Settings (all user settings: SET, or ALTER ROLE/DATABASE ... SET; each is
 * a parameter of crmscm.route_cost for the route of the day):
 *   crmscm.delivery_speed_kmh       (real, km/h, default 50, >= 0)
 *   crmscm.delivery_cost_per_km     (real, default 1, >= 0)
 *   crmscm.delivery_cost_per_hour   (real, default 0, >= 0)
 *   crmscm.delivery_cost_per_stop   (real, default 0, >= 0)
 *   crmscm.delivery_service_minutes (real, minutes per stop, default 0, >= 0)
 *   crmscm.delivery_time_limit_ms   (integer, ms, default 2000, >= 1): time
 *     the route search of one warehouse may take
 * The registered bounds keep NaN, infinities and negative values out when
 * the setting is set (22023); route_cost refuses what remains out of range
 * for a route (a speed of 0).
 */
#include "postgres.h"

#include <float.h>
#include <limits.h>
#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "settings.h"

static double delivery_speed_kmh = 50;
static double delivery_cost_per_km = 1;
static double delivery_cost_per_hour = 0;
static double delivery_cost_per_stop = 0;
static double delivery_service_minutes = 0;
static int	delivery_time_limit_ms = 2000;

static void
define_cost(const char *name, const char *desc, double *var)
{
	DefineCustomRealVariable(name, desc, "A parameter of the route of the day in crmscm.delivery_costs.",
							 var, *var, 0, DBL_MAX, PGC_USERSET, 0, NULL, NULL, NULL);
}

void
crmscm_define_delivery_settings(void)
{
	define_cost("crmscm.delivery_speed_kmh", "Driving speed of delivery_costs, km/h.",
				&delivery_speed_kmh);
	define_cost("crmscm.delivery_cost_per_km", "Driving cost per km of delivery_costs.",
				&delivery_cost_per_km);
	define_cost("crmscm.delivery_cost_per_hour", "Cost per hour of driving and service of delivery_costs.",
				&delivery_cost_per_hour);
	define_cost("crmscm.delivery_cost_per_stop", "Cost per stop of delivery_costs.",
				&delivery_cost_per_stop);
	define_cost("crmscm.delivery_service_minutes", "Service minutes per stop of delivery_costs.",
				&delivery_service_minutes);
	DefineCustomIntVariable("crmscm.delivery_time_limit_ms",
							"Time the route search of one warehouse in delivery_costs may take, in milliseconds.",
							NULL,
							&delivery_time_limit_ms, delivery_time_limit_ms, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/*
 * crmscm.delivery_setting(name, default_value): the setting
 * crmscm.delivery_<name> as float8; default_value when there is no such
 * setting (or name is NULL).  A C function, so that calling it registers
 * the settings: their defaults are the ones above, in one place.
 */
PG_FUNCTION_INFO_V1(crmscm_delivery_setting);
Datum
crmscm_delivery_setting(PG_FUNCTION_ARGS)
{
	const char *val = NULL;
	char	   *name = NULL;
	double		v;

	if (!PG_ARGISNULL(0))
	{
		name = psprintf("crmscm.delivery_%s", text_to_cstring(PG_GETARG_TEXT_PP(0)));
		val = GetConfigOption(name, true, false);
	}
	if (val == NULL || val[0] == '\0')
	{
		if (PG_ARGISNULL(1))
			PG_RETURN_NULL();
		v = PG_GETARG_FLOAT8(1);
	}
	else
		v = DatumGetFloat8(DirectFunctionCall1(float8in, CStringGetDatum(val)));
	/* issue #13: NaN and Infinity are no costs or speeds */
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("delivery_setting: %s must be finite, not %g",
						name ? name : "default_value", v)));
	PG_RETURN_FLOAT8(v);
}
