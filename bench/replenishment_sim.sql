-- A 365-day replenishment simulation over 500 items with random supplier
-- lateness (issue #18, doc/replenishment.md; run by bench/replenishment_sim.sh
-- as the owner, tenant 1).  Continuous review (s, Q): an item orders Q = 40
-- days of demand when its inventory position reaches s, the reorder point
-- crmscm.reorder_point(0.95, d, sd_d, L, sd_L); the cycle is short when the
-- demand over the realized lead time exceeds s.  Demand has normal
-- increments (mean d, variance sd_d^2 per day: over L days N(d L, sd_d^2 L));
-- the realized lead time is the item's typed-in lead time plus its
-- supplier's lateness, N(mu_s, sigma_s), at least 1 day.  Every order is a
-- purchase order placed and received through crmscm (the commit pass learns
-- from each receipt); each day's orders use the lead time and deviation
-- reorder_suggestions shows at that moment (k = 5, the default, and k = 0),
-- after a warm-up year of 100 receipts per item, against the typed-in
-- values (sd 0).  Three reorder points per cycle, the same draws for all.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT setseed(0.1818) \gset
CREATE SCHEMA sim;
CREATE FUNCTION sim.z() RETURNS float8 LANGUAGE sql VOLATILE
	AS $$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;
CREATE TABLE sim.sup AS
SELECT s AS sup, 4 * random() AS mu, 0.5 + 2.5 * random() AS sigma FROM generate_series(1, 25) s;
CREATE TABLE sim.item AS
SELECT i AS item_id, d, d * (0.2 + 0.4 * random()) AS sd, 7 + floor(8 * random())::int AS l0,
	   1 + floor(25 * random())::int AS sup, ceil(40 * d)::numeric AS q,
	   40 * random() AS next_t, NULL::bigint AS po, NULL::float8 AS arrival
  FROM (SELECT i, 5 + 45 * random() AS d FROM generate_series(1, 500) i) x;
CREATE TABLE sim.cycle (item_id int, t float8, lead float8, demand float8,
						s_k5 float8, s_k0 float8, s_typed float8);
CREATE FUNCTION sim.lead(p_item int) RETURNS float8 LANGUAGE sql VOLATILE
	AS $$ SELECT greatest(1, i.l0 + s.mu + s.sigma * sim.z()) FROM sim.item i JOIN sim.sup s USING (sup) WHERE i.item_id = p_item $$;

INSERT INTO crmscm.warehouses (warehouse_id, name) VALUES (1, 'W');
INSERT INTO crmscm.items (item_id, sku, name, lead_time_days, lead_time_sd_days, service_level)
SELECT item_id, 'S' || item_id, 'item ' || item_id, l0, 0, 0.95 FROM sim.item;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) SELECT item_id, 1, 1, 'receipt' FROM sim.item;

-- warm-up: 100 receipts per item in 2024
CREATE TEMP SEQUENCE po_seq;
CREATE TEMP TABLE warm AS
SELECT nextval('po_seq') AS po, i.item_id, 'sup' || i.sup AS supplier, i.q,
	   timestamptz '2024-01-01 00:00+00' + k * interval '3 days' AS ordered_at, sim.lead(i.item_id) AS lead
  FROM sim.item i, generate_series(0, 99) k;
INSERT INTO crmscm.purchase_orders (po_id, supplier, expected_at, status, ordered_at)
SELECT po, supplier, (ordered_at AT TIME ZONE 'UTC')::date + 10, 'ordered', ordered_at FROM warm;
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
SELECT po, 1, item_id, 1, q FROM warm;
UPDATE crmscm.purchase_order_lines pl SET qty_received = pl.qty, received_at = w.ordered_at + w.lead * interval '1 day'
  FROM warm w WHERE pl.tenant_id = 1 AND pl.po_id = w.po;

CREATE PROCEDURE sim.run() LANGUAGE plpgsql AS $$
DECLARE
	day int;
	base constant timestamptz := '2025-01-01 00:00+00';
BEGIN
	FOR day IN 0..364 LOOP
		PERFORM set_config('crmscm.tenant_id', '1', true);
		-- receipts due today
		UPDATE crmscm.purchase_order_lines pl SET qty_received = pl.qty, received_at = base + i.arrival * interval '1 day'
		  FROM sim.item i WHERE pl.tenant_id = 1 AND pl.po_id = i.po AND i.arrival < day + 1;
		UPDATE sim.item SET po = NULL, arrival = NULL WHERE arrival < day + 1;
		COMMIT;
		PERFORM set_config('crmscm.tenant_id', '1', true);
		IF EXISTS (SELECT FROM sim.item WHERE next_t < day + 1) THEN
			-- what reorder_suggestions says now, with k = 5 and with k = 0
			CREATE TEMP TABLE k5 ON COMMIT DROP AS
			SELECT r.item_id, r.lead_time_days, r.lead_time_sd_days FROM crmscm.reorder_suggestions r
			 WHERE r.item_id IN (SELECT item_id FROM sim.item WHERE next_t < day + 1);
			PERFORM set_config('crmscm.lead_time_shrinkage', '0', true);
			CREATE TEMP TABLE k0 ON COMMIT DROP AS
			SELECT r.item_id, r.lead_time_days, r.lead_time_sd_days FROM crmscm.reorder_suggestions r
			 WHERE r.item_id IN (SELECT item_id FROM sim.item WHERE next_t < day + 1);
			PERFORM set_config('crmscm.lead_time_shrinkage', '5', true);
			INSERT INTO sim.cycle
			SELECT i.item_id, i.next_t, x.lead, i.d * x.lead + i.sd * sqrt(x.lead) * sim.z(),
				   crmscm.reorder_point(0.95, i.d, i.sd, a.lead_time_days, a.lead_time_sd_days),
				   crmscm.reorder_point(0.95, i.d, i.sd, b.lead_time_days, b.lead_time_sd_days),
				   crmscm.reorder_point(0.95, i.d, i.sd, i.l0, 0)
			  FROM sim.item i JOIN k5 a USING (item_id) JOIN k0 b USING (item_id),
				   LATERAL (SELECT sim.lead(i.item_id) AS lead) x
			 WHERE i.next_t < day + 1;
			-- the orders, as purchase orders
			UPDATE sim.item i SET po = nextval('po_seq'), arrival = i.next_t + c.lead
			  FROM sim.cycle c WHERE c.item_id = i.item_id AND c.t = i.next_t AND i.next_t < day + 1;
			INSERT INTO crmscm.purchase_orders (po_id, supplier, expected_at, status, ordered_at)
			SELECT po, 'sup' || sup, ((base + next_t * interval '1 day') AT TIME ZONE 'UTC')::date + l0, 'ordered',
				   base + next_t * interval '1 day'
			  FROM sim.item WHERE next_t < day + 1;
			INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
			SELECT po, 1, item_id, 1, q FROM sim.item WHERE next_t < day + 1;
			UPDATE sim.item SET next_t = next_t + 40 WHERE next_t < day + 1;
		END IF;
		COMMIT;
	END LOOP;
END $$;
CALL sim.run();

SELECT count(*) AS cycles,
	   round(100 * avg((demand <= s_k5)::int), 2) AS csl_learned_k5,
	   round(100 * avg((demand <= s_k0)::int), 2) AS csl_learned_k0,
	   round(100 * avg((demand <= s_typed)::int), 2) AS csl_typed,
	   round(100 * sqrt(0.95 * 0.05 / count(*)), 2) AS standard_error
  FROM sim.cycle;
