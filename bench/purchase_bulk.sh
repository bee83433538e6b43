#!/usr/bin/env bash
# A bulk purchase order: one transaction inserting N purchase lines (200
# orders of N/200 lines, 200 item keys), then one receiving all of them,
# with crmscm's triggers on (the on-order recount and the supplier
# statistics at commit) vs the same statements with the triggers off
# (session_replication_role = replica), side by side in one run.
#
#   bench/purchase_bulk.sh [N]          (N = 20000 by default)
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
SQL
run() {	# round, base po_id, session_replication_role: prints "insert_ms receive_ms"
	psql -qXAt -d $db -v base="$2" -v per="$per" -v role="$3" <<'SQL' | awk '/^Time:/ { printf "%s ", $2 } END { print "" }'
SET crmscm.tenant_id = 1;
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
 WHERE pl.tenant_id = 1 AND pl.po_id > :base AND pl.po_id <= :base + 200;
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
psql -qX -d $db -c "SET crmscm.tenant_id = 1" -c "SELECT count(*) = 0 AS check_inventory_clean FROM crmscm.check_inventory()"
