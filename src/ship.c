/*
 * ship.c — crmscm.ship(order_id, line_no, qty): ship reserved units of an
 * order line (doc/orders.md).
 *
 * At call time it takes the line (FOR NO KEY UPDATE), checks it, writes the
 * shipment moves (oldest reservation first) and the line's qty_shipped and
 * qty_reserved, and notes what the commit pass (reserve.c) does with the
 * stock: the consumed reservations, reserved and on hand.  It takes no
 * inventory lock, so shipping lines of several items in one transaction, in
 * any order, cannot deadlock with other transactions.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "reserve.h"

extern Datum crmscm_current_tenant(PG_FUNCTION_ARGS);

typedef struct ShipPlans
{
	Oid			nsp;
	bool		citus;			/* made for Citus (custom plans) */
	SPIPlanPtr	line;
	SPIPlanPtr	order;
	SPIPlanPtr	reservations;
	SPIPlanPtr	move;
	SPIPlanPtr	update;
} ShipPlans;

static ShipPlans sp;

static SPIPlanPtr
keep(const char *sql, int nargs, Oid *types)
{
	return crmscm_keep_plan("ship", sql, nargs, types, crmscm_plan_options(false));
}

static void
ship_plans(Oid nsp)
{
	const char *s;
	Oid			t[7] = {INT8OID, INT8OID, INT4OID, INT8OID, INT8OID, NUMERICOID, NUMERICOID};

	bool		citus = crmscm_on_citus();

	if (sp.nsp == nsp && sp.citus == citus)
		return;
	sp.nsp = InvalidOid;
	sp.citus = citus;
	s = quote_identifier(get_namespace_name(nsp));
	sp.line = keep(psprintf(
		"SELECT l.item_id, l.qty, l.qty_reserved, l.qty_shipped, l.status FROM %s.sales_order_lines l"
		" WHERE l.tenant_id OPERATOR(pg_catalog.=) $1 AND l.order_id OPERATOR(pg_catalog.=) $2"
		"   AND l.line_no OPERATOR(pg_catalog.=) $3 FOR NO KEY UPDATE", s), 3, t);
	sp.order = keep(psprintf(
		"SELECT o.status FROM %s.sales_orders o"
		" WHERE o.tenant_id OPERATOR(pg_catalog.=) $1 AND o.order_id OPERATOR(pg_catalog.=) $2", s), 2, t);
	sp.reservations = keep(psprintf(
		"SELECT r.reservation_id, r.warehouse_id, r.qty FROM %s.reservations r"
		" WHERE r.tenant_id OPERATOR(pg_catalog.=) $1 AND r.order_id OPERATOR(pg_catalog.=) $2"
		"   AND r.line_no OPERATOR(pg_catalog.=) $3 ORDER BY r.reservation_id", s), 3, t);
	{
		Oid			m[6] = {INT8OID, INT8OID, INT8OID, NUMERICOID, INT8OID, INT4OID};

		sp.move = keep(psprintf(
			"INSERT INTO %s.stock_moves (tenant_id, item_id, warehouse_id, qty, kind, order_id, line_no)"
			" VALUES ($1, $2, $3, OPERATOR(pg_catalog.-) $4, 'shipment', $5, $6)", s), 6, m);
	}
	{
		Oid			u[5] = {INT8OID, INT8OID, INT4OID, NUMERICOID, NUMERICOID};

		sp.update = keep(psprintf(
			"UPDATE %s.sales_order_lines l"
			"   SET qty_shipped = l.qty_shipped OPERATOR(pg_catalog.+) $4,"
			"       qty_reserved = l.qty_reserved OPERATOR(pg_catalog.-) $4,"
			"       status = CASE WHEN l.qty_shipped OPERATOR(pg_catalog.+) $4 OPERATOR(pg_catalog.=) l.qty"
			"                     THEN 'shipped' ELSE l.status END"
			" WHERE l.tenant_id OPERATOR(pg_catalog.=) $1 AND l.order_id OPERATOR(pg_catalog.=) $2"
			"   AND l.line_no OPERATOR(pg_catalog.=) $3", s), 4, u);
	}
	sp.nsp = nsp;
}

static bool
text_eq(Datum d, const char *s)
{
	return strcmp(TextDatumGetCString(d), s) == 0;
}

static char *
num_str(Datum d)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, d));
}

/*
 * On Citus: run crmscm.ship(tenant, order_id, line_no, qty) as a statement,
 * which Citus routes to the node of the tenant's shards (a distributed
 * function, crmscm.distribute()), as the caller, in the caller's
 * transaction there.
 */
