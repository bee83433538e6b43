/*
 * order_copy.c — the order's customer and status, kept on its lines (#17;
 * doc/synergy.md "Delivery performance").
 *
 * sales_order_lines.customer_id and order_status are copies of the order's
 * customer_id and status, so that delivery_performance reads one table:
 * rolled up per customer over 10 M lines, the join of the lines to their
 * 1 M orders was nine tenths of the time (a hash join that spills at the
 * default work_mem).  Odoo keeps the same two on its sale order lines.
 *
 *   BEFORE INSERT FOR EACH ROW "Line_order" on sales_order_lines, also under
 *   session_replication_role = replica: the row gets the order's two values,
 *   read with the order FOR SHARE (as the line's note takes it, at statement
 *   time, before any inventory lock), so that a concurrent change of the
 *   order waits for this insert's commit and then updates this line too; a
 *   row whose order does not exist gets NULLs (its foreign key fails).  The
 *   lock only when the row's tenant is the session's (crmscm.tenant_id):
 *   BEFORE triggers run before row-level security checks the new row, and a
 *   row stating another tenant, which that check refuses, must not lock the
 *   other tenant's order until its transaction ends.  (A role that bypasses
 *   row-level security and inserts for another tenant reads the order
 *   unlocked.)
 *   Under replica a row that carries both keeps them: an import states them,
 *   as it states the engine's other columns.
 *
 *   AFTER UPDATE FOR EACH ROW "Order_to_lines" on sales_orders, when the
 *   status or the customer changed (also under replica): the order's lines
 *   get them, written as crmscm (the two columns are guarded:
 *   reserve_notes.c line_guarded).  The order row is locked before its
 *   lines, as confirming or cancelling an order locks them.
 *
 * The tenant is the row's; both statements run with the extension owner's
 * rights, filtered on that tenant.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"


#include "reserve.h"
#include "tenant.h"
#include "trigger_tuple.h"

typedef struct CopyPlans
{
	Oid			nsp;
	int			options;		/* crmscm_plan_options() they were made with */
	SPIPlanPtr	read;			/* the order's customer and status, FOR SHARE */
	SPIPlanPtr	peek;			/* the same without the lock */
	SPIPlanPtr	write;			/* its lines get them */
} CopyPlans;

static CopyPlans cp;

#define EQ " OPERATOR(pg_catalog.=) "

static SPIPlanPtr
keep(const char *sql, int nargs, Oid *types, int options)
{
	return crmscm_keep_plan("order copy", sql, nargs, types, options);
}

/* by key, generic plans (custom on Citus: citus.c) */
static void
copy_plans(Oid nsp)
{
	int			options = crmscm_plan_options(true);
	const char *s;

	if (cp.nsp == nsp && cp.options == options)
		return;
	if (cp.read != NULL)
		SPI_freeplan(cp.read);
	if (cp.peek != NULL)
		SPI_freeplan(cp.peek);
	if (cp.write != NULL)
		SPI_freeplan(cp.write);
	cp.read = cp.peek = cp.write = NULL;
	cp.nsp = InvalidOid;
	s = quote_identifier(get_namespace_name(nsp));
	cp.read = keep(psprintf(
		"SELECT o.customer_id, o.status FROM %s.sales_orders o"
		" WHERE o.tenant_id" EQ "$1 AND o.order_id" EQ "$2 FOR SHARE", s),
		2, (Oid[]) {INT8OID, INT8OID}, options);
	cp.peek = keep(psprintf(
		"SELECT o.customer_id, o.status FROM %s.sales_orders o"
		" WHERE o.tenant_id" EQ "$1 AND o.order_id" EQ "$2", s),
		2, (Oid[]) {INT8OID, INT8OID}, options);
	cp.write = keep(psprintf(
		"UPDATE %s.sales_order_lines l SET customer_id = $3, order_status = $4"
		" WHERE l.tenant_id" EQ "$1 AND l.order_id" EQ "$2"
		/* IS DISTINCT FROM, with the operator named (it looks "=" up by the search_path) */
		"   AND NOT (COALESCE(l.customer_id OPERATOR(pg_catalog.=) $3, l.customer_id IS NULL AND $3 IS NULL)"
		"            AND COALESCE(l.order_status OPERATOR(pg_catalog.=) $4, l.order_status IS NULL AND $4 IS NULL))", s),
		4, (Oid[]) {INT8OID, INT8OID, INT8OID, TEXTOID}, options);
	cp.nsp = nsp;
	cp.options = options;
}

