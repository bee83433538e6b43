/*
 * otif.c — on time, in full for one order line.  See otif.h.
 */
#include "otif.h"

OtifTruth
otif_not(OtifTruth a)
{
	return a == OTIF_UNKNOWN ? OTIF_UNKNOWN : (a == OTIF_YES ? OTIF_NO : OTIF_YES);
}

OtifTruth
otif_and(OtifTruth a, OtifTruth b)
{
	if (a == OTIF_NO || b == OTIF_NO)
		return OTIF_NO;
	if (a == OTIF_UNKNOWN || b == OTIF_UNKNOWN)
		return OTIF_UNKNOWN;
	return OTIF_YES;
}

OtifTruth
otif_or(OtifTruth a, OtifTruth b)
{
	if (a == OTIF_YES || b == OTIF_YES)
		return OTIF_YES;
	if (a == OTIF_UNKNOWN || b == OTIF_UNKNOWN)
		return OTIF_UNKNOWN;
	return OTIF_NO;
}

/* status = x: NULL when the status is */
static OtifTruth
status_is(const OtifLine *l, OtifStatus x)
{
	if (l->status == OTIF_STATUS_NULL)
		return OTIF_UNKNOWN;
	return l->status == x ? OTIF_YES : OTIF_NO;
}

OtifTruth
otif_counts(const OtifLine *l)
{
	return otif_and(l->order_delivers,
					otif_not(otif_and(status_is(l, OTIF_STATUS_CANCELLED), l->nothing_shipped)));
}

/* CASE WHEN NOT counts OR due IS NULL THEN NULL: is that branch taken? */
static bool
not_measured(const OtifLine *l)
{
	return otif_or(otif_not(otif_counts(l)), l->has_due ? OTIF_NO : OTIF_YES) == OTIF_YES;
}

OtifTruth
otif_on_time(const OtifLine *l)
{
	if (not_measured(l))
		return OTIF_UNKNOWN;
	/* here the due day is known (a NULL one is not measured) */
	if (status_is(l, OTIF_STATUS_SHIPPED) == OTIF_YES)
		return !l->has_last ? OTIF_UNKNOWN : (l->last <= l->due ? OTIF_YES : OTIF_NO);
	if (status_is(l, OTIF_STATUS_CANCELLED) == OTIF_YES)
		return OTIF_NO;
	if (l->today > l->due)
		return OTIF_NO;
	return OTIF_UNKNOWN;
}

OtifTruth
otif_in_full(const OtifLine *l)
{
	if (not_measured(l))
		return OTIF_UNKNOWN;
	if (status_is(l, OTIF_STATUS_SHIPPED) == OTIF_YES)
		return OTIF_YES;
	if (status_is(l, OTIF_STATUS_CANCELLED) == OTIF_YES)
		return OTIF_NO;
	return OTIF_UNKNOWN;
}
