/*
 * cancel.h — when a kernel of src/core should stop.
 *
 * The kernels poll a callback by amount of work (a few milliseconds).  It
 * answers "stop" only when an interrupt that ends the statement is pending:
 * query cancel, statement_timeout, terminate.  InterruptPending alone is
 * also set by the messages of parallel workers and by barriers, which
 * ProcessInterrupts handles without an error; a fit stopped for them would
 * only have to start again; so would one held off (HOLD_INTERRUPTS).
 * After a kernel stops, CHECK_FOR_INTERRUPTS() raises the pending error.
 */
#ifndef CRMSCM_CANCEL_H
#define CRMSCM_CANCEL_H

#include "postgres.h"

#include "miscadmin.h"

static inline int
crmscm_cancel_pending(void)
{
	return InterruptPending && (QueryCancelPending || ProcDiePending) && INTERRUPTS_CAN_BE_PROCESSED();
}

#endif							/* CRMSCM_CANCEL_H */
