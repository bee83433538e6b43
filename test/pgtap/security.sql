-- Roles and least privilege (doc/security.md, doc/robustness.md): what crmscm_reader,
-- crmscm_writer, crmscm_admin and PUBLIC may do (doc/security.md).  Checks
-- are generated from the catalog, so tables, views and functions added later
-- are covered; the writer's and the bookkeeping tables are the lists in
-- crmscm.apply_security() (900_security.sql), repeated here on purpose:
-- changing one without the other fails the suite.
\i test/setup.sql

CREATE TEMP TABLE writer_tables (name text);
INSERT INTO writer_tables VALUES ('customers'), ('sales_orders'), ('sales_order_lines'),
	('stock_moves'), ('purchase_orders'), ('purchase_order_lines'), ('leads'), ('lead_events');
-- kept by crmscm's triggers and functions: nobody writes them, admins included
CREATE TEMP TABLE bookkeeping_tables (name text);
INSERT INTO bookkeeping_tables VALUES ('inventory'), ('reservations'), ('backorders'),
	('sales_order_totals'), ('customer_purchase_days'), ('customer_lifetime');
CREATE TEMP TABLE tabs AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name,
		   c.relname IN (SELECT name FROM writer_tables) AS writable,
		   c.relname IN (SELECT name FROM bookkeeping_tables) AS bookkeeping
	FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind IN ('r', 'p');
CREATE TEMP TABLE views AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name
	FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v';

-- The function lists of crmscm.apply_security(), repeated on purpose (see above).
CREATE TEMP TABLE fn_rights (name text, reader boolean, writer boolean, admin boolean);
INSERT INTO fn_rights VALUES
	-- API of the capabilities: writers change orders, stock and leads
	('ship', false, true, true), ('receive', false, true, true),
	-- they read tables with the caller's rights: for writers (readers: views)
	('available_to_promise', false, true, true), ('check_inventory', false, true, true),
	('abc_classes', false, true, true),
	-- models, derived tables, automatic purchasing: admins
	('refit_models', false, false, true), ('replenish', false, false, true),
	('lead_model_train', false, false, true), ('refresh_customer_lifetime', false, false, true),
	-- internal, takes a tenant as an argument: nobody
	('lifetime_touch', false, false, false),
	-- pure computations (VOLATILE for their time limit): readers too
	('tsp_tour', true, true, true), ('vrp_routes', true, true, true), ('route_cost', true, true, true);
CREATE TEMP TABLE fns AS
	SELECT p.oid::regprocedure AS fn, f.* FROM pg_proc p JOIN fn_rights f ON f.name = p.proname
	WHERE p.pronamespace = 'crmscm'::regnamespace;

SELECT plan(48 + 5 * (SELECT count(*)::int FROM tabs) + 4 * (SELECT count(*)::int FROM views)
		   + 1 * (SELECT count(*)::int FROM fns));

-- the roles
SELECT ok(EXISTS (SELECT FROM pg_roles WHERE rolname = r AND NOT rolcanlogin AND NOT rolsuper AND NOT rolbypassrls),
		  r || ' exists, NOLOGIN, not superuser, no BYPASSRLS')
  FROM unnest(ARRAY['crmscm_reader', 'crmscm_writer', 'crmscm_admin']) r;
SELECT ok(pg_has_role('crmscm_admin', 'crmscm_writer', 'MEMBER') AND pg_has_role('crmscm_writer', 'crmscm_reader', 'MEMBER'),
		  'admin includes writer includes reader');
SELECT ok(NOT pg_has_role('crmscm_reader', 'crmscm_writer', 'MEMBER'), 'reader is not a writer');

