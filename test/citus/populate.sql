-- Data of three tenants written through crmscm's single-node write paths
-- (before Citus): warehouses, items, customers, receipts, confirmed orders
-- whose lines reserve stock or wait in backorders, a purchase order, leads
-- and lead events, lifetime bookkeeping.  Used by test/citus/citus.sh to
-- check that crmscm.distribute() keeps every row of a populated install.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DO $populate$
DECLARE
	t bigint;
	w bigint[];
	it bigint[];
	cu bigint[];
	o bigint;
	po bigint;
	ld bigint;
BEGIN
	FOR t IN 1 .. 3 LOOP
		PERFORM pg_catalog.set_config('crmscm.tenant_id', t::text, true);
		WITH ins AS (
			INSERT INTO crmscm.warehouses (name, location)
			VALUES ('Hamburg', '(53.5511,9.9937)'), ('Lyon', '(45.764,4.8357)')
			RETURNING warehouse_id)
		SELECT array_agg(warehouse_id ORDER BY warehouse_id) INTO w FROM ins;
		WITH ins AS (
			INSERT INTO crmscm.items (sku, name, unit_price)
			SELECT 'S' || g, 'item ' || g, 1 + g FROM generate_series(1, 12) g
			RETURNING item_id)
		SELECT array_agg(item_id ORDER BY item_id) INTO it FROM ins;
		WITH ins AS (
			INSERT INTO crmscm.customers (name, location, priority)
			SELECT 'customer ' || t || '-' || g, crmscm.geopoint(44 + g, 2 + g), g % 3
			FROM generate_series(1, 6) g
			RETURNING customer_id)
		SELECT array_agg(customer_id ORDER BY customer_id) INTO cu FROM ins;
		-- stock: 5 units of the first 8 items in each warehouse (items 9..12 none)
		INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
		SELECT it[i], w[k], 5, 'receipt' FROM generate_series(1, 8) i, generate_series(1, 2) k;
		-- 8 confirmed orders of 3 lines; lines on items 9..12 are backordered
		FOR n IN 1 .. 8 LOOP
			INSERT INTO crmscm.sales_orders (customer_id, status, ship_to, ordered_at)
			SELECT cu[1 + n % 6], 'confirmed', c.location, now() - (n * 11) * interval '1 day'
			FROM crmscm.customers c WHERE c.tenant_id = t AND c.customer_id = cu[1 + n % 6]
			RETURNING order_id INTO o;
			INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price)
			VALUES (o, 1, it[1 + n % 12], 1 + n % 3, 10), (o, 2, it[1 + (n * 5) % 12], 2, 7),
				   (o, 3, it[9 + n % 4], 1, 3);
		END LOOP;
		-- a purchase order for the backordered items, ordered, partly received
		INSERT INTO crmscm.purchase_orders (supplier) VALUES ('acme') RETURNING po_id INTO po;
		INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
		SELECT po, g, it[8 + g], w[1], 4 FROM generate_series(1, 4) g;
		UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE tenant_id = t AND po_id = po;
		PERFORM crmscm.receive(po, 1, 2);
		-- leads and events
		FOR n IN 1 .. 5 LOOP
			INSERT INTO crmscm.leads (customer_id, name, source, stage, features)
			VALUES (cu[n], 'lead ' || n, 'web', CASE WHEN n % 2 = 0 THEN 'won' ELSE 'new' END,
					ARRAY[n::float8, (n % 2)::float8])
			RETURNING lead_id INTO ld;
			INSERT INTO crmscm.lead_events (lead_id, kind, points) VALUES (ld, 'visit', n), (ld, 'email', 1);
		END LOOP;
	END LOOP;
END
$populate$;
