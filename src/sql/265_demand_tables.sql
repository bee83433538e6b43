-- Demand state kept at commit (issue #18, doc/replenishment.md): daily
-- demand per item and warehouse, and per item and warehouse the recent days
-- packed into one row that crmscm.reorder_suggestions reads instead of the
-- order history.  Kept by the commit pass (src/demand_state.c) after the
-- inventory rows; rebuilt from the history by crmscm.reorder_rebuild().
-- Written only by crmscm; conventions: doc/conventions.md.

CREATE TABLE IF NOT EXISTS @extschema@.demand_days (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	item_id bigint NOT NULL,
	warehouse_id bigint NOT NULL,
	day date NOT NULL,
	qty numeric NOT NULL CONSTRAINT demand_days_qty_finite CHECK (qty > '-Infinity' AND qty < 'Infinity'),
	revenue numeric NOT NULL CONSTRAINT demand_days_revenue_finite CHECK (revenue > '-Infinity' AND revenue < 'Infinity'),
	PRIMARY KEY (tenant_id, item_id, warehouse_id, day)
);
COMMENT ON TABLE @extschema@.demand_days IS
	'Demand per item, warehouse and UTC day of ordered_at: lines of confirmed or closed orders that are not cancelled (a line without a warehouse where it is reserved, backordered or shipped), kept at commit by deltas';
COMMENT ON COLUMN @extschema@.demand_days.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.demand_days.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.demand_days.warehouse_id IS 'Warehouse';
COMMENT ON COLUMN @extschema@.demand_days.day IS 'UTC day of the orders'' ordered_at';
COMMENT ON COLUMN @extschema@.demand_days.qty IS 'Units ordered that day (0 after everything was cancelled)';
COMMENT ON COLUMN @extschema@.demand_days.revenue IS 'Their qty * unit_price';

CREATE TABLE IF NOT EXISTS @extschema@.demand_state (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	item_id bigint NOT NULL,
	warehouse_id bigint NOT NULL,
	anchor date NOT NULL,
	series_from date NOT NULL,
	pending_from date,
	series bytea NOT NULL DEFAULT '\x'::bytea,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, item_id, warehouse_id),
	CONSTRAINT demand_state_span CHECK (series_from <= anchor OPERATOR(pg_catalog.+) 1)
);
COMMENT ON TABLE @extschema@.demand_state IS
	'Per item and warehouse, the daily demand from series_from to anchor packed into one row (the window crmscm.reorder_suggestions reads), rolled forward by day at commit';
COMMENT ON COLUMN @extschema@.demand_state.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.demand_state.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.demand_state.warehouse_id IS 'Warehouse';
COMMENT ON COLUMN @extschema@.demand_state.anchor IS 'Last day in the series (the UTC yesterday of the last roll)';
COMMENT ON COLUMN @extschema@.demand_state.series_from IS 'First day in the series: every day from series_from to anchor is in it (or had no demand)';
COMMENT ON COLUMN @extschema@.demand_state.pending_from IS 'Earliest day after anchor that may have demand in crmscm.demand_days; NULL: none';
COMMENT ON COLUMN @extschema@.demand_state.series IS 'The days with demand: entries of (int4 day, float8 qty, float8 revenue), 20 bytes each, in day order (src/core/demand_window.h)';
COMMENT ON COLUMN @extschema@.demand_state.updated_at IS 'When the row was last written';

CREATE TABLE IF NOT EXISTS @extschema@.demand_orders (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	order_id bigint NOT NULL,
	day date NOT NULL,
	PRIMARY KEY (tenant_id, order_id)
);
COMMENT ON TABLE @extschema@.demand_orders IS
	'The orders whose lines are booked in demand_days (confirmed or closed when last booked), and the day they are booked on: the commit pass locks these rows, so a line''s change and a concurrent change of its order book against each other';
COMMENT ON COLUMN @extschema@.demand_orders.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.demand_orders.order_id IS 'Order';
COMMENT ON COLUMN @extschema@.demand_orders.day IS 'UTC day of its ordered_at when last booked';

-- a line's shipments (its demand where it was shipped from, and ship())
CREATE INDEX IF NOT EXISTS stock_moves_tenant_id_order_id_line_no_idx
	ON @extschema@.stock_moves (tenant_id, order_id, line_no) WHERE order_id IS NOT NULL;

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) '_demand_window' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
		CREATE TYPE @extschema@._demand_window AS (
			periods int,
			demand_periods int,
			total float8,
			mean float8,
			sd float8,
			adi float8,
			cv2 float8,
			demand_class text,
			method text,
			forecast float8,
			revenue float8
		);
	END IF;
END $guard$;
COMMENT ON TYPE @extschema@._demand_window IS
	'Internal: a demand_profile of a window of the kept demand state, and the window''s revenue';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.demand_days', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.demand_state', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.demand_orders', '');
