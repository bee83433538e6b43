# Tenant isolation through the coordinator (issue #16), sourced by
# test/citus/citus.sh: the checks of the single-node suites
# test/pgtap/tenant_isolation.sql and test/pgtap/tenant_attacks.sql, as login
# roles connecting to the coordinator, each transaction with SET LOCAL
# crmscm.tenant_id (citus.propagate_set_commands = 'local', the database's
# setting).  The sample data (sec_test.fill()), the helpers and the list of
# function and trigger paths are taken from tenant_isolation.sql itself, so
# a path added there is checked here too.  The differences, each because of
# Citus: every role block runs in transactions of its own (Citus refuses one
# transaction that changes shards as two users, 25001); inserts are INSERT
# ... VALUES (Citus turns an INSERT ... SELECT it cannot push down into a
# COPY, which row-level security refuses before any policy: 0A000); an
# UPDATE of tenant_id is refused by Citus (0A000, the distribution column)
# before the policy; and a view owned by a superuser does not leak on Citus
# (the shards run it as the caller), so the control that shows the view
# checks can see a leak is a view over a SECURITY DEFINER function.
sdbs=crm_sec
for port in "$CPORT" "$W1PORT" "$W2PORT"; do P "$port" postgres -c "CREATE DATABASE $sdbs" >/dev/null; done
for port in "$W1PORT" "$W2PORT"; do P "$port" "$sdbs" -c "CREATE EXTENSION citus" >/dev/null; done
src=test/pgtap/tenant_isolation.sql
setup=$(
	echo "SET client_min_messages = warning;"
	awk '/^CREATE SCHEMA sec_test;/ { on = 1 } /^-- The customer-lifetime triggers are deferred/ { on = 0 } on' "$src"
	awk '/^-- Helpers, run by the tenant-2 role/ { on = 1 } on { print } /^GRANT USAGE ON SCHEMA sec_test TO PUBLIC;/ { on = 0 }' "$src"
	awk '/^CREATE TEMP TABLE paths/ { on = 1 } /^-- Views: the generic checks below/ { on = 0 } on' "$src" |
		sed 's/^CREATE TEMP TABLE paths/CREATE TABLE sec_test.paths/; s/^INSERT INTO paths VALUES/INSERT INTO sec_test.paths VALUES/'
)
out=$(C "$sdbs" -c "CREATE EXTENSION citus" -c "SELECT citus_set_coordinator_host('127.0.0.1', $CPORT)" \
	-c "SELECT citus_add_node('127.0.0.1', $W1PORT)" -c "SELECT citus_add_node('127.0.0.1', $W2PORT)" \
	-c "CREATE EXTENSION crmscm" -c "SELECT crmscm.distribute()" \
	-c "ALTER DATABASE $sdbs SET citus.propagate_set_commands = 'local'" 2>&1 | grep -v '^$\|^[0-9]*$')
