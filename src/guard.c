/*
 * guard.c — the columns crmscm maintains, and who may write them.
 *
 * crmscm_guard() is the BEFORE INSERT OR UPDATE row trigger of every table
 * with bookkeeping columns (inventory quantities, the qty_* columns of order
 * lines, reservations, backorders, ...): tenant_id never changes, and the
 * columns named in the trigger's arguments change only while crmscm's own
 * code writes (crmscm_engine_writing).  A write that leaves a guarded value
 * equal — numerically for numeric columns, so an ORM re-sending 2 as 2.0
 * passes — is no change and passes (README "Using crmscm from an
 * application").
 *
 * The flag is a C variable, not a setting: nothing a client can SET turns
 * it on.  engine_begin() raises it and switches to the extension owner's
 * rights (the owner of crmscm's schema) for the statements that follow, as a
 * SECURITY DEFINER function would, without SET search_path: every statement
 * crmscm runs this way names every object and operator with its schema.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "executor/executor.h"
#include "utils/snapmgr.h"
#include "utils/relcache.h"
#include "access/xact.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "reserve.h"

bool		crmscm_engine_writing = false;
static bool guard_callbacks = false;

static void
guard_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		crmscm_engine_writing = false;
}

static void
guard_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	/* engine scopes never span a sub-transaction boundary */
	if (event == SUBXACT_EVENT_ABORT_SUB)
		crmscm_engine_writing = false;
}

/* The owner of schema nsp: the extension owner */
static Oid
schema_owner(Oid nsp)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "crmscm: cache lookup failed for schema %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/* The schema of the C function being called */
Oid
crmscm_schema_of(FunctionCallInfo fcinfo)
{
	return get_func_namespace(fcinfo->flinfo->fn_oid);
}

static Oid	engine_nsp = InvalidOid;

void
engine_set_schema(Oid nsp)
{
	engine_nsp = nsp;
}

/* The schema set last (issue #17: the stages of the pass need it) */
Oid
engine_get_schema(void)
{
	return engine_nsp;
}

void
engine_begin(EngineScope *scope)
{
	if (!guard_callbacks)
	{
		RegisterXactCallback(guard_xact_callback, NULL);
		RegisterSubXactCallback(guard_subxact_callback, NULL);
		guard_callbacks = true;
	}
	if (!OidIsValid(engine_nsp))
		elog(ERROR, "crmscm: engine schema not set");
	scope->was_writing = crmscm_engine_writing;
	GetUserIdAndSecContext(&scope->save_userid, &scope->save_sec_context);
	SetUserIdAndSecContext(schema_owner(engine_nsp),
						   scope->save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	crmscm_engine_writing = true;
}

void
engine_end(EngineScope *scope)
{
	crmscm_engine_writing = scope->was_writing;
	SetUserIdAndSecContext(scope->save_userid, scope->save_sec_context);
}

/*
 * Run a kept plan with crmscm's rights (engine_begin()), the engine flag set
 * to writing: off, the note triggers of what the statement writes fire as
 * for any client's write.  The caller is SPI-connected and has set the
 * engine's schema.  Returns SPI's code.
 */
int
engine_run(SPIPlanPtr plan, Datum *args, const char *nulls, bool read_only, bool writing)
{
	EngineScope scope;
	volatile int rc = 0;

	engine_begin(&scope);
	crmscm_engine_writing = writing;
	PG_TRY();
	{
		rc = SPI_execute_plan(plan, args, nulls, read_only, 0);
	}
	PG_FINALLY();
	{
		engine_end(&scope);
	}
	PG_END_TRY();
	return rc;
}

/* Prepare a statement of crmscm's and keep its plan; what: the caller, for the error */
SPIPlanPtr
crmscm_keep_plan(const char *what, const char *sql, int nargs, Oid *types, int options)
{
	SPIPlanPtr	p = SPI_prepare_cursor(sql, nargs, types, options);

	if (p == NULL)
		elog(ERROR, "crmscm %s: preparing \"%s\" failed: %s", what, sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(p) != 0)
		elog(ERROR, "crmscm %s: keeping the plan of \"%s\" failed", what, sql);
	return p;
}

/* Is the engine writing?  For the WHEN clauses of crmscm's triggers */
PG_FUNCTION_INFO_V1(crmscm_engine_writing_fn);
Datum
crmscm_engine_writing_fn(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(crmscm_engine_writing);
}

/* ---- numeric helpers shared by the engine ---- */

int
num_cmp(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

Datum
num_add(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_add, a, b);
}

Datum
num_sub(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_sub, a, b);
}

