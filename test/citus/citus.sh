#!/usr/bin/env bash
# The Citus stage (issue #16), printing TAP.
#
# When the Citus source tarball is there (CRMSCM_CITUS_TARBALL, default
# ../shared/vendor/citus-12.1.12.tar.gz beside the repository, where CI has
# it), this builds Citus once (cached, test/citus/lib.sh), installs it into
# the PostgreSQL installation the tests use (CRMSCM_PG_BINDIR: a stage of
# tools/install.sh, else the system one), starts a coordinator and two
# workers on 127.0.0.1, installs crmscm, and checks:
#   1. crmscm.distribute() on a populated single node that becomes a
#      coordinator (database crm_pop): every row kept, every table
#      distributed by tenant_id and co-located, foreign keys and policies as
#      intended on the coordinator, the workers' copies and every shard;
#   2. on a fresh install (database postgres): the same, plus refusal of
#      policies Citus cannot carry, a second call that does nothing, and
#      apply_security() afterwards;
#   3. the Citus behaviour crmscm's engine and tenancy must be built for
#      (doc/citus.md, "What the engine must satisfy"), each as a check of
#      what Citus 12.1 does, so that a change of it shows up here;
#   4. every write path through the coordinator as pinned login roles, and
#      every table and view per tenant, equal to a single node on the same
#      data; where the commit's errors come (test/citus/paths.sh);
#   5. the orders stress through the coordinator and on a single node
#      (test/citus/stress.sh);
#   6. tenant isolation through the coordinator: the checks of the
#      single-node suites as login roles (test/citus/tenancy.sh).
# Without the tarball it prints one skip line.
#
#   CRMSCM_CITUS_KEEP=1 test/citus/citus.sh    leave the cluster running
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
. test/citus/lib.sh

tarball=$(citus_tarball)
if [ -z "$tarball" ]; then
	echo "1..0 # SKIP Citus source tarball not found (set CRMSCM_CITUS_TARBALL; see test/citus/citus.sh)"
	exit 0
fi

n=0 nfail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done; }
# is DESC GOT WANT
is() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got:  $2" "want: $3"; fi; }
# like DESC GOT REGEX
like() { if printf '%s' "$2" | tr '\n' ' ' | grep -E -- "$3" >/dev/null; then ok "$1"; else notok "$1" "got:  $(printf '%s' "$2" | head -c 1500)" "want: /$3/"; fi; }
unlike() { if printf '%s' "$2" | tr '\n' ' ' | grep -E -- "$3" >/dev/null; then notok "$1" "got:  $(printf '%s' "$2" | head -c 1500)" "must not match: /$3/"; else ok "$1"; fi; }
bail() { echo "Bail out! $*"; exit 1; }

tools/deps.sh citus >&2 || bail "tools/deps.sh citus failed"
t0=$(date +%s)
citus_install "$tarball" || bail "building or installing Citus failed"
t1=$(date +%s)
ts_section=$t1
citus_start || { citus_stop; bail "starting the Citus cluster failed"; }
trap citus_stop EXIT
echo "# Citus built/installed in $((t1 - t0)) s; coordinator 127.0.0.1:$CPORT, workers :$W1PORT :$W2PORT"

# psql on a node and database; output of errors included (for error checks)
P() { local port=$1 db=$2; shift 2; psql -qXAt -p "$port" -d "$db" -v ON_ERROR_STOP=1 "$@" 2>&1; }
C() { local db=$1; shift; P "$CPORT" "$db" "$@"; }

is "Citus $(C postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'") cluster: coordinator + 2 active workers with metadata" \
	"$(C postgres -c "SELECT count(*) FILTER (WHERE groupid = 0) || '+' || count(*) FILTER (WHERE groupid > 0 AND isactive AND hasmetadata) FROM pg_dist_node")" "1+2"

# --- helpers for the distribution checks -----------------------------------
# Tables of schema crmscm with a tenant_id, on the coordinator.
tenant_tables() { C "$1" -c "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind IN ('r','p') AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id')"; }
# Foreign keys of schema crmscm's tables (not shards), as text, sorted.
fk_list() { P "$1" "$2" -c "SET citus.override_table_visibility = off" -c "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'crmscm'::regnamespace AND conrelid::regclass::text !~ '_[0-9]+\$' ORDER BY 1"; }
# Policies of schema crmscm's tables (not shards), as text, sorted.
pol_list() { P "$1" "$2" -c "SET citus.override_table_visibility = off" -c "SELECT polrelid::regclass || ' ' || polname || ' ' || polpermissive || ' ' || coalesce(pg_get_expr(polqual, polrelid), '-') || ' ' || coalesce(pg_get_expr(polwithcheck, polrelid), '-') FROM pg_policy WHERE polrelid::regclass::text LIKE 'crmscm.%' AND polrelid::regclass::text !~ '_[0-9]+\$' ORDER BY 1"; }

