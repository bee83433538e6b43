-- Attacks on tenant isolation and privileges by ordinary login roles
-- (issue #12, doc/security.md), each a permanent test.  Every attack of the
-- issue worked against 0.2.0; the variants try the same holes other ways.
--
-- Roles, created here (LOGIN, not superusers), as the README sets them up:
--   att_w1, att_r1, att_a1   crmscm_writer / crmscm_reader / crmscm_admin,
--                            pinned to tenant 1 (crmscm_tenant_1)
--   att_w2, att_r2           writer and reader pinned to tenant 2
--   att_wx, att_ax           a writer and an admin pinned to no tenant
-- They act through SET SESSION AUTHORIZATION, which sets session_user (the
-- role the pins are about) as a login does; SET ROLE would keep the
-- superuser as session_user.  Sessions, COPY and cursors WITH HOLD across
-- transactions: test/scripts/tenant_sessions.sh.
--
-- The same keys exist in both tenants (customer 11, order 11, purchase order
-- 11, item 11, warehouse 11), so that a statement that reached the other
-- tenant would find rows to read or change; as the owner, at the end, the
-- rows of each tenant are compared with a snapshot taken before the attacks.
\i test/setup.sql

-- ---------------------------------------------------------------------
-- Two tenants with the same keys
-- ---------------------------------------------------------------------
CREATE FUNCTION pg_temp.fill(t bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('crmscm.tenant_id', t::text, true);
	INSERT INTO crmscm.items (item_id, sku, name, unit_price, unit_cost, order_cost, lead_time_days)
		VALUES (11, 'A', 'item', 10, 4, 50, 3), (12, 'B', 'item', 10, 4, 50, 3);
	INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (11, 'wh', '(50,10)');
	INSERT INTO crmscm.customers (customer_id, name, location)
		SELECT i, 'customer ' || i || ' of tenant ' || t, '(51,11)' FROM generate_series(11, 15) i;
	INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (11, 11, 20, 'receipt');
	INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES (11, 11, 'confirmed', '(50,10)');
	INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (11, 1, 11, 8, 10);
	-- purchases for the lifetime models: closed orders on several days
	INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ordered_at)
		SELECT 100 + i, 11 + i % 5, 'closed', now() - (i * 7) * interval '1 day' FROM generate_series(1, 30) i;
	INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
		SELECT 100 + i, 1, 12, 1 + i % 3, 10, 'shipped', 1 + i % 3 FROM generate_series(1, 30) i;
	INSERT INTO crmscm.purchase_orders (po_id, supplier, status) VALUES (11, 's', 'ordered');
	INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (11, 1, 11, 11, 6);
	INSERT INTO crmscm.leads (lead_id, name, stage, features)
		SELECT i, 'lead', CASE WHEN i % 3 = 0 THEN 'won' ELSE 'lost' END, ARRAY[i % 5, i % 2]::float8[]
		FROM generate_series(11, 40) i;
	PERFORM crmscm.lead_model_train('base', NULL, 1.0);
END $$;
-- fire the deferred lifetime bookkeeping at once (no commit comes)
SET CONSTRAINTS ALL IMMEDIATE;
SELECT pg_temp.fill(1);
SELECT pg_temp.fill(2);
SELECT pg_temp.fill(3000000000);		-- above 2^31: replenish()'s old int lock key failed there
-- tenant 2 has an order 21 that tenant 1 lacks (does an error say it exists?)
SET LOCAL crmscm.tenant_id = 2;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES (21, 11, 'confirmed');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (21, 1, 11, 1);
-- ... and a cancelled order 22 (does a line's error say it is cancelled?)
INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES (22, 11, 'confirmed');
UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE order_id = 22;
SET LOCAL crmscm.tenant_id = 1;

-- the rows of every tenant table per tenant, as the owner, before the attacks
CREATE TEMP TABLE tenant_tables AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'r';
CREATE FUNCTION pg_temp.digest(tab regclass, t bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
	EXECUTE format('SELECT count(*) || '':'' || COALESCE(md5(string_agg(x::text, ''|'' ORDER BY x::text)), '''')
					FROM %s x WHERE tenant_id = $1', tab) INTO d USING t;
	RETURN d;
END $$;
CREATE TEMP TABLE before AS
	SELECT name, t, pg_temp.digest(tab, t) AS d FROM tenant_tables, (VALUES (1::bigint), (2), (3000000000)) v(t);

-- ---------------------------------------------------------------------
-- Roles
-- ---------------------------------------------------------------------
DO $$
DECLARE r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['crmscm_tenant_1', 'crmscm_tenant_2'] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END $$;
CREATE ROLE att_w1 LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;
CREATE ROLE att_r1 LOGIN IN ROLE crmscm_reader, crmscm_tenant_1;
CREATE ROLE att_a1 LOGIN IN ROLE crmscm_admin, crmscm_tenant_1;
CREATE ROLE att_w2 LOGIN IN ROLE crmscm_writer, crmscm_tenant_2;
CREATE ROLE att_r2 LOGIN IN ROLE crmscm_reader, crmscm_tenant_2;
CREATE ROLE att_wx LOGIN IN ROLE crmscm_writer;
CREATE ROLE att_ax LOGIN IN ROLE crmscm_admin;
-- pgTAP keeps its state in temp tables; the roles write them too
DO $$ BEGIN
	EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
	EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;

-- the statements of a list that did NOT fail with the SQLSTATE wanted
CREATE FUNCTION pg_temp.not_refused(stmts text[], want text DEFAULT '42501') RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
	q text;
	bad text[] := '{}';
BEGIN
	FOREACH q IN ARRAY stmts LOOP
		BEGIN
			EXECUTE q;
			bad := bad || ('accepted: ' || q);
		EXCEPTION WHEN OTHERS THEN
			IF SQLSTATE <> want THEN
				bad := bad || (SQLSTATE || ' ' || SQLERRM || ': ' || q);
			END IF;
		END;
	END LOOP;
	RETURN bad;
END $$;
-- the message and hint of the error q raises
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE m text; h text;
BEGIN
	EXECUTE q;
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, h = PG_EXCEPTION_HINT;
	RETURN ARRAY[SQLSTATE, m, h];
END $$;
-- rows of q
CREATE FUNCTION pg_temp.rows_of(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint; BEGIN EXECUTE format('SELECT count(*) FROM (%s) x', q) INTO n; RETURN n; END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO PUBLIC;

CREATE TEMP TABLE views AS
	SELECT c.oid::regclass AS v, c.relname::text AS name FROM pg_class c
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v';
GRANT ALL ON views, tenant_tables, before TO PUBLIC;

-- (57: #17's customer_tiers and tier_thresholds of tenant 1 change with refit_models())
SELECT plan(65 + 2 * (SELECT count(*)::int FROM views) + (SELECT count(*)::int FROM tenant_tables)
			+ 3 * (SELECT count(*)::int FROM tenant_tables));

-- ---------------------------------------------------------------------
-- 1. Admin to superuser: redefine what a SECURITY DEFINER function reads
-- ---------------------------------------------------------------------
-- 0.2.0: crmscm_admin owned the views; refit_models() (SECURITY DEFINER,
-- owned by the superuser) reads customer_purchases, so a rule on it ran
-- any function as the superuser.
SET LOCAL SESSION AUTHORIZATION att_a1;
SET LOCAL crmscm.tenant_id = 1;
SELECT throws_ok($$CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO crmscm.customer_purchases DO INSTEAD
	SELECT p.tenant_id, p.customer_id, p.order_id, p.purchase_day, p.amount, p.shipped_amount
	  FROM (SELECT (NULL::crmscm.customer_purchases).*) p
	 WHERE pg_catalog.set_config('session_replication_role', 'replica', false) IS NOT NULL$$, '42501', NULL,
	'1. crmscm_admin cannot put set_config(session_replication_role) into customer_purchases (read by refit_models())');
SELECT throws_ok($$CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO crmscm.customer_purchases DO INSTEAD
	SELECT (NULL::crmscm.customer_purchases).* WHERE pg_catalog.length(pg_catalog.pg_read_file('/etc/passwd')) > 0$$,
	'42501', NULL, '1. ... nor pg_read_file()');
SELECT throws_ok($$CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO crmscm.customer_purchases DO INSTEAD
	SELECT (NULL::crmscm.customer_purchases).* WHERE pg_catalog.lo_export(pg_catalog.lo_from_bytea(0, 'x'), '/tmp/crmscm_att') = 1$$,
	'42501', NULL, '1. ... nor lo_export() of a file onto the server');
SELECT throws_ok($$CREATE OR REPLACE VIEW crmscm.customer_purchases AS
	SELECT (NULL::crmscm.customer_purchases).* WHERE pg_catalog.set_config('session_replication_role', 'replica', false) IS NOT NULL$$,
	'42501', NULL, '1. ... nor replace the view');
-- the path the attack used runs, as the superuser, only crmscm's own code
SELECT lives_ok('SELECT crmscm.refit_models()', '1. crmscm_admin: refit_models() runs');
SELECT is(current_setting('session_replication_role'), 'origin', '1. ... and session_replication_role is still origin');
SELECT throws_ok('UPDATE crmscm.inventory SET on_hand = 1000000', '42501', NULL,
				 '1. crmscm_admin cannot UPDATE inventory (kept by crmscm; 0.2.0: allowed, and with triggers off it stuck)');
-- every view: no way to change it (each statement must fail with 42501)
SELECT is(pg_temp.not_refused(ARRAY[
		format('CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO %s DO INSTEAD SELECT (NULL::%s).* WHERE pg_catalog.set_config(''session_replication_role'', ''replica'', false) IS NOT NULL', v, v),
		format('CREATE RULE att_r AS ON INSERT TO %s DO INSTEAD NOTHING', v),
		format('ALTER VIEW %s SET (security_invoker = false)', v),
		format('ALTER VIEW %s RESET (security_invoker)', v),
		format('ALTER VIEW %s OWNER TO att_a1', v),
		format('ALTER VIEW %s RENAME TO att_renamed', v),
		format('ALTER VIEW %s ALTER COLUMN tenant_id SET DEFAULT 2', v),
		format('COMMENT ON VIEW %s IS ''x''', v),
		format('DROP VIEW %s', v)]), '{}'::text[],
		  name || ': crmscm_admin can neither replace, re-rule, re-own, rename, alter nor drop the view')
  FROM views ORDER BY name;
