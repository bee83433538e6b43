/*
 * promise.c — order promising (issue #17, doc/synergy.md): the stock, queue
 * and dated purchases of one item loaded for the kernel of
 * src/core/promise.c, and the SQL faces crmscm.promise() and
 * crmscm.promise_queue().
 *
 * Everything is read as crmscm (the engine's scope), filtered on the
 * caller's tenant as crmscm.current_tenant() returns it (the permission
 * check), by statements of the forms doc/citus.md finds routable.
 *
 * Quantities go to the kernel as exact integers: each numeric is printed
 * and read back as a whole number of units of 10^-S, S being the largest
 * number of decimals of any quantity plus that of any allocation share, so
 * every fence (share x on hand) is whole and the kernel's answers equal what
 * the engine computes in numeric.
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "geopoint.h"
#include "synergy.h"

extern Datum crmscm_current_tenant(PG_FUNCTION_ARGS);

int			crmscm_max_promise_queue = 1000000;
int			crmscm_otif_tolerance_days = 0;

void
crmscm_define_promise_settings(void)
{
	DefineCustomIntVariable("crmscm.otif_tolerance_days",
							"Days after the promised date a line still counts as on time (crmscm.delivery_performance).",
							NULL,
							&crmscm_otif_tolerance_days,
							0, 0, 365,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("crmscm.max_promise_queue",
							"Most backorders of one item crmscm.promise(), crmscm.promise_queue() and crmscm.rebalance() load.",
							"Beyond it they raise an error (54000); the commit pass then leaves that item's promise dates as they are.",
							&crmscm_max_promise_queue,
							1000000, 1, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
}

/* ------------------------------------------------------------------------
 * days and sources
 * ------------------------------------------------------------------------
 */

DateADT
utc_today(void)
{
	TimestampTz ts = GetCurrentTransactionStartTimestamp();
	int64		d = ts / USECS_PER_DAY;

	if (ts < 0 && ts % USECS_PER_DAY != 0)
		d--;
	return (DateADT) d;
}

const char *
pq_source_name(int src)
{
	switch (src)
	{
		case PQ_STOCK:
			return "stock";
		case PQ_PURCHASE:
			return "purchase";
		case PQ_LEAD:
			return "lead_time";
		default:
			return NULL;
	}
}

int
pq_source_of(const char *name)
{
	if (name == NULL)
		return PQ_NONE;
	if (strcmp(name, "stock") == 0)
		return PQ_STOCK;
	if (strcmp(name, "purchase") == 0)
		return PQ_PURCHASE;
	if (strcmp(name, "lead_time") == 0)
		return PQ_LEAD;
	return PQ_NONE;
}

/* ------------------------------------------------------------------------
 * exact quantities
 * ------------------------------------------------------------------------
 */

#define PQ_DIGITS_MAX 36		/* |units| < 10^36 (int128 holds 1.7 x 10^38) */

/* the text of a finite numeric */
static char *
qty_text(Datum d, const char *what)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out, d));

	if (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite number, got %s", what, s)));
	return s;
}

/* decimals of a numeric's text, trailing zeros aside */
static int
text_decimals(const char *s)
{
	const char *dot = strchr(s, '.');
	int			n;

	if (dot == NULL)
		return 0;
	n = (int) strlen(dot + 1);
	while (n > 0 && dot[n] == '0')
		n--;
	return n;
}

/*
 * Lenient conversion (the queues the commit pass and promise_queue() cover):
 * a quantity out of the exact range sets conv_failed instead of raising an
 * error, and the caller promises the item's queue on its lead time.  A
 * line of 1e308 units must not make every later commit of the tenant fail.
 */
static bool conv_lenient = false;
static bool conv_failed = false;

/* the text as a whole number of 10^-scale units */
static pq_qty
text_units(const char *s, int scale, const char *what)
{
	pq_qty		v = 0;
	bool		neg = false;
	int			digits = 0,
				frac = -1;
	const char *c = s;

	if (*c == '-')
	{
		neg = true;
		c++;
	}
	for (; *c; c++)
	{
		if (*c == '.')
		{
			frac = 0;
			continue;
		}
		if (frac >= 0)
		{
			if (frac == scale)
			{
				if (*c != '0')
					elog(ERROR, "crmscm promise: %s has more than %d decimals", s, scale);
				continue;
			}
			frac++;
		}
		if (v != 0 || *c != '0')
			digits++;
		if (digits > PQ_DIGITS_MAX)
			goto overflow;
		v = v * 10 + (*c - '0');
	}
	for (frac = frac < 0 ? 0 : frac; frac < scale; frac++)
	{
		if (v != 0 && ++digits > PQ_DIGITS_MAX)
			goto overflow;
		v *= 10;
	}
	return neg ? -v : v;
overflow:
	if (conv_lenient)
	{
		conv_failed = true;
		return 0;
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s %s is out of the range crmscm computes promises for", what, s),
			 errdetail("Quantities times 10 to the power of their decimals (and of the allocation shares') must stay below 10^%d.",
					   PQ_DIGITS_MAX)));
	return 0;
}

