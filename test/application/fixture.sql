-- A tenant with a row in every crmscm table, written as an application
-- would (#15): no explicit ids in identity columns; keys found by sku/name.
-- Run as the extension owner with crmscm.tenant_id = 1.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
SELECT set_config('crmscm.tenant_id', '1', true);
INSERT INTO crmscm.warehouses (name, location) VALUES ('Hamburg', '(53.5511,9.9937)'), ('Milan', '(45.4642,9.19)');
INSERT INTO crmscm.items (sku, name, unit_price, unit_cost, order_cost, lead_time_days)
VALUES ('ESP', 'Espresso machine', 250, 120, 50, 7), ('CUP', 'Cup', 2.5, 1, 5, 3), ('BEAN', 'Beans 1kg', 18.90, 9, 10, 5);
INSERT INTO crmscm.customers (name, email, location, priority)
SELECT 'Customer ' || i, 'c' || i || '@example.com', '(48.1351,11.582)', i % 3 FROM generate_series(1, 12) i;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
SELECT i.item_id, w.warehouse_id, 20, 'receipt' FROM crmscm.items i, crmscm.warehouses w WHERE i.sku <> 'BEAN';
-- history: closed orders on past days (purchases for the lifetime models)
WITH o AS (
	INSERT INTO crmscm.sales_orders (customer_id, status, ordered_at)
	SELECT c.customer_id, 'closed', now() - (g * 9 + c.customer_id) * interval '1 day'
	  FROM crmscm.customers c, generate_series(1, 6) g
	RETURNING order_id)
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
SELECT o.order_id, 1, (SELECT item_id FROM crmscm.items WHERE sku = 'CUP'), 2, 2.5, 'shipped', 2 FROM o;
COMMIT;

BEGIN;
SELECT set_config('crmscm.tenant_id', '1', true);
-- an order that reserves, backorders (BEAN has no stock) and ships
SELECT * FROM crmscm.place_order((SELECT min(customer_id) FROM crmscm.customers),
	(SELECT jsonb_agg(jsonb_build_object('item_id', item_id, 'qty', q) ORDER BY item_id)
	   FROM (VALUES ('ESP', 3), ('CUP', 30), ('BEAN', 2)) v(sku, q) JOIN crmscm.items USING (sku)));
SELECT crmscm.ship(max(order_id), 1, 1) FROM crmscm.sales_orders;
-- purchasing: an ordered purchase order, half received
INSERT INTO crmscm.purchase_orders (supplier, expected_at, status) VALUES ('Roastery', current_date + 7, 'draft');
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
SELECT max(p.po_id), 1, (SELECT item_id FROM crmscm.items WHERE sku = 'BEAN'), (SELECT min(warehouse_id) FROM crmscm.warehouses), 10
  FROM crmscm.purchase_orders p;
UPDATE crmscm.purchase_orders SET status = 'ordered';
COMMIT;
BEGIN;
SELECT set_config('crmscm.tenant_id', '1', true);
SELECT crmscm.receive(max(po_id), 1, 1) FROM crmscm.purchase_orders;
-- and a second purchase order received in full (#18: its line's outcome,
-- the supplier's statistics)
INSERT INTO crmscm.purchase_orders (supplier, expected_at, status) VALUES ('Mill', current_date + 3, 'draft');
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
SELECT max(p.po_id), 1, (SELECT item_id FROM crmscm.items WHERE sku = 'BEAN'), (SELECT min(warehouse_id) FROM crmscm.warehouses), 4
  FROM crmscm.purchase_orders p;
UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE supplier = 'Mill';
SELECT crmscm.receive(max(po_id), 1) FROM crmscm.purchase_orders WHERE supplier = 'Mill';
-- leads, events, rules, a model
INSERT INTO crmscm.leads (name, stage, features, attributes, expected_revenue)
SELECT 'lead ' || i, CASE WHEN i % 3 = 0 THEN 'won' ELSE 'lost' END, ARRAY[i % 5, i % 2, 0.5]::float8[], ARRAY['web', 'de'], 1000.50
  FROM generate_series(1, 40) i;
INSERT INTO crmscm.lead_scoring_rules (event_kind, points, half_life) VALUES ('demo', 10, '14 days'), ('email_open', 1.5, '7 days');
INSERT INTO crmscm.lead_events (lead_id, kind, points) SELECT lead_id, 'demo', 10 FROM crmscm.leads LIMIT 5;
-- a deal's expected order lines (#18 pipeline demand)
INSERT INTO crmscm.lead_lines (lead_id, line_no, item_id, qty)
SELECT min(lead_id), 1, (SELECT min(item_id) FROM crmscm.items), 2 FROM crmscm.leads;
SELECT crmscm.lead_model_train('base', NULL, 1.0);
SELECT crmscm.refit_models();
-- #17: an allocation rule (share 0: no fence, so the examples' quantities stay; the ORMs save the row)
INSERT INTO crmscm.allocation_rules (item_id, tier, share) SELECT item_id, 'A', 0 FROM crmscm.items WHERE sku = 'CUP';
COMMIT;