Datum
num_zero(void)
{
	return DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
}

bool
num_is_zero(Datum a)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, num_zero())) == 0;
}

/*
 * The SQL objects of crmscm 0.1.0 and 0.2.0, which a database keeps until
 * ALTER EXTENSION crmscm UPDATE, raised the setting crmscm.internal in their
 * SECURITY DEFINER functions instead; it counts only for the table's owner
 * (who could write the columns anyway), never for anyone else.
 */
static bool
legacy_internal(Relation rel)
{
	const char *val = GetConfigOption("crmscm.internal", true, false);

	return val != NULL && strcmp(val, "on") == 0 &&
		(superuser() || GetUserId() == rel->rd_rel->relowner);
}

/*
 * Do attribute attnum of the two tuples hold different values?  NULL-aware;
 * numeric compared by value (2 = 2.0), everything else by its binary form.
 */
bool
crmscm_attr_changed(TupleDesc desc, int attnum, HeapTuple oldtup, HeapTuple newtup)
{
	Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
	bool		oldnull,
				newnull;
	Datum		oldval = heap_getattr(oldtup, attnum, desc, &oldnull);
	Datum		newval = heap_getattr(newtup, attnum, desc, &newnull);

	if (oldnull || newnull)
		return oldnull != newnull;
	if (att->atttypid == NUMERICOID)
		return num_cmp(oldval, newval) != 0;
	return !datumIsEqual(oldval, newval, att->attbyval, att->attlen);
}

/*
 * #15 upserts: the row of rel with the same primary key as tup that this
 * transaction sees with a fresh snapshot (committed rows and its own), or
 * NULL.  BEFORE INSERT triggers run before INSERT … ON CONFLICT finds its
 * conflict, so an ORM's upsert() of an existing row reaches the insert-time
 * checks with the row's own values; those checks let such a row through when
 * its checked values equal the existing row's (the statement then updates
 * that row, through the BEFORE UPDATE checks, or fails with 23505).  An AFTER
 * INSERT check repeats them for rows really inserted (a concurrent delete
 * can remove the existing row in between).
 */
HeapTuple
crmscm_row_by_key(Relation rel, HeapTuple tup)
{
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	Relation	irel;
	ScanKeyData key[INDEX_MAX_KEYS];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	HeapTuple	found = NULL;
	Snapshot	snap;
	int			nkeys,
				i;

	if (!OidIsValid(pk))
		return NULL;
	irel = index_open(pk, AccessShareLock);
	nkeys = IndexRelationGetNumberOfKeyAttributes(irel);
	for (i = 0; i < nkeys; i++)
	{
		AttrNumber	att = irel->rd_index->indkey.values[i];
		Oid			type = TupleDescAttr(desc, att - 1)->atttypid;
		Oid			opr = get_opfamily_member(irel->rd_opfamily[i], irel->rd_opcintype[i],
											  irel->rd_opcintype[i], BTEqualStrategyNumber);
		bool		isnull;
		Datum		val = heap_getattr(tup, att, desc, &isnull);

		if (isnull || !OidIsValid(opr) || type != irel->rd_opcintype[i])
		{
			index_close(irel, AccessShareLock);
			return NULL;
		}
		ScanKeyInit(&key[i], i + 1, BTEqualStrategyNumber, get_opcode(opr), val);
	}
	slot = table_slot_create(rel, NULL);
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = index_beginscan(rel, irel, snap, nkeys, 0);
	index_rescan(scan, key, nkeys, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
		found = ExecCopySlotHeapTuple(slot);
	index_endscan(scan);
	UnregisterSnapshot(snap);
	ExecDropSingleTupleTableSlot(slot);
	index_close(irel, AccessShareLock);
	return found;
}

/* Are the named attributes of the two tuples equal (numeric by value)? */
bool
crmscm_attrs_equal(TupleDesc desc, HeapTuple a, HeapTuple b, const char **names, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		int			att = SPI_fnumber(desc, names[i]);

		if (att <= 0 || crmscm_attr_changed(desc, att, a, b))
			return false;
	}
	return true;
}

