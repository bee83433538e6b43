#!/usr/bin/env bash
# What keeping replenishment current costs at commit (issue #18,
# doc/replenishment.md), side by side in one run, alternating on/off:
#   1. reserving order-line inserts per second with the demand state kept
#      (on) vs its notes' triggers disabled (off): target on/off >= 0.9;
#   2. receive() per second with the supplier statistics kept (on) vs the
#      receipt note disabled (off): target >= 0.95;
#   3. the server CPU time of the same inserts, on vs off (BENCH_CPU_INSERTS
#      per round, committed one by one from a procedure, the backend's
#      utime + stime from /proc): what the demand state costs whatever else
#      runs on the machine (tps on a shared machine is mostly noise); the
#      ratio is off/on, comparable to part 1 without the client's share.
# Each pgbench transaction is one insert (one receive()), committed, so the
# commit pass runs every time.  Rounds alternate off/on; the ratio is of the
# sums over the rounds.
#
#   bench/replenishment_overhead.sh      (BENCH_SECONDS=10, BENCH_ROUNDS=3, BENCH_CLIENTS="1 4")
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)"
	exec tools/with-cluster.sh bash "$0" "$@"
fi
secs=${BENCH_SECONDS:-10} rounds=${BENCH_ROUNDS:-3} clients=${BENCH_CLIENTS:-1 4}
db=crmscm_bench18
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
pgbench=$bindir/pgbench
tmp=$(mktemp -d /tmp/crmscm-bench18.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null 2>&1
psql -qX -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
CREATE SCHEMA bench;
CREATE SEQUENCE bench.line_no;
INSERT INTO crmscm.warehouses (warehouse_id, name) VALUES (1, 'A'), (2, 'B'), (3, 'C');
INSERT INTO crmscm.items (item_id, sku, name) SELECT g, 'S' || g, 'item ' || g FROM generate_series(1, 1000) g;
INSERT INTO crmscm.customers (customer_id, name) SELECT g, 'customer ' || g FROM generate_series(1, 16) g;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
	SELECT i, w, 1e9, 'receipt' FROM generate_series(1, 1000) i, generate_series(1, 3) w;
-- a year of history (closed orders), with the demand state built as it went
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ordered_at)
	SELECT g, 1 + g % 16, 'closed', now() - (g % 365) * interval '1 day' FROM generate_series(1000, 20999) g;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id, status, qty_shipped)
	SELECT o, l, 1 + (o * 7 + l) % 1000, 1, 10, 1 + (o + l) % 3, 'shipped', 1 FROM generate_series(1000, 20999) o, generate_series(1, 5) l;
-- the orders the clients sell into (confirmed: every line reserves at commit)
INSERT INTO crmscm.sales_orders (order_id, customer_id, status) SELECT g, g, 'confirmed' FROM generate_series(1, 16) g;
-- purchase lines to receive into, 1 unit at a time
INSERT INTO crmscm.purchase_orders (po_id, supplier, expected_at, status) SELECT g, 'sup' || g % 5, current_date + 7, 'ordered' FROM generate_series(1, 16) g;
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
	SELECT p, l, 1 + (p * 31 + l) % 1000, 1 + l % 3, 1e9 FROM generate_series(1, 16) p, generate_series(1, 50) l;