-- ... nor revoke it from the readers of every tenant (0.2.0: the owner could)
SET LOCAL client_min_messages = error;		-- a warning per column
DO $$ DECLARE r record; BEGIN
	FOR r IN SELECT v FROM views LOOP
		BEGIN	-- a warning (no grant option), or an error: either way nothing revoked
			EXECUTE format('REVOKE SELECT ON %s FROM crmscm_reader', r.v);
		EXCEPTION WHEN insufficient_privilege THEN NULL;
		END;
	END LOOP;
END $$;
SET LOCAL client_min_messages = warning;
RESET SESSION AUTHORIZATION;
SET LOCAL SESSION AUTHORIZATION att_r2;
SET LOCAL crmscm.tenant_id = 2;
SELECT lives_ok(format('SELECT count(*) FROM %s', v), name || ': tenant 2''s reader still reads it after crmscm_admin''s REVOKE')
  FROM views ORDER BY name;
RESET SESSION AUTHORIZATION;
SET LOCAL SESSION AUTHORIZATION att_a1;
SET LOCAL crmscm.tenant_id = 1;
-- tables: no DDL, no policy change, no trigger change, no TRUNCATE
SELECT is(pg_temp.not_refused(ARRAY[
		format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', tab),
		format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', tab),
		format('DROP POLICY tenant_isolation ON %s', tab),
		format('CREATE POLICY att_all ON %s USING (true)', tab),
		format('ALTER TABLE %s DISABLE TRIGGER ALL', tab),
		format('CREATE TRIGGER att_t BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION crmscm._guard()', tab),
		format('CREATE RULE att_r AS ON INSERT TO %s DO ALSO NOTIFY att', tab),
		format('ALTER TABLE %s OWNER TO att_a1', tab),
		format('TRUNCATE %s', tab)]), '{}'::text[],
		  name || ': crmscm_admin cannot touch the table''s definition, policies, triggers, owner, or TRUNCATE it')
  FROM tenant_tables ORDER BY name;
