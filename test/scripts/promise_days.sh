#!/usr/bin/env bash
# Promises across transactions (issue #17, doc/synergy.md; TAP): what a
# pgTAP test, one transaction, cannot show.  Each psql call below is a
# transaction of its own.  Expected values by hand from the rules: a promise
# moves only later, and only while its day has not passed; a customer's
# change promises anew in the transaction of the change; one shipment per
# transaction that ships.
set -uo pipefail
cd "$(dirname "$0")/../.."
db=crmscm_promise_days
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null 2>&1
q() { psql -qXAt -v ON_ERROR_STOP=1 -d $db -c "$1"; }
n=0
is() {	# got want name
	n=$((n + 1))
	if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1"; echo "#   want: $2"; fi
}
echo "1..10"
q "CREATE EXTENSION crmscm" >/dev/null
q "INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'Milan', '(45.4642,9.19)');
   INSERT INTO crmscm.items (item_id, sku, name, lead_time_days) VALUES (1, 'A', 'a', 30), (2, 'B', 'b', 30);
   INSERT INTO crmscm.customers (customer_id, name) VALUES (1, 'c');
   INSERT INTO crmscm.purchase_orders (po_id, supplier, expected_at, status) VALUES (1, 's', (now() AT TIME ZONE 'UTC')::date + 4, 'ordered');
   INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 1, 1, 10);
   INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (2, 1, 10, 'receipt');
   INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES (1, 1, 'confirmed'), (2, 1, 'confirmed');" >/dev/null
q "INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 3)" >/dev/null
line() { q "SELECT promised_date - (now() AT TIME ZONE 'UTC')::date || '/' || promise_source FROM crmscm.sales_order_lines WHERE order_id = $1"; }
bo() { q "SELECT promised_date - (now() AT TIME ZONE 'UTC')::date || '/' || promise_source FROM crmscm.backorders WHERE order_id = $1"; }
is "$(line 1)" "4/purchase" "a line waiting for the purchase of T+4 is promised T+4"
q "UPDATE crmscm.purchase_orders SET expected_at = (now() AT TIME ZONE 'UTC')::date - 2 WHERE po_id = 1" >/dev/null
is "$(bo 1)" "-2/purchase" "the purchase becomes overdue (T-2): its backorder says so"
is "$(line 1)" "4/purchase" "the promise T+4 can still be made: kept (it only moves later)"
# days pass: the promise's day is behind us (written around the guard, as the owner)
q "SET session_replication_role = replica; UPDATE crmscm.sales_order_lines SET promised_date = (now() AT TIME ZONE 'UTC')::date - 1 WHERE order_id = 1" >/dev/null
q "UPDATE crmscm.purchase_orders SET expected_at = (now() AT TIME ZONE 'UTC')::date + 5 WHERE po_id = 1" >/dev/null
is "$(line 1)" "-1/purchase" "a promise whose day has passed stays when the purchase moves to T+5 (for OTIF)"
is "$(q "SELECT cause || ' ' || (recomputed_date - (now() AT TIME ZONE 'UTC')::date) FROM crmscm.at_risk_lines WHERE order_id = 1")" \
	"supply later than promised 5" "at_risk_lines shows it, recomputed T+5"
# an ORM saving the whole line with the same values changes nothing
q "UPDATE crmscm.sales_order_lines SET qty = qty, requested_date = requested_date, promised_date = promised_date, shipments = shipments WHERE order_id = 1" >/dev/null
is "$(line 1)" "-1/purchase" "a whole-line save with the same values keeps the promise"
# a customer change promises anew, in its own transaction
q "UPDATE crmscm.sales_order_lines SET qty = 4 WHERE order_id = 1" >/dev/null
is "$(line 1)" "5/purchase" "the customer raises the quantity: promised anew, T+5"
# shipments: one per transaction
q "INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (2, 1, 2, 5)" >/dev/null
q "SELECT crmscm.ship(2, 1, 1); SELECT crmscm.ship(2, 1, 1)" >/dev/null
q "SELECT crmscm.ship(2, 1, 2)" >/dev/null
is "$(q "SELECT shipments || ' ' || (first_shipped_at < last_shipped_at) FROM crmscm.sales_order_lines WHERE order_id = 2")" "2 true" \
	"two ship() calls in one transaction and one in another: 2 shipments, first before last"
is "$(q "SELECT count(*) FROM crmscm.check_inventory()")" "0" "check_inventory() finds nothing wrong"
is "$(q "SELECT shipments || ' ' || coalesce(on_time::text, '-') FROM crmscm.delivery_performance WHERE order_id = 2")" "2 -" \
	"delivery_performance: 2 shipments, the open rest not due yet"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
