#!/usr/bin/env bash
# Bulk orders, what a data load or an ERP import sends: one transaction
# inserting N purchase lines (200 orders of N/200 lines, 200 item keys), one
# receiving all of them; one inserting N sales order lines (200 confirmed
# orders, 200 items, all reserved), one changing the quantity of all of
# them.  With crmscm's triggers on (the work at commit) vs the same
# statements with the triggers off (session_replication_role = replica),
# side by side in one run (triggers off in tenant 2, so that tenant 1's
# check_inventory() at the end checks the bookkeeping of the runs with them on).
#
#   bench/bulk_orders.sh [N]            (N = 20000 by default)
#
# Starts its own throwaway cluster (tools/with-cluster.sh) unless PGHOST is set.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)"
	exec tools/with-cluster.sh bash "$0" "$@"
fi
n=${1:-20000}
per=$(( (n + 199) / 200 ))
db=crmscm_bench_po
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -qX -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
SET crmscm.tenant_id = 1;
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (2, 'Lyon', '(45.764,4.8357)');
INSERT INTO crmscm.items (item_id, sku, name) SELECT g, 'S' || g, 'item ' || g FROM generate_series(1001, 1200) g;
INSERT INTO crmscm.items (item_id, sku, name) SELECT g, 'S' || g, 'item ' || g FROM generate_series(1, 200) g;
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'Hamburg', '(53.5511,9.9937)');
INSERT INTO crmscm.customers (customer_id, name) SELECT g, 'customer ' || g FROM generate_series(1, 200) g;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) SELECT i, w, 1e9, 'receipt' FROM generate_series(1, 200) i, generate_series(1, 2) w;
SQL
run() {	# round, base po_id, session_replication_role: prints "insert_ms receive_ms"
	psql -qXAt -d $db -v base="$2" -v per="$per" -v role="$3" -v t="$([ "$3" = origin ] && echo 1 || echo 2)" <<'SQL' | awk '/^Time:/ { printf "%s ", $2 } END { print "" }'
SET crmscm.tenant_id = :t;
SET session_replication_role = :role;
BEGIN;
INSERT INTO crmscm.purchase_orders (po_id, supplier, expected_at, status, ordered_at)
SELECT :base + r, 'run' || r, current_date + 14, 'ordered', now() - interval '10 days' FROM generate_series(1, 200) r;
\timing on
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
SELECT :base + r, i, 1000 + r, 2, 5 FROM generate_series(1, 200) r, generate_series(1, :per) i;
COMMIT;
\timing off
BEGIN;
\timing on
UPDATE crmscm.purchase_order_lines pl SET qty_received = pl.qty, received_at = now()
 WHERE pl.tenant_id = :t AND pl.po_id > :base AND pl.po_id <= :base + 200;
COMMIT;
SQL
}
echo "# $((200 * per)) purchase lines in one transaction, then received in one (ms: insert, commit, receive, commit)"
for round in $(seq 1 "${BENCH_ROUNDS:-3}"); do
	on=$(run "$round" $((round * 100000)) origin)
	off=$(run "$round" $((round * 100000 + 50000)) replica)
	echo "round $round: triggers on: $on| off: $off" |
		awk '{ a = $5 + $6 + $7 + $8; b = $11 + $12 + $13 + $14; printf "%s  total on %.0f ms, off %.0f ms, off/on %.2f\n", $0, a, b, b / a }'
done
sales() {	# base order_id, session_replication_role: prints the four times
	psql -qXAt -d $db -v base="$1" -v per="$per" -v role="$2" -v t="$([ "$2" = origin ] && echo 1 || echo 2)" <<'SQL' | awk '/^Time:/ { printf "%s ", $2 } END { print "" }'
SET crmscm.tenant_id = :t;
SET session_replication_role = :role;
BEGIN;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to)
SELECT :base + g, g, 'confirmed', '(48.1351,11.582)' FROM generate_series(1, 200) g;
\timing on
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price)
SELECT :base + o, l, 1 + (o * 7 + l) % 200, 5, 10 FROM generate_series(1, 200) o, generate_series(1, :per) l;
COMMIT;
\timing off
BEGIN;
\timing on
UPDATE crmscm.sales_order_lines SET qty = qty + 1 WHERE tenant_id = :t AND order_id > :base AND order_id <= :base + 200;
COMMIT;
SQL
}
echo "# $((200 * per)) sales order lines in one transaction, then their quantities changed in one (ms: insert, commit, update, commit)"
for round in $(seq 1 "${BENCH_ROUNDS:-3}"); do
	on=$(sales $((round * 100000)) origin)
	off=$(sales $((round * 100000 + 50000)) replica)
	echo "round $round: triggers on: $on| off: $off" |
		awk '{ a = $5 + $6 + $7 + $8; b = $11 + $12 + $13 + $14; printf "%s  total on %.0f ms, off %.0f ms, off/on %.2f\n", $0, a, b, b / a }'
done
psql -qX -d $db -c "SET crmscm.tenant_id = 1" -c "SELECT count(*) = 0 AS check_inventory_clean_tenant_1 FROM crmscm.check_inventory() WHERE tenant_id = 1"