/* units of 10^-scale as a numeric */
static Datum
units_numeric(pq_qty v, int scale)
{
	char		buf[64];
	char	   *p = buf + sizeof(buf) - 1;
	bool		neg = v < 0;
	int			n = 0;

	*p = '\0';
	if (neg)
		v = -v;
	do
	{
		if (n == scale && scale > 0)
			*--p = '.';
		*--p = (char) ('0' + (int) (v % 10));
		v /= 10;
		n++;
	} while (v > 0 || n <= scale);
	if (neg)
		*--p = '-';
	/* no trailing zeros: 3, not 3.000 (the scale is an artefact of the other quantities) */
	if (scale > 0)
	{
		char	   *e = buf + sizeof(buf) - 2;

		while (*e == '0')
			*e-- = '\0';
		if (*e == '.')
			*e = '\0';
	}
	return DirectFunctionCall3(numeric_in, CStringGetDatum(p), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * One quantity as a whole number of units of 10^-dec, dec its own decimals
 * (trailing zeros aside); big: more than PQ_DIGITS_MAX digits even so (out
 * of range at any scale).  Each quantity of an item is converted once
 * (conv_init), then scaled for the kernel (conv_scaled): what text_units()
 * of its text at the item's scale gives, without printing it twice.
 */
typedef struct NumU
{
	pq_qty		v;
	int			dec;
	bool		big;
} NumU;

/*
 * The stored form of a numeric (src/backend/utils/adt/numeric.c, the
 * on-disk format pg_upgrade keeps): a 16-bit header, short (sign, display
 * scale and weight in it) or long (then a 16-bit weight), then base-10000
 * digits without leading or trailing zero digits; the value is the sum of
 * digit i x 10000^(weight - i).
 */
#define PQ_NUMERIC_SIGN_MASK	0xC000
#define PQ_NUMERIC_NEG			0x4000
#define PQ_NUMERIC_SHORT		0x8000
#define PQ_NUMERIC_SPECIAL		0xC000
#define PQ_NUMERIC_SHORT_SIGN	0x2000
#define PQ_NUMERIC_SHORT_WSIGN	0x0040
#define PQ_NUMERIC_SHORT_WMASK	0x003F

/*
 * The units of a finite numeric of at most 9 base-10000 digits, none
 * beyond 10^36 or below 10^-36, read from its digits (no text, no
 * allocation: 1,000 queued lines are 2,000 quantities per promise()); false
 * for any other (NaN, infinities, more digits), which take the text path.
 * test/pgtap/promise.sql compares the two on quantities of every shape.
 */
static bool
numeric_digits_units(Datum d, NumU *u)
{
	const struct varlena *x = (const struct varlena *) DatumGetPointer(d);
	const char *p,
			   *dig;
	size_t		len;
	uint16		h;
	int			ndig,
				weight,
				last,
				i;
	bool		neg;
	pq_qty		v = 0;

	/* as stored in the row (a short header unaligned), not detoasted: no copy */
	if (VARATT_IS_SHORT(x))
	{
		p = VARDATA_SHORT(x);
		len = VARSIZE_SHORT(x) - VARHDRSZ_SHORT;
	}
	else if (VARATT_IS_4B_U(x))
	{
		p = VARDATA(x);
		len = VARSIZE(x) - VARHDRSZ;
	}
	else
		return false;			/* compressed or external */
	if (len < sizeof(uint16))
		return false;
	memcpy(&h, p, sizeof(h));
	if ((h & PQ_NUMERIC_SIGN_MASK) == PQ_NUMERIC_SPECIAL)
		return false;
	if ((h & PQ_NUMERIC_SIGN_MASK) == PQ_NUMERIC_SHORT)
	{
		neg = (h & PQ_NUMERIC_SHORT_SIGN) != 0;
		weight = (h & PQ_NUMERIC_SHORT_WSIGN ? ~PQ_NUMERIC_SHORT_WMASK : 0) | (h & PQ_NUMERIC_SHORT_WMASK);
		dig = p + sizeof(uint16);
		ndig = (int) ((len - sizeof(uint16)) / sizeof(int16));
	}
	else
	{
		int16		w;

		if (len < 2 * sizeof(uint16))
			return false;
		neg = (h & PQ_NUMERIC_SIGN_MASK) == PQ_NUMERIC_NEG;
		memcpy(&w, p + sizeof(uint16), sizeof(w));
		weight = w;
		dig = p + 2 * sizeof(uint16);
		ndig = (int) ((len - 2 * sizeof(uint16)) / sizeof(int16));
	}
	u->big = false;
	u->dec = 0;
	if (ndig == 0)
	{
		u->v = 0;
		return true;
	}
	last = weight - ndig + 1;	/* the power of 10000 of the last digit */
	if (ndig > 9 || weight >= 9 || last < -9)
		return false;
	for (i = 0; i < ndig; i++)
	{
		int16		g;

		memcpy(&g, dig + i * sizeof(int16), sizeof(g));
		if (g < 0 || g >= 10000)
			return false;
		v = v * 10000 + g;
	}
	if (last >= 0)
		for (i = 0; i < last; i++)
			v *= 10000;
	else
	{
		u->dec = -4 * last;
		while (u->dec > 0 && v % 10 == 0)
		{
			v /= 10;
			u->dec--;
		}
	}
	u->v = neg ? -v : v;
	return true;
}

static void
num_units(Datum d, const char *what, NumU *u)
{
	char	   *s;
	bool		was_lenient,
				was_failed;

	if (numeric_digits_units(d, u))
		return;
	s = qty_text(d, what);		/* NaN and infinities: the error of qty_text */
	u->dec = text_decimals(s);
	/* out of range even at its own decimals: an error (or conv_failed) when scaled */
	was_lenient = conv_lenient;
	was_failed = conv_failed;
	conv_lenient = true;
	conv_failed = false;
	PG_TRY();
	{
		u->v = text_units(s, u->dec, what);
	}
	PG_FINALLY();
	{
		conv_lenient = was_lenient;
	}
	PG_END_TRY();
	u->big = conv_failed;
	conv_failed = was_failed;
}

/* u at scale (>= u->dec) as text_units() of its text: out of range is an error, or conv_failed */
static pq_qty
conv_scaled(const NumU *u, Datum d, int scale, const char *what)
{
	pq_qty		v = u->v,
				a;
	int			digits = 0,
				i;

	if (u->big)
		return text_units(qty_text(d, what), scale, what);
	for (a = v < 0 ? -v : v; a > 0; a /= 10)
		digits++;
	if (v != 0 && digits + (scale - u->dec) > PQ_DIGITS_MAX)
		return text_units(qty_text(d, what), scale, what);	/* its error */
	for (i = u->dec; i < scale; i++)
		v *= 10;
	return v;
}

/* What the kernel needs of an item, converted */
typedef struct Conv
{
	int			scale;			/* quantities' decimals + shares' */
	int			share_dec;
	PqRules		rules;
	NumU	   *on_hand;		/* per site */
	NumU	   *available;		/* per site */
	NumU	   *bo_qty;			/* per backorder */
	NumU	   *bo_allocated;	/* per backorder */
	NumU	   *rc_qty;			/* per receipt */
} Conv;

/* The scale for d (and an extra quantity, if any); the rules as units */
static void
conv_init(Conv *c, ItemData *d, char **extra, int nextra)
{
	int			qdec = 0,
				sdec = 0,
				i,
				t;

	c->on_hand = palloc(sizeof(NumU) * Max(d->nsites, 1));
	c->available = palloc(sizeof(NumU) * Max(d->nsites, 1));
	c->bo_qty = palloc(sizeof(NumU) * Max(d->nbos, 1));
	c->bo_allocated = palloc(sizeof(NumU) * Max(d->nbos, 1));
	c->rc_qty = palloc(sizeof(NumU) * Max(d->nrcs, 1));
	for (i = 0; i < d->nsites; i++)
	{
		num_units(d->sites[i].on_hand, "on hand", &c->on_hand[i]);
		qdec = Max(qdec, c->on_hand[i].dec);
		num_units(d->sites[i].available, "available stock", &c->available[i]);
		qdec = Max(qdec, c->available[i].dec);
	}
	for (i = 0; i < d->nbos; i++)
	{
		num_units(d->bos[i].qty, "backordered quantity", &c->bo_qty[i]);
		qdec = Max(qdec, c->bo_qty[i].dec);
		num_units(d->bos[i].allocated, "allocated quantity", &c->bo_allocated[i]);
		qdec = Max(qdec, c->bo_allocated[i].dec);
	}
	for (i = 0; i < d->nrcs; i++)
	{
		num_units(d->rcs[i].qty, "purchase quantity", &c->rc_qty[i]);
		qdec = Max(qdec, c->rc_qty[i].dec);
	}
	for (i = 0; i < nextra; i++)
		qdec = Max(qdec, text_decimals(extra[i]));
	for (t = 0; t < PQ_TIERS && d->has_rules; t++)
		sdec = Max(sdec, text_decimals(qty_text(d->share[t], "allocation share")));
	if ((sdec > 18 || qdec + sdec > PQ_DIGITS_MAX) && conv_lenient)
	{
		conv_failed = true;
		sdec = Min(sdec, 18);
		qdec = 0;
	}
	else if (sdec > 18 || qdec + sdec > PQ_DIGITS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the quantities of item " INT64_FORMAT " have too many decimals for crmscm to compute promises exactly", d->item),
				 errdetail("%d decimals of quantities and %d of allocation shares.", qdec, sdec)));
	c->scale = qdec + sdec;
	c->share_dec = sdec;
	c->rules.unit = 1;
	for (t = 0; t < sdec; t++)
		c->rules.unit *= 10;
	for (t = 0; t < PQ_TIERS; t++)
		c->rules.share[t] = d->has_rules ? (int64) text_units(qty_text(d->share[t], "allocation share"), sdec, "allocation share") : 0;
}

/* ------------------------------------------------------------------------
 * loading one item
 * ------------------------------------------------------------------------
 */

typedef struct ItemPlans
{
	Oid			nsp;
	SPIPlanPtr	warehouses;
	SPIPlanPtr	item;
	SPIPlanPtr	inventory;
	SPIPlanPtr	backorders;
	SPIPlanPtr	backorders_lean;
	SPIPlanPtr	purchases;
	SPIPlanPtr	rules;
	SPIPlanPtr	customer;
} ItemPlans;

static ItemPlans ip;

#define EQ " OPERATOR(pg_catalog.=) "

static SPIPlanPtr
keep(const char *sql, int nargs, Oid *types)
{
	return crmscm_keep_plan("promise", sql, nargs, types, crmscm_plan_options_for(nargs, types));
}

static void
item_plans(Oid nsp)
{
	const char *s;
	Oid			t[3] = {INT8OID, INT8OID, INT8OID};

	if (ip.nsp == nsp)
		return;
	ip.nsp = InvalidOid;
	s = quote_identifier(get_namespace_name(nsp));
	ip.warehouses = keep(psprintf(
		"SELECT w.warehouse_id, w.location FROM %s.warehouses w WHERE w.tenant_id" EQ "$1"
		" ORDER BY w.warehouse_id", s), 1, t);
	ip.item = keep(psprintf(
		"SELECT LEAST(pg_catalog.ceil(i.lead_time_days), 1000000)::pg_catalog.int4 FROM %s.items i"
		" WHERE i.tenant_id" EQ "$1 AND i.item_id" EQ "$2", s), 2, t);
	ip.inventory = keep(psprintf(
		"SELECT i.warehouse_id, i.on_hand, i.on_hand OPERATOR(pg_catalog.-) i.reserved FROM %s.inventory i"
		" WHERE i.tenant_id" EQ "$1 AND i.item_id" EQ "$2", s), 2, t);
	ip.backorders = keep(psprintf(
		"SELECT b.backorder_id, b.order_id, b.line_no, b.warehouse_id, b.qty, b.allocated, b.priority, b.tier,"
		"       b.promised_date, b.promise_source FROM %s.backorders b"
		" WHERE b.tenant_id" EQ "$1 AND b.item_id" EQ "$2"
		" ORDER BY b.warehouse_id, b.priority DESC, b.tier, b.created_at, b.backorder_id LIMIT $3", s), 3, t);
	/* what promise() needs of the queue: half the columns to copy and deform per row */
	ip.backorders_lean = keep(psprintf(
		"SELECT b.warehouse_id, b.qty, b.allocated, b.priority, b.tier FROM %s.backorders b"
		" WHERE b.tenant_id" EQ "$1 AND b.item_id" EQ "$2"
		" ORDER BY b.warehouse_id, b.priority DESC, b.tier, b.created_at, b.backorder_id LIMIT $3", s), 3, t);
	ip.purchases = keep(psprintf(
		"SELECT l.warehouse_id, p.expected_at, l.qty OPERATOR(pg_catalog.-) l.qty_received"
		"  FROM %s.purchase_order_lines l"
		"  JOIN %s.purchase_orders p ON p.tenant_id" EQ "l.tenant_id AND p.po_id" EQ "l.po_id"
		" WHERE l.tenant_id" EQ "$1 AND p.tenant_id" EQ "$1 AND l.item_id" EQ "$2"
		"   AND p.status" EQ "'ordered' AND pg_catalog.isfinite(p.expected_at)"
		"   AND l.qty OPERATOR(pg_catalog.>) l.qty_received"
		" ORDER BY l.warehouse_id, p.expected_at, l.po_id, l.line_no", s, s), 2, t);
	ip.rules = keep(psprintf(
		"SELECT r.tier, r.share FROM %s.allocation_rules r"
		" WHERE r.tenant_id" EQ "$1 AND r.item_id" EQ "$2", s), 2, t);
	ip.customer = keep(psprintf(
		"SELECT c.customer_id, t.tier FROM %s.customers c"
		"  LEFT JOIN %s.customer_tiers t ON t.tenant_id" EQ "c.tenant_id AND t.customer_id" EQ "c.customer_id"
		" WHERE c.tenant_id" EQ "$1 AND c.customer_id" EQ "$2", s, s), 2, t);
	ip.nsp = nsp;
}

/*
 * Not read-only: a statement sees what the caller wrote before it in the
 * same SPI connection (the commit pass's flush)
 */
static void
run(SPIPlanPtr p, Datum *args)
{
	int			rc = SPI_execute_plan(p, args, NULL, false, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "crmscm promise: query failed: %s", SPI_result_code_string(rc));
}

static Datum
copy_num(SPITupleTable *tt, uint64 r, int c)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tt->vals[r], tt->tupdesc, c, &isnull);

	return isnull ? num_zero() : datumCopy(d, false, -1);
}

