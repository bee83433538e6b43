-- Who may write the columns crmscm maintains (README "Using crmscm from an
-- application"): crmscm's own C code only.  The setting crmscm.internal,
-- which 0.1.0 and 0.2.0 raised in their SECURITY DEFINER functions, gives a
-- writer nothing; a whole-object save that writes the same values back
-- passes.
\i test/setup.sql
SELECT plan(9);
SET CONSTRAINTS ALL IMMEDIATE;

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
SELECT throws_ok($$UPDATE crmscm.sales_order_lines SET qty_shipped = 2 WHERE order_id = 1$$, '23000',
                 'column "qty_shipped" of "sales_order_lines" is maintained by crmscm and cannot be changed directly',
                 'a writer with crmscm.internal on cannot write bookkeeping columns of order lines');
SELECT throws_ok($$UPDATE crmscm.sales_order_lines SET qty_reserved = 0 WHERE order_id = 1$$, '23000', NULL,
                 'nor take a line''s reservation away');
SELECT throws_ok($$UPDATE crmscm.inventory SET on_hand = 1000 WHERE item_id = 1$$, '42501', NULL,
                 'nor write inventory (no UPDATE right on it)');
SELECT lives_ok($$UPDATE crmscm.sales_order_lines SET qty_reserved = 2.0, qty_backordered = 0.00, qty_shipped = qty_shipped
                   WHERE order_id = 1$$,
                'a whole-object save writing the same values back (2 as 2.0) passes');
SELECT is((SELECT format('%s %s', qty_reserved, qty_backordered) FROM crmscm.sales_order_lines WHERE order_id = 1), '2 0',
          'and the stored values stay as they were');

-- the same writer through the API: everything is booked
SELECT lives_ok($$INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 7, 'receipt')$$,
                'the writer''s receipt is accepted');
SELECT is((SELECT crmscm.ship(1, 1, NULL)), 2::numeric, 'crmscm.ship() ships the 2 reserved units');
RESET ROLE;
-- 5 + 7 received, 2 shipped (hand count), and the books balance
SELECT ok((SELECT on_hand = 10 AND reserved = 0 FROM inventory WHERE item_id = 1 AND warehouse_id = 1),
          'on hand 10, nothing reserved');
SELECT is_empty('SELECT * FROM crmscm.check_inventory()', 'check_inventory() clean');

SELECT * FROM finish();
ROLLBACK;
