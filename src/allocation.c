/*
 * allocation.c — allocation by customer value inside the reservation engine
 * (issue #17, doc/synergy.md).
 *
 * Tiers: every order's customer has a tier, A (best), B or C (the default),
 * from crmscm.customer_tiers.  The backorder queue is ordered by priority,
 * then tier, then age, then id (queue_cmp() in reserve_rules.c, the index
 * backorders_queue_order_idx); a backorder keeps the tier it was made with
 * until crmscm.rebalance() gives it the customer's current one.
 *
 * Allocation rules ("fences"): crmscm.allocation_rules (item_id, tier,
 * share) protects share x on hand of each warehouse's stock of the item for
 * that tier or better.  A line of a worse tier may reserve, and a backorder
 * of a worse tier be filled, only while the available stock stays above the
 * fences of the tiers better than its own (alloc_allowed(), called by
 * reserve_more() and fill_queue()).  Without rules it returns the available
 * stock unchanged, so the engine's results are those of 0.2.0.
 *
 * The stage before the rules (alloc_before_rules()) loads both.  A change of
 * the rules notes every warehouse of the item for the pass (a recount of on
 * order, which changes nothing else), and the pass then tries the queues of
 * items with rules even when no stock arrived: a fence lowered by a rule or
 * by a shipment may let a waiting backorder take stock.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "synergy.h"

typedef struct AllocItem
{
	int64		item;
	Datum		share[PQ_TIERS];
	bool		has[PQ_TIERS];
} AllocItem;

typedef struct AllocRules
{
	AllocItem  *v;				/* sorted by item */
	int			n;
} AllocRules;

typedef struct AllocPlans
{
	Oid			nsp;
	SPIPlanPtr	tiers;
	SPIPlanPtr	rules;
	/*
	 * The same for one order, one item (most passes), by key: generic plans
	 * (crmscm_exec_by_key(), reserve.c).  The forms over arrays have custom
	 * plans, made at every execution: planning them cost more than running
	 * them for a line insert (bench/orders_insert.sh).
	 */
	SPIPlanPtr	tiers1;
	SPIPlanPtr	rules1;
} AllocPlans;

static AllocPlans ap;

#define EQ " OPERATOR(pg_catalog.=) "

static SPIPlanPtr
keep(const char *sql, int nargs, Oid *types)
{
	return crmscm_keep_plan("allocation", sql, nargs, types, crmscm_plan_options_for(nargs, types));
}

/* the orders' tiers and the items' rules; key: "ANY ($2)" for arrays, "$2" for one */
#define ALLOC_TIERS_SQL(key) \
	"SELECT o.order_id, t.tier FROM %s.sales_orders o" \
	"  JOIN %s.customer_tiers t ON t.tenant_id" EQ "o.tenant_id AND t.customer_id" EQ "o.customer_id" \
	" WHERE o.tenant_id" EQ "$1 AND t.tenant_id" EQ "$1 AND o.order_id" EQ key
#define ALLOC_RULES_SQL(key) \
	"SELECT r.item_id, r.tier, r.share FROM %s.allocation_rules r" \
	" WHERE r.tenant_id" EQ "$1 AND r.item_id" EQ key

static void
alloc_plans(Oid nsp)
{
	const char *s;
	Oid			t[2] = {INT8OID, INT8ARRAYOID};

	if (ap.nsp == nsp)
		return;
	ap.nsp = InvalidOid;
	s = quote_identifier(get_namespace_name(nsp));
	ap.tiers = keep(psprintf(ALLOC_TIERS_SQL("ANY ($2)"), s, s), 2, t);
	ap.rules = keep(psprintf(ALLOC_RULES_SQL("ANY ($2)") " ORDER BY r.item_id", s), 2, t);
	/* one order, one item: the same statements by key (allocation_stage) */
	t[1] = INT8OID;
	ap.tiers1 = keep(psprintf(ALLOC_TIERS_SQL("$2"), s, s), 2, t);
	ap.rules1 = keep(psprintf(ALLOC_RULES_SQL("$2"), s), 2, t);
	ap.nsp = nsp;
}

