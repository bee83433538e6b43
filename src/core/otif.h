/*
 * otif.h — on time, in full: the rules of crmscm.delivery_performance
 * (doc/synergy.md) for one order line, in SQL's three-valued logic, so
 * that the view gives the same answer as the expressions it replaced
 * (test/pgtap/delivery_performance.sql compares them).  Days are day
 * numbers (any epoch); no PostgreSQL dependency.  Header only: the rules
 * are a few comparisons each, called per row.
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

/*
 * The rules, inline: delivery_performance calls them three times per line
 * of a per-customer rollup (10 M lines: a function call each was
 * measurable).  Each returns SQL's answer in three-valued logic.
 *
 *  otif_counts:  a delivery: a line of a confirmed or closed order, not
 *                cancelled before anything shipped
 *  otif_on_time: (= otif) NULL when not a delivery or without a due day; a
 *                shipped line: its last shipment by the due day; a
 *                cancelled one: false; an open one: false once the due day
 *                has passed, else NULL (not due yet)
 *  otif_in_full: NULL as on_time; shipped: true; cancelled: false; else NULL
 */
static inline OtifTruth
otif_not(OtifTruth a)
{
	return a == OTIF_UNKNOWN ? OTIF_UNKNOWN : (a == OTIF_YES ? OTIF_NO : OTIF_YES);
}

static inline OtifTruth
otif_and(OtifTruth a, OtifTruth b)
{
	if (a == OTIF_NO || b == OTIF_NO)
		return OTIF_NO;
	if (a == OTIF_UNKNOWN || b == OTIF_UNKNOWN)
		return OTIF_UNKNOWN;
	return OTIF_YES;
}

static inline OtifTruth
otif_or(OtifTruth a, OtifTruth b)
{
	if (a == OTIF_YES || b == OTIF_YES)
		return OTIF_YES;
	if (a == OTIF_UNKNOWN || b == OTIF_UNKNOWN)
		return OTIF_UNKNOWN;
	return OTIF_NO;
}

/* status = x: NULL when the status is */
static inline OtifTruth
otif_status_is(const OtifLine *l, OtifStatus x)
{
	if (l->status == OTIF_STATUS_NULL)
		return OTIF_UNKNOWN;
	return l->status == x ? OTIF_YES : OTIF_NO;
}

static inline OtifTruth
otif_counts(const OtifLine *l)
{
	return otif_and(l->order_delivers,
					otif_not(otif_and(otif_status_is(l, OTIF_STATUS_CANCELLED), l->nothing_shipped)));
}

/* CASE WHEN NOT counts OR due IS NULL THEN NULL: is that branch taken? */
static inline bool
otif_not_measured(const OtifLine *l)
{
	return otif_or(otif_not(otif_counts(l)), l->has_due ? OTIF_NO : OTIF_YES) == OTIF_YES;
}

static inline OtifTruth
otif_on_time(const OtifLine *l)
{
	if (otif_not_measured(l))
		return OTIF_UNKNOWN;
	/* here the due day is known (a NULL one is not measured) */
	if (otif_status_is(l, OTIF_STATUS_SHIPPED) == OTIF_YES)
		return !l->has_last ? OTIF_UNKNOWN : (l->last <= l->due ? OTIF_YES : OTIF_NO);
	if (otif_status_is(l, OTIF_STATUS_CANCELLED) == OTIF_YES)
		return OTIF_NO;
	if (l->today > l->due)
		return OTIF_NO;
	return OTIF_UNKNOWN;
}

static inline OtifTruth
otif_in_full(const OtifLine *l)
{
	if (otif_not_measured(l))
		return OTIF_UNKNOWN;
	if (otif_status_is(l, OTIF_STATUS_SHIPPED) == OTIF_YES)
		return OTIF_YES;
	if (otif_status_is(l, OTIF_STATUS_CANCELLED) == OTIF_YES)
		return OTIF_NO;
	return OTIF_UNKNOWN;
}

#endif							/* CRMSCM_OTIF_H */
