/*
 * tenant.h — the tenant of a session (src/tenant.c, doc/security.md).
 */
#ifndef CRMSCM_TENANT_H
#define CRMSCM_TENANT_H

/* Registers the setting crmscm.tenant_id; called from _PG_init. */
extern void crmscm_define_tenant_settings(void);

#endif							/* CRMSCM_TENANT_H */
