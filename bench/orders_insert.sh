#!/usr/bin/env bash
# Order-line inserts per second with reservations (crmscm's triggers on, the
# reservation done at commit) vs the same inserts with the triggers disabled,
# at 1 and 8 clients, side by side in one run; then where the time of a
# reserving insert goes (perf profile by shared object), and the row guard in
# C vs PL/pgSQL.
#
#   bench/orders_insert.sh              (BENCH_SECONDS=10 per run by default)
#
# Starts its own throwaway cluster (tools/with-cluster.sh) unless PGHOST is set.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)"
	exec tools/with-cluster.sh bash "$0" "$@"
fi
secs=${BENCH_SECONDS:-10}
db=crmscm_bench
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
pgbench=$bindir/pgbench
tmp=$(mktemp -d /tmp/crmscm-bench.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" 2>/dev/null	# one tenant (no default)
# customers: client k sells to customer k (BENCH_CUSTOMERS=1: every client to
# one customer, whose customer_lifetime row every commit then queues on)
ncust=${BENCH_CUSTOMERS:-16}
psql -qX -v ncust="$ncust" -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
CREATE SCHEMA bench;
CREATE SEQUENCE bench.line_no;
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES
	(1, 'Hamburg', '(53.5511,9.9937)'), (2, 'Lyon', '(45.764,4.8357)'),
	(3, 'Milan', '(45.4642,9.19)'), (4, 'Warsaw', '(52.2297,21.0122)');
INSERT INTO crmscm.items (item_id, sku, name) SELECT g, 'S' || g, 'item ' || g FROM generate_series(1, 1000) g;
INSERT INTO crmscm.customers (customer_id, name) SELECT g, 'customer ' || g FROM generate_series(1, :ncust) g;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to)
	SELECT g, 1 + (g - 1) % :ncust, 'confirmed', '(48.1351,11.582)' FROM generate_series(1, 16) g;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
	SELECT i, w, 1e9, 'receipt' FROM generate_series(1, 1000) i, generate_series(1, 4) w;
-- history (closed orders, shipped lines: no stock) so that the tables are
-- not empty and the planner uses their indexes, as in a live database:
-- 20,000 orders over the customers, whose customer_lifetime rows every
-- insert below updates (loaded with all triggers on, as a user would)
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ordered_at)
	SELECT g, 1 + g % :ncust, 'closed', now() - (g % 1000) * interval '1 day' FROM generate_series(1000, 20999) g;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
	SELECT o, l, 1 + (o * 7 + l) % 1000, 1, 10 + l, 'shipped', 1 FROM generate_series(1000, 20999) o, generate_series(1, 5) l;
SQL
cat >"$tmp/ins.sql" <<'EOF2'
\set i random(1, 1000)
\set q random(1, 5)
\set p random(1, 100)
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:client_id + 1, nextval('bench.line_no'), :i, :q, :p);
EOF2

reset() {
	psql -qX -d $db >/dev/null <<'SQL'
TRUNCATE crmscm.reservations, crmscm.backorders;
ALTER TABLE crmscm.sales_order_lines DISABLE TRIGGER USER;
DELETE FROM crmscm.sales_order_lines WHERE order_id <= 16;
ALTER TABLE crmscm.sales_order_lines ENABLE TRIGGER USER;
ALTER TABLE crmscm.inventory DISABLE TRIGGER USER;
UPDATE crmscm.inventory SET reserved = 0;
ALTER TABLE crmscm.inventory ENABLE TRIGGER USER;
-- the lines went away behind the triggers' back: recount
SELECT crmscm.refresh_customer_lifetime();
VACUUM ANALYZE;
SQL
}
run() {		# $1 = on|off|res|nores, $2 = clients -> prints tps
	reset
	case $1 in
	off) psql -qX -d $db -c "ALTER TABLE crmscm.sales_order_lines DISABLE TRIGGER USER" ;;
	# reservations only: the customer-lifetime notes off
	res) psql -qX -d $db -c 'ALTER TABLE crmscm.sales_order_lines DISABLE TRIGGER "Lifetime_mark_line"' ;;
	# everything but the reservation: inserted lines are not noted for the engine
	nores) psql -qX -d $db -c 'ALTER TABLE crmscm.sales_order_lines DISABLE TRIGGER "Note_line_insert"' ;;
	esac
	local j=$(( $2 < 2 ? $2 : 2 ))
	nice "$pgbench" -n -c "$2" -j "$j" -T "$secs" -f "$tmp/ins.sql" $db 2>&1 \
		| sed -n 's/^tps = \([0-9.]*\).*/\1/p'
	[ "$1" != on ] && psql -qX -d $db -c "ALTER TABLE crmscm.sales_order_lines ENABLE TRIGGER USER"
	if [ "$1" = on ] || [ "$1" = res ]; then
		n=$(psql -AtqX -d $db -c "SELECT count(*) FROM crmscm.check_inventory()")
		[ "$n" = 0 ] || echo "check_inventory() found $n problems" >&2
	fi
}
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }

declare -A tps
for c in 1 8; do
	for m in off on nores res; do
		tps[$m.$c]=$(run $m $c)
	done
done
echo "== order-line inserts per second ($secs s per run; each insert is its own transaction into a"
echo "   confirmed order and reserves stock at commit; $ncust customers share 20,000 historic orders,"
echo "   client k sells to customer k)"
echo
printf '%-8s %12s %10s %10s %16s %8s %14s %8s\n' clients all_on all_off ratio reservation_off ratio reserving_only ratio
for c in 1 8; do
	printf '%-8s %12.0f %10.0f %10s %16.0f %8s %14.0f %8s\n' $c "${tps[on.$c]}" "${tps[off.$c]}" "$(ratio "${tps[on.$c]}" "${tps[off.$c]}")" \
		"${tps[nores.$c]}" "$(ratio "${tps[on.$c]}" "${tps[nores.$c]}")" "${tps[res.$c]}" "$(ratio "${tps[res.$c]}" "${tps[off.$c]}")"
done
echo
echo "all_on vs all_off: a reserving insert with every trigger on vs a bare insert (issue #14's measure,"
echo "target >= 0.5 at 8 clients); vs reservation_off: the reservation's own share; reserving_only:"
echo "the reservation with the customer-lifetime bookkeeping off, vs a bare insert"

# Where does a reserving insert spend its time?  perf samples the backend of
# a 1-client run, grouped by shared object: plpgsql.so is the interpreter a C
# rewrite of the triggers would remove; postgres is the SQL work (index
# lookups, row locks, updates) that C would do through SPI all the same.
if command -v perf >/dev/null && [ "$(id -u)" -eq 0 ]; then
	reset
	nice "$pgbench" -n -c 1 -T $((secs + 2)) -f "$tmp/ins.sql" $db >/dev/null 2>&1 &
	pgb=$!
	sleep 1
	pid=$(psql -AtqX -d $db -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench' LIMIT 1")
	if [ -n "$pid" ] && perf record -q -F 999 -p "$pid" -o "$tmp/perf.data" -- sleep $((secs - 1)) >/dev/null 2>&1; then
		echo
		echo "== perf: share of CPU samples of a reserving insert's backend, by shared object"
		perf report -i "$tmp/perf.data" --no-children --sort dso --stdio 2>/dev/null \
			| grep -E '^ +[0-9.]+%' | head -8
	fi
	wait $pgb || true
fi

echo
echo "== row guard on UPDATE of 200000 rows: none vs C (crmscm._guard) vs the same check in PL/pgSQL (ms, best of 5)"
psql -qX -d $db >/dev/null <<'SQL'
CREATE TABLE bench.g (tenant_id bigint, id int, a numeric, b numeric);
INSERT INTO bench.g SELECT 1, g, 0, 0 FROM generate_series(1, 200000) g;
CREATE FUNCTION bench.guard_pl() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.tenant_id IS DISTINCT FROM OLD.tenant_id THEN
		RAISE EXCEPTION 'cannot change tenant_id' USING ERRCODE = 'integrity_constraint_violation';
	END IF;
	IF NEW.b IS DISTINCT FROM OLD.b THEN
		RAISE EXCEPTION 'column b is maintained by crmscm' USING ERRCODE = 'integrity_constraint_violation';
	END IF;
	RETURN NEW;
END $$;
CREATE FUNCTION bench.time_update() RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best numeric := 1e9;
BEGIN
	FOR k IN 1 .. 5 LOOP
		t0 := clock_timestamp();
		UPDATE bench.g SET a = a + 1;
		best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
	RETURN round(best);
END $$;
SQL
t_none=$(psql -AtqX -d $db -c "VACUUM bench.g" -c "SELECT bench.time_update()")
t_c=$(psql -AtqX -d $db -c "CREATE TRIGGER gc BEFORE UPDATE ON bench.g FOR EACH ROW EXECUTE FUNCTION crmscm._guard('b')" -c "VACUUM bench.g" -c "SELECT bench.time_update()" -c "DROP TRIGGER gc ON bench.g")
t_pl=$(psql -AtqX -d $db -c "CREATE TRIGGER gp BEFORE UPDATE ON bench.g FOR EACH ROW EXECUTE FUNCTION bench.guard_pl()" -c "VACUUM bench.g" -c "SELECT bench.time_update()" -c "DROP TRIGGER gp ON bench.g")
printf '%-12s %8s %8s %8s\n' '' none C PL/pgSQL
printf '%-12s %8s %8s %8s\n' 'time ms' "$t_none" "$t_c" "$t_pl"
printf '%-12s %8s %8.0f %8.0f\n' 'guard ms' - "$((t_c - t_none))" "$((t_pl - t_none))"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db"
