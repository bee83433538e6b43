-- Orders and inventory reservations (doc/orders.md): every behaviour, bad input.
--
-- Expected quantities are worked out by hand from the scenario in the
-- comments (doc/orders.md rules applied step by step), never copied from output.
-- Warehouse order for a customer in Munich (48.1351, 11.5820) is geography:
-- Milan ~350 km < Hamburg ~610 km < Madrid ~1490 km; the depot without a
-- location comes last.
\i test/setup.sql
SELECT * FROM no_plan();
-- The stock work of order changes is done at commit (README "Orders and
-- inventory reservations"); this test checks every step inside one
-- transaction, so it makes the commit pass run after each statement.
SET CONSTRAINTS ALL IMMEDIATE;

INSERT INTO warehouses (warehouse_id, name, location) VALUES
	(1, 'Hamburg', '(53.5511,9.9937)'), (2, 'Milan', '(45.4642,9.19)'),
	(3, 'Madrid', '(40.4168,-3.7038)'), (4, 'Depot', NULL);
INSERT INTO items (item_id, sku, name) SELECT g, 'SKU' || g, 'item ' || g FROM generate_series(1, 12) g;
INSERT INTO customers (customer_id, name, location) VALUES (1, 'Munich GmbH', '(48.1351,11.582)');
CREATE TEMP TABLE munich AS SELECT '(48.1351,11.582)'::geopoint AS p;

CREATE FUNCTION pg_temp.inv(i bigint, w bigint) RETURNS text LANGUAGE sql AS
$$ SELECT format('on_hand=%s reserved=%s on_order=%s', on_hand, reserved, on_order)
     FROM crmscm.inventory WHERE item_id = i AND warehouse_id = w $$;
CREATE FUNCTION pg_temp.line(o bigint, l int) RETURNS text LANGUAGE sql AS
$$ SELECT format('%s qty=%s reserved=%s backordered=%s shipped=%s', status, qty, qty_reserved, qty_backordered, qty_shipped)
     FROM crmscm.sales_order_lines WHERE order_id = o AND line_no = l $$;
CREATE FUNCTION pg_temp.res(o bigint, l int) RETURNS text LANGUAGE sql AS
$$ SELECT coalesce(string_agg(warehouse_id || ':' || qty, ' ' ORDER BY warehouse_id), '-')
     FROM crmscm.reservations WHERE order_id = o AND line_no = l $$;
CREATE FUNCTION pg_temp.bo(o bigint, l int) RETURNS text LANGUAGE sql AS
$$ SELECT coalesce(string_agg(warehouse_id || ':' || qty, ' ' ORDER BY backorder_id), '-')
     FROM crmscm.backorders WHERE order_id = o AND line_no = l $$;
CREATE FUNCTION pg_temp.receipt(i bigint, w bigint, q numeric) RETURNS void LANGUAGE sql AS
$$ INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (i, w, q, 'receipt') $$;
CREATE FUNCTION pg_temp.new_order(o bigint, st text DEFAULT 'confirmed', prio int DEFAULT 0) RETURNS void LANGUAGE sql AS
$$ INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to, priority)
   SELECT o, 1, st, p, prio FROM munich $$;

-- ===== A: nearest warehouses with stock first, split =====
-- item 1: Hamburg 5, Milan 3, Madrid 10; 6 units to Munich: Milan 3 then Hamburg 3
SELECT pg_temp.receipt(1, 1, 5), pg_temp.receipt(1, 2, 3), pg_temp.receipt(1, 3, 10);
SELECT pg_temp.new_order(1);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (1, 1, 1, 6);
SELECT is(pg_temp.res(1, 1), '1:3 2:3', 'split: Milan (nearest) 3, then Hamburg 3; Madrid untouched');
SELECT is(pg_temp.line(1, 1), 'open qty=6 reserved=6 backordered=0 shipped=0', 'line fully reserved');
SELECT is(pg_temp.inv(1, 3), 'on_hand=10 reserved=0 on_order=0', 'farthest warehouse not used');
SELECT is(pg_temp.inv(1, 2), 'on_hand=3 reserved=3 on_order=0', 'Milan all reserved');

