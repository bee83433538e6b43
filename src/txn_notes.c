/*
 * txn_notes.c — a transaction's notes that follow its sub-transactions
 * (txn_notes.h).
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"

#include "txn_notes.h"

static void
txn_notes_xact_callback(XactEvent event, void *arg)
{
	TxnNoteList *l = arg;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			l->items = NULL;	/* freed with TopTransactionContext */
			l->n = l->cap = 0;
			break;
		default:
			break;
	}
}

/*
 * A sub-transaction's notes are a suffix of the list (its children's were
 * relabelled or dropped when they ended), and the notes a pass inside it
 * took sit right before them.
 */
static void
txn_notes_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						   SubTransactionId parentSubid, void *arg)
{
	TxnNoteList *l = arg;
	int			i;

	if (l->n == 0)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		while (l->n > 0 && txn_note_header(l, l->n - 1)->created == mySubid)
			l->n--;
		for (i = l->n - 1; i >= 0 && txn_note_header(l, i)->taken == mySubid; i--)
			txn_note_header(l, i)->taken = InvalidSubTransactionId;
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (i = l->n - 1; i >= 0; i--)
		{
			TxnNoteHeader *h = txn_note_header(l, i);

			if (h->created != mySubid && h->taken != mySubid)
				break;
			if (h->created == mySubid)
				h->created = parentSubid;
			if (h->taken == mySubid)
				h->taken = parentSubid;
		}
	}
}

void *
txn_note_add(TxnNoteList *l)
{
	TxnNoteHeader *h;

	if (!l->registered)
	{
		RegisterXactCallback(txn_notes_xact_callback, l);
		RegisterSubXactCallback(txn_notes_subxact_callback, l);
		l->registered = true;
	}
	if (l->n == l->cap)
	{
		int			cap = l->cap == 0 ? 64 : l->cap * 2;

		if ((Size) cap > MaxAllocHugeSize / l->size)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many changes in one transaction for %s", l->what)));
		if (l->items == NULL)
			l->items = MemoryContextAllocHuge(TopTransactionContext, cap * l->size);
		else
			l->items = repalloc_huge(l->items, cap * l->size);
		l->cap = cap;
	}
	h = txn_note_at(l, l->n++);
	memset(h, 0, l->size);
	h->created = GetCurrentSubTransactionId();
	h->taken = InvalidSubTransactionId;
	return h;
}

int
txn_notes_first_pending(TxnNoteList *l)
{
	int			first = l->n;

	while (first > 0 && txn_note_header(l, first - 1)->taken == InvalidSubTransactionId)
		first--;
	return first;
}

void *
txn_notes_take(TxnNoteList *l, int *n)
{
	int			first = txn_notes_first_pending(l);
	SubTransactionId subid = GetCurrentSubTransactionId();
	int			i;

	*n = l->n - first;
	for (i = first; i < l->n; i++)
		txn_note_header(l, i)->taken = subid;
	return *n > 0 ? txn_note_at(l, first) : NULL;
}
