#!/usr/bin/env bash
# Hostile search paths (contrib seg/sql/security.sql style, PostgreSQL docs
# "Security Considerations for Extension Scripts"): objects planted where a
# careless script or function body would find them are never called during
# CREATE EXTENSION, ALTER EXTENSION ... UPDATE, trigger execution, or calls
# of crmscm functions.  TAP.
#
# Every trap, when called, bumps the sequence hostile.hits (sequences ignore
# rollbacks, so a trap fired inside a failed or caught statement still
# counts) and then raises an error.  After each phase the counter must be 0.
#
# The traps: =, <>, <, <=, >, >=, +, -, *, ||, ~~ on the base types crmscm
# code compares (int2/4/8 mixed, numeric, float8, text, name, oid, bool,
# "char", timestamptz, regclass...), and functions shadowing built-ins with
# exact argument types (now, abs, lower, upper, length, current_setting,
# set_config, format, nextval, pg_has_role, pg_get_constraintdef, sum), and
# once the type exists, geopoint operators (=, <, <->, ...) and functions
# shadowing crmscm's own (distance_km, latitude, geopoint, current_tenant).
# They sit (1) in schema crmscm created in advance, which is the search_path
# of the install script, and (2) in schema hostile, put in front of
# pg_catalog on the session's search_path while crmscm is used: by the
# owner, by a non-owner writer, by a login role pinned to its tenant
# (crmscm_tenant_77), and with the tenant unset, where every path must fail
# with 55000 before any trap is reached.
set -uo pipefail
db=crmscm_hostile
dropdb --if-exists "$db" 2>/dev/null; createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
psql -qX -d "$db" -c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null	# its tenant (no default)
pin_created=
cleanup() {
	dropdb --if-exists "$db" 2>/dev/null
	psql -qX -d postgres -c 'DROP ROLE IF EXISTS hostile_pinned' -c 'DROP ROLE IF EXISTS hostile_unpinned' >/dev/null 2>&1
	[ -z "$pin_created" ] || psql -qX -d postgres -c 'DROP ROLE IF EXISTS crmscm_tenant_77' >/dev/null 2>&1
}
trap cleanup EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
show() { [ "$1" -eq 0 ] || sed 's/^/# /' <<<"$out"; }
psql_() { psql -qX -v ON_ERROR_STOP=1 -d "$db" "$@"; }
hits() { psql -qXAt -d "$db" -c "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM hostile.hits"; }

plant() {	# $1 = schema to plant the traps in
	psql_ -v s="$1" <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS :"s";
SET hostile.schema = :'s';
DO $plant$
DECLARE
	s text := current_setting('hostile.schema');
	t text[];
	op text;
	f text[];
	body text := $b$BEGIN PERFORM pg_catalog.nextval('hostile.hits'); RAISE EXCEPTION %L; END$b$;
BEGIN
	FOREACH t SLICE 1 IN ARRAY ARRAY[
		['int2', 'int2'], ['int4', 'int4'], ['int8', 'int8'], ['int8', 'int4'], ['int4', 'int8'],
		['numeric', 'numeric'], ['float8', 'float8'], ['text', 'text'], ['name', 'name'],
		['name', 'text'], ['oid', 'oid'], ['oid', 'regclass'], ['oid', 'regnamespace'], ['bool', 'bool'],
		['"char"', '"char"'], ['timestamptz', 'timestamptz'], ['regclass', 'regclass'], ['regtype', 'regtype']]
	LOOP
		FOREACH op IN ARRAY ARRAY['=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '||', '~~']
		LOOP
			CONTINUE WHEN op IN ('+', '-', '*') AND t[1] NOT IN ('int2', 'int4', 'int8', 'numeric', 'float8');
			EXECUTE format('CREATE FUNCTION %I.trap_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L',
				s, md5(op || t[1] || t[2]), t[1], t[2],
				CASE WHEN op IN ('+', '-', '*') THEN t[1] WHEN op = '||' THEN 'text' ELSE 'bool' END,
				format(body, 'hostile ' || s || '.' || op || '(' || t[1] || ',' || t[2] || ') called'));
			EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %I.trap_%s)',
				s, op, t[1], t[2], s, md5(op || t[1] || t[2]));
		END LOOP;
	END LOOP;
	FOREACH f SLICE 1 IN ARRAY ARRAY[
		['now', '', 'timestamptz'], ['abs', 'int4', 'int4'], ['abs', 'int8', 'int8'],
		['abs', 'numeric', 'numeric'], ['abs', 'float8', 'float8'], ['lower', 'text', 'text'],
		['upper', 'text', 'text'], ['length', 'text', 'int4'], ['current_setting', 'text', 'text'],
		['current_setting', 'text, bool', 'text'], ['set_config', 'text, text, bool', 'text'],
		['format', 'text, text', 'text'], ['format', 'text, regclass', 'text'],
		['format', 'text, regprocedure', 'text'], ['nextval', 'regclass', 'int8'],
		['pg_has_role', 'name, name, text', 'bool'], ['pg_get_constraintdef', 'oid', 'text'],
		['current_tenant', '', 'int8'], ['quote_ident', 'text', 'text']]
	LOOP
		-- crmscm's own names cannot be pre-planted in its schema: CREATE
		-- EXTENSION refuses to take over an object it does not own
		CONTINUE WHEN s = 'crmscm' AND f[1] = 'current_tenant';
		EXECUTE format('CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
			s, f[1], f[2], f[3], format(body, 'hostile ' || s || '.' || f[1] || '(' || f[2] || ') called'));
	END LOOP;
	EXECUTE format('CREATE FUNCTION %I.trap_sum(numeric, numeric) RETURNS numeric LANGUAGE plpgsql AS %L',
		s, format(body, 'hostile ' || s || '.sum(numeric) called'));
	EXECUTE format('CREATE AGGREGATE %I.sum(numeric) (SFUNC = %I.trap_sum, STYPE = numeric)', s, s);
