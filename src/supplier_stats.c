/*
 * supplier_stats.c — supplier performance kept at commit (issue #18,
 * doc/replenishment.md).
 *
 * Statement time: purchase orders get ordered_at when they turn ordered,
 * purchase lines get received_at when qty_received rises (both unless the
 * statement gives them), and the rise is written down as a NOTE_RECEIPT of
 * the reservation engine's notes (reserve_notes.c keeps them across
 * sub-transactions); an ordered purchase order that ends is a
 * NOTE_PO_CLOSED.
 *
 * Commit: a stage of the pass (reserve_stages.c), after the inventory rows,
 * books the tenant's notes in ONE statement: a row per receipt in
 * purchase_receipts, the on-time-in-full outcome of the lines they complete
 * or their order ends short in purchase_line_outcomes (once per line), and
 * the receipts' weighted moments merged into supplier_stats (Chan et al.)
 * per supplier, item and warehouse, locked in key order.  No receipt reads
 * the history.
 *
 * The statement is prepared once per backend.  A commit with one receipt
 * and no purchase order ending (receive(), the common case) runs a smaller
 * form with scalar parameters; a few notes run the general form with a
 * generic plan; only a bulk commit (or Citus, which routes on parameter
 * values) plans it for its arrays.  The forms book the same rows: the
 * single receipt's moments are _wm_add of the empty state, which is what
 * the general form's _wm and _wm_pool (merging with empty states) give.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "replenishment.h"
#include "trigger_tuple.h"

typedef struct ReceiptNote
{
	TimestampTz received_at;
	bool		completes;		/* this receipt brought qty_received to qty */
} ReceiptNote;

static TriggerData *
trigger_data(FunctionCallInfo fcinfo, const char *name, const char *table)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: not called by trigger manager", name)));
	crmscm_check_table(fcinfo, table);
	return (TriggerData *) fcinfo->context;
}

/* Replace one column of a trigger tuple */
static HeapTuple
set_col(HeapTuple tup, TupleDesc desc, const char *name, Datum value)
{
	int			att = crmscm_tuple_attnum(desc, name);
	Datum		v[1];
	bool		nulls[1] = {false};
	int			cols[1];

	v[0] = value;
	cols[0] = att;
	return heap_modify_tuple_by_cols(tup, desc, 1, cols, v, nulls);
}

/*
 * BEFORE INSERT OR UPDATE FOR EACH ROW on purchase_orders: a purchase order
 * that turns ordered gets ordered_at = now(), unless it has one.
 */
PG_FUNCTION_INFO_V1(crmscm_po_ordered_at);
Datum
crmscm_po_ordered_at(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "crmscm_po_ordered_at", "purchase_orders");
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	HeapTuple	newtup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	bool		isnull,
				oisnull;
	Datum		st = crmscm_tuple_get(newtup, desc, "status", &isnull);

	if (isnull || !crmscm_text_is(st, "ordered"))
		return PointerGetDatum(newtup);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		Datum		ost = crmscm_tuple_get(td->tg_trigtuple, desc, "status", &oisnull);

		if (!oisnull && crmscm_text_is(ost, "ordered"))
			return PointerGetDatum(newtup);
	}
	(void) crmscm_tuple_get(newtup, desc, "ordered_at", &isnull);
	if (!isnull)
		return PointerGetDatum(newtup);
	return PointerGetDatum(set_col(newtup, desc, "ordered_at",
								   TimestampTzGetDatum(GetCurrentTransactionStartTimestamp())));
}

/*
 * BEFORE UPDATE FOR EACH ROW on purchase_order_lines WHEN qty_received
 * rises: received_at = now(), unless the update sets it.
 */
