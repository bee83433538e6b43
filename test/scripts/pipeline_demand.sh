#!/usr/bin/env bash
# Pipeline demand (issue #18, doc/replenishment.md): open deals as demand,
# written by a writer login role pinned to tenant 1 (tenant set per
# transaction), read by a pinned reader.  TAP.  Independent sources:
#   - a fixture worked out by hand: sum(p q) and sum(p (1 - p) q^2), a
#     deal's two lines of one item counted as one q (p (1 - p) (2 + 3)^2,
#     not p (1 - p) (2^2 + 3^2));
#   - the reorder point of a row without order demand from the normal
#     quantile z(0.95) = 1.6448536269514722 (tables): pipeline + z sqrt(var);
#   - conversion: the engine's own reserved count (crmscm.inventory, kept by
#     the commit pass) against the deals' units, one snapshot per read, while
#     4 writers convert deals concurrently.
set -uo pipefail
db=crmscm_pipeline
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; return "$1"; }
show() { sed 's/^/# /' <<<"$1"; }
su() { psql -qXAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }
as() { local r=$1; shift; psql -qXAt -v ON_ERROR_STOP=1 -U "$r" -d "$db" "$@"; }
roles="pd_w pd_w2 pd_r"
created_pins=
tmp=$(mktemp -d /tmp/pipeline.XXXXXX)
cleanup() {
	dropdb --if-exists "$db" 2>/dev/null
	for r in $roles; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
	for t in $created_pins; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $t" >/dev/null 2>&1; done
	rm -rf "$tmp"
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
DROP ROLE IF EXISTS pd_w; DROP ROLE IF EXISTS pd_w2; DROP ROLE IF EXISTS pd_r;
CREATE ROLE pd_w LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;
CREATE ROLE pd_w2 LOGIN IN ROLE crmscm_writer, crmscm_tenant_2;
CREATE ROLE pd_r LOGIN IN ROLE crmscm_reader, crmscm_tenant_1;
DO $$ DECLARE t int; BEGIN
	FOR t IN 1..2 LOOP
		PERFORM set_config('crmscm.tenant_id', t::text, true);
		-- warehouse 2 is the one nearest to customer 1
		INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES
			(10 * t - 9, 'North', crmscm.geopoint(53.5, 10.0)), (10 * t - 8, 'South', crmscm.geopoint(48.1, 11.6));
		INSERT INTO crmscm.customers (customer_id, name, location) VALUES (10 * t - 9, 'Munich', crmscm.geopoint(48.2, 11.5));
		INSERT INTO crmscm.items (item_id, sku, name, unit_price, lead_time_days, lead_time_sd_days, service_level)
			SELECT 100 * t - 100 + i, 'S' || i, 'item ' || i, 1, 10, 0, 0.95 FROM generate_series(1, 3) i;
		INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
			SELECT 100 * t - 100 + i, 10 * t - 9, 1000, 'receipt' FROM generate_series(1, 3) i;
	END LOOP;
END $$;
SQL
echo "1..19"
W="SELECT set_config('crmscm.tenant_id', '1', true) IS NOT NULL;"

# 1. the fixture ------------------------------------------------------------------
out=$(as pd_w 2>&1 <<SQL
BEGIN;
$W
INSERT INTO crmscm.leads (lead_id, customer_id, name, stage, win_probability, expected_close_date) VALUES
	(1, 1, 'A', 'proposal', 0.5, current_date + 3),
	(2, 1, 'B', 'qualified', 0.2, current_date + 3),
	(3, 1, 'C', 'proposal', 0.9, current_date + 20),
	(4, 1, 'D won', 'won', 0.7, current_date + 3),
	(5, 1, 'E unscored', 'new', NULL, current_date + 3),
	(6, 1, 'F certain', 'proposal', 1, current_date + 1),
	(7, 1, 'G lost', 'lost', 0.4, current_date + 3);
INSERT INTO crmscm.lead_lines (lead_id, line_no, item_id, qty, warehouse_id) VALUES
	(1, 1, 1, 10, 1), (2, 1, 1, 2, 1), (2, 2, 1, 3, 1), (3, 1, 1, 4, 1), (4, 1, 1, 100, 1),
	(5, 1, 1, 7, 1), (6, 1, 2, 5, NULL), (7, 1, 1, 50, 1);
COMMIT;
SQL
)
ok $? "a writer pinned to tenant 1 enters 7 deals with item lines (tenant set per transaction)" || show "$out"
# by hand: item 1, warehouse 1, day +3: A 0.5 x 10 + B 0.2 x 5 = 6;
#   0.5 x 0.5 x 100 + 0.2 x 0.8 x 25 = 25 + 4 = 29; E without probability apart;
#   D won and G lost: not open.  Day +20: C 0.9 x 4 = 3.6, 0.9 x 0.1 x 16 = 1.44.
#   F: item 2 without a warehouse -> warehouse 2 (nearest to Munich), 5, 0.
out=$(as pd_r -c "SET crmscm.tenant_id = 1" -c "SELECT item_id, warehouse_id, period - current_date, deals, qty, abs(expected_qty - e) < 1e-12, abs(variance - v) < 1e-12, abs(sd - sqrt(v)) < 1e-12, unscored_deals, unscored_qty
	FROM crmscm.pipeline_demand JOIN (VALUES (1, 3, 6.0::float8, 29.0::float8), (1, 20, 3.6, 1.44), (2, 1, 5, 0)) h(i, d, e, v)
	  ON h.i = item_id AND h.d = period - current_date ORDER BY 1, 3" 2>&1)
exp="1|1|3|2|15|t|t|t|1|7
1|1|20|1|4|t|t|t|0|0
2|2|1|1|5|t|t|t|0|0"
[ "$out" = "$exp" ]
ok $? "pipeline_demand: sum(p q) and sum(p (1 - p) q^2) as worked out by hand (two lines of a deal as one q), won/lost out, unscored apart, no warehouse -> the nearest" || show "$out"
[ "$(as pd_r -c "SET crmscm.tenant_id = 1" -c "SELECT count(*) FROM crmscm.pipeline_demand")" = 3 ]
ok $? "no other rows"

# reorder_suggestions: lead time 10 d: only day +3 falls inside
q_rs="SELECT abs(pipeline_qty - %s) < 1e-12, abs(pipeline_sd - sqrt(%s)) < 1e-12, abs(reorder_point - (%s + 1.6448536269514722 * sqrt(%s))) < 1e-9 * reorder_point, reason ~ 'pipeline [0-9.]+ \(sd [0-9.]+\) expected within the lead time' FROM crmscm.reorder_suggestions WHERE item_id = 1 AND warehouse_id = 1"
out=$(as pd_r -c "SET crmscm.tenant_id = 1" -c "$(printf "$q_rs" 6 29 6 29)" 2>&1)
[ "$out" = "t|t|t|t" ]
ok $? "reorder_suggestions (lead time 10 d): pipeline_qty 6, pipeline_sd sqrt(29), reorder point 6 + z(0.95) sqrt(29), and the reason says so" || show "$out"
su -c "UPDATE crmscm.items SET lead_time_days = 25 WHERE tenant_id = 1 AND item_id = 1" >/dev/null
out=$(as pd_r -c "SET crmscm.tenant_id = 1" -c "$(printf "$q_rs" 9.6 30.44 9.6 30.44)" 2>&1)
[ "$out" = "t|t|t|t" ]
ok $? "lead time 25 d: day +20 inside too: 9.6, sqrt(30.44)" || show "$out"
su -c "UPDATE crmscm.items SET lead_time_days = 10 WHERE tenant_id = 1 AND item_id = 1" >/dev/null

# 2. bad input -------------------------------------------------------------------
for v in 1.5 -0.1 "'NaN'"; do
	out=$(as pd_w -c "BEGIN" -c "$W" -c "UPDATE crmscm.leads SET win_probability = $v WHERE lead_id = 1" 2>&1)
	grep -qE 'leads_win_probability_(range|finite)' <<<"$out"
	ok $? "win_probability $v refused (23514)" || show "$out"
done
out=$(for v in 0 -1 "'NaN'" "'Infinity'" 1e308; do
	as pd_w -c "BEGIN" -c "$W" -c "INSERT INTO crmscm.lead_lines (lead_id, line_no, item_id, qty) VALUES (1, 9, 1, $v)" 2>&1
done)
[ "$(grep -c 'violates check constraint' <<<"$out")" = 5 ]
ok $? "lead line qty 0, -1, NaN, Infinity, 1e308 refused (23514)" || show "$out"
out=$(as pd_r -c "SET crmscm.tenant_id = 1" -c "INSERT INTO crmscm.lead_lines (lead_id, line_no, item_id, qty) VALUES (1, 9, 1, 1)" 2>&1)
grep -q 'permission denied' <<<"$out"
ok $? "a reader cannot add deal lines" || show "$out"

# 3. tenants ---------------------------------------------------------------------
out=$(as pd_w2 -c "SET crmscm.tenant_id = 2" -c "SELECT count(*) FROM crmscm.pipeline_demand" -c "SELECT count(*) FROM crmscm.lead_lines WHERE tenant_id = 1" 2>&1)
[ "$out" = "0
0" ]
ok $? "tenant 2's writer sees none of tenant 1's pipeline nor its deal lines" || show "$out"
out=$(as pd_w2 -c "BEGIN" -c "SELECT set_config('crmscm.tenant_id', '2', true) IS NOT NULL" -c "INSERT INTO crmscm.lead_lines (lead_id, line_no, item_id, qty) VALUES (1, 9, 101, 1)" 2>&1)
grep -q 'violates foreign key constraint' <<<"$out"
ok $? "nor adds a line to tenant 1's deal (its own tenant has no deal 1)" || show "$out"
out=$(as pd_w2 -c "BEGIN" -c "SELECT set_config('crmscm.tenant_id', '2', true) IS NOT NULL" -c "INSERT INTO crmscm.lead_lines (tenant_id, lead_id, line_no, item_id, qty) VALUES (1, 1, 9, 1, 1)" 2>&1)
grep -qE 'row-level security|permission denied|ERROR' <<<"$out" && ! grep -q '^INSERT' <<<"$out"
ok $? "nor by naming tenant 1" || show "$out"

# 4. a deal becomes an order ------------------------------------------------------
out=$(as pd_w 2>&1 <<SQL
BEGIN;
$W
INSERT INTO crmscm.sales_orders (order_id, customer_id, lead_id) VALUES (1, 1, 2);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id) VALUES (1, 1, 1, 5, 1, 1);
SELECT 'draft ' || deals FROM crmscm.pipeline_demand WHERE item_id = 1 AND period = current_date + 3;
INSERT INTO crmscm.sales_orders (order_id, customer_id, lead_id, status) VALUES (2, 1, 1, 'confirmed');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id) VALUES (2, 1, 1, 10, 1, 1);
SELECT 'confirmed ' || deals || ' ' || round(expected_qty::numeric, 9) || ' ' || round(variance::numeric, 9) FROM crmscm.pipeline_demand WHERE item_id = 1 AND period = current_date + 3;
SELECT crmscm.reserve_pending();
SELECT 'reserved ' || reserved FROM crmscm.inventory WHERE item_id = 1 AND warehouse_id = 1;
SELECT 'rs ' || round(pipeline_qty::numeric, 9) || ' ' || reserved FROM crmscm.reorder_suggestions WHERE item_id = 1 AND warehouse_id = 1;
COMMIT;
SQL
)
grep -q '^draft 2$' <<<"$out" && grep -q '^confirmed 1 1.000000000 4.000000000$' <<<"$out" && grep -q '^reserved 10$' <<<"$out" && grep -q '^rs 1.000000000 10$' <<<"$out"
ok $? "in one transaction: a draft order naming deal B leaves it in; confirming an order from deal A takes A out (B alone: 1 = 0.2 x 5, 4 = 0.16 x 25) as its 10 units are reserved: counted once" || show "$out"
out=$(as pd_r -c "SET crmscm.tenant_id = 1" -c "SELECT round(pipeline_qty::numeric, 9) || ' ' || reserved FROM crmscm.reorder_suggestions WHERE item_id = 1 AND warehouse_id = 1" 2>&1)
[ "$out" = "1.000000000 10" ]
ok $? "after commit the reader sees the same" || show "$out"
out=$(as pd_w -c "BEGIN" -c "$W" -c "UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE order_id = 2" -c "COMMIT" 2>&1 \
	&& as pd_r -c "SET crmscm.tenant_id = 1" -c "SELECT round(pipeline_qty::numeric, 9) || ' ' || reserved FROM crmscm.reorder_suggestions WHERE item_id = 1 AND warehouse_id = 1" 2>&1)
[ "$(tail -1 <<<"$out")" = "6.000000000 0" ]
ok $? "the order cancelled, the deal (still open) is back and the reservation gone" || show "$out"

# 5. concurrency -------------------------------------------------------------------
# 40 certain deals (p = 1) of 5 units of item 3, closing tomorrow; 4 writers
# convert 10 each (an order per transaction) while a reader checks, 3000
# times in one snapshot each, pipeline + reserved = 200.
su >/dev/null <<'SQL'
SET crmscm.tenant_id = 1;
INSERT INTO crmscm.leads (lead_id, customer_id, name, stage, win_probability, expected_close_date)
SELECT 100 + i, 1, 'deal ' || i, 'proposal', 1, current_date + 1 FROM generate_series(1, 40) i;
INSERT INTO crmscm.lead_lines (lead_id, line_no, item_id, qty, warehouse_id)
SELECT 100 + i, 1, 3, 5, 1 FROM generate_series(1, 40) i;
SQL
as pd_r >"$tmp/reader" 2>&1 <<'SQL' &
SET crmscm.tenant_id = 1;
CREATE TEMP TABLE seen (pipeline float8, reserved numeric);
DO $$
DECLARE i int; p float8; r numeric;
BEGIN
	FOR i IN 1..3000 LOOP
		SELECT (SELECT COALESCE(sum(expected_qty), 0) FROM crmscm.pipeline_demand WHERE item_id = 3),
			   (SELECT reserved FROM crmscm.inventory WHERE item_id = 3 AND warehouse_id = 1) INTO p, r;
		INSERT INTO seen VALUES (p, r);
	END LOOP;
END $$;
SELECT 'reads ' || count(*) || ' broken ' || count(*) FILTER (WHERE pipeline + reserved <> 200) || ' states ' || count(DISTINCT reserved) FROM seen;
SQL
rpid=$!
wpids=
for w in 0 1 2 3; do
	(for k in $(seq 1 10); do
		d=$((100 + w * 10 + k))
		as pd_w -c "BEGIN" -c "$W" \
			-c "INSERT INTO crmscm.sales_orders (order_id, customer_id, lead_id, status) VALUES ($((1000 + d)), 1, $d, 'confirmed')" \
			-c "INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id) VALUES ($((1000 + d)), 1, 3, 5, 1, 1)" \
			-c "COMMIT" || echo "writer $w failed at deal $d"
	done) >"$tmp/w$w" 2>&1 &
	wpids+=" $!"
done
wfail=0
for p in $wpids; do wait "$p" || wfail=1; done
wait "$rpid"
grep -qE "ERROR|failed|deadlock" "$tmp"/w* && wfail=1
ok $wfail "4 writers convert 10 deals each concurrently (0 errors, 0 deadlocks)" || show "$(cat "$tmp"/w*)"
out=$(cat "$tmp/reader")
grep -qE '^reads 3000 broken 0 states ' <<<"$out"
ok $? "3000 reads during the conversions: pipeline + reserved = 200 in every snapshot ($(grep -o 'states [0-9]*' <<<"$out") distinct states seen)" || show "$out"
out=$(as pd_r -c "SET crmscm.tenant_id = 1" -c "SELECT COALESCE(sum(expected_qty), 0) || ' ' || (SELECT reserved FROM crmscm.inventory WHERE item_id = 3 AND warehouse_id = 1) FROM crmscm.pipeline_demand WHERE item_id = 3" 2>&1)
[ "$out" = "0 200" ]
ok $? "at the end: no pipeline left, 200 reserved" || show "$out"
exit $fail
