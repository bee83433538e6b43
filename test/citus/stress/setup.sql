-- Data for the orders stress on Citus (test/citus/stress.sh): the single-node
-- stress data (test/stress/setup.sql) for each of three tenants, with the
-- same keys in each: 4 warehouses at real cities, 200 items, 200 customers
-- spread over Europe, 20 units of every item in every warehouse.  Run on a
-- database with crmscm installed (and distributed, on Citus), as the owner.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE SCHEMA stress;
DO $$
DECLARE
	t bigint;
BEGIN
	FOR t IN 1 .. 3 LOOP
		PERFORM pg_catalog.set_config('crmscm.tenant_id', t::text, true);
		INSERT INTO crmscm.warehouses (tenant_id, warehouse_id, name, location) VALUES
			(t, 1, 'Hamburg', '(53.5511,9.9937)'), (t, 2, 'Lyon', '(45.764,4.8357)'),
			(t, 3, 'Milan', '(45.4642,9.19)'), (t, 4, 'Warsaw', '(52.2297,21.0122)');
		INSERT INTO crmscm.items (tenant_id, item_id, sku, name)
			SELECT t, g, 'S' || g, 'item ' || g FROM generate_series(1, 200) g;
		INSERT INTO crmscm.customers (tenant_id, customer_id, name, location, priority)
			SELECT t, g, 'customer ' || g, crmscm.geopoint(40 + (g * 7 % 150) / 10.0, -5 + (g * 13 % 250) / 10.0), g % 3
			  FROM generate_series(1, 200) g;
	END LOOP;
END $$;
-- the receipts, one transaction per tenant (on Citus: each on its worker)
BEGIN;
SET LOCAL crmscm.tenant_id = 1;
INSERT INTO crmscm.stock_moves (tenant_id, item_id, warehouse_id, qty, kind)
	SELECT 1, i, w, 20, 'receipt' FROM generate_series(1, 200) i, generate_series(1, 4) w;
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = 2;
INSERT INTO crmscm.stock_moves (tenant_id, item_id, warehouse_id, qty, kind)
	SELECT 2, i, w, 20, 'receipt' FROM generate_series(1, 200) i, generate_series(1, 4) w;
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = 3;
INSERT INTO crmscm.stock_moves (tenant_id, item_id, warehouse_id, qty, kind)
	SELECT 3, i, w, 20, 'receipt' FROM generate_series(1, 200) i, generate_series(1, 4) w;
COMMIT;

-- test/stress/setup.sql's stress.ship_some() with the tenant as an argument:
-- ship what is reserved on the first open line of an order, if any (the
-- line locked first, so that a concurrent cancel cannot make it an error)
CREATE FUNCTION stress.ship_some(p_tenant bigint, p_order bigint) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
	l record;
BEGIN
	SELECT x.order_id, x.line_no INTO l
	  FROM crmscm.sales_order_lines x
	  JOIN crmscm.sales_orders o USING (tenant_id, order_id)
	 WHERE x.tenant_id = p_tenant AND o.tenant_id = p_tenant AND x.order_id = p_order
	   AND x.status = 'open' AND x.qty_reserved > 0 AND o.status = 'confirmed'
	 ORDER BY x.line_no LIMIT 1
	   FOR NO KEY UPDATE OF x SKIP LOCKED;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	RETURN crmscm.ship(l.order_id, l.line_no);
END $$;
