/*
 * promise.h — time-phased available-to-promise of one item (doc/synergy.md).
 *
 * Plain C, no PostgreSQL headers.  The kernel replays what the reservation
 * engine (src/reserve_rules.c) would do with the stock of one item if no
 * other demand arrived, the dated purchase order lines arrived on their
 * expected day and the item's lead time supplied anything beyond them:
 *
 *   - a new request first reserves what it may from the available stock of
 *     its candidate warehouses, in their rank order (nearest first), as
 *     reserve_more() does;
 *   - the rest waits in the backorder queue of its home warehouse (the
 *     preferred one, else the nearest) at its place in the queue order
 *     (priority desc, then tier, then age: a request is the newest);
 *   - each receipt fills the queue of its warehouse in queue order, as
 *     fill_queue() does;
 *   - on the lead-time day everything still waiting is covered.
 *
 * Allocation rules ("fences"): a tier may reserve only while the available
 * stock stays above the share of on hand that the rules protect for better
 * tiers (share of each better tier times on hand).
 *
 * Quantities are exact: integers in units of 10^-scale (the caller chooses
 * the scale, at least the number of decimals of any quantity plus those of
 * the shares, so every fence is a whole number of units).  Days are day
 * numbers (any epoch, consistently).
 */
#ifndef CRMSCM_PROMISE_H
#define CRMSCM_PROMISE_H

#include <stdint.h>

/*
 * 8-byte aligned, as PostgreSQL's own int128: memory from malloc or palloc
 * is only guaranteed that (GCC would otherwise use 16-byte aligned moves)
 */
typedef __int128 pq_qty __attribute__((aligned(8)));

#define PQ_TIERS 3				/* tier 0 = A (best), 1 = B, 2 = C */

typedef enum PqSource
{
	PQ_NONE = 0,
	PQ_STOCK = 1,				/* stock on hand now */
	PQ_PURCHASE = 2,			/* a dated purchase order line */
	PQ_LEAD = 3					/* the item's lead time, beyond known supply */
} PqSource;

/* The allocation rules of an item: share[t] / unit of on hand only tier t or better may reserve */
typedef struct PqRules
{
	int64_t		share[PQ_TIERS];
	int64_t		unit;			/* > 0 */
} PqRules;

/* An open, dated purchase quantity (receipts of one warehouse sorted by day, then in arrival order) */
typedef struct PqReceipt
{
	int32_t		day;
	pq_qty		qty;
} PqReceipt;

/* One waiting backorder (a queue is given in queue order) */
typedef struct PqEntry
{
	pq_qty		need;			/* in: units still to cover (qty - allocated) */
	int32_t		priority;		/* in: higher first */
	int			tier;			/* in: 0 = A .. 2 = C */
	int32_t		day;			/* out: the day its need is covered */
	PqSource	source;			/* out: what completed it */
} PqEntry;

/* The stock of the item in one warehouse */
typedef struct PqSite
{
	pq_qty		on_hand;
	pq_qty		available;		/* on hand - reserved */
	const PqReceipt *receipts;
	int			nreceipts;
	PqEntry    *queue;
	int			nqueue;
} PqSite;

/* A part of a promise: qty units of site, covered on day by source */
typedef struct PqRow
{
	int			site;
	int32_t		day;
	pq_qty		qty;
	PqSource	source;
} PqRow;

typedef struct PqRequest
{
	pq_qty		qty;			/* > 0 */
	int32_t		priority;
	int			tier;
	int			home;			/* index of the site it waits in */
	int			only_home;		/* a preferred warehouse: reserve only there */
	int32_t		today;
	int32_t		lead_day;		/* today + lead time */
} PqRequest;

/*
 * Called every few thousand steps of work (for the caller's interrupt
 * checks); may longjmp: the kernel allocates nothing.
 */
typedef void (*PqTick) (void *arg);

/* Units of on hand the rules protect from tier (for tiers better than it) */
extern pq_qty pq_fence(const PqRules *r, int tier, pq_qty on_hand);

/* Where a new request (the newest) joins a queue given in queue order */
extern int	pq_queue_position(const PqEntry *queue, int n, int32_t priority, int tier);

/*
 * The day each entry of a site's queue is covered, and by what (entries that
 * need nothing: today, stock).  scratch: room for nqueue pq_qty.
 */
extern void pq_cover_queue(PqSite *site, const PqRules *r, int32_t today, int32_t lead_day,
						   pq_qty *scratch, PqTick tick, void *tick_arg);

/*
 * A promise for a request over sites given in rank order (nearest first).
 * rows: room for nsites + home's nreceipts + 2 rows; scratch_entries: room
 * for home's nqueue + 1 entries; scratch: room for nqueue + 1 pq_qty.
 * Returns the number of rows: stock rows in rank order, then the parts
 * covered later at the home site in time order (consecutive parts of one
 * day and source merged).  The sites' queues are left as given.
 */
extern int	pq_promise(const PqRequest *rq, const PqSite *sites, int nsites, const PqRules *r,
					   PqRow *rows, PqEntry *scratch_entries, pq_qty *scratch,
					   PqTick tick, void *tick_arg);

#endif							/* CRMSCM_PROMISE_H */