is "tenancy: crmscm distributed in $sdbs, citus.propagate_set_commands = 'local' for the database" "$out" ""
# the fills and the rest, each fill a transaction of its tenant
out=$(C "$sdbs" -c "$setup" 2>&1)
out+=$(C "$sdbs" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = 1" -c "SELECT sec_test.fill(1)" -c "COMMIT" 2>&1 | grep -v 'sample row refused\|^$')
out+=$(C "$sdbs" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = 2" -c "SELECT sec_test.fill(2)" -c "COMMIT" 2>&1 | grep -v 'sample row refused\|^$')
is "tenancy: tenant_isolation.sql's sample data of tenants 1 and 2 (sec_test.fill()), helpers and paths ($(C "$sdbs" -c "SELECT count(*) FROM sec_test.paths") of them) loaded" "$out" ""
out=$(C "$sdbs" -c "SET client_min_messages = warning" -c "
CREATE TABLE sec_test.tenant_tables AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 2;
CREATE TABLE sec_test.tenant_views AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v' ORDER BY 2;
-- INSERT ... VALUES of a copy (made now, as literals) of one tenant-2 row
-- with tenant_id 1 (on Citus, INSERT ... SELECT is a COPY: see above)
CREATE FUNCTION sec_test.values_as_tenant1(tab regclass) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE cols text; texts text; types text[]; names name[]; v text[]; vals text;
BEGIN
	SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum), string_agg(format('t.%I::text', attname), ', ' ORDER BY attnum),
		   array_agg(format_type(atttypid, atttypmod) ORDER BY attnum), array_agg(attname ORDER BY attnum)
	  INTO cols, texts, types, names
	  FROM pg_attribute WHERE attrelid = tab AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
	EXECUTE format('SELECT ARRAY[%s] FROM %s t WHERE tenant_id = 2 LIMIT 1', texts, tab) INTO v;
	SELECT string_agg(CASE WHEN names[i] = 'tenant_id' THEN '1' ELSE format('%L::%s', v[i], types[i]) END, ', ' ORDER BY i)
	  INTO vals FROM generate_subscripts(names, 1) i;
	RETURN format('INSERT INTO %s (%s) VALUES (%s)', tab, cols, vals);
END \$\$;
CREATE TABLE sec_test.pinned_inserts AS SELECT name, sec_test.values_as_tenant1(tab) AS sql FROM sec_test.tenant_tables;
-- refused: 42501 (policy, privilege), 23000 (crmscm's guard), 23514 (the
-- append-only ledger), or Citus's refusal to change the distribution column
CREATE FUNCTION sec_test.refusal_c(q text) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
	EXECUTE q;
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN CASE WHEN SQLSTATE IN ('42501', '23000', '23514') THEN 'refused'
				WHEN SQLSTATE = '0A000' AND SQLERRM LIKE 'modifying the partition value of rows is not allowed%' THEN 'refused'
				ELSE SQLSTATE || ': ' || SQLERRM END;
END \$\$;
-- what a query returns as the tenants of its rows ('tenants 2'), or the
-- SQLSTATE it fails with: q selects string_agg(DISTINCT tenant_id::text, ',')
CREATE FUNCTION sec_test.tenants_of(q text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE r text;
BEGIN
	EXECUTE q INTO r;
	RETURN 'tenants ' || COALESCE(r, 'none');
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END \$\$;
-- the control: a view that leaks on Citus too (a SECURITY DEFINER function
-- of the owner reads the table beyond row-level security)
CREATE FUNCTION sec_test.all_customers() RETURNS SETOF bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
	AS 'SELECT tenant_id FROM crmscm.customers';
CREATE VIEW sec_test.leaky_view AS SELECT t AS tenant_id FROM sec_test.all_customers() t;
-- and a view owned by the owner (a superuser), not security_invoker
CREATE VIEW sec_test.owner_view AS SELECT tenant_id FROM crmscm.customers;
GRANT SELECT ON ALL TABLES IN SCHEMA sec_test TO PUBLIC;
-- tenant 1's rows per table, as the owner
CREATE TABLE sec_test.snap AS SELECT name, sec_test.count_of(format('SELECT COALESCE(sum(hashtext(t::text)), 0) FROM %s t WHERE tenant_id = 1', tab)) AS h
	FROM sec_test.tenant_tables;
CREATE TABLE sec_test.count2 AS SELECT name, sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id = 2', tab)) AS n
	FROM sec_test.tenant_tables;
GRANT SELECT ON ALL TABLES IN SCHEMA sec_test TO PUBLIC;
DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_2') THEN CREATE ROLE crmscm_tenant_2 NOLOGIN; END IF;
END \$\$;
CREATE ROLE sec_admin2 LOGIN IN ROLE crmscm_admin;
CREATE ROLE sec_reader2 LOGIN IN ROLE crmscm_reader;
CREATE ROLE sec_pin_group NOLOGIN IN ROLE crmscm_tenant_2;
CREATE ROLE sec_pinned LOGIN IN ROLE crmscm_admin, sec_pin_group;" 2>&1)
is "tenancy: check tables, the snapshot of tenant 1, login roles (an unpinned admin, a reader, an admin pinned to tenant 2 through a group)" "$out" ""

# Q ROLE TENANT SQL...: one transaction as the login role (tenant '' = unset)
Q() { local role=$1 t=$2; shift 2; local set=(); [ -n "$t" ] && set=(-c "SET LOCAL crmscm.tenant_id = $t")
	psql -qXAt -h 127.0.0.1 -p "$CPORT" -U "$role" -d "$sdbs" -c "SET client_min_messages = error" -c "BEGIN" "${set[@]}" "$@" -c "ROLLBACK" 2>&1; }
# rows "label|got|want" -> TAP
rows() { local l got want; while IFS='|' read -r l got want; do
	[ -n "$l" ] || continue; is "tenancy: $l" "$got" "$want"; done <<<"$1"; }

# -- setup sanity, as the owner
rows "$(Q postgres 1 -c "SELECT 'every table of the order model (doc/orders.md) has a tenant_id column|' || (count(*) >= 11) || '|true' FROM sec_test.tenant_tables
	UNION ALL SELECT 'row-level security is enabled on every tenant table (coordinator)|' || count(*) FILTER (WHERE NOT c.relrowsecurity) || '|0'
		FROM sec_test.tenant_tables t JOIN pg_class c ON c.oid = t.tab
	UNION ALL SELECT 'every view has a tenant_id column|' || count(*) || '|0' FROM pg_class c
		WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v' AND c.oid NOT IN (SELECT tab FROM sec_test.tenant_views)
	UNION ALL (SELECT name || ': tenant 1 has rows to protect|' || (sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id = 1', tab)) > 0) || '|true'
		FROM sec_test.tenant_tables ORDER BY name)")"

# -- the unpinned admin working in tenant 2
rows "$(Q sec_admin2 2 -c "SELECT 'control: a view over a SECURITY DEFINER function of the owner leaks tenant 1 (so the view checks can fail)|'
		|| (sec_test.count_of('SELECT count(*) FROM sec_test.leaky_view WHERE tenant_id = 1') > 0) || '|true'
	UNION ALL SELECT 'a view owned by a superuser, not security_invoker, does not leak on Citus (the shards run it as the caller)|'
		|| sec_test.count_of('SELECT count(*) FROM sec_test.owner_view WHERE tenant_id = 1') || '|0'
	UNION ALL (SELECT name || ': SELECT sees no tenant-1 row|' || sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id = 1', tab)) || '|0'
		FROM sec_test.tenant_tables ORDER BY name)
	UNION ALL (SELECT name || ': SELECT sees the own tenant''s rows|' || (sec_test.count_of(format('SELECT count(*) FROM %s', tab)) > 0) || '|true'
		FROM sec_test.tenant_tables ORDER BY name)
	UNION ALL (SELECT name || ': UPDATE changes no tenant-1 row|' || sec_test.affected(format('UPDATE %s SET tenant_id = tenant_id WHERE tenant_id = 1', tab)) || '|0'
		FROM sec_test.tenant_tables ORDER BY name)
	UNION ALL (SELECT name || ': DELETE removes no tenant-1 row|' || sec_test.affected(format('DELETE FROM %s WHERE tenant_id = 1', tab)) || '|0'
		FROM sec_test.tenant_tables ORDER BY name)
	UNION ALL (SELECT name || ': a subquery sees no tenant-1 row|' || sec_test.count_of(format('SELECT count(*) FROM %s t WHERE EXISTS (SELECT FROM %s u WHERE u.tenant_id = 1)', tab, tab)) || '|0'
		FROM sec_test.tenant_tables ORDER BY name)
	UNION ALL (SELECT name || ': INSERT of a tenant-1 row is refused|' || sec_test.refusal_c(sql) || '|refused'
		FROM sec_test.pinned_inserts ORDER BY name)
	UNION ALL (SELECT name || ': UPDATE cannot move a row to tenant 1|' || sec_test.refusal_c(format('UPDATE %s SET tenant_id = 1', tab)) || '|refused'
		FROM sec_test.tenant_tables ORDER BY name)
	UNION ALL (SELECT name || ': view shows no tenant-1 row|' || sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id = 1', tab)) || '|0'
		FROM sec_test.tenant_views ORDER BY name)
	UNION ALL (SELECT name || ': view shows only tenant 2|' || sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id <> 2', tab)) || '|0'
		FROM sec_test.tenant_views ORDER BY name)")"
rows "$(Q sec_reader2 2 -c "(SELECT name || ': view shows a crmscm_reader only tenant 2|' || sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id <> 2', tab)) || '|0'
		FROM sec_test.tenant_views ORDER BY name)
	UNION ALL SELECT 'a crmscm_reader reads the tables behind the views (security_invoker), tenant 2''s rows only|'
		|| sec_test.count_of('SELECT count(*) FROM crmscm.customers WHERE tenant_id <> 2') || '/'
		|| (sec_test.count_of('SELECT count(*) FROM crmscm.customers') > 0) || '|0/true'")"

# -- the function and trigger paths of tenant_isolation.sql, each in a
#    transaction of its own (a failed path ends its transaction)
while IFS='|' read -r pname; do
	[ -n "$pname" ] || continue
	got=$(Q sec_admin2 2 -c "SELECT CASE WHEN expect = 'count' THEN sec_test.count_of(sql)::text ELSE sec_test.sqlstate_of(sql) END
		|| '|' || CASE WHEN expect = 'count' THEN '0' ELSE expect END FROM sec_test.paths WHERE name = \$\$$pname\$\$")
	is "tenancy: path: $pname" "${got%%|*}" "${got#*|}"
done <<<"$(C "$sdbs" -c "SELECT name FROM sec_test.paths ORDER BY name")"

# -- tenant 2 writes to every table it may, then tenant 1 is compared
out=$(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U sec_admin2 -d "$sdbs" 2>&1 <<'SQL'
\set ON_ERROR_STOP on
BEGIN;
SET LOCAL crmscm.tenant_id = 2;
UPDATE crmscm.leads SET stage = 'contacted' WHERE stage = 'qualified';
INSERT INTO crmscm.lead_events (lead_id, kind) VALUES (201, 'web_visit'), (202, 'web_visit');
UPDATE crmscm.lead_scoring_rules SET points = points + 1;
UPDATE crmscm.lifetime_models SET at_risk_days = at_risk_days + 1;
UPDATE crmscm.sales_orders SET status = 'confirmed' WHERE status = 'draft';
UPDATE crmscm.sales_order_lines SET qty = qty + 1 WHERE status = 'open';
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (201, 201, 3, 'receipt');
UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE status = 'draft';
-- (a loop, not SELECT crmscm.receive(...) FROM purchase_order_lines: Citus
-- would push the call into the shard query, where its SQL cannot run)
DO $$DECLARE r record; BEGIN
	FOR r IN SELECT l.po_id, l.line_no FROM crmscm.purchase_order_lines l
	           JOIN crmscm.purchase_orders p ON p.tenant_id = l.tenant_id AND p.po_id = l.po_id
	          WHERE l.tenant_id = 2 AND p.tenant_id = 2 AND p.status = 'ordered' LOOP
		PERFORM crmscm.receive(r.po_id, r.line_no, 1);
	END LOOP; END $$;
UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE status <> 'closed';
SELECT crmscm.reserve_pending(2);
COMMIT;
SQL
)
is "tenancy: tenant 2 changes leads and settings, confirms, changes, receives and cancels (committed, triggers fired)" "$out" ""
out=$(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U sec_admin2 -d "$sdbs" 2>&1 <<'SQL'
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.reservations; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.backorders; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.sales_order_lines; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.sales_orders; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.purchase_order_lines; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.purchase_orders; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.lead_events; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.leads; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.lead_models; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.lead_scoring_rules; COMMIT;
BEGIN; SET LOCAL crmscm.tenant_id = 2; DELETE FROM crmscm.lifetime_models; COMMIT;
SQL
)
is "tenancy: ... then deletes from every table it may (crmscm_admin: not the bookkeeping tables)" \
	"$(grep ERROR <<<"$out" | sort | tr '\n' ' ')" "ERROR:  permission denied for table backorders ERROR:  permission denied for table reservations "
rows "$(Q postgres 1 -c "SELECT s.name || ': tenant-1 rows unchanged after tenant 2''s writes|'
	|| sec_test.count_of(format('SELECT COALESCE(sum(hashtext(t::text)), 0) FROM %s t WHERE tenant_id = 1', s.tab)) || '|' || snap.h
	FROM sec_test.tenant_tables s JOIN sec_test.snap USING (name) ORDER BY s.name")"

# -- the pinned role: tenant 2 only; tenant 1 refused everywhere
rows "$(Q sec_pinned 2 -c "SELECT 'a role pinned to tenant 2 (through a group role) works in tenant 2|' || crmscm.current_tenant() || '|2'
	UNION ALL (SELECT name || ': the pinned role sees only tenant 2|' || sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id <> 2', tab)) || '|0'
		FROM sec_test.tenant_tables ORDER BY name)
	UNION ALL (SELECT name || ': view shows the pinned role only tenant 2|' || sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id <> 2', tab)) || '|0'
		FROM sec_test.tenant_views ORDER BY name)
	UNION ALL (SELECT name || ': the pinned role reads the view|' || sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)) || '|ok'
		FROM sec_test.tenant_views ORDER BY name)")"
rows "$(Q sec_pinned 1 -c "SELECT 'current_tenant(): the pinned role may not act for tenant 1|' || sec_test.sqlstate_of('SELECT crmscm.current_tenant()') || '|42501'
	UNION ALL (SELECT name || ': the pinned role in tenant 1: SELECT, UPDATE, DELETE, INSERT fail with 42501|'
		|| sec_test.sqlstate_of(format('SELECT count(*) FROM %s', t.tab)) || ',' || sec_test.sqlstate_of(format('UPDATE %s SET tenant_id = tenant_id', t.tab))
		|| ',' || sec_test.sqlstate_of(format('DELETE FROM %s', t.tab)) || ',' || sec_test.sqlstate_of(p.sql) || '|42501,42501,42501,42501'
		FROM sec_test.tenant_tables t JOIN sec_test.pinned_inserts p USING (name) ORDER BY name)
	UNION ALL (SELECT name || ': view: the pinned role in tenant 1 gets 42501|' || sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)) || '|42501'
		FROM sec_test.tenant_views ORDER BY name)
	UNION ALL SELECT 'every function and trigger path fails with 42501 for the pinned role in tenant 1|'
		|| coalesce(string_agg(name || ': ' || st, '; ' ORDER BY name), 'none') || '|none'
		FROM (SELECT name, sec_test.sqlstate_of(sql) AS st FROM sec_test.paths WHERE name NOT LIKE 'internal helpers \\_*()%') x
		WHERE st <> '42501'")"

# -- the tenant unset, or set in ways that do not reach the shards: every
#    path is an error there (fail-closed), never a default tenant
rows "$(Q sec_admin2 '' -c "(SELECT name || ': tenant unset, crmscm_admin member: SELECT fails with 55000 (on the shards)|'
		|| sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)) || '|55000' FROM sec_test.tenant_tables ORDER BY name)
	UNION ALL (SELECT name || ': view, tenant unset, crmscm_admin member: 55000|' || sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)) || '|55000'
		FROM sec_test.tenant_views ORDER BY name)
	UNION ALL SELECT 'tenant unset, crmscm_admin member: every function and trigger path fails with 55000 (42501 where not allowed at all)|'
		|| coalesce(string_agg(name || ': ' || st, '; ' ORDER BY name), 'none') || '|none'
		FROM (SELECT name, sec_test.sqlstate_of(sql) AS st FROM sec_test.paths WHERE name NOT LIKE 'internal helpers \\_*()%') x
		WHERE st NOT IN ('55000', '42501')")"
