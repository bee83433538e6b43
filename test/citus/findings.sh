# What Citus 12.1 does that crmscm's engine and tenancy must be built for
# (doc/citus.md, "What the engine must satisfy").  Sourced by
# test/citus/citus.sh after crmscm is distributed in database postgres; each
# check states what Citus does, so that a change of Citus shows up here.
#
# Scratch tables in schema probe, distributed by tenant_id and co-located
# with crmscm's tables.  Tenants 1..4; which worker holds a tenant is looked
# up, not assumed.

out=$(C postgres -f test/citus/probe.sql)
is "probe tables and triggers created (citus.enable_unsafe_triggers = on)" "$out" ""
node_of() { C postgres -c "SELECT nodeport FROM pg_dist_shard_placement WHERE shardid = get_shard_id_for_distribution_column('probe.a', $1)"; }
# two tenants on different workers, and a third on the same worker as the first
ta=2; pa=$(node_of $ta)
tb=$(for t in 1 3 4 5 6 7; do [ "$(node_of $t)" != "$pa" ] && { echo $t; break; }; done)
tc=$(for t in 1 3 4 5 6 7 8 9; do [ "$t" != "$tb" ] && [ "$(node_of $t)" = "$pa" ] && { echo $t; break; }; done)
echo "# tenant $ta and $tc on :$pa, tenant $tb on :$(node_of "$tb")"

# ---- (a) triggers ---------------------------------------------------------
out=$(C postgres -c "BEGIN" -c "INSERT INTO probe.a VALUES ($ta, 1, 5), ($ta, 2, 1)" \
	-c "SELECT string_agg(what || '@' || port || '/' || (rel ~ '^a_[0-9]+\$'), ' ' ORDER BY log_id) FROM probe.log WHERE tenant_id = $ta" -c "COMMIT" \
	-c "SELECT string_agg(what || '@' || port || '/' || (rel ~ '^a_[0-9]+\$'), ' ' ORDER BY log_id) FROM probe.log WHERE tenant_id = $ta")
is "(a) row and statement triggers fire on the shard (worker :$pa, TG_TABLE_NAME a_<shardid>); the deferred one at COMMIT there" "$out" \
"row@$pa/true row@$pa/true stmt@$pa/true
row@$pa/true row@$pa/true stmt@$pa/true deferred@$pa/true deferred@$pa/true"
is "(a) the row trigger's SPI UPDATE of a co-located distributed table (by its name, tenant from NEW) was applied" \
	"$(C postgres -c "SELECT string_agg(qty::text, ',' ORDER BY item_id) FROM probe.stock WHERE tenant_id = $ta AND item_id IN (1, 2)")" "95,99"
