#!/usr/bin/env bash
# Stress run of promises and allocation (issue #17, doc/synergy.md; TAP),
# in the manner of test/scripts/orders_stress.sh.
#
# pgbench runs 16 clients as synergy_stress, a login admin pinned to tenant
# 1 (not a superuser), READ COMMITTED, mixing: orders of customers of tiers
# A, B and C on hot items (some under allocation rules), draft-then-confirm
# orders, quantity and requested-day changes, cancels, shipments, receipts,
# dated purchase orders placed and partly received, suppliers moving their
# dates, promise() and promise_date(), rebalance() of hot items, tier and
# rule changes.  Afterwards: crmscm.check_inventory() (with the invariants
# on promises and fences) and the independent invariant queries return no
# rows; every backorder's stored promise equals promise_queue() recomputed;
# no pgbench transaction failed; pg_stat_database.deadlocks did not move;
# and the mix did real work (promises, rebalances, tiers in the queues).
#
#   STRESS_CLIENTS (default 16), STRESS_SECONDS (default 15)
set -uo pipefail
cd "$(dirname "$0")/../.."
clients=${STRESS_CLIENTS:-16}
secs=${STRESS_SECONDS:-15}
db=crmscm_synergy_stress
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
pgbench=$bindir/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench)
log=$(mktemp /tmp/crmscm-synergy-stress.XXXXXX)
trap 'rm -f "$log"' EXIT

echo "1..7"
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" -c "ALTER DATABASE $db SET track_functions = 'all'" >/dev/null 2>&1
psql -qX -d $db -f test/stress/setup.sql >/dev/null
psql -qX -d $db -f test/stress/synergy/setup.sql >/dev/null
q() { psql -AtqX -d $db -c "$1"; }
dl0=$(q "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")

s=test/stress
mix="-f $s/new_order.sql@22 -f $s/orm/order.sql@8 -f $s/draft_confirm.sql@6 -f $s/qty_change.sql@6
	-f $s/synergy/requested.sql@3 -f $s/cancel_line.sql@3 -f $s/ship.sql@12 -f $s/receipt.sql@8
	-f $s/synergy/purchase_dated.sql@5 -f $s/synergy/po_date.sql@4 -f $s/synergy/promise.sql@14
	-f $s/synergy/rebalance.sql@5 -f $s/synergy/tier.sql@2 -f $s/synergy/rules.sql@2"
nice "$pgbench" -n -U synergy_stress -c "$clients" -j 2 -T "$secs" --failures-detailed $mix $db >"$log" 2>&1
rc=$?
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$log" | tail -1)
xacts=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
aborted=$(grep -c 'aborted\|ERROR' "$log")
[ "$rc" -eq 0 ] && [ "${failed:-1}" -eq 0 ] && [ "$aborted" -eq 0 ] && [ -n "$tps" ]
ok $? "$clients clients as a pinned login admin, ${secs} s: ${xacts:-?} transactions, tps ${tps:-?}, ${failed:-?} failed"
[ "$rc" -eq 0 ] && [ "${failed:-1}" -eq 0 ] && [ "$aborted" -eq 0 ] || grep -m 20 'aborted\|ERROR\|error\|failures' "$log" | sed 's/^/# /'
grep -E '^(tps|latency|number of)' "$log" | sed 's/^/# /'

cnt=$(q "SELECT count(*) FROM crmscm.check_inventory()")
[ "$cnt" = 0 ]
ok $? "crmscm.check_inventory() (with the invariants on promises, fences and shipments) returns ${cnt:-?} rows"
[ "$cnt" = 0 ] || q "SELECT * FROM crmscm.check_inventory() LIMIT 10" | sed 's/^/# /'

cnt=$(psql -AtqX -d $db -c "SELECT count(*) FROM ($(sed 's/;[[:space:]]*$//' test/stress/invariants.sql)) x")
[ "$cnt" = 0 ]
ok $? "independent invariant queries return ${cnt:-?} rows"
[ "$cnt" = 0 ] || psql -AtqX -d $db -f test/stress/invariants.sql | head | sed 's/^/# /'

# every backorder's stored promise is what its queue gives today
cnt=$(q "SELECT count(*) FROM crmscm.backorders b
	LEFT JOIN crmscm.promise_queue() p ON p.backorder_id = b.backorder_id
	WHERE (b.promised_date, b.promise_source) IS DISTINCT FROM (p.covered_on, p.source)")
nb=$(q "SELECT count(*) FROM crmscm.backorders")
[ "$cnt" = 0 ]
ok $? "the promise stored on each of the $nb backorders equals promise_queue() recomputed (${cnt:-?} differ)"

sleep 1
dl1=$(q "SELECT pg_stat_clear_snapshot(); SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()" | tail -1)
[ "$dl0" = "$dl1" ]
ok $? "no deadlock (pg_stat_database.deadlocks $dl0 -> $dl1)"

stats=$(q "SELECT (SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'promise') || ' promise() calls, '
	|| (SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'rebalance') || ' rebalance() calls, '
	|| (SELECT count(*) FROM crmscm.sales_order_lines WHERE promised_date IS NOT NULL) || ' lines promised ('
	|| (SELECT count(*) FROM crmscm.sales_order_lines WHERE promise_source = 'purchase') || ' on a purchase, '
	|| (SELECT count(*) FROM crmscm.sales_order_lines WHERE customer_changed_at IS NOT NULL) || ' changed by the customer), '
	|| (SELECT count(*) FROM crmscm.backorders) || ' backorders (' || (SELECT count(*) FROM crmscm.backorders WHERE tier <> 'C') || ' of tier A or B), '
	|| (SELECT count(*) FROM crmscm.sales_order_lines WHERE shipments > 0) || ' lines shipped, '
	|| (SELECT count(*) FROM crmscm.at_risk_lines) || ' lines at risk'")
busy=$(q "SELECT (SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'promise') > 20
	AND (SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'rebalance') > 5
	AND (SELECT count(*) FROM crmscm.sales_order_lines WHERE promise_source = 'purchase') > 0
	AND (SELECT count(*) FROM crmscm.backorders WHERE tier <> 'C') > 0
	AND (SELECT count(*) FROM crmscm.sales_order_lines WHERE shipments > 0) > 0")
[ "$busy" = t ]
ok $? "the mix did real work: $stats"

# a line that at_risk_lines lists was held by another transaction when its
# supply moved (or customer_changed_at in its own); none has a promise
# earlier than its queue allows and was not listed
cnt=$(q "SELECT count(*) FROM crmscm.sales_order_lines l JOIN crmscm.sales_orders o USING (tenant_id, order_id)
	JOIN (SELECT order_id, line_no, max(covered_on) AS d FROM crmscm.promise_queue() GROUP BY 1, 2) p USING (order_id, line_no)
	WHERE o.status = 'confirmed' AND l.status = 'open' AND l.promised_date < p.d
	  AND NOT EXISTS (SELECT FROM crmscm.at_risk_lines r WHERE r.order_id = l.order_id AND r.line_no = l.line_no)")
[ "$cnt" = 0 ]
ok $? "every open line promised earlier than its queue allows is in at_risk_lines (${cnt:-?} missing)"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS synergy_stress" >/dev/null 2>&1
