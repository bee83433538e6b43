-- Two ways into the reservation engine (src/reserve.c) that must agree: the
-- same lines, on the same stock, go once straight into a confirmed order
-- (tenant 1: each line noted as inserted) and once into a draft order that
-- is then confirmed (tenant 2: the order noted, all its lines reconciled);
-- reservations, backorders, line bookkeeping and inventory must come out
-- identical, numeric scales included (compared as text).  The quantities are
-- also worked out by hand in the comments.  The commit pass runs after each
-- statement here (SET CONSTRAINTS ALL IMMEDIATE), as 0.2.0's statement-time
-- triggers did, so the hand-computed values are those of 0.2.0.
-- Geography as in test/pgtap/orders.sql: from Munich, Milan ~350 km <
-- Hamburg ~610 km < Madrid ~1490 km; the depot without a location last.
\i test/setup.sql
SELECT * FROM no_plan();
SET CONSTRAINTS ALL IMMEDIATE;

CREATE FUNCTION pg_temp.scenario(p_tenant bigint, p_direct boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('crmscm.tenant_id', p_tenant::text, true);
	INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES
		(1, 'Hamburg', '(53.5511,9.9937)'), (2, 'Milan', '(45.4642,9.19)'),
		(3, 'Madrid', '(40.4168,-3.7038)'), (4, 'Depot', NULL);
	INSERT INTO crmscm.items (item_id, sku, name) SELECT g, 'SKU' || g, 'item ' || g FROM generate_series(1, 6) g;
	INSERT INTO crmscm.customers (customer_id, name) VALUES (1, 'Munich GmbH');
	INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES
		(1, 1, 5, 'receipt'), (1, 2, 3.0, 'receipt'), (1, 3, 10, 'receipt'),
		(2, 1, 2, 'receipt'),		-- item 2: no inventory row at Milan yet
		(4, 4, 2.5, 'receipt'),		-- item 4: only at the depot without location
		(5, 3, 1, 'receipt'), (5, 1, 1, 'receipt');
	-- item 3: no inventory row anywhere; item 6: stock nowhere, rows created below
	INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to, priority) VALUES
		(10, 1, CASE WHEN p_direct THEN 'confirmed' ELSE 'draft' END, '(48.1351,11.582)', 5),
		(11, 1, CASE WHEN p_direct THEN 'confirmed' ELSE 'draft' END, NULL, 0);
	-- one multi-row statement, lines deliberately not in key order
	INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, warehouse_id) VALUES
		(10, 7, 4, 3, 4),		-- depot (preferred): 1.5 left after line 5, 1.5 backordered there
		(10, 1, 1, 4, NULL),	-- Milan 3.0, Hamburg 1
		(10, 2, 1, 4, NULL),	-- Hamburg 4 (this statement's line 1 took the rest of Milan)
		(10, 3, 2, 5, NULL),	-- Hamburg 2, 3 backordered at Milan (row created)
		(10, 4, 3, 1.50, NULL),	-- nothing anywhere: 1.50 backordered at Milan
		(10, 5, 4, 1, NULL),	-- the depot comes last but is the only stock: 1
		(10, 6, 1, 20, 3),		-- Madrid only (preferred): 10, 10 backordered at Madrid
		(11, 1, 5, 2, NULL),	-- no ship_to: by warehouse id, Hamburg 1 then Madrid 1
		(11, 2, 6, 1, 4);		-- preferred depot without stock or row: backordered there
	IF NOT p_direct THEN
		UPDATE crmscm.sales_orders SET status = 'confirmed' WHERE order_id IN (10, 11);
	END IF;
	-- single-row statements on what is left
	INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (10, 8, 1, 1);
	INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (11, 3, 5, 0.5);
END
$$;

CREATE FUNCTION pg_temp.state(p_tenant bigint) RETURNS TABLE (kind text, v text) LANGUAGE sql AS $$
	SELECT 'reservation', format('%s/%s item %s wh %s qty %s', order_id, line_no, item_id, warehouse_id, qty)
	  FROM crmscm.reservations WHERE tenant_id = p_tenant
	UNION ALL
	SELECT 'backorder', format('%s/%s item %s wh %s qty %s prio %s', order_id, line_no, item_id, warehouse_id, qty, priority)
	  FROM crmscm.backorders WHERE tenant_id = p_tenant
	UNION ALL
	SELECT 'line', format('%s/%s %s qty %s reserved %s backordered %s', order_id, line_no, status, qty, qty_reserved, qty_backordered)
	  FROM crmscm.sales_order_lines WHERE tenant_id = p_tenant
	UNION ALL
	SELECT 'inventory', format('item %s wh %s on_hand %s reserved %s available %s', item_id, warehouse_id, on_hand, reserved, available)
	  FROM crmscm.inventory WHERE tenant_id = p_tenant
$$;

SELECT pg_temp.scenario(1, true);
SELECT pg_temp.scenario(2, false);
RESET crmscm.tenant_id;

SELECT set_eq('SELECT * FROM pg_temp.state(1)', 'SELECT * FROM pg_temp.state(2)',
	'insert into a confirmed order = insert into a draft order, then confirm');
SELECT is((SELECT count(*) FROM pg_temp.state(1)), (SELECT count(*) FROM pg_temp.state(2)), 'same number of rows');

-- by hand (tenant 1)
SELECT is((SELECT string_agg(format('%s:%s', warehouse_id, qty), ' ' ORDER BY warehouse_id) FROM reservations
            WHERE tenant_id = 1 AND order_id = 10 AND line_no = 1), '1:1.0 2:3.0',
	'line 1: Milan 3.0, Hamburg 4 - (8.0 - 5) = 1.0 (numeric scales as in SQL)');
SELECT is((SELECT string_agg(format('%s:%s', warehouse_id, qty), ' ' ORDER BY warehouse_id) FROM reservations
            WHERE tenant_id = 1 AND order_id = 10 AND line_no = 2), '1:4.0', 'line 2 sees what line 1 of the same statement took (5 - 1.0)');
SELECT is((SELECT format('%s:%s:%s', warehouse_id, qty, priority) FROM backorders WHERE tenant_id = 1 AND order_id = 10 AND line_no = 3),
	'2:3:5', 'line 3: 3 backordered at Milan with the order priority');
SELECT ok(EXISTS (SELECT FROM inventory WHERE tenant_id = 1 AND item_id = 3 AND warehouse_id = 2 AND on_hand = 0),
	'backorder target without inventory row: the row is created empty');
SELECT is((SELECT format('%s:%s', warehouse_id, qty) FROM backorders WHERE tenant_id = 1 AND order_id = 10 AND line_no = 6),
	'3:10', 'preferred warehouse only: the rest waits there');
SELECT is((SELECT string_agg(format('%s:%s', warehouse_id, qty), ' ' ORDER BY warehouse_id) FROM reservations
            WHERE tenant_id = 1 AND order_id = 11 AND line_no = 1), '1:1 3:1', 'no ship_to: warehouses by id');
SELECT is((SELECT string_agg(format('%s:%s', warehouse_id, qty), ' ' ORDER BY warehouse_id) FROM reservations
            WHERE tenant_id = 1 AND order_id = 10 AND line_no = 7), '4:1.5', 'preferred depot: what line 5 left');
SELECT is((SELECT count(*) FROM check_inventory()), 0::bigint, 'check_inventory() finds nothing');

-- lines of two tenants in one statement (a superuser may): each reserves
-- from its own tenant's stock only
-- (item 6 arrives in Hamburg in both; its backorder waits at the depot)
INSERT INTO stock_moves (tenant_id, item_id, warehouse_id, qty, kind) VALUES (1, 6, 1, 5, 'receipt'), (2, 6, 1, 5, 'receipt');
INSERT INTO sales_order_lines (tenant_id, order_id, line_no, item_id, qty) VALUES (2, 11, 9, 6, 1), (1, 11, 9, 6, 2);
SELECT is((SELECT string_agg(format('%s:%s:%s', tenant_id, warehouse_id, qty), ' ' ORDER BY tenant_id) FROM reservations
            WHERE order_id = 11 AND line_no = 9), '1:1:2 2:1:1', 'two tenants in one statement: each from its own stock');
SELECT is((SELECT string_agg(format('%s:%s', tenant_id, available), ' ' ORDER BY tenant_id) FROM inventory
            WHERE item_id = 6 AND warehouse_id = 1), '1:3 2:4', 'each tenant''s inventory row lowered by its own line');
SELECT is((SELECT count(*) FROM check_inventory()), 0::bigint, 'check_inventory() finds nothing');

-- a tenant without any warehouse
SET crmscm.tenant_id = 3;
INSERT INTO items (item_id, sku, name) VALUES (1, 'X', 'x');
INSERT INTO customers (customer_id, name) VALUES (1, 'c');
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (1, 1, 'confirmed');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 1)',
	'23503', 'tenant 3 has no warehouse to reserve or backorder item 1', 'no warehouse to backorder at');