-- ===== B: the rest becomes a backorder at the nearest warehouse =====
-- item 2: Hamburg 2 only; 5 units: Hamburg 2 reserved, 3 backordered at Milan
SELECT pg_temp.receipt(2, 1, 2);
SELECT pg_temp.new_order(2);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (2, 1, 2, 5);
SELECT is(pg_temp.res(2, 1), '1:2', 'reserves what Hamburg has');
SELECT is(pg_temp.bo(2, 1), '2:3', 'backorder of 3 at Milan, the nearest warehouse');
SELECT is(pg_temp.line(2, 1), 'open qty=5 reserved=2 backordered=3 shipped=0', 'qty = reserved + backordered');
-- a receipt at Milan fills it partly; a receipt elsewhere leaves it waiting at Milan
SELECT pg_temp.receipt(2, 2, 1);
SELECT is(pg_temp.bo(2, 1), '2:2', 'receipt of 1 at Milan: backorder 3 -> 2');
SELECT is(pg_temp.res(2, 1), '1:2 2:1', 'filled unit reserved at Milan');
SELECT pg_temp.receipt(2, 1, 10);
SELECT is(pg_temp.bo(2, 1), '2:2', 'backorders wait for their own warehouse');

-- ===== C: fill order: priority desc, then created_at, then backorder_id =====
-- item 3, no stock: orders 3 (prio 0), 4 (prio 5), 5 (prio 0, made older) each 2 units
SELECT pg_temp.new_order(3, 'confirmed', 0), pg_temp.new_order(4, 'confirmed', 5), pg_temp.new_order(5, 'confirmed', 0);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (3, 1, 3, 2);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (4, 1, 3, 2);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (5, 1, 3, 2);
UPDATE backorders SET created_at = created_at - interval '1 hour' WHERE order_id = 5;
SELECT results_eq('SELECT order_id, queue_position FROM backorder_queue WHERE item_id = 3 ORDER BY queue_position',
	$$VALUES (4::bigint, 1::bigint), (5, 2), (3, 3)$$, 'queue: priority 5 first, then the older, then the newer');
SELECT pg_temp.receipt(3, 2, 5);
SELECT is(pg_temp.line(4, 1), 'open qty=2 reserved=2 backordered=0 shipped=0', 'priority 5 filled first');
SELECT is(pg_temp.line(5, 1), 'open qty=2 reserved=2 backordered=0 shipped=0', 'older backorder filled second');
SELECT is(pg_temp.line(3, 1), 'open qty=2 reserved=1 backordered=1 shipped=0', 'newest gets the last unit');
SELECT is(pg_temp.inv(3, 2), 'on_hand=5 reserved=5 on_order=0', 'all 5 received units reserved');
-- same priority and created_at: backorder_id decides (orders 13, 14 in one transaction)
SELECT pg_temp.new_order(13), pg_temp.new_order(14);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (13, 1, 12, 1);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (14, 1, 12, 1);
SELECT pg_temp.receipt(12, 2, 1);
SELECT is(pg_temp.res(13, 1) || ' / ' || pg_temp.res(14, 1), '2:1 / -', 'ties broken by backorder_id');

-- ===== D: preferred warehouse =====
-- item 4: Milan 10, Madrid 3; 5 units preferring Madrid: 3 reserved there, 2 backordered there
SELECT pg_temp.receipt(4, 2, 10), pg_temp.receipt(4, 3, 3);
SELECT pg_temp.new_order(6);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, warehouse_id) VALUES (6, 1, 4, 5, 3);
SELECT is(pg_temp.res(6, 1), '3:3', 'preferred warehouse only, though Milan is nearer');
SELECT is(pg_temp.bo(6, 1), '3:2', 'backorder at the preferred warehouse');
SELECT is(pg_temp.inv(4, 2), 'on_hand=10 reserved=0 on_order=0', 'Milan untouched');