-- functions and the schema
SELECT is(pg_temp.not_refused(ARRAY[
	$q$CREATE OR REPLACE FUNCTION crmscm.current_tenant() RETURNS bigint LANGUAGE sql AS 'SELECT 2::bigint'$q$,
	$q$CREATE FUNCTION crmscm.distance_km(text, text) RETURNS float8 LANGUAGE sql AS 'SELECT 0::float8'$q$,
	$q$CREATE VIEW crmscm.att_view AS SELECT 1 AS x$q$,
	'ALTER FUNCTION crmscm.refit_models(date) SECURITY INVOKER',
	'ALTER FUNCTION crmscm.ship(bigint, int, numeric) OWNER TO att_a1',
	'ALTER FUNCTION crmscm.current_tenant() RENAME TO att_ct',
	'ALTER SCHEMA crmscm RENAME TO att_schema',
	'SELECT crmscm.apply_security()']), '{}'::text[],
	'1. crmscm_admin can neither replace, overload, alter nor re-own crmscm''s functions, nor create in the schema');
SET LOCAL client_min_messages = error;
GRANT CREATE ON SCHEMA crmscm TO att_a1;		-- a warning: nothing granted
SET LOCAL client_min_messages = warning;
SELECT ok(NOT has_schema_privilege('att_a1', 'crmscm', 'CREATE'), '1. ... nor grant itself CREATE on it');
-- SECURITY DEFINER code reads nothing a non-superuser owns: see test/pgtap/ownership.sql
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- 2. The pin, inside one statement and between fetches
-- ---------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION att_w1;
SET LOCAL crmscm.tenant_id = 1;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT throws_ok($$SELECT * FROM crmscm.customers WHERE pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL$$,
				 '42501', 'role "att_w1" may not act for tenant 2',
				 '2. pinned w1, index scans off: set_config() in WHERE switching to tenant 2 mid-scan is an error');