/* Run plan as crmscm (the caller is SPI-connected) */
static int
run_as_engine(Oid nsp, SPIPlanPtr plan, Datum *args, const char *nulls, bool read_only)
{
	engine_set_schema(nsp);
	return engine_run(plan, args, nulls, read_only, true);
}

static void
check_fired(FunctionCallInfo fcinfo, const char *name, bool before, bool insert)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		(before ? !TRIGGER_FIRED_BEFORE(td->tg_event) : !TRIGGER_FIRED_AFTER(td->tg_event)) ||
		(insert ? !TRIGGER_FIRED_BY_INSERT(td->tg_event) : !TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: must be fired %s %s FOR EACH ROW", name, before ? "BEFORE" : "AFTER",
						insert ? "INSERT" : "UPDATE")));
}

/* BEFORE INSERT trigger "Line_order" on sales_order_lines */
PG_FUNCTION_INFO_V1(crmscm_line_order);
Datum
crmscm_line_order(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			nsp;
	TupleDesc	desc;
	HeapTuple	tup;
	bool		tnull,
				onull,
				cnull,
				snull;
	int			cols[2];
	Datum		vals[2] = {0, 0};
	bool		nulls[2] = {true, true};
	Datum		args[2];
	int64		tenant,
				order_id;

	check_fired(fcinfo, "crmscm_line_order", true, true);
	crmscm_check_table(fcinfo, "sales_order_lines");
	desc = RelationGetDescr(trigdata->tg_relation);
	tup = trigdata->tg_trigtuple;
	cols[0] = crmscm_tuple_attnum(desc, "customer_id");
	cols[1] = crmscm_tuple_attnum(desc, "order_status");
	(void) heap_getattr(tup, cols[0], desc, &cnull);
	(void) heap_getattr(tup, cols[1], desc, &snull);
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA && !cnull && !snull)
		return PointerGetDatum(tup);
	/* NULL keys: left to the NOT NULL constraints */
	tenant = crmscm_tuple_int8(tup, desc, "tenant_id", &tnull);
	order_id = crmscm_tuple_int8(tup, desc, "order_id", &onull);
	if (tnull || onull)
		return PointerGetDatum(tup);
	/* another tenant's order, for a row its policy refuses: not read */
	if (crmscm_policy_refuses(trigdata->tg_relation, tenant))
		return PointerGetDatum(tup);

	nsp = crmscm_schema_of(fcinfo);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm_line_order: SPI_connect failed");
	copy_plans(nsp);
	args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(order_id);
	if (run_as_engine(nsp, crmscm_session_tenant_is(tenant) ? cp.read : cp.peek, args, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "crmscm_line_order: reading the order failed");
	if (SPI_processed == 1)
	{
		vals[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &nulls[0]);
		vals[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &nulls[1]);
		if (!nulls[1])
			vals[1] = SPI_datumTransfer(vals[1], false, -1);
	}
	SPI_finish();
	return PointerGetDatum(heap_modify_tuple_by_cols(tup, desc, 2, cols, vals, nulls));
}

/* AFTER UPDATE trigger "Order_to_lines" on sales_orders */
PG_FUNCTION_INFO_V1(crmscm_order_to_lines);
Datum
crmscm_order_to_lines(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			nsp;
	TupleDesc	desc;
	HeapTuple	tup;
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;

	check_fired(fcinfo, "crmscm_order_to_lines", false, false);
	crmscm_check_table(fcinfo, "sales_orders");
	desc = RelationGetDescr(trigdata->tg_relation);
	tup = trigdata->tg_newtuple;
	args[0] = crmscm_tuple_get(tup, desc, "tenant_id", &isnull);
	args[1] = crmscm_tuple_get(tup, desc, "order_id", &isnull);
	args[2] = crmscm_tuple_get(tup, desc, "customer_id", &isnull);
	if (isnull)
		nulls[2] = 'n';
	args[3] = crmscm_tuple_get(tup, desc, "status", &isnull);
	if (isnull)
		nulls[3] = 'n';

	nsp = crmscm_schema_of(fcinfo);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm_order_to_lines: SPI_connect failed");
	copy_plans(nsp);
	if (run_as_engine(nsp, cp.write, args, nulls, false) != SPI_OK_UPDATE)
		elog(ERROR, "crmscm_order_to_lines: writing the lines failed");
	SPI_finish();
	return PointerGetDatum(NULL);
}
