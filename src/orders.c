/*
 * orders.c — C side of the order/inventory triggers (SPEC §8).
 *
 * The reservation logic itself is PL/pgSQL (src/sql/300_orders.sql): it is
 * made of index lookups and row updates that C would issue through SPI the
 * same way (see README "Orders and inventory reservations" for the
 * measurement).  What runs on every row update of the hot tables is this
 * small generic guard, where the C version measured clearly cheaper than
 * the equivalent PL/pgSQL trigger.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* Setting our own functions raise while they write bookkeeping columns */
#define INTERNAL_SETTING "crmscm.internal"

static bool
crmscm_internal_write(void)
{
	const char *val = GetConfigOption(INTERNAL_SETTING, true, false);

	return val != NULL && strcmp(val, "on") == 0;
}

/* Is attribute attnum of the two tuples different (NULL-aware, binary)? */
static bool
crmscm_attr_changed(TupleDesc desc, int attnum, HeapTuple oldtup, HeapTuple newtup)
{
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	bool		oldnull,
				newnull;
	Datum		oldval = heap_getattr(oldtup, attnum, desc, &oldnull);
	Datum		newval = heap_getattr(newtup, attnum, desc, &newnull);

	if (oldnull || newnull)
		return oldnull != newnull;
	return !datumIsEqual(oldval, newval, att->attbyval, att->attlen);
}

/*
 * Guard the columns crmscm maintains.
 *
 * BEFORE INSERT OR UPDATE row trigger.  tenant_id may never change (SPEC §2).
 * The columns named in the trigger arguments are maintained by crmscm: an
 * UPDATE may change them, and an INSERT may set them to anything but zero,
 * only inside crmscm's own functions.
 */
PG_FUNCTION_INFO_V1(crmscm_guard);
Datum
crmscm_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	newtup;
	bool		internal;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_guard: not called by trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_guard: must be fired BEFORE INSERT OR UPDATE FOR EACH ROW")));

	trigger = trigdata->tg_trigger;
	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	internal = crmscm_internal_write();

	/*
	 * The setting is a plain custom GUC that anyone can SET; it only counts
	 * when the statement runs with the table owner's rights, i.e. inside
	 * crmscm's SECURITY DEFINER functions.  Anyone else setting it would
	 * switch off the bookkeeping of their own tenant.
	 */
	if (internal && !superuser() && GetUserId() != rel->rd_rel->relowner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("setting \"%s\" is reserved for crmscm's own functions", INTERNAL_SETTING),
				 errhint("Use the documented API: order lines, crmscm.ship(), crmscm.receive(), stock moves.")));

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	oldtup = trigdata->tg_trigtuple;
		int			tenant_att = SPI_fnumber(desc, "tenant_id");

		newtup = trigdata->tg_newtuple;
		if (tenant_att > 0 && crmscm_attr_changed(desc, tenant_att, oldtup, newtup))
			ereport(ERROR,
					(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
					 errmsg("cannot change tenant_id of a row of \"%s\"",
							RelationGetRelationName(rel)),
					 errdetail("A row belongs to its tenant for life; copy it to the other tenant instead.")));
		if (!internal)
		{
			for (i = 0; i < trigger->tgnargs; i++)
			{
				int			att = SPI_fnumber(desc, trigger->tgargs[i]);

				if (att <= 0)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_COLUMN),
							 errmsg("crmscm_guard: column \"%s\" does not exist", trigger->tgargs[i])));
				if (crmscm_attr_changed(desc, att, oldtup, newtup))
					ereport(ERROR,
							(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
							 errmsg("column \"%s\" of \"%s\" is maintained by crmscm and cannot be changed directly",
									trigger->tgargs[i], RelationGetRelationName(rel))));
			}
		}
	}
	else
	{
		newtup = trigdata->tg_trigtuple;
		if (!internal)
		{
			for (i = 0; i < trigger->tgnargs; i++)
			{
				int			att = SPI_fnumber(desc, trigger->tgargs[i]);
				bool		isnull;
				Datum		val;

				if (att <= 0)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_COLUMN),
							 errmsg("crmscm_guard: column \"%s\" does not exist", trigger->tgargs[i])));
				val = heap_getattr(newtup, att, desc, &isnull);
				if (!isnull && TupleDescAttr(desc, att - 1)->atttypid == NUMERICOID &&
					DatumGetInt32(DirectFunctionCall2(numeric_cmp, val,
													  DirectFunctionCall1(int4_numeric, Int32GetDatum(0)))) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
							 errmsg("column \"%s\" of \"%s\" is maintained by crmscm and must be 0 on insert",
									trigger->tgargs[i], RelationGetRelationName(rel)),
							 errhint("Write stock moves (crmscm.stock_moves) to change stock.")));
			}
		}
	}
	return PointerGetDatum(newtup);
}
