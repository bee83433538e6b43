#!/usr/bin/env bash
# Order/inventory stress run (doc/orders.md:
# concurrency), printing TAP.
#
# pgbench drives three rounds of a weighted mix against one database, with
# checks after each:
#   mix     multi-line orders as one INSERT (items from a Zipfian hot set in
#           random order), draft-then-confirm orders, quantity changes, line
#           and order cancellations, shipments, receipts, adjustments,
#           purchase orders received, ATP queries; READ COMMITTED;
#   orm     what an ORM does: a confirmed order, then one INSERT per line
#           (1-4 lines, items from a hot set of 10 of 60 in random order),
#           mixed with quantity changes, cancels, deletes, shipments (one or
#           two orders per transaction), receipts; READ COMMITTED;
#   orm-rr  the same at REPEATABLE READ, serialization failures retried by
#           pgbench (--max-tries).
# After each round crmscm.check_inventory() and the independent invariant
# queries of test/stress/invariants.sql must return no rows, and no pgbench
# transaction may have failed (retried serialization failures aside); over
# all rounds pg_stat_database.deadlocks must not move, and customer_lifetime
# must equal the recount from the orders.
#
#   STRESS_CLIENTS (default 16), STRESS_SECONDS per round (default 10)
# Runs inside the test cluster (PGHOST etc. set).  bench/orders_stress.sh
# runs it longer.
set -uo pipefail
cd "$(dirname "$0")/../.."
clients=${STRESS_CLIENTS:-16}
secs=${STRESS_SECONDS:-10}
db=crmscm_stress
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
pgbench=$bindir/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench)
log=$(mktemp /tmp/crmscm-stress.XXXXXX)
trap 'rm -f "$log"' EXIT

echo "1..12"
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null 2>&1	# one tenant (no default: doc/security.md)
psql -qX -d $db -f test/stress/setup.sql >/dev/null
q() { psql -AtqX -d $db -c "$1"; }
dl0=$(q "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")

s=test/stress
mix_classic="-f $s/new_order.sql@30 -f $s/draft_confirm.sql@8 -f $s/qty_change.sql@12
	-f $s/cancel_line.sql@4 -f $s/cancel_order.sql@3 -f $s/ship.sql@15
	-f $s/receipt.sql@12 -f $s/adjust.sql@2 -f $s/purchase.sql@4 -f $s/atp.sql@10"
mix_orm="-f $s/orm/order.sql@40 -f $s/qty_change.sql@10 -f $s/cancel_line.sql@5 -f $s/cancel_order.sql@3
	-f $s/orm/delete.sql@4 -f $s/ship.sql@8 -f $s/orm/ship_two.sql@6 -f $s/orm/receipt.sql@15
	-f $s/adjust.sql@2 -f $s/purchase.sql@3 -f $s/atp.sql@4"

round() {	# $1 = name, $2 = isolation level, $3 = scripts
	local name=$1 iso=$2 rc tps xacts failed retried aborted cnt dur what
	# READ COMMITTED for a time; REPEATABLE READ for a number of transactions
	# per client (pgbench counts a transaction still retrying when a time
	# limit ends as failed), retried until they commit
	dur="-T $secs" what="${secs} s"
	[ "$iso" = 'read committed' ] || { dur="-t $((secs * 10))"; what="$((secs * 10)) transactions each"; }
	PGOPTIONS="-c default_transaction_isolation=${iso/ /\\ }" nice "$pgbench" -n -c "$clients" -j 2 $dur \
		--max-tries=1000 --failures-detailed $3 $db >"$log" 2>&1
	rc=$?
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$log" | tail -1)
	xacts=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
	retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' "$log")
	aborted=$(grep -c 'aborted\|ERROR' "$log")
	[ "$rc" -eq 0 ] && [ "${failed:-1}" -eq 0 ] && [ "$aborted" -eq 0 ] && [ -n "$tps" ]
	ok $? "$name ($iso): $clients clients, $what, ${xacts:-?} transactions, tps ${tps:-?}, ${failed:-?} failed, ${retried:-0} retried after a serialization failure"
	[ "$rc" -eq 0 ] && [ "${failed:-1}" -eq 0 ] || grep -m 20 'aborted\|ERROR\|error\|failures' "$log" | sed 's/^/# /'
	grep -E '^(tps|latency|number of|  [a-z]+ failures)' "$log" | sed 's/^/# /'

	cnt=$(q "SELECT count(*) FROM crmscm.check_inventory()")
	[ "$cnt" = 0 ]
	ok $? "$name: crmscm.check_inventory() returns ${cnt:-?} rows"
	[ "$cnt" = 0 ] || q "SELECT * FROM crmscm.check_inventory() LIMIT 10" | sed 's/^/# /'

	cnt=$(psql -AtqX -d $db -c "SELECT count(*) FROM ($(sed 's/;[[:space:]]*$//' test/stress/invariants.sql)) x")
	[ "$cnt" = 0 ]
	ok $? "$name: independent invariant queries return ${cnt:-?} rows"
	[ "$cnt" = 0 ] || psql -AtqX -d $db -f test/stress/invariants.sql | head | sed 's/^/# /'
}

round mix 'read committed' "$mix_classic"
round orm 'read committed' "$mix_orm"
round orm-rr 'repeatable read' "$mix_orm"

sleep 1
dl1=$(q "SELECT pg_stat_clear_snapshot(); SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()" | tail -1)
[ "$dl0" = "$dl1" ]
ok $? "no deadlock in any round (pg_stat_database.deadlocks $dl0 -> $dl1)"

stats=$(q "SELECT (SELECT count(*) FROM crmscm.sales_orders) || ' orders, '
	|| (SELECT count(*) FROM crmscm.sales_order_lines WHERE status = 'cancelled') || ' cancelled lines, '
	|| (SELECT count(*) FROM crmscm.stock_moves WHERE kind = 'shipment') || ' shipments, '
	|| (SELECT count(*) FROM crmscm.backorders) || ' backorders waiting ('
	|| (SELECT count(*) FROM crmscm.backorders WHERE allocated > 0) || ' with units set aside), '
	|| (SELECT coalesce(sum(qty_backordered), 0) FROM crmscm.sales_order_lines) || ' units backordered'")
busy=$(q "SELECT (SELECT count(*) FROM crmscm.sales_orders) > 50
	AND (SELECT count(*) FROM crmscm.stock_moves WHERE kind = 'shipment') > 0
	AND (SELECT count(*) FROM crmscm.sales_order_lines WHERE status = 'cancelled') > 0
	AND (SELECT count(*) FROM crmscm.sales_order_lines WHERE qty_backordered > 0 OR qty_reserved > 0) > 0")
[ "$busy" = t ]
ok $? "the mix did real work: $stats"

# customer_lifetime, booked by deltas at every commit of the mix, against the
# recount straight from the orders through the view customer_purchases
cnt=$(q "SELECT count(*) FROM crmscm.customers c
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
[ "$cnt" = 0 ] && [ "${m:-0}" -gt 10 ]
ok $? "customer_lifetime equals the recount from customer_purchases for every customer ($m with revenue, ${cnt:-?} differ)"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
