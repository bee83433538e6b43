#!/usr/bin/python3
"""Randomized differential test of the order/inventory rules (issue #14).

Runs a seeded random sequence of every operation of the order model, each
in its own transaction (autocommit, as a client would), against the crmscm
installed in the database PG* points at, and prints a canonical transcript:
one line per operation with its outcome (ok, or the SQLSTATE it failed
with), then every table of the model, row by row, without surrogate ids and
timestamps.

The reference transcripts in test/data/orders_diff/ were recorded from
crmscm 0.2.0 (test/data/orders_diff/make_reference.sh builds it from git
and records them): the statement-time PL/pgSQL and C triggers that the
commit-time engine of 0.3.0 replaced.  test/scripts/orders_differential.sh
compares the two line by line.

    orders.py SEED NOPS

The sequence depends only on the seed and on the state the operations
leave (candidates are read in key order), so two implementations with the
same behaviour print the same transcript.
"""
import os
import random
import sys

import psycopg2
import psycopg2.errors

CITIES = ['(53.5511,9.9937)', '(45.4642,9.19)', '(40.4168,-3.7038)',
          '(48.1351,11.582)', '(52.52,13.405)', '(48.8566,2.3522)', None]


def main():
    seed, nops = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    conn = psycopg2.connect('')
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("SELECT set_config('crmscm.tenant_id', '1', false)")
    cur.execute("DROP EXTENSION IF EXISTS crmscm CASCADE")
    cur.execute("CREATE EXTENSION crmscm")
    cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'crmscm'")
    # master data: four warehouses with a location and one without
    cur.execute("""INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES
        (1, 'Hamburg', '(53.5511,9.9937)'), (2, 'Milan', '(45.4642,9.19)'),
        (3, 'Madrid', '(40.4168,-3.7038)'), (4, 'Warsaw', '(52.2297,21.0122)'), (5, 'Depot', NULL)""")
    cur.execute("""INSERT INTO crmscm.items (item_id, sku, name, unit_price)
        SELECT g, 'SKU' || g, 'item ' || g, g FROM generate_series(1, 8) g""")
    cur.execute("""INSERT INTO crmscm.customers (customer_id, name, location)
        SELECT g, 'customer ' || g, '(50,10)' FROM generate_series(1, 5) g""")
    for i in range(1, 9):
        for w in range(1, 5):
            if rng.random() < 0.5:
                cur.execute("INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, %s, 'receipt')",
                            (i, w, rng.randint(1, 6)))
    out = []

    def rows(sql, args=()):
        cur.execute(sql, args)
        return cur.fetchall()

    def qty():
        return rng.choice([1, 2, 3, 4, 5, 7, 10, 2.5, 0.75])

    def run(label, sql, args=()):
        try:
            cur.execute(sql, args)
            out.append('%s: ok' % label)
        except psycopg2.Error as e:
            out.append('%s: %s' % (label, e.pgcode))
            if e.pgcode == 'XX000' or os.environ.get('DIFF_DEBUG'):
                sys.stderr.write('%s: %s\n' % (label, e.pgerror))

    def pick(sql):
        r = rows(sql)
        return rng.choice(r) if r else None

    def new_order(status):
        cust = rng.randint(1, 5)
        ship_to = rng.choice(CITIES)
        prio = rng.choice([0, 0, 1, 2])
        cur.execute("""INSERT INTO crmscm.sales_orders (customer_id, status, ship_to, priority)
                       VALUES (%s, %s, %s, %s) RETURNING order_id""", (cust, status, ship_to, prio))
        oid = cur.fetchone()[0]
        k = rng.randint(1, 4)
        vals = []
        for ln in range(1, k + 1):
            wh = rng.choice([None, None, None, 1, 2, 5])
            vals.append(cur.mogrify("(%s, %s, %s, %s, %s, %s)",
                                    (oid, ln, rng.randint(1, 8), qty(), rng.randint(1, 20), wh)).decode())
        run('new %s order %s with %d lines' % (status, oid, k),
            "INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id) VALUES "
            + ', '.join(vals))

    open_lines = """SELECT l.order_id, l.line_no FROM crmscm.sales_order_lines l
                    JOIN crmscm.sales_orders o USING (tenant_id, order_id)
                    WHERE l.status = 'open' AND o.status %s ORDER BY 1, 2"""
    for step in range(nops):
        op = rng.choice(['new_confirmed', 'new_confirmed', 'new_draft', 'confirm', 'cancel_order',
                         'add_line', 'add_line', 'raise', 'lower', 'cancel_line', 'delete_line',
                         'delete_order', 'receipt', 'receipt', 'adjust', 'ship', 'ship', 'po', 'receive',
                         'cancel_po', 'close', 'reprice'])
        tag = '%d %s' % (step, op)
        if op == 'new_confirmed':
            new_order('confirmed')
        elif op == 'new_draft':
            new_order('draft')
        elif op in ('confirm', 'cancel_order', 'close', 'delete_order'):
            status = {'confirm': "= 'draft'", 'cancel_order': "IN ('draft', 'confirmed')",
                      'close': "= 'confirmed'", 'delete_order': "<> 'closed'"}[op]
            o = pick("SELECT order_id FROM crmscm.sales_orders WHERE status %s ORDER BY 1" % status)
            if o is None:
                out.append(tag + ': nothing to do')
            elif op == 'delete_order':
                run('%s %s' % (tag, o[0]), "DELETE FROM crmscm.sales_orders WHERE order_id = %s", o)
            else:
                new = {'confirm': 'confirmed', 'cancel_order': 'cancelled', 'close': 'closed'}[op]
                run('%s %s' % (tag, o[0]), "UPDATE crmscm.sales_orders SET status = %s WHERE order_id = %s", (new, o[0]))
        elif op == 'add_line':
            o = pick("SELECT order_id FROM crmscm.sales_orders WHERE status IN ('draft', 'confirmed') ORDER BY 1")
            if o is None:
                out.append(tag + ': nothing to do')
                continue
            ln = rows("SELECT coalesce(max(line_no), 0) + 1 FROM crmscm.sales_order_lines WHERE order_id = %s", o)[0][0]
            run('%s %s/%s' % (tag, o[0], ln),
                "INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (%s, %s, %s, %s, 3)",
                (o[0], ln, rng.randint(1, 8), qty()))
        elif op in ('raise', 'lower', 'cancel_line', 'delete_line', 'reprice'):
            line = pick(open_lines % ("IN ('draft', 'confirmed')"))
            if line is None:
                out.append(tag + ': nothing to do')
            elif op == 'raise':
                run('%s %s/%s' % (tag, *line), "UPDATE crmscm.sales_order_lines SET qty = qty + %s WHERE order_id = %s AND line_no = %s",
                    (qty(), *line))
            elif op == 'lower':
                run('%s %s/%s' % (tag, *line),
                    "UPDATE crmscm.sales_order_lines SET qty = greatest(qty - %s, qty_shipped) WHERE order_id = %s AND line_no = %s",
                    (qty(), *line))
            elif op == 'cancel_line':
                run('%s %s/%s' % (tag, *line), "UPDATE crmscm.sales_order_lines SET status = 'cancelled' WHERE order_id = %s AND line_no = %s", line)
            elif op == 'delete_line':
                run('%s %s/%s' % (tag, *line), "DELETE FROM crmscm.sales_order_lines WHERE order_id = %s AND line_no = %s", line)
            else:
                run('%s %s/%s' % (tag, *line), "UPDATE crmscm.sales_order_lines SET unit_price = unit_price + 1 WHERE order_id = %s AND line_no = %s", line)
        elif op == 'receipt':
            run(tag, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, %s, 'receipt')",
                (rng.randint(1, 8), rng.randint(1, 5), qty()))
        elif op == 'adjust':
            run(tag, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, %s, 'adjustment')",
                (rng.randint(1, 8), rng.randint(1, 4), rng.choice([-3, -1, 1, 2, -0.5])))
        elif op == 'ship':
            line = pick(open_lines % "= 'confirmed'")
            if line is None:
                out.append(tag + ': nothing to do')
            else:
                q = rng.choice([None, None, 1, 2, 0.5])
                run('%s %s/%s %s' % (tag, line[0], line[1], q), "SELECT crmscm.ship(%s, %s, %s)", (line[0], line[1], q))
        elif op == 'po':
            cur.execute("INSERT INTO crmscm.purchase_orders (supplier, expected_at) VALUES ('s', current_date + 7) RETURNING po_id")
            po = cur.fetchone()[0]
            k = rng.randint(1, 3)
            for ln in range(1, k + 1):
                cur.execute("INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (%s, %s, %s, %s, %s)",
                            (po, ln, rng.randint(1, 8), rng.randint(1, 4), qty()))
            run('%s %s with %d lines' % (tag, po, k), "UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE po_id = %s", (po,))
        elif op == 'receive':
            pl = pick("""SELECT l.po_id, l.line_no FROM crmscm.purchase_order_lines l JOIN crmscm.purchase_orders p USING (tenant_id, po_id)
                         WHERE p.status = 'ordered' AND l.qty_received < l.qty ORDER BY 1, 2""")
            if pl is None:
                out.append(tag + ': nothing to do')
            else:
                q = rng.choice([None, 1, 0.5])
                run('%s %s/%s %s' % (tag, pl[0], pl[1], q), "SELECT crmscm.receive(%s, %s, %s)", (pl[0], pl[1], q))
        elif op == 'cancel_po':
            po = pick("SELECT po_id FROM crmscm.purchase_orders WHERE status = 'ordered' ORDER BY 1")
            if po is None:
                out.append(tag + ': nothing to do')
            else:
                run('%s %s' % (tag, po[0]), "UPDATE crmscm.purchase_orders SET status = 'cancelled' WHERE po_id = %s", po)

    out.append('== state')
    dumps = [
        ('inventory', "SELECT item_id, warehouse_id, on_hand, reserved, on_order FROM crmscm.inventory ORDER BY 1, 2"),
        ('orders', "SELECT order_id, customer_id, status, priority FROM crmscm.sales_orders ORDER BY 1"),
        ('lines', """SELECT order_id, line_no, item_id, qty, unit_price, warehouse_id, status, qty_reserved, qty_backordered, qty_shipped
                     FROM crmscm.sales_order_lines ORDER BY 1, 2"""),
        ('reservations', "SELECT order_id, line_no, item_id, warehouse_id, qty FROM crmscm.reservations ORDER BY 1, 2, 4"),
        ('backorders', """SELECT item_id, warehouse_id, row_number() OVER (PARTITION BY item_id, warehouse_id
                              ORDER BY priority DESC, created_at, backorder_id) AS place, order_id, line_no, qty, priority
                          FROM crmscm.backorders ORDER BY 1, 2, 3"""),
        ('moves', "SELECT item_id, warehouse_id, qty, kind, order_id, line_no FROM crmscm.stock_moves ORDER BY move_id"),
        ('purchase lines', """SELECT l.po_id, l.line_no, l.item_id, l.warehouse_id, l.qty, l.qty_received, p.status
                              FROM crmscm.purchase_order_lines l JOIN crmscm.purchase_orders p USING (tenant_id, po_id) ORDER BY 1, 2"""),
        ('order totals', "SELECT order_id, customer_id, status, purchase_lines, amount, shipped_amount FROM crmscm.sales_order_totals ORDER BY 1"),
        ('customer lifetime', "SELECT customer_id, order_days, orders, revenue, shipped_revenue FROM crmscm.customer_lifetime ORDER BY 1"),
        ('check_inventory', "SELECT invariant, item_id, warehouse_id, order_id, line_no FROM crmscm.check_inventory() ORDER BY 1, 2, 3, 4, 5"),
    ]
    for name, sql in dumps:
        out.append('-- ' + name)
        for r in rows(sql):
            out.append(' | '.join('' if v is None else str(v) for v in r))
    print('\n'.join(out))


if __name__ == '__main__':
    main()
