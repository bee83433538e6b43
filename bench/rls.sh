#!/usr/bin/env bash
# Cost of row-level security: the same work as the owner (no policy, with an
# explicit WHERE tenant_id = 3), as a crmscm_writer member (the policy
# tenant_isolation adds tenant_id = crmscm.current_tenant()) and as a
# crmscm_writer pinned to tenant 3 (member of crmscm_tenant_3), side by side
# in one run on one cluster.
#
#   bench/rls.sh            (installs crmscm and runs in a throwaway cluster)
#
# 1. read (each statement ends in ";": psql joins lines up to one): count and sum one tenant's 20,000 order lines out of 200,000
#    (10 tenants), and a join of its orders and lines (best of 15, psql \timing),
#    and whether the plans are the same once current_tenant() reads as 3 (a
#    policy InitPlan, evaluated once per statement, left out); then the same
#    count with index scans off: a sequential scan of all 200,000 lines, where
#    the policy calls current_tenant() once per row; and the cost of one call
#    of current_tenant() itself next to a trivial C function (int8abs), in
#    the owner's column, both compared with the row (a qual without one would
#    be evaluated once); the plan column says "no": different statements;
# 2. write: pgbench, 4 clients, RLS_SECONDS (5) s per run, inserting an order
#    with 2 lines; the three roles' runs alternate, best of two each.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)" || exit 1
	exec tools/with-cluster.sh "$0" "$@"
fi
db=crmscm_rls
secs=${RLS_SECONDS:-5}
dropdb --if-exists "$db" 2>/dev/null; createdb "$db" || exit 1
[ -n "${RLS_KEEP:-}" ] || trap 'dropdb --if-exists "$db" 2>/dev/null' EXIT
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || exit 1
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_bench') THEN
		CREATE ROLE crmscm_bench LOGIN IN ROLE crmscm_writer;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_3') THEN
		CREATE ROLE crmscm_tenant_3 NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_bench_pinned') THEN
		CREATE ROLE crmscm_bench_pinned LOGIN IN ROLE crmscm_writer, crmscm_tenant_3;
	END IF;
END $$;
INSERT INTO crmscm.items (tenant_id, item_id, sku, name)
	SELECT t, i, 'SKU' || i, 'item' FROM generate_series(1, 10) t, generate_series(1, 100) i;
INSERT INTO crmscm.customers (tenant_id, customer_id, name)
	SELECT t, i, 'c' FROM generate_series(1, 10) t, generate_series(1, 100) i;
INSERT INTO crmscm.sales_orders (tenant_id, order_id, customer_id, status)
	SELECT t, t * 1000000 + i, 1 + i % 100, 'closed' FROM generate_series(1, 10) t, generate_series(1, 10000) i;
INSERT INTO crmscm.sales_order_lines (tenant_id, order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
	SELECT t, t * 1000000 + i, l, 1 + (i * l) % 100, 1 + i % 3, 10, 'shipped', 1 + i % 3
	FROM generate_series(1, 10) t, generate_series(1, 10000) i, generate_series(1, 2) l;
VACUUM ANALYZE;
SQL

timed() {	# $1 = user, $2 = SQL: best of 15 runs, server round trip in ms (psql \timing, one session);
	# extra settings in $opts
	{ echo '\o /dev/null'; echo '\timing on'
	  for _ in $(seq 1 15); do echo "$2;"; done; } \
	| PGOPTIONS="-c crmscm.tenant_id=3 ${opts:-}" psql -qXAt -d "$db" -U "$1" 2>&1 \
	| sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n | head -1
}
printf '%-52s %9s %9s %9s %6s %6s %5s\n' "work (tenant 3 of 10)" "owner ms" "RLS ms" "pinned" "RLS/o" "pin/o" "plan"
min() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 < b + 0 ? a : b)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}'; }
plan() {	# $1 = user, $2 = SQL: the plan, with the policy's current_tenant() shown as 3 and
	# a policy's once-per-statement InitPlan (0.2.0: tenant_permitted()) left out; parentheses dropped
	PGOPTIONS="-c crmscm.tenant_id=3 ${opts:-}" psql -qXAt -d "$db" -U "$1" -c "EXPLAIN (COSTS OFF) $2" \
		| sed -E 's/crmscm.current_tenant\(\)/3/g; s/3::bigint/3/g; /InitPlan|^ *-> +Result$|Filter: \$[0-9]+$/d;
		          s/\$[0-9]+ AND //g; s/ AND \$[0-9]+//g; s/[()]//g'
}
row() {	# the three roles alternate (twice each) so that load on the machine hits them alike
	local a b c same=no
	[ "$(plan postgres "$2")" = "$(plan crmscm_bench "$3")" ] \
		&& [ "$(plan postgres "$2")" = "$(plan crmscm_bench_pinned "$3")" ] && same=yes
	a=$(timed postgres "$2"); b=$(timed crmscm_bench "$3"); c=$(timed crmscm_bench_pinned "$3")
	a=$(min "$a" "$(timed postgres "$2")"); b=$(min "$b" "$(timed crmscm_bench "$3")")
	c=$(min "$c" "$(timed crmscm_bench_pinned "$3")")
	printf '%-52s %9s %9s %9s %6s %6s %5s\n' "$1" "$a" "$b" "$c" "$(ratio "$a" "$b")" "$(ratio "$a" "$c")" "$same"
}
row "count+sum of 20,000 lines, index on tenant_id" \
	"SELECT count(*), sum(qty * unit_price) FROM crmscm.sales_order_lines WHERE tenant_id = 3" \
	"SELECT count(*), sum(qty * unit_price) FROM crmscm.sales_order_lines"
