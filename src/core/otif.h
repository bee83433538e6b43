/*
 * otif.h — on time, in full: the rules of crmscm.delivery_performance
 * (doc/synergy.md) for one order line, in SQL's three-valued logic, so
 * that the view gives the same answer as the expressions it replaced
 * (test/pgtap/delivery_performance.sql compares them).  Days are day
 * numbers (any epoch); no PostgreSQL dependency.
 */
#ifndef CRMSCM_OTIF_H
#define CRMSCM_OTIF_H

#include <stdbool.h>
#include <stdint.h>

/* a truth value of SQL: true, false or NULL (unknown) */
typedef enum OtifTruth
{
	OTIF_UNKNOWN = -1,
	OTIF_NO = 0,
	OTIF_YES = 1
} OtifTruth;

typedef enum OtifStatus
{
	OTIF_STATUS_NULL,			/* NULL */
	OTIF_STATUS_SHIPPED,
	OTIF_STATUS_CANCELLED,
	OTIF_STATUS_OTHER			/* open, or anything else */
} OtifStatus;

typedef struct OtifLine
{
	OtifTruth	order_delivers; /* order status confirmed or closed */
	OtifStatus	status;			/* the line's status */
	OtifTruth	nothing_shipped;	/* qty_shipped = 0 */
	bool		has_due;		/* promised (else requested) day + tolerance */
	int32_t		due;
	bool		has_last;		/* UTC day of the last shipment */
	int32_t		last;
	int32_t		today;			/* UTC day of the transaction */
} OtifLine;

extern OtifTruth otif_not(OtifTruth a);
extern OtifTruth otif_and(OtifTruth a, OtifTruth b);
extern OtifTruth otif_or(OtifTruth a, OtifTruth b);

/* a delivery: a line of a confirmed or closed order, not cancelled before anything shipped */
extern OtifTruth otif_counts(const OtifLine *l);

/*
 * on_time (= otif): NULL when not a delivery or without a due day; a
 * shipped line: its last shipment by the due day; a cancelled one: false;
 * an open one: false once the due day has passed, else NULL (not due yet)
 */
extern OtifTruth otif_on_time(const OtifLine *l);

/* in_full: NULL as on_time; shipped: true; cancelled: false; else NULL */
extern OtifTruth otif_in_full(const OtifLine *l);

#endif							/* CRMSCM_OTIF_H */
