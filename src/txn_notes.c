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
			l->mixed = false;
			break;
		default:
			break;
	}
}

/*
 * A sub-transaction's notes are a suffix of the list (its children's were
 * relabelled or dropped when they ended), and the notes a pass inside it
 * took sit right before them, unless the list is mixed: then the whole list
 * is looked at.
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
		for (i = l->n - 1; i >= 0; i--)
		{
			if (txn_note_header(l, i)->taken == mySubid)
				txn_note_header(l, i)->taken = InvalidSubTransactionId;
			else if (!l->mixed)
				break;
		}
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (i = l->n - 1; i >= 0; i--)
		{
			TxnNoteHeader *h = txn_note_header(l, i);

			if (h->created != mySubid && h->taken != mySubid)
			{
				if (!l->mixed)
					break;
				continue;
			}
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

	if (l->mixed)
		return 0;
	while (first > 0 && txn_note_is_pending(l, first - 1))
		first--;
	return first;
}

bool
txn_notes_pending(TxnNoteList *l, bool one_tenant, int64 tenant)
{
	int			i;

	for (i = l->n - 1; i >= 0; i--)
	{
		if (!txn_note_is_pending(l, i))
		{
			if (!l->mixed)
				break;
			continue;
		}
		if (!one_tenant || txn_note_tenant(l, i) == tenant)
			return true;
	}
	return false;
}

void *
txn_notes_take(TxnNoteList *l, bool one_tenant, int64 tenant, int *n)
{
	SubTransactionId subid = GetCurrentSubTransactionId();
	int			first = txn_notes_first_pending(l);
	int			m = 0;
	bool		others = false;
	char	   *copy;
	int			i;

	*n = 0;
	for (i = first; i < l->n; i++)
		if (txn_note_is_pending(l, i))
		{
			if (one_tenant && txn_note_tenant(l, i) != tenant)
				others = true;
			else
				m++;
		}
	if (m == 0)
		return NULL;
	copy = palloc_extended((Size) m * l->size, MCXT_ALLOC_HUGE);
	for (i = first; i < l->n; i++)
		if (txn_note_is_pending(l, i) && (!one_tenant || txn_note_tenant(l, i) == tenant))
		{
			txn_note_header(l, i)->taken = subid;
			memcpy(copy + (Size) (*n)++ * l->size, txn_note_at(l, i), l->size);
		}
	if (others)
		l->mixed = true;
	return copy;
}