SELECT is(current_setting('crmscm.tenant_id'), '1', '2. ... and the switch did not stick');
SELECT throws_ok($$SELECT count(*) FROM crmscm.customer_360 WHERE pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL$$,
				 '42501', 'role "att_w1" may not act for tenant 2', '2. ... the same through the view customer_360');
SELECT throws_ok($$SELECT count(*) FROM crmscm.sales_order_lines l JOIN crmscm.sales_orders o USING (tenant_id, order_id)
				   WHERE pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL$$,
				 '42501', 'role "att_w1" may not act for tenant 2', '2. ... the same in a join');
-- a volatile SQL function of the attacker's wrapping set_config
CREATE FUNCTION pg_temp.att_switch(t text) RETURNS boolean LANGUAGE sql VOLATILE
	AS $$ SELECT pg_catalog.set_config('crmscm.tenant_id', t, false) IS NOT NULL $$;
SELECT throws_ok($$SELECT count(*) FROM crmscm.customers WHERE pg_temp.att_switch('2')$$, '42501', 'role "att_w1" may not act for tenant 2',
				 '2. ... through a volatile SQL function of its own');
-- a function that sets the tenant for its own duration (SET clause)
CREATE FUNCTION pg_temp.att_peek() RETURNS bigint LANGUAGE sql SET crmscm.tenant_id = '2'
	AS $$ SELECT count(*) FROM crmscm.customers $$;
SELECT throws_ok('SELECT pg_temp.att_peek()', '42501', 'role "att_w1" may not act for tenant 2', '2. ... through a function with SET crmscm.tenant_id = 2');
-- writes through the trick: update, delete, and the -400 adjustment of
-- tenant 2's stock
SELECT throws_ok($$UPDATE crmscm.customers SET name = 'stolen' WHERE pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL$$,
				 '42501', 'role "att_w1" may not act for tenant 2', '2. UPDATE with set_config() in WHERE is an error');
SELECT throws_ok($$DELETE FROM crmscm.leads WHERE pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL$$,
				 '42501', 'role "att_w1" may not act for tenant 2', '2. DELETE with set_config() in WHERE is an error');
SELECT throws_ok($$INSERT INTO crmscm.stock_moves (tenant_id, item_id, warehouse_id, qty, kind)
				   SELECT 2, 11, 11, -400, 'adjustment' FROM crmscm.items
				    WHERE pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL LIMIT 1$$,
				 '42501', 'role "att_w1" may not act for tenant 2', '2. INSERT ... SELECT of a -400 adjustment into tenant 2 is an error');
SELECT throws_ok($$INSERT INTO crmscm.stock_moves (tenant_id, item_id, warehouse_id, qty, kind)
				   VALUES (2, 11, 11, (SELECT -400 WHERE pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL), 'adjustment')$$,
				 '42501', 'role "att_w1" may not act for tenant 2', '2. INSERT ... VALUES with the switch in a subquery is an error');
-- UPDATE ... FROM: the switch in the FROM list
SELECT throws_ok($$UPDATE crmscm.customers c SET name = 'stolen'
				   FROM (SELECT pg_catalog.set_config('crmscm.tenant_id', '2', false) AS s) x
				  WHERE c.customer_id = 11 AND x.s IS NOT NULL$$,
				 '42501', 'role "att_w1" may not act for tenant 2', '2. UPDATE ... FROM a subquery switching the tenant is an error');
SELECT throws_ok($$UPDATE crmscm.sales_order_lines l SET qty = l.qty + 1
				   FROM crmscm.sales_orders o
				  WHERE o.order_id = l.order_id AND o.tenant_id = l.tenant_id
				    AND pg_catalog.set_config('crmscm.tenant_id', '2', false) IS NOT NULL$$,
				 '42501', 'role "att_w1" may not act for tenant 2', '2. UPDATE ... FROM a join with the switch in WHERE is an error');