static Datum
int8_array(int64 *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static AllocItem *
rules_of(Pass *p, int64 item)
{
	int			lo = 0,
				hi;

	if (p->alloc == NULL)
		return NULL;
	hi = p->alloc->n;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (p->alloc->v[mid].item < item)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->alloc->n && p->alloc->v[lo].item == item ? &p->alloc->v[lo] : NULL;
}

Datum
alloc_allowed(Pass *p, Inv *v, char tier, Datum avail)
{
	AllocItem  *a = rules_of(p, v->item);
	Datum		fence = (Datum) 0;
	int			t,
				rank = tier_rank(tier);
	bool		any = false;

	if (a == NULL)
		return avail;
	for (t = 0; t < rank; t++)
	{
		Datum		f;

		if (!a->has[t])
			continue;
		f = DirectFunctionCall2(numeric_mul, a->share[t], v->on_hand);
		fence = any ? num_add(fence, f) : f;
		any = true;
	}
	return any ? num_sub(avail, fence) : avail;
}

void
alloc_before_rules(Pass *p, Note *ns, int n)
{
	Oid			nsp = engine_get_schema();
	Datum		args[2];
	SPITupleTable *tt;
	uint64		r;
	int			i;

	alloc_plans(nsp);
	args[0] = Int64GetDatum(p->tenant);

	/* the tiers of the orders' customers (default C) */
	if (p->orders != NULL && hash_get_num_entries(p->orders) > 0)
	{
		HASH_SEQ_STATUS hs;
		Ord		   *o;
		int64	   *ids = palloc(sizeof(int64) * hash_get_num_entries(p->orders));
		int			k = 0;

		hash_seq_init(&hs, p->orders);
		while ((o = hash_seq_search(&hs)) != NULL)
			ids[k++] = o->order_id;
		args[1] = k == 1 ? Int64GetDatum(ids[0]) : int8_array(ids, k);
		if ((k == 1 ? crmscm_exec_by_key(ap.tiers1, args, NULL)
			 : SPI_execute_plan(ap.tiers, args, NULL, false, 0)) != SPI_OK_SELECT)
			elog(ERROR, "crmscm allocation: reading tiers failed");
		tt = SPI_tuptable;
		for (r = 0; r < SPI_processed; r++)
		{
			bool		isnull,
						found;
			int64		id = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));

			o = hash_search(p->orders, &id, HASH_FIND, &found);
			if (found)
				o->tier = TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull))[0];
		}
		SPI_freetuptable(tt);
	}

	/* the allocation rules of the items */
	if (p->ninv > 0)
	{
		int64	   *items = palloc(sizeof(int64) * p->ninv);
		int			k = 0;
		AllocRules *ar = palloc0(sizeof(AllocRules));

		for (i = 0; i < p->ninv; i++)
			if (k == 0 || items[k - 1] != p->inv[i].item)
				items[k++] = p->inv[i].item;
		args[1] = k == 1 ? Int64GetDatum(items[0]) : int8_array(items, k);
		if ((k == 1 ? crmscm_exec_by_key(ap.rules1, args, NULL)
			 : SPI_execute_plan(ap.rules, args, NULL, false, 0)) != SPI_OK_SELECT)
			elog(ERROR, "crmscm allocation: reading allocation rules failed");
		tt = SPI_tuptable;
		ar->v = palloc0(sizeof(AllocItem) * Max(SPI_processed, 1));
		for (r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			int64		item = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
			int			t = tier_rank(TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull))[0]);
			AllocItem  *a;

			if (ar->n == 0 || ar->v[ar->n - 1].item != item)
			{
				ar->v[ar->n].item = item;
				ar->n++;
			}
			a = &ar->v[ar->n - 1];
			a->share[t] = datumCopy(SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull), false, -1);
			a->has[t] = true;
		}
		SPI_freetuptable(tt);
		if (ar->n > 0)
		{
			p->alloc = ar;
			/* the queues of items with rules are tried whatever arrived */
			for (i = 0; i < p->ninv; i++)
				if (rules_of(p, p->inv[i].item) != NULL)
					p->inv[i].avail0 = DirectFunctionCall1(numeric_uminus, DirectFunctionCall1(int4_numeric, Int32GetDatum(1)));
		}
	}

	/*
	 * A change of purchases (dates, quantities, status) or of rules moves
	 * promises: a new version of the inventory row, so that a REPEATABLE
	 * READ transaction whose snapshot predates it fails (40001) instead of
	 * promising from the old purchases.
	 */
	for (i = 0; i < n; i++)
		if (ns[i].kind == NOTE_ON_ORDER)
		{
			Inv		   *v = inv_find(p, ns[i].a, ns[i].b);

			if (v != NULL)
				v->dirty = true;
		}
}

