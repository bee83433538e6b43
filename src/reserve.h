/*
 * reserve.h — the reservation engine (doc/orders.md).
 *
 * Order/inventory changes are written down at statement time by thin
 * triggers (reserve_notes.c) and worked off in one pass at commit
 * (reserve.c): per tenant in ascending order, every inventory row of the
 * touched items is locked in (item_id, warehouse_id) order, the
 * allocation rules run in C on an in-memory copy of the rows involved, and
 * the result is written back in a few set-based statements.  Then the
 * customer-lifetime bookkeeping books the same transaction
 * (lifetime_tracking.c).  One lock order for the whole commit.
 */
#ifndef CRMSCM_RESERVE_H
#define CRMSCM_RESERVE_H

#include "postgres.h"

#include "access/xact.h"
#include "access/htup.h"
#include "fmgr.h"
#include "access/tupdesc.h"
#include "executor/spi.h"
#include "utils/relcache.h"

#include "txn_notes.h"

/* ---- the engine writes (guard.c) ------------------------------------- */

/*
 * True while crmscm's own code writes the columns it maintains (inventory
 * quantities, the qty_* columns of lines, reservations, backorders,
 * shipment moves).  The guard trigger lets those writes through and
 * refuses every other; the note triggers ignore them (the engine notes
 * what it must itself).  Set only through engine_begin()/engine_end(),
 * reset at transaction and sub-transaction abort.
 */
extern bool crmscm_engine_writing;

typedef struct EngineScope
{
	bool		was_writing;
	Oid			save_userid;
	int			save_sec_context;
} EngineScope;

/* Start writing as crmscm: the extension owner's rights, the flag on */
extern void engine_begin(EngineScope *scope);
/* The schema crmscm lives in (its owner is whose rights the engine uses) */
extern void engine_set_schema(Oid nsp);
/* ... and the schema last set (InvalidOid before any) */
extern Oid	engine_get_schema(void);
extern Oid	crmscm_schema_of(FunctionCallInfo fcinfo);
/* Refuse a trigger fired by another table than crmscm's own (or its Citus shard) */
extern void crmscm_check_table(FunctionCallInfo fcinfo, const char *table);
extern void engine_end(EngineScope *scope);
/* Run a kept plan as crmscm, the engine flag as given; SPI's code (guard.c) */
extern int	engine_run(SPIPlanPtr plan, Datum *args, const char *nulls, bool read_only, bool writing);
/* Prepare and keep a plan, or ERROR naming what (guard.c) */
extern SPIPlanPtr crmscm_keep_plan(const char *what, const char *sql, int nargs, Oid *types, int options);

/* The UPDATE half of the guard (guard.c): the row to store */
extern HeapTuple crmscm_guard_update(Relation rel, HeapTuple oldtup, HeapTuple newtup,
									 const char *const *cols, int ncols);
extern bool crmscm_attr_changed(TupleDesc desc, int attnum, HeapTuple oldtup, HeapTuple newtup);

/* #15 upserts: the visible row with tup's primary key, or NULL (guard.c) */
extern HeapTuple crmscm_row_by_key(Relation rel, HeapTuple tup);
extern bool crmscm_attrs_equal(TupleDesc desc, HeapTuple a, HeapTuple b, const char **names, int n);

/* ---- notes (reserve_notes.c) ------------------------------------------ */

typedef enum NoteKind
{
	NOTE_LINE,					/* a line changed: reconcile it (a = order, b = line, c = item) */
	NOTE_ORDER,					/* an order's status changed: reconcile its lines (a = order) */
	NOTE_MOVE,					/* a stock move: on_hand += qty (a = item, b = warehouse) */
	NOTE_SHIP,					/* ship() took qty of a reservation (a = item, b = warehouse,
								 * c = reservation_id, d = order, e = line) */
	NOTE_ON_ORDER,				/* purchase order lines changed: recount on_order (a = item,
								 * b = warehouse) */
	/* replenishment (issue #18; demand_state.c, supplier_stats.c): the engine ignores them */
	NOTE_DEMAND,				/* an order line or order changed: its demand as last booked
								 * (a = order, b = line or -1 for the order, extra = DemandSnap) */
	NOTE_RECEIPT,				/* a purchase line was received (a = po, b = line, c = item,
								 * d = warehouse, qty = units, extra = ReceiptNote) */
	NOTE_PO_CLOSED				/* an ordered purchase order became received (b = 1) or
								 * cancelled (b = 0) (a = po) */
} NoteKind;

