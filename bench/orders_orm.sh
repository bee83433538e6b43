#!/usr/bin/env bash
# Orders per second written the way an ORM writes them (a confirmed order,
# then one INSERT per line) vs the same orders with their lines in one
# multi-row INSERT, side by side in one run (issue #14: the ORM pattern
# deadlocked 120 of 136 transactions in 0.2.0; target now >= 0.8 of the
# multi-row rate).  16 clients, 1-4 lines per order from a hot set of 10 of
# 60 items, stock that lasts the run; rounds alternate between the two
# patterns.  Prints orders/s, the ratio and the deadlock counter.
#
#   bench/orders_orm.sh        (BENCH_SECONDS=10 per run, BENCH_ROUNDS=3, BENCH_CLIENTS=16)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)"
	exec tools/with-cluster.sh bash "$0" "$@"
fi
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
clients=${BENCH_CLIENTS:-16}
db=crmscm_bench_orm
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
INSERT INTO crmscm.warehouses (name, location) VALUES
	('Hamburg', '(53.5511,9.9937)'), ('Lyon', '(45.764,4.8357)'), ('Milan', '(45.4642,9.19)'), ('Warsaw', '(52.2297,21.0122)');
INSERT INTO crmscm.items (sku, name, unit_price) SELECT 'S' || g, 'item ' || g, 10 + g FROM generate_series(1, 60) g;
INSERT INTO crmscm.customers (name, location) SELECT 'customer ' || g, crmscm.geopoint(45 + g % 8, 5 + g % 12) FROM generate_series(1, 200) g;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
	SELECT i.item_id, w.warehouse_id, 1e6, 'receipt' FROM crmscm.items i, crmscm.warehouses w;
SQL
hdr='\set c random(1, 200)
\set n random(1, 4)
\set i1 random(1, 10)
\set i2 random(1, 10)
\set i3 random(1, 10)
\set i4 random(1, 60)
\set q random(1, 4)
BEGIN;
INSERT INTO crmscm.sales_orders (customer_id, status, ship_to)
	SELECT customer_id, '"'confirmed'"', location FROM crmscm.customers WHERE customer_id = :c
	RETURNING order_id AS oid \gset'
{ echo "$hdr"; cat <<'EOF2'
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 1, :i1, :q, 10);
\if :n >= 2
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 2, :i2, :q, 11);
\endif
\if :n >= 3
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 3, :i3, :q, 12);
\endif
\if :n >= 4
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 4, :i4, :q, 13);
\endif
COMMIT;
EOF2
} >"$tmp/orm.sql"
{ echo "$hdr"; cat <<'EOF2'
\if :n = 1
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 1, :i1, :q, 10);
\elif :n = 2
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 1, :i1, :q, 10), (:oid, 2, :i2, :q, 11);
\elif :n = 3
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 1, :i1, :q, 10), (:oid, 2, :i2, :q, 11), (:oid, 3, :i3, :q, 12);
\else
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 1, :i1, :q, 10), (:oid, 2, :i2, :q, 11), (:oid, 3, :i3, :q, 12), (:oid, 4, :i4, :q, 13);
\endif
COMMIT;
EOF2
} >"$tmp/multi.sql"

q() { psql -AtqX -d $db -c "$1"; }
dl0=$(q "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
run() {	# $1 = orm|multi -> orders/s
	nice "$pgbench" -n -c "$clients" -j 2 -T "$secs" -f "$tmp/$1.sql" $db 2>"$tmp/err" \
		| tee "$tmp/out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
	grep -q '^number of failed transactions: 0 ' "$tmp/out" || { echo "failures in the $1 run:" >&2; grep -E 'failed|ERROR' "$tmp/out" "$tmp/err" >&2; }
}
echo "== orders/s, $clients clients, ${secs} s per run, 1-4 lines per order (hot set of 10 of 60 items)"
printf '%-6s %14s %14s %8s\n' round one_per_line multi_row ratio
for r in $(seq 1 "$rounds"); do
	o=$(run orm); m=$(run multi)
	printf '%-6s %14.1f %14.1f %8s\n' "$r" "$o" "$m" "$(awk "BEGIN { printf \"%.2f\", $o / $m }")"
done
sleep 1
dl1=$(q "SELECT pg_stat_clear_snapshot(); SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()" | tail -1)
echo "deadlocks (pg_stat_database): $dl0 -> $dl1; check_inventory() rows: $(q 'SELECT count(*) FROM crmscm.check_inventory()')"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
