# Every write path through the coordinator (issue #16), sourced by
# test/citus/citus.sh.
#
# The same scripts run on the Citus cluster (database crm_paths, crmscm
# distributed) and on a single node (database crm_paths1 on the
# coordinator's server, without the citus extension: plain PostgreSQL),
# which is the reference: the single-node engine is the one checked against
# 0.2.0 by test/scripts/orders_differential.sh.
#   paths/owner.sql   master data and history of tenants 1 and 2 (owner)
#   paths/writer.sql  every write path of the order model, as login roles
#                     pinned to tenant 1 and 2 (crmscm_writer)
#   paths/admin.sql   refit_models(), replenish(), lead_model_train(),
#                     refresh_customer_lifetime(), as pinned admins
# Checks: the transcripts (every result and SQLSTATE) are equal; every table
# and every view, per tenant, read as pinned readers, has the same rows
# (columns that differ between any two runs left out: timestamps, and the
# ids of rows the engine makes at commit, which Citus workers take from
# their own range); check_inventory() is clean.  Then paths/errors.sql:
# where the commit's errors come, with and without reserve_pending(t).
pdb=crm_paths pdb1=crm_paths1
for port in "$CPORT" "$W1PORT" "$W2PORT"; do P "$port" postgres -c "CREATE DATABASE $pdb" >/dev/null; done
for port in "$W1PORT" "$W2PORT"; do P "$port" "$pdb" -c "CREATE EXTENSION citus" >/dev/null; done
P "$CPORT" postgres -c "CREATE DATABASE $pdb1" >/dev/null
out=$(C "$pdb" -c "CREATE EXTENSION citus" -c "SELECT citus_set_coordinator_host('127.0.0.1', $CPORT)" \
	-c "SELECT citus_add_node('127.0.0.1', $W1PORT)" -c "SELECT citus_add_node('127.0.0.1', $W2PORT)" \
	-c "CREATE EXTENSION crmscm" -c "SELECT crmscm.distribute()" \
	-c "ALTER DATABASE $pdb SET citus.propagate_set_commands = 'local'" 2>&1 | grep -v '^$\|^[0-9]*$')
out+=$(C "$pdb1" -c "CREATE EXTENSION crmscm" 2>&1)
# login roles pinned to tenants 1 and 2 (created in a Citus database: Citus
# creates them on the workers too)
out+=$(C "$pdb" -c "SET client_min_messages = warning" -c "DO \$\$DECLARE r text; BEGIN
	FOREACH r IN ARRAY ARRAY['crmscm_tenant_1', 'crmscm_tenant_2'] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN EXECUTE format('CREATE ROLE %I NOLOGIN', r); END IF;
	END LOOP; END\$\$" \
	-c "CREATE ROLE p_w1 LOGIN IN ROLE crmscm_writer, crmscm_tenant_1" -c "CREATE ROLE p_w2 LOGIN IN ROLE crmscm_writer, crmscm_tenant_2" \
	-c "CREATE ROLE p_a1 LOGIN IN ROLE crmscm_admin, crmscm_tenant_1" -c "CREATE ROLE p_a2 LOGIN IN ROLE crmscm_admin, crmscm_tenant_2" \
	-c "CREATE ROLE p_r1 LOGIN IN ROLE crmscm_reader, crmscm_tenant_1" -c "CREATE ROLE p_r2 LOGIN IN ROLE crmscm_reader, crmscm_tenant_2" 2>&1)
is "paths: $pdb (distributed) and $pdb1 (single node) created; login roles pinned to tenants 1 and 2 (writer, admin, reader)" "$out" ""

# run a script as a role; only psql's output (no notices, no timing)
asrole() { local db=$1 role=$2 t=$3 f=$4; psql -qXAt -h 127.0.0.1 -p "$CPORT" -U "$role" -d "$db" -v t="$t" -f "$f" 2>&1 | sed 's/^psql:[^ ]*: //'; }
for db in "$pdb" "$pdb1"; do
	out=$(C "$db" -f test/citus/paths/owner.sql 2>&1)
	is "paths [$db]: the owner loads tenants 1 and 2 (master data, 100 closed orders each, leads)" "$out" ""
done
for step in writer admin; do
	for t in 1 2; do
		role=p_${step:0:1}$t
		a=$(asrole "$pdb" "$role" "$t" "test/citus/paths/$step.sql")
		b=$(asrole "$pdb1" "$role" "$t" "test/citus/paths/$step.sql")
		if [ "$a" = "$b" ]; then
			ok "paths: $step.sql as $role (tenant $t): the transcript through the coordinator equals the single node's ($(grep -c . <<<"$a") lines)"
		else
			notok "paths: $step.sql as $role (tenant $t): the transcript through the coordinator equals the single node's" \
				"$(diff <(echo "$b") <(echo "$a") | head -40)"
		fi
		want=0; [ "$step" = writer ] && want=2
		is "paths: $step.sql as $role: no statement failed but the $want it makes fail (23514)" \
			"$(grep -c '^ERROR' <<<"$a")/$(grep -c '^ERROR:  23514' <<<"$a")" "$want/$want"
	done
done
for t in 1 2; do
	is "paths [$pdb]: check_inventory() clean in tenant $t (as its writer)" \
		"$(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U "p_w$t" -d "$pdb" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $t" -c "SELECT count(*) FROM crmscm.check_inventory()" -c "COMMIT" 2>&1)" "0"