typedef struct Note
{
	TxnNoteHeader h;			/* txn_notes.h */
	NoteKind	kind;
	bool		inserted;		/* NOTE_LINE: the line was inserted by this
								 * transaction and never reserved since */
	int64		tenant;
	int64		a;
	int64		b;
	int64		c;
	int64		d;
	int64		e;
	Datum		qty;			/* numeric in TopTransactionContext, or 0 */
	void	   *extra;			/* kind-specific, in TopTransactionContext, or NULL */
} Note;

extern Note *note_add(NoteKind kind, int64 tenant, int64 a, int64 b, int64 c);
/*
 * A copy of the pending notes (of one tenant, or all), marked as taken by
 * this sub-transaction
 */
extern Note *notes_take(bool one_tenant, int64 tenant, int *n);
extern bool notes_pending(bool one_tenant, int64 tenant);
/* Quantity of reservation res_id that ship() already took in this transaction */
extern Datum notes_shipped_from(int64 tenant, int64 res_id, Datum zero);
/* Does the transaction hold a pending note of this line? */
extern bool notes_line_pending(int64 tenant, int64 order_id, int32 line_no);

/* ---- the pass (reserve.c) ---------------------------------------------- */

/*
 * Work off every pending note; at commit, then the lifetime bookkeeping
 * (before commit it waits for the commit: it locks customers, which come
 * after inventory in the lock order).  nsp = crmscm's schema.
 */
extern void reserve_pass(Oid nsp, bool at_commit);

/*
 * Work off the pending notes of one tenant now; with lifetime, then its
 * lifetime bookkeeping when no other tenant's is pending (else that waits
 * for the commit).  reserve_pending(tenant) does both: everything the
 * commit would do for the tenant, so that its errors come now, with their
 * own SQLSTATE (on Citus, the commit of a transaction on one worker reports
 * them as XX000; doc/citus.md).  ship() does the first for its tenant (on
 * Citus it may touch no other tenant's shards).
 */
extern void reserve_pass_tenant(Oid nsp, int64 tenant, bool lifetime);

/* a pass runs inside another (statements kept per backend stay as they are) */
extern bool reserve_pass_nested(void);

/* ---- shared helpers ---------------------------------------------------- */

extern int	num_cmp(Datum a, Datum b);
extern Datum num_add(Datum a, Datum b);
extern Datum num_sub(Datum a, Datum b);
extern Datum num_zero(void);
extern bool num_is_zero(Datum a);

/* #15: registers crmscm.reorder_events (reserve_events.c); from _PG_init */
extern void crmscm_define_events_settings(void);

/* ---- Citus (citus.c) ---------------------------------------------------- */

/* Is the citus extension installed in this database? */
extern bool crmscm_on_citus(void);
/*
 * Cursor options for the engine's kept SPI plans: custom plans on Citus
 * (it routes on the parameters' values only), else generic ones when
 * generic_elsewhere, else PostgreSQL's choice.
 */
extern int	crmscm_plan_options(bool generic_elsewhere);
/* The same for a stage's statement: custom where a parameter is an array */
extern int	crmscm_plan_options_for(int nargs, const Oid *types);

/* Lifetime bookkeeping of the commit (lifetime_tracking.c) */
extern void lifetime_flush_pending(Oid nsp);
extern bool lifetime_pending(void);
/* The same now, if every pending note is of this tenant; returns whether it ran */
extern bool lifetime_flush_tenant_alone(Oid nsp, int64 tenant);

/* On Citus: does this node hold the tenant's shards of crmscm's tables? (citus.c) */
extern bool crmscm_citus_tenant_is_local(Oid nsp, int64 tenant);

#endif							/* CRMSCM_RESERVE_H */