RESET crmscm.tenant_id;

-- the engine's own writes end with the pass: bookkeeping is guarded again
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (10, 10, 1, 1);
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET qty_reserved = 99 WHERE tenant_id = 1 AND order_id = 10 AND line_no = 10',
	'23000', NULL, 'bookkeeping still guarded after an insert');

-- the note triggers refuse any other table: a stock move "noted" from a table
-- of one's own would raise on hand without a ledger row
CREATE TEMP TABLE fake (LIKE crmscm.stock_moves);
CREATE TRIGGER fake_move AFTER INSERT ON fake FOR EACH ROW EXECUTE FUNCTION crmscm._move_inserted();
SELECT throws_ok($$INSERT INTO fake (tenant_id, move_id, item_id, warehouse_id, qty, kind, moved_at)
                   VALUES (1, 1, 1, 1, 1000, 'receipt', now())$$,
	'39P01', NULL, 'fired by another table than crmscm.stock_moves: refused');
CREATE TEMP TABLE fake_lines (LIKE crmscm.sales_order_lines INCLUDING DEFAULTS);
CREATE TRIGGER fake_mark AFTER INSERT ON fake_lines FOR EACH ROW EXECUTE FUNCTION crmscm._lifetime_mark('line');
SELECT throws_ok($$INSERT INTO fake_lines (tenant_id, order_id, line_no, item_id, qty, unit_price, status, qty_reserved, qty_backordered, qty_shipped)
                   VALUES (1, 10, 99, 1, 1, 1000, 'open', 0, 0, 0)$$,
	'39P01', NULL, 'nor may a foreign table write customer-lifetime notes');