rows "$(Q sec_pinned '' -c "(SELECT name || ': tenant unset, pinned role: SELECT and INSERT fail|'
		|| sec_test.sqlstate_of(format('SELECT count(*) FROM %s', t.tab)) || ',' || sec_test.sqlstate_of(p.sql) || '|55000,'
		|| CASE WHEN has_table_privilege('sec_pinned', t.tab, 'INSERT') THEN '55000' ELSE '42501' END
		FROM sec_test.tenant_tables t JOIN sec_test.pinned_inserts p USING (name) ORDER BY name)")"
rows "$(Q postgres '' -c "(SELECT name || ': view, tenant unset, owner: 55000|' || sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)) || '|55000'
		FROM sec_test.tenant_views ORDER BY name)
	UNION ALL (SELECT name || ': tenant unset, owner: a row without tenant_id is refused (no default tenant)|'
		|| sec_test.sqlstate_of(format('INSERT INTO %s DEFAULT VALUES', tab)) || '|55000' FROM sec_test.tenant_tables ORDER BY name)")"
w2() { psql -qXAt -h 127.0.0.1 -p "$CPORT" -U sec_pinned -d "$sdbs" -c "SET client_min_messages = error" "$@" 2>&1; }
out=$(w2 -c "\\set VERBOSITY sqlstate" -c "SET crmscm.tenant_id = 2" -c "SELECT count(*) FROM crmscm.customers WHERE tenant_id = 2" \
	-c "INSERT INTO crmscm.customers (customer_id, name) VALUES (9201, 'plain set')")
