#!/usr/bin/python3
"""crmscm.promise() against an independent reference (issue #17).

Builds ITEMS random item states through crmscm's own API (stock receipts,
purchase orders ordered, draft, undated, partly received, orders of
customers of random tiers and priorities, allocation rules), then asks
crmscm.promise() REQUESTS random questions per item and compares every answer
with a reference computed here, in Python, from the raw tables and the rules
of doc/synergy.md, walking the calendar DAY BY DAY with exact fractions (the
C kernel replays events; the unit test test/unit/test_promise.c compares it
with a unit-by-unit brute force).  It also compares, for every backorder,
crmscm.promise_queue() and the day the commit pass stored on it with the
reference.  Prints TAP.

    reference.py SEED ITEMS REQUESTS_PER_ITEM
"""
import datetime
import math
import random
import sys
from fractions import Fraction as F

import psycopg2

R_EARTH = 6371.0087714


def dist(a, b):
    (la1, lo1), (la2, lo2) = a, b
    p1, p2 = math.radians(la1), math.radians(la2)
    dp, dl = p2 - p1, math.radians(lo2 - lo1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_EARTH * math.asin(min(1.0, math.sqrt(h)))


def point(text):
    if text is None:
        return None
    la, lo = text.strip('()').split(',')
    return float(la), float(lo)


TIER = {'A': 0, 'B': 1, 'C': 2}
NEWEST = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)


