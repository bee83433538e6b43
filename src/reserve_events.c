/*
 * reserve_events.c — LISTEN/NOTIFY events of the commit pass (#15; README
 * "Using crmscm from an application", doc/application.md "Events").
 *
 * A stage of the pass (reserve_stages.c), after the flush: the tenant's
 * rows are written and still locked.  NOTIFY is transactional: PostgreSQL
 * delivers the notifications when the transaction commits, and drops them
 * when it (or the sub-transaction of the pass) rolls back.  Payloads are
 * JSON and carry the tenant, since every tenant's events share a channel.
 *
 *   crmscm_backorder_filled  {"tenant_id", "order_id", "line_no", "item_id",
 *                             "warehouse_id", "qty", "seq"}: qty units of a
 *                             line's backorder at that warehouse became its
 *                             reservation (the rules record each fill in
 *                             the model: fill_queue, convert_allocated)
 *   crmscm_reorder_needed    {"tenant_id", "item_id", "warehouse_id",
 *                             "position", "reorder_point", "seq"}: this pass
 *                             lowered the inventory position of the item and
 *                             warehouse from above its reorder point to at
 *                             or below it, and reorder_suggestions says
 *                             reorder now
 *
 * "seq" numbers the events of one transaction (PostgreSQL folds identical
 * notifications of a transaction into one; seq keeps two equal fills apart).
 *
 * The reorder point is the one crmscm.reorder_suggestions defines today
 * (demand from order history, safety stock, lead time), evaluated only for
 * the (item, warehouse) pairs whose position this pass lowered.  That view
 * reads the tenant's whole demand history (its ABC classes rank every item),
 * about 250 ms per evaluation with 100,000 order lines, so the reorder event
 * is off unless the setting crmscm.reorder_events is on (default off).
 * Issue #18 keeps a replenishment state current at commit; the event should
 * read the reorder point from there once it exists (cheap enough to be on
 * by default, and routable on Citus, which this query of the view is not).
 *
 * On Citus no event is sent: the pass runs on the worker that holds the
 * tenant's shards, where nobody listens (applications LISTEN on the
 * coordinator), and Citus commits a transaction that wrote on a worker by
 * two-phase commit, which PostgreSQL refuses after NOTIFY ("cannot PREPARE
 * a transaction that has executed LISTEN, UNLISTEN, or NOTIFY").
 * doc/citus.md lists this among the differences.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "reserve_model.h"

#define CHANNEL_FILLED	"crmscm_backorder_filled"
#define CHANNEL_REORDER	"crmscm_reorder_needed"

static bool reorder_events = false;
static Oid	reorder_nsp = InvalidOid;
static int	reorder_options = 0;	/* crmscm_plan_options() it was made with */
static SPIPlanPtr reorder_plan = NULL;

static LocalTransactionId seq_lxid = InvalidLocalTransactionId;
static int64 seq_n = 0;

static int64
next_seq(void)
{
	if (seq_lxid != MyProc->lxid)
	{
		seq_lxid = MyProc->lxid;
		seq_n = 0;
	}
	return ++seq_n;
}

static char *
num_str(Datum d)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, d));
}

static int
fill_cmp(const void *a, const void *b)
{
	const Fill *x = a,
			   *y = b;

	if (x->order_id != y->order_id)
		return x->order_id < y->order_id ? -1 : 1;
	if (x->line_no != y->line_no)
		return x->line_no < y->line_no ? -1 : 1;
	return x->wh < y->wh ? -1 : (x->wh > y->wh);
}

/* One notification per line and warehouse filled in this pass */
static void
notify_fills(Pass *p)
{
	int			i,
				j;
	StringInfoData s;

	if (p->nfills == 0)
		return;
	qsort(p->fills, p->nfills, sizeof(Fill), fill_cmp);
	initStringInfo(&s);
	for (i = 0; i < p->nfills; i = j)
	{
		Datum		qty = p->fills[i].qty;

		for (j = i + 1; j < p->nfills && fill_cmp(&p->fills[i], &p->fills[j]) == 0; j++)
			qty = num_add(qty, p->fills[j].qty);
		if (!num_pos(qty, p->zero))
			continue;
		resetStringInfo(&s);
		appendStringInfo(&s, "{\"tenant_id\": " INT64_FORMAT ", \"order_id\": " INT64_FORMAT
						 ", \"line_no\": %d, \"item_id\": " INT64_FORMAT ", \"warehouse_id\": " INT64_FORMAT
						 ", \"qty\": %s, \"seq\": " INT64_FORMAT "}",
						 p->tenant, p->fills[i].order_id, p->fills[i].line_no, p->fills[i].item,
						 p->fills[i].wh, num_str(qty), next_seq());
		Async_Notify(CHANNEL_FILLED, s.data);
	}
}

/*
 * The change of inventory position (on hand - reserved + on order -
 * backordered) of each locked inventory row in this pass; the rows whose
 * position went down are candidates for the reorder event.
 */
