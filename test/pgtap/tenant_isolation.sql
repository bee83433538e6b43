-- Tenant isolation (doc/security.md): a non-owner role working in tenant 2 neither
-- reads nor changes a row of tenant 1 by any path.  One assertion per path.
--
-- The table paths are generated from the catalog (every table of the schema
-- with a tenant_id column), so tables added later are covered without
-- editing this file.  Views are likewise generic (every view with a
-- tenant_id column).  Function and trigger paths are listed in the temp
-- table `paths` below: to cover a new function or trigger, add one row with
-- SQL that, run by the tenant-2 role, returns how many tenant-1 rows it saw
-- or changed (expected 0), or that must fail with an expected SQLSTATE.
\i test/setup.sql

-- Sample data of two tenants in every table, written by the owner.
CREATE SCHEMA sec_test;
CREATE FUNCTION sec_test.fill(t bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	k bigint := t * 100 + 1;
	q text;
BEGIN
	PERFORM set_config('crmscm.tenant_id', t::text, true);
	-- Triggers of other modules may refuse some raw rows; each statement is
	-- tried on its own, and the "tenant 1 has rows" assertions below show
	-- which tables hold rows to protect (a refused row fails that check).
	FOREACH q IN ARRAY ARRAY[
		'INSERT INTO crmscm.items (item_id, sku, name) VALUES ($1, ''SKU-'' || $1, ''item'')',
		'INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES ($1, ''wh'', ''(50,10)'')',
		'INSERT INTO crmscm.customers (customer_id, name, location) VALUES ($1, ''cust'', ''(51,11)'')',
		'INSERT INTO crmscm.inventory (item_id, warehouse_id, on_hand, reserved) VALUES ($1, $1, 10, 0)',
		'INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES ($1, $1, ''draft'')',
		'INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES ($1, 1, $1, 2)',
		'INSERT INTO crmscm.reservations (reservation_id, order_id, line_no, item_id, warehouse_id, qty) VALUES ($1, $1, 1, $1, $1, 1)',
		'INSERT INTO crmscm.backorders (backorder_id, order_id, line_no, item_id, warehouse_id, qty) VALUES ($1, $1, 1, $1, $1, 1)',
		'INSERT INTO crmscm.stock_moves (move_id, item_id, warehouse_id, qty, kind) VALUES ($1, $1, $1, 10, ''receipt'')',
		'INSERT INTO crmscm.purchase_orders (po_id, supplier) VALUES ($1, ''supplier'')',
		'INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES ($1, 1, $1, $1, 5)',
		-- the natural way: a confirmed order (reserves and backorders once the
		-- orders module's triggers are in)
		'INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES ($1 + 1, $1, ''confirmed'', ''(50,10)'')',
		'INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES ($1 + 1, 1, $1, 3), ($1 + 1, 2, $1, 30)',
		-- a closed (historic) order with a shipped line: a purchase for
		-- customer lifetime, revenue for abc_classes (yesterday: in the window)
		'INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ordered_at) VALUES ($1 + 2, $1, ''closed'', now() - interval ''1 day'')',
		'INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped) VALUES ($1 + 2, 1, $1, 4, 10, ''shipped'', 4)',
		-- leads (doc/lead_scoring.md): closed leads with features to train on, an open one
		'INSERT INTO crmscm.leads (lead_id, customer_id, name, stage, expected_revenue, features) VALUES ($1, $1, ''lead'', ''won'', 100, ''{1,0}''), ($1 + 1, NULL, ''lead'', ''lost'', 50, ''{0,1}''), ($1 + 2, NULL, ''lead'', ''lost'', 70, ''{0,0}''), ($1 + 3, NULL, ''lead'', ''qualified'', 80, ''{1,1}'')',
		'INSERT INTO crmscm.lead_scoring_rules (rule_id, event_kind, points) VALUES ($1, ''web_visit'', 5)',
		'INSERT INTO crmscm.lead_events (event_id, lead_id, kind) VALUES ($1, $1 + 3, ''web_visit'')',
		-- the real paths of the models and the lifetime bookkeeping (owner:
		-- these functions work in current_tenant()); customer_lifetime is
		-- kept at commit by deferred triggers, so recompute it now, as of a
		-- past day (a later recompute then shows up as a change)
		'SELECT crmscm.lead_model_train(''sample'', ARRAY[''a'', ''b''], 1.0)',
		'SELECT crmscm.refresh_customer_lifetime(''2020-01-01'')',
		'INSERT INTO crmscm.lifetime_models (at_risk_days, churn_days) VALUES (100 + $1, 400 + $1)',
		-- #17: tiers (the refit and an explicit one) and an allocation rule
		'SELECT crmscm.refit_tiers()',
		'SELECT crmscm.set_customer_tier($1, ''A'')',
		'INSERT INTO crmscm.allocation_rules (item_id, tier, share) VALUES ($1, ''A'', 0.2)',
		-- #18: a deal's expected lines; the purchase order ordered and
		-- received (receipts, line outcomes and supplier statistics are
		-- written by the pass: run it now)
		'INSERT INTO crmscm.lead_lines (lead_id, line_no, item_id, qty) VALUES ($1 + 3, 1, $1, 2)',
		'INSERT INTO crmscm.purchase_orders (po_id, supplier, expected_at) VALUES ($1 + 1, ''supplier'', CURRENT_DATE + 7)',
		'INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES ($1 + 1, 1, $1, $1, 5)',
		'UPDATE crmscm.purchase_orders SET status = ''ordered'' WHERE po_id = $1 + 1',
		'SELECT crmscm.receive($1 + 1, 1)',
		'SELECT crmscm.reserve_pending()']
	LOOP
		BEGIN
			EXECUTE q USING k;
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'sample row refused: %: %', q, SQLERRM;
		END;
	END LOOP;
END $$;
-- The customer-lifetime triggers are deferred to commit, which never comes
-- here: fire them at the end of each statement, as the owner (the real path
-- that fills customer_lifetime from orders), and leave no event pending
-- (apply_security() below could not ALTER the tables).
SET CONSTRAINTS ALL IMMEDIATE;
SELECT sec_test.fill(1);
SELECT sec_test.fill(2);
RESET crmscm.tenant_id;

-- A view reads with its owner's rights unless security_invoker, which
-- apply_security() sets on every view so that the policies apply to the
-- caller.  This probe view (no tenant filter of its own) checks the
-- mechanism before views of the other modules exist.
CREATE VIEW crmscm.sec_probe_view AS SELECT tenant_id, customer_id, name FROM crmscm.customers;

-- Helpers, run by the tenant-2 role (SECURITY INVOKER).
CREATE FUNCTION sec_test.count_of(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint; BEGIN EXECUTE q INTO n; RETURN n; END $$;
-- rows q changed; 0 when the role may not write the table at all (42501:
-- the tables crmscm keeps itself, which no role writes)
CREATE FUNCTION sec_test.affected(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	EXECUTE q; GET DIAGNOSTICS n = ROW_COUNT; RETURN n;
EXCEPTION WHEN insufficient_privilege THEN
	RETURN 0;
END $$;
-- the SQLSTATE q fails with, or 'ok'
CREATE FUNCTION sec_test.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
-- INSERT a copy of one of the caller's rows with tenant_id replaced by 1
CREATE FUNCTION sec_test.insert_as_tenant1(tab regclass) RETURNS text LANGUAGE sql AS $$
	SELECT format('INSERT INTO %s (%s) SELECT %s FROM %s LIMIT 1', tab,
		string_agg(quote_ident(attname), ', ' ORDER BY attnum),
		string_agg(CASE attname WHEN 'tenant_id' THEN '1' ELSE quote_ident(attname) END, ', ' ORDER BY attnum),
		tab)
	FROM pg_attribute WHERE attrelid = tab AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
$$;
-- INSERT of a copy (made now, as literal values) of one tenant-2 row, with tenant_id 1
CREATE FUNCTION sec_test.insert_copy_as_tenant1(tab regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	cols text;
	j jsonb;
BEGIN
	SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
	FROM pg_attribute WHERE attrelid = tab AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
	EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE tenant_id = 2 LIMIT 1', tab) INTO j;
	RETURN format('INSERT INTO %s (%s) SELECT %s FROM jsonb_populate_record(NULL::%s, %L)',
				  tab, cols, cols, tab, jsonb_set(j, '{tenant_id}', '1'));
END $$;
-- 'refused' when q fails with one of the SQLSTATEs that refuse a write to
-- tenant 1: 42501 (row-level security), 23000 (crmscm's guard trigger: a
-- row never changes tenant, bookkeeping columns are crmscm's, which fires
-- before the policy's check), 23514 (the stock-move ledger is append-only);
-- else what happened
CREATE FUNCTION sec_test.refusal(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN CASE WHEN SQLSTATE IN ('42501', '23000', '23514') THEN 'refused'
				ELSE SQLSTATE || ': ' || SQLERRM END;
END $$;
GRANT USAGE ON SCHEMA sec_test TO PUBLIC;

CREATE TEMP TABLE tenant_tables AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 2;
CREATE TEMP TABLE tenant_views AS
	SELECT c.oid::regclass AS tab, c.relname::text AS name
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v' ORDER BY 2;

-- For the pinned role at the end: copies of tenant-2 rows, taken before
-- tenant 2's own writes below change them.
CREATE TEMP TABLE pinned_inserts AS
	SELECT name, sec_test.insert_copy_as_tenant1(tab) AS sql FROM tenant_tables;

-- Function and trigger paths: (name, sql, kind) where kind 'count' means
-- the SQL returns the number of tenant-1 rows seen or changed (must be 0),
-- and a SQLSTATE means the SQL must fail with it.
CREATE TEMP TABLE paths (name text, sql text, expect text);
INSERT INTO paths VALUES
	('current_tenant() follows the session, not the data',
	 $$SELECT count(*) FROM crmscm.customers WHERE tenant_id <> crmscm.current_tenant()$$, 'count'),
	('apply_security() is for the owner only',
	 $$SELECT crmscm.apply_security()$$, '42501'),
	('distribute() is for the owner only',
	 $$SELECT crmscm.distribute()$$, '42501'),
	('ON CONFLICT DO UPDATE cannot reach a tenant-1 row',
	 $$INSERT INTO crmscm.customers (tenant_id, customer_id, name) VALUES (1, 101, 'x')
	   ON CONFLICT (tenant_id, customer_id) DO UPDATE SET name = 'stolen'$$, '42501'),
	('a derived table shows no tenant-1 row',
	 $$SELECT count(*) FROM (SELECT * FROM crmscm.sales_orders) s WHERE tenant_id = 1$$, 'count'),
	('a line cannot be attached to a tenant-1 order',
	 $$INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (101, 9, 201, 1)$$, '23503'),
	('an order cannot point at a tenant-1 customer',
	 $$INSERT INTO crmscm.sales_orders (customer_id) VALUES (101)$$, '23503'),
	('a stock move cannot touch a tenant-1 item',
	 $$INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (101, 101, 1, 'receipt')$$, '23503');
-- Functions of the capabilities that read or write tenant data.  The API
-- functions work in current_tenant(): a tenant-1 key is "not found" in
-- tenant 2.  Whatever they write is checked afterwards: the tenant-1 rows of
-- every table are compared with a snapshot taken before these paths run
-- ("after the writes" below).
INSERT INTO paths VALUES
	-- orders and inventory (300_orders.sql)
	('ship() cannot ship a tenant-1 order line',
	 $$SELECT crmscm.ship(101, 1, 1)$$, '23503'),
	('ship() without quantity cannot ship a tenant-1 order line',
	 $$SELECT crmscm.ship(102, 1)$$, '23503'),
	('receive() cannot receive a tenant-1 purchase order line',
	 $$SELECT crmscm.receive(101, 1, 1)$$, '23503'),
	-- the row policy answers before any check of the order's status (tenant
	-- 1's purchase order 102 is received: 23514 would tell so)
	('a new line in tenant 1''s received purchase order: 42501, nothing about the order',
	 $$INSERT INTO crmscm.purchase_order_lines (tenant_id, po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 102, 9, 101, 101, 1)$$, '42501'),
	('available_to_promise() does not know a tenant-1 item',
	 $$SELECT crmscm.available_to_promise(101)$$, '23503'),
	('available_to_promise() does not know a tenant-1 warehouse',
	 $$SELECT crmscm.available_to_promise(201, 101)$$, '23503'),
	('check_inventory() reports no tenant-1 row',
	 $$SELECT count(*) FROM crmscm.check_inventory() WHERE tenant_id <> 2$$, 'count'),
	('reserve_pending() works off only the caller''s own changes (none of tenant 1)',
	 $$SELECT count(*) FROM (SELECT crmscm.reserve_pending()) x
	   WHERE EXISTS (SELECT FROM crmscm.check_inventory() WHERE tenant_id <> 2)$$, 'count'),
	('internal trigger function _commit_pass() cannot be called',
	 $$SELECT crmscm._commit_pass()$$, '42501'),
	('internal helper _lifetime_flush_now() cannot be called',
	 $$SELECT crmscm._lifetime_flush_now()$$, '42501'),
	-- reorder points (350_replenish.sql): tenant 1's item 101 is not tenant 2's
	('abc_classes() classifies only the own tenant''s items',
	 $$SELECT count(*) FROM crmscm.abc_classes() a
	   WHERE a.item_id NOT IN (SELECT item_id FROM crmscm.items)$$, 'count'),
	('abc_classes() counts only the own tenant''s revenue',
	 $$SELECT count(*) FROM crmscm.abc_classes() a
	   WHERE a.revenue <> (SELECT COALESCE(sum(l.qty * l.unit_price), 0) FROM crmscm.sales_order_lines l
						   JOIN crmscm.sales_orders o USING (tenant_id, order_id)
						   WHERE l.item_id = a.item_id AND l.status <> 'cancelled'
							 AND o.status IN ('confirmed', 'closed')
							 AND o.ordered_at < CURRENT_DATE::timestamptz)$$, 'count'),
	('replenish() orders only for the own tenant''s items and warehouses',
	 $$SELECT count(*) FROM crmscm.replenish('sec test') r
	   WHERE r.item_id NOT IN (SELECT item_id FROM crmscm.items)
		  OR r.warehouse_id NOT IN (SELECT warehouse_id FROM crmscm.warehouses)$$, 'count'),
	-- customer lifetime (340_lifetime_triggers.sql)
	('refresh_customer_lifetime() recomputes only the own tenant''s customers',
	 $$SELECT crmscm.refresh_customer_lifetime() - (SELECT count(*) FROM crmscm.customers)$$, 'count'),
	('refit_models() fits and returns only the own tenant''s model',
	 $$SELECT count(*) FROM crmscm.refit_models() m WHERE m.tenant_id <> 2$$, 'count'),
	('refit_models() fits on the own tenant''s purchases only',
	 $$SELECT m.customers - (SELECT count(DISTINCT customer_id) FROM crmscm.customer_purchases)
	   FROM crmscm.lifetime_models m$$, 'count'),
	('internal helper lifetime_touch() cannot recompute a tenant-1 customer',
	 $$SELECT crmscm.lifetime_touch(1, 101)$$, '42501'),
	-- every other internal helper (_*, not IMMUTABLE, or SECURITY DEFINER),
	-- from the catalog: it takes a tenant, nobody may call it
	('internal helpers _*() cannot be called by anyone (the catalog''s list)',
	 $$SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'crmscm'::regnamespace AND p.proname LIKE '\_%'
		 AND (p.provolatile <> 'i' OR p.prosecdef) AND has_function_privilege(p.oid, 'EXECUTE')$$, 'count'),
	-- lead scoring (245_lead_train.sql)
	-- (paths run in the order of their names: 1 trains, 2 and 3 look at it)
	('lead_model_train() 1: the tenant-2 role trains a model',
	 $$SELECT (crmscm.lead_model_train('sec test', NULL, 1.0) IS NULL)::int::bigint$$, 'count'),
	('lead_model_train() 2: the model saw the own tenant''s closed leads only',
	 $$SELECT crmscm.lead_model_rows(m.model)
			  - (SELECT count(*) FROM crmscm.leads WHERE stage IN ('won', 'lost') AND features IS NOT NULL)
	   FROM crmscm.lead_models m WHERE m.active AND m.name = 'sec test'$$, 'count'),
	('lead_model_train() 3: one active model, the own tenant''s',
	 $$SELECT count(*) - 1 FROM crmscm.lead_models WHERE active$$, 'count');
-- Views: the generic checks below cover every view with a tenant_id column
-- (all of them: see the count check); as the tenant-2 role and as a plain
-- crmscm_reader.
-- Triggers: statements on tenant-2 rows whose triggers must not touch
-- tenant 1; check afterwards as the owner (see "after the writes" below).

SELECT plan(
	3                                   -- setup sanity
	+ 9 * (SELECT count(*)::int FROM tenant_tables)
	+ 3 * (SELECT count(*)::int FROM tenant_views) + 1
	+ (SELECT count(*)::int FROM paths)
	+ 1                                 -- control: owner-rights view leaks
	+ 1                                 -- trigger check
	+ 1 + 2 * (SELECT count(*)::int FROM tenant_tables)     -- pinned role in tenant 2
	+ 2 * (SELECT count(*)::int FROM tenant_views)
	+ 2 + 2 * (SELECT count(*)::int FROM tenant_tables)     -- pinned role asking for tenant 1
	+ (SELECT count(*)::int FROM tenant_views)
	+ 3 + 3 * (SELECT count(*)::int FROM tenant_tables)     -- tenant unset, three roles
	+ 3 * (SELECT count(*)::int FROM tenant_views)
	+ 2 * (SELECT count(*)::int FROM tenant_tables));       -- nothing written while unset
-- 9 per table: has rows, 5 reads/writes, INSERT, UPDATE move, after-writes
-- pgTAP keeps its state in temp tables; the tenant-2 role writes them too.
DO $$ BEGIN
	EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
	EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;

SELECT ok((SELECT count(*) FROM tenant_tables) >= 11, 'every table of the order model (doc/orders.md) has a tenant_id column');
SELECT is((SELECT count(*) FROM tenant_tables t
		   WHERE NOT (SELECT relrowsecurity FROM pg_class WHERE oid = t.tab)), 0::bigint,
		  'row-level security is enabled on every tenant table');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
		   WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v'
			 AND c.oid NOT IN (SELECT tab FROM tenant_views)), NULL,
		  'every view has a tenant_id column (so the view checks below cover it)');

-- The owner sees tenant 1's rows in every table (else the checks below are void).
SET LOCAL crmscm.tenant_id = 1;
-- (a new table fails here until sec_test.fill above gives it sample rows)
SELECT ok(sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id = 1', tab)) > 0,
		  name || ': tenant 1 has rows to protect') FROM tenant_tables ORDER BY name;

-- Control: a view still owned by the superuser bypasses row-level security;
-- this shows the view checks below can see a leak when there is one.
CREATE VIEW crmscm.sec_leaky_view AS SELECT tenant_id FROM crmscm.customers;
GRANT SELECT ON crmscm.sec_leaky_view TO crmscm_reader;
SELECT crmscm.apply_security();        -- makes sec_probe_view security_invoker
ALTER VIEW crmscm.sec_leaky_view RESET (security_invoker);   -- undo it for the control view

-- The tenant-2 role: not the owner, member of crmscm_admin (the widest
-- non-owner rights), so only the policies stand between it and tenant 1.
CREATE ROLE sec_tenant2 NOLOGIN;
GRANT crmscm_admin TO sec_tenant2;
SET LOCAL ROLE sec_tenant2;
SET LOCAL crmscm.tenant_id = 2;

SELECT ok(sec_test.count_of('SELECT count(*) FROM crmscm.sec_leaky_view WHERE tenant_id = 1') > 0,
		  'control: a view owned by a superuser would leak tenant 1 (so the view checks can fail)');

-- Tables: SELECT, UPDATE, DELETE, INSERT, UPDATE moving a row to tenant 1.
SELECT is(sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id = 1', tab)), 0::bigint,
		  name || ': SELECT sees no tenant-1 row') FROM tenant_tables ORDER BY name;
SELECT ok(sec_test.count_of(format('SELECT count(*) FROM %s', tab)) > 0,
		  name || ': SELECT sees the own tenant''s rows') FROM tenant_tables ORDER BY name;
SELECT is(sec_test.affected(format('UPDATE %s SET tenant_id = tenant_id WHERE tenant_id = 1', tab)), 0::bigint,
		  name || ': UPDATE changes no tenant-1 row') FROM tenant_tables ORDER BY name;
SELECT is(sec_test.affected(format('DELETE FROM %s WHERE tenant_id = 1', tab)), 0::bigint,
		  name || ': DELETE removes no tenant-1 row') FROM tenant_tables ORDER BY name;
SELECT is(sec_test.count_of(format('SELECT count(*) FROM %s t WHERE EXISTS (SELECT FROM %s u WHERE u.tenant_id = 1)', tab, tab)), 0::bigint,
		  name || ': a subquery sees no tenant-1 row') FROM tenant_tables ORDER BY name;
SELECT is(sec_test.refusal(sec_test.insert_as_tenant1(tab)), 'refused',
		  name || ': INSERT of a tenant-1 row is refused') FROM tenant_tables ORDER BY name;
SELECT is(sec_test.refusal(format('UPDATE %s SET tenant_id = 1', tab)), 'refused',
		  name || ': UPDATE cannot move a row to tenant 1') FROM tenant_tables ORDER BY name;

-- Views: no tenant-1 row, and the own tenant's rows are there.
SELECT is(sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id = 1', tab)), 0::bigint,
		  name || ': view shows no tenant-1 row') FROM tenant_views ORDER BY name;
SELECT is(sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id <> 2', tab)), 0::bigint,
		  name || ': view shows only tenant 2') FROM tenant_views ORDER BY name;

-- The same views as a plain crmscm_reader (no right on any table).
RESET ROLE;
CREATE ROLE sec_reader2 NOLOGIN IN ROLE crmscm_reader;
SET LOCAL ROLE sec_reader2;
SET LOCAL crmscm.tenant_id = 2;
SELECT is(sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id <> 2', tab)), 0::bigint,
		  name || ': view shows a crmscm_reader only tenant 2') FROM tenant_views ORDER BY name;
SELECT is(sec_test.count_of('SELECT count(*) FROM crmscm.customers WHERE tenant_id <> 2'), 0::bigint,
		  'a crmscm_reader reads the tables behind the views (security_invoker), tenant 2''s rows only');
RESET ROLE;
SET LOCAL ROLE sec_tenant2;
SET LOCAL crmscm.tenant_id = 2;

-- Snapshot of tenant 1, as the owner, before the function and trigger
-- paths of tenant 2 run.
RESET ROLE;
SET LOCAL crmscm.tenant_id = 1;
CREATE TEMP TABLE snap AS
	SELECT name, sec_test.count_of(format('SELECT COALESCE(sum(hashtext(t::text)), 0) FROM %s t WHERE tenant_id = 1', tab)) AS h
	FROM tenant_tables;
GRANT ALL ON snap TO PUBLIC;
SET LOCAL ROLE sec_tenant2;
SET LOCAL crmscm.tenant_id = 2;

-- Function and trigger paths.
SELECT CASE WHEN expect = 'count'
			THEN is(sec_test.count_of(sql), 0::bigint, name)
			ELSE throws_ok(sql, expect, NULL, name) END
  FROM paths ORDER BY name;

-- After the writes: the functions above and the triggers fired by the
-- tenant-2 role's own statements changed nothing of tenant 1.  Write to
-- every table the role may write, firing the deferred triggers (customer
-- lifetime) at once, then compare tenant 1 with its snapshot as the owner.
SELECT lives_ok($$
	SET CONSTRAINTS ALL IMMEDIATE;
	UPDATE crmscm.leads SET stage = 'contacted' WHERE stage = 'qualified';
	INSERT INTO crmscm.lead_events (lead_id, kind) SELECT lead_id, 'web_visit' FROM crmscm.leads;
	UPDATE crmscm.lead_scoring_rules SET points = points + 1;
	UPDATE crmscm.lifetime_models SET at_risk_days = at_risk_days + 1;
	UPDATE crmscm.sales_orders SET status = 'confirmed' WHERE status = 'draft';
	UPDATE crmscm.sales_order_lines SET qty = qty + 1 WHERE status = 'open';
	INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (201, 201, 3, 'receipt');
	UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE status = 'draft';
	SELECT crmscm.receive(l.po_id, l.line_no, 1) FROM crmscm.purchase_order_lines l
	  JOIN crmscm.purchase_orders p USING (tenant_id, po_id) WHERE p.status = 'ordered';
	UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE status <> 'closed';
$$, 'tenant 2 changes leads and settings, confirms, changes, receives and cancels (firing the triggers)');
-- deletes, best effort (the orders module may refuse raw deletes of its rows)
DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['reservations', 'backorders', 'sales_order_lines', 'sales_orders',
							 'purchase_order_lines', 'purchase_orders', 'stock_moves',
							 'lead_events', 'leads', 'lead_models', 'lead_scoring_rules',
							 'customer_lifetime', 'lifetime_models']
	LOOP
		BEGIN
			EXECUTE format('DELETE FROM crmscm.%I', t);
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE 'tenant 2 could not delete from %: %', t, SQLERRM;
		END;
	END LOOP;
END $$;
RESET ROLE;
SET LOCAL crmscm.tenant_id = 1;
SELECT is(sec_test.count_of(format('SELECT COALESCE(sum(hashtext(t::text)), 0) FROM %s t WHERE tenant_id = 1', s.tab)), snap.h,
		  s.name || ': tenant-1 rows unchanged after tenant 2''s writes')
  FROM tenant_tables s JOIN snap USING (name) ORDER BY s.name;

-- ---- The same reads as a login role pinned to tenant 2 ----
-- (member of crmscm_tenant_2 through a group role, and of crmscm_admin; as
-- session_user, which SET SESSION AUTHORIZATION sets and SET ROLE keeps)
RESET ROLE;
SET LOCAL crmscm.tenant_id = 2;
CREATE TEMP TABLE count2 AS		-- tenant 2's rows, counted by the owner
	SELECT name, sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id = 2', tab)) AS n FROM tenant_tables;
GRANT ALL ON count2 TO PUBLIC;
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_2') THEN
		CREATE ROLE crmscm_tenant_2 NOLOGIN;
	END IF;
END $$;
CREATE ROLE sec_pin_group NOLOGIN IN ROLE crmscm_tenant_2;
CREATE ROLE sec_pinned LOGIN IN ROLE crmscm_admin, sec_pin_group;
SET LOCAL SESSION AUTHORIZATION sec_pinned;
SET LOCAL crmscm.tenant_id = 2;
SELECT is(crmscm.current_tenant(), 2::bigint, 'a role pinned to tenant 2 works in tenant 2');
SELECT is(sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id <> 2', tab)), 0::bigint,
		  name || ': the pinned role sees only tenant 2') FROM tenant_tables ORDER BY name;
SELECT is(sec_test.count_of(format('SELECT count(*) FROM %s', tab)), n,
		  name || ': the pinned role sees all of tenant 2''s rows (as many as the owner counts)')
  FROM tenant_tables JOIN count2 USING (name) ORDER BY name;
SELECT is(sec_test.count_of(format('SELECT count(*) FROM %s WHERE tenant_id <> 2', tab)), 0::bigint,
		  name || ': view shows the pinned role only tenant 2') FROM tenant_views ORDER BY name;
SELECT is(sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)), 'ok',
		  name || ': the pinned role reads the view') FROM tenant_views ORDER BY name;

-- ---- ... asking for tenant 1: every path is an error (42501) ----
SET LOCAL crmscm.tenant_id = 1;
SELECT throws_ok('SELECT crmscm.current_tenant()', '42501',
				 'role "sec_pinned" may not act for tenant 1', 'current_tenant(): the pinned role may not act for tenant 1');
SELECT is(ARRAY[sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)),
				sec_test.sqlstate_of(format('UPDATE %s SET tenant_id = tenant_id', tab)),
				sec_test.sqlstate_of(format('DELETE FROM %s', tab))],
		  ARRAY['42501', '42501', '42501'],
		  name || ': the pinned role in tenant 1: SELECT, UPDATE, DELETE fail with 42501')
  FROM tenant_tables ORDER BY name;
SELECT is(sec_test.sqlstate_of(sql), '42501',
		  name || ': the pinned role cannot insert into tenant 1 either')
  FROM pinned_inserts ORDER BY name;
SELECT is(sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)), '42501',
		  name || ': view: the pinned role in tenant 1 gets 42501') FROM tenant_views ORDER BY name;
