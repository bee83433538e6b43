-- Orders and inventory reservations: a deterministic synthetic order stream.
-- Runs as its own tenant (40) so that the other demos' items and customers
-- do not change its numbers.
\echo
\echo '== Orders: a synthetic order stream reserving stock in 4 warehouses (tenant 40)'
SET search_path = crmscm, public;
SET crmscm.tenant_id = 40;

CREATE TEMP TABLE demo_orders_cities (name text PRIMARY KEY, country text, lat float8, lon float8);
\copy demo_orders_cities FROM 'data/cities.csv' WITH (FORMAT csv, HEADER true)

-- warehouses in 4 cities, a customer in each of the other 12
INSERT INTO warehouses (warehouse_id, name, location)
SELECT row_number() OVER (ORDER BY name), name, geopoint(lat, lon)
  FROM demo_orders_cities WHERE name IN ('Hamburg', 'Lyon', 'Milan', 'Warsaw');
INSERT INTO customers (customer_id, name, location, priority)
SELECT row_number() OVER (ORDER BY name), name || ' Trading', geopoint(lat, lon),
       CASE WHEN name IN ('Paris', 'Vienna') THEN 2 ELSE 0 END
  FROM demo_orders_cities WHERE name NOT IN ('Hamburg', 'Lyon', 'Milan', 'Warsaw');
INSERT INTO items (item_id, sku, name, unit_price) VALUES
	(1, 'ESP-01', 'Espresso machine', 420), (2, 'GRD-02', 'Coffee grinder', 180),
	(3, 'KTL-03', 'Kettle', 60), (4, 'MLK-04', 'Milk frother', 90),
	(5, 'SCL-05', 'Scale', 35), (6, 'FLT-06', 'Filter papers', 5);

-- opening stock: receipts into every warehouse (item i, warehouse w: (i*w) % 7 + 2 units; kettles scarce)
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind)
SELECT i, w, CASE WHEN i = 3 THEN 1 ELSE (i * w) % 7 + 2 END, 'receipt'
  FROM generate_series(1, 6) i, generate_series(1, 4) w;

-- 36 orders, one multi-line INSERT each (items in a scrambled order), confirmed
DO $$
DECLARE
	c int;
BEGIN
	FOR o IN 1 .. 36 LOOP
		c := (o * 5) % 12 + 1;
		INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to, priority)
		SELECT o, c, 'confirmed', location, priority FROM crmscm.customers
		 WHERE tenant_id = 40 AND customer_id = c;
		INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price)
		SELECT o, l, (o * 7 + l * 3) % 6 + 1, (o + l) % 3 + 1, 0
		  FROM generate_series(1, (o % 3) + 1) l;
	END LOOP;
END $$;

\echo
\echo '-- after 36 confirmed orders'
SELECT count(*) AS lines, sum(qty) AS units, sum(qty_reserved) AS reserved, sum(qty_backordered) AS backordered
  FROM sales_order_lines WHERE tenant_id = 40;

-- the day's changes: cancel every 7th order, cancel a line, change quantities,
-- ship what is reserved for every 3rd order, receive kettles, a purchase order
UPDATE sales_orders SET status = 'cancelled' WHERE tenant_id = 40 AND order_id % 7 = 0;
UPDATE sales_order_lines SET status = 'cancelled' WHERE tenant_id = 40 AND order_id = 5 AND line_no = 2;
UPDATE sales_order_lines SET qty = qty + 2 WHERE tenant_id = 40 AND order_id IN (2, 11) AND status = 'open';
UPDATE sales_order_lines SET qty = 1 WHERE tenant_id = 40 AND order_id IN (4, 13) AND status = 'open';
SELECT sum(ship(order_id, line_no)) AS "units shipped"
  FROM sales_order_lines WHERE tenant_id = 40 AND order_id % 3 = 0 AND status = 'open' AND qty_reserved > 0;
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind) VALUES (3, 3, 4, 'receipt');
INSERT INTO purchase_orders (po_id, supplier, expected_at) VALUES (1, 'Kaffeetechnik GmbH', '2024-06-01');
INSERT INTO purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 1, 1, 6), (1, 2, 2, 4, 4);
UPDATE purchase_orders SET status = 'ordered' WHERE po_id = 1;
SELECT receive(1, 1, 4) AS "espresso machines received in Hamburg";

\echo
\echo '-- stock per warehouse (crmscm.inventory_position)'
SELECT sku, warehouse_name AS warehouse, on_hand, reserved, available, backordered, on_order,
       available_to_promise AS atp
  FROM inventory_position WHERE tenant_id = 40 ORDER BY item_id, warehouse_id;

\echo
\echo '-- reservations per warehouse'
SELECT w.name AS warehouse, count(*) AS reservations, sum(r.qty) AS units
  FROM reservations r JOIN warehouses w USING (tenant_id, warehouse_id)
 WHERE r.tenant_id = 40 GROUP BY w.name ORDER BY w.name;

\echo
\echo '-- backorder queue (fill order: priority, then age, then id)'
SELECT sku, warehouse_name AS warehouse, queue_position AS pos, order_id, line_no, customer_name, qty, priority
  FROM backorder_queue WHERE tenant_id = 40 ORDER BY item_id, warehouse_id, queue_position;

\echo
\echo '-- available to promise over all warehouses, and counting stock on order'
SELECT sku, available_to_promise(item_id) AS atp, available_to_promise(item_id, NULL, true) AS atp_with_on_order
  FROM items WHERE tenant_id = 40 ORDER BY item_id;

\echo
\echo '-- crmscm.check_inventory(): invariants violated (none expected)'
SELECT count(*) AS violations FROM check_inventory() WHERE tenant_id = 40;
RESET crmscm.tenant_id;