SELECT is((SELECT on_hand FROM inventory WHERE tenant_id = 1 AND item_id = 1 AND warehouse_id = 1), 5::numeric,
	'and on hand is what the stock moves say');

-- cached plans survive DDL and a new copy of the extension in the same session
-- (deferred checks first: DDL refuses to run with trigger events pending)
SET CONSTRAINTS ALL IMMEDIATE;
CREATE INDEX ON reservations (qty);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (11, 11, 6, 1);
SELECT is((SELECT qty_reserved FROM sales_order_lines WHERE tenant_id = 1 AND order_id = 11 AND line_no = 11), 1::numeric,
	'after DDL on a written table (item 6: 3 left in Hamburg)');
DROP EXTENSION crmscm CASCADE;
CREATE EXTENSION crmscm;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO warehouses (warehouse_id, name) VALUES (1, 'w');
INSERT INTO items (item_id, sku, name) VALUES (1, 'a', 'a');
INSERT INTO customers (customer_id, name) VALUES (1, 'c');
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 2, 'receipt');
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (1, 1, 'confirmed');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 3);
SELECT is((SELECT format('%s %s', qty_reserved, qty_backordered) FROM sales_order_lines), '2 1',
	'after DROP and CREATE EXTENSION in the same session');

SELECT * FROM finish();
ROLLBACK;
