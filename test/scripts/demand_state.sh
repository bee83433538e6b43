#!/usr/bin/env bash
# The demand state kept at commit (issue #18, doc/replenishment.md) against a
# recomputation from the order history, on random histories written by a
# pinned writer login role one committed transaction at a time, read by a
# pinned reader login role.  TAP.
#
#   1. 600 random operations (new confirmed/draft/closed orders placed up to
#      420 days back or 3 days ahead, lines with and without a warehouse,
#      quantity and price changes as whole-object saves, line and order
#      cancels, confirms, back-dated ordered_at, deletes, ship(), receipts,
#      sub-transactions rolled back), plus a second tenant's noise;
#   2. demand_days = the history's daily totals (exactly), and
#      reorder_suggestions_at(as_of) from the kept state = from the history
#      (same decisions, figures within 1e-9) for several days and windows,
#      including windows longer than the kept series;
#   3. roll-over: the state rebuilt as of 25 days ago (as if built then),
#      the series kept for 60 days only, 300 more operations (each commit
#      rolls the rows it touches forward, trims them), the same checks;
#   4. concurrency: 4 pgbench clients for 10 s of random operations on a few
#      items, no deadlock, the same checks; reorder_rebuild() changes no
#      figure;
#   5. commits over more keys than the stage's generic plans are made for
#      (demand_state.c, FEW_KEYS = 16: custom plans beyond): 84 lines of two
#      orders over all 36 (item, warehouse) keys, one back-dated into the kept
#      series, then their quantities changed and an order cancelled, the
#      same checks.
set -uo pipefail
cd "$(dirname "$0")/../.."
db=crmscm_demand
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; return "$1"; }
show() { sed 's/^/# /' <<<"$1"; }
su() { psql -qXAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }
as() { local r=$1; shift; psql -qXAt -v ON_ERROR_STOP=1 -U "$r" -d "$db" "$@"; }
roles="ds_w ds_w2 ds_r ds_a"
created_pins=
cleanup() {
	dropdb --if-exists "$db" 2>/dev/null
	for r in $roles; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
	for t in $created_pins; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $t" >/dev/null 2>&1; done
}
trap cleanup EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
for t in crmscm_tenant_1 crmscm_tenant_2; do
	if [ -z "$(psql -qXAt -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$t'")" ]; then
		psql -qX -d postgres -c "CREATE ROLE $t NOLOGIN" >/dev/null && created_pins+=" $t"
	fi