out=$(C postgres -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL citus.log_local_commands = on" \
	-c "INSERT INTO probe.a VALUES ($ta, 3, 1)" -c "COMMIT")
like "(a) ... executed locally on the co-located shard (citus.log_local_commands)" "$out" \
	"NOTICE:  executing the command locally: INSERT INTO probe.log_[0-9]+ .*NOTICE:  executing the command locally: UPDATE probe.stock_[0-9]+ "
out=$(C postgres -c "INSERT INTO probe.b VALUES ($ta, 1, $tb)")
like "(a) a trigger on tenant $ta's shard reading tenant $tb (other worker): cannot execute a distributed query from a query on a shard" \
	"$out" "ERROR:  cannot execute a distributed query from a query on a shard"
out=$(C postgres -c "INSERT INTO probe.b VALUES ($ta, 2, $tc)")
is "(a) ... but reading tenant $tc on the same worker works (Citus does not keep a trigger to its own tenant)" "$out" ""
out=$(C postgres -c "INSERT INTO probe.b VALUES ($ta, 3, 0)")
like "(a) a trigger statement over every tenant (no tenant filter) fails the same way" "$out" "ERROR:  cannot execute a distributed query from a query on a shard"
# a C trigger with SPI plans prepared once and kept (test/citus/probe_trigger.c)
cso=$citus_dir/probe_trigger.so
if gcc -O2 -fPIC -shared -I"$(pg_config --includedir-server)" -o "$cso" test/citus/probe_trigger.c 2>"$citus_dir/cc.log"; then
	chmod 755 "$cso"
	out=$(C postgres -c "SET citus.enable_unsafe_triggers = on" \
		-c "CREATE FUNCTION probe.c_trigger() RETURNS trigger LANGUAGE c AS '$cso', 'crmscm_probe_c_trigger'" \
		-c "CREATE TABLE probe.cprobe (tenant_id bigint NOT NULL, id bigint NOT NULL, mode int NOT NULL, PRIMARY KEY (tenant_id, id))" \
		-c "SELECT create_distributed_table('probe.cprobe', 'tenant_id', colocate_with => 'crmscm.items')" \
		-c "CREATE TRIGGER c_ins AFTER INSERT ON probe.cprobe FOR EACH ROW EXECUTE FUNCTION probe.c_trigger()" \
		-c "INSERT INTO probe.stock VALUES ($ta, 1001, 50), ($ta, 1002, 50) ON CONFLICT (tenant_id, item_id) DO UPDATE SET qty = 50")
	out=$( (for k in 1 2 3 4 5 6 7; do echo "BEGIN; INSERT INTO probe.cprobe VALUES ($ta, $k, 0); COMMIT;"; done) | C postgres)
	is "(a) C trigger on the shard, SPI_prepare'd plans kept across 7 calls: UPDATE ... tenant_id = \$1 AND item_id = ANY(\$2) and an INSERT of a co-located table run" "$out" ""
	is "(a) ... on worker :$pa, fired by the shard, 2 rows updated per call" \
		"$(C postgres -c "SELECT count(*) || ' ' || string_agg(DISTINCT port || '/' || (rel ~ '^cprobe_[0-9]+\$') || '/' || n, ',') FROM probe.log WHERE tenant_id = $ta AND what = 'c'")" "7 $pa/true/2"
	out=$(C postgres -c "INSERT INTO probe.cprobe VALUES ($ta, 100, 2)")
	like "(a) ... a C trigger's statement over every tenant fails like PL/pgSQL's" "$out" "ERROR:  cannot execute a distributed query from a query on a shard"
else
	notok "(a) C trigger: building test/citus/probe_trigger.c failed" "$(cat "$citus_dir/cc.log")"
fi
out=$(C postgres -c "INSERT INTO probe.c VALUES ($ta, 1)")
like "(a) statement trigger: INSERT ... SELECT FROM its transition table fails on the shard" "$out" 'ERROR:  executor could not find named tuplestore "n"'

# deferred constraint triggers at commit
out=$(C postgres -c "\\set VERBOSITY verbose" -c "BEGIN" -c "INSERT INTO probe.a VALUES ($ta, 10, -2)" -c "COMMIT")
like "(a) deferred trigger error, one worker (1PC): the worker's COMMIT fails; the client gets XX000 'could not commit transaction for shard', the original SQLSTATE 40001 only in a WARNING" \
	"$out" "WARNING:  40001: deferred check failed for id 10 .*WARNING:  01000: failed to commit transaction on 127.0.0.1:$pa .*ERROR:  XX000: could not commit transaction for shard [0-9]+ on at least one active node"
is "(a) ... and nothing of the transaction is stored" "$(C postgres -c "SELECT count(*) FROM probe.a WHERE id = 10")" "0"
out=$(C postgres -c "\\set VERBOSITY verbose" -c "BEGIN" -c "INSERT INTO probe.a VALUES ($ta, 11, -2)" -c "INSERT INTO probe.a VALUES ($tb, 11, 1)" -c "COMMIT")
like "(a) deferred trigger error, two workers (2PC): fires at PREPARE TRANSACTION; the client gets the original 40001" \
	"$out" "ERROR:  40001: deferred check failed for id 11"
unlike "(a) ... with no 'failed to commit' warning" "$out" "failed to commit"
is "(a) ... and nothing is stored on either worker" "$(C postgres -c "SELECT count(*) FROM probe.a WHERE id = 11")" "0"
out=$(C postgres -c "\\set VERBOSITY verbose" -c "INSERT INTO probe.a VALUES ($ta, 12, -2)")
like "(a) deferred trigger error, autocommit statement: the original 40001" "$out" "ERROR:  40001: deferred check failed for id 12"
out=$(C postgres -c "BEGIN" -c "INSERT INTO probe.a VALUES ($ta, 13, 1)" -c "INSERT INTO probe.a VALUES ($tb, 13, 1)" -c "COMMIT" \
	-c "SELECT count(*) FROM probe.log WHERE what = 'deferred' AND tenant_id IN ($ta, $tb) AND n = 13")
is "(a) deferred triggers at PREPARE (2PC) still write co-located shards (one log row per tenant)" "$out" "2"
out=$(C postgres -c "\\set VERBOSITY verbose" -c "BEGIN" -c "INSERT INTO probe.a VALUES ($ta, 14, -2)" -c "SET CONSTRAINTS ALL IMMEDIATE" -c "SELECT 'after'" -c "COMMIT")
like "(a) SET CONSTRAINTS ALL IMMEDIATE on the coordinator does not reach the worker (its deferred trigger still fails at COMMIT)" \
	"$out" "after .*ERROR:  XX000: could not commit transaction for shard"
out=$(C postgres -c "\\set VERBOSITY verbose" -c "BEGIN" -c "INSERT INTO probe.a VALUES ($ta, 15, -2)" \
	-c "UPDATE probe.flush SET n = n + 1 WHERE tenant_id = $ta" -c "SELECT 'not reached'" -c "COMMIT")
like "(a) a routed UPDATE whose row trigger runs SET CONSTRAINTS ALL IMMEDIATE on the shard runs the worker's deferred queue then: error at that statement, SQLSTATE kept" \
	"$out" "ERROR:  40001: deferred check failed for id 15 .*SET CONSTRAINTS ALL IMMEDIATE"
unlike "(a) ... (the statements after it do not run)" "$out" "not reached"

# ---- (b) statement forms from a trigger on the shard (SPI, parameters) ----
# probe.form's row trigger runs form NEW.form with the tenant from NEW; each
# in its own transaction, 7 times in one session (PL/pgSQL switches to a
# generic plan after 5: SPI_prepare'd plans with parameters)
out=$( (for k in 1 2 3 4 5 6 7; do for f in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
	echo "INSERT INTO probe.form VALUES ($ta, $((k * 100 + f)), $f);"; done; done) | C postgres)
is "(b) from a trigger on the shard, 7 times each (custom and generic plans): FOR NO KEY UPDATE [SKIP LOCKED] with = ANY(\$2), UPDATE FROM (VALUES)/unnest, INSERT VALUES ON CONFLICT DO NOTHING/DO UPDATE, INSERT SELECT FROM unnest, CTE chains with UPDATE/FOR UPDATE, (t, x) IN (SELECT t, unnest) FOR UPDATE, FOR NO KEY UPDATE OF s over a co-located join, co-located INSERT SELECT" \
	"$out" ""
is "(b) ... all 91 ran" "$(C postgres -c "SELECT count(*) FROM probe.form WHERE tenant_id = $ta")" "91"
out=$(C postgres -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $ta" -c "INSERT INTO probe.form VALUES ($ta, 1000, 14)" -c "COMMIT")
like "(b) from a trigger, the tenant set (SET LOCAL, propagated): WHERE tenant_id = crmscm.current_tenant() (a STABLE function, not a parameter) is not routed: cannot execute a distributed query from a query on a shard" \
	"$out" "ERROR:  cannot execute a distributed query from a query on a shard"
# from the coordinator
explain_tasks() { C postgres -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $ta" -c "EXPLAIN (COSTS OFF) $1" -c "COMMIT" | sed -n 's/^ *Task Count: //p' | head -1; }
is "(b) coordinator: SELECT ... WHERE tenant_id = 2 AND item_id = ANY(...) ORDER BY ... FOR NO KEY UPDATE: 1 task" \
	"$(explain_tasks "SELECT item_id FROM probe.stock WHERE tenant_id = $ta AND item_id = ANY (ARRAY[3,1,2]::bigint[]) ORDER BY item_id FOR NO KEY UPDATE")" "1"
is "(b) coordinator: UPDATE ... FROM (VALUES ...) WHERE tenant_id = const: 1 task" \
	"$(explain_tasks "UPDATE probe.stock s SET qty = s.qty FROM (VALUES (1::bigint), (2)) v(i) WHERE s.tenant_id = $ta AND s.item_id = v.i")" "1"
is "(b) coordinator: INSERT VALUES (..), (..) ON CONFLICT DO UPDATE, one tenant: 1 task" \
	"$(explain_tasks "INSERT INTO probe.stock VALUES ($ta, 1, 5), ($ta, 99, 5) ON CONFLICT (tenant_id, item_id) DO UPDATE SET qty = probe.stock.qty")" "1"
like "(b) coordinator: INSERT ... SELECT FROM unnest(...): pulled to the coordinator, then routed" \
	"$(C postgres -c "EXPLAIN (COSTS OFF) INSERT INTO probe.stock SELECT $ta, u, 0 FROM unnest(ARRAY[100,101]::bigint[]) u ON CONFLICT DO NOTHING")" \
	"INSERT/SELECT method: pull to coordinator"
is "(b) coordinator: WHERE tenant_id = crmscm.current_tenant() is not routed: all 32 shards (SELECT)" \
	"$(explain_tasks "SELECT count(*) FROM probe.stock WHERE tenant_id = crmscm.current_tenant()")" "32"
is "(b) coordinator: ... nor for UPDATE" \
	"$(explain_tasks "UPDATE probe.stock SET qty = qty WHERE tenant_id = crmscm.current_tenant() AND item_id = 1")" "32"
args=(-c "PREPARE p1 (bigint, bigint[]) AS SELECT item_id FROM probe.stock WHERE tenant_id = \$1 AND item_id = ANY (\$2) ORDER BY item_id FOR NO KEY UPDATE" -c "BEGIN")
for k in 1 2 3 4 5 6; do args+=(-c "EXECUTE p1($ta, ARRAY[1,2])"); done
args+=(-c "EXPLAIN (COSTS OFF) EXECUTE p1($ta, ARRAY[1,2])" -c "ROLLBACK")
is "(b) coordinator: PREPARE with \$1 tenant, 7th EXECUTE (generic plan): 1 task" \
	"$(C postgres "${args[@]}" | sed -n 's/^ *Task Count: //p')" "1"
out=$(C postgres -c "BEGIN" -c "SELECT 1 FROM probe.stock s WHERE (s.tenant_id, s.item_id) IN (SELECT u.t, u.i FROM unnest(ARRAY[$ta,$ta]::bigint[], ARRAY[1,2]::bigint[]) u(t, i)) ORDER BY 1 FOR UPDATE OF s" -c "ROLLBACK")
like "(b) coordinator: FOR UPDATE with (tenant_id, x) IN (SELECT FROM unnest(tenants, xs)) (no tenant equality) fails" \
	"$out" "ERROR:  could not run distributed query with FOR UPDATE/SHARE commands"

# ---- (c) tenant setting, rights, roles ------------------------------------
C postgres -c "CREATE ROLE w_citus LOGIN IN ROLE crmscm_writer" -c "CREATE ROLE r_citus LOGIN IN ROLE crmscm_reader" \
	-c "CREATE ROLE crmscm_tenant_$ta NOLOGIN" -c "GRANT crmscm_tenant_$ta TO w_citus" \
	-c "SET crmscm.tenant_id = $ta" -c "INSERT INTO crmscm.customers (tenant_id, name) SELECT t, 'probe ' || t || '-' || g FROM unnest(ARRAY[$ta, $tb, $tc]) t, generate_series(1, 3) g" >/dev/null
W() { psql -qXAt -p "$CPORT" -d postgres -U w_citus "$@" 2>&1; }
seen="SELECT DISTINCT coalesce(nullif(current_setting('crmscm.tenant_id', true), ''), '<unset>') FROM crmscm.customers WHERE tenant_id = $ta"
is "(c) a plain SET crmscm.tenant_id does not reach the shard queries' sessions (they see the setting unset)" \
	"$(C postgres -c "SET crmscm.tenant_id = $ta" -c "$seen")" "<unset>"
is "(c) nor does set_config('crmscm.tenant_id', ..., true) with citus.propagate_set_commands = 'local'" \
	"$(C postgres -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SELECT set_config('crmscm.tenant_id', '$ta', true) IS NULL" -c "$seen" -c "COMMIT")" "f
<unset>"
is "(c) nor a plain SET inside a transaction with propagate_set_commands = 'local'" \
	"$(C postgres -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET crmscm.tenant_id = $ta" -c "$seen" -c "COMMIT")" "<unset>"
is "(c) SET LOCAL crmscm.tenant_id with citus.propagate_set_commands = 'local' does" \
	"$(C postgres -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $ta" -c "$seen" -c "COMMIT")" "$ta"