/* the first character of a (short, non-empty) text: a tier */
static char
text_first_char(Datum t)
{
	text	   *x = DatumGetTextPP(t);

	return VARSIZE_ANY_EXHDR(x) > 0 ? VARDATA_ANY(x)[0] : '\0';
}

static int
site_index(ItemData *d, int64 wh)
{
	int			lo = 0,
				hi = d->nsites;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (d->sites[mid].wh < wh)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->nsites && d->sites[lo].wh == wh ? lo : -1;
}

/* the backorders' rows into d->bos (lean: the columns of backorders_lean) */
static void
load_backorders(ItemData *d, SPITupleTable *tt, uint64 nrows, bool lean)
{
	uint64		r;

	d->nbos = (int) nrows;
	d->bos = palloc0(sizeof(ItemBo) * Max(d->nbos, 1));
	for (r = 0; r < nrows; r++)
	{
		ItemBo	   *b = &d->bos[r];
		Datum		v[10];
		bool		n[10];

		/* one deform per row (SPI_getbinval walks the row from the start for each column) */
		heap_deform_tuple(tt->vals[r], tt->tupdesc, v, n);
		if (lean)
		{
			b->wh = DatumGetInt64(v[0]);
			b->qty = n[1] ? num_zero() : datumCopy(v[1], false, -1);
			b->allocated = n[2] ? num_zero() : datumCopy(v[2], false, -1);
			b->priority = DatumGetInt32(v[3]);
			b->tier = text_first_char(v[4]);
			b->source = PQ_NONE;
			continue;
		}
		b->id = DatumGetInt64(v[0]);
		b->order_id = DatumGetInt64(v[1]);
		b->line_no = DatumGetInt32(v[2]);
		b->wh = DatumGetInt64(v[3]);
		b->qty = n[4] ? num_zero() : datumCopy(v[4], false, -1);
		b->allocated = n[5] ? num_zero() : datumCopy(v[5], false, -1);
		b->priority = DatumGetInt32(v[6]);
		b->tier = text_first_char(v[7]);
		b->has_date = !n[8];
		b->promised_date = n[8] ? 0 : DatumGetDateADT(v[8]);
		b->source = n[9] ? PQ_NONE : pq_source_of(TextDatumGetCString(v[9]));
	}
}