-- ===== E: quantity up and down =====
-- item 5: Milan 4. Order 7 line 6 -> res 4, bo 2; order 8 line 2 -> bo 2
SELECT pg_temp.receipt(5, 2, 4);
SELECT pg_temp.new_order(7), pg_temp.new_order(8);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (7, 1, 5, 6);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (8, 1, 5, 2);
UPDATE sales_order_lines SET qty = 8 WHERE order_id = 7 AND line_no = 1;
SELECT is(pg_temp.line(7, 1), 'open qty=8 reserved=4 backordered=4 shipped=0', 'qty up: the extra 2 are backordered');
SELECT is(pg_temp.bo(7, 1), '2:2 2:2', 'a second backorder for the extra, queued behind order 8');
-- down to 3: backorders go first (4), then 1 reserved unit, which fills order 8
UPDATE sales_order_lines SET qty = 3 WHERE order_id = 7 AND line_no = 1;
SELECT is(pg_temp.line(7, 1), 'open qty=3 reserved=3 backordered=0 shipped=0', 'qty down: backorders dropped first, then a reservation');
SELECT is(pg_temp.line(8, 1), 'open qty=2 reserved=1 backordered=1 shipped=0', 'released unit went to the waiting backorder');
SELECT is(pg_temp.inv(5, 2), 'on_hand=4 reserved=4 on_order=0', 'nothing left available while a backorder waits');

-- ===== F: line cancel releases to waiting backorders first =====
UPDATE sales_order_lines SET status = 'cancelled' WHERE order_id = 7 AND line_no = 1;
SELECT is(pg_temp.line(7, 1), 'cancelled qty=3 reserved=0 backordered=0 shipped=0', 'cancelled line holds nothing');
SELECT is(pg_temp.line(8, 1), 'open qty=2 reserved=2 backordered=0 shipped=0', 'order 8 filled from the release');
SELECT is(pg_temp.inv(5, 2), 'on_hand=4 reserved=2 on_order=0', 'the rest is available again');

-- ===== G: ship =====
-- order 1 line 1: reservations Milan 3 (first made), Hamburg 3
SELECT is(ship(1, 1, 4), 4::numeric, 'ship 4 returns 4');
SELECT is(pg_temp.line(1, 1), 'open qty=6 reserved=2 backordered=0 shipped=4', 'shipped 4, 2 still reserved');
SELECT is(pg_temp.inv(1, 2), 'on_hand=0 reserved=0 on_order=0', 'Milan reservation consumed first');
SELECT is(pg_temp.inv(1, 1), 'on_hand=4 reserved=2 on_order=0', 'then 1 from Hamburg');
SELECT results_eq($$SELECT warehouse_id, qty, kind FROM stock_moves WHERE order_id = 1 AND line_no = 1 ORDER BY move_id$$,
	$$VALUES (2::bigint, -3::numeric, 'shipment'::text), (1, -1, 'shipment')$$, 'shipment moves written');
SELECT is(ship(1, 1), 2::numeric, 'ship NULL ships all reserved');
SELECT is(pg_temp.line(1, 1), 'shipped qty=6 reserved=0 backordered=0 shipped=6', 'fully shipped line is shipped');
SELECT throws_ok('SELECT crmscm.ship(1, 1, 1)', '23514', 'cannot ship line 1/1: it is shipped', 'no shipping from a shipped line');
SELECT throws_ok('SELECT crmscm.ship(2, 1, 4)', '23514', 'cannot ship 4 of line 2/1: only 3 reserved', 'cannot ship more than reserved');
SELECT throws_ok('SELECT crmscm.ship(2, 1, 0)', '22023', 'quantity to ship must be positive, got 0', 'ship qty 0 rejected');
SELECT throws_ok('SELECT crmscm.ship(2, 1, -1)', '22023', NULL, 'ship qty < 0 rejected');
SELECT throws_ok('SELECT crmscm.ship(99, 1)', '23503', 'order line 99/1 does not exist', 'ship unknown line');
SELECT throws_ok('SELECT crmscm.ship(7, 1)', '23514', 'cannot ship line 7/1: it is cancelled', 'ship cancelled line');
-- lowering qty to what was shipped finishes the line
SELECT ship(8, 1, 1);
UPDATE sales_order_lines SET qty = 1 WHERE order_id = 8 AND line_no = 1;
SELECT is(pg_temp.line(8, 1), 'shipped qty=1 reserved=0 backordered=0 shipped=1', 'qty lowered to shipped: line shipped, rest released');

