-- crmscm demo: reorder points from order history (issue #6, doc/reorder.md).
-- Its own items (SKUs 'R-...') and warehouses, a year of deterministic daily
-- demand loaded as closed historic orders with shipped lines (they touch no
-- stock), initial stock received through crmscm.stock_moves, then the
-- suggestions of crmscm.reorder_suggestions and the draft purchase orders of
-- crmscm.replenish().
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
SET search_path = crmscm, public;
SET TimeZone = 'UTC';
SET crmscm.tenant_id = 50;            -- a tenant of its own for this demo

\echo
\echo '== Reorder points: the formulas (Snyder & Shen; stockpyl test values)'
SELECT round(eoq(1300, 8, 0.225)::numeric, 4) AS "EOQ K=8 h=0.225 D=1300",
       round(eoq_backorder(1300, 8, 0.225, 5)::numeric, 4) AS "with backorders p=5",
       round(eoq_production(1300, 8, 0.225, 2000)::numeric, 4) AS "production rate 2000",
       round(reorder_point(7.5 / 7.725, 1300, 150, 1.0 / 12, 0)::numeric, 4) AS "EOQ+SS reorder point",
       normal_quantile(0.95) AS "z(0.95)",
       normal_loss(8) AS "L(8)";

-- two warehouses and one wholesale customer of this demo
INSERT INTO warehouses (name, location) VALUES
  ('R-Hamburg', geopoint(53.5511, 9.9937)), ('R-Munich', geopoint(48.1351, 11.5820));
INSERT INTO customers (name, email, location) VALUES
  ('R-Wholesale', 'buying@r-wholesale.example', geopoint(50.1109, 8.6821));

-- twelve items: unit price/cost, order cost, lead time, pack size, and a demand
-- pattern: p = chance of an order on a day (per mille), size = mean units
CREATE TEMP TABLE r_items (sku text, name text, price numeric, cost numeric, order_cost numeric,
                           lead numeric, lead_sd numeric, pack numeric, service numeric,
                           p int, size int, spread int);
INSERT INTO r_items VALUES
  ('R-100', 'Copy paper A4 (box)',        24,  14,  40,  5, 1, 10, 0.95, 980, 12, 3),
  ('R-101', 'Toner cartridge black',      89,  52,  60,  7, 2,  1, 0.98, 700,  3, 2),
  ('R-102', 'Ballpoint pens (50)',        11,   5,  25,  4, 0, 12, 0.90, 950, 20, 15),
  ('R-103', 'Office chair Ergo',         249, 140, 120, 21, 5,  1, 0.95, 120,  1, 1),
  ('R-104', 'Standing desk frame',       399, 230, 150, 28, 7,  1, 0.95,  40,  2, 3),
  ('R-105', 'USB-C docking station',     179,  95,  80, 14, 3,  5, 0.97, 300,  2, 1),
  ('R-106', 'Whiteboard 120x90',          79,  41,  60, 10, 2,  1, 0.90,  60,  3, 4),
  ('R-107', 'Label printer tape',         19,   8,  30,  6, 1, 20, 0.95, 850, 15, 18),
  ('R-108', 'Server rack 42U',          1299, 820, 200, 35, 10, 1, 0.99,   8,  1, 0),
  ('R-109', 'Shredder P-4',              149,  80,  70, 12, 2,  1, 0.95,  90,  1, 2),
  ('R-110', 'Coffee beans 1 kg',          18,   9,  35,  3, 1,  6, 0.95, 990, 25, 6),
  ('R-111', 'Typewriter ribbon',           9,   4,  20, 10, 0,  1, 0.90,   0,  0, 0);
INSERT INTO items (sku, name, unit_price, unit_cost, order_cost, holding_rate, service_level,
                   lead_time_days, lead_time_sd_days, pack_size)
SELECT sku, name, price, cost, order_cost, 0.25, service, lead, lead_sd, pack FROM r_items;

-- a year of history: one closed order per day, a shipped line per item that
-- sold that day; day d, item k: a deterministic pseudo-random draw
CREATE TEMP TABLE r_days AS
  SELECT d, (current_date - d) AS day FROM generate_series(1, 365) d;
CREATE TEMP TABLE r_draws AS
  SELECT dd.d, dd.day, i.item_id, i.sku, ri.size, ri.spread, ri.p,
         -- Knuth's multiplicative hash, high bits of 31: uniform in 0..999
         ((dd.d::bigint * 7919 + i.item_id * 104729) % 2147483648 * 2654435761 % 2147483648) * 1000 / 2147483648 AS u1,
         ((dd.d::bigint * 15485863 + i.item_id * 32452843) % 2147483648 * 2246822519 % 2147483648) * 1000 / 2147483648 AS u2
  FROM r_days dd CROSS JOIN items i JOIN r_items ri ON ri.sku = i.sku;
INSERT INTO sales_orders (customer_id, status, ordered_at, ship_to)
SELECT c.customer_id, 'closed', day + time '10:00', c.location
  FROM r_days, customers c WHERE c.name = 'R-Wholesale' ORDER BY day;
CREATE TEMP TABLE r_orders AS
  SELECT o.order_id, o.ordered_at::date AS day FROM sales_orders o
  JOIN customers c ON c.customer_id = o.customer_id AND c.name = 'R-Wholesale';
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id, status, qty_shipped)
SELECT o.order_id, row_number() OVER (PARTITION BY o.order_id ORDER BY x.item_id), x.item_id, x.qty,
       it.unit_price, w.warehouse_id, 'shipped', x.qty
  FROM (SELECT day, item_id, u1, greatest(1, size + (u2 % (2 * spread + 1)) - spread) AS qty
          FROM r_draws WHERE u1 < p) x
  JOIN r_orders o ON o.day = x.day
  JOIN items it ON it.tenant_id = current_tenant() AND it.item_id = x.item_id
  JOIN warehouses w ON w.name = CASE WHEN x.u1 % 3 = 0 THEN 'R-Munich' ELSE 'R-Hamburg' END;