/*
 * item_load() for promise(): lean, the backorders without what only the
 * commit pass and promise_queue() use (ids, stored promise)
 */
static bool item_load_lean = false;

bool
item_load(Oid nsp, int64 tenant, int64 item, ItemData *d, bool error_on_limit, bool lazy)
{
	Datum		args[3];
	SPITupleTable *tt;
	uint64		r;
	bool		isnull;
	int			i;

	item_plans(nsp);
	memset(d, 0, sizeof(*d));
	d->tenant = tenant;
	d->item = item;
	d->today = utc_today();
	args[0] = Int64GetDatum(tenant);
	args[1] = Int64GetDatum(item);
	args[2] = Int64GetDatum((int64) crmscm_max_promise_queue + 1);

	run(item_load_lean ? ip.backorders_lean : ip.backorders, args);
	tt = SPI_tuptable;
	if (SPI_processed > (uint64) crmscm_max_promise_queue)
	{
		SPI_freetuptable(tt);
		if (error_on_limit)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("item " INT64_FORMAT " has more than %d backorders", item, crmscm_max_promise_queue),
					 errhint("Raise crmscm.max_promise_queue.")));
		return false;
	}
	load_backorders(d, tt, SPI_processed, item_load_lean);
	SPI_freetuptable(tt);

	if (lazy && d->nbos == 0)
		return true;

	run(ip.item, args);
	if (SPI_processed != 1)
	{
		SPI_freetuptable(SPI_tuptable);
		return false;
	}
	d->lead_days = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);

	run(ip.warehouses, args);
	tt = SPI_tuptable;
	d->nsites = (int) SPI_processed;
	d->sites = palloc0(sizeof(ItemSite) * Max(d->nsites, 1));
	for (r = 0; r < SPI_processed; r++)
	{
		ItemSite   *s = &d->sites[r];
		Datum		loc;

		s->wh = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		loc = SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull);
		s->has_loc = !isnull;
		if (!isnull)
			s->loc = *DatumGetGeoPointP(loc);
		s->on_hand = s->available = num_zero();
	}
	SPI_freetuptable(tt);

	run(ip.inventory, args);
	tt = SPI_tuptable;
	for (r = 0; r < SPI_processed; r++)
	{
		int			k = site_index(d, DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull)));

		if (k < 0)
			continue;
		d->sites[k].on_hand = copy_num(tt, r, 2);
		d->sites[k].available = copy_num(tt, r, 3);
	}
	SPI_freetuptable(tt);

	run(ip.purchases, args);
	tt = SPI_tuptable;
	d->nrcs = (int) SPI_processed;
	d->rcs = palloc0(sizeof(ItemRc) * Max(d->nrcs, 1));
	for (r = 0; r < SPI_processed; r++)
	{
		d->rcs[r].wh = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		d->rcs[r].day = DatumGetDateADT(SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull));
		d->rcs[r].qty = copy_num(tt, r, 3);
	}
	SPI_freetuptable(tt);

	run(ip.rules, args);
	tt = SPI_tuptable;
	for (i = 0; i < PQ_TIERS; i++)
		d->share[i] = num_zero();
	for (r = 0; r < SPI_processed; r++)
	{
		int			t = tier_rank(TextDatumGetCString(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull))[0]);

		d->share[t] = copy_num(tt, r, 2);
		d->has_rules = true;
	}
	SPI_freetuptable(tt);

	/* each site's queue and receipts (both come sorted by warehouse) */
	for (i = 0; i < d->nbos; i++)
	{
		int			k = site_index(d, d->bos[i].wh);

		if (k < 0)
			continue;
		if (d->sites[k].nbo == 0)
			d->sites[k].first_bo = i;
		d->sites[k].nbo++;
	}
	for (i = 0; i < d->nrcs; i++)
	{
		int			k = site_index(d, d->rcs[i].wh);

		if (k < 0)
			continue;
		if (d->sites[k].nrc == 0)
			d->sites[k].first_rc = i;
		d->sites[k].nrc++;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * the kernel's input
 * ------------------------------------------------------------------------
 */

static void
pg_tick(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static int32
lead_day_of(ItemData *d)
{
	int64		l = (int64) d->today + d->lead_days;

	return (int32) Min(l, (int64) INT_MAX - 1);
}

/* The kernel's view of site k of d */
static void
kernel_site(ItemData *d, Conv *c, int k, PqSite *ps, PqReceipt *rc, PqEntry *q)
{
	ItemSite   *s = &d->sites[k];
	int			i;

	ps->on_hand = conv_scaled(&c->on_hand[k], s->on_hand, c->scale, "on hand");
	ps->available = conv_scaled(&c->available[k], s->available, c->scale, "available stock");
	for (i = 0; i < s->nrc; i++)
	{
		ItemRc	   *x = &d->rcs[s->first_rc + i];

		rc[i].day = (int32) x->day;
		rc[i].qty = conv_scaled(&c->rc_qty[s->first_rc + i], x->qty, c->scale, "purchase quantity");
	}
	for (i = 0; i < s->nbo; i++)
	{
		int			j = s->first_bo + i;
		ItemBo	   *b = &d->bos[j];

		q[i].need = conv_scaled(&c->bo_qty[j], b->qty, c->scale, "backordered quantity") -
			conv_scaled(&c->bo_allocated[j], b->allocated, c->scale, "allocated quantity");
		q[i].priority = b->priority;
		q[i].tier = tier_rank(b->tier);
		q[i].day = 0;
		q[i].source = PQ_NONE;
	}
	ps->receipts = rc;
	ps->nreceipts = s->nrc;
	ps->queue = q;
	ps->nqueue = s->nbo;
}

/* conv_init (k < 0) or kernel_site() of site k, out-of-range quantities setting conv_failed */
static void
lenient_site(ItemData *d, Conv *c, int k, PqSite *ps, PqReceipt *rc, PqEntry *q)
{
	conv_lenient = true;
	PG_TRY();
	{
		if (k < 0)
			conv_init(c, d, NULL, 0);
		else
			kernel_site(d, c, k, ps, rc, q);
	}
	PG_FINALLY();
	{
		conv_lenient = false;
	}
	PG_END_TRY();
}

void
item_cover_queues(ItemData *d)
{
	Conv		c;
	int			k,
				i;

	if (d->nbos == 0)
		return;
	conv_failed = false;
	lenient_site(d, &c, -1, NULL, NULL, NULL);
	for (k = 0; k < d->nsites && !conv_failed; k++)
	{
		ItemSite   *s = &d->sites[k];
		PqSite		ps;
		PqReceipt  *rc;
		PqEntry    *q;
		pq_qty	   *scratch;

		if (s->nbo == 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		rc = palloc(sizeof(PqReceipt) * Max(s->nrc, 1));
		q = palloc(sizeof(PqEntry) * s->nbo);
		scratch = palloc(sizeof(pq_qty) * s->nbo);
		lenient_site(d, &c, k, &ps, rc, q);
		if (conv_failed)
			break;
		pq_cover_queue(&ps, &c.rules, (int32) d->today, lead_day_of(d), scratch, pg_tick, NULL);
		for (i = 0; i < s->nbo; i++)
		{
			d->bos[s->first_bo + i].new_date = (DateADT) q[i].day;
			d->bos[s->first_bo + i].new_source = q[i].source;
		}
		pfree(rc);
		pfree(q);
		pfree(scratch);
	}
	/* out of the exact range: every backorder of the item on its lead time */
	if (conv_failed)
		for (i = 0; i < d->nbos; i++)
		{
			d->bos[i].new_date = (DateADT) lead_day_of(d);
			d->bos[i].new_source = PQ_LEAD;
		}
	conv_failed = false;
}

/* ------------------------------------------------------------------------
 * crmscm.promise()
 * ------------------------------------------------------------------------
 */

typedef struct RankEntry
{
	int			k;
	bool		has_d;
	double		d;
	int64		wh;
} RankEntry;

/* as the engine ranks warehouses: distance_km(location, ship_to) NULLS LAST, then id */
static int
rank_entry_cmp(const void *a, const void *b)
{
	const RankEntry *x = a,
			   *y = b;

	if (x->has_d != y->has_d)
		return x->has_d ? -1 : 1;
	if (x->has_d && x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->wh < y->wh ? -1 : (x->wh > y->wh);
}

typedef struct PromiseArgs
{
	Oid			nsp;
	int64		tenant;
	int64		item;
	Datum		qty;
	bool		ship_null;
	GeoPoint	ship_to;
	bool		req_null;
	DateADT		requested;
	bool		cust_null;
	int64		customer;
	int32		priority;
	bool		wh_null;
	int64		wh;
	ReturnSetInfo *rsinfo;
} PromiseArgs;

static void
promise_body(PromiseArgs *a)
{
	ItemData	d;
	Conv		c;
	char	   *qtext = qty_text(a->qty, "quantity");
	char		tier = 'C';
	RankEntry  *rank;
	PqSite	   *sites;
	PqRow	   *rows;
	PqEntry    *scratch_e;
	pq_qty	   *scratch;
	PqRequest	rq;
	int			i,
				n,
				home = -1,
				nrows;
	int			maxq = 0,
				maxr = 0;
	volatile bool found = false;

	item_load_lean = true;
	PG_TRY();
	{
		found = item_load(a->nsp, a->tenant, a->item, &d, true, false);
	}
	PG_FINALLY();
	{
		item_load_lean = false;
	}
	PG_END_TRY();
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("item " INT64_FORMAT " does not exist", a->item)));
	if (d.nsites == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("tenant " INT64_FORMAT " has no warehouse to promise item " INT64_FORMAT " from", a->tenant, a->item),
				 errhint("Create a warehouse first.")));
	if (!a->cust_null)
	{
		Datum		args[2];
		bool		isnull;

		args[0] = Int64GetDatum(a->tenant);
		args[1] = Int64GetDatum(a->customer);
		run(ip.customer, args);
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("customer " INT64_FORMAT " does not exist", a->customer)));
		{
			Datum		t = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

			if (!isnull)
				tier = TextDatumGetCString(t)[0];
		}
		SPI_freetuptable(SPI_tuptable);
	}
	if (!a->wh_null && site_index(&d, a->wh) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("warehouse " INT64_FORMAT " does not exist", a->wh)));

	/* the warehouses in the engine's rank order */
	rank = palloc(sizeof(RankEntry) * d.nsites);
	for (i = 0; i < d.nsites; i++)
	{
		rank[i].k = i;
		rank[i].wh = d.sites[i].wh;
		rank[i].has_d = !a->ship_null && d.sites[i].has_loc;
		rank[i].d = rank[i].has_d ? geo_distance_km(&d.sites[i].loc, &a->ship_to) : 0;
	}
	qsort(rank, d.nsites, sizeof(RankEntry), rank_entry_cmp);

	conv_init(&c, &d, &qtext, 1);
	sites = palloc0(sizeof(PqSite) * d.nsites);
	for (i = 0; i < d.nsites; i++)
	{
		ItemSite   *s = &d.sites[rank[i].k];

		kernel_site(&d, &c, rank[i].k, &sites[i],
					palloc(sizeof(PqReceipt) * Max(s->nrc, 1)), palloc(sizeof(PqEntry) * Max(s->nbo, 1)));
		maxq = Max(maxq, s->nbo);
		maxr = Max(maxr, s->nrc);
		if (a->wh_null ? i == 0 : s->wh == a->wh)
			home = i;
	}
	rq.qty = text_units(qtext, c.scale, "quantity");
	rq.priority = a->priority;
	rq.tier = tier_rank(tier);
	rq.home = home;
	rq.only_home = !a->wh_null;
	rq.today = (int32) d.today;
	rq.lead_day = lead_day_of(&d);
	rows = palloc(sizeof(PqRow) * (d.nsites + maxr + 2));
	scratch_e = palloc(sizeof(PqEntry) * (maxq + 1));
	scratch = palloc(sizeof(pq_qty) * (maxq + 1));
	nrows = pq_promise(&rq, sites, d.nsites, &c.rules, rows, scratch_e, scratch, pg_tick, NULL);

	for (n = 0; n < nrows; n++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		DateADT		day = (DateADT) rows[n].day;

		if (day < d.today)
			day = d.today;
		if (!a->req_null && day < a->requested)
			day = a->requested;
		values[0] = Int64GetDatum(d.sites[rank[rows[n].site].k].wh);
		values[1] = units_numeric(rows[n].qty, c.scale);
		values[2] = DateADTGetDatum(day);
		values[3] = CStringGetTextDatum(pq_source_name(rows[n].source));
		tuplestore_putvalues(a->rsinfo->setResult, a->rsinfo->setDesc, values, nulls);
	}
}

