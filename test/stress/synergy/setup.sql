-- Synergy stress run (test/scripts/synergy_stress.sh), after test/stress/setup.sql:
-- customer tiers, allocation rules on the hot items, dated purchases, and the
-- login role the clients run as (an admin pinned to tenant 1).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT crmscm.set_customer_tier(c, CASE WHEN c <= 40 THEN 'A' WHEN c <= 100 THEN 'B' ELSE 'C' END)
  FROM generate_series(1, 200) c WHERE c % 7 <> 0;
INSERT INTO crmscm.allocation_rules (item_id, tier, share) SELECT i, 'A', 0.2 FROM generate_series(1, 20) i;
INSERT INTO crmscm.allocation_rules (item_id, tier, share) SELECT i, 'B', 0.1 FROM generate_series(1, 20, 2) i;
INSERT INTO crmscm.purchase_orders (po_id, supplier, expected_at, status)
	SELECT 100000 + i, 'stress', CURRENT_DATE + (i % 12) - 2, 'ordered' FROM generate_series(1, 40) i;
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty)
	SELECT 100000 + i, 1, 1 + i % 10, 1 + i % 4, 5 + i % 7 FROM generate_series(1, 40) i;
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_1') THEN CREATE ROLE crmscm_tenant_1 NOLOGIN; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'synergy_stress') THEN
		CREATE ROLE synergy_stress LOGIN IN ROLE crmscm_admin, crmscm_tenant_1;
	END IF;
END $$;
GRANT USAGE ON SCHEMA stress TO synergy_stress;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA stress TO synergy_stress;