-- tables: PUBLIC nothing; readers read all (row-level security keeps them to
-- their tenant); writers write their list; admins the rest but the bookkeeping
SELECT ok(NOT has_table_privilege('public', tab, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER'),
		  name || ': PUBLIC has no privilege') FROM tabs ORDER BY name;
SELECT ok(has_table_privilege('crmscm_reader', tab, 'SELECT')
		  AND NOT has_table_privilege('crmscm_reader', tab, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER'),
		  name || ': crmscm_reader may only read it') FROM tabs ORDER BY name;
SELECT is(has_table_privilege('crmscm_writer', tab, 'INSERT,UPDATE,DELETE'), writable,
		  name || CASE WHEN writable THEN ': crmscm_writer may write it' ELSE ': crmscm_writer cannot change it' END)
  FROM tabs ORDER BY name;
SELECT ok(has_table_privilege('crmscm_writer', tab, 'SELECT')
		  AND NOT has_table_privilege('crmscm_admin', tab, 'TRUNCATE,REFERENCES,TRIGGER'),
		  name || ': crmscm_writer reads it; no role may TRUNCATE it, reference it or add triggers') FROM tabs ORDER BY name;
SELECT is(has_table_privilege('crmscm_admin', tab, 'INSERT,UPDATE,DELETE'), NOT bookkeeping,
		  name || CASE WHEN bookkeeping THEN ': kept by crmscm, even crmscm_admin cannot write it'
					   ELSE ': crmscm_admin may write it' END) FROM tabs ORDER BY name;

-- views: readers SELECT, nobody writes; owned by the extension owner (a
-- superuser: no login role can redefine them), security_invoker (they read
-- with the caller's rights, so the policies apply to the caller)
SELECT ok(has_table_privilege('crmscm_reader', tab, 'SELECT') AND NOT has_table_privilege('public', tab, 'SELECT')
		  AND NOT has_table_privilege('crmscm_admin', tab, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER'),
		  name || ': crmscm_reader reads the view, PUBLIC does not, nobody writes it') FROM views ORDER BY name;
SELECT is((SELECT relowner FROM pg_class WHERE oid = tab), (SELECT extowner FROM pg_extension WHERE extname = 'crmscm'),
		  name || ': view is owned by the extension owner') FROM views ORDER BY name;
SELECT ok(COALESCE((SELECT 'security_invoker=true' = ANY (reloptions) FROM pg_class WHERE oid = tab), false),
		  name || ': view is security_invoker (it reads with the caller''s rights, under the policies)')
  FROM views ORDER BY name;

-- sequences: nobody (identity columns need no right; a sequence's value
-- counts the rows of every tenant)
SELECT is(array_agg(c.oid::regclass::text || ' ' || r ORDER BY 1), NULL,
		  'no role has any right on a crmscm sequence')
  FROM pg_class c, unnest(ARRAY['public', 'crmscm_reader', 'crmscm_writer', 'crmscm_admin']) r
 WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'S'
   AND has_sequence_privilege(r, c.oid, 'USAGE,SELECT,UPDATE');
SELECT ok((SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'S') >= 10,
		  'control: the identity sequences exist');
-- the schema: only its owner may create in it (an overload planted there
-- could capture a call of crmscm's code)
SELECT is(array_agg(r ORDER BY 1), NULL, 'no crmscm role and not PUBLIC may CREATE in schema crmscm')
  FROM unnest(ARRAY['public', 'crmscm_reader', 'crmscm_writer', 'crmscm_admin']) r
 WHERE has_schema_privilege(r, 'crmscm', 'CREATE');
SELECT is((SELECT nspowner FROM pg_namespace WHERE nspname = 'crmscm'),
		  (SELECT extowner FROM pg_extension WHERE extname = 'crmscm'), 'schema crmscm belongs to the extension owner');

-- functions: PUBLIC keeps EXECUTE only on IMMUTABLE non-definer ones and current_tenant()
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'PUBLIC may execute only IMMUTABLE, non-SECURITY DEFINER functions (and current_tenant(), which the policies call)')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND (p.provolatile <> 'i' OR p.prosecdef) AND p.proname NOT IN ('current_tenant');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'no role may call a trigger function directly')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.prorettype = 'trigger'::regtype
   AND (has_function_privilege('public', p.oid, 'EXECUTE') OR has_function_privilege('crmscm_admin', p.oid, 'EXECUTE'));
SELECT ok(NOT has_function_privilege('crmscm_admin', 'crmscm.apply_security()', 'EXECUTE')
		  AND NOT has_function_privilege('crmscm_admin', 'crmscm.distribute()', 'EXECUTE'),
		  'apply_security() and distribute() are for the owner only');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'no role may call an internal helper (_*, lifetime_touch) directly, except pure IMMUTABLE ones')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace
   AND (p.proname = 'lifetime_touch' OR (p.proname LIKE '\_%' AND (p.provolatile <> 'i' OR p.prosecdef)))
   AND (has_function_privilege('public', p.oid, 'EXECUTE') OR has_function_privilege('crmscm_admin', p.oid, 'EXECUTE'));
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'crmscm_reader may call only functions that touch no table (not SECURITY DEFINER, not reading tables)')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace
   AND has_function_privilege('crmscm_reader', p.oid, 'EXECUTE')
   AND (p.prosecdef OR p.proname IN (SELECT name FROM fn_rights WHERE NOT reader));
SELECT is(array_agg(name ORDER BY name), NULL, 'every function of the list above exists')
  FROM fn_rights WHERE name NOT IN (SELECT name FROM fns);
SELECT is(ARRAY[has_function_privilege('crmscm_reader', fn, 'EXECUTE'),
				has_function_privilege('crmscm_writer', fn, 'EXECUTE'),
				has_function_privilege('crmscm_admin', fn, 'EXECUTE')],
		  ARRAY[reader, writer, admin],
		  fn::text || ': EXECUTE for reader, writer, admin = ' || reader || ', ' || writer || ', ' || admin)
  FROM fns ORDER BY 1;
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'crmscm_writer cannot call refit functions')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.proname LIKE 'refit%'
   AND has_function_privilege('crmscm_writer', p.oid, 'EXECUTE');