static void
in_scope(Oid nsp, void (*fn) (PromiseArgs *), PromiseArgs *a)
{
	EngineScope scope;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crmscm promise: SPI_connect failed");
	engine_set_schema(nsp);
	engine_begin(&scope);
	PG_TRY();
	{
		fn(a);
	}
	PG_FINALLY();
	{
		engine_end(&scope);
	}
	PG_END_TRY();
	SPI_finish();
}

/* crmscm.promise(item_id, qty, ship_to, requested_date, customer_id, priority, warehouse_id) */
PG_FUNCTION_INFO_V1(crmscm_promise);
Datum
crmscm_promise(PG_FUNCTION_ARGS)
{
	PromiseArgs a;
	Numeric		q;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("item_id and qty must not be NULL")));
	memset(&a, 0, sizeof(a));
	a.nsp = crmscm_schema_of(fcinfo);
	a.item = PG_GETARG_INT64(0);
	a.qty = PG_GETARG_DATUM(1);
	q = DatumGetNumeric(a.qty);
	if (numeric_is_nan(q) || numeric_is_inf(q))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("quantity to promise must be a finite number, got %s",
						DatumGetCString(DirectFunctionCall1(numeric_out, a.qty)))));
	if (num_cmp(a.qty, num_zero()) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantity to promise must be positive, got %s",
						DatumGetCString(DirectFunctionCall1(numeric_out, a.qty)))));
	a.ship_null = PG_ARGISNULL(2);
	if (!a.ship_null)
		a.ship_to = *PG_GETARG_GEOPOINT_P(2);
	a.req_null = PG_ARGISNULL(3);
	if (!a.req_null)
	{
		a.requested = PG_GETARG_DATEADT(3);
		if (DATE_NOT_FINITE(a.requested))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("requested_date must be a finite date")));
	}
	a.cust_null = PG_ARGISNULL(4);
	if (!a.cust_null)
		a.customer = PG_GETARG_INT64(4);
	a.priority = PG_ARGISNULL(5) ? 0 : PG_GETARG_INT32(5);
	a.wh_null = PG_ARGISNULL(6);
	if (!a.wh_null)
		a.wh = PG_GETARG_INT64(6);
	/* the caller's tenant (and whether it may work in it) */
	a.tenant = DatumGetInt64(DirectFunctionCall1(crmscm_current_tenant, (Datum) 0));

	InitMaterializedSRF(fcinfo, 0);
	a.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	in_scope(a.nsp, promise_body, &a);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * crmscm.promise_queue()
 * ------------------------------------------------------------------------
 */

