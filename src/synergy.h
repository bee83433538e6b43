/*
 * synergy.h — CRM ⇄ SCM synergy I (issue #17, doc/synergy.md): promises,
 * allocation by customer value, delivery performance.
 *
 *   src/core/promise.c   the time-phased ATP kernel (plain C)
 *   src/promise.c        loading one item's stock, queue and purchases;
 *                        crmscm.promise(), crmscm.promise_queue()
 *   src/promise_stage.c  the commit pass's stage that keeps backorders' and
 *                        lines' promises and the lines' shipment days
 *   src/allocation.c     tiers and allocation rules inside the pass,
 *                        crmscm.rebalance()
 *   src/core/otif.h      on time, in full for one line (plain C)
 *   src/delivery_performance.c  its SQL faces for the view
 */
#ifndef CRMSCM_SYNERGY_H
#define CRMSCM_SYNERGY_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/date.h"

#include "geo.h"
#include "promise.h"
#include "reserve_model.h"

/* ---- settings (promise.c) ---- */
extern int	crmscm_max_promise_queue;
extern int	crmscm_otif_tolerance_days;
extern void crmscm_define_promise_settings(void);

/* ---- one item of one tenant, as the promise kernel needs it (promise.c) ---- */

typedef struct ItemBo
{
	int64		id;
	int64		order_id;
	int32		line_no;
	int64		wh;
	Datum		qty;
	Datum		allocated;
	int32		priority;
	char		tier;
	bool		has_date;
	DateADT		promised_date;	/* stored */
	int			source;			/* stored PqSource, PQ_NONE if NULL */
	DateADT		new_date;		/* computed */
	int			new_source;
} ItemBo;

typedef struct ItemRc
{
	int64		wh;
	DateADT		day;
	Datum		qty;
} ItemRc;

typedef struct ItemSite
{
	int64		wh;
	bool		has_loc;
	GeoPoint	loc;
	Datum		on_hand;
	Datum		available;
	int			first_bo,
				nbo;			/* its queue in ItemData.bos */
	int			first_rc,
				nrc;			/* its receipts in ItemData.rcs */
} ItemSite;

typedef struct ItemData
{
	int64		tenant;
	int64		item;
	ItemSite   *sites;			/* every warehouse of the tenant, by id */
	int			nsites;
	ItemBo	   *bos;			/* by warehouse, then queue order */
	int			nbos;
	ItemRc	   *rcs;			/* dated open purchase lines, by warehouse, day */
	int			nrcs;
	int32		lead_days;		/* ceil(items.lead_time_days) */
	bool		has_rules;
	Datum		share[PQ_TIERS];	/* allocation rules (0 where none) */
	DateADT		today;
} ItemData;

/* The UTC day of the transaction's start */
extern DateADT utc_today(void);

/*
 * Load one item (the caller runs in an SPI connection, as crmscm: the
 * engine's scope); false if the item does not exist.  More backorders than
 * crmscm.max_promise_queue is an error (54000) when error_on_limit, else
 * false.  lazy: an item without backorders is loaded no further (nothing
 * but its empty queue is set).
 */
extern bool item_load(Oid nsp, int64 tenant, int64 item, ItemData *d, bool error_on_limit, bool lazy);

/* The new day and source of every backorder of d (ItemBo.new_date/new_source) */
extern void item_cover_queues(ItemData *d);

extern const char *pq_source_name(int src);
extern int	pq_source_of(const char *name);

/* ---- the commit pass's stages ---- */
extern void alloc_before_rules(Pass *p, Note *ns, int n);
extern void promise_after_flush(Pass *p, Note *ns, int n);

/*
 * Keep the promises of items whose stock or queue changed (the caller holds
 * their inventory rows): every backorder's day, and the lines of lines[]
 * (those the caller holds or may take with SKIP LOCKED, as given by
 * order_ids) plus the lines whose backorders moved.  Shared by the pass and
 * rebalance().
 */
typedef struct PromiseLineHint
{
	int64		order_id;
	int32		line_no;
	int64		item;
	int			shipped_calls;	/* > 0: ship() took some of it in this pass */
} PromiseLineHint;

extern void promise_refresh(Oid nsp, int64 tenant, int64 *items, int nitems,
							PromiseLineHint *hints, int nhints);

#endif							/* CRMSCM_SYNERGY_H */
