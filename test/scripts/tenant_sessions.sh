#!/usr/bin/env bash
# Tenant isolation across real sessions and transactions (issue #12,
# doc/security.md), as login roles connecting with psql: what one
# transaction of test/pgtap/tenant_attacks.sql cannot show.  TAP.
#
#   - the pooled-connection pattern: the tenant set per transaction with
#     set_config(..., true) is gone at COMMIT, so the next transaction on the
#     same connection has none (an error, not the previous tenant);
#   - COPY (SELECT ...) TO STDOUT, COPY FROM, cursors WITH HOLD read after
#     COMMIT, prepared statements executed in a later transaction;
#   - pins changed by another session take effect at once (syscache
#     invalidation), ALTER ROLE ... SET cannot lift a pin, parallel workers
#     apply the pin of the leader's login role.
# The database has no crmscm.tenant_id setting: unset means unset.
set -uo pipefail
db=crmscm_sessions
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; return "$1"; }
show() { sed 's/^/# /' <<<"$1"; }
as() { local r=$1; shift; psql -qXAt -v ON_ERROR_STOP=1 -U "$r" -d "$db" "$@"; }
roles="ses_w1 ses_w2 ses_app ses_a1"
cleanup() {
	dropdb --if-exists "$db" 2>/dev/null
	for r in $roles; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
	for t in $created_pins; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $t" >/dev/null 2>&1; done
}
created_pins=
trap cleanup EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
for t in crmscm_tenant_1 crmscm_tenant_2; do
	if [ -z "$(psql -qXAt -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$t'")" ]; then
		psql -qX -d postgres -c "CREATE ROLE $t NOLOGIN" >/dev/null && created_pins+=" $t"
	fi