END
$plant$;
SQL
}

psql_ -c 'CREATE SCHEMA hostile; CREATE SEQUENCE hostile.hits; GRANT USAGE ON SCHEMA hostile TO PUBLIC; GRANT ALL ON SEQUENCE hostile.hits TO PUBLIC' || exit 1
# (1) CREATE EXTENSION into a schema that already holds traps
plant crmscm || { echo "not ok 1 - planting traps"; exit 1; }
plant hostile || { echo "not ok 1 - planting traps"; exit 1; }
echo "1..10"
out=$(psql_ -c 'SET search_path = hostile, crmscm, public, pg_catalog' -c 'CREATE EXTENSION crmscm' 2>&1)
rc=$?; ok $rc "CREATE EXTENSION crmscm with traps in schema crmscm and hostile first on the search_path"
show $rc
h=$(hits); ok "$h" "no trap called during CREATE EXTENSION (hits: $h)"

# (2) ALTER EXTENSION UPDATE: along the chain when one exists (the oldest
# frozen version, test/scripts/upgrade_chain.sh's convention), else at head.
oldest=$(ls upgrade/crmscm--*.sql 2>/dev/null | grep -v -- '--.*--' | sed 's/.*crmscm--\(.*\)\.sql/\1/' | sort -V | head -1)
if [ -n "$oldest" ]; then
	out=$(psql_ -c 'SET search_path = hostile, crmscm, public, pg_catalog' -c 'DROP EXTENSION crmscm CASCADE' \
		-c "CREATE EXTENSION crmscm VERSION '$oldest'" -c 'ALTER EXTENSION crmscm UPDATE' 2>&1)
	rc=$?; ok $rc "ALTER EXTENSION crmscm UPDATE from $oldest under the hostile search_path"
else
	out=$(psql_ -c 'SET search_path = hostile, crmscm, public, pg_catalog' -c 'ALTER EXTENSION crmscm UPDATE' 2>&1)
	rc=$?; ok $rc "ALTER EXTENSION crmscm UPDATE under the hostile search_path (no older version yet: chain is at head)"
fi
show $rc

# geopoint-typed traps, now that the type exists: operators and functions
# that crmscm's own SQL (views, triggers, functions) must reach qualified
psql_ >/dev/null <<'SQL' || { echo "not ok - planting geopoint traps"; exit 1; }
DO $plant$
DECLARE
	op text;
	f text[];
	body text := $b$BEGIN PERFORM pg_catalog.nextval('hostile.hits'); RAISE EXCEPTION %L; END$b$;
