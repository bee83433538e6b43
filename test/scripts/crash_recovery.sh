#!/usr/bin/env bash
# Crash recovery under an order stream (TAP).
#
# pgbench runs a stream of sales orders (status confirmed, two lines each,
# plus a stock receipt) in 4 clients; meanwhile (1) one backend is killed
# with SIGKILL, which makes the postmaster reset every backend and run crash
# recovery, and (2) separately the server is stopped with
# `pg_ctl stop -m immediate` and started again.  Afterwards every order
# whose COMMIT pgbench saw is there with its lines and move, and
# crmscm.check_inventory() (when the orders module provides it) reports no
# violated invariant.
#
# The client-side tally is pgbench's own per-transaction log (-l): a client
# logs a transaction only after its COMMIT returned, and the script numbers
# each client's orders 1, 2, 3, ... (pgbench variables persist per client),
# so client c's k logged transactions are orders base + c * 10^7 + 1..k.
# Runs inside tools/with-cluster.sh (CRMSCM_PG_CTL, CRMSCM_PGDATA,
# CRMSCM_PGLOG); the server is restarted with fsync, synchronous_commit
# and full_page_writes on for the test, and with its own settings after.
set -uo pipefail
db=crmscm_crash
secs=${CRASH_STREAM_SECONDS:-6}
opts="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
tmp=$(mktemp -d /tmp/crmscm-crash.XXXXXX); chmod 777 "$tmp"
pgctl() { $CRMSCM_PG_CTL -D "$CRMSCM_PGDATA" "$@"; }
wait_ready() { for _ in $(seq 1 120); do pg_isready -q && psql -qXAt -d "$db" -c 'SELECT 1' >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
finish() {
	pgctl -m fast -w stop >/dev/null 2>&1
	pgctl -l "$CRMSCM_PGLOG" -w -t 60 start >/dev/null 2>&1	# back to the cluster's own settings
	dropdb --if-exists "$db" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap finish EXIT

echo "1..8"
pgctl -m fast -w stop >/dev/null && pgctl -l "$CRMSCM_PGLOG" -w -t 60 -o "$opts" start >/dev/null \
	|| { echo "not ok 1 - restart with fsync on"; exit 1; }
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" && psql -qX -d "$db" -c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null \
	&& psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || { echo "not ok 1 - setup"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
INSERT INTO crmscm.items (item_id, sku, name, unit_price) SELECT i, 'SKU' || i, 'item ' || i, 10 FROM generate_series(1, 50) i;
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'north', '(53.55,9.99)'), (2, 'south', '(48.14,11.58)');
INSERT INTO crmscm.customers (customer_id, name, location) SELECT i, 'customer ' || i, crmscm.geopoint(47 + i % 7, 6 + i % 9) FROM generate_series(1, 200) i;
SQL
# The lines lock their inventory rows in one sorted statement; the receipt
# comes after them and touches one of those rows, so transactions cannot
# deadlock (a receipt first would lock a row out of order: issue #3's README).
# The tally relies on that: a failed transaction would still use up an n.
cat >"$tmp/order.sql" <<'SQL'
\set n :n + 1
\set oid :base * 1000000000 + :client_id * 10000000 + :n
\set cust random(1, 200)
\set item1 random(1, 50)
\set item2 random(1, 50)
\set wh random(1, 2)
BEGIN;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES (:oid, :cust, 'confirmed', '(50.1,8.7)');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 1, :item1, 2, 10), (:oid, 2, :item2, 1, 10);
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (:item1, :wh, 5, 'receipt');
COMMIT;
SQL

