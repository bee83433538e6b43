-- Benchmark data for bench/reorder.sh: 10,000 items x 3 warehouses and a
-- year of daily order history (:orders_per_day orders x 30 lines per day,
-- about 11 M line rows by default), loaded as closed historic orders with
-- shipped lines, triggers (and FK checks) off for the load.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET session_replication_role = replica;
SET search_path = crmscm, public;
SELECT setseed(0.42);

INSERT INTO warehouses (warehouse_id, name, location)
SELECT w, 'WH ' || w, geopoint(50 + w, 10 + w) FROM generate_series(1, 3) w;
INSERT INTO customers (customer_id, name)
SELECT c, 'Customer ' || c FROM generate_series(1, 1000) c;
INSERT INTO items (item_id, sku, name, unit_price, unit_cost, order_cost, holding_rate,
                   service_level, lead_time_days, lead_time_sd_days, pack_size)
SELECT i, 'B-' || i, 'Bench item ' || i, 15 + i % 90, 10 + i % 60, 40 + i % 50, 0.25,
       (ARRAY[0.9, 0.95, 0.98, 0.99])[1 + i % 4], 3 + i % 20, (i % 3)::numeric / 2,
       (ARRAY[1, 6, 12, 24])[1 + i % 4]
FROM generate_series(1, 10000) i;
INSERT INTO inventory (item_id, warehouse_id, on_hand, reserved, on_order)
SELECT i, w, (i * 7 + w * 13) % 200, 0, 0
FROM generate_series(1, 10000) i, generate_series(1, 3) w;

-- orders: :orders_per_day per day over the 365 days before today
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at)
SELECT d * :orders_per_day + o, 1 + (d * 7 + o) % 1000, 'closed',
       (current_date - 365 + d)::timestamptz + (o % 600) * interval '1 minute' + interval '8 hours'
FROM generate_series(0, 364) d, generate_series(1, :orders_per_day) o;

-- 30 lines per order; items skewed (r^2): fast movers and intermittent tails
-- (an import states the order's customer and status on its lines:
-- src/order_copy.c keeps what a row under replica states)
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id,
                               status, qty_shipped, customer_id, order_status)
SELECT x.order_id, x.n, x.item_id, x.qty, 15 + x.item_id % 90, x.wh, 'shipped', x.qty, x.customer_id, x.ostatus
FROM (SELECT o.order_id, o.customer_id, o.status AS ostatus, n,
             1 + floor(10000 * power(random(), 2))::int AS item_id,
             1 + floor(3 * random())::int AS wh,
             (1 + floor(5 * random()))::numeric AS qty
      FROM sales_orders o, generate_series(1, 30) n) x;
RESET session_replication_role;
ANALYZE;
