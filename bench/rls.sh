#!/usr/bin/env bash
# Cost of row-level security: the same work as the owner (no policy, with an
# explicit WHERE tenant_id = 3) and as a crmscm_writer member (the policy
# tenant_isolation adds tenant_id = crmscm.current_tenant()), side by side
# in one run on one cluster.
#
#   bench/rls.sh            (installs crmscm and runs in a throwaway cluster)
#
# 1. read: count and sum one tenant's 20,000 order lines out of 200,000
#    (10 tenants), and a join of its orders and lines (best of 15, psql \timing),
#    and whether the plans are the same once current_tenant() reads as 3 (but
#    for the InitPlan of the tenant_pin policy, evaluated once per statement);
# 2. write: pgbench, 4 clients, RLS_SECONDS (5) s per run, inserting an order
#    with 2 lines; owner and RLS runs alternate, best of two each.
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

timed() {	# $1 = user, $2 = SQL: best of 15 runs, server round trip in ms (psql \timing, one session)
	{ echo 'SET crmscm.tenant_id = 3;'; echo '\o /dev/null'; echo '\timing on'
	  for _ in $(seq 1 15); do echo "$2"; done; } \
	| psql -qXAt -d "$db" -U "$1" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n | head -1
}
printf '%-52s %10s %10s %7s %5s\n' "work (tenant 3 of 10)" "owner ms" "RLS ms" "ratio" "plan"
min() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 < b + 0 ? a : b)}'; }
plan() {	# $1 = user, $2 = SQL: the plan, with the policy's current_tenant() shown as 3 and
	# the pin's once-per-statement InitPlan (tenant_permitted()) left out; parentheses dropped
	PGOPTIONS="-c crmscm.tenant_id=3" psql -qXAt -d "$db" -U "$1" -c "EXPLAIN (COSTS OFF) $2" \
		| sed -E 's/crmscm.current_tenant\(\)/3/g; s/3::bigint/3/g; /InitPlan|^ *-> +Result$|Filter: \$[0-9]+$/d;
		          s/\$[0-9]+ AND //g; s/ AND \$[0-9]+//g; s/[()]//g'
}
row() {	# owner and RLS alternate (twice each) so that load on the machine hits both alike
	local a b same=no
	[ "$(plan postgres "$2")" = "$(plan crmscm_bench "$3")" ] && same=yes
	a=$(timed postgres "$2"); b=$(timed crmscm_bench "$3")
	a=$(min "$a" "$(timed postgres "$2")"); b=$(min "$b" "$(timed crmscm_bench "$3")")
	printf '%-52s %10s %10s %7s %5s\n' "$1" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}')" "$same"
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
a=$(tps postgres); b=$(tps crmscm_bench)
a=$(max "$a" "$(tps postgres)"); b=$(max "$b" "$(tps crmscm_bench)")
printf '%-52s %10s %10s %7s\n' "pgbench insert order + 2 lines, tps (4 clients)" "$(printf %.0f "$a")" "$(printf %.0f "$b")" \
	"$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}')"
rm -f /tmp/rls_bench.$$.sql
