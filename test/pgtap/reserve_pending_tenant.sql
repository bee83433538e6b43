-- The routed forms of issue #16 on a single node: crmscm.reserve_pending(tenant)
-- works off one tenant's pending changes (and its lifetime bookkeeping when
-- no other tenant's is pending), ship(tenant, ...) equals ship(...), their
-- bad input, and the notes of two tenants through sub-transactions.  On
-- Citus both are distributed functions (test/citus/paths.sh).
--
-- Expected quantities worked out by hand: 10 units of item 1 in warehouse
-- 1 of each tenant; a line of 3 reserves 3, one of 12 reserves the rest.
\i test/setup.sql
SELECT * FROM no_plan();

CREATE FUNCTION pg_temp.fill(t bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('crmscm.tenant_id', t::text, true);
	INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'Hamburg', '(53.5511,9.9937)');
	INSERT INTO crmscm.items (item_id, sku, name) VALUES (1, 'A', 'a'), (2, 'B', 'b');
	INSERT INTO crmscm.customers (customer_id, name, location) VALUES (1, 'c', '(53.5,10)');
	INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 10, 'receipt');
	INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES (1, 1, 'confirmed', '(53.5,10)');
END $$;
-- the setup's own work first (stock on hand), then the deferred mode
SET CONSTRAINTS ALL IMMEDIATE;
SELECT pg_temp.fill(1);
SELECT pg_temp.fill(2);
SET CONSTRAINTS ALL DEFERRED;
CREATE FUNCTION pg_temp.line(t bigint, o bigint, l int) RETURNS text LANGUAGE sql AS
$$ SELECT format('reserved=%s backordered=%s shipped=%s', qty_reserved, qty_backordered, qty_shipped)
     FROM crmscm.sales_order_lines WHERE tenant_id = t AND order_id = o AND line_no = l $$;
-- the order's purchase lines as the lifetime bookkeeping has booked them
CREATE FUNCTION pg_temp.booked(t bigint, o bigint) RETURNS bigint LANGUAGE sql AS
$$ SELECT coalesce(sum(purchase_lines), 0) FROM crmscm.sales_order_totals WHERE tenant_id = t AND order_id = o $$;
CREATE FUNCTION pg_temp.state(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$;

-- one tenant's changes alone: reservations and the lifetime bookkeeping
SET LOCAL crmscm.tenant_id = 2;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 12);
SELECT is(pg_temp.line(2, 1, 1) || ' ' || pg_temp.booked(2, 1), 'reserved=0 backordered=0 shipped=0 0',
		  'a line of tenant 2: pending (the work is done at commit)');
SELECT lives_ok('SELECT crmscm.reserve_pending(2)', 'reserve_pending(2) in tenant 2');
SELECT is(pg_temp.line(2, 1, 1), 'reserved=10 backordered=2 shipped=0', 'tenant 2''s line: 10 reserved, 2 backordered');
SELECT is(pg_temp.booked(2, 1), 1::bigint, '... and its order booked for the customer lifetime (1 purchase line)');

-- two tenants' changes: reserve_pending(1) works off tenant 1's only
SET LOCAL crmscm.tenant_id = 1;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 3);
SET LOCAL crmscm.tenant_id = 2;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 2, 2, 1);
SET LOCAL crmscm.tenant_id = 1;
-- sub-transactions: work taken inside one that rolls back is pending again
SAVEPOINT a;
SELECT lives_ok('SELECT crmscm.reserve_pending(1)', 'reserve_pending(1) inside a savepoint');
SELECT is(pg_temp.line(1, 1, 1), 'reserved=3 backordered=0 shipped=0', '... reserves tenant 1''s line');
ROLLBACK TO SAVEPOINT a;
SELECT is(pg_temp.line(1, 1, 1), 'reserved=0 backordered=0 shipped=0', 'rolled back to the savepoint: nothing reserved');
SAVEPOINT b;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 2, 2, 1);
ROLLBACK TO SAVEPOINT b;
SAVEPOINT c;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 3, 2, 2);
RELEASE SAVEPOINT c;
SELECT lives_ok('SELECT crmscm.reserve_pending(1)', 'reserve_pending(1) again');
SELECT is(pg_temp.line(1, 1, 1), 'reserved=3 backordered=0 shipped=0', '... the line is reserved now (its note was pending again)');
SELECT is(pg_temp.line(1, 1, 3), 'reserved=0 backordered=2 shipped=0', '... the line of a released savepoint: 2 backordered (no stock of item 2)');
SELECT is((SELECT count(*) FROM crmscm.sales_order_lines WHERE tenant_id = 1 AND line_no = 2), 0::bigint,
		  '... the line of the rolled-back savepoint is gone');
