/*
 * tenant.c — the tenant of a session: crmscm.current_tenant() (doc/security.md,
 * doc/conventions.md "fail-closed tenant", doc/security.md).
 *
 * current_tenant() is the one expression that yields the tenant: the
 * row-level security policy tenant_isolation calls it per row, views filter
 * on it, column defaults take it, and every SECURITY DEFINER API function
 * starts with it.  So the two rules below hold wherever the tenant is read,
 * per row, per cursor fetch and inside SECURITY DEFINER code:
 *
 *   1. fail-closed: crmscm.tenant_id unset or empty is an ERROR (55000),
 *      for every role, superusers included; never a default;
 *   2. pins: a login role (session_user) that is a member, directly or
 *      through other roles, of roles named crmscm_tenant_<N> and is not a
 *      superuser may only use those N; any other tenant is an ERROR (42501).
 *      session_user, not current_user: SET ROLE and SECURITY DEFINER
 *      functions do not change it.
 *
 * The pins of the session user are computed once (a scan of pg_authid and a
 * membership check per crmscm_tenant_* role) and cached until a role or a
 * membership changes anywhere in the cluster (syscache invalidation), so a
 * call costs a comparison of the session user with the cached one, the parse
 * of the setting and, for a pinned role, a search of its few pins.
 */
#include "postgres.h"

#include <limits.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "tenant.h"

/* Name of the setting that selects the current tenant. */
#define TENANT_SETTING "crmscm.tenant_id"
/* Roles named PIN_PREFIX<N> pin their members to tenant N. */
#define PIN_PREFIX "crmscm_tenant_"
/* How many pins an error message lists. */
#define PINS_SHOWN 10

/* Value of crmscm.tenant_id, kept by the GUC machinery. */
static char *tenant_setting = NULL;

/*
 * The setting parsed, for the string it was parsed from: every row of every
 * table is filtered on current_tenant(), and parsing the string again for
 * each was measurable (strtoll about 1 % of a 10 M line rollup).  Any
 * assignment (SET, set_config(), RESET, rollback at transaction end, a
 * parallel worker's start) invalidates it through the assign hook; the
 * string pointer is compared too.  The pin check below still runs at every
 * call.
 */
static bool tenant_parsed_valid = false;
static const char *tenant_parsed_from = NULL;
static int64 tenant_parsed = 0;

static void
tenant_assign(const char *newval, void *extra)
{
	tenant_parsed_valid = false;
}

/* The pins of one session user. */
typedef struct PinCache
{
	bool		valid;
	Oid			userid;			/* session user the entry is for */
	bool		pinned;			/* member of some crmscm_tenant_* role */
	int			npins;
	int64	   *pins;			/* the tenants N of those roles, sorted */
} PinCache;

static PinCache pin_cache = {false, InvalidOid, false, 0, NULL};
static uint64 pin_invalidations = 0;
static bool pin_callbacks_registered = false;

void
crmscm_define_tenant_settings(void)
{
	DefineCustomStringVariable(TENANT_SETTING,
							   "Tenant whose rows this session reads and writes (crmscm.current_tenant()).",
							   "A positive bigint. Unset or empty, crmscm.current_tenant() raises an error: "
							   "set it per transaction with set_config('crmscm.tenant_id', $1, true), or once "
							   "per database with ALTER DATABASE ... SET crmscm.tenant_id.",
							   &tenant_setting,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, tenant_assign, NULL);
}

/* A role or a membership changed somewhere: recompute the pins on next use. */
static void
pin_cache_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	pin_cache.valid = false;
	pin_invalidations++;
}

/*
 * N of a role name crmscm_tenant_<N>: decimal digits only, a positive
 * bigint.  Anything else pins to no tenant (the role still pins).
 */