-- a cursor opened in tenant 1, fetched after SET LOCAL crmscm.tenant_id = 2
DECLARE att_c CURSOR FOR SELECT customer_id, name FROM crmscm.customer_360;
SELECT results_eq('FETCH 1 FROM att_c', $$VALUES (11::bigint, 'customer 11 of tenant 1')$$,
				  '2. (a cursor on customer_360 opened in tenant 1: tenant 1''s first customer)');
SET LOCAL crmscm.tenant_id = 2;
SELECT throws_ok('FETCH 1 FROM att_c', '42501', 'role "att_w1" may not act for tenant 2', '2. cursor: a fetch after SET LOCAL crmscm.tenant_id = 2 is an error');
CLOSE att_c;
SET LOCAL crmscm.tenant_id = 1;
DECLARE att_h CURSOR WITH HOLD FOR SELECT customer_id FROM crmscm.customers;
MOVE 1 IN att_h;
SET LOCAL crmscm.tenant_id = 2;
SELECT throws_ok('FETCH 1 FROM att_h', '42501', 'role "att_w1" may not act for tenant 2', '2. cursor WITH HOLD: the same (across commits: tenant_sessions.sh)');
CLOSE att_h;
-- prepared statements: planned in tenant 1, executed in tenant 2
SET LOCAL crmscm.tenant_id = 1;
PREPARE att_p AS SELECT count(*) FROM crmscm.customers WHERE tenant_id = 2;
SELECT is(pg_temp.rows_of('SELECT 1 FROM crmscm.customers WHERE tenant_id = 2'), 0::bigint, '2. (prepared in tenant 1)');
SET LOCAL crmscm.tenant_id = 2;
SELECT throws_ok('EXECUTE att_p', '42501', 'role "att_w1" may not act for tenant 2', '2. prepared statement executed after switching to tenant 2: error');
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE att_g(bigint) AS UPDATE crmscm.customers SET name = 'stolen' WHERE customer_id = $1;
SELECT throws_ok('EXECUTE att_g(11)', '42501', 'role "att_w1" may not act for tenant 2', '2. ... a generic-plan UPDATE too');
RESET plan_cache_mode;
DEALLOCATE att_p;
DEALLOCATE att_g;
SET LOCAL crmscm.tenant_id = 1;
RESET SESSION AUTHORIZATION;

-- the same the other way: w2, pinned to tenant 2, reaching for tenant 1
SET LOCAL SESSION AUTHORIZATION att_w2;
SET LOCAL crmscm.tenant_id = 2;
SELECT is(pg_temp.rows_of('SELECT * FROM crmscm.customers'), 5::bigint, '2. pinned w2 in tenant 2 reads its 5 customers');
SELECT throws_ok($$SELECT count(*) FROM crmscm.customer_360 WHERE pg_catalog.set_config('crmscm.tenant_id', '1', false) IS NOT NULL$$,
				 '42501', 'role "att_w2" may not act for tenant 1', '2. pinned w2: the switch to tenant 1 is an error too');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- 3. SECURITY DEFINER functions check the caller's tenant first
-- ---------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION att_w1;
SET LOCAL crmscm.tenant_id = 2;
SELECT throws_ok('SELECT crmscm.ship(11, 1, 5)', '42501', 'role "att_w1" may not act for tenant 2', '3. pinned w1 in tenant 2: ship() of tenant 2''s order is an error');
SELECT throws_ok('SELECT crmscm.receive(11, 1, 3)', '42501', 'role "att_w1" may not act for tenant 2', '3. ... receive() of tenant 2''s purchase order too');
SELECT throws_ok('SELECT crmscm.available_to_promise(11)', '42501', 'role "att_w1" may not act for tenant 2', '3. ... available_to_promise() too');
SELECT throws_ok('SELECT count(*) FROM crmscm.check_inventory()', '42501', 'role "att_w1" may not act for tenant 2', '3. ... check_inventory() too');
-- errors name only the caller's rows: an order of tenant 2 only is "not found" like one of nobody's
SET LOCAL crmscm.tenant_id = 1;
SELECT is(pg_temp.error_of('SELECT crmscm.ship(21, 1, 1)'),
		  ARRAY['23503', 'order line 21/1 does not exist', ''],
		  '3. ship() of tenant 2''s order 21 from tenant 1: "does not exist", as for any unknown line');
SELECT is((pg_temp.error_of('SELECT crmscm.ship(11, 1, 1000)'))[2], 'cannot ship 1000 of line 11/1: only 8 reserved',
		  '3. ship() beyond the reservation names the caller''s own quantity (tenant 1: 8 reserved)');
