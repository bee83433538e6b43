-- crmscm.reorder_suggestions (doc/reorder.md, doc/replenishment.md): what to order, where and how
-- much.  Conventions: doc/conventions.md; design: doc/replenishment.md.
-- Rules (doc/reorder.md):
--  * demand: crmscm.demand_history (lines of confirmed or closed orders that
--    are not cancelled, on the UTC day of ordered_at; a line counts for its
--    warehouse_id, or, without one, for the warehouses that reserved,
--    backordered or shipped it), in the window of crmscm.demand_window_days
--    days (default 365) that ends yesterday (UTC), each day without orders
--    counting as zero.  The view reads it from the demand state kept at
--    commit (crmscm.demand_state, crmscm.demand_days); the same function with
--    from_history => true recomputes it from the history (for checking);
--  * the forecast per day is the method demand_class picks (ses for smooth
--    demand, sba otherwise), the deviation the sample sd of the daily totals;
--  * lead time and its sd: learned from the receipts of the item and
--    warehouse (crmscm.supplier_stats, all suppliers pooled), shrunk toward
--    the item's own values with k = crmscm.lead_time_shrinkage pseudo-
--    receipts: L = (n x + k L0) / (n + k), n the effective number of
--    receipts; the sd likewise with n - 1;
--  * pipeline: the expected units of open deals closing within the lead time
--    (crmscm.pipeline_demand) are added to the demand over the lead time,
--    their variance to that of the demand over the lead time;
--  * inventory position = on hand - reserved + on order - backordered, on
--    order being the open quantity of draft and ordered purchase order lines;
--  * reorder when the position is at or below the reorder point (and there
--    is demand, pipeline demand, or the position is negative); order the
--    smallest multiple of the lot (EOQ rounded up to the pack size) that
--    lifts the position above the reorder point.