-- stock: inventory rows, and receipts through the stock-move API (the
-- order/inventory triggers raise on_hand from them)
INSERT INTO inventory (item_id, warehouse_id)
SELECT i.item_id, w.warehouse_id FROM items i CROSS JOIN warehouses w
 WHERE i.sku LIKE 'R-%' AND w.name LIKE 'R-%'
ON CONFLICT DO NOTHING;
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind)
SELECT i.item_id, w.warehouse_id, s.qty, 'receipt'
  FROM (VALUES ('R-100', 'R-Hamburg', 400), ('R-100', 'R-Munich', 150), ('R-101', 'R-Hamburg', 20),
               ('R-102', 'R-Hamburg', 600), ('R-103', 'R-Hamburg', 2), ('R-105', 'R-Munich', 30),
               ('R-107', 'R-Hamburg', 100), ('R-108', 'R-Hamburg', 1), ('R-110', 'R-Munich', 60),
               ('R-111', 'R-Hamburg', 40)) s(sku, wh, qty)
  JOIN items i ON i.sku = s.sku JOIN warehouses w ON w.name = s.wh;

\echo
\echo '== Demand history: 365 days ending yesterday, missing days counted as zero'
SELECT i.sku, i.name,
       (p).total AS units, (p).demand_periods AS "days with demand",
       round((p).mean::numeric, 2) AS "mean/day", round((p).sd::numeric, 2) AS "sd/day",
       round((p).adi::numeric, 2) AS adi, round((p).cv2::numeric, 2) AS cv2,
       (p).demand_class AS class, (p).method, round((p).forecast::numeric, 3) AS "forecast/day"
  FROM (SELECT l.item_id,
               demand_class(o.ordered_at::date, l.qty::float8, current_date - 365, current_date - 1) AS p
          FROM sales_orders o JOIN sales_order_lines l USING (tenant_id, order_id)
          JOIN items i ON i.tenant_id = l.tenant_id AND i.item_id = l.item_id AND i.sku LIKE 'R-%'
         WHERE o.tenant_id = current_tenant()
         GROUP BY l.item_id) d
  JOIN items i ON i.tenant_id = current_tenant() AND i.item_id = d.item_id
 ORDER BY i.sku;

\echo
\echo '== Reorder suggestions (crmscm.reorder_suggestions), R- items'
SELECT sku, w.name AS warehouse, abc_class AS abc, on_hand, inventory_position AS position,
       round(demand_per_day::numeric, 2) AS "d/day", round(demand_sd::numeric, 2) AS "sd/day",
       demand_class AS class, lead_time_days AS lead, service_level AS sl,
       round(safety_stock::numeric, 1) AS "safety stock", round(reorder_point::numeric, 1) AS "reorder point",
       round(eoq::numeric, 1) AS eoq, order_qty AS lot, reorder_now AS "order?", suggested_qty AS qty
  FROM reorder_suggestions s JOIN warehouses w USING (tenant_id, warehouse_id)
 WHERE sku LIKE 'R-%'
 ORDER BY sku, w.name;

\echo
\echo '== Why (first five to order)'
SELECT sku || ' @ ' || w.name AS "item @ warehouse", reason
  FROM reorder_suggestions s JOIN warehouses w USING (tenant_id, warehouse_id)
 WHERE sku LIKE 'R-%' AND reorder_now
 ORDER BY abc_class, sku, w.name LIMIT 5;

\echo
\echo '== crmscm.replenish(): draft purchase orders'
SELECT r.po_id, w.name AS warehouse, r.line_no, i.sku, r.qty, r.expected_at
  FROM replenish('R-Office Supplies GmbH') r
  JOIN items i ON i.tenant_id = current_tenant() AND i.item_id = r.item_id
  JOIN warehouses w ON w.tenant_id = current_tenant() AND w.warehouse_id = r.warehouse_id
 WHERE i.sku LIKE 'R-%'
 ORDER BY r.po_id, r.line_no;
SELECT count(*) AS "to order after replenish()" FROM reorder_suggestions WHERE sku LIKE 'R-%' AND reorder_now;
RESET crmscm.tenant_id;
