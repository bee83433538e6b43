#!/usr/bin/env bash
# SQLsmith (random SQL from the catalog, Debian package sqlsmith) against a
# database with crmscm, sample data of two tenants and the crmscm schema on
# the search path: counts queries, errors, and server crashes (must be 0).
#
#   bench/sqlsmith.sh [QUERIES] [SEED]     default 20000 queries, seed 1
#
# Without PGHOST it installs crmscm (tools/install.sh, honours
# CRMSCM_STAGE) and runs itself inside a throwaway cluster.  Crashes are
# looked for in three places: "terminated by signal" / PANIC in the
# server log, pg_stat_database.stats_reset (a crash restart resets the
# statistics) and the postmaster still serving the same database.
# The queries run as a non-superuser member of crmscm_admin (row-level
# security on), with statement_timeout set by SQLsmith itself.
set -uo pipefail
cd "$(dirname "$0")/.."
queries=${1:-20000} seed=${2:-1}
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)" || exit 1
	exec tools/with-cluster.sh "$0" "$@"
fi
db=crmscm_smith
log=${CRMSCM_PGLOG:-}
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || exit 1
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || exit 1
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_smith') THEN
		CREATE ROLE crmscm_smith LOGIN IN ROLE crmscm_admin;
	END IF;
END $$;
ALTER ROLE crmscm_smith SET search_path = crmscm, public;
ALTER ROLE crmscm_smith SET track_functions = 'all';   -- count calls of crmscm functions
ALTER ROLE crmscm_smith SET crmscm.tenant_id = 1;       -- its tenant (no default: doc/security.md)
-- sample data: two tenants, every table of the order model (doc/orders.md; history-style rows)
DO $$
DECLARE t int;
BEGIN
	FOR t IN 1..2 LOOP
		PERFORM set_config('crmscm.tenant_id', t::text, true);
		INSERT INTO crmscm.items (item_id, sku, name, unit_price, unit_cost)
			SELECT t * 1000 + i, 'SKU' || t || '-' || i, 'item ' || i, 10 + i, 5 + i FROM generate_series(1, 20) i;
		INSERT INTO crmscm.warehouses (warehouse_id, name, location)
			SELECT t * 1000 + i, 'wh ' || i, crmscm.geopoint(40 + i, -5 + 3 * i) FROM generate_series(1, 3) i;
		INSERT INTO crmscm.customers (customer_id, name, email, location)
			SELECT t * 1000 + i, 'customer ' || i, 'c' || i || '@example.com', crmscm.geopoint(35 + i % 20, -10 + i % 40)
			FROM generate_series(1, 50) i;
		INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
			SELECT t * 1000 + i, t * 1000 + 1 + i % 3, 100, 'receipt' FROM generate_series(1, 20) i;
		INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to, ordered_at)
			SELECT t * 1000 + i, t * 1000 + 1 + i % 50, 'closed', crmscm.geopoint(45, 5), now() - i * interval '1 day'
			FROM generate_series(1, 100) i;
		INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
			SELECT t * 1000 + i, 1, t * 1000 + 1 + i % 20, 1 + i % 5, 12, 'shipped', 1 + i % 5 FROM generate_series(1, 100) i;
		INSERT INTO crmscm.purchase_orders (po_id, supplier, status) SELECT t * 1000 + i, 'supplier', 'draft' FROM generate_series(1, 5) i;
		INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
			SELECT t * 1000 + i, 1, t * 1000 + i, t * 1000 + 1, 10 FROM generate_series(1, 5) i;
	END LOOP;
END $$;
ANALYZE;
SQL

stat() { psql -qXAt -d "$db" -c "SELECT stats_reset, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'"; }
before=$(stat)
loglines=0; [ -n "$log" ] && [ -f "$log" ] && loglines=$(wc -l <"$log")
out=$(mktemp)
start=$(date +%s)
nice sqlsmith --target="host=$PGHOST port=${PGPORT:-5432} dbname=$db user=crmscm_smith" \
	--seed="$seed" --max-queries="$queries" --exclude-catalog --verbose >"$out" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
after=$(stat)
crashes=0
if [ -n "$log" ] && [ -f "$log" ]; then
	crashes=$(tail -n +"$((loglines + 1))" "$log" | grep -cE 'terminated by signal|was terminated by exception|PANIC:|server process .* exited with exit code [^01]')
fi
alive=$(psql -qXAt -d "$db" -c 'SELECT 1' 2>/dev/null)
sleep 1   # let the last backend flush its statistics
reach=$(psql -qXAt -d "$db" -c "SELECT (SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE schemaname = 'crmscm')
	|| ' calls of ' || (SELECT count(*) FROM pg_stat_user_functions WHERE schemaname = 'crmscm')
	|| ' distinct crmscm functions, ' || (SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables WHERE schemaname = 'crmscm')
	|| ' scans of crmscm tables'")
same_stats=no; [ "${before%%|*}" = "${after%%|*}" ] && same_stats=yes
xacts=$(( ${after##*|} - ${before##*|} ))
# sqlsmith's final report: "queries: N (... / s)" and an error histogram
echo "# sqlsmith exit status $rc after $secs s (seed $seed, max $queries queries)"
# (in the suite only the error rate: the histogram is long)
if [ -n "${SQLSMITH_TAP:-}" ]; then
	grep -E '^error rate' "$out" | tail -1 | sed 's/^/#   /'
else
	grep -E '^(queries|AST stats|error rate)|^[0-9]+\s' "$out" | tail -25 | sed 's/^/#   /'
fi
echo "# reached crmscm: $reach"
echo "# transactions seen by pg_stat_database: $xacts; stats_reset unchanged: $same_stats;" \
	"crash lines in server log: $crashes; server alive: ${alive:-no}"
SQLSMITH_XACTS=$xacts
[ "$crashes" -eq 0 ] && [ "$alive" = 1 ] && [ "$same_stats" = yes ]
ok=$?
if [ -n "${SQLSMITH_TAP:-}" ]; then
	[ "$ok" -eq 0 ] && echo "ok ${SQLSMITH_TAP} - sqlsmith: $queries random queries, $xacts transactions, zero server crashes" \
		|| echo "not ok ${SQLSMITH_TAP} - sqlsmith: server crash or failure (see above)"
fi
rm -f "$out"
dropdb --if-exists "$db" 2>/dev/null
exit $ok