BEGIN
	FOREACH op IN ARRAY ARRAY['=', '<>', '<', '<=', '>', '>=', '<->']
	LOOP
		EXECUTE format('CREATE FUNCTION hostile.trap_%s(crmscm.geopoint, crmscm.geopoint) RETURNS %s LANGUAGE plpgsql AS %L',
			md5(op), CASE op WHEN '<->' THEN 'float8' ELSE 'bool' END, format(body, 'hostile geopoint ' || op || ' called'));
		EXECUTE format('CREATE OPERATOR hostile.%s (LEFTARG = crmscm.geopoint, RIGHTARG = crmscm.geopoint, FUNCTION = hostile.trap_%s)',
			op, md5(op));
	END LOOP;
	FOREACH f SLICE 1 IN ARRAY ARRAY[['distance_km', 'float8'], ['geodesic_km', 'float8']]
	LOOP
		EXECUTE format('CREATE FUNCTION hostile.%I(crmscm.geopoint, crmscm.geopoint) RETURNS %s LANGUAGE plpgsql AS %L',
			f[1], f[2], format(body, 'hostile ' || f[1] || ' called'));
	END LOOP;
	EXECUTE format('CREATE FUNCTION hostile.latitude(crmscm.geopoint) RETURNS float8 LANGUAGE plpgsql AS %L',
		format(body, 'hostile latitude called'));
	EXECUTE format('CREATE FUNCTION hostile.geopoint(float8, float8) RETURNS crmscm.geopoint LANGUAGE plpgsql AS %L',
		format(body, 'hostile geopoint() called'));
END
$plant$;
SQL

# (3) use: every function path, triggers (DML on every table, as the owner
# and as a non-owner writer with RLS), views, security functions.
out=$(psql_ 2>&1 <<'SQL'
SET client_min_messages = warning;
SET search_path = hostile, crmscm, public, pg_catalog;
-- functions and operators of the geopoint type
SELECT crmscm.distance_km('(52.52,13.405)', 'POINT(2.3522 48.8566)'),
       crmscm.geodesic_km('(1,2)', '(3,4)'), crmscm.latitude('(1,2)'), crmscm.longitude('(1,2)'),
       crmscm.geopoint(1, 2), crmscm.current_tenant(),
       '(1,2)'::crmscm.geopoint OPERATOR(crmscm.<->) '(3,4)'::crmscm.geopoint,
       '(1,2)'::crmscm.geopoint OPERATOR(crmscm.=) '(1,2)'::crmscm.geopoint;
CREATE TEMP TABLE pts AS SELECT crmscm.geopoint(i OPERATOR(pg_catalog.%) 90, i OPERATOR(pg_catalog.%) 180) p FROM generate_series(1, 200) i;
CREATE INDEX ON pts (p);
CREATE INDEX ON pts USING hash (p);
SELECT count(DISTINCT p) FROM pts;
SELECT p FROM pts GROUP BY p ORDER BY p LIMIT 1;
-- tables: inserts fire defaults, checks, foreign keys and every trigger
INSERT INTO crmscm.items (item_id, sku, name) VALUES (1, 'A', 'a'), (2, 'B', 'b');
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'w1', '(50,10)'), (2, 'w2', '(48,2)');
INSERT INTO crmscm.customers (customer_id, name, location) VALUES (1, 'c', '(51,11)');
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 10, 'receipt'), (2, 2, 5, 'receipt');
INSERT INTO crmscm.purchase_orders (po_id, supplier, status) VALUES (1, 's', 'ordered');
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 1, 1, 4);
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES (1, 1, 'confirmed', '(49,3)');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 3), (1, 2, 2, 9);
-- as a non-owner writer, under row-level security
CREATE ROLE hostile_writer IN ROLE crmscm_writer;
SET ROLE hostile_writer;
SET search_path = hostile, crmscm, public, pg_catalog;
SELECT count(*) FROM crmscm.sales_orders;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES (2, 1, 'confirmed');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (2, 1, 2, 1);
-- (the test's own SQL qualifies its operators too: the traps are real)
UPDATE crmscm.sales_order_lines SET qty = qty OPERATOR(pg_catalog.+) 1 WHERE order_id OPERATOR(pg_catalog.=) 2;
UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE order_id OPERATOR(pg_catalog.=) 2;
DELETE FROM crmscm.sales_orders WHERE order_id OPERATOR(pg_catalog.=) 2;
RESET ROLE;
SET search_path = hostile, crmscm, public, pg_catalog;
-- every view of the schema, every table updated in place, then emptied
DO $$
DECLARE r record; n int; pass int := 0; left_ int;
BEGIN
	FOR r IN SELECT c.oid::pg_catalog.regclass AS v FROM pg_catalog.pg_class c
			 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crmscm'::pg_catalog.regnamespace
			   AND c.relkind OPERATOR(pg_catalog.=) 'v'
	LOOP
		EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', r.v) INTO n;
	END LOOP;
	FOR r IN SELECT c.oid::pg_catalog.regclass AS t FROM pg_catalog.pg_class c
			 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crmscm'::pg_catalog.regnamespace
			   AND c.relkind OPERATOR(pg_catalog.=) 'r'
	LOOP
		BEGIN	-- tables that refuse updates by design (ledgers) still ran their triggers
			EXECUTE pg_catalog.format('UPDATE %s SET tenant_id = tenant_id', r.t);
		EXCEPTION WHEN integrity_constraint_violation THEN NULL;
		END;
	END LOOP;
	LOOP	-- delete in any order, retrying what foreign keys still hold
		left_ := 0;
		FOR r IN SELECT c.oid::pg_catalog.regclass AS t FROM pg_catalog.pg_class c
				 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crmscm'::pg_catalog.regnamespace
				   AND c.relkind OPERATOR(pg_catalog.=) 'r'
		LOOP
			BEGIN
				EXECUTE pg_catalog.format('DELETE FROM %s', r.t);
			EXCEPTION WHEN foreign_key_violation THEN
				left_ := left_ OPERATOR(pg_catalog.+) 1;
			WHEN integrity_constraint_violation THEN NULL;	-- refused by design
			END;
		END LOOP;
		pass := pass OPERATOR(pg_catalog.+) 1;
		EXIT WHEN left_ OPERATOR(pg_catalog.=) 0 OR pass OPERATOR(pg_catalog.>) 20;
	END LOOP;
END $$;
-- the security functions themselves
SELECT crmscm.apply_security();
DO $$ BEGIN PERFORM crmscm.distribute(); EXCEPTION WHEN feature_not_supported THEN NULL; END $$;
DROP ROLE hostile_writer;
SQL
)
rc=$?; ok $rc "crmscm functions, operators, indexes, triggers, RLS, views, apply_security() under the hostile search_path"
show $rc
h=$(hits); ok "$h" "no trap called while using crmscm (hits: $h)"
# (4) a login role pinned to tenant 77 (member of crmscm_tenant_77), under
# the hostile search path: its own tenant's rows through tables, triggers,
# views and the API; then asking for tenant 1, which must fail (42501).
if ! psql -qXAt -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'crmscm_tenant_77'" | grep -q 1; then
	psql -qX -d postgres -c 'CREATE ROLE crmscm_tenant_77 NOLOGIN' >/dev/null && pin_created=yes