is "tenancy: a plain SET crmscm.tenant_id does not reach the shards: reads and writes fail there with 55000 (fail-closed, never a default)" "$out" "ERROR:  55000
ERROR:  55000"
out=$(w2 -c "\\set VERBOSITY sqlstate" -c "BEGIN" -c "SELECT set_config('crmscm.tenant_id', '2', true) IS NOT NULL" \
	-c "SELECT count(*) FROM crmscm.sales_order_lines WHERE tenant_id = 2" -c "ROLLBACK")
is "tenancy: nor does set_config(..., true): 55000 on the shards" "$out" "t
ERROR:  55000"
out=$(w2 -c "SET citus.propagate_set_commands = 'none'" -c "\\set VERBOSITY sqlstate" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = 2" \
	-c "SELECT count(*) FROM crmscm.customers WHERE tenant_id = 2" -c "ROLLBACK")
is "tenancy: nor SET LOCAL when the session switches propagation off: 55000" "$out" "ERROR:  55000"
is "tenancy: SET LOCAL with the database's citus.propagate_set_commands = 'local' does: the pinned role reads its tenant's customers" \
	"$(w2 -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = 2" -c "SELECT count(*) > 0 FROM crmscm.customers WHERE tenant_id = 2" -c "COMMIT")" "t"
