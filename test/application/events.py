"""LISTEN/NOTIFY events of crmscm (#15), between real sessions; prints TAP.

A reader session LISTENs on crmscm_backorder_filled and
crmscm_reorder_needed; a writer pinned to tenant 1 changes stock with the
tenant set per transaction (the pooled pattern).  Expected: one notification
per fill (line, warehouse) of a committed transaction, none for a
transaction that rolls back, none while the units are only set aside for a
line another transaction holds and exactly one when that line's holder
commits; one reorder event when a commit lowers the inventory position from
above the reorder point to at or below it, none for the next order below it.
Expected quantities are worked out by hand in the comments; the reorder
event's numbers are compared with crmscm.reorder_suggestions read after the
commit (the definition the event uses).
"""
import json
import select
import sys
import time

import psycopg2
import psycopg2.extensions

DB = sys.argv[1]
n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
    if not cond:
        failed += 1
        if diag is not None:
            print("# " + str(diag).replace("\n", "\n# "))


def connect(user):
    c = psycopg2.connect(dbname=DB, user=user)
    return c


def drain(conn, seconds=0.6):
    """Notifications that arrive within `seconds` (after the last one)."""
    got = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        if select.select([conn], [], [], max(0.0, deadline - time.time())) != ([], [], []):
            conn.poll()
            while conn.notifies:
                note = conn.notifies.pop(0)
                got.append((note.channel, json.loads(note.payload)))
                deadline = time.time() + seconds
    return got


def tx(conn, sql, args=()):
    """One transaction with the tenant set first (pooled pattern)."""
    with conn:
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('crmscm.tenant_id', %s, true)", ("1",))
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None


# owner: master data of tenant 1 (ids from the identity columns)
own = psycopg2.connect(dbname=DB)
wh = tx(own, "INSERT INTO crmscm.warehouses (name, location) VALUES ('Milan', '(45.46,9.19)') RETURNING warehouse_id")[0][0]
item = tx(own, "INSERT INTO crmscm.items (sku, name, unit_price, lead_time_days) VALUES ('A', 'a', 10, 10) RETURNING item_id")[0][0]
item2 = tx(own, "INSERT INTO crmscm.items (sku, name, unit_price, lead_time_days) VALUES ('B', 'b', 10, 10) RETURNING item_id")[0][0]
cust = tx(own, "INSERT INTO crmscm.customers (name) VALUES ('c') RETURNING customer_id")[0][0]

w = connect("ev_w1")
lis = connect("ev_r1")
lis.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
with lis.cursor() as cur:
    cur.execute("LISTEN crmscm_backorder_filled; LISTEN crmscm_reorder_needed")

# two confirmed orders waiting for item A: 5 (order 1) and 2 (order 2)
o1 = tx(w, "SELECT order_id FROM crmscm.place_order(%s, %s)", (cust, json.dumps([{"item_id": item, "qty": 5}])))[0][0]
o2 = tx(w, "SELECT order_id FROM crmscm.place_order(%s, %s)", (cust, json.dumps([{"item_id": item, "qty": 2}])))[0][0]
got = drain(lis)
ok(not [g for g in got if g[0] == "crmscm_backorder_filled"], "placing backordered orders fills nothing", got)


def fills(got):
    return sorted((g[1]["order_id"], g[1]["line_no"], g[1]["warehouse_id"], float(g[1]["qty"]), g[1]["tenant_id"])
                  for g in got if g[0] == "crmscm_backorder_filled")


# a receipt of 3: order 1 (older) gets 3
tx(w, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, 3, 'receipt')", (item, wh))
got = drain(lis)
ok(fills(got) == [(o1, 1, wh, 3.0, 1)], "a committed receipt of 3: one notification, order 1 line 1, qty 3, tenant 1", got)

# a receipt rolled back: nothing
with w:
    with w.cursor() as cur:
        cur.execute("SELECT set_config('crmscm.tenant_id', '1', true)")
        cur.execute("INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, 4, 'receipt')", (item, wh))
        cur.execute("SELECT crmscm.reserve_pending()")    # the fill happens in this transaction's pass
        w.rollback()
got = drain(lis)
ok(fills(got) == [], "a fill in a transaction that rolls back (after reserve_pending()) sends nothing", got)

# a receipt of 4: order 1 gets its last 2, order 2 gets 2; both in one commit
tx(w, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, 4, 'receipt')", (item, wh))
got = drain(lis)
ok(fills(got) == [(o1, 1, wh, 2.0, 1), (o2, 1, wh, 2.0, 1)], "a receipt of 4 fills two lines: one notification each", got)
ok(len(set(g[1]["seq"] for g in got if g[0] == "crmscm_backorder_filled")) == 2, "payloads carry distinct seq numbers", got)