SELECT is(array_agg(name || ': ' || st ORDER BY name), NULL,
		  'every function and trigger path fails with 42501 for the pinned role in tenant 1')
  FROM (SELECT name, sec_test.sqlstate_of(sql) AS st FROM paths
		WHERE name NOT LIKE 'internal helpers \_*()%') x	-- (a catalog query)
 WHERE st <> '42501';
RESET SESSION AUTHORIZATION;

-- ---- The tenant unset (empty, what RESET gives a database without a
-- setting): every path errors (55000, or 42501 where the role has no right
-- at all), nothing is read or written.  As the unpinned crmscm_admin member,
-- as the pinned role, and (views, functions) as the owner. ----
SET LOCAL crmscm.tenant_id = 1;
CREATE TEMP TABLE snap_all AS
	SELECT name, t, sec_test.count_of(format('SELECT COALESCE(sum(hashtext(t::text)), 0) FROM %s t WHERE tenant_id = %s', tab, t)) AS h
	FROM tenant_tables, (VALUES (1), (2)) v(t);
GRANT ALL ON snap_all TO PUBLIC;
-- expected SQLSTATE of a statement on a table: 55000, or 42501 when the role
-- lacks the privilege (checked before any row is touched)
CREATE FUNCTION pg_temp.want(r text, tab regclass, priv text) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN has_table_privilege(r, tab, priv) THEN '55000' ELSE '42501' END $$;
SET LOCAL crmscm.tenant_id = '';
SET LOCAL ROLE sec_tenant2;
SELECT is(ARRAY[sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)),
				sec_test.sqlstate_of(format('UPDATE %s SET tenant_id = tenant_id WHERE tenant_id = 2', tab)),
				sec_test.sqlstate_of(format('DELETE FROM %s WHERE tenant_id = 1', tab))],
		  ARRAY['55000', pg_temp.want('sec_tenant2', tab, 'UPDATE'), pg_temp.want('sec_tenant2', tab, 'DELETE')],
		  name || ': tenant unset, crmscm_admin member: SELECT, UPDATE, DELETE fail') FROM tenant_tables ORDER BY name;