for port in "$CPORT" "$W1PORT" "$W2PORT"; do
	is "tenancy: node :$port: no database or role-in-database default of crmscm.tenant_id lingers (pg_db_role_setting)" \
		"$(P "$port" postgres -c "SELECT count(*) FROM pg_db_role_setting WHERE setdatabase <> 0 AND array_to_string(setconfig, ',') LIKE '%crmscm.tenant_id%'")" "0"
done

# -- attacks of tenant_attacks.sql, through the coordinator
rows "$(Q sec_pinned 2 -c "SET LOCAL enable_indexscan = off" -c "SET LOCAL enable_bitmapscan = off" -c "
	SELECT 'pinned, index scans off: set_config() in WHERE switching to tenant 1 mid-scan is an error|'
		|| sec_test.sqlstate_of(\$q\$SELECT count(*) FROM crmscm.customers WHERE pg_catalog.set_config('crmscm.tenant_id', '1', false) IS NOT NULL\$q\$) || '|42501'
	UNION ALL SELECT '... through the view customer_360: refused (0A000 where Citus cannot push the volatile function down, 42501 where the shards check the pin after it) or tenant 2''s rows only|'
		|| (SELECT CASE WHEN r IN ('0A000', '42501', 'tenants 2', 'tenants none') THEN 'refused or tenant 2 only' ELSE r END
			  FROM sec_test.tenants_of(\$q\$SELECT string_agg(DISTINCT tenant_id::text, ',') FROM crmscm.customer_360 WHERE pg_catalog.set_config('crmscm.tenant_id', '1', false) IS NOT NULL\$q\$) r)
		|| '|refused or tenant 2 only'
	UNION ALL SELECT '... and an UPDATE with the switch in WHERE (0A000: no volatile function in the WHERE of a modification)|'
		|| sec_test.sqlstate_of(\$q\$UPDATE crmscm.customers SET name = 'stolen' WHERE pg_catalog.set_config('crmscm.tenant_id', '1', false) IS NOT NULL\$q\$) || '|0A000'
	UNION ALL SELECT 'SECURITY DEFINER and API functions check the pin first: ship(), receive(), available_to_promise(), check_inventory(), reserve_pending(1) in tenant 1|'
		|| sec_test.sqlstate_of('SELECT set_config(''crmscm.tenant_id'', ''1'', true)') || ','
		|| sec_test.sqlstate_of('SELECT crmscm.ship(101, 1, 1)') || ',' || sec_test.sqlstate_of('SELECT crmscm.receive(101, 1, 1)') || ','
		|| sec_test.sqlstate_of('SELECT crmscm.available_to_promise(101)') || ',' || sec_test.sqlstate_of('SELECT count(*) FROM crmscm.check_inventory()') || ','
		|| sec_test.sqlstate_of('SELECT crmscm.reserve_pending(1)')
		|| '|ok,42501,42501,42501,42501,42501'")"