static Datum
ship_routed(Oid nsp, int64 tenant, int64 order_id, int32 line_no, bool qty_null, Datum qty, bool *isnull)
{
	Oid			types[4] = {INT8OID, INT8OID, INT4OID, NUMERICOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', qty_null ? 'n' : ' '};
	Datum		res;
	MemoryContext outer = CurrentMemoryContext;

	args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(order_id);
	args[2] = Int32GetDatum(line_no);
	args[3] = qty_null ? (Datum) 0 : qty;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm ship: SPI_connect failed");
	if (SPI_execute_with_args(psprintf("SELECT s FROM %s.ship($1, $2, $3, $4) s",
									   quote_identifier(get_namespace_name(nsp))),
							  4, types, args, nulls, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "crmscm ship: the routed call failed");
	res = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	if (!*isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		res = datumCopy(res, false, -1);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return res;
}

static Datum ship_here(Oid nsp, int64 tenant, int64 order_id, int32 line_no, bool qty_null, Datum qty);

/* A quantity to ship: NULL (all reserved), or finite and positive */
static void
ship_check_qty(bool qty_null, Datum qty)
{
	if (!qty_null)
	{
		Numeric		q = DatumGetNumeric(qty);

		if (numeric_is_nan(q) || numeric_is_inf(q))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("quantity to ship must be a finite number, got %s", num_str(qty))));
		if (num_cmp(qty, num_zero()) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("quantity to ship must be positive, got %s", num_str(qty))));
	}
}

/*
 * crmscm.ship(order_id, line_no, qty): ship qty units (NULL = all reserved)
 * of an order line of the session's tenant; returns the quantity shipped.
 * On Citus, where this node does not hold the tenant's shards, the routed
 * form below runs it there.
 */
PG_FUNCTION_INFO_V1(crmscm_ship);
Datum
crmscm_ship(PG_FUNCTION_ARGS)
{
	Oid			nsp = crmscm_schema_of(fcinfo);
	int64		tenant;
	bool		isnull;
	Datum		res;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("order_id and line_no must not be NULL")));
	ship_check_qty(PG_ARGISNULL(2), PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2));
	/* the caller's tenant (and whether it may work in it) */
	tenant = DatumGetInt64(DirectFunctionCall1(crmscm_current_tenant, (Datum) 0));
	if (crmscm_on_citus() && !crmscm_citus_tenant_is_local(nsp, tenant))
	{
		res = ship_routed(nsp, tenant, PG_GETARG_INT64(0), PG_GETARG_INT32(1),
						  PG_ARGISNULL(2), PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2), &isnull);
		if (isnull)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(res);
	}
	PG_RETURN_DATUM(ship_here(nsp, tenant, PG_GETARG_INT64(0), PG_GETARG_INT32(1),
							  PG_ARGISNULL(2), PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2)));
}

/*
 * crmscm.ship(tenant, order_id, line_no, qty): the same for the session's
 * tenant given as an argument, which Citus routes by (doc/citus.md).  It
 * runs only on the node of the tenant's shards.
 */
PG_FUNCTION_INFO_V1(crmscm_ship_tenant);
Datum
crmscm_ship_tenant(PG_FUNCTION_ARGS)
{
	Oid			nsp = crmscm_schema_of(fcinfo);
	int64		tenant,
				current;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tenant, order_id and line_no must not be NULL")));
	ship_check_qty(PG_ARGISNULL(3), PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3));
	tenant = PG_GETARG_INT64(0);
	current = DatumGetInt64(DirectFunctionCall1(crmscm_current_tenant, (Datum) 0));
	if (tenant != current)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ship(" INT64_FORMAT ", ...) in a transaction of tenant " INT64_FORMAT, tenant, current)));
	if (crmscm_on_citus() && !crmscm_citus_tenant_is_local(nsp, tenant))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ship(" INT64_FORMAT ", ...) did not run on the node of tenant " INT64_FORMAT, tenant, tenant),
				 errdetail("Shipping writes with crmscm's rights on the Citus node that holds the tenant's shards."),
				 errhint("Call crmscm.ship(order_id, line_no, qty), or this form as a statement of its own with constants or bind parameters.")));
	PG_RETURN_DATUM(ship_here(nsp, tenant, PG_GETARG_INT64(1), PG_GETARG_INT32(2),
							  PG_ARGISNULL(3), PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3)));
}

