/*
 * A C row trigger for the Citus stage (test/citus/findings.sh): what a C
 * reservation trigger does on a shard.  AFTER INSERT ON probe.cprobe
 * (tenant_id bigint, id bigint, mode int): with the firing row's tenant as a
 * parameter it runs, through SPI plans prepared once and kept
 * (SPI_prepare + SPI_keepplan, as a C engine would):
 *   UPDATE probe.stock SET qty = qty - 1 WHERE tenant_id = $1 AND item_id = ANY ($2)
 *   INSERT INTO probe.log (tenant_id, what, port, rel) VALUES ($1, 'c', inet_server_port(), $3)
 * and, for mode 1, a statement on tenant $1 + 1 (another shard), for mode 2
 * one on every tenant.  Test-only: not part of crmscm.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/rel.h"

PG_MODULE_MAGIC;

static SPIPlanPtr upd_plan = NULL;
static SPIPlanPtr log_plan = NULL;

PG_FUNCTION_INFO_V1(crmscm_probe_c_trigger);

Datum
crmscm_probe_c_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	bool		isnull;
	int64		tenant;
	int32		mode;
	Datum		items[2];
	Datum		args[3];
	int			rc;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		elog(ERROR, "crmscm_probe_c_trigger: must be a row trigger");
	desc = RelationGetDescr(td->tg_relation);
	tenant = DatumGetInt64(heap_getattr(td->tg_trigtuple, 1, desc, &isnull));
	mode = DatumGetInt32(heap_getattr(td->tg_trigtuple, 3, desc, &isnull));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (upd_plan == NULL)
	{
		Oid			t[2] = {INT8OID, INT8ARRAYOID};
		Oid			l[3] = {INT8OID, TEXTOID, INT4OID};

		upd_plan = SPI_prepare("UPDATE probe.stock SET qty = qty - 1 WHERE tenant_id = $1 AND item_id = ANY ($2)", 2, t);
		if (upd_plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(upd_plan);
		log_plan = SPI_prepare("INSERT INTO probe.log (tenant_id, what, port, rel, n) VALUES ($1, 'c', inet_server_port(), $2, $3)", 3, l);
		if (log_plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(log_plan);
	}
	items[0] = Int64GetDatum(1001);
	items[1] = Int64GetDatum(1002);
	args[0] = Int64GetDatum(tenant);
	args[1] = PointerGetDatum(construct_array(items, 2, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	rc = SPI_execute_plan(upd_plan, args, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "UPDATE failed: %s", SPI_result_code_string(rc));
	args[1] = CStringGetTextDatum(SPI_getrelname(td->tg_relation));
	args[2] = Int32GetDatum((int32) SPI_processed);
	rc = SPI_execute_plan(log_plan, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "INSERT failed: %s", SPI_result_code_string(rc));
	if (mode == 1)
	{
		Oid			t[1] = {INT8OID};

		args[0] = Int64GetDatum(tenant + 1);
		SPI_execute_with_args("SELECT count(*) FROM probe.stock WHERE tenant_id = $1", 1, t, args, NULL, true, 0);
	}
	else if (mode == 2)
		SPI_execute("SELECT count(*) FROM probe.stock", true, 0);
	SPI_finish();
	return PointerGetDatum(td->tg_trigtuple);
}