static void
notify_reorder(Pass *p)
{
	Datum	   *dpos;
	int64	   *ci,
			   *cw;
	Datum	   *cd;
	int			nc = 0,
				i;
	Datum		args[4];
	Oid			types[4] = {INT8OID, INT8ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID};
	char		tenant[32];
	int			nest;
	int			rc;
	uint64		r;
	StringInfoData s;
	Datum	   *di,
			   *dw;

	if (p->ninv == 0)
		return;
	dpos = palloc(sizeof(Datum) * p->ninv);
	for (i = 0; i < p->ninv; i++)
	{
		Inv		   *v = &p->inv[i];

		dpos[i] = num_add(num_sub(available(v), v->avail0), num_sub(v->on_order, v->on_order0));
	}
	for (i = 0; i < p->nholds; i++)
	{
		Hold	   *h = p->holds[i];
		Inv		   *v;
		Datum		now;

		if (!h->is_bo)
			continue;
		v = inv_find(p, h->item, h->wh);
		if (v == NULL)
			continue;
		now = h->deleted ? p->zero : h->qty;
		if (num_cmp(now, h->qty0) != 0)
			dpos[v - p->inv] = num_sub(dpos[v - p->inv], num_sub(now, h->qty0));
	}
	ci = palloc(sizeof(int64) * p->ninv);
	cw = palloc(sizeof(int64) * p->ninv);
	cd = palloc(sizeof(Datum) * p->ninv);
	for (i = 0; i < p->ninv; i++)
		if (num_cmp(dpos[i], p->zero) < 0)
		{
			ci[nc] = p->inv[i].item;
			cw[nc] = p->inv[i].wh;
			cd[nc++] = dpos[i];
		}
	if (nc == 0)
		return;

	/*
	 * reorder_suggestions reads the tenant from crmscm.tenant_id: the pass's
	 * tenant (taken from the rows) for this one statement, as a function's
	 * SET clause would do it
	 */
	di = palloc(sizeof(Datum) * nc);
	dw = palloc(sizeof(Datum) * nc);
	for (i = 0; i < nc; i++)
	{
		di[i] = Int64GetDatum(ci[i]);
		dw[i] = Int64GetDatum(cw[i]);
	}
	args[0] = Int64GetDatum(p->tenant);
	args[1] = PointerGetDatum(construct_array(di, nc, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(dw, nc, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[3] = PointerGetDatum(construct_array(cd, nc, NUMERICOID, -1, false, TYPALIGN_INT));
	snprintf(tenant, sizeof(tenant), INT64_FORMAT, p->tenant);
	nest = NewGUCNestLevel();
	(void) set_config_option("crmscm.tenant_id", tenant, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (reorder_nsp != p->nsp || reorder_options != crmscm_plan_options(false))
	{
		SPIPlanPtr	plan;

		plan = crmscm_keep_plan("events", psprintf(
			"SELECT s.item_id, s.warehouse_id, s.inventory_position, s.reorder_point"
			"  FROM %s.reorder_suggestions s"
			"  JOIN ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) AS c(i, w, d)"
			"    ON s.item_id OPERATOR(pg_catalog.=) c.i AND s.warehouse_id OPERATOR(pg_catalog.=) c.w"
			" WHERE s.tenant_id OPERATOR(pg_catalog.=) $1 AND s.item_id OPERATOR(pg_catalog.=) ANY ($2)"
			"   AND s.reorder_now"
			"   AND (s.inventory_position OPERATOR(pg_catalog.-) c.d)::float8 OPERATOR(pg_catalog.>) s.reorder_point"
			" ORDER BY 1, 2",
			quote_identifier(get_namespace_name(p->nsp))), 4, types, crmscm_plan_options(false));
		reorder_plan = plan;
		reorder_nsp = p->nsp;
		reorder_options = crmscm_plan_options(false);
	}
	/* not read-only: the statement must see what the flush just wrote */
	rc = SPI_execute_plan(reorder_plan, args, NULL, false, 0);
	AtEOXact_GUC(true, nest);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "crmscm events: reading reorder_suggestions failed: %s", SPI_result_code_string(rc));
	initStringInfo(&s);
	for (r = 0; r < SPI_processed; r++)
	{
		bool		n1,
					n2;
		char	   *pos = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 3);
		char	   *rop = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 4);
		int64		item = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &n1));
		int64		wh = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &n2));

		resetStringInfo(&s);
		appendStringInfo(&s, "{\"tenant_id\": " INT64_FORMAT ", \"item_id\": " INT64_FORMAT
						 ", \"warehouse_id\": " INT64_FORMAT ", \"position\": %s, \"reorder_point\": %s, \"seq\": " INT64_FORMAT "}",
						 p->tenant, item, wh, pos ? pos : "null", rop ? rop : "null", next_seq());
		Async_Notify(CHANNEL_REORDER, s.data);
	}
	SPI_freetuptable(SPI_tuptable);
}

void
events_after_flush(Pass *p, Note *ns, int n)
{
	if (crmscm_on_citus())
		return;
	notify_fills(p);
	if (reorder_events)
		notify_reorder(p);
}

/* Registers crmscm.reorder_events; called from _PG_init */
void
crmscm_define_events_settings(void)
{
	DefineCustomBoolVariable("crmscm.reorder_events",
							 "Send crmscm_reorder_needed notifications at commit.",
							 "Costs one evaluation of crmscm.reorder_suggestions for the items whose inventory position a commit lowered.",
							 &reorder_events,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}