RESET SESSION AUTHORIZATION;
SET LOCAL SESSION AUTHORIZATION att_a1;
SET LOCAL crmscm.tenant_id = 2;
SELECT is(pg_temp.not_refused(ARRAY['SELECT crmscm.refit_models()', 'SELECT crmscm.refresh_customer_lifetime()',
		$q$SELECT crmscm.lead_model_train('stolen', NULL, 1.0)$q$, 'SELECT count(*) FROM crmscm.replenish()',
		'SELECT count(*) FROM crmscm.abc_classes()']), '{}'::text[],
		  '3. pinned a1 in tenant 2: refit_models(), refresh_customer_lifetime(), lead_model_train(), replenish(), abc_classes() are errors');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- 4. One tenant's admin cannot change the views of every tenant
-- ---------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION att_a1;
SET LOCAL crmscm.tenant_id = 1;
SELECT throws_ok($$CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO crmscm.sales_pipeline DO INSTEAD
	SELECT (NULL::crmscm.sales_pipeline).*
	 WHERE pg_catalog.pg_notify('att', (SELECT pg_catalog.string_agg(c.name, ',') FROM crmscm.customers c)) IS NULL$$,
	'42501', NULL, '4. crmscm_admin cannot make sales_pipeline send the customers of whoever reads it by pg_notify');
SELECT throws_ok('ALTER VIEW crmscm.sales_pipeline SET (security_invoker = false)', '42501', NULL,
				 '4. ... nor switch security_invoker for every tenant');
RESET SESSION AUTHORIZATION;
SET LOCAL SESSION AUTHORIZATION att_r2;
SET LOCAL crmscm.tenant_id = 2;
SELECT is(pg_temp.rows_of('SELECT * FROM crmscm.sales_pipeline WHERE tenant_id = 2') > 0
		  AND pg_temp.rows_of('SELECT * FROM crmscm.sales_pipeline WHERE tenant_id <> 2') = 0, true,
		  '4. tenant 2''s reader reads sales_pipeline, its own tenant only');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- 5. A missing tenant is an error, never tenant 1
-- ---------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION att_wx;
SET LOCAL crmscm.tenant_id = '';
SELECT is(pg_temp.error_of($$INSERT INTO crmscm.customers (name) VALUES ('pooled')$$),
		  ARRAY['55000', 'no tenant selected: setting "crmscm.tenant_id" is not set',
				'Applications set it at the start of each transaction: SELECT set_config(''crmscm.tenant_id'', $1, true). '
				|| 'A single-tenant database sets it once: ALTER DATABASE ' || quote_ident(current_database())
				|| ' SET crmscm.tenant_id = 1.'],
		  '5. a pooled connection without tenant: INSERT is an error (55000) with the pooled pattern as hint');
SELECT throws_ok($$INSERT INTO crmscm.customers (tenant_id, name) VALUES (1, 'pooled')$$, '55000', NULL,
				 '5. ... also with tenant_id given (the policy asks for the tenant)');
SELECT throws_ok('SELECT count(*) FROM crmscm.customers', '55000', NULL, '5. ... reading is an error too');
SELECT throws_ok('SELECT crmscm.ship(11, 1, 1)', '55000', NULL, '5. ... and the API');
RESET SESSION AUTHORIZATION;
SET LOCAL crmscm.tenant_id = '';
SELECT throws_ok($$INSERT INTO crmscm.customers (name) VALUES ('pooled')$$, '55000', NULL,
				 '5. even the owner gets no default tenant');
-- the unpinned writer with a tenant may work in any tenant, as before
SET LOCAL SESSION AUTHORIZATION att_wx;
SET LOCAL crmscm.tenant_id = 2;
SELECT is(pg_temp.rows_of('SELECT * FROM crmscm.customers WHERE tenant_id = 2'), 5::bigint,
		  '5. an unpinned writer works in the tenant it sets (5 customers of tenant 2)');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- 6. replenish()'s lock, sequences, LOCK TABLE
-- ---------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION att_ax;
SET LOCAL crmscm.tenant_id = 3000000000;
SELECT lives_ok('SELECT count(*) FROM crmscm.replenish()', '6. replenish() in tenant 3000000000 (above 2^31) works');
-- the lock is the one-bigint advisory key = the tenant: high and low 32 bits
SELECT is((SELECT array_agg(ARRAY[classid::bigint, objid::bigint, objsubid::bigint] ORDER BY classid, objid)
			 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()),
		  ARRAY[ARRAY[3000000000 >> 32, 3000000000 & 4294967295, 1]],
		  '6. ... holding the advisory lock whose key is the whole tenant id (independent: bit arithmetic)');