static bool
parse_pin(const char *s, int64 *out)
{
	int64		v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
		if (v > (PG_INT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v <= 0)
		return false;
	*out = v;
	return true;
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* Compute the pins of userid into pin_cache. */
static void
pin_cache_fill(Oid userid)
{
	if (!pin_callbacks_registered)
	{
		CacheRegisterSyscacheCallback(AUTHOID, pin_cache_invalidate, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, pin_cache_invalidate, (Datum) 0);
		pin_callbacks_registered = true;
	}

	for (;;)
	{
		uint64		seen = pin_invalidations;
		bool		pinned = false;
		int			npins = 0;
		int			cap = 8;
		int64	   *pins;

		CHECK_FOR_INTERRUPTS();
		pin_cache.valid = false;
		if (pin_cache.pins != NULL)
			pfree(pin_cache.pins);
		pin_cache.pins = NULL;
		pin_cache.npins = 0;
		pins = MemoryContextAlloc(TopMemoryContext, cap * sizeof(int64));
		pin_cache.pins = pins;

		/* a superuser is a member of every role: it is never pinned */
		if (OidIsValid(userid) && !superuser_arg(userid))
		{
			Relation	rel = table_open(AuthIdRelationId, AccessShareLock);
			SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
			HeapTuple	tup;

			while (HeapTupleIsValid(tup = systable_getnext(scan)))
			{
				Form_pg_authid role = (Form_pg_authid) GETSTRUCT(tup);
				const char *name = NameStr(role->rolname);
				int64		n;

				if (strncmp(name, PIN_PREFIX, strlen(PIN_PREFIX)) != 0)
					continue;
				if (!is_member_of_role(userid, role->oid))
					continue;
				pinned = true;
				if (!parse_pin(name + strlen(PIN_PREFIX), &n))
					continue;
				if (npins == cap)
				{
					cap *= 2;
					pins = repalloc(pins, cap * sizeof(int64));
					pin_cache.pins = pins;
				}
				pins[npins++] = n;
			}
			systable_endscan(scan);
			table_close(rel, AccessShareLock);
		}
		if (npins > 1)
			qsort(pins, npins, sizeof(int64), cmp_int64);

		pin_cache.userid = userid;
		pin_cache.pinned = pinned;
		pin_cache.npins = npins;
		/* a role changed while we looked: look again */
		if (pin_invalidations == seen)
		{
			pin_cache.valid = true;
			return;
		}
	}
}

static bool
pin_permits(int64 id)
{
	return bsearch(&id, pin_cache.pins, pin_cache.npins, sizeof(int64), cmp_int64) != NULL;
}

/* "1, 2, 7" (at most PINS_SHOWN) or "none" */
static char *
pin_list(void)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < pin_cache.npins && i < PINS_SHOWN; i++)
		appendStringInfo(&buf, "%s" INT64_FORMAT, i > 0 ? ", " : "", pin_cache.pins[i]);
	if (pin_cache.npins > PINS_SHOWN)
		appendStringInfo(&buf, " and %d more", pin_cache.npins - PINS_SHOWN);
	if (pin_cache.npins == 0)
		appendStringInfoString(&buf, "none");
	return buf.data;
}

/* The setting as a tenant id, if it is one (a positive bigint, spaces after it allowed) */
static bool
tenant_of(const char *val, int64 *id)
{
	char	   *end;
	long long	v;

	if (val == NULL)
		return false;
	errno = 0;
	v = strtoll(val, &end, 10);
	while (*end == ' ')
		end++;
	if (end == val || *end != '\0' || errno == ERANGE || v <= 0)
		return false;
	*id = (int64) v;
	return true;
}

/* The setting as a tenant id: errors for unset (55000) and malformed (22023) */
static int64
parse_tenant(const char *val)
{
	int64		id;

	if (val == NULL || *val == '\0')
	{
		char	   *db = get_database_name(MyDatabaseId);

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no tenant selected: setting \"%s\" is not set", TENANT_SETTING),
				 errdetail("crmscm reads and writes the rows of one tenant, and never assumes one."),
				 errhint("Applications set it at the start of each transaction: SELECT set_config('%s', $1, true). "
						 "A single-tenant database sets it once: ALTER DATABASE %s SET %s = 1.",
						 TENANT_SETTING, db ? quote_identifier(db) : "<database>", TENANT_SETTING)));
	}

	if (!tenant_of(val, &id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for setting \"%s\": \"%s\"", TENANT_SETTING, val),
				 errdetail("The tenant id must be a positive bigint.")));
	return id;
}

/*
 * crmscm.current_tenant(): the tenant selected by crmscm.tenant_id, checked
 * against the pins of the session user (see the top of this file).
 */
PG_FUNCTION_INFO_V1(crmscm_current_tenant);
Datum
crmscm_current_tenant(PG_FUNCTION_ARGS)
{
	const char *val = tenant_setting;
	int64		id;
	Oid			userid;

	if (tenant_parsed_valid && val != NULL && tenant_parsed_from == val)
		id = tenant_parsed;
	else
	{
		id = parse_tenant(val);
		tenant_parsed = id;
		tenant_parsed_from = val;
		tenant_parsed_valid = true;
	}

	userid = GetSessionUserId();
	if (!pin_cache.valid || pin_cache.userid != userid)
		pin_cache_fill(userid);
	if (pin_cache.pinned && !pin_permits(id))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not act for tenant %lld",
						GetUserNameFromId(userid, false), (long long) id),
				 errdetail("The role is pinned to tenant(s) %s by its membership in roles named %s<N>.",
						   pin_list(), PIN_PREFIX)));

	PG_RETURN_INT64(id);
}

/*
 * Is tenant the session's crmscm.tenant_id, read as current_tenant() reads
 * it?  No error when it is unset or malformed; no pin check.
 */
bool
crmscm_session_tenant_is(int64 tenant)
{
	int64		id;

	return tenant_of(tenant_setting, &id) && id == tenant;
}

/*
 * Will the policy tenant_isolation refuse a row of tenant written to rel?
 * True when row-level security applies to the current user there and tenant
 * is not the session's (its WITH CHECK then fails, 42501, or current_tenant()
 * does).  A BEFORE ROW trigger checks this first: it runs before the policy,
 * and must neither read nor lock anything of another tenant for such a row,
 * nor raise an error that tells about it (a status, whether an item exists).
 */
bool
crmscm_policy_refuses(Relation rel, int64 tenant)
{
	return check_enable_rls(RelationGetRelid(rel), InvalidOid, true) == RLS_ENABLED &&
		!crmscm_session_tenant_is(tenant);
}