/* Ship qty units (NULL = all reserved) of an order line of tenant, here */
static Datum
ship_here(Oid nsp, int64 tenant, int64 order_id, int32 line_no, bool qty_null, Datum qty_arg)
{
	volatile Datum qty = qty_arg;
	int64		item;
	Datum		zero = num_zero();
	Datum		args[6];
	Datum		lqty,
				reserved,
				shipped,
				left;
	SPITupleTable *tt;
	uint64		r,
				nres;
	EngineScope scope;
	MemoryContext outer = CurrentMemoryContext;

	ship_check_qty(qty_null, qty);
	/* a line changed in this transaction: its tenant's reservations first */
	if (notes_line_pending(tenant, order_id, line_no))
		reserve_pass_tenant(nsp, tenant, false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm ship: SPI_connect failed");
	engine_set_schema(nsp);
	ship_plans(nsp);
	engine_begin(&scope);
	PG_TRY();
	{
		bool		isnull;

		args[0] = Int64GetDatum(tenant);
		args[1] = Int64GetDatum(order_id);
		args[2] = Int32GetDatum(line_no);
		if (SPI_execute_plan(sp.line, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "crmscm ship: reading the line failed");
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("order line " INT64_FORMAT "/%d does not exist", order_id, line_no),
					 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "ship_line_exists")));
		tt = SPI_tuptable;
		item = DatumGetInt64(SPI_getbinval(tt->vals[0], tt->tupdesc, 1, &isnull));
		lqty = SPI_getbinval(tt->vals[0], tt->tupdesc, 2, &isnull);
		reserved = SPI_getbinval(tt->vals[0], tt->tupdesc, 3, &isnull);
		shipped = SPI_getbinval(tt->vals[0], tt->tupdesc, 4, &isnull);
		if (SPI_execute_plan(sp.order, args, NULL, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "crmscm ship: reading the order failed");
		if (!text_eq(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull), "confirmed"))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("cannot ship from order " INT64_FORMAT ": it is %s", order_id,
							TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))),
					 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "ship_order_confirmed")));
		if (!text_eq(SPI_getbinval(tt->vals[0], tt->tupdesc, 5, &isnull), "open"))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("cannot ship line " INT64_FORMAT "/%d: it is %s", order_id, line_no,
							TextDatumGetCString(SPI_getbinval(tt->vals[0], tt->tupdesc, 5, &isnull))),
					 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "ship_line_open")));
		if (qty_null)
			qty = reserved;
		if (num_cmp(qty, reserved) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("cannot ship %s of line " INT64_FORMAT "/%d: only %s reserved",
							num_str(qty), order_id, line_no, num_str(reserved)),
					 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "ship_reserved")));
		(void) lqty;
		(void) shipped;
		qty = datumCopy(qty, false, -1);
		if (!num_is_zero(qty))
		{
			/*
			 * oldest reservations first; read_only false: a new snapshot,
			 * which sees the reservations the pass above just made (the
			 * line's qty_reserved, read the same way, counts them) and
			 * those of a commit the line's lock above waited for (issue
			 * #18's concurrency test)
			 */
			if (SPI_execute_plan(sp.reservations, args, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "crmscm ship: reading the reservations failed");
			tt = SPI_tuptable;
			nres = SPI_processed;
			left = qty;
			for (r = 0; r < nres && num_cmp(left, zero) > 0; r++)
			{
				int64		res_id = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
				int64		wh = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull));
				Datum		rq = SPI_getbinval(tt->vals[r], tt->tupdesc, 3, &isnull);
				Datum		take;
				Datum		margs[6];
				MemoryContext old;
				Note	   *n;

				/* what an earlier ship() of this transaction left of it */
				rq = num_sub(rq, notes_shipped_from(tenant, res_id, zero));
				if (num_cmp(rq, zero) <= 0)
					continue;
				take = num_cmp(rq, left) < 0 ? rq : left;
				margs[0] = Int64GetDatum(tenant);
				margs[1] = Int64GetDatum(item);
				margs[2] = Int64GetDatum(wh);
				margs[3] = take;
				margs[4] = Int64GetDatum(order_id);
				margs[5] = Int32GetDatum(line_no);
				if (SPI_execute_plan(sp.move, margs, NULL, false, 0) != SPI_OK_INSERT)
					elog(ERROR, "crmscm ship: writing the shipment move failed");
				old = MemoryContextSwitchTo(TopTransactionContext);
				n = note_add(NOTE_MOVE, tenant, item, wh, 0);
				n->qty = DirectFunctionCall1(numeric_uminus, take);
				n = note_add(NOTE_SHIP, tenant, item, wh, res_id);
				n->d = order_id;
				n->e = line_no;
				n->qty = datumCopy(take, false, -1);
				MemoryContextSwitchTo(old);
				left = num_sub(left, take);
			}
			if (num_cmp(left, zero) > 0)
				elog(ERROR, "crmscm ship: line " INT64_FORMAT "/%d holds fewer reservations than qty_reserved",
					 order_id, line_no);
			args[3] = qty;
			if (SPI_execute_plan(sp.update, args, NULL, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "crmscm ship: updating the line failed");
			{
				MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

				note_add(NOTE_LINE, tenant, order_id, line_no, item);
				MemoryContextSwitchTo(old);
			}
		}
	}
	PG_FINALLY();
	{
		engine_end(&scope);
	}
	PG_END_TRY();
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		qty = datumCopy(qty, false, -1);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return qty;
}
