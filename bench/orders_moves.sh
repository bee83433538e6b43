#!/usr/bin/env bash
# Why receipts, adjustments and ship() do their stock work at commit too
# (doc/orders.md): 8 clients, each transaction receiving two items of a hot
# set of 10 and shipping what one recent order has reserved, statements in
# random item order; once as crmscm does it (stock work at commit, one
# sorted pass), once with SET CONSTRAINTS ALL IMMEDIATE, which makes the
# pass run after every statement (as 0.2.0's triggers did).  Prints
# transactions/s and deadlocks of each, side by side.
#
#   bench/orders_moves.sh        (BENCH_SECONDS=10, BENCH_CLIENTS=8)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)"
	exec tools/with-cluster.sh bash "$0" "$@"
fi
secs=${BENCH_SECONDS:-10}
clients=${BENCH_CLIENTS:-8}
db=crmscm_bench_moves
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
pgbench=$bindir/pgbench
tmp=$(mktemp -d /tmp/crmscm-bench.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null 2>&1
psql -qX -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
INSERT INTO crmscm.warehouses (name, location) VALUES ('Hamburg', '(53.5511,9.9937)'), ('Milan', '(45.4642,9.19)');
INSERT INTO crmscm.items (sku, name) SELECT 'S' || g, 'item ' || g FROM generate_series(1, 10) g;
INSERT INTO crmscm.customers (name) SELECT 'customer ' || g FROM generate_series(1, 50) g;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
	SELECT i.item_id, w.warehouse_id, 1000, 'receipt' FROM crmscm.items i, crmscm.warehouses w;
-- orders to ship from
INSERT INTO crmscm.sales_orders (customer_id, status) SELECT 1 + g % 50, 'confirmed' FROM generate_series(1, 2000) g;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price)
	SELECT o.order_id, 1, 1 + o.order_id % 10, 1, 5 FROM crmscm.sales_orders o;
SQL
body='\set i1 random(1, 10)
\set i2 random(1, 10)
\set o random(1, 2000)
BEGIN;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (:i1, 1, 1, '"'receipt'"');
SELECT crmscm.ship(l.order_id, l.line_no, 1)
  FROM (SELECT x.order_id, x.line_no FROM crmscm.sales_order_lines x
         WHERE x.tenant_id = 1 AND x.order_id = :o AND x.status = '"'open'"' AND x.qty_reserved >= 1
           FOR NO KEY UPDATE SKIP LOCKED) l;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (:i2, 1, 1, '"'receipt'"');
COMMIT;'
echo "$body" >"$tmp/commit.sql"
echo "$body" | sed 's/^BEGIN;$/BEGIN; SET CONSTRAINTS ALL IMMEDIATE;/' >"$tmp/immediate.sql"
q() { psql -AtqX -d $db -c "$1"; }
run() {	# $1 = commit|immediate
	local d0 d1 tps
	d0=$(q "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
	nice "$pgbench" -n -c "$clients" -j 2 -T "$secs" --max-tries=100 -f "$tmp/$1.sql" $db >"$tmp/$1.out" 2>&1 || true
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$tmp/$1.out")
	grep -E 'ERROR|aborted' "$tmp/$1.out" | head -3 >&2 || true
	sleep 1
	d1=$(q "SELECT pg_stat_clear_snapshot(); SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()" | tail -1)
	printf '%-28s %10.1f %12s\n' "$1" "${tps:-0}" "$((d1 - d0))"
}
echo "== receipts and shipments in random item order, $clients clients, ${secs} s each (deadlocks retried by pgbench)"
printf '%-28s %10s %12s\n' 'stock work' 'xacts/s' 'deadlocks'
run commit
run immediate
echo "check_inventory() rows: $(q 'SELECT count(*) FROM crmscm.check_inventory()')"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