VACUUM ANALYZE;
SQL
cat >"$tmp/ins.sql" <<'EOF2'
\set i random(1, 1000)
\set q random(1, 5)
\set w random(1, 3)
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id) VALUES (:client_id + 1, nextval('bench.line_no'), :i, :q, 10, :w);
EOF2
cat >"$tmp/rcv.sql" <<'EOF2'
\set l random(1, 50)
SELECT crmscm.receive(:client_id + 1, :l, 1);
EOF2
tps() {		# $1 = script, $2 = clients
	nice "$pgbench" -n -c "$2" -j "$(( $2 < 2 ? $2 : 2 ))" -T "$secs" -f "$1" $db 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
switch() {	# $1 = table, $2 = ENABLE|DISABLE, $3... = triggers
	local t=$1 a=$2; shift 2
	for g in "$@"; do psql -qX -d $db -c "ALTER TABLE crmscm.$t $a TRIGGER \"$g\""; done
}
declare -A sum
for c in $clients; do
	for r in $(seq 1 "$rounds"); do
		for m in off on; do
			a=ENABLE; [ $m = off ] && a=DISABLE
			switch sales_order_lines $a Note_demand_line Note_demand_line_upd
			x=$(tps "$tmp/ins.sql" "$c")
			switch sales_order_lines ENABLE Note_demand_line Note_demand_line_upd
			switch purchase_order_lines $a Note_receipt
			y=$(tps "$tmp/rcv.sql" "$c")
			switch purchase_order_lines ENABLE Note_receipt
			echo "clients $c round $r $m: inserts $x/s, receive() $y/s"
			sum[ins.$m.$c]=$(awk "BEGIN { print ${sum[ins.$m.$c]:-0} + $x }")
			sum[rcv.$m.$c]=$(awk "BEGIN { print ${sum[rcv.$m.$c]:-0} + $y }")
		done
	done
done
# 3. server CPU per insert (clock ticks of the backend), alternating off/on
psql -qX -d $db >/dev/null <<'SQL'
CREATE PROCEDURE bench.ins(n int) LANGUAGE plpgsql AS $$
BEGIN
	FOR k IN 1 .. n LOOP
		INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id)
		VALUES (1 + floor(random() * 16)::int, nextval('bench.line_no'), 1 + floor(random() * 1000)::int,
				1 + floor(random() * 5)::int, 10, 1 + floor(random() * 3)::int);
		COMMIT;
	END LOOP;
END $$;
SQL
ncpu=${BENCH_CPU_INSERTS:-2000}
cpu_ticks() {	# -> clock ticks of the backend for $ncpu inserts
	psql -qXAt -d $db -v n="$ncpu" -v f="$tmp/ticks" <<'SQL'
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
\setenv F :f
\! awk '{print $14 + $15}' /proc/$PID/stat > $F.0
CALL bench.ins(:n);
\! awk '{print $14 + $15}' /proc/$PID/stat > $F.1
SQL
	echo $(( $(cat "$tmp/ticks.1") - $(cat "$tmp/ticks.0") ))
}
cpu_on=0 cpu_off=0
if [ -r /proc/self/stat ]; then
	for r in $(seq 1 "$rounds"); do
		switch sales_order_lines DISABLE Note_demand_line Note_demand_line_upd
		x=$(cpu_ticks)
		switch sales_order_lines ENABLE Note_demand_line Note_demand_line_upd
		y=$(cpu_ticks)
		echo "server CPU round $r: $ncpu inserts, demand state off $x ticks, on $y ticks"
		cpu_off=$((cpu_off + x)) cpu_on=$((cpu_on + y))
	done
fi
n=$(psql -AtqX -d $db -c "SELECT count(*) FROM crmscm.check_inventory()")
echo "check_inventory() problems after the runs: $n"
for c in $clients; do
	printf "clients %s: reserving inserts, demand state on/off %.3f (target >= 0.9); receive(), supplier statistics on/off %.3f (target >= 0.95)\n" "$c" \
		"$(awk "BEGIN { print ${sum[ins.on.$c]} / ${sum[ins.off.$c]} }")" "$(awk "BEGIN { print ${sum[rcv.on.$c]} / ${sum[rcv.off.$c]} }")"
done
if [ "$cpu_on" -gt 0 ]; then
	printf "server CPU per reserving insert: demand state off/on %.3f (%.2f vs %.2f ms per insert; target >= 0.9)\n" \
		"$(awk "BEGIN { print $cpu_off / $cpu_on }")" "$(awk "BEGIN { print 1000 * $cpu_off / $rounds / $ncpu / $(getconf CLK_TCK) }")" \
		"$(awk "BEGIN { print 1000 * $cpu_on / $rounds / $ncpu / $(getconf CLK_TCK) }")"
fi