SET LOCAL crmscm.tenant_id = 2;
SELECT lives_ok('SELECT count(*) FROM crmscm.replenish()', '6. replenish() in tenant 2 in the same transaction');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
			 AND classid = 0 AND objid = 2 AND objsubid = 1), 1::bigint,
		  '6. ... takes another key (tenant 2): no two tenants share one');
RESET SESSION AUTHORIZATION;
SET LOCAL SESSION AUTHORIZATION att_w1;
SET LOCAL crmscm.tenant_id = 1;
SELECT is(pg_temp.not_refused(ARRAY[
		'SELECT last_value FROM crmscm.sales_orders_order_id_seq',
		$q$SELECT pg_catalog.nextval('crmscm.customers_customer_id_seq')$q$,
		$q$SELECT pg_catalog.currval('crmscm.customers_customer_id_seq')$q$,
		'SELECT * FROM crmscm.stock_moves_move_id_seq']), '{}'::text[],
		  '6. a writer cannot read the identity sequences (they count every tenant''s rows)');
SELECT lives_ok($$INSERT INTO crmscm.customers (name) VALUES ('identity default')$$,
				'6. ... and needs no right on them to insert');
-- PostgreSQL's rule (documented): whoever may UPDATE a table may LOCK it
-- in any mode; the other tables not beyond ACCESS SHARE
SELECT lives_ok('LOCK TABLE crmscm.customers IN SHARE ROW EXCLUSIVE MODE NOWAIT',
				'6. a writer may LOCK a table it may UPDATE (documented: use lock_timeout)');
SELECT throws_ok('LOCK TABLE crmscm.inventory IN ROW EXCLUSIVE MODE', '42501', NULL,
				 '6. ... not a table it may not write');
RESET SESSION AUTHORIZATION;
SET LOCAL SESSION AUTHORIZATION att_r1;
SET LOCAL crmscm.tenant_id = 1;
SELECT throws_ok('LOCK TABLE crmscm.customers IN ROW EXCLUSIVE MODE', '42501', NULL,
				 '6. a reader may not lock beyond ACCESS SHARE');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- Pins: transitive, by session_user, fail-closed, kept current
-- ---------------------------------------------------------------------
CREATE ROLE att_group NOLOGIN IN ROLE crmscm_tenant_2;
CREATE ROLE att_deep LOGIN IN ROLE crmscm_reader, att_group;
SET LOCAL SESSION AUTHORIZATION att_deep;
SET LOCAL crmscm.tenant_id = 1;
SELECT throws_ok('SELECT crmscm.current_tenant()', '42501', NULL,
				 'a member of crmscm_tenant_2 through a group role is pinned to tenant 2');
SET LOCAL ROLE crmscm_reader;
SELECT throws_ok('SELECT crmscm.current_tenant()', '42501', NULL, '... also after SET ROLE (session_user stays)');
RESET ROLE;
RESET SESSION AUTHORIZATION;
-- membership changes take effect at once (syscache invalidation)
GRANT crmscm_tenant_1 TO att_deep;
SET LOCAL SESSION AUTHORIZATION att_deep;
SELECT is(crmscm.current_tenant(), 1::bigint, 'granted crmscm_tenant_1, it may work in tenant 1');
RESET SESSION AUTHORIZATION;
REVOKE att_group FROM att_deep;
SET LOCAL SESSION AUTHORIZATION att_deep;
SET LOCAL crmscm.tenant_id = 2;
SELECT throws_ok('SELECT crmscm.current_tenant()', '42501',
				 'role "att_deep" may not act for tenant 2', 'its tenant-2 group revoked, not in tenant 2 any more');
RESET SESSION AUTHORIZATION;
-- a pin role whose name is no tenant id pins to nothing (fail-closed)
CREATE ROLE crmscm_tenant_x NOLOGIN;
CREATE ROLE att_odd LOGIN IN ROLE crmscm_reader, crmscm_tenant_x;
SET LOCAL SESSION AUTHORIZATION att_odd;
SET LOCAL crmscm.tenant_id = 1;
SELECT is(pg_temp.error_of('SELECT crmscm.current_tenant()'),
		  ARRAY['42501', 'role "att_odd" may not act for tenant 1', ''],
		  'a member of crmscm_tenant_x (no tenant id) is pinned to no tenant');
RESET SESSION AUTHORIZATION;
-- an unpinned role becomes pinned when renamed into a pin role's member
ALTER ROLE crmscm_tenant_x RENAME TO crmscm_tenant_7;
SET LOCAL SESSION AUTHORIZATION att_odd;
SET LOCAL crmscm.tenant_id = 7;
SELECT is(crmscm.current_tenant(), 7::bigint, 'renamed to crmscm_tenant_7, its member works in tenant 7');
RESET SESSION AUTHORIZATION;
SET LOCAL crmscm.tenant_id = 1;