PG_FUNCTION_INFO_V1(crmscm_po_received_at);
Datum
crmscm_po_received_at(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "crmscm_po_received_at", "purchase_order_lines");
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	HeapTuple	oldtup = td->tg_trigtuple,
				newtup = td->tg_newtuple;
	bool		onull,
				nnull;
	Datum		o,
				n;

	if (!TRIGGER_FIRED_BY_UPDATE(td->tg_event) || !TRIGGER_FIRED_BEFORE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_po_received_at: must be fired BEFORE UPDATE")));
	o = crmscm_tuple_get(oldtup, desc, "received_at", &onull);
	n = crmscm_tuple_get(newtup, desc, "received_at", &nnull);
	if (onull != nnull || (!onull && DatumGetTimestampTz(o) != DatumGetTimestampTz(n)))
		return PointerGetDatum(newtup);	/* given by the statement */
	return PointerGetDatum(set_col(newtup, desc, "received_at",
								   TimestampTzGetDatum(GetCurrentTransactionStartTimestamp())));
}

/*
 * AFTER UPDATE FOR EACH ROW on purchase_order_lines WHEN qty_received
 * rises: note the receipt for the commit pass.
 */
PG_FUNCTION_INFO_V1(crmscm_po_receipt_noted);
Datum
crmscm_po_receipt_noted(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "crmscm_po_receipt_noted", "purchase_order_lines");
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	HeapTuple	oldtup = td->tg_trigtuple,
				newtup = td->tg_newtuple;
	bool		isnull;
	Datum		orec,
				nrec,
				qty,
				at;
	MemoryContext old;
	Note	   *note;
	ReceiptNote *rn;

	if (!TRIGGER_FIRED_BY_UPDATE(td->tg_event) || !TRIGGER_FIRED_AFTER(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_po_receipt_noted: must be fired AFTER UPDATE")));
	orec = crmscm_tuple_get(oldtup, desc, "qty_received", &isnull);
	nrec = crmscm_tuple_get(newtup, desc, "qty_received", &isnull);
	if (num_cmp(nrec, orec) <= 0)
		return PointerGetDatum(NULL);
	qty = crmscm_tuple_get(newtup, desc, "qty", &isnull);
	at = crmscm_tuple_get(newtup, desc, "received_at", &isnull);
	if (isnull)
		at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());

	old = MemoryContextSwitchTo(TopTransactionContext);
	note = note_add(NOTE_RECEIPT, crmscm_tuple_int8(newtup, desc, "tenant_id", NULL), crmscm_tuple_int8(newtup, desc, "po_id", NULL),
					DatumGetInt32(crmscm_tuple_get(newtup, desc, "line_no", &isnull)), crmscm_tuple_int8(newtup, desc, "item_id", NULL));
	note->d = crmscm_tuple_int8(newtup, desc, "warehouse_id", NULL);
	note->qty = num_sub(nrec, orec);
	rn = palloc(sizeof(ReceiptNote));
	rn->received_at = DatumGetTimestampTz(at);
	rn->completes = num_cmp(orec, qty) < 0 && num_cmp(nrec, qty) >= 0;
	note->extra = rn;
	MemoryContextSwitchTo(old);
	return PointerGetDatum(NULL);
}

/*
 * AFTER UPDATE FOR EACH ROW on purchase_orders WHEN an ordered purchase
 * order becomes received or cancelled: its lines that fell short get their
 * outcome at commit.
 */