SELECT is(sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)), '55000',
		  name || ': view, tenant unset, crmscm_admin member: 55000') FROM tenant_views ORDER BY name;
SELECT is(array_agg(name || ': ' || st ORDER BY name), NULL,
		  'tenant unset, crmscm_admin member: every function and trigger path fails with 55000 (42501 where not allowed at all)')
  FROM (SELECT name, sec_test.sqlstate_of(sql) AS st FROM paths
		WHERE name NOT LIKE 'internal helpers \_*()%') x	-- (a catalog query)
 WHERE st NOT IN ('55000', '42501');
RESET ROLE;
SET LOCAL SESSION AUTHORIZATION sec_pinned;
SET LOCAL crmscm.tenant_id = '';
SELECT is(ARRAY[sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)),
				sec_test.sqlstate_of(sql)],
		  ARRAY['55000', pg_temp.want('sec_pinned', tab, 'INSERT')],
		  name || ': tenant unset, pinned role: SELECT and INSERT fail') FROM tenant_tables JOIN pinned_inserts USING (name) ORDER BY name;
SELECT is(sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)), '55000',
		  name || ': view, tenant unset, pinned role: 55000') FROM tenant_views ORDER BY name;
RESET SESSION AUTHORIZATION;
SET LOCAL crmscm.tenant_id = '';
-- the owner (a superuser) bypasses row-level security on the tables, but
-- every view and crmscm function asks for the tenant
-- (crmscm's views: the test's own probe views have no tenant filter)
SELECT is(sec_test.sqlstate_of(format('SELECT count(*) FROM %s', tab)),
		  CASE WHEN name LIKE 'sec\_%' THEN 'ok' ELSE '55000' END,
		  name || CASE WHEN name LIKE 'sec\_%' THEN ': probe view without tenant filter, tenant unset, owner: reads (bypasses RLS)'
					   ELSE ': view, tenant unset, owner: 55000' END) FROM tenant_views ORDER BY name;