out=$(psql -qXAt -h 127.0.0.1 -p "$CPORT" -U sec_pinned -d "$sdbs" 2>&1 <<'SQL'
\set VERBOSITY sqlstate
BEGIN;
SET LOCAL crmscm.tenant_id = 2;
INSERT INTO crmscm.customers (customer_id, name) VALUES (9211, 'c'), (9212, 'c'), (9213, 'c');
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = 2;
DECLARE c CURSOR FOR SELECT tenant_id FROM crmscm.customers;
FETCH 1 FROM c;
SET LOCAL crmscm.tenant_id = 1;
FETCH ALL FROM c;
ROLLBACK;
BEGIN;
SET LOCAL crmscm.tenant_id = 2;
PREPARE p AS SELECT count(*) FROM crmscm.customers WHERE tenant_id = 1;
EXECUTE p;
SET LOCAL crmscm.tenant_id = 1;
EXECUTE p;
ROLLBACK;
SQL
)
# (Citus runs a cursor's query on the shards at the first FETCH: later
# fetches return rows read in tenant 2, where a single node checks the pin
# at each fetch and fails)
like "tenancy: a cursor opened in tenant 2, fetched after SET LOCAL crmscm.tenant_id = 1: tenant 2's rows only (Citus read them at the first fetch)" \
	"$(sed -n '/^0$/q;p' <<<"$out" | sort | uniq -c | tr -s ' \n' ' ')" "^ ?4 2 $"
