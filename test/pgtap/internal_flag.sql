-- The setting crmscm.internal, which crmscm's own SECURITY DEFINER functions
-- raise while they write bookkeeping columns, gives a writer nothing: set by
-- anyone else it is refused (42501) instead of switching the bookkeeping off.
\i test/setup.sql
SELECT plan(7);

INSERT INTO items (item_id, sku, name) VALUES (1, 'IF-1', 'flag test item');
INSERT INTO warehouses (warehouse_id, name, location) VALUES (1, 'flag test warehouse', '(50,8)');
INSERT INTO customers (customer_id, name) VALUES (1, 'flag test customer');
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 5, 'receipt');
INSERT INTO sales_orders (order_id, customer_id, status, ship_to) VALUES (1, 1, 'confirmed', '(50,8)');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 2);
CREATE ROLE flag_writer IN ROLE crmscm_writer;
GRANT USAGE ON SCHEMA public TO flag_writer;
SET ROLE flag_writer;

SET LOCAL crmscm.internal = 'on';
SELECT throws_ok($$UPDATE crmscm.sales_order_lines SET qty_shipped = 2 WHERE order_id = 1$$, '42501',
                 'setting "crmscm.internal" is reserved for crmscm''s own functions',
                 'a writer with crmscm.internal on cannot write bookkeeping columns of order lines');
SELECT throws_ok($$UPDATE crmscm.sales_order_lines SET qty = 4 WHERE order_id = 1$$, '42501', NULL,
                 'nor change a line''s quantity past the reservation triggers');
SELECT throws_ok($$INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 7, 'receipt')$$,
                 '42501', NULL, 'nor insert a stock move that would not reach the inventory');
SELECT throws_ok($$UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE order_id = 1$$, '42501', NULL,
                 'nor cancel an order without releasing its reservations');

-- the same writer through the API, flag off: everything is booked
SET LOCAL crmscm.internal = 'off';
SELECT lives_ok($$INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 7, 'receipt')$$,
                'without the flag the writer''s receipt is accepted');
SELECT is((SELECT crmscm.ship(1, 1, NULL)), 2::numeric, 'and crmscm.ship(), which raises the flag itself, ships the 2 reserved units');
RESET ROLE;
-- 5 + 7 received, 2 shipped (hand count), and the books balance
SELECT ok((SELECT on_hand = 10 AND reserved = 0 FROM inventory WHERE item_id = 1 AND warehouse_id = 1)
          AND NOT EXISTS (SELECT FROM check_inventory()),
          'on hand 10, nothing reserved, check_inventory() clean');

SELECT * FROM finish();
ROLLBACK;
