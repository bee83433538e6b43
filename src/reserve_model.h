/*
 * reserve_model.h — the reservation engine's in-memory model of one
 * tenant's commit pass, and the allocation rules that run on it
 * (reserve_rules.c; doc/orders.md).
 *
 * The pass (reserve.c) loads the rows a transaction's changes touch into
 * these structures, the rules change them in memory, and the pass writes the
 * result back.  The rules do no I/O: everything they need is loaded before
 * they run (the tenant's warehouses, the locked inventory rows, the
 * holdings of the lines), except a waiting line of another order, which the
 * take_line callback locks (or finds held).
 */
#ifndef CRMSCM_RESERVE_MODEL_H
#define CRMSCM_RESERVE_MODEL_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "utils/hsearch.h"

#include "geo.h"
#include "reserve.h"


#define ORDER_DRAFT		0
#define ORDER_CONFIRMED 1
#define ORDER_CANCELLED 2
#define ORDER_CLOSED	3

#define LINE_OPEN		'o'
#define LINE_CANCELLED	'c'
#define LINE_SHIPPED	's'

typedef struct Wh
{
	int64		id;
	bool		has_loc;
	GeoPoint	loc;
} Wh;

typedef struct Ord
{
	int64		order_id;		/* hash key */
	int			status;
	int32		priority;
	bool		ship_null;
	GeoPoint	ship_to;
	bool		whole;			/* noted itself: every line of it is reconciled */
	int64	   *rank;			/* the tenant's warehouses nearest to ship_to
								 * first (NULL until needed) */
	int			nrank;
	bool		all_or_nothing; /* fill_policy all_or_nothing (#15) */
	char		tier;			/* the customer's tier 'A', 'B', 'C' (0: C);
								 * set by stages_before_rules() */
} Ord;

typedef struct Inv
{
	int64		item;
	int64		wh;
	Datum		on_hand;
	Datum		reserved;
	Datum		on_order;
	Datum		avail0;			/* available when locked */
	Datum		moved;			/* sum of this pass's stock moves */
	bool		negative_move;
	bool		dirty;
	Datum		on_order0;		/* on order when locked (#15: events) */
} Inv;

typedef struct Hold
{
	bool		is_bo;
	int64		id;				/* reservation_id / backorder_id; 0: new */
	int			seq;			/* new rows: creation order */
	int64		order_id;
	int32		line_no;
	int64		item;
	int64		wh;
	Datum		qty;
	Datum		allocated;		/* backorders */
	int32		priority;		/* backorders */
	TimestampTz created_at;		/* backorders */
	bool		deleted;
	bool		dirty;
	bool		add;			/* reservation: qty is an amount to add to the
								 * line's (possibly unloaded) row */
	struct Hold *next;			/* the line's next holding */
	Datum		qty0;			/* qty when loaded (0 for new rows; #15: events) */
	char		tier;			/* backorders: 'A', 'B', 'C' (0: C) */
} Hold;

typedef struct LineKey
{
	int64		order_id;
	int32		line_no;
} LineKey;

typedef struct Line
{
	LineKey		key;			/* hash key */
	bool		reconcile;		/* noted: bring its holdings to its target */
	bool		exists;
	bool		inserted;		/* new in this transaction, never reserved */
	bool		loaded;			/* its holdings are in memory */
	bool		mine;			/* locked by this transaction (noted lines) */
	bool		other;			/* a waiting line the pass locked to fill it */
	bool		tried;			/* a waiting line some other transaction holds */
	bool		dirty;
	int64		item;
	int64		note_item;		/* item named by the note (deleted lines) */
	Datum		qty;
	Datum		shipped;
	Datum		reserved;
	Datum		backordered;
	char		status;
	bool		pref_null;
	int64		pref;
	Ord		   *ord;
	Hold	   *holds;
} Line;