--
-- One pass in C (src/reorder_suggestions.c): it reads the kept state (or
-- the history), items, inventory, backorders, purchase order lines,
-- supplier_stats and pipeline_demand through SPI as the caller, each
-- statement filtered on current_tenant() (tenant_id = $1: router queries on
-- Citus), and runs the per-row rules once for both sources of demand.  The
-- single SQL statement it replaces spent 1.5-1.95 s on the 30,000 rows of
-- bench/reorder.sh, spread over the whole plan (joins, numeric arithmetic,
-- format() of the reasons, per-row calls), and once planned the recompute
-- from the history even when from_history was false (doc/benchmarks.md).
CREATE OR REPLACE FUNCTION @extschema@.reorder_suggestions_at(as_of date, from_history boolean DEFAULT false)
RETURNS TABLE (tenant_id bigint, item_id bigint, warehouse_id bigint, sku text, item_name text,
	abc_class text, on_hand numeric, reserved numeric, on_order numeric, backordered numeric,
	inventory_position numeric, window_days int, start_day date, end_day date,
	demand_in_window float8, demand_days int, demand_mean float8, demand_sd float8,
	demand_class text, forecast_method text, demand_per_day float8, lead_time_days float8,
	lead_time_sd_days float8, service_level float8, safety_stock float8, reorder_point float8,
	eoq float8, pack_size numeric, order_qty numeric, reorder_now boolean, suggested_qty numeric,
	reason text, pipeline_qty float8, pipeline_sd float8, lead_time_source text,
	lead_time_receipts float8, item_lead_time_days float8, item_lead_time_sd_days float8)
	AS 'MODULE_PATHNAME', $$crmscm_reorder_suggestions_at$$
	LANGUAGE C STABLE STRICT
	-- JIT compiled its statements at every call (the estimate of the kept
	-- state's is above jit_above_cost): a fifth of the call
	SET jit = off;
COMMENT ON FUNCTION @extschema@.reorder_suggestions_at(date, boolean) IS
	'The rows of crmscm.reorder_suggestions with the demand window ending the day before as_of: read from the demand state kept at commit, or recomputed from the order history (crmscm.demand_history) with from_history => true';

CREATE OR REPLACE VIEW @extschema@.reorder_suggestions WITH (security_invoker = true) AS
SELECT s.* FROM @extschema@.reorder_suggestions_at((pg_catalog.now() AT TIME ZONE 'UTC')::date) s;

COMMENT ON VIEW @extschema@.reorder_suggestions IS
	'Per item and warehouse of the current tenant: stock, inventory position, demand from the order history (kept current at commit), lead time learned from receipts, pipeline demand, safety stock, reorder point, EOQ lot and whether to reorder now, and why';
COMMENT ON COLUMN @extschema@.reorder_suggestions.tenant_id IS 'Tenant (crmscm.current_tenant())';
COMMENT ON COLUMN @extschema@.reorder_suggestions.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.reorder_suggestions.warehouse_id IS 'Warehouse';
COMMENT ON COLUMN @extschema@.reorder_suggestions.sku IS 'Item SKU';
COMMENT ON COLUMN @extschema@.reorder_suggestions.item_name IS 'Item name';
COMMENT ON COLUMN @extschema@.reorder_suggestions.abc_class IS 'ABC class of the item by revenue in the window over all warehouses: A = first 80 %, B = next 15 %, C = the rest and items without revenue';
COMMENT ON COLUMN @extschema@.reorder_suggestions.on_hand IS 'Units in the warehouse (inventory.on_hand)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.reserved IS 'Units reserved for open order lines (inventory.reserved)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.on_order IS 'Open quantity (qty - qty_received) of draft and ordered purchase order lines';
COMMENT ON COLUMN @extschema@.reorder_suggestions.backordered IS 'Units waiting in backorders for this item and warehouse';
COMMENT ON COLUMN @extschema@.reorder_suggestions.inventory_position IS 'on_hand - reserved + on_order - backordered';
COMMENT ON COLUMN @extschema@.reorder_suggestions.window_days IS 'Length of the demand history window in days (setting crmscm.demand_window_days, default 365)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.start_day IS 'First day of the demand window';
COMMENT ON COLUMN @extschema@.reorder_suggestions.end_day IS 'Last day of the demand window (yesterday, UTC: today is incomplete)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_in_window IS 'Units ordered in the window (crmscm.demand_history: confirmed or closed orders, lines not cancelled)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_days IS 'Days of the window with demand';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_mean IS 'Mean daily demand over the window, days without orders counted as 0';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_sd IS 'Sample standard deviation of daily demand over the window (days without orders counted as 0); the sd used for safety stock';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_class IS 'Syntetos-Boylan class of the daily series: smooth, erratic, intermittent, lumpy or no demand (ADI cut-off 1.32, CV^2 0.49)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.forecast_method IS 'Forecast method the class picks: ses for smooth demand, sba otherwise (alpha 0.1)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_per_day IS 'Forecast demand per day by forecast_method: the demand rate used for reorder point and EOQ';
COMMENT ON COLUMN @extschema@.reorder_suggestions.lead_time_days IS 'Lead time in days: learned from receipts, shrunk toward the item''s (n x + k L0) / (n + k), or items.lead_time_days without receipts (lead_time_source)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.lead_time_sd_days IS 'Standard deviation of the lead time in days, learned and shrunk likewise (n - 1 for n), or items.lead_time_sd_days';
COMMENT ON COLUMN @extschema@.reorder_suggestions.service_level IS 'Target cycle service level (items.service_level)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.safety_stock IS 'crmscm.safety_stock(service_level, demand_per_day, demand_sd, lead_time_days, lead_time_sd_days, pipeline variance): z sqrt(L sd^2 + d^2 sdL^2 + pipeline_sd^2)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.reorder_point IS 'demand_per_day * lead_time_days + pipeline_qty + safety_stock';
COMMENT ON COLUMN @extschema@.reorder_suggestions.eoq IS 'crmscm.eoq(365 * demand_per_day, order_cost, holding_rate * unit_cost); NULL without demand, order cost or holding cost';
COMMENT ON COLUMN @extschema@.reorder_suggestions.pack_size IS 'Purchase quantities are multiples of this (items.pack_size)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.order_qty IS 'The lot: EOQ rounded up to whole packs, at least one pack';
COMMENT ON COLUMN @extschema@.reorder_suggestions.reorder_now IS 'inventory_position <= reorder_point, with demand in the window, pipeline demand or a negative position';
COMMENT ON COLUMN @extschema@.reorder_suggestions.suggested_qty IS 'When reorder_now: the smallest multiple of order_qty that lifts the inventory position above the reorder point; else 0';
COMMENT ON COLUMN @extschema@.reorder_suggestions.reason IS 'Why: the figures behind the decision in words, and where the lead time came from';
COMMENT ON COLUMN @extschema@.reorder_suggestions.pipeline_qty IS 'Expected units of open deals closing within the lead time (overdue ones included): sum of p q from crmscm.pipeline_demand';
COMMENT ON COLUMN @extschema@.reorder_suggestions.pipeline_sd IS 'Their standard deviation: sqrt(sum p (1 - p) q^2)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.lead_time_source IS 'receipts (learned from crmscm.supplier_stats, all suppliers pooled) or item (no receipts)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.lead_time_receipts IS 'Effective number of receipts n behind the learned lead time ((sum qty)^2 / sum qty^2); 0 without';
COMMENT ON COLUMN @extschema@.reorder_suggestions.item_lead_time_days IS 'The item''s own lead time (items.lead_time_days): the prior of the learned one';
COMMENT ON COLUMN @extschema@.reorder_suggestions.item_lead_time_sd_days IS 'The item''s own lead-time sd (items.lead_time_sd_days)';

-- Like every view (doc/conventions.md): security_invoker, so row-level
-- security applies to the caller; the function it reads filters every table
-- on current_tenant().