static void
queue_item(PromiseArgs *a, int64 item)
{
	ItemData	d;
	int			k,
				i;

	if (!item_load(a->nsp, a->tenant, item, &d, true, true) || d.nbos == 0)
		return;
	item_cover_queues(&d);
	for (k = 0; k < d.nsites; k++)
	{
		ItemSite   *s = &d.sites[k];

		for (i = 0; i < s->nbo; i++)
		{
			ItemBo	   *b = &d.bos[s->first_bo + i];
			Datum		values[10];
			bool		nulls[10] = {false};

			values[0] = Int64GetDatum(item);
			values[1] = Int64GetDatum(s->wh);
			values[2] = Int32GetDatum(i + 1);
			values[3] = Int64GetDatum(b->id);
			values[4] = Int64GetDatum(b->order_id);
			values[5] = Int32GetDatum(b->line_no);
			values[6] = CStringGetTextDatum(b->tier == 'A' ? "A" : b->tier == 'B' ? "B" : "C");
			/* in numeric: the queue may be beyond the kernel's exact range */
			values[7] = DirectFunctionCall1(numeric_trim_scale,
											DirectFunctionCall2(numeric_sub, b->qty, b->allocated));
			values[8] = DateADTGetDatum(b->new_date);
			values[9] = CStringGetTextDatum(pq_source_name(b->new_source));
			tuplestore_putvalues(a->rsinfo->setResult, a->rsinfo->setDesc, values, nulls);
		}
	}
}