/* ------------------------------------------------------------------------
 * crmscm.allocation_rules: the trigger
 * ------------------------------------------------------------------------
 */

/* Lock the item, check its shares (check_sum), read the tenant's warehouses into SPI_tuptable */
static void
rules_item(const char *s, int64 tenant, int64 item, bool check_sum, Relation rel)
{
	Datum		args[2];
	Oid			t[2] = {INT8OID, INT8OID};
	EngineScope scope;
	bool		isnull;

	args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(item);
	engine_begin(&scope);
	PG_TRY();
	{
		/* one rule change of an item at a time */
		if (SPI_execute_with_args(psprintf("SELECT 1 FROM %s.items i WHERE i.tenant_id" EQ "$1 AND i.item_id" EQ "$2"
										   " FOR NO KEY UPDATE", s), 2, t, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "crmscm_rules_changed: locking the item failed");
		if (check_sum)
		{
			Datum		sum;

			if (SPI_execute_with_args(psprintf("SELECT pg_catalog.sum(r.share) FROM %s.allocation_rules r"
											   " WHERE r.tenant_id" EQ "$1 AND r.item_id" EQ "$2", s),
									  2, t, args, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "crmscm_rules_changed: reading the shares failed");
			sum = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			if (!isnull && num_cmp(sum, DirectFunctionCall1(int4_numeric, Int32GetDatum(1))) > 0)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("the allocation shares of item " INT64_FORMAT " add up to %s, more than 1",
								item, DatumGetCString(DirectFunctionCall1(numeric_out, sum))),
						 errtable(rel)));
		}
		if (SPI_execute_with_args(psprintf("SELECT w.warehouse_id FROM %s.warehouses w WHERE w.tenant_id" EQ "$1", s),
								  1, t, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "crmscm_rules_changed: reading warehouses failed");
	}
	PG_FINALLY();
	{
		engine_end(&scope);
	}
	PG_END_TRY();
}

/*
 * AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on allocation_rules: the
 * shares of an item add up to at most 1 (checked under a lock of the item
 * row, so two concurrent changes cannot both pass), and every warehouse of
 * the item is noted for the commit pass.
 */
PG_FUNCTION_INFO_V1(crmscm_rules_changed);
Datum
crmscm_rules_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			nsp;
	HeapTuple	tups[2];
	int			k;
	TupleDesc	desc;
	const char *s;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_rules_changed: not called by trigger manager")));
	crmscm_check_table(fcinfo, "allocation_rules");
	nsp = crmscm_schema_of(fcinfo);
	desc = RelationGetDescr(trigdata->tg_relation);
	tups[0] = TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? NULL :
		(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple);
	tups[1] = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ? NULL : trigdata->tg_trigtuple;
	s = quote_identifier(get_namespace_name(nsp));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm_rules_changed: SPI_connect failed");
	engine_set_schema(nsp);
	for (k = 0; k < 2; k++)
	{
		bool		isnull;
		int64		tenant,
					item;
		uint64		r;

		if (tups[k] == NULL)
			continue;
		tenant = DatumGetInt64(heap_getattr(tups[k], SPI_fnumber(desc, "tenant_id"), desc, &isnull));
		item = DatumGetInt64(heap_getattr(tups[k], SPI_fnumber(desc, "item_id"), desc, &isnull));
		if (k == 1 && tups[0] != NULL &&
			DatumGetInt64(heap_getattr(tups[0], SPI_fnumber(desc, "item_id"), desc, &isnull)) == item &&
			DatumGetInt64(heap_getattr(tups[0], SPI_fnumber(desc, "tenant_id"), desc, &isnull)) == tenant)
			continue;
		rules_item(s, tenant, item, k == 0, trigdata->tg_relation);
		for (r = 0; r < SPI_processed; r++)
		{
			MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

			note_add(NOTE_ON_ORDER, tenant, item,
					 DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull)), 0);
			MemoryContextSwitchTo(old);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}