done
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || { echo "not ok 1 - setup"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
DO $$ DECLARE r text; BEGIN
	FOREACH r IN ARRAY ARRAY['ses_w1', 'ses_w2', 'ses_app', 'ses_a1'] LOOP
		EXECUTE format('DROP ROLE IF EXISTS %I', r);
	END LOOP;
END $$;
CREATE ROLE ses_w1 LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;		-- pinned to 1
CREATE ROLE ses_w2 LOGIN IN ROLE crmscm_writer, crmscm_tenant_2;		-- pinned to 2
CREATE ROLE ses_a1 LOGIN IN ROLE crmscm_admin, crmscm_tenant_1;
CREATE ROLE ses_app LOGIN IN ROLE crmscm_writer;						-- an application: any tenant
DO $$ DECLARE t int; BEGIN
	FOR t IN 1..2 LOOP
		PERFORM set_config('crmscm.tenant_id', t::text, true);
		INSERT INTO crmscm.customers (customer_id, name)
			SELECT i, 'tenant ' || t || ' customer ' || i FROM generate_series(1, 3000) i;
	END LOOP;
END $$;
ANALYZE crmscm.customers;
SQL
echo "1..19"

# 1. the pooled pattern ------------------------------------------------------
out=$(as ses_app 2>&1 <<'SQL'
\set ON_ERROR_STOP 0
INSERT INTO crmscm.customers (name) VALUES ('forgot the tenant');
BEGIN;
SELECT set_config('crmscm.tenant_id', '2', true) IS NOT NULL;
INSERT INTO crmscm.customers (customer_id, name) VALUES (9001, 'pooled, tenant 2');
COMMIT;
INSERT INTO crmscm.customers (name) VALUES ('next transaction, same connection');
SELECT 'tenant after commit: [' || current_setting('crmscm.tenant_id') || ']';
SQL
)
grep -q 'ERROR:  no tenant selected: setting "crmscm.tenant_id" is not set' <<<"$out" \
	&& grep -q "HINT:  Applications set it at the start of each transaction: SELECT set_config('crmscm.tenant_id', \$1, true)" <<<"$out"
ok $? "pooled connection, no tenant: an error with the per-transaction pattern as hint" || show "$out"
[ "$(grep -c 'no tenant selected' <<<"$out")" = 2 ] && grep -q 'tenant after commit: \[\]' <<<"$out"
ok $? "set_config(..., true) ends with the transaction: the next one on the connection has no tenant again" || show "$out"
[ "$(psql -qXAt -d "$db" -c "SELECT string_agg(tenant_id || ':' || name, ',') FROM crmscm.customers WHERE customer_id = 9001 OR name LIKE '%forgot%' OR name LIKE 'next%'")" = "2:pooled, tenant 2" ]
ok $? "only the transaction that set its tenant wrote, into that tenant"

# 2. COPY ----------------------------------------------------------------
out=$(as ses_w1 -c "SET crmscm.tenant_id = 1" -c "SET enable_indexscan = off" -c "SET enable_bitmapscan = off" \
	-c "COPY (SELECT tenant_id, name FROM crmscm.customers WHERE pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL) TO STDOUT" 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -q 'ERROR:  role "ses_w1" may not act for tenant 2' <<<"$out" && ! grep -q '^2' <<<"$out"
ok $? "COPY (SELECT ... set_config() switching to tenant 2) TO STDOUT as pinned w1: an error, no tenant-2 row out ($(grep -c '^1' <<<"$out") tenant-1 rows before it)" \
	|| show "$(head -3 <<<"$out")"
out=$(as ses_w1 -c "SET crmscm.tenant_id = 1" -c "COPY crmscm.customers (tenant_id) TO STDOUT" 2>&1 | sort | uniq -c | tr -s ' ')
[ "$out" = " 3000 1" ]
ok $? "COPY crmscm.customers TO STDOUT as pinned w1 in tenant 1: its 3000 rows, all tenant 1 ($out)"
out=$(printf '2\t9002\tplanted\n' | as ses_app -c "SET crmscm.tenant_id = 1" \
	-c "COPY crmscm.customers (tenant_id, customer_id, name) FROM STDIN" 2>&1)
rc=$?
[ $rc -ne 0 ] && [ "$(psql -qXAt -d "$db" -c "SELECT count(*) FROM crmscm.customers WHERE customer_id = 9002")" = 0 ]
ok $? "COPY FROM STDIN of a tenant-2 row in tenant 1: refused ($(head -1 <<<"$out"))"

# 3. cursors WITH HOLD across commits --------------------------------------
out=$(as ses_w1 2>&1 <<'SQL'
\set ON_ERROR_STOP 0
BEGIN;
SET LOCAL crmscm.tenant_id = 1;
DECLARE held CURSOR WITH HOLD FOR SELECT tenant_id FROM crmscm.customers ORDER BY customer_id;
FETCH 2 FROM held;
COMMIT;
SET crmscm.tenant_id = 2;
SELECT 'after commit';
FETCH ALL FROM held;
CLOSE held;
SQL
)
rows=$(sed -n '/after commit/,$p' <<<"$out" | grep -c '^1$')
other=$(grep -c '^2$' <<<"$out")
[ "$rows" = 2998 ] && [ "$other" = 0 ] && ! grep -q ERROR <<<"$out"
ok $? "cursor WITH HOLD declared in tenant 1, read after COMMIT with the session in tenant 2: tenant 1's remaining 2998 rows, no tenant-2 row" \
	|| show "$(grep -v '^1$' <<<"$out" | head -5)"
out=$(as ses_w1 2>&1 <<'SQL'
\set ON_ERROR_STOP 0
SET enable_indexscan = off;
SET enable_bitmapscan = off;
BEGIN;
SET LOCAL crmscm.tenant_id = 1;
DECLARE held CURSOR WITH HOLD FOR SELECT tenant_id FROM crmscm.customers;
FETCH 1 FROM held;
SET LOCAL crmscm.tenant_id = 2;
COMMIT;
FETCH ALL FROM held;
SQL
)
grep -q 'ERROR:  role "ses_w1" may not act for tenant 2' <<<"$out" && ! grep -q '^2$' <<<"$out" \
	&& [ "$(grep -c '^1$' <<<"$out")" = 1 ]
ok $? "cursor WITH HOLD whose rest is read at COMMIT after SET LOCAL crmscm.tenant_id = 2: the commit fails, nothing more is read" \
	|| show "$(grep -v '^1$' <<<"$out" | head -5)"

# 4. prepared statements across transactions --------------------------------
out=$(as ses_w1 2>&1 <<'SQL'
\set ON_ERROR_STOP 0
BEGIN;
SET LOCAL crmscm.tenant_id = 1;
PREPARE names AS SELECT count(*) FROM crmscm.customers WHERE tenant_id = 2;
EXECUTE names;
COMMIT;
BEGIN;
SELECT set_config('crmscm.tenant_id', '2', true) IS NOT NULL;
EXECUTE names;
COMMIT;
SQL
)
grep -q 'ERROR:  role "ses_w1" may not act for tenant 2' <<<"$out" && grep -q '^0$' <<<"$out"
ok $? "prepared in tenant 1 (0 tenant-2 rows), executed in a later transaction set to tenant 2: an error" || show "$out"

# 5. pins follow role changes of other sessions at once -------------------
out=$(as ses_w1 2>&1 <<'SQL'
\set ON_ERROR_STOP 0
SET crmscm.tenant_id = 2;
SELECT 'before: ' || count(*) FROM crmscm.customers;
\! psql -qX -d postgres -c 'GRANT crmscm_tenant_2 TO ses_w1' >/dev/null
SELECT 'granted: ' || count(*) FROM crmscm.customers;
\! psql -qX -d postgres -c 'REVOKE crmscm_tenant_2 FROM ses_w1' >/dev/null
SELECT 'revoked: ' || count(*) FROM crmscm.customers;
\! psql -qX -d postgres -c 'ALTER ROLE crmscm_tenant_1 RENAME TO ses_no_pin' >/dev/null
SELECT 'pin renamed away: ' || count(*) FROM crmscm.customers;
\! psql -qX -d postgres -c 'ALTER ROLE ses_no_pin RENAME TO crmscm_tenant_1' >/dev/null
SELECT 'pin back: ' || count(*) FROM crmscm.customers;
SQL
)
[ "$(grep -c 'may not act for tenant 2' <<<"$out")" = 3 ] && grep -q '^granted: 3001$' <<<"$out" \
	&& grep -q '^pin renamed away: 3001$' <<<"$out" && ! grep -q '^before\|^revoked\|^pin back' <<<"$out"
ok $? "another session's GRANT, REVOKE and RENAME of pin roles apply to an open session at its next statement (renamed away: unpinned)" || show "$out"
psql -qX -d postgres -c "ALTER ROLE ses_w1 SET crmscm.tenant_id = 2" >/dev/null
out=$(as ses_w1 -c "SELECT count(*) FROM crmscm.customers" 2>&1)
psql -qX -d postgres -c "ALTER ROLE ses_w1 RESET crmscm.tenant_id" >/dev/null
grep -q 'may not act for tenant 2' <<<"$out"
ok $? "ALTER ROLE ses_w1 SET crmscm.tenant_id = 2 does not lift its pin to tenant 1" || show "$out"
psql -qX -d postgres -c "ALTER ROLE ses_app IN DATABASE $db SET crmscm.tenant_id = 2" >/dev/null
out=$(as ses_app -c "SELECT count(*) || ' of tenant ' || min(tenant_id) FROM crmscm.customers" 2>&1)
[ "$out" = "3001 of tenant 2" ]
ok $? "an unpinned role's tenant can be set per role and database (ALTER ROLE ... IN DATABASE ... SET): $out"
out=$(as ses_w2 -c "SET SESSION AUTHORIZATION ses_w1" 2>&1)
[ $? -ne 0 ]
ok $? "a pinned login role cannot change session_user (SET SESSION AUTHORIZATION is for superusers)"
out=$(as ses_w2 -c "SET crmscm.tenant_id = 2" -c "SET ROLE crmscm_writer" -c "SET crmscm.tenant_id = 1" -c "SELECT count(*) FROM crmscm.customers" 2>&1)
grep -q 'role "ses_w2" may not act for tenant 1' <<<"$out"
ok $? "SET ROLE to a group role does not escape the pin of the login role" || show "$out"

# 6. parallel workers apply the leader's pin ------------------------------
par="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET enable_indexscan = off; SET enable_bitmapscan = off;"
plan=$(as ses_w1 -c "SET crmscm.tenant_id = 1; $par" -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM crmscm.customers" 2>&1)
grep -q 'Parallel Seq Scan' <<<"$plan"
ok $? "control: the count below runs as a parallel sequential scan" || show "$plan"
out=$(as ses_w1 -c "SET crmscm.tenant_id = 1; $par" -c "SELECT count(*) FROM crmscm.customers" 2>&1)
[ "$out" = 3000 ]
ok $? "parallel scan as pinned w1 in tenant 1: its 3000 rows ($out)"
out=$(as ses_w1 -c "SET crmscm.tenant_id = 1; $par SET force_parallel_mode = on;" \
	-c "SELECT count(*) FROM crmscm.customers WHERE pg_catalog.length(name) > 0 AND tenant_id = 1" \
	-c "SET crmscm.tenant_id = 2" -c "SELECT count(*) FROM crmscm.customers" 2>&1)
grep -q 'may not act for tenant 2' <<<"$out" && grep -q '^3000$' <<<"$out"
ok $? "... and in tenant 2 an error, also when the workers evaluate the policy" || show "$out"

# 7. the SECURITY DEFINER API as a login role in separate sessions ---------
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
DO $$ DECLARE t int; BEGIN
	FOR t IN 1..2 LOOP
		PERFORM set_config('crmscm.tenant_id', t::text, true);
		INSERT INTO crmscm.items (item_id, sku, name) VALUES (11, 'A', 'a');
		INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (11, 'w', '(50,10)');
		INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (11, 11, 10, 'receipt');
		INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES (11, 1, 'confirmed');
		INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (11, 1, 11, 6);
		INSERT INTO crmscm.purchase_orders (po_id, status) VALUES (11, 'ordered');
		INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (11, 1, 11, 11, 4);
	END LOOP;
END $$;
SQL
before=$(psql -qXAt -d "$db" -c "SELECT string_agg(on_hand || '/' || reserved || '/' || on_order, ',') FROM crmscm.inventory WHERE tenant_id = 2")
out=$(as ses_w1 -c "SET crmscm.tenant_id = 2" -c "SELECT crmscm.ship(11, 1, 5)" 2>&1; as ses_w1 -c "SET crmscm.tenant_id = 2" -c "SELECT crmscm.receive(11, 1, 3)" 2>&1)
after=$(psql -qXAt -d "$db" -c "SELECT string_agg(on_hand || '/' || reserved || '/' || on_order, ',') FROM crmscm.inventory WHERE tenant_id = 2")
[ "$(grep -c 'may not act for tenant 2' <<<"$out")" = 2 ] && [ "$before" = "$after" ] && [ "$after" = "10/6/4" ]
ok $? "pinned w1 with SET crmscm.tenant_id = 2: ship(11,1,5) and receive(11,1,3) refused, tenant 2's stock unchanged ($after)" || show "$out"
out=$(as ses_a1 -c "SET crmscm.tenant_id = 2" -c "SELECT crmscm.refit_models()" 2>&1; as ses_a1 -c "SET crmscm.tenant_id = 2" -c "SELECT crmscm.refresh_customer_lifetime()" 2>&1;
	as ses_a1 -c "SET crmscm.tenant_id = 2" -c "SELECT crmscm.lead_model_train('x')" 2>&1)
[ "$(grep -c 'may not act for tenant 2' <<<"$out")" = 3 ]
ok $? "pinned a1 with SET crmscm.tenant_id = 2: refit_models(), refresh_customer_lifetime(), lead_model_train() refused" || show "$out"
exit $fail