static void
queue_body(PromiseArgs *a)
{
	if (a->wh_null)				/* every item with backorders */
	{
		char	   *sql = psprintf("SELECT DISTINCT b.item_id FROM %s.backorders b WHERE b.tenant_id" EQ "$1 ORDER BY 1",
								   quote_identifier(get_namespace_name(a->nsp)));
		Oid			t[1] = {INT8OID};
		Datum		args[1];
		SPITupleTable *tt;
		uint64		r,
					n;
		int64	   *items;

		args[0] = Int64GetDatum(a->tenant);
		if (SPI_execute_with_args(sql, 1, t, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "crmscm promise_queue: query failed");
		tt = SPI_tuptable;
		n = SPI_processed;
		items = palloc(sizeof(int64) * Max(n, 1));
		for (r = 0; r < n; r++)
		{
			bool		isnull;

			items[r] = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
		}
		SPI_freetuptable(tt);
		for (r = 0; r < n; r++)
		{
			MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "crmscm promise_queue item", ALLOCSET_DEFAULT_SIZES);
			MemoryContext old = MemoryContextSwitchTo(cxt);

			queue_item(a, items[r]);
			MemoryContextSwitchTo(old);
			MemoryContextDelete(cxt);
		}
	}
	else
		queue_item(a, a->item);
}

/* crmscm.promise_queue(item_id): when each backorder is covered as the queue stands */
PG_FUNCTION_INFO_V1(crmscm_promise_queue);
Datum
crmscm_promise_queue(PG_FUNCTION_ARGS)
{
	PromiseArgs a;

	memset(&a, 0, sizeof(a));
	a.nsp = crmscm_schema_of(fcinfo);
	a.wh_null = PG_ARGISNULL(0);	/* here: every item */
	if (!a.wh_null)
		a.item = PG_GETARG_INT64(0);
	a.tenant = DatumGetInt64(DirectFunctionCall1(crmscm_current_tenant, (Datum) 0));
	InitMaterializedSRF(fcinfo, 0);
	a.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	in_scope(a.nsp, queue_body, &a);
	return (Datum) 0;
}