-- in practice: a reader cannot write, a writer cannot change master data or settings
CREATE ROLE sec_reader NOLOGIN IN ROLE crmscm_reader;
CREATE ROLE sec_writer NOLOGIN IN ROLE crmscm_writer;
INSERT INTO crmscm.customers (customer_id, name) VALUES (100000, 'c');
INSERT INTO crmscm.items (item_id, sku, name) VALUES (1, 'A', 'a');
SET LOCAL ROLE sec_reader;
SELECT throws_ok($$INSERT INTO crmscm.customers (name) VALUES ('x')$$, '42501', NULL,
				 'crmscm_reader: INSERT into customers is refused');
SELECT is((SELECT array_agg(DISTINCT tenant_id) FROM crmscm.customers), ARRAY[1::bigint],
		  'crmscm_reader: SELECT on a table shows the own tenant''s rows only');
RESET ROLE;
SET LOCAL ROLE sec_writer;
SELECT lives_ok($$INSERT INTO crmscm.customers (name) VALUES ('new customer')$$,
				'crmscm_writer: INSERT into customers works (identity default included)');
SELECT throws_ok($$UPDATE crmscm.items SET unit_price = 0$$, '42501', NULL,
				 'crmscm_writer: UPDATE of items (master data) is refused');
SET LOCAL crmscm.tenant_id = 2;
UPDATE crmscm.customers SET name = 'stolen' WHERE customer_id = 100000;
SELECT throws_ok($$INSERT INTO crmscm.customers (tenant_id, name) VALUES (1, 'planted')$$, '42501', NULL,
				 'crmscm_writer in tenant 2: INSERT of a tenant-1 customer is refused');
RESET ROLE;
SELECT is((SELECT name FROM crmscm.customers WHERE tenant_id = 1 AND customer_id = 100000), 'c',
		  'crmscm_writer in tenant 2: UPDATE of a tenant-1 customer changed nothing');
RESET crmscm.tenant_id;

-- the capabilities' tables and API, in practice
CREATE ROLE sec_admin NOLOGIN IN ROLE crmscm_admin;
-- the customer-lifetime triggers are deferred to a commit that never comes:
-- fire them now, so that apply_security() below finds no pending event
SET CONSTRAINTS ALL IMMEDIATE;
GRANT SELECT ON views TO PUBLIC;
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'w', '(50,10)');
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 10, 'receipt');
INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES (1, 100000, 'confirmed');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 1, 1, 4);
INSERT INTO crmscm.leads (lead_id, name, stage, features) VALUES (1001, 'l1', 'won', '{1}'), (1002, 'l2', 'lost', '{0}');
SET LOCAL ROLE sec_reader;
SELECT throws_ok($$INSERT INTO crmscm.leads (name) VALUES ('x')$$, '42501', NULL,
				 'crmscm_reader: INSERT into leads is refused');
SELECT throws_ok($$SELECT crmscm.ship(1, 1)$$, '42501', NULL,
				 'crmscm_reader: ship() is refused');
SELECT lives_ok($$SELECT crmscm.tsp_tour(ARRAY[[0, 1], [1, 0]]::float8[])$$,
				'crmscm_reader: tsp_tour() (pure, touches no table) works');
SELECT lives_ok(format('SELECT count(*) FROM %s', tab), name || ': crmscm_reader can read the view')
  FROM views ORDER BY name;