-- ===== H: confirm and cancel a whole order =====
-- item 6: Hamburg 5; item 7: nothing. Draft order 9 holds nothing until confirmed.
SELECT pg_temp.receipt(6, 1, 5);
SELECT pg_temp.new_order(9, 'draft');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (9, 1, 7, 1), (9, 2, 6, 2);
SELECT is(pg_temp.line(9, 2), 'open qty=2 reserved=0 backordered=0 shipped=0', 'draft lines reserve nothing');
UPDATE sales_orders SET status = 'confirmed' WHERE order_id = 9;
SELECT is(pg_temp.res(9, 2) || ' / ' || pg_temp.bo(9, 1), '1:2 / 2:1', 'confirm: item 6 reserved in Hamburg, item 7 backordered at Milan');
UPDATE sales_orders SET status = 'cancelled' WHERE order_id = 9;
SELECT is(pg_temp.line(9, 1) || ' / ' || pg_temp.line(9, 2),
	'cancelled qty=1 reserved=0 backordered=0 shipped=0 / cancelled qty=2 reserved=0 backordered=0 shipped=0', 'cancel: lines cancelled, nothing held');
SELECT is(pg_temp.inv(6, 1), 'on_hand=5 reserved=0 on_order=0', 'cancel released the reservation');
SELECT is((SELECT count(*) FROM backorders WHERE order_id = 9), 0::bigint, 'cancel dropped the backorder');

-- ===== I: delete a line, delete an order =====
SELECT pg_temp.new_order(10);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (10, 1, 6, 3), (10, 2, 7, 2);
DELETE FROM sales_order_lines WHERE order_id = 10 AND line_no = 1;
SELECT is(pg_temp.inv(6, 1), 'on_hand=5 reserved=0 on_order=0', 'deleted line released its reservation');
DELETE FROM sales_orders WHERE order_id = 10;
SELECT is((SELECT count(*) FROM backorders WHERE order_id = 10), 0::bigint, 'deleted order dropped its backorders');
SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'no reservation or backorder refers to a deleted line');

-- ===== J: adjustments =====
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind) VALUES (6, 1, -2, 'adjustment');
SELECT is(pg_temp.inv(6, 1), 'on_hand=3 reserved=0 on_order=0', 'negative adjustment lowers on hand');
SELECT pg_temp.new_order(11);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (11, 1, 6, 3);
SELECT throws_ok($$INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (6, 1, -1, 'adjustment')$$,
	'23514', 'adjustment of -1 for item 6 in warehouse 1 would leave on hand below reserved stock', 'adjustment may not break reserved <= on_hand');
SELECT is(pg_temp.inv(6, 1), 'on_hand=3 reserved=3 on_order=0', 'failed adjustment changed nothing');
-- a positive adjustment fills backorders: order 12 waits for 2 of item 7 at Milan
SELECT pg_temp.new_order(12);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (12, 1, 7, 2);
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind) VALUES (7, 2, 1, 'adjustment');
SELECT is(pg_temp.line(12, 1), 'open qty=2 reserved=1 backordered=1 shipped=0', 'positive adjustment filled a backorder');

-- ===== K: purchase orders =====
INSERT INTO purchase_orders (po_id, supplier) VALUES (1, 'Acme');
INSERT INTO purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 7, 2, 5);
SELECT is(pg_temp.inv(7, 2), 'on_hand=1 reserved=1 on_order=0', 'a draft purchase order is not on order');
UPDATE purchase_orders SET status = 'ordered' WHERE po_id = 1;
SELECT is(pg_temp.inv(7, 2), 'on_hand=1 reserved=1 on_order=5', 'ordered: open quantity on order');
UPDATE purchase_order_lines SET qty_received = 2 WHERE po_id = 1 AND line_no = 1;
SELECT is(pg_temp.inv(7, 2), 'on_hand=3 reserved=2 on_order=3', 'receiving 2: receipt, backorder filled, on order down');
SELECT is(pg_temp.line(12, 1), 'open qty=2 reserved=2 backordered=0 shipped=0', 'PO receipt filled the backorder');
SELECT is(receive(1, 1), 3::numeric, 'receive() the rest');
SELECT is(pg_temp.inv(7, 2), 'on_hand=6 reserved=2 on_order=0', 'fully received');
SELECT is((SELECT status FROM purchase_orders WHERE po_id = 1), 'received', 'purchase order received');
SELECT is((SELECT count(*) FROM stock_moves WHERE item_id = 7 AND kind = 'receipt'), 2::bigint, 'two receipt moves');
SELECT throws_ok('SELECT crmscm.receive(1, 1, 1)', '23514', 'cannot receive on purchase order 1: it is received', 'no receiving on a received order');
INSERT INTO purchase_orders (po_id, supplier, status) VALUES (2, 'Acme', 'draft');
INSERT INTO purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (2, 1, 8, 1, 4), (2, 2, 8, 1, 6);
UPDATE purchase_orders SET status = 'ordered' WHERE po_id = 2;
UPDATE purchase_order_lines SET qty = 5 WHERE po_id = 2 AND line_no = 1;
SELECT is(pg_temp.inv(8, 1), 'on_hand=0 reserved=0 on_order=11', 'line qty change moves on_order (5 + 6)');
UPDATE purchase_orders SET status = 'cancelled' WHERE po_id = 2;
SELECT is(pg_temp.inv(8, 1), 'on_hand=0 reserved=0 on_order=0', 'cancelled purchase order is off order');