typedef struct Pass
{
	int64		tenant;
	MemoryContext cxt;
	Datum		zero;
	Wh		   *whs;
	int			nwh;
	bool		whs_loaded;
	HTAB	   *orders;
	HTAB	   *lines;
	Inv		   *inv;			/* sorted by (item, wh) */
	int			ninv;
	Hold	  **holds;			/* every holding in memory */
	int			nholds;
	int			capholds;
	int			newseq;
	HTAB	   *bo_by_id;
	/* take a waiting line of another order, or NULL if another transaction holds it */
	struct Line *(*take_line) (struct Pass *p, int64 order_id, int32 line_no);
	struct Fill *fills;			/* backorder fills of this pass (#15: events) */
	int			nfills;
	int			capfills;
	Oid			nsp;			/* crmscm's schema (#15: events) */
	/* allocation rules of the pass's items (allocation.c), or NULL */
	struct AllocRules *alloc;
} Pass;

/* Units of a backorder that became a line's reservation in this pass */
typedef struct Fill
{
	int64		order_id;
	int32		line_no;
	int64		item;
	int64		wh;
	Datum		qty;
} Fill;

typedef struct BoEntry
{
	int64		id;
	Hold	   *h;
} BoEntry;

typedef struct RankEnt
{
	int64		id;
	bool		has_d;
	double		d;
} RankEnt;

/* least(a, b) as SQL computes it: b only when strictly smaller */
static inline Datum
num_least(Datum a, Datum b)
{
	return num_cmp(b, a) < 0 ? b : a;
}

static inline bool
num_pos(Datum a, Datum zero)
{
	return num_cmp(a, zero) > 0;
}

static inline Datum
available(Inv *v)
{
	return num_sub(v->on_hand, v->reserved);
}

/* ---- the model (reserve_rules.c) ---- */
extern Line *line_get(Pass *p, int64 order_id, int32 line_no, bool create);
extern Inv *inv_find(Pass *p, int64 item, int64 wh);
extern Inv *inv_must(Pass *p, int64 item, int64 wh);
extern Hold *hold_new(Pass *p, bool is_bo, Line *l, int64 wh);
extern void hold_attach(Line *l, Hold *h);

/* ---- the rules (reserve_rules.c) ---- */
extern void order_rank(Pass *p, Ord *o);
extern int64 backorder_wh(Pass *p, Line *l);
extern void reserve_more(Pass *p, Line *l, Datum qty);
extern void release(Pass *p, Line *l, Datum qty);
extern void convert_allocated(Pass *p, Line *l, Hold *b);
extern void reconcile(Pass *p, Line *l);
extern int	queue_cmp(const void *a, const void *b);
extern void fill_queue(Pass *p, Inv *iv, Hold **queue, int n);
/* #15: a noted line of a confirmed all_or_nothing order that is not held in full */
extern bool line_short(Line *l, Datum zero);
/* #15: refuse the pass if a noted line of an all_or_nothing order is short */
extern void check_fill_policy(Pass *p, Line **rec, int nrec);

/* ---- allocation by customer value (allocation.c) ---- */
/* rank of a tier in the queue order: A 0, B 1, C (or unset) 2 */
static inline int
tier_rank(char t)
{
	return t == 'A' ? 0 : (t == 'B' ? 1 : 2);
}

/*
 * What of avail a line of this tier may reserve at v: avail less the fence
 * the item's allocation rules keep for better tiers (avail itself, the same
 * Datum, when the item has no rules)
 */
extern Datum alloc_allowed(Pass *p, Inv *v, char tier, Datum avail);

/* ---- stages of the pass (reserve_stages.c) ---- */
/* after loading and locking, before the rules run (may load what the rules need) */
extern void stages_before_rules(Pass *p, Note *ns, int n);
/* after every noted line is reconciled and the queues are filled, before writing */
extern void stages_before_flush(Pass *p, Note *ns, int n);
/* after writing (the tenant's rows are current and still locked) */
extern void stages_after_flush(Pass *p, Note *ns, int n);
/* #15: LISTEN/NOTIFY events of the pass (reserve_events.c) */
extern void events_after_flush(Pass *p, Note *ns, int n);

/*
 * Run a kept statement that reads or writes rows by their key, planned
 * with sequential scans off (reserve.c): SPI_execute_plan's result
 */
extern int	crmscm_exec_by_key(SPIPlanPtr plan, Datum *args, const char *nulls);

#endif							/* CRMSCM_RESERVE_MODEL_H */
