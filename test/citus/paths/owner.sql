-- Write paths, step 1 (test/citus/paths.sh): what an owner loads before the
-- application starts, for tenants 1 and 2 with the same keys (quantities
-- differ by tenant): warehouses, items, customers, order history (closed
-- orders of the last 200 days with shipped lines: demand for
-- reorder_suggestions, purchases for customer_360), leads with features
-- and events, scoring rules.  Dates are whole days before CURRENT_DATE, so
-- the Citus run and the single-node run load the same values.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DO $$
DECLARE
	t bigint;
BEGIN
	FOR t IN 1 .. 2 LOOP
		PERFORM pg_catalog.set_config('crmscm.tenant_id', t::text, true);
		INSERT INTO crmscm.warehouses (tenant_id, warehouse_id, name, location) VALUES
			(t, 1, 'Hamburg', '(53.5511,9.9937)'), (t, 2, 'Lyon', '(45.764,4.8357)'), (t, 3, 'Milan', '(45.4642,9.19)');
		INSERT INTO crmscm.items (tenant_id, item_id, sku, name, unit_price, unit_cost, order_cost, lead_time_days,
								  lead_time_sd_days, pack_size)
			SELECT t, g, 'S' || g, 'item ' || g, 5 + g, 2 + g / 2.0, 40, 2 + g % 5, g % 3, 1 + g % 4
			  FROM generate_series(1, 12) g;
		INSERT INTO crmscm.customers (tenant_id, customer_id, name, email, location, priority)
			SELECT t, g, 'customer ' || g, 'c' || g || '@example.com', crmscm.geopoint(44 + g * 0.7, 2 + g * 0.9), g % 3
			  FROM generate_series(1, 10) g;
		INSERT INTO crmscm.sales_orders (tenant_id, order_id, customer_id, status, ordered_at, ship_to)
			SELECT t, 1000 + g, 1 + (g * 7 + t) % 10, 'closed', (CURRENT_DATE - g * 2) + time '12:00',
				   crmscm.geopoint(44 + (1 + (g * 7 + t) % 10) * 0.7, 2 + (1 + (g * 7 + t) % 10) * 0.9)
			  FROM generate_series(1, 100) g;
		INSERT INTO crmscm.sales_order_lines (tenant_id, order_id, line_no, item_id, warehouse_id, qty, unit_price,
											  status, qty_shipped)
			SELECT t, 1000 + g, k, 1 + (g * 5 + k * 3) % 12, 1 + (g + k) % 3, 1 + (g + k + t) % 4, 5 + (g + k) % 9,
				   'shipped', 1 + (g + k + t) % 4
			  FROM generate_series(1, 100) g, generate_series(1, 1 + g % 3) k;
		INSERT INTO crmscm.lead_scoring_rules (tenant_id, rule_id, event_kind, points) VALUES
			(t, 1, 'web_visit', 5), (t, 2, 'email_open', 2), (t, 3, 'demo', 20);
		INSERT INTO crmscm.leads (tenant_id, lead_id, customer_id, name, company, source, stage, expected_revenue, features)
			SELECT t, g, CASE WHEN g <= 10 THEN g END, 'lead ' || g, 'company ' || (g % 7), 'web',
				   (ARRAY['new', 'contacted', 'qualified', 'proposal', 'won', 'lost'])[1 + (g * 5 + t) % 6],
				   100 * (1 + g % 9), ARRAY[(g % 5)::float8, ((g * 3 + t) % 4)::float8, (g % 2)::float8]
			  FROM generate_series(1, 40) g;
		-- #18: the open deals' expected lines (crmscm.pipeline_demand), with
		-- and without a warehouse, closing in the next weeks
		UPDATE crmscm.leads SET expected_close_date = CURRENT_DATE + (lead_id % 20)::int
		 WHERE tenant_id = t AND stage <> ALL (ARRAY['won', 'lost']);
		INSERT INTO crmscm.lead_lines (tenant_id, lead_id, line_no, item_id, warehouse_id, qty)
			SELECT t, l.lead_id, k, 1 + (l.lead_id + k) % 12, CASE WHEN k = 1 THEN 1 + l.lead_id % 3 END, 1 + (l.lead_id + k + t) % 5
			  FROM crmscm.leads l, generate_series(1, 2) k
			 WHERE l.tenant_id = t AND l.stage <> ALL (ARRAY['won', 'lost']);
	END LOOP;
END $$;