PG_FUNCTION_INFO_V1(crmscm_po_closed_noted);
Datum
crmscm_po_closed_noted(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "crmscm_po_closed_noted", "purchase_orders");
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	HeapTuple	oldtup = td->tg_trigtuple,
				newtup = td->tg_newtuple;
	bool		onull,
				nnull;
	Datum		ost,
				nst;
	MemoryContext old;

	if (!TRIGGER_FIRED_BY_UPDATE(td->tg_event) || !TRIGGER_FIRED_AFTER(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crmscm_po_closed_noted: must be fired AFTER UPDATE")));
	ost = crmscm_tuple_get(oldtup, desc, "status", &onull);
	nst = crmscm_tuple_get(newtup, desc, "status", &nnull);
	if (onull || nnull || !crmscm_text_is(ost, "ordered") ||
		!(crmscm_text_is(nst, "received") || crmscm_text_is(nst, "cancelled")))
		return PointerGetDatum(NULL);
	old = MemoryContextSwitchTo(TopTransactionContext);
	note_add(NOTE_PO_CLOSED, crmscm_tuple_int8(newtup, desc, "tenant_id", NULL), crmscm_tuple_int8(newtup, desc, "po_id", NULL),
			 crmscm_text_is(nst, "received") ? 1 : 0, 0);
	MemoryContextSwitchTo(old);
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------------------
 * the stage
 * ------------------------------------------------------------------------
 */

/* the kept statements (prepared once per backend and schema) */
typedef enum BookForm
{
	BOOK_CUSTOM,				/* general form, planned for its arrays */
	BOOK_GENERIC,				/* general form, generic plan: a few notes */
	BOOK_ONE,					/* one receipt that leaves its line open, no order ending */
	BOOK_ONE_DONE,				/* one receipt that completes its line, no order ending */
	BOOK_NFORMS
} BookForm;

static SPIPlanPtr book_plans[BOOK_NFORMS];
static Oid	book_plans_nsp = InvalidOid;

/* up to this many notes in a commit run the generic plan of the general form */
#define BOOK_GENERIC_MAX 16

#define EQ " OPERATOR(pg_catalog.=) "

/* the supplier_stats upsert of every form; %s = schema x 3, the rows come from g */
#define BOOK_UPSERT \
	" INSERT INTO %s.supplier_stats AS x (tenant_id, supplier, item_id, warehouse_id, receipts," \
	"        qty_received, lead_moments, late_moments, lines_decided, lines_otif," \
	"        first_received_at, last_received_at)" \
	" SELECT $1, g.s, g.i, g.w, g.n, g.q, g.lm, g.dm, g.dn, g.dok, g.f, g.l FROM g" \
	"  ORDER BY g.s, g.i, g.w" \
	" ON CONFLICT (tenant_id, supplier, item_id, warehouse_id) DO UPDATE SET" \
	"   receipts = x.receipts OPERATOR(pg_catalog.+) excluded.receipts," \
	"   qty_received = x.qty_received OPERATOR(pg_catalog.+) excluded.qty_received," \
	"   lead_moments = %s._wm_merge(x.lead_moments, excluded.lead_moments)," \
	"   late_moments = %s._wm_merge(x.late_moments, excluded.late_moments)," \
	"   lines_decided = x.lines_decided OPERATOR(pg_catalog.+) excluded.lines_decided," \
	"   lines_otif = x.lines_otif OPERATOR(pg_catalog.+) excluded.lines_otif," \
	"   first_received_at = LEAST(x.first_received_at, excluded.first_received_at)," \
	"   last_received_at = GREATEST(x.last_received_at, excluded.last_received_at)"

/* the general form: $2..$8 the receipts' arrays, $9, $10 the ended orders' */
static char *
book_sql(const char *s)
{
	return psprintf(
					"WITH r AS ("
					"  SELECT u.n, u.po, u.ln, u.i, u.w, u.q, u.t, u.c,"
					"         COALESCE(p.supplier, '') AS s, p.ordered_at AS o, p.expected_at AS e"
					"    FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4),"
					"                    pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7),"
					"                    pg_catalog.unnest($8)) WITH ORDINALITY AS u(po, ln, i, w, q, t, c, n)"
					"    JOIN %s.purchase_orders p ON p.tenant_id" EQ "$1 AND p.po_id" EQ "u.po"
					"), rx AS ("
					"  SELECT r.*, (EXTRACT(epoch FROM r.t OPERATOR(pg_catalog.-) r.o)::float8"
					"               OPERATOR(pg_catalog./) 86400) AS lt,"
					"         ((r.t AT TIME ZONE 'UTC')::date OPERATOR(pg_catalog.-) r.e) AS late"
					"    FROM r"
					"), log AS ("
					"  INSERT INTO %s.purchase_receipts (tenant_id, po_id, line_no, supplier, item_id, warehouse_id,"
					"         qty, ordered_at, expected_at, received_at, lead_time_days, days_late, completes_line)"
					"  SELECT $1, rx.po, rx.ln, rx.s, rx.i, rx.w, rx.q, rx.o, rx.e, rx.t, rx.lt, rx.late, rx.c"
					"    FROM rx ORDER BY rx.n"
					"  RETURNING 1"
					"), closed AS ("
					"  SELECT COALESCE(p.supplier, '') AS s, l.item_id AS i, l.warehouse_id AS w, l.po_id AS po,"
					"         l.line_no AS ln, p.expected_at AS e"
					"    FROM ROWS FROM (pg_catalog.unnest($9), pg_catalog.unnest($10)) AS c(po, rec)"
					"    JOIN %s.purchase_orders p ON p.tenant_id" EQ "$1 AND p.po_id" EQ "c.po"
					"    JOIN %s.purchase_order_lines l ON l.tenant_id" EQ "$1 AND l.po_id" EQ "c.po"
					"   WHERE p.expected_at IS NOT NULL AND l.qty_received OPERATOR(pg_catalog.<) l.qty"
					"     AND (c.rec OR l.qty_received OPERATOR(pg_catalog.>) 0)"
					"), dec AS ("
					"  SELECT rx.po, rx.ln, rx.s, rx.i, rx.w, rx.e, rx.t AS at,"
					"         (rx.t AT TIME ZONE 'UTC')::date OPERATOR(pg_catalog.<=) rx.e AS ok"
					"    FROM rx WHERE rx.c AND rx.e IS NOT NULL"
					"  UNION ALL"
					"  SELECT closed.po, closed.ln, closed.s, closed.i, closed.w, closed.e, pg_catalog.now(), false"
					"    FROM closed"
					"), outc AS ("
					"  INSERT INTO %s.purchase_line_outcomes (tenant_id, po_id, line_no, supplier, item_id,"
					"         warehouse_id, expected_at, decided_at, on_time_in_full)"
					"  SELECT $1, d.po, d.ln, d.s, d.i, d.w, d.e, d.at, d.ok FROM dec d ORDER BY d.po, d.ln"
					"  ON CONFLICT DO NOTHING"
					"  RETURNING supplier, item_id, warehouse_id, on_time_in_full"
					"), k AS ("
					"  SELECT rx.s, rx.i, rx.w, pg_catalog.count(*) AS n, pg_catalog.sum(rx.q) AS q,"
					"         %s._wm(rx.lt, rx.q::float8) AS lm, %s._wm(rx.late::float8, rx.q::float8) AS dm,"
					"         pg_catalog.min(rx.t) AS f, pg_catalog.max(rx.t) AS l, 0::bigint AS dn, 0::bigint AS dok"
					"    FROM rx GROUP BY rx.s, rx.i, rx.w"
					"  UNION ALL"
					"  SELECT o.supplier, o.item_id, o.warehouse_id, 0, 0, '{0,0,0,0,0}', '{0,0,0,0,0}', NULL, NULL,"
					"         1, o.on_time_in_full::int::bigint"
					"    FROM outc o"
					"), g AS ("
					"  SELECT k.s, k.i, k.w, pg_catalog.sum(k.n) AS n, pg_catalog.sum(k.q) AS q,"
					"         %s._wm_pool(k.lm) AS lm, %s._wm_pool(k.dm) AS dm, pg_catalog.min(k.f) AS f,"
					"         pg_catalog.max(k.l) AS l, pg_catalog.sum(k.dn) AS dn, pg_catalog.sum(k.dok) AS dok"
					"    FROM k GROUP BY k.s, k.i, k.w"
					")" BOOK_UPSERT,
					s, s, s, s, s, s, s, s, s, s, s, s);
}

/*
 * One receipt and no order ending: $2 po, $3 line, $4 item, $5 warehouse,
 * $6 qty, $7 received_at; completes: the receipt completes its line.  The
 * same rows as the general form with arrays of one, its purchase order read
 * once by key; a partial receipt (no outcome to decide) has no outcome
 * insert in its statement at all.
 */
static char *
book_one_sql(const char *s, bool completes)
{
	StringInfoData b;

	initStringInfo(&b);
	/* the receipt's row returns what the rest needs: nothing is read twice */
	appendStringInfo(&b,
					 "WITH log AS ("
					 "  INSERT INTO %s.purchase_receipts (tenant_id, po_id, line_no, supplier, item_id, warehouse_id,"
					 "         qty, ordered_at, expected_at, received_at, lead_time_days, days_late, completes_line)"
					 "  SELECT $1, $2, $3, COALESCE(p.supplier, ''), $4, $5, $6, p.ordered_at, p.expected_at, $7,"
					 "         (EXTRACT(epoch FROM $7 OPERATOR(pg_catalog.-) p.ordered_at)::float8"
					 "          OPERATOR(pg_catalog./) 86400),"
					 "         (($7 AT TIME ZONE 'UTC')::date OPERATOR(pg_catalog.-) p.expected_at), %s"
					 "    FROM %s.purchase_orders p WHERE p.tenant_id" EQ "$1 AND p.po_id" EQ "$2"
					 "  RETURNING supplier AS s, expected_at AS e, lead_time_days AS lt, days_late AS late",
					 s, completes ? "true" : "false", s);
	if (completes)
		appendStringInfo(&b,
						 "), outc AS ("
						 "  INSERT INTO %s.purchase_line_outcomes (tenant_id, po_id, line_no, supplier, item_id,"
						 "         warehouse_id, expected_at, decided_at, on_time_in_full)"
						 "  SELECT $1, $2, $3, log.s, $4, $5, log.e, $7,"
						 "         ($7 AT TIME ZONE 'UTC')::date OPERATOR(pg_catalog.<=) log.e"
						 "    FROM log WHERE log.e IS NOT NULL"
						 "  ON CONFLICT DO NOTHING"
						 "  RETURNING on_time_in_full",
						 s);
	appendStringInfo(&b,
					 "), g AS ("
					 "  SELECT log.s, $4 AS i, $5 AS w, 1 AS n, $6 AS q,"
					 "         %s._wm_add('{0,0,0,0,0}', log.lt, $6::float8) AS lm,"
					 "         %s._wm_add('{0,0,0,0,0}', log.late::float8, $6::float8) AS dm, $7 AS f, $7 AS l, %s"
					 "    FROM log"
					 ")" BOOK_UPSERT,
					 s, s,
					 completes ?
					 "(SELECT pg_catalog.count(*) FROM outc) AS dn,"
					 " (SELECT pg_catalog.count(*) FROM outc WHERE outc.on_time_in_full) AS dok" :
					 "0::bigint AS dn, 0::bigint AS dok",
					 s, s, s);
	return b.data;
}

static SPIPlanPtr
prepare_book(Oid nsp, BookForm form)
{
	const char *s;
	char	   *sql;
	Oid			types[10] = {INT8OID, INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		NUMERICARRAYOID, TIMESTAMPTZARRAYOID, BOOLARRAYOID, INT8ARRAYOID, BOOLARRAYOID};
	Oid			one_types[7] = {INT8OID, INT8OID, INT4OID, INT8OID, INT8OID,
		NUMERICOID, TIMESTAMPTZOID};
	int			i;
	SPIPlanPtr	p;

	if (book_plans_nsp != nsp)
	{
		for (i = 0; i < BOOK_NFORMS; i++)
		{
			if (book_plans[i] != NULL)
				SPI_freeplan(book_plans[i]);
			book_plans[i] = NULL;
		}
		book_plans_nsp = nsp;
	}
	if (book_plans[form] != NULL)
		return book_plans[form];
	s = quote_identifier(get_namespace_name(nsp));
	switch (form)
	{
		case BOOK_ONE:
		case BOOK_ONE_DONE:
			sql = book_one_sql(s, form == BOOK_ONE_DONE);
			p = SPI_prepare_cursor(sql, 7, one_types, crmscm_plan_options_for(7, one_types));
			break;
		case BOOK_GENERIC:
			sql = book_sql(s);
			p = SPI_prepare_cursor(sql, 10, types, CURSOR_OPT_GENERIC_PLAN);
			break;
		default:
			sql = book_sql(s);
			p = SPI_prepare_cursor(sql, 10, types, crmscm_plan_options_for(10, types));
			break;
	}
	if (p == NULL)
		elog(ERROR, "crmscm supplier statistics: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(p) != 0)
		elog(ERROR, "crmscm supplier statistics: SPI_keepplan failed");
	book_plans[form] = p;
	return p;
}

static Datum
make_array(Datum *d, int n, Oid type)
{
	int16		len;
	bool		byval;
	char		align;

	get_typlenbyvalalign(type, &len, &byval, &align);
	return PointerGetDatum(construct_array(d, n, type, len, byval, align));
}

void
supplier_stats_stage(int64 tenant, Note *ns, int n)
{
	int			i,
				nr = 0,
				nc = 0;
	Datum	   *po,
			   *ln,
			   *item,
			   *wh,
			   *qty,
			   *at,
			   *done,
			   *cpo,
			   *crec;
	Datum		args[10];
	int			rc;
	BookForm	form;

	for (i = 0; i < n; i++)
	{
		if (ns[i].kind == NOTE_RECEIPT)
			nr++;
		else if (ns[i].kind == NOTE_PO_CLOSED)
			nc++;
	}
	if (nr == 0 && nc == 0)
		return;
	po = palloc(sizeof(Datum) * (nr + 1));
	ln = palloc(sizeof(Datum) * (nr + 1));
	item = palloc(sizeof(Datum) * (nr + 1));
	wh = palloc(sizeof(Datum) * (nr + 1));
	qty = palloc(sizeof(Datum) * (nr + 1));
	at = palloc(sizeof(Datum) * (nr + 1));
	done = palloc(sizeof(Datum) * (nr + 1));
	cpo = palloc(sizeof(Datum) * (nc + 1));
	crec = palloc(sizeof(Datum) * (nc + 1));
	nr = nc = 0;
	for (i = 0; i < n; i++)
	{
		Note	   *x = &ns[i];

		if (x->kind == NOTE_RECEIPT)
		{
			ReceiptNote *rn = (ReceiptNote *) x->extra;

			po[nr] = Int64GetDatum(x->a);
			ln[nr] = Int32GetDatum((int32) x->b);
			item[nr] = Int64GetDatum(x->c);
			wh[nr] = Int64GetDatum(x->d);
			qty[nr] = x->qty;
			at[nr] = TimestampTzGetDatum(rn->received_at);
			done[nr] = BoolGetDatum(rn->completes);
			nr++;
		}
		else if (x->kind == NOTE_PO_CLOSED)
		{
			cpo[nc] = Int64GetDatum(x->a);
			crec[nc] = BoolGetDatum(x->b != 0);
			nc++;
		}
	}
	args[0] = Int64GetDatum(tenant);
	if (nr == 1 && nc == 0)
	{
		/* receive(): the scalar form */
		form = DatumGetBool(done[0]) ? BOOK_ONE_DONE : BOOK_ONE;
		args[1] = po[0];
		args[2] = ln[0];
		args[3] = item[0];
		args[4] = wh[0];
		args[5] = qty[0];
		args[6] = at[0];
	}
	else
	{
		form = nr + nc <= BOOK_GENERIC_MAX && !crmscm_on_citus() ? BOOK_GENERIC : BOOK_CUSTOM;
		args[1] = make_array(po, nr, INT8OID);
		args[2] = make_array(ln, nr, INT4OID);
		args[3] = make_array(item, nr, INT8OID);
		args[4] = make_array(wh, nr, INT8OID);
		args[5] = make_array(qty, nr, NUMERICOID);
		args[6] = make_array(at, nr, TIMESTAMPTZOID);
		args[7] = make_array(done, nr, BOOLOID);
		args[8] = make_array(cpo, nc, INT8OID);
		args[9] = make_array(crec, nc, BOOLOID);
	}
	rc = SPI_execute_plan(prepare_book(engine_get_schema(), form), args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "crmscm supplier statistics: booking failed: %s", SPI_result_code_string(rc));
}
