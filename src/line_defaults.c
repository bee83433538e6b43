/*
 * line_defaults.c — defaults of an order line that an application leaves
 * out (#15; README "Using crmscm from an application", doc/application.md).
 *
 * BEFORE INSERT FOR EACH ROW trigger "Line_defaults" on sales_order_lines,
 * WHEN line_no or unit_price is NULL (omitted: neither column has a column
 * default).  Its name sorts before "Note_line_insert" (triggers of one event
 * fire in name order), so the engine's note sees the final row.
 *
 *   line_no    the order's next number: the highest line_no of the order + 1,
 *              counting lines other transactions are inserting right now
 *              (read with a dirty snapshot), after taking a transaction-level
 *              lock on (tenant, order).  So two transactions that add
 *              unnumbered lines to one order take turns (the second waits for
 *              the first to end) and never get the same number; at REPEATABLE
 *              READ too, whose snapshot would not show the first one's lines.
 *              The lock is an advisory lock of crmscm's own key space
 *              (pg_locks: locktype advisory, objsubid 15), taken at statement
 *              time like the order FOR SHARE of the line's note: before any
 *              inventory lock (doc/orders.md "Lock order").
 *   unit_price the item's unit_price.
 *
 * The tenant is the row's; the item is read with the extension owner's
 * rights, filtered on that tenant.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

#include "reserve.h"
#include "tenant.h"

/* field4 of crmscm's advisory lock tags (core uses 1 and 2) */
#define CRMSCM_LINE_NO_LOCK 15

static Oid	price_nsp = InvalidOid;
static int	price_options = 0;	/* crmscm_plan_options() it was made with */
static SPIPlanPtr price_plan = NULL;

/* Lock (tenant, order) for numbering its lines, until the transaction ends */
static void
lock_order_numbering(int64 tenant, int64 order_id)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId,
						 (uint32) tenant ^ (uint32) ((uint64) tenant >> 32),
						 (uint32) order_id ^ (uint32) ((uint64) order_id >> 32),
						 CRMSCM_LINE_NO_LOCK);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * The highest line_no of the order, counting rows being inserted by
 * transactions still in progress (dirty snapshot), through the primary key
 * (tenant_id, order_id, line_no) read backwards.
 */
static int32
max_line_no(Relation rel, int64 tenant, int64 order_id, int line_att)
{
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	Relation	irel;
	SnapshotData dirty;
	ScanKeyData key[2];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	int32		maxno = 0;

	if (!OidIsValid(pk))
		elog(ERROR, "crmscm: \"%s\" has no primary key", RelationGetRelationName(rel));
	irel = index_open(pk, AccessShareLock);
	InitDirtySnapshot(dirty);
	ScanKeyInit(&key[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(tenant));
	ScanKeyInit(&key[1], 2, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(order_id));
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, irel, &dirty, 2, 0);
	index_rescan(scan, key, 2, NULL, 0);
	if (index_getnext_slot(scan, BackwardScanDirection, slot))
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, line_att, &isnull);

		if (!isnull)
			maxno = DatumGetInt32(d);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(irel, AccessShareLock);
	return maxno;
}

/* The item's unit_price, or NULL when the tenant has no such item */
static Datum
item_price(Oid nsp, int64 tenant, int64 item, bool *isnull)
{
	Datum		args[2];
	volatile Datum price = (Datum) 0;

	*isnull = true;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm_line_defaults: SPI_connect failed");
	if (price_nsp != nsp || price_options != crmscm_plan_options(false))
	{
		Oid			t[2] = {INT8OID, INT8OID};

		if (price_plan != NULL)
			SPI_freeplan(price_plan);
		price_plan = NULL;
		price_plan = crmscm_keep_plan("line defaults", psprintf(
			"SELECT i.unit_price FROM %s.items i"
			" WHERE i.tenant_id OPERATOR(pg_catalog.=) $1 AND i.item_id OPERATOR(pg_catalog.=) $2",
			quote_identifier(get_namespace_name(nsp))), 2, t, crmscm_plan_options(false));
		price_nsp = nsp;
		price_options = crmscm_plan_options(false);
	}
	args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(item);
	engine_set_schema(nsp);
	if (engine_run(price_plan, args, NULL, true, true) != SPI_OK_SELECT)
		elog(ERROR, "crmscm_line_defaults: reading the item failed");
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);

		if (!*isnull)
			price = SPI_datumTransfer(d, false, -1);
	}
	SPI_finish();
	return price;
}