fi
psql_ -c 'CREATE ROLE hostile_pinned LOGIN IN ROLE crmscm_writer, crmscm_tenant_77' \
	-c 'CREATE ROLE hostile_unpinned LOGIN IN ROLE crmscm_writer' \
	-c 'GRANT USAGE ON SCHEMA hostile TO hostile_pinned, hostile_unpinned' >/dev/null
psql_ >/dev/null <<'SQL'	# master data of tenant 77, by the owner
SET crmscm.tenant_id = 77;
INSERT INTO crmscm.items (item_id, sku, name) VALUES (1, 'A', 'a'), (2, 'B', 'b');
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'w1', '(50,10)');
SQL
out=$(psql -qX -v ON_ERROR_STOP=1 -U hostile_pinned -d "$db" 2>&1 <<'SQL'
SET client_min_messages = warning;
SET crmscm.tenant_id = 77;
SET search_path = hostile, crmscm, public, pg_catalog;
INSERT INTO crmscm.customers (customer_id, name, location) VALUES (1, 'c', '(51,11)');
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 10, 'receipt');
INSERT INTO crmscm.purchase_orders (po_id, supplier, status) VALUES (1, 's', 'ordered');
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 2, 1, 4);
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES (1, 1, 'confirmed', '(49,3)');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 3), (1, 2, 2, 9);
UPDATE crmscm.sales_order_lines SET qty = qty OPERATOR(pg_catalog.+) 1 WHERE line_no OPERATOR(pg_catalog.=) 1;
SELECT crmscm.ship(1, 1, 2), crmscm.receive(1, 1, 4), crmscm.available_to_promise(1),
       (SELECT pg_catalog.count(*) FROM crmscm.check_inventory());
DO $$
DECLARE r record; n int;
BEGIN
	FOR r IN SELECT c.oid::pg_catalog.regclass AS v FROM pg_catalog.pg_class c
			 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crmscm'::pg_catalog.regnamespace
			   AND c.relkind OPERATOR(pg_catalog.=) 'v'
	LOOP
		EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', r.v) INTO n;
	END LOOP;