done

# tables and views, per tenant, as the tenant's pinned reader
cmp_sql="CREATE SCHEMA cmp;
GRANT USAGE ON SCHEMA cmp TO PUBLIC;
-- rows of one tenant as sorted text: floats rounded to 6 places (sums in
-- another order), timestamps and ids the engine makes at commit (a Citus
-- worker takes them from its own range) and crmscm's composite and model
-- types left out (models: admin.sql's transcript), the two columns of
-- lead_scores that decay with the time of the query (compared apart), and
-- the lead times learned from receipts (received_at - ordered_at, both the
-- time of a statement of each run: they differ between the two runs by the
-- seconds between them; their count and the quantities are compared, and
-- supplier_performance's lead-time columns within 0.01 day below)
CREATE FUNCTION cmp.digest(rel regclass, t bigint) RETURNS text LANGUAGE plpgsql AS \$f\$
DECLARE cols text; n bigint; d text;
BEGIN
	SELECT string_agg(CASE WHEN a.atttypid IN ('float8'::regtype, 'float4'::regtype) THEN format('round(%I::numeric, 6)', a.attname)
						   ELSE quote_ident(a.attname) END, ', ' ORDER BY a.attnum) INTO cols
	  FROM pg_attribute a JOIN pg_type y ON y.oid = a.atttypid
	 WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
	   AND a.atttypid NOT IN ('timestamptz'::regtype, 'timestamp'::regtype)
	   AND a.attname NOT IN ('reservation_id', 'backorder_id', 'move_id', 'receipt_id', 'waiting_for')
	   AND NOT (rel = 'crmscm.lead_scores'::regclass AND a.attname IN ('engagement', 'combined_score'))
	   AND NOT (rel = 'crmscm.purchase_receipts'::regclass AND a.attname = 'lead_time_days')
	   AND NOT (rel = 'crmscm.supplier_stats'::regclass AND a.attname = 'lead_moments')
	   AND NOT (rel = 'crmscm.supplier_performance'::regclass AND a.attname LIKE 'lead\\_time\\_%')
	   AND NOT (y.typnamespace = 'crmscm'::regnamespace AND y.typname <> 'geopoint');
	EXECUTE format('SELECT count(*), coalesce(md5(string_agg(r, E''\\\\n'' ORDER BY r)), '''') FROM (SELECT ROW(%s)::text AS r FROM %s WHERE tenant_id = \$1) x', cols, rel)
	   INTO n, d USING t;
	RETURN n || ' ' || d;
END \$f\$;"
for db in "$pdb" "$pdb1"; do C "$db" -c "SET client_min_messages = warning" -c "$cmp_sql" >/dev/null; done
digests() {	# db, tenant: one line per table and view
	psql -qXAt -h 127.0.0.1 -p "$CPORT" -U "p_r$2" -d "$1" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $2" \
		-c "SELECT c.relkind::text || ' ' || c.relname || ' ' || cmp.digest(c.oid, $2) FROM pg_class c
			WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind IN ('r', 'v')
			  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id')
			ORDER BY c.relkind, c.relname" -c "COMMIT" 2>&1
}
for t in 1 2; do
	a=$(digests "$pdb" $t) b=$(digests "$pdb1" $t)
	nv=$(grep -c '^v ' <<<"$b") nt=$(grep -c '^r ' <<<"$b")
	while read -r kind rel rows d; do
		what=table; [ "$kind" = v ] && what=view
		got=$(grep "^$kind $rel " <<<"$a")
		is "paths: $what $rel, tenant $t (as its pinned reader): $rows rows, equal through the coordinator and on the single node" "$got" "$kind $rel $rows $d"
	done <<<"$b"
	# lead_scores' engagement decays with now(): equal within 1e-4 relative
	sc="SELECT lead_id || ' ' || engagement || ' ' || combined_score FROM crmscm.lead_scores WHERE tenant_id = $t ORDER BY lead_id"
	got=$(paste -d' ' <(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U "p_r$t" -d "$pdb" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $t" -c "$sc" -c "COMMIT") \
				<(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U "p_r$t" -d "$pdb1" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $t" -c "$sc" -c "COMMIT") |
		awk 'function d(a, b) { return (a - b < 0 ? b - a : a - b) / (b < 0 ? -b : (b > 0 ? b : 1)) }
			 $1 != $4 || d($2, $5) > 1e-4 || d($3, $6) > 1e-4 { bad++ } END { print NR " " bad + 0 }')
	like "paths: view lead_scores, tenant $t: engagement and combined_score (they decay with the time of the query) equal within 1e-4 (rows, differing)" "$got" "^[1-9][0-9]* 0$"
	# supplier_performance's lead times (placed -> received: both the time of
	# a statement of each run) equal within 0.01 day (864 s; the two runs are
	# seconds apart, a wrong lead time is days off)
	lt="SELECT coalesce(supplier, '-') || ' ' || item_id || ' ' || warehouse_id || ' ' ||
			   concat_ws(' ', coalesce(lead_time_mean_days, -1), coalesce(lead_time_sd_days, -1), coalesce(lead_time_p50_days, -1), coalesce(lead_time_p90_days, -1),
						 coalesce(lead_time_mean_90d, -1), coalesce(lead_time_sd_90d, -1), coalesce(lead_time_p50_90d, -1), coalesce(lead_time_p90_90d, -1))
		  FROM crmscm.supplier_performance WHERE tenant_id = $t ORDER BY 1"
	got=$(paste -d' ' <(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U "p_r$t" -d "$pdb" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $t" -c "$lt" -c "COMMIT" 2>&1) \
				<(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U "p_r$t" -d "$pdb1" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $t" -c "$lt" -c "COMMIT" 2>&1) |
		awk 'NF != 22 { bad++; next }
			 { for (i = 1; i <= 3; i++) if ($i != $(i + 11)) bad++
			   for (i = 4; i <= 11; i++) { d = $i - $(i + 11); if (d < 0) d = -d; if (d > 0.01) bad++ } }
			 END { print NR " " bad + 0 }')
	like "paths: view supplier_performance, tenant $t: the 8 lead-time columns (mean, sd, p50, p90; all time and 90 days) equal within 0.01 day (rows, differing)" "$got" "^[1-9][0-9]* 0$"
	# (at_risk_lines may be empty: no line's promise can be moved into the
	# past by a client, the column is the engine's; its digest above still
	# runs the view through the coordinator with a constant tenant)
	like "paths: tenant $t: every table ($nt) and view ($nv) compared, the views not empty (but at_risk_lines)" \
		"$nt/$nv/$(grep '^v ' <<<"$b" | grep -v '^v at_risk_lines ' | awk '$3 == 0' | wc -l)" "^(1[5-9]|2[0-9]|3[0-9])/1[0-9]/0$"
done

# every column of every view on its own, with the tenant named (doc/citus.md:
# what a BI tool sends): PostgreSQL removes the outer joins a column does not
# need, so a view can plan with all its columns (the digests above) and fail
# with some (supplier_performance did: an outer join left and the constant
# tenant made `1 = current_tenant()` a pseudoconstant qual, which Citus on
# PostgreSQL 15 refuses)
probe='DO $p$
DECLARE r record; n int := 0; bad text := $$$$;
BEGIN
	FOR r IN SELECT c.relname, a.attname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
			  WHERE c.relnamespace = $$crmscm$$::regnamespace AND c.relkind = $$v$$ AND a.attnum > 0 AND NOT a.attisdropped
			  ORDER BY 1, a.attnum
	LOOP
		n := n + 1;
		BEGIN
			EXECUTE format($$SELECT count(%I) FROM crmscm.%I WHERE tenant_id = 1$$, r.attname, r.relname);
		EXCEPTION WHEN OTHERS THEN
			bad := bad || format($$ %s.%s: %s$$, r.relname, r.attname, SQLERRM);
		END;
	END LOOP;
	RAISE NOTICE $$columns %, failed:%$$, n, coalesce(nullif(bad, $$$$), $$ none$$);
END $p$'
like "paths: every column of every view alone, WHERE tenant_id = 1, through the coordinator as the tenant's pinned reader: none fails" \
	"$(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U p_r1 -d "$pdb" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = 1" -c "$probe" -c "COMMIT" 2>&1)" \
	"NOTICE:  columns (2[0-9][0-9]), failed: none$"

# the same without naming the tenant (what doc/citus.md advises against: 32
# tasks), as the tenant's pinned reader: every column works but four of
# customer_360 (those that need none of its joined tables: PostgreSQL removes
# the joins, and under row-level security that leaves a pseudoconstant qual
# Citus refuses); the failing columns are listed, so a change either way shows
probe_all=${probe//WHERE tenant_id = 1/}
probe_all=${probe_all//: %s\$\$, r.relname, r.attname, SQLERRM/\$\$, r.relname, r.attname}
like "paths: every column of every view alone, the tenant not named (SET LOCAL only), through the coordinator as the tenant's pinned reader: only customer_360's tenant_id, customer_id, name and email fail" \
	"$(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U p_r1 -d "$pdb" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = 1" -c "$probe_all" -c "COMMIT" 2>&1)" \
	"NOTICE:  columns (2[0-9][0-9]), failed: customer_360.tenant_id customer_360.customer_id customer_360.name customer_360.email$"

# where the commit's errors come
e=$(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U p_w1 -d "$pdb" -v t=1 -f test/citus/paths/errors.sql 2>&1)
e1=$(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U p_w1 -d "$pdb1" -v t=1 -f test/citus/paths/errors.sql 2>&1)
like "errors [single node]: an adjustment below reserved fails at COMMIT with 23514" "$e1" "@insert 00000 .*ERROR:  23514: adjustment of -1000 .*@commit 23514"
like "errors [Citus]: the same transaction on one worker: COMMIT fails with XX000 'could not commit transaction', the 23514 only in a WARNING" \
	"$e" "@insert 00000 .*WARNING:  23514: adjustment of -1000 .*ERROR:  XX000: could not commit transaction for shard [0-9]+ on at least one active node .*@commit XX000"
like "errors [Citus]: with SELECT crmscm.reserve_pending(t) before COMMIT the error comes there, 23514, as on a single node" \
	"$e" "@ with reserve_pending before COMMIT .*ERROR:  23514: adjustment of -1000 .*@reserve_pending 23514"
like "errors [single node]: ... the same" "$e1" "@ with reserve_pending before COMMIT .*ERROR:  23514: adjustment of -1000 .*@reserve_pending 23514"
like "errors [Citus, single node]: reserve_pending(another tenant): 22023" "$e $e1" "@other 22023 .*@other 22023"
like "errors [Citus]: reserve_pending() from PL/pgSQL (PERFORM: not routed) refuses to run off the tenant's node: 0A000 with the way to call it" \
	"$e" "ERROR:  0A000: reserve_pending\(1\) did not run on the node of tenant 1 .*HINT:  Call it as a statement of its own.*@plpgsql 0A000"
like "errors [single node]: ... there it runs" "$e1" "@plpgsql 00000"
like "errors [Citus, single node]: ship(another tenant, ...): 22023" "$e $e1" "@ship_other 22023 .*@ship_other 22023"
is "paths [$pdb]: nothing of the failed transactions stored (check_inventory() clean, on hand of item 3 unchanged)" \
	"$(C "$pdb" -c "SELECT count(*) FROM crmscm.check_inventory()")/$(C "$pdb" -c "SELECT on_hand FROM crmscm.inventory WHERE tenant_id = 1 AND item_id = 3 AND warehouse_id = 2")" \
	"0/$(C "$pdb1" -c "SELECT on_hand FROM crmscm.inventory WHERE tenant_id = 1 AND item_id = 3 AND warehouse_id = 2")"