/* BEFORE INSERT trigger "Line_defaults" on sales_order_lines */
PG_FUNCTION_INFO_V1(crmscm_line_defaults);
Datum
crmscm_line_defaults(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	tup;
	int			att_tenant,
				att_order,
				att_line,
				att_item,
				att_price;
	bool		isnull,
				line_null,
				price_null;
	int64		tenant,
				order_id;
	int			cols[2];
	Datum		vals[2];
	bool		nulls[2] = {false, false};
	int			ncols = 0;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_line_defaults: must be fired BEFORE INSERT FOR EACH ROW")));
	crmscm_check_table(fcinfo, "sales_order_lines");
	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	tup = trigdata->tg_trigtuple;
	if (crmscm_engine_writing)
		return PointerGetDatum(tup);
	att_tenant = SPI_fnumber(desc, "tenant_id");
	att_order = SPI_fnumber(desc, "order_id");
	att_line = SPI_fnumber(desc, "line_no");
	att_item = SPI_fnumber(desc, "item_id");
	att_price = SPI_fnumber(desc, "unit_price");
	if (att_tenant <= 0 || att_order <= 0 || att_line <= 0 || att_item <= 0 || att_price <= 0)
		elog(ERROR, "crmscm_line_defaults: sales_order_lines lacks a column it needs");

	(void) heap_getattr(tup, att_line, desc, &line_null);
	(void) heap_getattr(tup, att_price, desc, &price_null);
	if (!line_null && !price_null)
		return PointerGetDatum(tup);
	/* NULL keys: leave them to the NOT NULL constraints */
	tenant = DatumGetInt64(heap_getattr(tup, att_tenant, desc, &isnull));
	if (isnull)
		return PointerGetDatum(tup);
	order_id = DatumGetInt64(heap_getattr(tup, att_order, desc, &isnull));
	if (isnull)
		return PointerGetDatum(tup);
	/* a row its policy refuses: neither another tenant's item read nor its order's numbering locked */
	if (crmscm_policy_refuses(rel, tenant))
		return PointerGetDatum(tup);

	if (price_null)
	{
		bool		inull;
		int64		item = DatumGetInt64(heap_getattr(tup, att_item, desc, &inull));
		bool		pnull = true;
		Datum		price = inull ? (Datum) 0 : item_price(crmscm_schema_of(fcinfo), tenant, item, &pnull);

		if (!inull && pnull)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("item " INT64_FORMAT " does not exist", item),
					 errdetail("A line without unit_price takes the price of its item."),
					 errtableconstraint(rel, "sales_order_lines_tenant_id_item_id_fkey")));
		if (!inull)
		{
			cols[ncols] = att_price;
			vals[ncols++] = price;
		}
	}
	if (line_null)
	{
		int32		maxno;

		lock_order_numbering(tenant, order_id);
		maxno = max_line_no(rel, tenant, order_id, att_line);
		if (maxno == PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("order " INT64_FORMAT " has no line number left after %d", order_id, maxno),
					 errtable(rel)));
		cols[ncols] = att_line;
		vals[ncols++] = Int32GetDatum(maxno + 1);
	}
	if (ncols == 0)
		return PointerGetDatum(tup);
	return PointerGetDatum(heap_modify_tuple_by_cols(tup, desc, ncols, cols, vals, nulls));
}