done
su >/dev/null <<'SQL' || { echo "not ok 1 - setup"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
DO $$ DECLARE r text; BEGIN
	FOREACH r IN ARRAY ARRAY['ds_w', 'ds_w2', 'ds_r', 'ds_a'] LOOP
		EXECUTE format('DROP ROLE IF EXISTS %I', r);
	END LOOP;
END $$;
CREATE ROLE ds_w LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;
CREATE ROLE ds_w2 LOGIN IN ROLE crmscm_writer, crmscm_tenant_2;
CREATE ROLE ds_r LOGIN IN ROLE crmscm_reader, crmscm_tenant_1;
CREATE ROLE ds_a LOGIN IN ROLE crmscm_admin, crmscm_tenant_1;
DO $$ DECLARE t int; BEGIN
	FOR t IN 1..2 LOOP
		PERFORM set_config('crmscm.tenant_id', t::text, true);
		INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES
			(10 * t + 0 - 9, 'North', crmscm.geopoint(53.5, 10.0)),
			(10 * t + 1 - 9, 'South', crmscm.geopoint(48.1, 11.6)),
			(10 * t + 2 - 9, 'West', crmscm.geopoint(50.9, 6.9));
		INSERT INTO crmscm.customers (customer_id, name, location)
			SELECT 10 * t + i - 10, 'c' || i, crmscm.geopoint(47 + i, 8 + i) FROM generate_series(1, 3) i;
		INSERT INTO crmscm.items (item_id, sku, name, unit_price, unit_cost, order_cost, lead_time_days,
								  lead_time_sd_days, pack_size)
			SELECT 100 * t + i - 100, 'S' || i, 'item ' || i, 10 + i, 5 + i, 20, 2 + i % 5, (i % 3)::numeric / 2,
				   (ARRAY[1, 6, 12])[1 + i % 3]
			  FROM generate_series(1, 12) i;
	END LOOP;
END $$;
SQL
# tenant 1: warehouses and customers 1-3, items 1-12; tenant 2: 11-13, 101-112
su -f test/data/replenishment/demand_ops.sql >/dev/null || { echo "not ok 1 - loading the operations"; exit 1; }
su -c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null
su -c "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
       SELECT i, w, 40, 'receipt' FROM generate_series(1, 12) i, generate_series(1, 3) w" >/dev/null

echo "1..37"

checks() {		# $1 = label: the kept state against the history, as the reader
	local out
	out=$(as ds_r 2>&1 <<'SQL'
SELECT 'days ' || t18.day_differences() || ' ' || t18.day_differences_back();
SELECT 'rows ' || count(*) FROM crmscm.reorder_suggestions;
SELECT 'd0 ' || count(*) FROM t18.differences((now() AT TIME ZONE 'UTC')::date);
SELECT 'd-7 ' || count(*) FROM t18.differences((now() AT TIME ZONE 'UTC')::date - 7);
SELECT 'd+15 ' || count(*) FROM t18.differences((now() AT TIME ZONE 'UTC')::date + 15);
SELECT 'd-100 ' || count(*) FROM t18.differences((now() AT TIME ZONE 'UTC')::date - 100);
SET crmscm.demand_window_days = 30;
SELECT 'w30 ' || count(*) FROM t18.differences((now() AT TIME ZONE 'UTC')::date);
SET crmscm.demand_window_days = 500;
SELECT 'w500 ' || count(*) FROM t18.differences((now() AT TIME ZONE 'UTC')::date);
SELECT * FROM t18.differences((now() AT TIME ZONE 'UTC')::date) LIMIT 3;
SQL
)
	[ "$(grep -c '^days 0 0$' <<<"$out")" = 1 ]
	ok $? "$1: demand_days = the history's daily totals, exactly, both ways" || show "$out"
	grep -q '^d0 0$' <<<"$out" && ! grep -q '^rows 0$' <<<"$out"
	ok $? "$1: reorder_suggestions from the kept state = recomputed from the history (decisions, figures within 1e-9)" || show "$out"
	grep -q '^d-7 0$' <<<"$out" && grep -q '^d+15 0$' <<<"$out" && grep -q '^d-100 0$' <<<"$out"
	ok $? "$1: the same with the window ending 8 days ago, in 14 days, 101 days ago" || show "$out"
	grep -q '^w30 0$' <<<"$out" && grep -q '^w500 0$' <<<"$out"
	ok $? "$1: the same with 30-day and 500-day windows (beyond the kept series: read from demand_days)" || show "$out"
}

# 1. random history ------------------------------------------------------------
out=$(as ds_w -c "CALL t18.ops(1, 600)" 2>&1 && as ds_w2 -c "CALL t18.ops(2, 100)" 2>&1)
ok $? "600 random operations as a pinned writer (and 100 of another tenant), each committed" || show "$out"
stat=$(su -c "SELECT count(*) FILTER (WHERE status = 'confirmed') || ' confirmed, ' || count(*) FILTER (WHERE status = 'closed') || ' closed, ' || count(*) FILTER (WHERE status = 'draft') || ' draft, ' || count(*) FILTER (WHERE status = 'cancelled') || ' cancelled orders; ' || (SELECT count(*) FROM crmscm.sales_order_lines WHERE tenant_id = 1 AND warehouse_id IS NULL) || ' lines without a warehouse; ' || (SELECT count(*) FROM crmscm.stock_moves WHERE tenant_id = 1 AND kind = 'shipment') || ' shipments' FROM crmscm.sales_orders WHERE tenant_id = 1")
echo "# history: $stat"
[ "$(su -c "SELECT count(*) FROM crmscm.sales_orders WHERE tenant_id = 1 AND status IN ('confirmed', 'closed')")" -gt 50 ]
ok $? "the history has orders that count as demand"
checks "random history"

# 2. what a reader and a writer may do with the state ------------------------------
out=$(as ds_w -c "DELETE FROM crmscm.demand_days" 2>&1)
grep -q 'permission denied' <<<"$out"
ok $? "a writer cannot change demand_days (written by crmscm only)" || show "$out"
out=$(as ds_w -c "SELECT crmscm.reorder_rebuild()" 2>&1)
grep -q 'permission denied' <<<"$out"
ok $? "reorder_rebuild() is for crmscm_admin" || show "$out"
[ "$(as ds_r -c "SELECT count(*) FROM crmscm.demand_state WHERE tenant_id <> 1")" = 0 ] \
	&& [ "$(su -c "SELECT count(*) FROM crmscm.demand_state WHERE tenant_id = 2")" -gt 0 ]
ok $? "a reader pinned to tenant 1 sees none of tenant 2's demand state (which exists)"
out=$(as ds_r -c "SET crmscm.tenant_id = 2" -c "SELECT count(*) FROM crmscm.reorder_suggestions" 2>&1)
grep -q 'ERROR' <<<"$out"
ok $? "a reader pinned to tenant 1 cannot read tenant 2's suggestions" || show "$out"

# 3. roll-over ----------------------------------------------------------------
su -c "ALTER DATABASE $db SET crmscm.demand_history_days = 60" >/dev/null
out=$(su -c "SELECT * FROM crmscm._reorder_rebuild(1, (now() AT TIME ZONE 'UTC')::date - 25)" 2>&1)
ok $? "the state rebuilt as if 25 days ago (series up to 26 days back, the rest pending)" || show "$out"
checks "built 25 days ago, nothing rolled yet"
out=$(as ds_w -c "CALL t18.ops(1, 300)" 2>&1)
ok $? "300 more operations: each commit rolls the rows it touches to yesterday, keeping 60 days" || show "$out"
[ "$(su -c "SELECT count(*) FILTER (WHERE anchor = (now() AT TIME ZONE 'UTC')::date - 1 AND series_from = (now() AT TIME ZONE 'UTC')::date - 60) > 0 FROM crmscm.demand_state WHERE tenant_id = 1")" = t ]
ok $? "rows rolled forward to yesterday and trimmed to 60 days"
checks "after the roll-over"

# 4. concurrency ---------------------------------------------------------------
su -c "ALTER DATABASE $db RESET crmscm.demand_history_days" >/dev/null
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
script=$(mktemp /tmp/crmscm-demand.XXXXXX)
chmod 644 "$script"
printf "SET t18.hot = on;\nCALL t18.ops(1, 2);\n" >"$script"
dl0=$(su -c "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
out=$("$bindir/pgbench" -n -c 4 -j 2 -T 10 -U ds_w -d "$db" -f "$script" 2>&1)
rc=$?
dl1=$(su -c "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
rm -f "$script"
echo "# pgbench: $(grep -E 'number of transactions actually processed|number of failed' <<<"$out" | tr '\n' ' ')"
[ $rc -eq 0 ] && ! grep -q 'ERROR' <<<"$out"
ok $? "4 concurrent writers, 10 s of random operations: no error" || show "$(grep -E 'ERROR|error' <<<"$out" | head -5)"
[ "$dl0" = "$dl1" ]
ok $? "no deadlock ($dl0 -> $dl1)" || show "$(grep -A12 'deadlock detected' "${CRMSCM_PGLOG:-/dev/null}" 2>/dev/null | head -40)"
checks "after concurrent writers"
out=$(as ds_a -c "SELECT keys > 0 FROM crmscm.reorder_rebuild()" 2>&1)
[ "$out" = t ]
ok $? "reorder_rebuild() as an admin of the tenant" || show "$out"
checks "rebuilt"

# 5. more keys than the generic plans are made for --------------------------------
out=$(as ds_w 2>&1 <<'SQL'
BEGIN;
WITH o AS (INSERT INTO crmscm.sales_orders (customer_id, status, ordered_at, ship_to)
           VALUES (1, 'confirmed', now() - interval '40 days', crmscm.geopoint(50, 9)) RETURNING order_id)
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id)
SELECT o.order_id, 3 * i + w, i, 1 + (i + w) % 4, 3 + w, w FROM o, generate_series(1, 12) i, generate_series(1, 3) w;
WITH o AS (INSERT INTO crmscm.sales_orders (customer_id, status, ship_to)
           VALUES (2, 'confirmed', crmscm.geopoint(48, 11)) RETURNING order_id)
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id)
SELECT o.order_id, 4 * i + k, i, k, 5, CASE WHEN k = 1 THEN NULL ELSE 1 + (i + k) % 3 END
  FROM o, generate_series(1, 12) i, generate_series(1, 4) k;
COMMIT;
BEGIN;
UPDATE crmscm.sales_order_lines SET qty = qty + 2, unit_price = unit_price + 1
 WHERE order_id IN (SELECT max(order_id) - 1 FROM crmscm.sales_orders);
UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE order_id = (SELECT max(order_id) FROM crmscm.sales_orders);
COMMIT;
SQL
)
[ -z "$out" ] && [ "$(su -c "SELECT count(*) FROM crmscm.sales_order_lines l JOIN crmscm.sales_orders o USING (tenant_id, order_id)
                               WHERE o.order_id >= (SELECT max(order_id) - 1 FROM crmscm.sales_orders WHERE tenant_id = 1) AND o.tenant_id = 1")" = 84 ]
ok $? "84 lines over 36 keys in one commit (one order back-dated 40 days), then 36 changed and 48 cancelled in another" || show "$out"
checks "commits over more than 16 keys"
exit $fail