-- ===== L: available to promise =====
-- item 4: Milan available 10; Madrid available 0 with 2 backordered; Hamburg no row
SELECT is(available_to_promise(4), 10::numeric, 'ATP over all warehouses');
SELECT is(available_to_promise(4, 3), 0::numeric, 'ATP where backorders wait is 0');
SELECT is(available_to_promise(4, 2), 10::numeric, 'ATP of one warehouse');
-- item 7 at Milan: on hand 6, reserved 2 -> 4
SELECT is(available_to_promise(7, 2), 4::numeric, 'ATP = on hand - reserved');
INSERT INTO purchase_orders (po_id, status) VALUES (3, 'draft');
INSERT INTO purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (3, 1, 7, 2, 3);
UPDATE purchase_orders SET status = 'ordered' WHERE po_id = 3;
SELECT is(available_to_promise(7, 2, true), 7::numeric, 'ATP including 3 on order');
SELECT throws_ok('SELECT crmscm.available_to_promise(999)', '23503', 'item 999 does not exist', 'ATP of unknown item');
SELECT throws_ok('SELECT crmscm.available_to_promise(1, 999)', '23503', 'warehouse 999 does not exist', 'ATP of unknown warehouse');

-- ===== M: ship_to NULL: warehouses by id; no location last =====
-- item 9: Depot (no location) 2, Madrid 2. Order without ship_to, 5 units:
-- distance unknown everywhere -> by warehouse id: Madrid (3) then Depot (4); backorder at warehouse 1
SELECT pg_temp.receipt(9, 4, 2), pg_temp.receipt(9, 3, 2);
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (15, 1, 'confirmed');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (15, 1, 9, 5);
SELECT is(pg_temp.res(15, 1) || ' / ' || pg_temp.bo(15, 1), '3:2 4:2 / 1:1', 'no ship_to: by warehouse id, backorder at warehouse 1');
-- with a ship_to, the depot without location still comes last
SELECT pg_temp.receipt(9, 4, 1), pg_temp.receipt(9, 2, 1);
SELECT pg_temp.new_order(16);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (16, 1, 9, 2);
SELECT is(pg_temp.res(16, 1), '2:1 4:1', 'Milan first, the depot without location last');

-- ===== N: multi-line insert in any item order =====
SELECT pg_temp.receipt(10, 1, 3), pg_temp.receipt(11, 1, 3);
SELECT pg_temp.new_order(17);
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (17, 1, 11, 2), (17, 2, 10, 2), (17, 3, 11, 2);
SELECT is(pg_temp.line(17, 1) || ' / ' || pg_temp.line(17, 2) || ' / ' || pg_temp.line(17, 3),
	'open qty=2 reserved=2 backordered=0 shipped=0 / open qty=2 reserved=2 backordered=0 shipped=0 / open qty=2 reserved=1 backordered=1 shipped=0',
	'one statement, several lines: reserved in line order');

-- ===== O: history import touches no stock =====
CREATE TEMP TABLE inv_before AS SELECT * FROM inventory;
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at) VALUES (20, 1, 'closed', '2020-01-01');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, status, qty_shipped) VALUES
	(20, 1, 1, 5, 'shipped', 5), (20, 2, 2, 1, 'cancelled', 0);
