#!/usr/bin/env bash
# Order/inventory stress run (SPEC §8 concurrency), printing TAP.
#
# pgbench drives a weighted mix against one database: multi-line orders with
# items from a Zipfian hot set in random order, draft-then-confirm orders,
# quantity changes, line and order cancellations, shipments, receipts,
# adjustments, purchase orders received, ATP queries.  Afterwards
# crmscm.check_inventory() and an independent set of invariant queries
# (test/stress/invariants.sql) must return no rows, pg_stat_database.deadlocks
# must not have moved, and no pgbench transaction may have failed.
#
#   STRESS_CLIENTS (default 16), STRESS_SECONDS (default 15)
# Runs inside the test cluster (PGHOST etc. set).  bench/orders_stress.sh
# runs it longer.
set -uo pipefail
cd "$(dirname "$0")/../.."
clients=${STRESS_CLIENTS:-16}
secs=${STRESS_SECONDS:-15}
db=crmscm_stress
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
pgbench=$bindir/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench)
log=$(mktemp /tmp/crmscm-stress.XXXXXX)
trap 'rm -f "$log"' EXIT

echo "1..6"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null 2>&1	# one tenant (no default: doc/security.md)
psql -qX -d $db -f test/stress/setup.sql >/dev/null
q() { psql -AtqX -d $db -c "$1"; }
dl0=$(q "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")

s=test/stress
nice "$pgbench" -n -c "$clients" -j 2 -T "$secs" \
	-f $s/new_order.sql@30 -f $s/draft_confirm.sql@8 -f $s/qty_change.sql@12 \
	-f $s/cancel_line.sql@4 -f $s/cancel_order.sql@3 -f $s/ship.sql@15 \
	-f $s/receipt.sql@12 -f $s/adjust.sql@2 -f $s/purchase.sql@4 -f $s/atp.sql@10 \
	$db >"$log" 2>&1
rc=$?
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$log" | tail -1)
xacts=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
aborted=$(grep -c 'aborted\|ERROR' "$log")
if [ "$rc" -eq 0 ] && [ "${failed:-0}" -eq 0 ] && [ "$aborted" -eq 0 ] && [ -n "$tps" ]; then
	echo "ok 1 - pgbench: $clients clients, ${secs} s, $xacts transactions, tps $tps, 0 failed"
else
	echo "not ok 1 - pgbench: exit $rc, failed ${failed:-?}, $aborted error lines"
	grep -m 20 'aborted\|ERROR\|error' "$log" | sed 's/^/# /'
fi

n=$(q "SELECT count(*) FROM crmscm.check_inventory()")
if [ "$n" = 0 ]; then echo "ok 2 - crmscm.check_inventory() returns no rows"
else echo "not ok 2 - crmscm.check_inventory() returns $n rows"; q "SELECT * FROM crmscm.check_inventory() LIMIT 10" | sed 's/^/# /'; fi

n=$(psql -AtqX -d $db -c "SELECT count(*) FROM ($(sed 's/;[[:space:]]*$//' test/stress/invariants.sql)) x")
if [ "$n" = 0 ]; then echo "ok 3 - independent invariant queries return no rows"
else echo "not ok 3 - independent invariant queries return $n rows"; psql -AtqX -d $db -f test/stress/invariants.sql | head | sed 's/^/# /'; fi

sleep 1
dl1=$(q "SELECT pg_stat_clear_snapshot(); SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()" | tail -1)
if [ "$dl0" = "$dl1" ]; then echo "ok 4 - no deadlock (pg_stat_database.deadlocks $dl0 -> $dl1)"
else echo "not ok 4 - deadlocks: pg_stat_database.deadlocks $dl0 -> $dl1"; fi

stats=$(q "SELECT (SELECT count(*) FROM crmscm.sales_orders) || ' orders, '
	|| (SELECT count(*) FROM crmscm.sales_order_lines WHERE status = 'cancelled') || ' cancelled lines, '
	|| (SELECT count(*) FROM crmscm.stock_moves WHERE kind = 'shipment') || ' shipments, '
	|| (SELECT count(*) FROM crmscm.backorders) || ' backorders waiting, '
	|| (SELECT coalesce(sum(qty_backordered), 0) FROM crmscm.sales_order_lines) || ' units backordered'")
busy=$(q "SELECT (SELECT count(*) FROM crmscm.sales_orders) > 50
	AND (SELECT count(*) FROM crmscm.stock_moves WHERE kind = 'shipment') > 0
	AND (SELECT count(*) FROM crmscm.sales_order_lines WHERE status = 'cancelled') > 0")
if [ "$busy" = t ]; then echo "ok 5 - the mix did real work: $stats"
else echo "not ok 5 - too little work: $stats"; fi

# customer_lifetime, booked by deltas at every commit of the mix, against the
# recount straight from the orders through the view customer_purchases
n=$(q "SELECT count(*) FROM crmscm.customers c
	LEFT JOIN crmscm.customer_lifetime cl USING (tenant_id, customer_id)
	LEFT JOIN (SELECT p.tenant_id, p.customer_id, count(*)::int AS orders, count(DISTINCT p.purchase_day)::int AS days,
					  sum(p.amount) AS revenue, sum(p.shipped_amount) AS shipped, min(p.purchase_day) AS first_day,
					  max(p.purchase_day) AS last_day
				 FROM crmscm.customer_purchases p GROUP BY 1, 2) x USING (tenant_id, customer_id)
	WHERE (coalesce(cl.orders, 0), coalesce(cl.order_days, 0), coalesce(cl.revenue, 0), coalesce(cl.shipped_revenue, 0),
		   cl.first_order_day, cl.last_order_day, coalesce(cl.orders_placed, 0))
		  IS DISTINCT FROM (coalesce(x.orders, 0), coalesce(x.days, 0), coalesce(x.revenue, 0), coalesce(x.shipped, 0),
		   x.first_day, x.last_day,
		   (SELECT count(*)::int FROM crmscm.sales_orders o WHERE o.tenant_id = c.tenant_id AND o.customer_id = c.customer_id))")
m=$(q "SELECT count(*) FROM crmscm.customer_lifetime WHERE revenue > 0")
if [ "$n" = 0 ] && [ "${m:-0}" -gt 10 ]; then echo "ok 6 - customer_lifetime equals the recount from customer_purchases ($m customers with revenue)"
else echo "not ok 6 - customer_lifetime differs from the recount for $n customers ($m with revenue)"; fi
grep -E '^(tps|latency|number of)' "$log" | sed 's/^/# /'
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