row "same with an extra filter (unit_price >= 0)" \
	"SELECT count(*), sum(qty * unit_price) FROM crmscm.sales_order_lines WHERE tenant_id = 3 AND unit_price >= 0" \
	"SELECT count(*), sum(qty * unit_price) FROM crmscm.sales_order_lines WHERE unit_price >= 0"
row "join orders-lines of one tenant" \
	"SELECT count(*) FROM crmscm.sales_orders o JOIN crmscm.sales_order_lines l USING (tenant_id, order_id) WHERE o.tenant_id = 3 AND l.tenant_id = 3" \
	"SELECT count(*) FROM crmscm.sales_orders o JOIN crmscm.sales_order_lines l USING (tenant_id, order_id)"
opts="-c enable_indexscan=off -c enable_bitmapscan=off -c max_parallel_workers_per_gather=0" \
row "seq scan of 200,000 lines: the policy per row" \
	"SELECT count(*), sum(qty * unit_price) FROM crmscm.sales_order_lines WHERE tenant_id = 3" \
	"SELECT count(*), sum(qty * unit_price) FROM crmscm.sales_order_lines"
opts="-c max_parallel_workers_per_gather=0" \
row "1,000,000 calls: int8abs(g) vs current_tenant()" \
	"SELECT count(*) FROM generate_series(1, 1000000::bigint) g WHERE int8abs(g) <> 0" \
	"SELECT count(*) FROM generate_series(1, 1000000::bigint) g WHERE crmscm.current_tenant() <> g"

cat >/tmp/rls_bench.$$.sql <<'SQL'
\set n random(1, 1000000000)
\set oid 500000000 + :client_id * 100000000 + :n
BEGIN;
INSERT INTO crmscm.sales_orders (tenant_id, order_id, customer_id, status) VALUES (3, :oid, 1, 'draft') ON CONFLICT DO NOTHING;
INSERT INTO crmscm.sales_order_lines (tenant_id, order_id, line_no, item_id, qty) VALUES (3, :oid, 1, 1, 1), (3, :oid, 2, 2, 1) ON CONFLICT DO NOTHING;
COMMIT;
SQL
tps() { PGOPTIONS="-c crmscm.tenant_id=3" pgbench -n -c 4 -j 2 -T "$secs" -U "$1" -f /tmp/rls_bench.$$.sql "$db" 2>/dev/null \
	| sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 > b + 0 ? a : b)}'; }
a=$(tps postgres); b=$(tps crmscm_bench); c=$(tps crmscm_bench_pinned)
a=$(max "$a" "$(tps postgres)"); b=$(max "$b" "$(tps crmscm_bench)"); c=$(max "$c" "$(tps crmscm_bench_pinned)")
printf '%-52s %9s %9s %9s %6s %6s\n' "pgbench insert order + 2 lines, tps (4 clients)" "$(printf %.0f "$a")" "$(printf %.0f "$b")" \
	"$(printf %.0f "$c")" "$(ratio "$a" "$b")" "$(ratio "$a" "$c")"
rm -f /tmp/rls_bench.$$.sql
