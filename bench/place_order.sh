#!/usr/bin/env bash
# Orders of 4 lines per second, three ways, side by side in one run (#15):
#
#   place_order   SELECT * FROM crmscm.place_order(customer, '[4 lines]')
#                 (one statement; reserves before it returns and hands back
#                 each line's reserved/backordered quantities)
#   multi-row     BEGIN; INSERT the order RETURNING order_id;
#                 INSERT the 4 lines in one statement; COMMIT (reserved at
#                 commit; the client has not read the quantities)
#   ORM           BEGIN; INSERT the order; 4 INSERTs of one line each
#                 (what an ORM sends); COMMIT
#
# Every order is confirmed and fully reserved (stock 1e9 per item and
# warehouse), 4 random items of 1,000 in 4 warehouses, random customer of 16,
# a history of 20,000 closed orders.  BENCH_ROUNDS rounds (default 3) of the
# three modes in turn, BENCH_SECONDS each (default 10), BENCH_CLIENTS clients
# (default 4); prints each round and the median ratio place_order /
# multi-row (target >= 0.9) and ORM / multi-row.
#
# Starts its own throwaway cluster (tools/with-cluster.sh) unless PGHOST is set.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)"
	exec tools/with-cluster.sh bash "$0" "$@"
fi
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
clients=${BENCH_CLIENTS:-4}
db=crmscm_bench_po
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
pgbench=$bindir/pgbench
tmp=$(mktemp -d /tmp/crmscm-bench.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null 2>&1
psql -qX -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
-- master data through the identity columns (a fresh database: ids 1..n)
INSERT INTO crmscm.warehouses (name, location) VALUES
	('Hamburg', '(53.5511,9.9937)'), ('Lyon', '(45.764,4.8357)'),
	('Milan', '(45.4642,9.19)'), ('Warsaw', '(52.2297,21.0122)');
INSERT INTO crmscm.items (sku, name, unit_price) SELECT 'S' || g, 'item ' || g, 10 + g % 50 FROM generate_series(1, 1000) g;
INSERT INTO crmscm.customers (name, location) SELECT 'customer ' || g, '(48.1351,11.582)' FROM generate_series(1, 16) g;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
	SELECT i.item_id, w.warehouse_id, 1e9, 'receipt' FROM crmscm.items i, crmscm.warehouses w;
WITH o AS (
	INSERT INTO crmscm.sales_orders (customer_id, status, ordered_at)
	SELECT 1 + g % 16, 'closed', now() - (g % 1000) * interval '1 day' FROM generate_series(1, 20000) g RETURNING order_id)
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
	SELECT o.order_id, l, 1 + (o.order_id * 7 + l) % 1000, 1, 10, 'shipped', 1 FROM o, generate_series(1, 4) l;
ANALYZE;
SQL

head='\set c random(1, 16)
\set a random(1, 1000)
\set b random(1, 1000)
\set d random(1, 1000)
\set e random(1, 1000)'
cat >"$tmp/place_order.sql" <<EOF2
$head
SELECT * FROM crmscm.place_order(:c, format('[{"item_id": %s, "qty": 2}, {"item_id": %s, "qty": 1}, {"item_id": %s, "qty": 3}, {"item_id": %s, "qty": 1}]', :a::int, :b::int, :d::int, :e::int)::jsonb);
EOF2
cat >"$tmp/multirow.sql" <<EOF2
$head
BEGIN;
INSERT INTO crmscm.sales_orders (customer_id, status, ship_to) VALUES (:c, 'confirmed', '(48.1351,11.582)') RETURNING order_id \gset
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (:order_id, 1, :a, 2), (:order_id, 2, :b, 1), (:order_id, 3, :d, 3), (:order_id, 4, :e, 1);
COMMIT;
EOF2
cat >"$tmp/orm.sql" <<EOF2
$head
BEGIN;
INSERT INTO crmscm.sales_orders (customer_id, status, ship_to) VALUES (:c, 'confirmed', '(48.1351,11.582)') RETURNING order_id \gset
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (:order_id, 1, :a, 2);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (:order_id, 2, :b, 1);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (:order_id, 3, :d, 3);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (:order_id, 4, :e, 1);
COMMIT;
EOF2

tps() {	# script -> orders per second
	"$pgbench" -n -M prepared -T "$secs" -c "$clients" -j 2 -f "$tmp/$1.sql" $db 2>/tmp/pgb.err \
		| sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
echo "orders of 4 lines per second, $clients clients, $secs s per run"
printf '%-6s %12s %12s %12s %10s %10s\n' round place_order multi-row ORM "po/multi" "orm/multi"
: >"$tmp/ratios"
for r in $(seq 1 "$rounds"); do
	p=$(tps place_order); m=$(tps multirow); o=$(tps orm)
	rp=$(echo "scale=3; $p / $m" | bc); ro=$(echo "scale=3; $o / $m" | bc)
	printf '%-6s %12.1f %12.1f %12.1f %10s %10s\n' "$r" "$p" "$m" "$o" "$rp" "$ro"
	echo "$rp $ro" >>"$tmp/ratios"
done
echo "median place_order / multi-row: $(cut -d' ' -f1 "$tmp/ratios" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') (target >= 0.9)"
echo "median ORM / multi-row:         $(cut -d' ' -f2 "$tmp/ratios" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
psql -qXAt -d $db -c "SELECT 'check_inventory() violations: ' || count(*) FROM crmscm.check_inventory()"
