/*
 * txn_notes.h — a transaction's list of notes that follow its
 * sub-transactions: what the order triggers write down for the commit
 * pass (reserve_notes.c) and for the lifetime bookkeeping
 * (lifetime_tracking.c).
 *
 * Notes are appended in time order.  A note written in a sub-transaction
 * that rolls back is dropped.  A pass takes every pending note (pending
 * notes are always a suffix) and marks them taken by its sub-transaction; if
 * that sub-transaction rolls back, the pass's writes are gone and the notes
 * are pending again.  The list lives in TopTransactionContext and is
 * forgotten when the transaction ends.
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
} TxnNoteList;

#define TXN_NOTE_LIST(type, what) {(what), sizeof(type), NULL, 0, 0, false}

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

/* Index of the first pending note (l->n when none is) */
extern int	txn_notes_first_pending(TxnNoteList *l);

/* The pending notes, marked taken by the current sub-transaction; sets *n */
extern void *txn_notes_take(TxnNoteList *l, int *n);

#endif							/* CRMSCM_TXN_NOTES_H */
