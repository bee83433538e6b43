-- Data for the order/inventory stress run (test/scripts/orders_stress.sh).
-- 4 warehouses at real cities (data/cities.csv), 200 items, 200 customers
-- spread over Europe, 20 units of every item in every warehouse.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS crmscm CASCADE;
CREATE EXTENSION crmscm;
DROP SCHEMA IF EXISTS stress CASCADE;
CREATE SCHEMA stress;
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES
	(1, 'Hamburg', '(53.5511,9.9937)'), (2, 'Lyon', '(45.764,4.8357)'),
	(3, 'Milan', '(45.4642,9.19)'), (4, 'Warsaw', '(52.2297,21.0122)');
INSERT INTO crmscm.items (item_id, sku, name)
	SELECT g, 'S' || g, 'item ' || g FROM generate_series(1, 200) g;
INSERT INTO crmscm.customers (customer_id, name, location, priority)
	SELECT g, 'customer ' || g, crmscm.geopoint(40 + (g * 7 % 150) / 10.0, -5 + (g * 13 % 250) / 10.0), g % 3
	  FROM generate_series(1, 200) g;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
	SELECT i, w, 20, 'receipt' FROM generate_series(1, 200) i, generate_series(1, 4) w;

-- Ship what is reserved on the first open line of an order, if any.  The
-- line is locked first so that a concurrent cancel cannot turn the call
-- into an error (which the stress run would count as a failure).
CREATE FUNCTION stress.ship_some(p_order bigint) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
	l record;
BEGIN
	SELECT x.order_id, x.line_no INTO l
	  FROM crmscm.sales_order_lines x
	  JOIN crmscm.sales_orders o USING (tenant_id, order_id)
	 WHERE x.tenant_id = 1 AND x.order_id = p_order AND x.status = 'open' AND x.qty_reserved > 0
	   AND o.status = 'confirmed'
	 ORDER BY x.line_no LIMIT 1
	   FOR NO KEY UPDATE OF x SKIP LOCKED;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	RETURN crmscm.ship(l.order_id, l.line_no);
END $$;