stream() {	# $1 = base (run number); pgbench in the background, log in $tmp/run$1
	mkdir -p "$tmp/run$1"; chmod 777 "$tmp/run$1"
	pgbench -n -c 4 -j 2 -T "$secs" -D n=0 -D base="$1" -f "$tmp/order.sql" -l \
		--log-prefix="$tmp/run$1/log" "$db" >"$tmp/run$1/out" 2>&1 &
	pid=$!
}
check() {	# $1 = base: every logged order present with lines and move
	local tally
	# pgbench 15 also logs a transaction cut short by the crash, with
	# "failed" in place of its latency: only numeric latencies committed
	tally=$(cat "$tmp/run$1"/log.* 2>/dev/null | awk '$3 ~ /^[0-9]+$/ {c[$1]++} END {for (k in c) print k "\t" c[k]}')
	committed=$(awk '{s += $2} END {print s + 0}' <<<"$tally")
	failed=$(cat "$tmp/run$1"/log.* 2>/dev/null | awk '$3 == "failed"' | wc -l)
	missing=$(psql -qXAt -d "$db" -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE tally (client int, k int);
COPY tally FROM STDIN;
$tally
\\.
SELECT count(*) FROM tally, generate_series(1, k) i
 WHERE NOT EXISTS (SELECT FROM crmscm.sales_orders o
                   WHERE o.tenant_id = 1 AND o.order_id = $1 * 1000000000::bigint + client * 10000000 + i
                     AND o.status = 'confirmed'
                     AND (SELECT count(*) FROM crmscm.sales_order_lines l
                          WHERE l.tenant_id = 1 AND l.order_id = o.order_id) = 2);
SQL
)
}
inventory_check() {	# $1 = label
	if [ "$(psql -qXAt -d "$db" -c "SELECT to_regprocedure('crmscm.check_inventory()') IS NOT NULL")" = t ]; then
		bad=$(psql -qXAt -d "$db" -c 'SELECT count(*) FROM crmscm.check_inventory()' 2>&1)
		[ "$bad" = 0 ]; ok $? "$1: crmscm.check_inventory() reports no violated invariant (got: $bad)"
	else
		n=$((n + 1)); echo "ok $n - $1: crmscm.check_inventory() # SKIP the orders module (issue #3) is not installed yet"
	fi
}

# (1) kill -9 of one backend in the middle of the stream
stream 1
sleep 1.5
victim=$(psql -qXAt -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'pgbench' ORDER BY pid LIMIT 1")
lines=$(wc -l <"$CRMSCM_PGLOG")
kill -9 "$victim" 2>/dev/null || runuser -u postgres -- kill -9 "$victim"
wait "$pid"
wait_ready; ready=$?
sleep 0.5
tail -n +"$((lines + 1))" "$CRMSCM_PGLOG" | grep -c "terminated by signal 9" >/dev/null
ok $(( $? + ready )) "kill -9 of backend $victim during the stream: server logged it, reset and recovered"
check 1
[ "$committed" -gt 0 ] && [ "$missing" = 0 ]
ok $? "after kill -9: all $committed orders whose COMMIT returned are there with their lines (missing: $missing; failed transactions: $failed)"
stock=$(psql -qXAt -d "$db" -c "SELECT count(*) FROM crmscm.stock_moves")
[ "$stock" -ge "$committed" ]; ok $? "after kill -9: at least one stock move per committed order ($stock moves)"
inventory_check "after kill -9"

# (2) immediate shutdown in the middle of the stream, then start again
stream 2
sleep 1.5
pgctl -m immediate -w stop >/dev/null 2>&1
wait "$pid"
pgctl -l "$CRMSCM_PGLOG" -w -t 60 -o "$opts" start >/dev/null 2>&1
wait_ready
ok $? "pg_ctl stop -m immediate during the stream, then start: server recovered"
check 2
[ "$committed" -gt 0 ] && [ "$missing" = 0 ]
ok $? "after immediate stop: all $committed orders whose COMMIT returned are there with their lines (missing: $missing; failed transactions: $failed)"
total=$(psql -qXAt -d "$db" -c "SELECT count(*) FROM crmscm.sales_orders o WHERE (SELECT count(*) FROM crmscm.sales_order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.order_id) <> 2")
[ "$total" = 0 ]; ok $? "no order is left half-written (orders without exactly 2 lines: $total)"
inventory_check "after immediate stop"
exit $fail