SELECT is((SELECT count(*) FROM (SELECT * FROM inventory EXCEPT SELECT * FROM inv_before) d), 0::bigint, 'history: inventory unchanged');
SELECT is((SELECT count(*) FROM reservations WHERE order_id = 20) + (SELECT count(*) FROM stock_moves WHERE order_id = 20), 0::bigint, 'history: no reservation, no move');

-- ===== P: bad input: clear errors, nothing changed =====
CREATE TEMP TABLE snap AS
	SELECT 'inv' AS t, row_to_json(i)::text AS r FROM inventory i
	UNION ALL SELECT 'line', row_to_json(l)::text FROM sales_order_lines l
	UNION ALL SELECT 'res', row_to_json(r)::text FROM reservations r
	UNION ALL SELECT 'bo', row_to_json(b)::text FROM backorders b
	UNION ALL SELECT 'ord', row_to_json(o)::text FROM sales_orders o
	UNION ALL SELECT 'mv', row_to_json(m)::text FROM stock_moves m;
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (2, 9, 1, 0)', '23514', NULL, 'qty 0 rejected');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (2, 9, 1, -3)', '23514', NULL, 'negative qty rejected');
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET qty = 0 WHERE order_id = 2 AND line_no = 1', '23514', NULL, 'qty lowered to 0 rejected');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (2, 9, 999, 1)', '23503', NULL, 'unknown item rejected');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, warehouse_id) VALUES (2, 9, 1, 1, 999)', '23503', NULL, 'unknown warehouse rejected');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (999, 1, 1, 1)', '23503', NULL, 'unknown order rejected');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (9, 9, 1, 1)', '23514', 'cannot add line 9 to order 9: the order is cancelled', 'line added to a cancelled order');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (20, 9, 1, 1)', '23514', 'cannot add line 9 to order 20: the order is closed', 'open line added to a closed order');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, qty_reserved) VALUES (2, 9, 1, 1, 1)', '23514', NULL, 'bookkeeping columns cannot be set on insert');
SELECT throws_ok('INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 999, 1, ''receipt'')', '23503', NULL, 'receipt into unknown warehouse');
SELECT throws_ok('INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (999, 1, 1, ''receipt'')', '23503', NULL, 'receipt of unknown item');
SELECT throws_ok('INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, -1, ''receipt'')', '23514', NULL, 'negative receipt');
SELECT throws_ok('INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, -1, ''shipment'')', '23514', 'shipment moves are written by crmscm.ship()', 'shipment moves only through ship()');
SELECT throws_ok('UPDATE crmscm.stock_moves SET qty = 100', '23514', 'stock moves are a ledger: they cannot be updated or deleted', 'moves cannot be updated');
SELECT throws_ok('DELETE FROM crmscm.stock_moves', '23514', NULL, 'moves cannot be deleted');
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET tenant_id = 2 WHERE order_id = 2', '23000', 'cannot change tenant_id of a row of "sales_order_lines"', 'tenant_id of a line cannot change');
SELECT throws_ok('UPDATE crmscm.sales_orders SET tenant_id = 2 WHERE order_id = 2', '23000', NULL, 'tenant_id of an order cannot change');
SELECT throws_ok('UPDATE crmscm.inventory SET tenant_id = 2', '23000', NULL, 'tenant_id of inventory cannot change');
SELECT throws_ok('UPDATE crmscm.items SET tenant_id = 2 WHERE item_id = 1', '23000', NULL, 'tenant_id of an item cannot change');
SELECT throws_ok('UPDATE crmscm.reservations SET tenant_id = 2', '23000', NULL, 'tenant_id of a reservation cannot change');
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET item_id = 3 WHERE order_id = 2 AND line_no = 1', '23514', 'cannot change the item or warehouse of line 1 of confirmed order 2', 'item of a reserved line cannot change');
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET qty_reserved = 0 WHERE order_id = 2 AND line_no = 1', '23000', NULL, 'qty_reserved cannot be set');
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET status = ''shipped'' WHERE order_id = 2 AND line_no = 1', '23514', NULL, 'status shipped only through ship()');
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET status = ''open'' WHERE order_id = 7 AND line_no = 1', '23514', NULL, 'a cancelled line stays cancelled');
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET qty = 1 WHERE order_id = 1 AND line_no = 1', '23514', NULL, 'a shipped line is final');
SELECT throws_ok('UPDATE crmscm.sales_order_lines SET order_id = 3 WHERE order_id = 2 AND line_no = 1', '23000', NULL, 'a line cannot move to another order');
SELECT throws_ok('UPDATE crmscm.inventory SET on_hand = on_hand + 1', '23000', NULL, 'on_hand only through moves');
SELECT throws_ok('INSERT INTO crmscm.inventory (item_id, warehouse_id, on_hand) VALUES (12, 1, 5)', '23000', NULL, 'inventory rows start empty');
SELECT throws_ok('UPDATE crmscm.sales_orders SET status = ''draft'' WHERE order_id = 2', '23514', 'cannot change status of order 2 from confirmed to draft', 'no way back to draft');
SELECT throws_ok('UPDATE crmscm.sales_orders SET status = ''confirmed'' WHERE order_id = 9', '23514', NULL, 'a cancelled order stays cancelled');
SELECT throws_ok('UPDATE crmscm.sales_orders SET status = ''closed'' WHERE order_id = 2', '23514', 'cannot close order 2: it has open lines', 'closing with open lines');
SELECT throws_ok('UPDATE crmscm.purchase_order_lines SET qty_received = 0 WHERE po_id = 1', '23514', NULL, 'qty_received cannot go down');
SELECT throws_ok('INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES (30, 1, ''shipped'')', '23514', NULL, 'unknown order status');
CREATE TEMP VIEW now_rows AS
	SELECT 'inv' AS t, row_to_json(i)::text AS r FROM inventory i
	UNION ALL SELECT 'line', row_to_json(l)::text FROM sales_order_lines l
	UNION ALL SELECT 'res', row_to_json(r)::text FROM reservations r
	UNION ALL SELECT 'bo', row_to_json(b)::text FROM backorders b
	UNION ALL SELECT 'ord', row_to_json(o)::text FROM sales_orders o
	UNION ALL SELECT 'mv', row_to_json(m)::text FROM stock_moves m;
