/*
 * fit_memory.h — the memory an aggregate state of a crmscm fit may buffer
 * (crmscm.max_fit_memory).
 */
#ifndef CRMSCM_FIT_MEMORY_H
#define CRMSCM_FIT_MEMORY_H

#include "postgres.h"

/* crmscm.max_fit_memory, in kB */
extern int	crmscm_max_fit_memory;

/* Register the settings of this module (called from _PG_init). */
extern void crmscm_define_fit_memory_settings(void);

/* crmscm.max_fit_memory in bytes */
extern int64 crmscm_fit_memory_limit(void);

/*
 * ERROR 54000 (with a hint) when an aggregate state of fn would hold bytes
 * bytes, more than crmscm.max_fit_memory.  what says what the memory is for
 * ("rows of 1000 features").
 */
extern void crmscm_fit_memory_check(const char *fn, int64 bytes, const char *what);

#endif							/* CRMSCM_FIT_MEMORY_H */
