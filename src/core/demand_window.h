/*
 * demand_window.h — the kept daily demand series of one item and
 * warehouse, and its profile over a window, in plain C (no PostgreSQL
 * headers); issue #18, doc/replenishment.md.
 *
 * A series is a packed byte string of entries (day, qty, revenue), 20
 * bytes each (int32 day as a PostgreSQL date, then two doubles, stored
 * unaligned, native byte order), strictly increasing in day, each with
 * qty or revenue non-zero: the daily totals of the days that had demand.
 * The profile of a window [start, end] expands it into the dense daily
 * series (missing days zero) and runs the same kernels as the aggregate
 * crmscm.demand_class (ro_classify, then SES or SBA with alpha = beta), so
 * the kept state and a recomputation from the order history agree to the
 * last bit whenever their daily totals do.
 */
#ifndef CRMSCM_DEMAND_WINDOW_H
#define CRMSCM_DEMAND_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "reorder.h"

#define DW_ENTRY_SIZE 20
#define DW_MAX_DAYS 36600		/* as the demand aggregates (RO_MAX_DAYS) */

typedef struct DwEntry
{
	int32_t		day;
	double		qty;
	double		revenue;
} DwEntry;

typedef enum DwStatus
{
	DW_OK = 0,
	DW_CORRUPT,					/* length not a multiple of 20, days not increasing,
								 * values not finite */
	DW_TOO_LONG,				/* window longer than DW_MAX_DAYS */
	DW_BAD_WINDOW				/* start after end */
} DwStatus;

/* Number of entries of a packed series of len bytes, or -1 if len is not a multiple. */
extern long dw_count(size_t len);
extern void dw_get(const unsigned char *buf, long i, DwEntry *e);
extern void dw_put(unsigned char *buf, long i, const DwEntry *e);

/* Check a packed series: DW_OK or DW_CORRUPT. */
extern DwStatus dw_check(const unsigned char *buf, size_t len);

/*
 * Merge: out = the entries of buf with day >= keep_from, with the entries of
 * add (sorted by day, unique) replacing those of their day; entries whose
 * qty and revenue are both 0 are dropped.  out must have room for
 * count(buf) + nadd entries; returns the number of bytes written.
 */
extern size_t dw_merge(const unsigned char *buf, size_t len, int32_t keep_from,
					   const DwEntry *add, long nadd, unsigned char *out);

typedef struct DwProfile
{
	DemandProfile prof;			/* ro_classify of the window */
	double		forecast;		/* SES (smooth) or SBA, alpha = beta; 0 without demand */
	double		revenue;		/* sum of revenue over the window */
} DwProfile;

/*
 * The profile of the window [start, end] from the kept entries (buf) and
 * more entries (extra, any order, days may repeat: added up), with
 * smoothing alpha.  y must have room for end - start + 1 doubles.
 */
extern DwStatus dw_profile(const unsigned char *buf, size_t len,
						   const DwEntry *extra, long nextra,
						   int32_t start, int32_t end, double alpha,
						   double *y, DwProfile *out);

#endif							/* CRMSCM_DEMAND_WINDOW_H */