SELECT is((SELECT count(*) FROM ((SELECT * FROM snap EXCEPT SELECT * FROM now_rows)
	UNION ALL (SELECT * FROM now_rows EXCEPT SELECT * FROM snap)) d), 0::bigint, 'the rejected statements changed nothing');

-- ===== Q: tenants stay apart =====
SET crmscm.tenant_id = 2;
INSERT INTO warehouses (warehouse_id, name, location) VALUES (100, 'T2 Milan', '(45.4642,9.19)');
INSERT INTO customers (customer_id, name) VALUES (100, 't2');
INSERT INTO items (item_id, sku, name) VALUES (100, 'SKU1', 'same sku, other tenant');
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (100, 100, 'confirmed');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (100, 1, 100, 2);
SELECT is(pg_temp.bo(100, 1), '100:2', 'tenant 2 backorders at its own warehouse');
SELECT throws_ok('SELECT crmscm.available_to_promise(1)', '23503', NULL, 'tenant 2 does not see tenant 1 items');
RESET crmscm.tenant_id;

-- ===== Q2: one backend, more than 1,000 passes =====
-- The pass keeps its statements per backend and makes them again every
-- 1,000 passes (src/reserve.c PASS_REPLAN_EVERY, promise_stage.c,
-- demand_state.c), freeing the old ones.  1,100 single-line inserts, each
-- its own pass (constraints immediate), then receipts: the bookkeeping
-- stays right across the re-made statements.  Expected by hand: 700 units
-- on hand, 1,100 lines of 1 unit: the first 700 reserved, 400 backordered;
-- a receipt of 400 fills them all.
INSERT INTO items (item_id, sku, name) VALUES (9901, 'REPLAN', 'replan');
SELECT pg_temp.receipt(9901, 1, 700);
SELECT pg_temp.new_order(9901);
DO $$ BEGIN
	FOR k IN 1 .. 1100 LOOP
		INSERT INTO crmscm.sales_order_lines (order_id, item_id, qty, unit_price, warehouse_id) VALUES (9901, 9901, 1, 1, 1);
	END LOOP;