-- the paths through the API functions that take the tenant (the other paths
-- are plain SQL, which a superuser runs beyond any policy)
CREATE TEMP TABLE tenant_api (name text);
INSERT INTO tenant_api VALUES ('ship'), ('receive'), ('available_to_promise'), ('abc_classes'), ('replenish'),
	('refresh_customer_lifetime'), ('refit_models'), ('lead_model_train');
SELECT is(array_agg(name || ': ' || st ORDER BY name), NULL,
		  'tenant unset, owner: every path through an API function that takes the tenant fails with 55000')
  FROM (SELECT name, sec_test.sqlstate_of(sql) AS st FROM paths
		WHERE EXISTS (SELECT FROM tenant_api a WHERE paths.sql LIKE '%crmscm.' || a.name || '(%')) x
 WHERE st <> '55000';
SELECT is((SELECT count(DISTINCT a.name) FROM tenant_api a JOIN paths p ON p.sql LIKE '%crmscm.' || a.name || '(%'), 8::bigint,
		  'control: the owner check above went through all 8 of them');
SELECT is(sec_test.sqlstate_of(format('INSERT INTO %s DEFAULT VALUES', tab)), '55000',
		  name || ': tenant unset, owner: a row without tenant_id is refused (no default tenant)')
  FROM tenant_tables ORDER BY name;
SET LOCAL crmscm.tenant_id = 1;
SELECT is(sec_test.count_of(format('SELECT COALESCE(sum(hashtext(t::text)), 0) FROM %s t WHERE tenant_id = %s', s.tab, a.t)), a.h,
		  s.name || ': tenant ' || a.t || ' unchanged while the tenant was unset')
  FROM tenant_tables s JOIN snap_all a USING (name) ORDER BY s.name, a.t;

SELECT * FROM finish();
ROLLBACK;