static int
guard_attnum(TupleDesc desc, const char *name)
{
	int			att = SPI_fnumber(desc, name);

	if (att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("crmscm_guard: column \"%s\" does not exist", name)));
	return att;
}

/*
 * The UPDATE half of the guard: tenant_id never changes; outside crmscm's
 * own writes the named columns keep their value (an equal value passes and
 * the row keeps its own, 2.0 stays 2.0).  Returns the row to store.
 */
HeapTuple
crmscm_guard_update(Relation rel, HeapTuple oldtup, HeapTuple newtup,
					const char *const *cols, int ncols)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			tenant_att = SPI_fnumber(desc, "tenant_id");
	int			i;

	if (tenant_att > 0 && crmscm_attr_changed(desc, tenant_att, oldtup, newtup))
		ereport(ERROR,
				(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
				 errmsg("cannot change tenant_id of a row of \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("A row belongs to its tenant for life; copy it to the other tenant instead."),
				 errtableconstraint(rel, "tenant_id_fixed")));
	if (ncols > 0 && !(crmscm_engine_writing || legacy_internal(rel)))
	{
		int		   *atts = palloc(sizeof(int) * ncols);
		Datum	   *vals = palloc(sizeof(Datum) * ncols);
		bool	   *nulls = palloc(sizeof(bool) * ncols);

		for (i = 0; i < ncols; i++)
		{
			int			att = guard_attnum(desc, cols[i]);

			if (crmscm_attr_changed(desc, att, oldtup, newtup))
				ereport(ERROR,
						(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
						 errmsg("column \"%s\" of \"%s\" is maintained by crmscm and cannot be changed directly",
								cols[i], RelationGetRelationName(rel)),
						 errdetail("Writing the value the row holds (as 2 for 2.0) is allowed; any other is not."),
						 errtableconstraint(rel, "guarded_column")));
			atts[i] = att;
			vals[i] = heap_getattr(oldtup, att, desc, &nulls[i]);
		}
		newtup = heap_modify_tuple_by_cols(newtup, desc, ncols, atts, vals, nulls);
	}
	return newtup;
}

/*
 * Guard the columns crmscm maintains.
 *
 * BEFORE INSERT OR UPDATE row trigger.  tenant_id may never change.  The
 * columns named in the trigger arguments are maintained by crmscm: outside
 * crmscm's own writes an UPDATE may not change them (an equal value is no
 * change) and an INSERT may set a numeric one to nothing but zero.
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
	bool		writing;
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
	writing = crmscm_engine_writing || legacy_internal(rel);

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		newtup = crmscm_guard_update(rel, trigdata->tg_trigtuple, trigdata->tg_newtuple,
									 (const char *const *) trigger->tgargs, trigger->tgnargs);
	else
	{
		newtup = trigdata->tg_trigtuple;
		/* #15: an upsert of an existing row with its own values */
		if (!writing && trigger->tgnargs > 0)
		{
			HeapTuple	existing = NULL;

			for (i = 0; i < trigger->tgnargs && !writing; i++)
			{
				int			att = guard_attnum(desc, trigger->tgargs[i]);
				bool		isnull;
				Datum		val = heap_getattr(newtup, att, desc, &isnull);

				if (!isnull && TupleDescAttr(desc, att - 1)->atttypid == NUMERICOID && !num_is_zero(val))
				{
					existing = crmscm_row_by_key(rel, newtup);
					writing = existing != NULL &&
						crmscm_attrs_equal(desc, existing, newtup, (const char **) trigger->tgargs, trigger->tgnargs);
					break;
				}
			}
		}
		if (!writing)
		{
			for (i = 0; i < trigger->tgnargs; i++)
			{
				int			att = guard_attnum(desc, trigger->tgargs[i]);
				bool		isnull;
				Datum		val = heap_getattr(newtup, att, desc, &isnull);

				if (!isnull && TupleDescAttr(desc, att - 1)->atttypid == NUMERICOID &&
					!num_is_zero(val))
					ereport(ERROR,
							(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
							 errmsg("column \"%s\" of \"%s\" is maintained by crmscm and must be 0 on insert",
									trigger->tgargs[i], RelationGetRelationName(rel)),
							 errhint("Write stock moves (crmscm.stock_moves) to change stock."),
							 errtableconstraint(rel, "guarded_column")));
			}
		}
	}
	return PointerGetDatum(newtup);
}
