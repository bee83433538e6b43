/*
 * settings.h — the functions that register crmscm's settings, called from
 * _PG_init (src/crmscm.c) for the modules without a header of their own.
 * Each module documents its settings in its head comment.
 */
#ifndef CRMSCM_SETTINGS_H
#define CRMSCM_SETTINGS_H

extern void crmscm_define_guard_settings(void);
extern void crmscm_define_reorder_settings(void);
extern void crmscm_define_delivery_settings(void);

#endif							/* CRMSCM_SETTINGS_H */