like "tenancy: a prepared statement executed after SET LOCAL crmscm.tenant_id = 1: 42501 (the shards check the pin)" "$out" " 0 ERROR:  42501$"
rows "$(Q sec_admin2 2 -c "SELECT 'crmscm_admin cannot replace a view, re-own it, switch security_invoker off, or drop it|' || coalesce(string_agg(v, ','), 'none') || '|none'
	FROM (SELECT name AS v FROM sec_test.tenant_views t
		  WHERE sec_test.sqlstate_of(format('ALTER VIEW %s SET (security_invoker = false)', tab)) <> '42501'
			 OR sec_test.sqlstate_of(format('ALTER VIEW %s OWNER TO sec_admin2', tab)) <> '42501'
			 OR sec_test.sqlstate_of(format('DROP VIEW %s', tab)) <> '42501'
			 OR sec_test.sqlstate_of(format('CREATE OR REPLACE RULE \"_RETURN\" AS ON SELECT TO %s DO INSTEAD SELECT (NULL::%s).*', tab, tab)) <> '42501') x
	UNION ALL SELECT 'crmscm_admin cannot drop or add policies, switch RLS or triggers off, or TRUNCATE a table|' || coalesce(string_agg(n, ','), 'none') || '|none'
	FROM (SELECT name AS n FROM sec_test.tenant_tables t
		  WHERE sec_test.sqlstate_of(format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', tab)) <> '42501'
			 OR sec_test.sqlstate_of(format('DROP POLICY tenant_isolation ON %s', tab)) <> '42501'
			 OR sec_test.sqlstate_of(format('CREATE POLICY att_all ON %s USING (true)', tab)) <> '42501'
			 OR sec_test.sqlstate_of(format('ALTER TABLE %s DISABLE TRIGGER ALL', tab)) <> '42501'
			 OR sec_test.sqlstate_of(format('TRUNCATE %s', tab)) <> '42501') x
	UNION ALL SELECT 'crmscm_admin cannot replace current_tenant(), nor call apply_security() or distribute()|'
		|| sec_test.sqlstate_of(\$q\$CREATE OR REPLACE FUNCTION crmscm.current_tenant() RETURNS bigint LANGUAGE sql AS 'SELECT 2::bigint'\$q\$)
		|| ',' || sec_test.sqlstate_of('SELECT crmscm.apply_security()') || ',' || sec_test.sqlstate_of('SELECT crmscm.distribute()') || '|42501,42501,42501'
	UNION ALL SELECT 'a writer cannot read the identity sequences (they count every tenant''s rows)|'
		|| sec_test.sqlstate_of('SELECT last_value FROM crmscm.sales_orders_order_id_seq') || ',' || sec_test.sqlstate_of(\$q\$SELECT pg_catalog.nextval('crmscm.customers_customer_id_seq')\$q\$)
		|| '|42501,42501'")"
is "tenancy: tenant 2 rows unchanged by the attacks except its own writes (customers of tenant 1 and 2 counted as the owner: tenant 1 as before)" \
	"$(Q postgres 1 -c "SELECT sec_test.count_of('SELECT COALESCE(sum(hashtext(t::text)), 0) FROM crmscm.customers t WHERE tenant_id = 1')")" \
	"$(C "$sdbs" -c "SELECT h FROM sec_test.snap WHERE name = 'customers'")"
