"""Tests of the Python example (examples/python/order_service.py) and of
whole-object saves through SQLAlchemy, against a database prepared by
test/application/examples_setup.sh; prints TAP (test/scripts/example_python.sh).

Login roles (pinned to tenant 1): EX_WRITER (crmscm_writer), EX_MASTER
(crmscm_master_data), EX_ADMIN (crmscm_admin), EX_READER; EX_OWNER is the
extension owner.  Expected quantities are worked out by hand in comments.
"""
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import psycopg2  # noqa: E402
from sqlalchemy import create_engine, inspect as sa_inspect, text  # noqa: E402
from sqlalchemy.ext.automap import automap_base  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.orm.attributes import flag_modified  # noqa: E402
import warnings  # noqa: E402

import order_service  # noqa: E402

warnings.filterwarnings("ignore")      # reflection of crmscm's own types (geopoint, ...)
DB, HOST, PORT = os.environ["EX_DB"], os.environ.get("EX_HOST", ""), os.environ.get("EX_PORT", "5432")
n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name), flush=True)
    if not cond:
        failed += 1
        if diag is not None:
            print("# " + str(diag).replace("\n", "\n# "), flush=True)


def url(role):
    return "postgresql+psycopg2://%s@/%s?host=%s&port=%s" % (role, DB, HOST, PORT)


def sql(role, q, args=None):
    """One statement in a transaction of tenant 1 as `role`."""
    c = psycopg2.connect(dbname=DB, user=role, host=HOST or None, port=PORT)
    try:
        with c:
            with c.cursor() as cur:
                cur.execute("SELECT set_config('crmscm.tenant_id', '1', true)")
                cur.execute(q, args)
                return cur.fetchall() if cur.description else None
    finally:
        c.close()


W, M, A, R, O = (os.environ[k] for k in ("EX_WRITER", "EX_MASTER", "EX_ADMIN", "EX_READER", "EX_OWNER"))

# ---------------------------------------------------------------------
# master data for these tests, as the master-data role: item X, 5 units
# in Hamburg only (no explicit ids anywhere)
# ---------------------------------------------------------------------
item = sql(M, "INSERT INTO crmscm.items (sku, name, unit_price) VALUES ('PYX', 'python item', 12.5) RETURNING item_id")[0][0]
hamburg = sql(M, "SELECT warehouse_id FROM crmscm.warehouses WHERE name = 'Hamburg'")[0][0]
cust = sql(M, "INSERT INTO crmscm.customers (name, location) VALUES ('Py GmbH', '(53.55,10.0)') RETURNING customer_id")[0][0]
sql(W, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, 5, 'receipt')", (item, hamburg))
ok(True, "master data by crmscm_master_data, stock by the writer")

svc = order_service.OrderService(url(W))
fills = []
svc.listen(fills.append, tenant=1)
srv = order_service.http_server(svc)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % srv.server_address[1]


def http(method, path, body=None, tenant="1"):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json", **({"X-Tenant": tenant} if tenant else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


# ---------------------------------------------------------------------
# the service over HTTP
# ---------------------------------------------------------------------
# 7 of X: 5 in Hamburg reserved, 2 backordered (hand count); price the item's
code, placed = http("POST", "/orders", {"customer_id": cust, "lines": [{"item_id": item, "qty": 7}]})
ok(code == 200 and placed["lines"] == [{"line_no": 1, "item_id": item, "qty": "7", "unit_price": "12.5",
                                         "qty_reserved": "5", "qty_backordered": "2"}],
   "POST /orders: place_order reserves 5, backorders 2, price from the item", (code, placed))
order_id = placed.get("order_id")
code, got = http("GET", "/orders/%s" % order_id)
ok(code == 200 and got["totals"] == {"amount": "87.5", "open_amount": "87.5", "reserved_value": "62.5"},
   "GET /orders/<id>: totals 7*12.5, reserved 5*12.5 (order_totals)", got)
code, got = http("GET", "/orders/%s/availability" % order_id)
ok(code == 200 and [(r["warehouse_id"], r["reserve"], r["backorder"]) for r in got] == [(hamburg, "5", "2")],
   "GET availability: the dry run shows what the order holds", got)
code, got = http("POST", "/orders", {"customer_id": cust, "lines": [{"item_id": item, "qty": "NaN"}]})
ok(code == 400 and got["sqlstate"] == "22003", "qty NaN: 400 with SQLSTATE 22003", got)
code, got = http("POST", "/orders", {"customer_id": cust, "lines": [{"item_id": item, "qty": 1}], "fill_policy": "all_or_nothing"})
ok(code == 409 and got["sqlstate"] == "23514" and got["constraint"] == "all_or_nothing"
   and json.loads(got["detail"])[0]["short"] == 1,
   "all_or_nothing with nothing left: 409, constraint all_or_nothing, short lines in DETAIL", got)