# set aside, then filled: order 3 waits for 2; another session holds its line
o3 = tx(w, "SELECT order_id FROM crmscm.place_order(%s, %s)", (cust, json.dumps([{"item_id": item, "qty": 2}])))[0][0]
drain(lis, 0.3)
holder = connect("ev_w1")
hc = holder.cursor()
hc.execute("SELECT set_config('crmscm.tenant_id', '1', true)")
hc.execute("UPDATE crmscm.sales_order_lines SET unit_price = 11 WHERE order_id = %s", (o3,))
tx(w, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, 2, 'receipt')", (item, wh))
got = drain(lis)
alloc = tx(w, "SELECT allocated FROM crmscm.backorders WHERE order_id = %s", (o3,))
ok(fills(got) == [] and alloc and float(alloc[0][0]) == 2.0,
   "a receipt while another transaction holds the waiting line: units set aside (allocated 2), no notification yet", (got, alloc))
holder.commit()
got = drain(lis)
ok(fills(got) == [(o3, 1, wh, 2.0, 1)], "the holder's commit turns them into the reservation: exactly one notification", got)
hc.execute("SELECT set_config('crmscm.tenant_id', '1', true)")
hc.execute("SELECT count(*) FROM crmscm.check_inventory()")
ok(hc.fetchone()[0] == 0, "check_inventory() clean")
holder.commit()

# reorder: item B with demand history of 2 units a day over the last 30 days
# (closed orders, history import), lead time 10 days: the reorder point of
# reorder_suggestions is about 20 + safety stock; 100 units on hand.
tx(own, """
    WITH o AS (
        INSERT INTO crmscm.sales_orders (customer_id, status, ordered_at)
        SELECT %s, 'closed', current_date - d FROM generate_series(1, 30) d RETURNING order_id)
    INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped, warehouse_id)
    SELECT order_id, 1, %s, 2, 10, 'shipped', 2, %s FROM o""", (cust, item2, wh))
tx(w, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, 100, 'receipt')", (item2, wh))
drain(lis, 0.3)
rop = float(tx(w, "SELECT reorder_point FROM crmscm.reorder_suggestions WHERE item_id = %s AND warehouse_id = %s", (item2, wh))[0][0])
ok(0 < rop < 80, "reorder_suggestions: a reorder point of B between 0 and 80 (%.2f)" % rop)


def reorders(got):
    return [g[1] for g in got if g[0] == "crmscm_reorder_needed"]


# an order that leaves the position above the reorder point: no event
tx(w, "SELECT * FROM crmscm.place_order(%s, %s)", (cust, json.dumps([{"item_id": item2, "qty": 100 - int(rop) - 5}])))
got = drain(lis)
ok(reorders(got) == [], "an order that leaves the position above the reorder point: no reorder event", got)
# one that takes it below: exactly one event, numbers as the view has them
tx(w, "SELECT * FROM crmscm.place_order(%s, %s)", (cust, json.dumps([{"item_id": item2, "qty": 10}])))
got = drain(lis)
view = tx(w, "SELECT inventory_position, reorder_point FROM crmscm.reorder_suggestions WHERE item_id = %s AND warehouse_id = %s",
          (item2, wh))[0]
r = reorders(got)
ok(len(r) == 1 and r[0]["item_id"] == item2 and r[0]["warehouse_id"] == wh and r[0]["tenant_id"] == 1
   and abs(float(r[0]["position"]) - float(view[0])) < 1e-9 and abs(float(r[0]["reorder_point"]) - float(view[1])) < 1e-9,
   "an order that crosses the reorder point: one crmscm_reorder_needed with the view's position and reorder point", (got, view))
# still below: no further event
tx(w, "SELECT * FROM crmscm.place_order(%s, %s)", (cust, json.dumps([{"item_id": item2, "qty": 1}])))
got = drain(lis)
ok(reorders(got) == [], "the next order below the reorder point: no second event", got)
# a rolled-back crossing sends nothing: raise the position, then cross in a rollback
tx(w, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, 50, 'receipt')", (item2, wh))
drain(lis, 0.3)
with w:
    with w.cursor() as cur:
        cur.execute("SELECT set_config('crmscm.tenant_id', '1', true)")
        cur.execute("SELECT * FROM crmscm.place_order(%s, %s)", (cust, json.dumps([{"item_id": item2, "qty": 60}])))
        w.rollback()
got = drain(lis)
ok(reorders(got) == [], "a crossing in a transaction that rolls back: no event", got)
# the same crossing committed by a session with crmscm.reorder_events off (the default)
tx(own, "SELECT * FROM crmscm.place_order(%s, %s)", (cust, json.dumps([{"item_id": item2, "qty": 60}])))
got = drain(lis)
ok(reorders(got) == [] and tx(own, "SELECT current_setting('crmscm.reorder_events')")[0][0] == "off",
   "crmscm.reorder_events off (the default): no reorder event", got)

print("1..%d" % n)
sys.exit(1 if failed else 0)
