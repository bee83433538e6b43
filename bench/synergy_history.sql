-- Order history for part C of bench/synergy.sh: :lines lines of closed
-- orders (10 per order, 20,000 customers, over the last 365 days), shipped
-- early, on time, late, in one or two shipments, some cancelled after a
-- partial shipment, with promises from stock, purchases and lead time.
-- Loaded as history with triggers (and FK checks) off, as
-- bench/reorder_load.sql does.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET session_replication_role = replica;
SET search_path = crmscm, public;
SELECT setseed(0.71);
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at)
SELECT 1000000 + o, 1 + (o * 7919) % 20000, 'closed',
       now() - interval '365 days' + (o % 364) * interval '1 day'
  FROM generate_series(1, (:lines / 10)::bigint) o;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped,
                               requested_date, promised_date, promise_source, covered_on,
                               customer_changed_at, first_shipped_at, last_shipped_at, shipments,
                               customer_id, order_status)
SELECT 1000000 + o, n, 1 + (o + n) % 2, 4, 10,
       CASE WHEN r < 0.02 THEN 'cancelled' ELSE 'shipped' END,
       CASE WHEN r < 0.02 THEN 2 ELSE 4 END,
       d + 3, d + 3 + (r * 10)::int % 4,
       (ARRAY['stock', 'purchase', 'lead_time'])[1 + (o + n) % 3],
       d + 2 + (r * 10)::int % 5,
       CASE WHEN r > 0.97 THEN d::timestamptz + interval '1 day' END,
       d::timestamptz + ((r * 100)::int % 9) * interval '1 day' + interval '10 hours',
       d::timestamptz + ((r * 100)::int % 9 + (r < 0.1)::int * 3) * interval '1 day' + interval '10 hours',
       1 + (r < 0.1)::int,
       1 + (o * 7919) % 20000, 'closed'
  FROM (SELECT o, n, random() AS r, current_date - 365 + (o % 364)::int AS d
          FROM generate_series(1, (:lines / 10)::bigint) o, generate_series(1, 10) n) x;
RESET session_replication_role;
VACUUM ANALYZE crmscm.sales_orders, crmscm.sales_order_lines;
