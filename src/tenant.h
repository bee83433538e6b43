/*
 * tenant.h — the tenant of a session (src/tenant.c, doc/security.md).
 */
#ifndef CRMSCM_TENANT_H
#define CRMSCM_TENANT_H

#include "utils/relcache.h"

/* Registers the setting crmscm.tenant_id; called from _PG_init. */
extern void crmscm_define_tenant_settings(void);

/*
 * Is tenant the session's crmscm.tenant_id?  No error when it is unset;
 * not the pin check of current_tenant().
 */
extern bool crmscm_session_tenant_is(int64 tenant);

/*
 * Will the row policy refuse a row of tenant in rel (row security applies
 * to the current user, tenant is not the session's)?  BEFORE ROW triggers
 * then leave the row alone.
 */
extern bool crmscm_policy_refuses(Relation rel, int64 tenant);

#endif							/* CRMSCM_TENANT_H */