# The policies crmscm's tables must carry on Citus (doc/conventions.md):
# exactly one, permissive, tenant_isolation, USING and WITH CHECK
# tenant_id = crmscm.current_tenant().
want_qual='(tenant_id = crmscm.current_tenant())'

# check_distributed DB: every check of a distributed install.
check_distributed() {
	local db=$1 ntab got w
	ntab=$(tenant_tables "$db")
	is "[$db] every tenant table ($ntab) is hash-distributed by tenant_id" \
		"$(C "$db" -c "SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid WHERE c.relnamespace = 'crmscm'::regnamespace AND p.partmethod = 'h' AND column_to_column_name(p.logicalrelid, p.partkey) = 'tenant_id'")" "$ntab"
	is "[$db] all in one co-location group" \
		"$(C "$db" -c "SELECT count(DISTINCT colocationid) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid WHERE c.relnamespace = 'crmscm'::regnamespace")" "1"
	is "[$db] every shard has one active placement on a worker, shard groups aligned" \
		"$(C "$db" -c "SELECT count(*) FROM (SELECT s.shardminvalue, count(DISTINCT pl.groupid) g, count(*) FILTER (WHERE pl.groupid = 0) on_coord FROM pg_dist_shard s JOIN pg_dist_placement pl USING (shardid) JOIN pg_class c ON c.oid = s.logicalrelid WHERE c.relnamespace = 'crmscm'::regnamespace GROUP BY 1) x WHERE g <> 1 OR on_coord > 0")" "0"
	got=$(C "$db" -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'crmscm'::regnamespace")
	is "[$db] coordinator keeps its $fk_count foreign keys" "$got" "$fk_count"
	for w in "$W1PORT" "$W2PORT"; do
		is "[$db] worker :$w: its copies of the tables have exactly the coordinator's foreign keys" \
			"$(fk_list "$w" "$db" | md5sum)" "$(fk_list "$CPORT" "$db" | md5sum)"
		is "[$db] worker :$w: its copies have exactly the coordinator's policies" \
			"$(pol_list "$w" "$db" | md5sum)" "$(pol_list "$CPORT" "$db" | md5sum)"
		# every shard placed on this worker: RLS on, one policy tenant_isolation as intended
		got=$(P "$w" "$db" -c "SET citus.override_table_visibility = off" -c "
			WITH sh AS (
				SELECT (n.nspname || '.' || c.relname)::regclass AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = 'crmscm' AND c.relkind = 'r' AND c.relname ~ '_[0-9]+\$'
				  AND substring(c.relname from '_([0-9]+)\$')::bigint IN (SELECT shardid FROM pg_dist_shard))
			SELECT count(*) || ' shards, ' ||
			       count(*) FILTER (WHERE NOT (SELECT relrowsecurity FROM pg_class WHERE oid = sh.r)) || ' without RLS, ' ||
			       count(*) FILTER (WHERE (SELECT count(*) FROM pg_policy p WHERE p.polrelid = sh.r) <> 1
			                          OR NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = sh.r AND p.polname = 'tenant_isolation' AND p.polpermissive
			                                         AND pg_get_expr(p.polqual, p.polrelid) = '$want_qual' AND pg_get_expr(p.polwithcheck, p.polrelid) = '$want_qual')) || ' with other policies'
			FROM sh")
		like "[$db] worker :$w: every shard has RLS and only the policy tenant_isolation (tenant_id = crmscm.current_tenant())" \
			"$got" "^[1-9][0-9]* shards, 0 without RLS, 0 with other policies$"
		got=$(P "$w" "$db" -c "SELECT count(*) FROM pg_class c JOIN pg_sequence q ON q.seqrelid = c.oid, pg_dist_local_group g WHERE c.relnamespace = 'crmscm'::regnamespace AND (q.seqmin <> (g.groupid::bigint << 48) + 1 OR q.seqmax <> (g.groupid::bigint << 48) + 1 + (1::bigint << 48))")
		is "[$db] worker :$w: crmscm's identity sequences have the node's id range (group << 48)" "$got" "0"
	done
	is "[$db] the coordinator has no shard" \
		"$(C "$db" -c "SELECT count(*) FROM pg_dist_placement WHERE groupid = 0")" "0"
}

# --- 1. a populated single node becomes a coordinator ----------------------
for port in "$CPORT" "$W1PORT" "$W2PORT"; do
	P "$port" postgres -c "CREATE DATABASE crm_pop" >/dev/null
done
for port in "$W1PORT" "$W2PORT"; do
	P "$port" crm_pop -c "CREATE EXTENSION citus" >/dev/null
done
out=$(C crm_pop -c "CREATE EXTENSION crmscm" -f test/citus/populate.sql)
is "[crm_pop] crmscm installed and 3 tenants' data written on the single node (before Citus)" "$out" ""
counts_sql="SELECT string_agg(x, ' ' ORDER BY x) FROM (SELECT c.relname || ':' || (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) || ''/'' || count(DISTINCT tenant_id) AS n FROM %s', c.oid::regclass), false, true, '')))[1]::text AS x FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'r' AND c.relname !~ '_[0-9]+\$') s"
before=$(C crm_pop -c "$counts_sql")
like "[crm_pop] rows in every order table, 3 tenants each" "$before" "backorders:[1-9][0-9]*/3 .*inventory:[1-9][0-9]*/3 .*reservations:[1-9][0-9]*/3 sales_order_lines:72/3 sales_order_totals:[1-9][0-9]*/3 sales_orders:24/3 stock_moves:[1-9][0-9]*/3"
fk_count=$(C crm_pop -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'crmscm'::regnamespace")
out=$(C crm_pop -c "CREATE EXTENSION citus" -c "SELECT citus_set_coordinator_host('127.0.0.1', $CPORT)" \
	-c "SELECT citus_add_node('127.0.0.1', $W1PORT)" -c "SELECT citus_add_node('127.0.0.1', $W2PORT)")
unlike "[crm_pop] Citus created after crmscm; workers added" "$out" "ERROR"
ts=$(date +%s%N)
out=$(C crm_pop -c "SELECT crmscm.distribute()")
te=$(date +%s%N)
is "[crm_pop] crmscm.distribute() on the populated install ($(( (te - ts) / 1000000 )) ms)" "$out" ""
is "[crm_pop] crmscm exists on both workers, same version" \
	"$(P "$W1PORT" crm_pop -c "SELECT extversion FROM pg_extension WHERE extname = 'crmscm'")/$(P "$W2PORT" crm_pop -c "SELECT extversion FROM pg_extension WHERE extname = 'crmscm'")" \
	"$(C crm_pop -c "SELECT extversion FROM pg_extension WHERE extname = 'crmscm'")/$(C crm_pop -c "SELECT extversion FROM pg_extension WHERE extname = 'crmscm'")"
check_distributed crm_pop
is "[crm_pop] every row kept, per table and tenant (counts before = after)" "$(C crm_pop -c "$counts_sql")" "$before"
out=$(C crm_pop -c "SELECT crmscm.distribute()" -c "SELECT crmscm.apply_security()")
is "[crm_pop] a second distribute() and apply_security() afterwards" "$out" ""
check_distributed crm_pop
is "[crm_pop] ... every row still there" "$(C crm_pop -c "$counts_sql")" "$before"
# the data made on the single node works on: a receipt fills the backorders
# made before distribution, their lines ship
out=$(C crm_pop -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = 2" \
	-c "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) SELECT b.item_id, b.warehouse_id, sum(b.qty - b.allocated), 'receipt' FROM crmscm.backorders b WHERE b.tenant_id = 2 GROUP BY 1, 2" \
	-c "SELECT crmscm.reserve_pending(2)" -c "COMMIT" \
	-c "SELECT count(*) || ' backorders' FROM crmscm.backorders WHERE tenant_id = 2" \
	-c "SELECT count(*) || ' invariants broken' FROM crmscm.check_inventory()")
like "[crm_pop] receipts through the coordinator fill tenant 2's backorders made before distribution" "$out" "^ ?0 backorders 0 invariants broken$"
out=$(C crm_pop -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = 2" \
	-c "DO \$\$DECLARE r record; s numeric := 0; BEGIN
		FOR r IN SELECT order_id, line_no FROM crmscm.sales_order_lines WHERE tenant_id = 2 AND qty_reserved > 0 ORDER BY 1, 2 LIMIT 3 LOOP
			s := s + crmscm.ship(r.order_id, r.line_no);
		END LOOP;
		IF s <= 0 THEN RAISE EXCEPTION 'nothing shipped'; END IF; END\$\$" -c "SELECT true" -c "COMMIT" \
	-c "SELECT count(*) FROM crmscm.check_inventory()")
is "[crm_pop] ... and its lines ship (reservations made on the single node and on the worker), check_inventory() clean" "$out" "t
0"

# --- 2. fresh install on a running cluster ---------------------------------
out=$(C postgres -c "CREATE EXTENSION crmscm")
is "[postgres] CREATE EXTENSION crmscm on the coordinator" "$out" ""
is "[postgres] propagated to both workers" \
	"$(P "$W1PORT" postgres -c "SELECT count(*) FROM pg_extension WHERE extname = 'crmscm'")$(P "$W2PORT" postgres -c "SELECT count(*) FROM pg_extension WHERE extname = 'crmscm'")" "11"
fk_count=$(C postgres -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'crmscm'::regnamespace")
out=$(C postgres -c "CREATE POLICY pin_like ON crmscm.items AS RESTRICTIVE USING ((SELECT true))" -c "\\set VERBOSITY verbose" -c "SELECT crmscm.distribute()")
like "[postgres] distribute() refuses a RESTRICTIVE policy with a subquery: 0A000, names it" "$out" "ERROR:  0A000: crmscm.distribute\(\): Citus cannot distribute the row-level security policies pin_like \(1 tables, e.g. crmscm.items\)"
is "[postgres] ... and distributes nothing" "$(C postgres -c "SELECT count(*) FROM pg_dist_partition")" "0"
C postgres -c "DROP POLICY pin_like ON crmscm.items" >/dev/null
out=$(C postgres -c "SET ROLE crmscm_admin" -c "\\set VERBOSITY verbose" -c "SELECT crmscm.distribute()")
like "[postgres] crmscm_admin may not call distribute() (owner only)" "$out" "ERROR:  42501: permission denied for function distribute"
ts=$(date +%s%N)
out=$(C postgres -c "SELECT crmscm.distribute()")
te=$(date +%s%N)
is "[postgres] crmscm.distribute() on a fresh install ($(( (te - ts) / 1000000 )) ms)" "$out" ""
check_distributed postgres
shards=$(C postgres -c "SELECT count(*) || '/' || sum(shardid) FROM pg_dist_shard")
ts=$(date +%s%N)
out=$(C postgres -c "SELECT crmscm.distribute()")
te=$(date +%s%N)
is "[postgres] a second distribute() succeeds ($(( (te - ts) / 1000000 )) ms)" "$out" ""
is "[postgres] ... and changes nothing (same shards)" "$(C postgres -c "SELECT count(*) || '/' || sum(shardid) FROM pg_dist_shard")" "$shards"
is "[postgres] ... and keeps the foreign keys" "$(fk_list "$CPORT" postgres | wc -l)" "$fk_count"
out=$(C postgres -c "SELECT crmscm.apply_security()")
is "[postgres] apply_security() after distribute()" "$out" ""
check_distributed postgres
is "[postgres] reserve_pending(tenant) and ship(tenant, ...) are distributed functions, by the tenant, co-located with the tables, force_delegation" \
	"$(C postgres -c "SELECT string_agg(d.objid::regprocedure::text || ':' || d.distribution_argument_index || ':' || (d.colocationid = p.colocationid) || ':' || d.force_delegation, ' ' ORDER BY 1)
		FROM pg_dist_object d, (SELECT DISTINCT colocationid FROM pg_dist_partition WHERE logicalrelid::text LIKE 'crmscm.%') p
		WHERE d.classid = 'pg_proc'::regclass AND d.distribution_argument_index IS NOT NULL")" \
	"crmscm.reserve_pending(bigint):0:true:true crmscm.ship(bigint,bigint,integer,numeric):0:true:true"

section() { local now; now=$(date +%s); echo "# ${2:-}$(( now - ${ts_section:-$now} )) s"; ts_section=$now; }
section "" "sections 1-2: "

# --- 3. what the engine and tenancy must satisfy (doc/citus.md) ------------
. test/citus/findings.sh
section "" "section 3 (findings): "

# --- 4. every write path, every table and view: Citus = single node --------
. test/citus/paths.sh
section "" "section 4 (write paths, tables and views): "

# --- 5. the orders stress through the coordinator, and on a single node -----
. test/citus/stress.sh
section "" "section 5 (stress): "

# --- 6. tenant isolation through the coordinator ---------------------------
. test/citus/tenancy.sh
section "" "section 6 (tenancy): "

echo "1..$n"
[ "$nfail" -eq 0 ]