RESET ROLE;
SET LOCAL ROLE sec_writer;
SELECT lives_ok($$INSERT INTO crmscm.leads (name, stage) VALUES ('new lead', 'new');
				  INSERT INTO crmscm.lead_events (lead_id, kind) VALUES (1001, 'web_visit')$$,
				'crmscm_writer: INSERT into leads and lead_events works');
SELECT throws_ok($$INSERT INTO crmscm.lead_models (name, model)
				   SELECT 'planted', model FROM crmscm.lead_models LIMIT 1$$, '42501', NULL,
				 'crmscm_writer: INSERT into lead_models is refused');
SELECT throws_ok($$UPDATE crmscm.lifetime_models SET churn_days = 1$$, '42501', NULL,
				 'crmscm_writer: UPDATE of lifetime_models is refused');
SELECT throws_ok($$INSERT INTO crmscm.customer_lifetime (customer_id, revenue) VALUES (100000, 1e9)$$, '42501', NULL,
				 'crmscm_writer: INSERT into customer_lifetime is refused');
SELECT throws_ok($$UPDATE crmscm.inventory SET on_hand = 1000$$, '42501', NULL,
				 'crmscm_writer: UPDATE of inventory is refused (stock moves go through stock_moves and ship())');
SELECT throws_ok($$UPDATE crmscm.lead_scoring_rules SET points = 0$$, '42501', NULL,
				 'crmscm_writer: UPDATE of lead_scoring_rules (settings) is refused');
SELECT throws_ok($$SELECT last_value FROM crmscm.customers_customer_id_seq$$, '42501', NULL,
				 'crmscm_writer: reading an identity sequence (it counts every tenant''s rows) is refused');
SELECT is(crmscm.ship(1, 1, 3), 3::numeric, 'crmscm_writer: ship() ships 3 of the 4 reserved units');
SELECT is(crmscm.available_to_promise(1, 1), 6::numeric, 'crmscm_writer: available_to_promise() after the shipment: 10 - 3 on hand - 1 reserved');
SELECT throws_ok($$SELECT crmscm.refit_models()$$, '42501', NULL, 'crmscm_writer: refit_models() is refused');
SELECT throws_ok($$SELECT crmscm.replenish()$$, '42501', NULL, 'crmscm_writer: replenish() is refused');
SELECT throws_ok($$SELECT crmscm.lead_model_train('w')$$, '42501', NULL, 'crmscm_writer: lead_model_train() is refused');
SELECT throws_ok($$SELECT crmscm.lifetime_touch(1, 100000)$$, '42501', NULL, 'crmscm_writer: lifetime_touch() is refused');
RESET ROLE;
SET LOCAL ROLE sec_admin;
SELECT lives_ok($$SELECT crmscm.refit_models()$$, 'crmscm_admin: refit_models() works');
SELECT lives_ok($$SELECT crmscm.replenish('acme')$$, 'crmscm_admin: replenish() works');
SELECT lives_ok($$SELECT crmscm.lead_model_train('admin model', NULL, 1.0)$$, 'crmscm_admin: lead_model_train() works');
SELECT lives_ok($$SELECT crmscm.refresh_customer_lifetime()$$, 'crmscm_admin: refresh_customer_lifetime() works');
SELECT throws_ok($$UPDATE crmscm.inventory SET on_order = 0$$, '42501', NULL,
				 'crmscm_admin: UPDATE of inventory (kept by crmscm) is refused');
SELECT throws_ok($$INSERT INTO crmscm.customer_lifetime (customer_id, revenue) VALUES (100000, 1e9)$$, '42501', NULL,
				 'crmscm_admin: INSERT into customer_lifetime (kept by crmscm) is refused');
SELECT throws_ok($$DELETE FROM crmscm.reservations$$, '42501', NULL,
				 'crmscm_admin: DELETE from reservations (kept by crmscm) is refused');
SELECT lives_ok($$UPDATE crmscm.items SET unit_price = 2 WHERE item_id = 1$$,
				'crmscm_admin: UPDATE of items (master data) works');
RESET ROLE;

-- bad input of the security functions
SELECT throws_ok('SELECT crmscm.distribute()', '0A000',
				 'crmscm.distribute() needs the citus extension, which is not installed in this database',
				 'distribute() without Citus: clear error, SQLSTATE 0A000');
SELECT lives_ok('SELECT crmscm.apply_security(); SELECT crmscm.apply_security()',
				'apply_security() can be re-run');

SELECT * FROM finish();
ROLLBACK;