-- ---------------------------------------------------------------------
-- A line stating another tenant's order; the order's copy on a line
-- ---------------------------------------------------------------------
-- The BEFORE INSERT triggers of a line (line defaults, the order's copy,
-- the engine's note) run before the row policy's WITH CHECK: for a row of
-- another tenant they must neither read nor lock that tenant's order or
-- item, nor raise an error that tells about them (0.3.0 before this test:
-- 23514 "the order is cancelled", 23503 "item 99 does not exist").
SET LOCAL SESSION AUTHORIZATION att_w1;
SET LOCAL crmscm.tenant_id = 1;
SELECT is((pg_temp.error_of($$INSERT INTO crmscm.sales_order_lines (tenant_id, order_id, line_no, item_id, qty, unit_price)
							   VALUES (2, 22, 1, 11, 1, 10)$$))[1], '42501',
		  'a line for tenant 2''s cancelled order: 42501 (the policy), not that the order is cancelled');
SELECT is((pg_temp.error_of($$INSERT INTO crmscm.sales_order_lines (tenant_id, order_id, line_no, item_id, qty, unit_price)
							   VALUES (2, 101, 5, 12, 1, 10)$$))[1], '42501',
		  '... for its closed order 101: 42501, not that the order is closed');
SELECT is((pg_temp.error_of($$INSERT INTO crmscm.sales_order_lines (tenant_id, order_id, item_id, qty)
							   VALUES (2, 21, 99, 1)$$))[1], '42501',
		  '... without line_no and unit_price, of an item tenant 2 lacks: 42501, not that the item does not exist');
SELECT is((pg_temp.error_of($$INSERT INTO crmscm.sales_order_lines (tenant_id, order_id, item_id, qty)
							   VALUES (2, 21, 11, 1)$$))[1], '42501',
		  '... of an item tenant 2 has: the same 42501');
-- the order's customer and status on its lines (src/order_copy.c): kept by crmscm
SELECT is((pg_temp.error_of($$UPDATE crmscm.sales_order_lines SET customer_id = 12 WHERE order_id = 11$$))[1], '23000',
		  'a pinned writer cannot set a line''s customer_id');
SELECT is((pg_temp.error_of($$UPDATE crmscm.sales_order_lines SET order_status = 'closed' WHERE order_id = 11$$))[1], '23000',
		  '... nor its order_status');
SELECT is((pg_temp.error_of($q$DO $do$ BEGIN
		INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, customer_id, order_status)
			VALUES (11, 2, 12, 1, 10, 15, 'draft');
		RAISE EXCEPTION '%', (SELECT customer_id || '/' || order_status FROM crmscm.sales_order_lines
							   WHERE order_id = 11 AND line_no = 2);
	END $do$$q$))[2], '11/confirmed',
		  'a new line stating another customer and status gets its order''s (11, confirmed)');
SELECT is((SELECT count(*) FROM crmscm.sales_order_lines WHERE order_id = 11 AND customer_id = 11 AND order_status = 'confirmed'),
		  1::bigint, '... and the existing line has them, as the writer reads it');
RESET SESSION AUTHORIZATION;
SET LOCAL crmscm.tenant_id = 1;

-- ---------------------------------------------------------------------
-- Nothing of any tenant changed by the attacks (as the owner)
-- ---------------------------------------------------------------------
SELECT is(pg_temp.digest(b.tab, x.t), x.d,
		  b.name || ': tenant ' || x.t || ' unchanged by the attacks')
  FROM tenant_tables b JOIN before x USING (name)
 WHERE x.t IN (2, 3000000000) OR b.name NOT IN ('customers', 'lifetime_models', 'customer_tiers', 'tier_thresholds')
 ORDER BY b.name, x.t;
-- tenant 1 changed only where its own roles wrote on purpose
SELECT is((SELECT array_agg(name ORDER BY name) FROM tenant_tables b JOIN before x USING (name)
			WHERE x.t = 1 AND pg_temp.digest(b.tab, 1) <> x.d),
		  ARRAY['customer_tiers', 'customers', 'lifetime_models', 'tier_thresholds'],
		  'tenant 1: only customers (one new customer, 6.), lifetime_models and the tiers it assigns (#17: customer_tiers, tier_thresholds; refit_models(), 1.) changed');

SELECT * FROM finish();
ROLLBACK;