is "(c) RLS is enforced on the shards with the shard session's tenant: SET LOCAL + propagation, writer reads only tenant $ta" \
	"$(W -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $ta" -c "SELECT string_agg(DISTINCT tenant_id::text, ',') || '|' || count(*) FROM crmscm.customers WHERE name LIKE 'probe %'" -c "COMMIT")" "$ta|3"
out=$(W -c "SET crmscm.tenant_id = $ta" -c "SELECT coalesce(string_agg(DISTINCT tenant_id::text, ','), '-') || '|' || count(*) FROM crmscm.customers WHERE name LIKE 'probe %'")
unlike "(c) ... with a plain SET the same query does not return tenant $ta's rows (the shards use their own, unset tenant)" "$out" "^$ta\|3$"
echo "#   plain SET, unfiltered read as the writer gave: $out"
out=$(W -c "SET crmscm.tenant_id = $ta" -c "INSERT INTO crmscm.customers (name) VALUES ('plain set insert')")
like "(c) ... and an INSERT with a plain SET: the coordinator fills tenant_id = $ta, the shard's WITH CHECK (unset tenant) rejects it" \
	"$out" "ERROR:  (new row violates row-level security policy for table \"customers_[0-9]+\"|.*crmscm.tenant_id)"
is "(c) GRANTs on distributed tables reach the shards and the workers' copies (writer rights on a shard of customers)" \
	"$(P "$pa" postgres -c "SET citus.override_table_visibility = off" -c "SELECT bool_and(has_table_privilege('crmscm_writer', c.oid, 'SELECT,INSERT,UPDATE,DELETE')) FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relname ~ '^customers(_[0-9]+)?\$'")" "t"