code, got = http("POST", "/orders", {"customer_id": cust, "lines": []})
ok(code == 400 and got["sqlstate"] == "22023", "no lines: 400 with 22023", got)
code, got = http("GET", "/orders/%s" % order_id, tenant=None)
ok(code == 400, "no X-Tenant: refused before the database", got)
code, got = http("GET", "/orders/%s" % order_id, tenant="2")
ok(code == 400 and got["sqlstate"] == "42501", "X-Tenant 2 for a writer pinned to tenant 1: 42501", got)

# the pooled connection carries no tenant after the request's transaction
with svc.engine.connect() as c:
    left = c.execute(text("SELECT current_setting('crmscm.tenant_id', true)")).scalar()
    try:
        c.execute(text("SELECT crmscm.current_tenant()"))
        err = None
    except DBAPIError as e:
        err = e.orig.pgcode
ok(left in (None, "") and err == "55000", "a pooled connection has no tenant between transactions (55000)", (left, err))

# a receipt of 2 fills the backorder: one event on the service's LISTEN
sql(W, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, 2, 'receipt')", (item, hamburg))
deadline = time.time() + 10
while not fills and time.time() < deadline:
    time.sleep(0.05)
ok([(f["order_id"], f["line_no"], f["warehouse_id"], Decimal(f["qty"])) for f in fills] == [(order_id, 1, hamburg, 2)],
   "LISTEN crmscm_backorder_filled: the fill of order's line 1, 2 units in Hamburg", fills)

# PATCH through the ORM: 7 -> 9 units, nothing in stock: 7 reserved, 2 backordered
code, got = http("PATCH", "/orders/%s/lines/1" % order_id, {"qty": 9})
ok(code == 200 and got == {"line_no": 1, "qty": "9", "qty_reserved": "7", "qty_backordered": "2"},
   "PATCH a line's qty: the ORM saves the whole line (bookkeeping written back as loaded), reserved at once", got)

# ---------------------------------------------------------------------
# retries: a real serialization failure at REPEATABLE READ
# ---------------------------------------------------------------------
svc_rr = order_service.OrderService(url(W))
svc_rr.engine = svc_rr.engine.execution_options(isolation_level="REPEATABLE READ")
attempts = []


def bump(s):
    attempts.append(1)
    price = s.execute(text("SELECT unit_price FROM crmscm.sales_order_lines WHERE order_id = :o AND line_no = 1"),
                      {"o": order_id}).scalar()
    if len(attempts) == 1:      # another session changes the line after our snapshot
        sql(W, "UPDATE crmscm.sales_order_lines SET unit_price = unit_price + 1 WHERE order_id = %s AND line_no = 1", (order_id,))
    s.execute(text("UPDATE crmscm.sales_order_lines SET unit_price = :p + 1 WHERE order_id = :o AND line_no = 1"),
              {"p": price, "o": order_id})
    return price


price = svc_rr.run(1, bump)
final = sql(W, "SELECT unit_price FROM crmscm.sales_order_lines WHERE order_id = %s AND line_no = 1", (order_id,))[0][0]
ok(len(attempts) == 2 and svc_rr.retries == 1 and final == Decimal("14.5"),
   "40001 at REPEATABLE READ: retried once, both increments kept (12.5 + 1 + 1)", (attempts, svc_rr.retries, final))
svc_rr.close()

# ---------------------------------------------------------------------
# whole-object saves of every crmscm table through the SQLAlchemy ORM
# ---------------------------------------------------------------------
WRITER_TABLES = {"customers", "sales_orders", "sales_order_lines", "stock_moves", "purchase_orders",
                 "purchase_order_lines", "leads", "lead_events"}
MASTER_TABLES = {"items", "warehouses"}
BOOKKEEPING = {"inventory", "reservations", "backorders", "sales_order_totals", "customer_purchase_days",
               "customer_lifetime"}
tables = [r[0] for r in sql(O, "SELECT relname FROM pg_class WHERE relnamespace = 'crmscm'::regnamespace AND relkind = 'r' ORDER BY 1")]


def role_for(t):
    if t in WRITER_TABLES:
        return W
    if t in MASTER_TABLES:
        return M
    if t in BOOKKEEPING:
        return O
    return A


def retyped(v):
    """The value as a client re-sends it: 2 as 2.0, numbers through JSON."""
    if isinstance(v, Decimal):
        s = str(v)
        return Decimal(s + ".0") if "." not in s and "E" not in s.upper() else Decimal(s)
    return v


