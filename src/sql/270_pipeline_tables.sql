-- The sales pipeline as demand (issue #18, doc/replenishment.md): the item
-- lines of open deals, and the link from an order to the deal it was won
-- from (sales_orders.lead_id, declared in 200_tables.sql).  Conventions:
-- doc/conventions.md.

CREATE TABLE IF NOT EXISTS @extschema@.lead_lines (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	lead_id bigint NOT NULL,
	line_no int NOT NULL,
	item_id bigint NOT NULL,
	qty numeric NOT NULL CHECK (qty > 0),
	warehouse_id bigint,
	-- NaN and Infinity compare above every number: refused here, as are
	-- sizes whose square (the variance) would leave float8's exact range
	CONSTRAINT lead_lines_qty_finite CHECK (qty < 1e15),
	PRIMARY KEY (tenant_id, lead_id, line_no),
	FOREIGN KEY (tenant_id, lead_id) REFERENCES @extschema@.leads (tenant_id, lead_id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, item_id) REFERENCES @extschema@.items (tenant_id, item_id),
	FOREIGN KEY (tenant_id, warehouse_id) REFERENCES @extschema@.warehouses (tenant_id, warehouse_id)
);
CREATE INDEX IF NOT EXISTS lead_lines_tenant_id_item_id_idx ON @extschema@.lead_lines (tenant_id, item_id);
COMMENT ON TABLE @extschema@.lead_lines IS 'What an open deal (lead) would order: its item lines, counted in crmscm.pipeline_demand by the deal''s win probability';
COMMENT ON COLUMN @extschema@.lead_lines.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.lead_lines.lead_id IS 'The lead (deal)';
COMMENT ON COLUMN @extschema@.lead_lines.line_no IS 'Line number within the deal';
COMMENT ON COLUMN @extschema@.lead_lines.item_id IS 'Item the deal would order';
COMMENT ON COLUMN @extschema@.lead_lines.qty IS 'Units (> 0, < 1e15; not NaN or Infinity)';
COMMENT ON COLUMN @extschema@.lead_lines.warehouse_id IS 'Warehouse that would serve it, or NULL: the nearest to the lead''s customer (else the lowest id)';

-- the order -> the deal it was won from; deleting the lead keeps the order:
-- a trigger unlinks its orders first (not ON DELETE SET NULL (lead_id):
-- Citus refuses SET NULL on a foreign key that includes the distribution
-- column, doc/citus.md)
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c
	                WHERE c.conrelid OPERATOR(pg_catalog.=) '@extschema@.sales_orders'::regclass
	                  AND c.conname OPERATOR(pg_catalog.=) 'sales_orders_lead_fkey') THEN
		ALTER TABLE @extschema@.sales_orders ADD CONSTRAINT sales_orders_lead_fkey
			FOREIGN KEY (tenant_id, lead_id) REFERENCES @extschema@.leads (tenant_id, lead_id);
	END IF;
END $guard$;

CREATE OR REPLACE FUNCTION @extschema@._lead_unlink_orders() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	-- a statement planned with the values (Citus routes a query from a
	-- trigger on a shard only then)
	EXECUTE 'UPDATE @extschema@.sales_orders o SET lead_id = NULL'
	        ' WHERE o.tenant_id OPERATOR(pg_catalog.=) $1 AND o.lead_id OPERATOR(pg_catalog.=) $2'
	  USING OLD.tenant_id, OLD.lead_id;
	RETURN OLD;
END
$$;
COMMENT ON FUNCTION @extschema@._lead_unlink_orders() IS
	'Trigger: a lead about to be deleted is unlinked from its sales orders (lead_id = NULL), which stay';
CREATE OR REPLACE TRIGGER leads_unlink_orders BEFORE DELETE ON @extschema@.leads
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lead_unlink_orders();
CREATE INDEX IF NOT EXISTS sales_orders_tenant_id_lead_id_idx ON @extschema@.sales_orders (tenant_id, lead_id)
	WHERE lead_id IS NOT NULL;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.lead_lines', '');
