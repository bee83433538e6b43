#!/usr/bin/env bash
# Issue #13, finding 5: deleting an ordered purchase order (its lines go by
# ON DELETE CASCADE) left the open quantity in inventory.on_order for ever,
# repeatable without limit.  Each step here is its own transaction, and
# on_order is read after the commit, so the check holds whether on_order is
# kept by row triggers or recomputed at commit.  Expected values: on_order
# is the sum of greatest(qty - qty_received, 0) over the lines of ordered
# purchase orders (doc/orders.md), recounted from the tables in the same query.
# Runs as a writer login role pinned to tenant 1, the tenant set per
# transaction (set_config(..., true)).  Prints TAP.
set -uo pipefail
db=po_delete_$$
createdb "$db" || { echo "1..1"; echo "not ok 1 - createdb"; exit 1; }
trap 'dropdb --if-exists "$db" >/dev/null 2>&1; psql -qX -d postgres -c "DROP ROLE IF EXISTS po_writer_$$" >/dev/null 2>&1' EXIT
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL || { echo "1..1"; echo "not ok 1 - setup"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
SET crmscm.tenant_id = '1';
DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_1') THEN CREATE ROLE crmscm_tenant_1 NOLOGIN; END IF;
END \$\$;
CREATE ROLE po_writer_$$ LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;
INSERT INTO crmscm.warehouses (warehouse_id, name) VALUES (1, 'main'), (2, 'second');
INSERT INTO crmscm.items (item_id, sku, name) VALUES (1, 'A', 'a'), (2, 'B', 'b');
SQL

t=0 fail=0
check() {	# name, got, want
	t=$((t + 1))
	if [ "$2" = "$3" ]; then echo "ok $t - $1"; else echo "not ok $t - $1"; echo "#   got:  $2"; echo "#   want: $3"; fail=1; fi
}
# one transaction as the writer, tenant set for it
as_writer() {
	psql -qXAt -v ON_ERROR_STOP=1 -U "po_writer_$$" -d "$db" \
		-c "BEGIN" -c "SELECT set_config('crmscm.tenant_id', '1', true)" -c "$1" -c "COMMIT" 2>&1 | grep -v '^1$'
}
# on_order per (item, warehouse) and the recount from the purchase orders
state() {
	psql -qXAt -d "$db" -c "SET crmscm.tenant_id = '1'" -c "
		SELECT string_agg(format('%s/%s:%s', i.item_id, i.warehouse_id, i.on_order), ' ' ORDER BY i.item_id, i.warehouse_id)
		  FROM crmscm.inventory i"
}
recount() {
	psql -qXAt -d "$db" -c "SET crmscm.tenant_id = '1'" -c "
		SELECT string_agg(format('%s/%s:%s', i.item_id, i.warehouse_id,
		       (SELECT coalesce(sum(greatest(l.qty - l.qty_received, 0)), 0)
		          FROM crmscm.purchase_order_lines l JOIN crmscm.purchase_orders p
		            ON p.tenant_id = l.tenant_id AND p.po_id = l.po_id AND p.status = 'ordered'
		         WHERE l.tenant_id = i.tenant_id AND l.item_id = i.item_id AND l.warehouse_id = i.warehouse_id)),
		       ' ' ORDER BY i.item_id, i.warehouse_id)
		  FROM crmscm.inventory i"
}

# an ordered purchase order of two lines (item 1 at both warehouses), partly received
as_writer "INSERT INTO crmscm.purchase_orders (po_id, status) VALUES (1, 'draft');
           INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 1, 1, 10), (1, 2, 1, 2, 4), (1, 3, 2, 1, 6);
           UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE po_id = 1;"
as_writer "SELECT crmscm.receive(1, 1, 3)" >/dev/null
check "ordered PO: on_order = open quantity (10 - 3 received, 4, 6)" "$(state)" "1/1:7 1/2:4 2/1:6"
out=$(as_writer "DELETE FROM crmscm.purchase_orders WHERE po_id = 1")
check "DELETE of the ordered purchase order (cascade to its lines) succeeds" "$out" ""
check "after the delete, on_order is 0 everywhere (was left at 7, 4 and 6)" "$(state)" "1/1:0 1/2:0 2/1:0"
check "on_order equals the recount from the purchase orders" "$(state)" "$(recount)"

# repeatable without limit before: three rounds, with a line deleted first in one
for round in 1 2 3; do
	as_writer "INSERT INTO crmscm.purchase_orders (po_id, status) VALUES ($((10 + round)), 'draft');
	           INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
	           VALUES ($((10 + round)), 1, 1, 1, 5), ($((10 + round)), 2, 2, 1, 2);
	           UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE po_id = $((10 + round));" >/dev/null
	[ "$round" -eq 2 ] && as_writer "DELETE FROM crmscm.purchase_order_lines WHERE po_id = 12 AND line_no = 2" >/dev/null
	as_writer "DELETE FROM crmscm.purchase_orders WHERE po_id = $((10 + round))" >/dev/null
done
check "three more ordered purchase orders created and deleted: on_order back to 0" "$(state)" "1/1:0 1/2:0 2/1:0"

# a draft and a received purchase order never counted: deleting them changes nothing
as_writer "INSERT INTO crmscm.purchase_orders (po_id, status) VALUES (20, 'draft'), (21, 'draft'), (22, 'draft');
           INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (20, 1, 1, 1, 8), (21, 1, 1, 1, 9), (22, 1, 1, 1, 3);
           UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE po_id IN (21, 22);" >/dev/null
as_writer "SELECT crmscm.receive(21, 1)" >/dev/null
check "draft 20 (8) not on order, 21 received, 22 ordered (3)" "$(state)" "1/1:3 1/2:0 2/1:0"
as_writer "DELETE FROM crmscm.purchase_orders WHERE po_id IN (20, 21)" >/dev/null
check "deleting a draft and a received purchase order leaves the ordered one's 3" "$(state)" "1/1:3 1/2:0 2/1:0"
check "on_order equals the recount" "$(state)" "$(recount)"
echo "1..$t"
exit $fail