END $$;
UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE order_id OPERATOR(pg_catalog.=) 1;
-- tenant 1 is not its tenant: every table is an error
DO $$
DECLARE r record; n int; bad text := '';
BEGIN
	PERFORM pg_catalog.set_config('crmscm.tenant_id', '1', true);
	FOR r IN SELECT c.oid::pg_catalog.regclass AS t FROM pg_catalog.pg_class c
			 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crmscm'::pg_catalog.regnamespace
			   AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,v}'::"char"[])
	LOOP
		BEGIN
			EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', r.t) INTO n;
			bad := bad OPERATOR(pg_catalog.||) r.t::text OPERATOR(pg_catalog.||) ' ';
		EXCEPTION WHEN insufficient_privilege THEN NULL;
		END;
	END LOOP;
	IF bad OPERATOR(pg_catalog.<>) '' THEN
		RAISE EXCEPTION 'the pinned role read tenant 1 from: %', bad;
	END IF;
END $$;
SQL
)
rc=$?; ok $rc "a role pinned to tenant 77: tables, triggers, ship(), receive(), views under the hostile search_path; tenant 1 refused"
show $rc
h=$(hits); ok "$h" "no trap called by the pinned role (hits: $h)"

# (5) the tenant unset (what a pooled connection that forgot it has): as the
# unpinned writer, the pinned role and the owner, every path through crmscm
# fails with 55000 (the owner's own table reads bypass row-level security,
# so for it: the views, the API and column defaults), and reaches no trap.
unset_run() {	# $1 = role, $2 = owner?
	psql -qX -v ON_ERROR_STOP=1 -U "$1" -d "$db" -v owner="$2" 2>&1 <<'SQL'
SET client_min_messages = warning;
SET crmscm.tenant_id = '';
SET search_path = hostile, crmscm, public, pg_catalog;
SET hostile.owner = :'owner';
DO $$
DECLARE
	q text;
	bad text := '';
	owner constant boolean := pg_catalog.current_setting('hostile.owner')::boolean;
	stmts text[] := ARRAY[
		'SELECT crmscm.current_tenant()',
		'INSERT INTO crmscm.customers (name) VALUES (''pooled'')',
		'SELECT crmscm.ship(1, 1, 1)', 'SELECT crmscm.receive(1, 1, 1)',
		'SELECT crmscm.available_to_promise(1)'];
BEGIN
	IF NOT owner THEN
		stmts := stmts OPERATOR(pg_catalog.||) ARRAY[
			'SELECT pg_catalog.count(*) FROM crmscm.customers',
			'INSERT INTO crmscm.customers (tenant_id, name) VALUES (1, ''pooled'')',
			'UPDATE crmscm.sales_order_lines SET qty = qty OPERATOR(pg_catalog.+) 1',
			'DELETE FROM crmscm.sales_orders',
			'INSERT INTO crmscm.stock_moves (tenant_id, item_id, warehouse_id, qty, kind) VALUES (77, 1, 1, 5, ''receipt'')',
			'SELECT pg_catalog.count(*) FROM crmscm.check_inventory()'];
	END IF;
	stmts := stmts OPERATOR(pg_catalog.||) (
		SELECT pg_catalog.array_agg(pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', c.oid::pg_catalog.regclass))
		  FROM pg_catalog.pg_class c
		 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crmscm'::pg_catalog.regnamespace
		   AND c.relkind OPERATOR(pg_catalog.=) 'v');
	FOREACH q IN ARRAY stmts LOOP
		BEGIN
			EXECUTE q;
			bad := bad OPERATOR(pg_catalog.||) 'accepted: ' OPERATOR(pg_catalog.||) q OPERATOR(pg_catalog.||) '; ';
		EXCEPTION WHEN OTHERS THEN
			IF SQLSTATE OPERATOR(pg_catalog.<>) '55000' THEN
				bad := bad OPERATOR(pg_catalog.||) SQLSTATE OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) SQLERRM
					   OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) q OPERATOR(pg_catalog.||) '; ';
			END IF;
		END;
	END LOOP;
	IF bad OPERATOR(pg_catalog.<>) '' THEN
		RAISE EXCEPTION '%', bad;
	END IF;
END $$;
SQL
}
rc=0; out=
for who in hostile_unpinned:false hostile_pinned:false postgres:true; do
	o=$(unset_run "${who%%:*}" "${who#*:}") || { rc=1; out+="${who%%:*}: $o"$'\n'; }
done
ok $rc "tenant unset: every path fails with 55000 for the unpinned writer, the pinned role and the owner"
show $rc
h=$(hits); ok "$h" "no trap called with the tenant unset (hits: $h)"

# the traps work: calling one directly counts
psql_ -c 'SET search_path = hostile, pg_catalog' -c 'SELECT 1 = 1' >/dev/null 2>&1
h=$(hits); [ "$h" -gt 0 ]; ok $? "control: an unqualified 1 = 1 under this search_path does call a trap (hits: $h)"
exit $fail
