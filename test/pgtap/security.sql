-- Roles and least privilege (SPEC §2, §10): what crmscm_reader,
-- crmscm_writer, crmscm_admin and PUBLIC may do.  Checks are generated from
-- the catalog, so tables, views and functions added later are covered; the
-- writer's tables are the list in crmscm.apply_security() (900_security.sql),
-- repeated here on purpose: changing one without the other fails the suite.
\i test/setup.sql

CREATE TEMP TABLE writer_tables (name text);
INSERT INTO writer_tables VALUES ('customers'), ('sales_orders'), ('sales_order_lines'),
	('stock_moves'), ('purchase_orders'), ('purchase_order_lines'), ('leads'), ('lead_events');
CREATE TEMP TABLE tabs AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name,
		   c.relname IN (SELECT name FROM writer_tables) AS writable
	FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind IN ('r', 'p');
CREATE TEMP TABLE views AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name
	FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v';

SELECT plan(17 + 5 * (SELECT count(*)::int FROM tabs) + 2 * (SELECT count(*)::int FROM views));

-- the roles
SELECT ok(EXISTS (SELECT FROM pg_roles WHERE rolname = r AND NOT rolcanlogin AND NOT rolsuper AND NOT rolbypassrls),
		  r || ' exists, NOLOGIN, not superuser, no BYPASSRLS')
  FROM unnest(ARRAY['crmscm_reader', 'crmscm_writer', 'crmscm_admin']) r;
SELECT ok(pg_has_role('crmscm_admin', 'crmscm_writer', 'MEMBER') AND pg_has_role('crmscm_writer', 'crmscm_reader', 'MEMBER'),
		  'admin includes writer includes reader');
SELECT ok(NOT pg_has_role('crmscm_reader', 'crmscm_writer', 'MEMBER'), 'reader is not a writer');

-- tables: PUBLIC and readers nothing; writers read all, write their list; admins write all
SELECT ok(NOT has_table_privilege('public', tab, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER'),
		  name || ': PUBLIC has no privilege') FROM tabs ORDER BY name;
SELECT ok(NOT has_table_privilege('crmscm_reader', tab, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE'),
		  name || ': crmscm_reader has no privilege on the table (views only)') FROM tabs ORDER BY name;
SELECT is(has_table_privilege('crmscm_writer', tab, 'INSERT,UPDATE,DELETE'), writable,
		  name || CASE WHEN writable THEN ': crmscm_writer may write it' ELSE ': crmscm_writer cannot change it' END)
  FROM tabs ORDER BY name;
SELECT ok(has_table_privilege('crmscm_writer', tab, 'SELECT') AND NOT has_table_privilege('crmscm_writer', tab, 'TRUNCATE'),
		  name || ': crmscm_writer reads it, cannot TRUNCATE') FROM tabs ORDER BY name;
SELECT ok(has_table_privilege('crmscm_admin', tab, 'SELECT,INSERT,UPDATE,DELETE'),
		  name || ': crmscm_admin may read and write it') FROM tabs ORDER BY name;

-- views: readers SELECT, nobody writes; owned by crmscm_admin so RLS applies
SELECT ok(has_table_privilege('crmscm_reader', tab, 'SELECT') AND NOT has_table_privilege('public', tab, 'SELECT'),
		  name || ': crmscm_reader reads the view, PUBLIC does not') FROM views ORDER BY name;
SELECT is((SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = tab)::text, 'crmscm_admin',
		  name || ': view is owned by crmscm_admin (row-level security applies to it)') FROM views ORDER BY name;

-- functions: PUBLIC keeps EXECUTE only on IMMUTABLE non-definer ones and current_tenant()
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'PUBLIC may execute only IMMUTABLE, non-SECURITY DEFINER functions (and the two the policies call)')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND (p.provolatile <> 'i' OR p.prosecdef) AND p.proname NOT IN ('current_tenant', 'tenant_permitted');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'no role may call a trigger function directly')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.prorettype = 'trigger'::regtype
   AND (has_function_privilege('public', p.oid, 'EXECUTE') OR has_function_privilege('crmscm_admin', p.oid, 'EXECUTE'));
SELECT ok(NOT has_function_privilege('crmscm_admin', 'crmscm.apply_security()', 'EXECUTE')
		  AND NOT has_function_privilege('crmscm_admin', 'crmscm.distribute()', 'EXECUTE'),
		  'apply_security() and distribute() are for the owner only');
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
SELECT throws_ok($$SELECT * FROM crmscm.customers$$, '42501', NULL,
				 'crmscm_reader: SELECT on a table is refused (views only)');
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

-- bad input of the security functions
SELECT throws_ok('SELECT crmscm.distribute()', '0A000',
				 'crmscm.distribute() needs the citus extension, which is not installed in this database',
				 'distribute() without Citus: clear error, SQLSTATE 0A000');
SELECT lives_ok('SELECT crmscm.apply_security(); SELECT crmscm.apply_security()',
				'apply_security() can be re-run');

SELECT * FROM finish();
ROLLBACK;