classes = {}


def mapped(role):
    if role not in classes:
        eng = create_engine(url(role), future=True)
        Base = automap_base()
        Base.prepare(autoload_with=eng, schema="crmscm")
        classes[role] = (eng, Base)
    return classes[role]


# the row to save per table: one whose bookkeeping is not all zero
INTERESTING = {"sales_order_lines": "qty_reserved > 0 AND qty_shipped > 0", "sales_orders": "status = 'confirmed'",
               "inventory": "reserved > 0", "purchase_order_lines": "qty_received > 0", "stock_moves": "kind = 'shipment'",
               "purchase_orders": "status = 'ordered'"}


def load_first(s, cls):
    pk = sa_inspect(cls).primary_key
    q = s.query(cls)
    if cls.__table__.name in INTERESTING:
        q = q.filter(text(INTERESTING[cls.__table__.name]))
    return q.order_by(*pk).first()


def values(obj):
    m = sa_inspect(obj).mapper
    return {c.key: getattr(obj, c.key) for c in m.column_attrs}


def in_tenant(eng, work):
    with Session(eng, future=True) as s:
        with s.begin():
            s.execute(text("SELECT set_config('crmscm.tenant_id', '1', true)"))
            return work(s)


for t in tables:
    role = role_for(t)
    eng, Base = mapped(role)
    cls = Base.classes[t] if t in Base.classes.keys() else None
    if cls is None:
        ok(False, "%s: mapped by automap" % t)
        continue
    generated = {c.name for c in cls.__table__.columns if c.computed is not None}
    pkcols = {c.name for c in cls.__table__.primary_key.columns}

    def whole_save(s):
        obj = load_first(s, cls)
        before = values(obj)
        s.expunge(obj)
        copy = cls(**{k: retyped(v) for k, v in before.items() if k not in generated})
        merged = s.merge(copy)                      # SQLAlchemy merge() of a detached object
        for k in before:
            if k not in pkcols and k not in generated:
                flag_modified(merged, k)            # and every column written back
        s.flush()
        return before, {k: before[k] for k in pkcols}

    try:
        before, key = in_tenant(eng, whole_save)
        after = in_tenant(eng, lambda s: values(s.get(cls, tuple(key[c.name] for c in cls.__table__.primary_key.columns))))
        ok(after == before, "SQLAlchemy: %s loaded, merged and saved whole (every column, 2 as 2.0) as %s: unchanged"
           % (t, "the owner" if role == O else role.split("_")[1][:1] + "-role"), [(k, before[k], after[k]) for k in before if before[k] != after[k]])
    except DBAPIError as e:
        ok(False, "SQLAlchemy: %s whole-object save" % t, "%s %s" % (e.orig.pgcode, e.orig))

# an application role and a bookkeeping table: reading and saving unchanged
# works (no UPDATE is sent); writing it is refused by privilege, not the guard
eng, Base = mapped(W)
for t in sorted(BOOKKEEPING):
    cls = Base.classes[t]

    def unchanged(s):
        obj = load_first(s, cls)
        s.flush()                                   # nothing changed: nothing sent
        return obj is not None
    try:
        ok(in_tenant(eng, unchanged), "SQLAlchemy as a writer: %s loaded and saved unchanged" % t)
    except DBAPIError as e:
        ok(False, "SQLAlchemy as a writer: %s loaded and saved unchanged" % t, e.orig)

    def forced(s):
        obj = load_first(s, cls)
        for c in cls.__table__.columns:
            if c.computed is None and not c.primary_key:
                flag_modified(obj, c.key)
        s.flush()
    try:
        in_tenant(eng, forced)
        code = None
    except DBAPIError as e:
        code = e.orig.pgcode
    ok(code == "42501", "SQLAlchemy as a writer: a forced whole save of %s is 42501 (crmscm keeps it)" % t, code)

# a changed guarded value is still refused, with its constraint name
eng, Base = mapped(W)
Line = Base.classes.sales_order_lines


def cheat(s):
    line = s.get(Line, (1, order_id, 1))
    line.qty_reserved = line.qty_reserved + 1
    s.flush()


try:
    in_tenant(eng, cheat)
    res = None
except DBAPIError as e:
    res = (e.orig.pgcode, e.orig.diag.constraint_name)
ok(res == ("23000", "guarded_column"), "a changed qty_reserved is refused: 23000, constraint guarded_column", res)
ok(sql(W, "SELECT count(*) FROM crmscm.check_inventory()")[0][0] == 0, "check_inventory() clean after all the saves")

svc.close()
srv.shutdown()
print("1..%d" % n)
sys.exit(1 if failed else 0)