is "(c) roles and memberships are propagated to the workers (w_citus in crmscm_writer and crmscm_tenant_$ta on :$pa)" \
	"$(P "$pa" postgres -c "SELECT pg_has_role('w_citus', 'crmscm_writer', 'MEMBER') AND pg_has_role('w_citus', 'crmscm_tenant_$ta', 'MEMBER')")" "t"
# views: shard queries run as the user of the coordinator session.  On
# probe tables (crmscm's own grants are apply_security()'s, issue #12).
R() { psql -qXAt -p "$CPORT" -d postgres -U r_citus -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $ta" "$@" -c "COMMIT" 2>&1; }
C postgres -c "CREATE TABLE probe.sec (tenant_id bigint NOT NULL, n int NOT NULL)" \
	-c "SELECT create_distributed_table('probe.sec', 'tenant_id', colocate_with => 'crmscm.items')" \
	-c "INSERT INTO probe.sec SELECT t, g FROM unnest(ARRAY[$ta, $tb]) t, generate_series(1, 3) g" \
	-c "CREATE ROLE probe_owner NOLOGIN" -c "GRANT USAGE ON SCHEMA probe TO probe_owner, crmscm_reader" \
	-c "GRANT SELECT ON probe.sec TO probe_owner" \
	-c "CREATE VIEW probe.sec_owned AS SELECT tenant_id, n FROM probe.sec" -c "ALTER VIEW probe.sec_owned OWNER TO probe_owner" \
	-c "GRANT SELECT ON probe.sec_owned TO crmscm_reader" \
	-c "CREATE VIEW probe.sec_invoker WITH (security_invoker = true) AS SELECT tenant_id, n FROM probe.sec" \
	-c "GRANT SELECT ON probe.sec_invoker TO crmscm_reader" >/dev/null
out=$(R -c "SELECT count(*) FROM probe.sec_owned WHERE tenant_id = $ta")
like "(c) a view owned by another role (not security_invoker, as 0.2.0's crmscm_admin views): a reader gets permission denied on the shard (shard queries run as the reader)" \
	"$out" "ERROR:  permission denied for table sec_[0-9]+"
out=$(R -c "SELECT count(*) FROM probe.sec_invoker WHERE tenant_id = $ta")
like "(c) a security_invoker view without SELECT on the table: permission denied (on the coordinator)" "$out" "ERROR:  permission denied for table sec\b"
C postgres -c "GRANT SELECT ON probe.sec TO crmscm_reader" >/dev/null
is "(c) ... with SELECT on the table granted to the reader: the reader reads it through the coordinator" \
	"$(R -c "SELECT count(*) FROM probe.sec_invoker WHERE tenant_id = $ta")" "3"
is "(c) crmscm's views (security_invoker, readers have SELECT on the tables under RLS, #12): a reader reads customer_360 through the coordinator, its tenant's rows only" \
	"$(R -c "SELECT string_agg(DISTINCT tenant_id::text, ',') || '|' || count(*) FROM crmscm.customer_360 WHERE tenant_id = $ta AND name LIKE 'probe %'")" "$ta|3"
like "(c) ... without the tenant as a constant (not routed), customer_360 (outer joins) fails on PostgreSQL 15: Citus cannot plan outer joins with pseudoconstant quals over all shards" \
	"$(R -c "SELECT count(*) FROM crmscm.customer_360 WHERE name LIKE 'probe %'")" "ERROR:  Distributed queries with outer joins and pseudoconstant quals are not supported in PG14, PG15 and PG16"
out=$(W -c "BEGIN" -c "SET LOCAL ROLE crmscm_writer" -c "SELECT count(*) FROM crmscm.customers WHERE tenant_id = $ta" -c "COMMIT")
like "(c) SET ROLE to a NOLOGIN group role: Citus connects to the workers as that role and fails" \
	"$out" "role \"crmscm_writer\" is not permitted to log in"
out=$(W -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $ta" -c "SELECT probe.who($ta)" -c "COMMIT")
is "(c) a SECURITY DEFINER function's shard queries run as its owner (session_user on the worker), with the propagated tenant" "$out" "postgres/$ta"

# ---- (d) identity columns --------------------------------------------------
out=$(C postgres -c "INSERT INTO probe.ident VALUES ($ta, 1), ($tb, 1), ($tc, 1), ($ta, 2), ($tb, 2)")
is "(d) a trigger on a worker inserts into crmscm.customers with the default id (the worker copy's identity)" "$out" ""
is "(d) ids are unique across coordinator and workers" \
	"$(C postgres -c "SELECT count(*) - count(DISTINCT customer_id) FROM crmscm.customers")" "0"
is "(d) the worker-made ids lie in their node's range (group << 48), the coordinator's below 2^48" \
	"$(C postgres -c "SELECT bool_and(CASE WHEN name = 'from trigger' THEN customer_id > (1::bigint << 48) ELSE customer_id < (1::bigint << 48) END) FROM crmscm.customers")" "t"
is "(d) a worker's copy hands out ids from (group << 48) + 1 (crmscm._citus_worker_sequences(), run by the install script on the worker)" \
	"$(P "$pa" postgres -c "SELECT q.seqstart = (g.groupid::bigint << 48) + 1 FROM pg_sequence q, pg_dist_local_group g WHERE q.seqrelid = 'crmscm.customers_customer_id_seq'::regclass")" "t"

# ---- (e) aggregates ----------------------------------------------------------
C postgres -c "INSERT INTO probe.leads SELECT t, g, (hashint8(g * 7 + t) % 3 = 0), ARRAY[(g % 17)::float8 / 17, (g % 5)::float8], g % 10, now() - (g % 100) * interval '1 day' FROM generate_series(1, 4) t, generate_series(1, 2000) g" >/dev/null
out=$(C postgres -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT crmscm.lead_model_fit(converted, f) FROM probe.leads WHERE tenant_id = $ta")
like "(e) lead_model_fit with a tenant filter: one task, the whole aggregate on the worker" "$out" \
	"Task Count: 1 .*Query: SELECT crmscm.lead_model_fit\(converted, f\) AS lead_model_fit FROM probe.leads_[0-9]+ leads WHERE \(tenant_id OPERATOR\(pg_catalog.=\) $ta\)"
out=$(C postgres -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT crmscm.lead_model_fit(converted, f) FROM probe.leads")
like "(e) lead_model_fit over all tenants: not pushed down, the shards send raw rows and the coordinator aggregates them (internal state: no partial aggregation)" "$out" \
	"^Aggregate +Output: crmscm.lead_model_fit\(remote_scan.lead_model_fit, remote_scan.lead_model_fit_1\) .*Task Count: 32 .*Query: SELECT converted AS lead_model_fit, f AS lead_model_fit FROM"
out=$(C postgres -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT tenant_id, crmscm.lead_model_fit(converted, f) FROM probe.leads GROUP BY tenant_id")
like "(e) GROUP BY tenant_id: each shard aggregates its tenants" "$out" "Query: SELECT tenant_id, crmscm.lead_model_fit\(converted, f\) AS lead_model_fit FROM probe.leads_[0-9]+ leads WHERE true GROUP BY tenant_id"
out=$(C postgres -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT crmscm.engagement_score(pts, at, interval '30 days', '2026-01-01') FROM probe.leads")
like "(e) engagement_score (float8 state, COMBINEFUNC float8pl) over all tenants: partial aggregation (worker_partial_agg, coord_combine_agg)" "$out" \
	"coord_combine_agg\(.*worker_partial_agg\("
