-- Benchmark data for bench/synergy.sh (issue #17), parts A and B, made
-- through the engine (triggers on): the commit pass creates the backorders
-- and reservations, as in production.
--   item 1: 50 open dated purchase order lines and 1,000 queued lines
--   item 2: 6,000 units at warehouse 1, 10,000 open lines of one unit each
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET search_path = crmscm, public;
SELECT setseed(0.17);

INSERT INTO warehouses (warehouse_id, name, location) VALUES
	(1, 'Milan', '(45.4642,9.19)'), (2, 'Hamburg', '(53.5511,9.9937)'), (3, 'Lyon', '(45.764,4.8357)');
INSERT INTO items (item_id, sku, name, lead_time_days) VALUES (1, 'P', 'promised', 20), (2, 'R', 'rebalanced', 10);
INSERT INTO customers (customer_id, name, location)
SELECT c, 'Customer ' || c, geopoint(44 + (c % 10), 5 + (c % 7)) FROM generate_series(1, 20000) c;
-- tiers: every fifth customer A, every fifth + 1 B, the rest C
SELECT count(*) FROM (SELECT set_customer_tier(c, CASE c % 5 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END)
  FROM generate_series(1, 1000) c) x;

-- item 1: 50 purchase orders of 10 units, one every 2 days, spread over the warehouses
INSERT INTO purchase_orders (po_id, supplier, expected_at, status)
SELECT p, 'supplier', current_date + 2 * p, 'ordered' FROM generate_series(1, 50) p;
INSERT INTO purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
SELECT p, 1, 1, 1 + p % 3, 10 FROM generate_series(1, 50) p;
-- 1,000 queued lines of item 1 (no stock: all backordered), mixed priority
BEGIN;
INSERT INTO sales_orders (order_id, customer_id, status, ship_to, priority)
SELECT o, 1 + (o * 7) % 1000, 'confirmed', geopoint(44 + (o % 10), 5 + (o % 7)), (o % 10 = 0)::int
  FROM generate_series(1, 1000) o;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price)
SELECT o, 1, 1, 1 + o % 3, 10 FROM generate_series(1, 1000) o;
COMMIT;

-- item 2: 6,000 units, then 10,000 orders of one unit from customers 1001..20000
-- (tier C when they order: the first 6,000 are reserved, 4,000 wait)
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind) VALUES (2, 1, 6000, 'receipt');
BEGIN;
INSERT INTO sales_orders (order_id, customer_id, status, ship_to)
SELECT 100000 + o, 1000 + o, 'confirmed', '(45.4642,9.19)' FROM generate_series(1, 10000) o;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id)
SELECT 100000 + o, 1, 2, 1, 10, 1 FROM generate_series(1, 10000) o;
COMMIT;
-- then a fifth of them become tier A (CLV refit), and tier A gets a 30 % share
SELECT count(*) FROM (SELECT set_customer_tier(1000 + o, 'A') FROM generate_series(1, 10000) o WHERE o % 5 = 0) x;
INSERT INTO allocation_rules (item_id, tier, share) VALUES (2, 'A', 0.3);
ANALYZE;
