/*
 * citus.c — what crmscm's C code needs to know about Citus (doc/citus.md).
 *
 * Citus routes a statement to one shard only when it can see the value of
 * the distribution column at planning time: a constant, or a parameter of a
 * custom plan.  A generic plan of a statement that joins distributed tables
 * (or reads them with ROWS FROM, FOR UPDATE over a join, ...) cannot be
 * planned with unknown parameters: Citus then returns a plan that fails
 * with "could not create distributed plan" when it is forced to run, and
 * from a trigger on a shard a plan that is not routed fails with "cannot
 * execute a distributed query from a query on a shard".  So the engine's
 * kept SPI plans are generic on a single node (cheapest, and the engine
 * chose the forms for them) and custom where the citus extension exists in
 * the database.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "storage/proc.h"
#include "utils/lsyscache.h"

#include "reserve.h"

bool
crmscm_on_citus(void)
{
	/* looked up once per transaction (the triggers ask per row) */
	static LocalTransactionId lxid = InvalidLocalTransactionId;
	static bool on_citus = false;

	if (lxid != MyProc->lxid || lxid == InvalidLocalTransactionId)
	{
		on_citus = OidIsValid(get_extension_oid("citus", true));
		lxid = MyProc->lxid;
	}
	return on_citus;
}

int
crmscm_plan_options(bool generic_elsewhere)
{
	if (crmscm_on_citus())
		return CURSOR_OPT_CUSTOM_PLAN;
	return generic_elsewhere ? CURSOR_OPT_GENERIC_PLAN : 0;
}

/*
 * For a kept statement of a stage of the pass: custom plans where one of
 * its parameters is an array (the planner then sees how many keys it holds;
 * a generic plan assumes a few and, for the 100,000 keys of a bulk load,
 * may rescan a materialized unnest once per row: hours instead of
 * seconds), and on Citus; else generic plans (one per backend).
 */
int
crmscm_plan_options_for(int nargs, const Oid *types)
{
	int			i;

	for (i = 0; i < nargs; i++)
		if (OidIsValid(get_element_type(types[i])))
			return CURSOR_OPT_CUSTOM_PLAN;
	return crmscm_plan_options(true);
}

/*
 * Does this node hold the tenant's shards of crmscm's tables (all in one
 * co-location group, crmscm.distribute())?  True where the tables are not
 * distributed.  The work a transaction's triggers write down lives in the
 * backend of that node which ran them; functions that work it off, or that
 * write with the engine's rights, must run there (doc/citus.md).
 */
bool
crmscm_citus_tenant_is_local(Oid nsp, int64 tenant)
{
	Oid			rel = get_relname_relid("sales_order_lines", nsp);
	Oid			types[2] = {INT8OID, OIDOID};
	Datum		args[2];
	bool		isnull,
				local;
	int			rc;

	if (!OidIsValid(rel))
		elog(ERROR, "crmscm: table sales_order_lines not found");
	args[0] = Int64GetDatum(tenant);
	args[1] = ObjectIdGetDatum(rel);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm: SPI_connect failed");
	rc = SPI_execute_with_args(
		"SELECT CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition d"
		"                              WHERE d.logicalrelid OPERATOR(pg_catalog.=) $2::pg_catalog.regclass)"
		"            THEN true"
		"            ELSE EXISTS (SELECT FROM pg_catalog.pg_dist_placement p"
		"                           JOIN pg_catalog.pg_dist_local_group g ON g.groupid OPERATOR(pg_catalog.=) p.groupid"
		"                          WHERE p.shardid OPERATOR(pg_catalog.=)"
		"                                pg_catalog.get_shard_id_for_distribution_column($2::pg_catalog.regclass, $1)) END",
		2, types, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "crmscm: looking up the tenant's Citus node failed: %s", SPI_result_code_string(rc));
	local = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return local && !isnull;
}