SELECT is(pg_temp.line(2, 1, 2) || ' ' || pg_temp.booked(2, 1), 'reserved=0 backordered=0 shipped=0 1',
		  '... tenant 2''s new line still pending, reservation and bookkeeping');
SELECT is(pg_temp.booked(1, 1), 0::bigint, '... tenant 1''s bookkeeping waits for the commit too (tenant 2''s is pending)');
SELECT is((SELECT count(*) FROM crmscm.check_inventory() WHERE tenant_id = 1), 0::bigint, 'check_inventory() finds nothing in tenant 1');

-- ship(tenant, ...) is ship(...)
SELECT is(crmscm.ship(1, 1, 1, 2), 2::numeric, 'ship(1, 1, 1, 2) ships 2 units');
SELECT is(crmscm.ship(1, 1), 1::numeric, 'ship(1, 1) ships the last reserved unit');
SELECT lives_ok('SELECT crmscm.reserve_pending(1)', 'reserve_pending(1) after the shipments');
SELECT is(pg_temp.line(1, 1, 1), 'reserved=0 backordered=0 shipped=3', 'the line is shipped');
SELECT is((SELECT on_hand || '/' || reserved FROM crmscm.inventory WHERE tenant_id = 1 AND item_id = 1), '7/0',
		  'on hand 10 - 3 shipped, nothing reserved');
SELECT is((SELECT count(*) FROM crmscm.check_inventory() WHERE tenant_id = 1), 0::bigint, 'check_inventory() finds nothing in tenant 1');

-- bad input
SELECT throws_ok('SELECT crmscm.reserve_pending(2)', '22023', 'reserve_pending(2) in a transaction of tenant 1',
				 'reserve_pending() of another tenant than the session''s: 22023');
SELECT throws_ok('SELECT crmscm.reserve_pending(NULL)', '22004', NULL, 'reserve_pending(NULL): 22004');
SELECT throws_ok('SELECT crmscm.ship(2, 1, 1, 1)', '22023', NULL, 'ship() for another tenant than the session''s: 22023');
SELECT throws_ok('SELECT crmscm.ship(NULL, 1, 1, 1)', '22004', NULL, 'ship(NULL tenant): 22004');
SELECT throws_ok($$SELECT crmscm.ship(1, 1, 1, 'NaN')$$, '22003', NULL, 'ship(..., NaN): 22003');
SELECT throws_ok('SELECT crmscm.ship(1, 1, 1, -1)', '22023', NULL, 'ship(..., -1): 22023');
SET LOCAL crmscm.tenant_id = '';
SELECT throws_ok('SELECT crmscm.reserve_pending(1)', '55000', NULL, 'no tenant: reserve_pending(1) is an error (55000)');
SELECT throws_ok('SELECT crmscm.ship(1, 1, 1, 1)', '55000', NULL, '... and ship(1, ...)');

-- a role pinned to tenant 2
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_2') THEN CREATE ROLE crmscm_tenant_2 NOLOGIN; END IF;
END $$;
CREATE ROLE rp_w2 LOGIN IN ROLE crmscm_writer, crmscm_tenant_2;
DO $$ BEGIN
	EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
	EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO PUBLIC;
SET LOCAL SESSION AUTHORIZATION rp_w2;
SET LOCAL crmscm.tenant_id = 1;
SELECT is(pg_temp.state('SELECT crmscm.reserve_pending(1)') || ',' || pg_temp.state('SELECT crmscm.ship(1, 1, 1, 1)'), '42501,42501',
		  'pinned to tenant 2, in tenant 1: reserve_pending(1) and ship(1, ...) are errors (42501)');
SET LOCAL crmscm.tenant_id = 2;
SELECT lives_ok('SELECT crmscm.reserve_pending(2)', 'pinned to tenant 2: reserve_pending(2) works');
SELECT is(pg_temp.line(2, 1, 2), 'reserved=0 backordered=1 shipped=0', '... and works off its pending line (1 backordered: no stock of item 2)');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