def main():
    seed, nitems, nreq = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    conn = psycopg2.connect('')
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("SELECT set_config('crmscm.tenant_id', '1', false)")
    cur.execute("DROP EXTENSION IF EXISTS crmscm CASCADE")
    cur.execute("CREATE EXTENSION crmscm")

    def loc():
        return '(%.4f,%.4f)' % (rng.uniform(36, 60), rng.uniform(-9, 25))

    whs = [(1, loc()), (2, loc()), (3, loc()), (4, loc()), (5, None)]
    for w, l in whs:
        cur.execute("INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (%s, %s, %s)", (w, 'w%d' % w, l))
    ncust = 40
    for c in range(1, ncust + 1):
        cur.execute("INSERT INTO crmscm.customers (customer_id, name, location) VALUES (%s, %s, %s)", (c, 'c%d' % c, loc()))
    for c in range(1, ncust + 1):
        t = rng.choice(['A', 'B', 'C', None, None])
        if t:
            cur.execute("SELECT crmscm.set_customer_tier(%s, %s)", (c, t))

    def qty():
        return rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 2.5, 0.5, 7.25])

    po = 0
    order = 0
    conn.autocommit = False
    for i in range(1, nitems + 1):
        cur.execute("INSERT INTO crmscm.items (item_id, sku, name, lead_time_days) VALUES (%s, %s, %s, %s)",
                    (i, 'i%d' % i, 'item', rng.choice([0, 1, 2.5, 5, 7, 12, 20])))
        for w in range(1, 6):
            if rng.random() < 0.4:
                cur.execute("INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (%s, %s, %s, 'receipt')",
                            (i, w, rng.choice([1, 2, 3, 5, 8, 12, 1.5])))
        if rng.random() < 0.3:
            a = rng.choice([F(1, 10), F(1, 4), F(1, 2), F(3, 5)])
            cur.execute("INSERT INTO crmscm.allocation_rules (item_id, tier, share) VALUES (%s, 'A', %s)", (i, str(float(a))))
            if rng.random() < 0.5:
                cur.execute("INSERT INTO crmscm.allocation_rules (item_id, tier, share) VALUES (%s, 'B', %s)",
                            (i, str(float(rng.choice([F(1, 10), F(1, 5)])))))
        for _ in range(rng.randint(0, 4)):
            po += 1
            st = rng.choice(['ordered', 'ordered', 'ordered', 'draft'])
            exp = None if rng.random() < 0.15 else rng.randint(-6, 25)
            cur.execute("""INSERT INTO crmscm.purchase_orders (po_id, supplier, expected_at, status)
                           VALUES (%s, 's', CASE WHEN %s::int IS NULL THEN NULL
                                                 ELSE (now() AT TIME ZONE 'UTC')::date + %s::int END, %s)""", (po, exp, exp, st))
            cur.execute("""INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
                           VALUES (%s, 1, %s, %s, %s)""", (po, i, rng.randint(1, 5), rng.choice([2, 4, 6, 10, 3.5])))
            if st == 'ordered' and rng.random() < 0.25:
                cur.execute("SELECT crmscm.receive(%s, 1, 1)", (po,))
        conn.commit()
        # orders, each in its own transaction (distinct created_at)
        for _ in range(rng.randint(0, 8)):
            order += 1
            cur.execute("""INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to, priority)
                           VALUES (%s, %s, 'confirmed', %s, %s)""",
                        (order, rng.randint(1, ncust), loc() if rng.random() < 0.8 else None, rng.choice([0, 0, 1, 2])))
            cur.execute("""INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, warehouse_id)
                           VALUES (%s, 1, %s, %s, %s)""",
                        (order, i, qty(), rng.randint(1, 5) if rng.random() < 0.15 else None))
            conn.commit()
    conn.autocommit = True

    cur.execute("SELECT (now() AT TIME ZONE 'UTC')::date - '2000-01-01'::date")
    today = cur.fetchone()[0]
    cur.execute("SELECT warehouse_id, location::text FROM crmscm.warehouses ORDER BY 1")
    wloc = {w: point(l) for w, l in cur.fetchall()}
    cur.execute("SELECT customer_id, tier FROM crmscm.customer_tiers")
    ctier = dict(cur.fetchall())
    inv, bos, rcs, rules, lead = {}, {}, {}, {}, {}
    cur.execute("SELECT item_id, ceil(lead_time_days)::int FROM crmscm.items")
    lead.update(cur.fetchall())
    cur.execute("SELECT item_id, warehouse_id, on_hand, reserved FROM crmscm.inventory")
    for i, w, oh, rs in cur.fetchall():
        inv[(i, w)] = (F(oh), F(oh) - F(rs))
    cur.execute("""SELECT item_id, warehouse_id, backorder_id, qty, allocated, priority, tier, created_at,
                          promised_date - '2000-01-01'::date, promise_source FROM crmscm.backorders""")
    for i, w, bid, q, a, p, t, ca, pd, ps in cur.fetchall():
        bos.setdefault((i, w), []).append(dict(id=bid, need=F(q) - F(a), prio=p, tier=TIER[t], at=(ca, bid),
                                               stored=(pd, ps)))
    cur.execute("""SELECT l.item_id, l.warehouse_id, p.expected_at - '2000-01-01'::date, l.qty - l.qty_received, p.po_id, l.line_no
                     FROM crmscm.purchase_order_lines l JOIN crmscm.purchase_orders p USING (tenant_id, po_id)
                    WHERE p.status = 'ordered' AND p.expected_at IS NOT NULL AND l.qty > l.qty_received""")
    for i, w, d, q, p, ln in cur.fetchall():
        rcs.setdefault((i, w), []).append((d, p, ln, F(q)))
    cur.execute("SELECT item_id, tier, share FROM crmscm.allocation_rules")
    for i, t, s in cur.fetchall():
        rules.setdefault(i, {})[TIER[t]] = F(s)

    def fence(item, tier, oh):
        r = rules.get(item, {})
        return sum((r.get(t, F(0)) for t in range(tier)), F(0)) * oh

    def run_queue(item, w, entries, av, watch=None):
        """Walk the calendar day by day; each day's receipts arrive one by one, each
        followed by one fill of the queue in queue order.  Returns the day and source
        each entry is covered, and the takes of the watched entry."""
        oh = inv.get((item, w), (F(0), F(0)))[0]
        lday = today + lead[item]
        need = [e['need'] for e in entries]
        done = [None] * len(entries)
        takes = []
        for k, n in enumerate(need):
            if n <= 0:
                done[k] = (today, 'stock')

        def fill(day, src):
            nonlocal av
            for k, e in enumerate(entries):
                if need[k] <= 0:
                    continue
                room = av - fence(item, e['tier'], oh)
                if room <= 0:
                    continue
                t = min(room, need[k])
                need[k] -= t
                av -= t
                if k == watch:
                    takes.append((day, t, src))
                if need[k] == 0:
                    done[k] = (day, src)

        fill(today, 'stock')
        arrivals = sorted(x for x in rcs.get((item, w), []) if x[0] <= lday)
        first = min([today] + [x[0] for x in arrivals])
        for day in range(first, lday + 1):
            for d, _p, _ln, q in arrivals:
                if d == day:
                    oh += q
                    av += q
                    fill(day, 'purchase')
        for k in range(len(entries)):
            if need[k] > 0:
                if k == watch:
                    takes.append((lday, need[k], 'lead_time'))
                done[k] = (lday, 'lead_time')
        return done, takes

    def queue_key(e):
        return (-e['prio'], e['tier'], e['at'])

    def reference(item, q, ship, req, cust, prio, pref):
        tier = TIER[ctier.get(cust, 'C')] if cust else 2
        sp = point(ship)
        order = sorted(wloc, key=lambda w: (0, dist(wloc[w], sp), w) if sp and wloc[w] else (1, 0, w))
        home = pref if pref else order[0]
        rows = {}
        rem = F(q)
        avail = {w: inv.get((item, w), (F(0), F(0)))[1] for w in wloc}
        for w in ([pref] if pref else order):
            oh = inv.get((item, w), (F(0), F(0)))[0]
            room = avail[w] - fence(item, tier, oh)
            if room > 0 and rem > 0:
                t = min(room, rem)
                rows[(w, today, 'stock')] = rows.get((w, today, 'stock'), 0) + t
                rem -= t
                avail[w] -= t
        if rem > 0:
            # the request is the newest of the queue
            mine = dict(need=rem, prio=prio, tier=tier, at=(NEWEST, math.inf))
            entries = sorted(bos.get((item, home), []) + [mine], key=queue_key)
            k = next(j for j, e in enumerate(entries) if e is mine)
            _, takes = run_queue(item, home, entries, avail[home], watch=k)
            for day, t, src in takes:
                rows[(home, day, src)] = rows.get((home, day, src), 0) + t
        out = {}
        for (w, day, src), t in rows.items():
            key = (w, max(day, today, req), src)
            out[key] = out.get(key, 0) + t
        return sorted((w, d, s, v) for (w, d, s), v in out.items())

    n = 0
    fails = []
    checked = 0
    kinds = {'stock': 0, 'purchase': 0, 'lead_time': 0}
    for item in range(1, nitems + 1):
        for _ in range(nreq):
            q = rng.choice([1, 2, 3, 5, 8, 13, 21, 0.5, 4.75])
            ship = loc() if rng.random() < 0.85 else None
            req = today + rng.randint(-3, 10)
            cust = rng.randint(1, ncust) if rng.random() < 0.7 else None
            prio = rng.choice([0, 0, 0, 1, 2])
            pref = rng.randint(1, 5) if rng.random() < 0.15 else None
            cur.execute("""SELECT warehouse_id, available_on - '2000-01-01'::date, source, qty
                             FROM crmscm.promise(%s, %s, %s, '2000-01-01'::date + %s, %s, %s, %s)""",
                        (item, q, ship, req, cust, prio, pref))
            got = {}
            for w, d, s, v in cur.fetchall():
                got[(w, d, s)] = got.get((w, d, s), 0) + F(v)
            got = sorted((w, d, s, v) for (w, d, s), v in got.items())
            want = reference(item, q, ship, req, cust, prio, pref)
            checked += 1
            for r in want:
                kinds[r[2]] += 1
            if got != want:
                fails.append('item %d qty %s ship %s req %+d cust %s prio %d pref %s: got %s, want %s'
                             % (item, q, ship, req - today, cust, prio, pref, got, want))
    print('1..4')
    print('%s 1 - %d promise() answers over %d random item states equal the day-by-day reference (%d differ)'
          % ('ok' if not fails else 'not ok', checked, nitems, len(fails)))
    for f in fails[:5]:
        print('#   ' + f)
    print('# parts promised: %d from stock, %d from purchase orders, %d on the lead time' % (
        kinds['stock'], kinds['purchase'], kinds['lead_time']))

    # every backorder: promise_queue() and the day stored by the commit pass
    qfails, sfails, nb = [], [], 0
    cur.execute("""SELECT item_id, warehouse_id, backorder_id, covered_on - '2000-01-01'::date, source
                     FROM crmscm.promise_queue()""")
    pq = {(i, w, b): (d, s) for i, w, b, d, s in cur.fetchall()}
    for (item, w), lst in bos.items():
        entries = sorted(lst, key=queue_key)
        done, _ = run_queue(item, w, entries, inv.get((item, w), (F(0), F(0)))[1])
        for e, dn in zip(entries, done):
            nb += 1
            if pq.get((item, w, e['id'])) != dn:
                qfails.append('backorder %d of item %d at %d: promise_queue %s, reference %s' % (e['id'], item, w, pq.get((item, w, e['id'])), dn))
            if e['stored'] != dn:
                sfails.append('backorder %d of item %d at %d: stored %s, reference %s' % (e['id'], item, w, e['stored'], dn))
    print("%s 2 - promise_queue() gives each of %d backorders the reference's day and source (%d differ)"
          % ('ok' if not qfails and nb > 0 else 'not ok', nb, len(qfails)))
    for f in qfails[:5]:
        print('#   ' + f)
    print("%s 3 - the day and source the commit pass stored on each backorder equal the reference's (%d differ)"
          % ('ok' if not sfails and nb > 0 else 'not ok', len(sfails)))
    for f in sfails[:5]:
        print('#   ' + f)
    cur.execute("SELECT count(*) FROM crmscm.check_inventory()")
    bad = cur.fetchone()[0]
    print('%s 4 - check_inventory() finds nothing wrong after building the states (%d rows)' % ('ok' if bad == 0 else 'not ok', bad))
    cur.execute("DROP EXTENSION crmscm CASCADE")


if __name__ == '__main__':
    main()