END $$;
SELECT is((SELECT format('%s lines, reserved %s, backordered %s', count(*), sum(qty_reserved), sum(qty_backordered))
	FROM sales_order_lines WHERE order_id = 9901),
	'1100 lines, reserved 700, backordered 400', '1,100 passes in one backend: the first 700 lines reserved, 400 backordered');
SELECT is((SELECT format('%s %s', min(line_no), max(line_no)) FROM sales_order_lines WHERE order_id = 9901 AND qty_reserved = 1),
	'1 700', '... in line order (the queue across the statements made again)');
SELECT pg_temp.receipt(9901, 1, 400);
SELECT is(pg_temp.inv(9901, 1), 'on_hand=1100 reserved=1100 on_order=0', '... a receipt of 400 fills the 400 backorders');
SELECT is_empty('SELECT * FROM crmscm.check_inventory()', '... check_inventory() finds nothing');

-- ===== R: the invariants hold, and check_inventory() sees a broken one =====
SELECT is_empty('SELECT * FROM crmscm.check_inventory()', 'check_inventory() finds nothing wrong');
-- independent checks, written here without crmscm's functions
SELECT is_empty($$SELECT i.* FROM crmscm.inventory i
	WHERE i.on_hand <> coalesce((SELECT sum(m.qty) FROM crmscm.stock_moves m WHERE (m.tenant_id, m.item_id, m.warehouse_id) = (i.tenant_id, i.item_id, i.warehouse_id)), 0)
	   OR i.reserved <> coalesce((SELECT sum(r.qty) FROM crmscm.reservations r WHERE (r.tenant_id, r.item_id, r.warehouse_id) = (i.tenant_id, i.item_id, i.warehouse_id)), 0)
	   OR i.reserved > i.on_hand$$, 'independent: on_hand and reserved match moves and reservations');
SELECT is_empty($$SELECT l.* FROM crmscm.sales_order_lines l JOIN crmscm.sales_orders o USING (tenant_id, order_id)
	WHERE (o.status = 'confirmed' AND l.status = 'open' AND l.qty <> l.qty_reserved + l.qty_backordered + l.qty_shipped)
	   OR l.qty_reserved <> coalesce((SELECT sum(r.qty) FROM crmscm.reservations r WHERE (r.tenant_id, r.order_id, r.line_no) = (l.tenant_id, l.order_id, l.line_no)), 0)
	   OR l.qty_backordered <> coalesce((SELECT sum(b.qty) FROM crmscm.backorders b WHERE (b.tenant_id, b.order_id, b.line_no) = (l.tenant_id, l.order_id, l.line_no)), 0)
	   OR (l.status <> 'open' AND l.qty_reserved + l.qty_backordered > 0)$$, 'independent: line bookkeeping');
SELECT is_empty($$SELECT b.* FROM crmscm.backorders b JOIN crmscm.inventory i USING (tenant_id, item_id, warehouse_id)
	WHERE i.on_hand - i.reserved > 0$$, 'independent: no backorder where stock is available');
SELECT set_config('crmscm.internal', 'on', true);
UPDATE inventory SET on_hand = on_hand + 1 WHERE item_id = 4 AND warehouse_id = 2;
UPDATE sales_order_lines SET qty_backordered = qty_backordered + 1 WHERE order_id = 4 AND line_no = 1;
SELECT set_config('crmscm.internal', 'off', true);
SELECT results_eq('SELECT invariant, item_id, warehouse_id FROM crmscm.check_inventory() ORDER BY 1',
	$$VALUES ('line bookkeeping'::text, 3::bigint, NULL::bigint), ('on_hand = sum(stock_moves.qty)', 4, 2)$$,
	'check_inventory() reports exactly the two corrupted rows');

-- ===== S: views and comments =====
SELECT has_view('crmscm', 'inventory_position', 'view inventory_position');
SELECT has_view('crmscm', 'backorder_queue', 'view backorder_queue');
SELECT is_empty($$SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'crmscm' AND c.relname IN ('inventory_position', 'backorder_queue') AND a.attnum > 0
	  AND col_description(c.oid, a.attnum) IS NULL$$, 'every view column has a comment');
SELECT is((SELECT available_to_promise FROM inventory_position WHERE item_id = 4 AND warehouse_id = 2), 11::numeric,
	'inventory_position.available_to_promise (after the +1 above)');

SELECT * FROM finish();
ROLLBACK;
