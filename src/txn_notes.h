/*
 * txn_notes.h — a transaction's list of notes that follow its
 * sub-transactions: what the order triggers write down for the commit
 * pass (reserve_notes.c) and for the lifetime bookkeeping
 * (lifetime_tracking.c).
 *
 * Notes are appended in time order.  A note written in a sub-transaction
 * that rolls back is dropped.  A pass takes the pending notes and marks them
 * taken by its sub-transaction; if that sub-transaction rolls back, the
 * pass's writes are gone and the notes are pending again.  The list lives in
 * TopTransactionContext and is forgotten when the transaction ends.
 *
 * Every note has a tenant (an int64 field "tenant" of the note's struct).
 * Normally a pass takes every pending note, and the pending notes are a
 * suffix of the list.  reserve_pending(tenant) takes one tenant's notes
 * only; when another tenant's are pending too, pending and taken notes
 * interleave from then on ("mixed") and the list is scanned whole (rare: a
 * transaction that writes to several tenants and works one off early).
 */
#ifndef CRMSCM_TXN_NOTES_H
#define CRMSCM_TXN_NOTES_H

#include "postgres.h"

/* Every note starts with this */
typedef struct TxnNoteHeader
{
	SubTransactionId created;	/* sub-transaction that wrote the note */
	SubTransactionId taken;		/* sub-transaction whose pass took it, or
								 * InvalidSubTransactionId: pending */
} TxnNoteHeader;

typedef struct TxnNoteList
{
	const char *what;			/* what the notes are for (error messages) */
	Size		size;			/* of one note */
	char	   *items;
	int			n;
	int			cap;
	bool		registered;
	Size		tenant_off;		/* offset of the note's int64 tenant */
	bool		mixed;			/* pending notes are not a suffix */
} TxnNoteList;

#define TXN_NOTE_LIST(type, what) {(what), sizeof(type), NULL, 0, 0, false, offsetof(type, tenant), false}

/* A new zeroed note at the end, written by the current sub-transaction */
extern void *txn_note_add(TxnNoteList *l);

static inline void *
txn_note_at(TxnNoteList *l, int i)
{
	return l->items + (Size) i * l->size;
}

static inline TxnNoteHeader *
txn_note_header(TxnNoteList *l, int i)
{
	return (TxnNoteHeader *) txn_note_at(l, i);
}

static inline bool
txn_note_is_pending(TxnNoteList *l, int i)
{
	return txn_note_header(l, i)->taken == InvalidSubTransactionId;
}

static inline int64
txn_note_tenant(TxnNoteList *l, int i)
{
	return *(int64 *) ((char *) txn_note_at(l, i) + l->tenant_off);
}

/*
 * Index of the first note that may be pending (l->n when none is); test
 * each note from there with txn_note_is_pending().
 */
extern int	txn_notes_first_pending(TxnNoteList *l);

/* Is a note pending (of this tenant, if one_tenant)? */
extern bool txn_notes_pending(TxnNoteList *l, bool one_tenant, int64 tenant);

/*
 * A copy (palloc'd in the current memory context, in time order) of the
 * pending notes, of this tenant if one_tenant, marked taken by the current
 * sub-transaction; sets *n; NULL when there is none.
 */
extern void *txn_notes_take(TxnNoteList *l, bool one_tenant, int64 tenant, int *n);

#endif							/* CRMSCM_TXN_NOTES_H */
