-- crmscm.reorder_suggestions (doc/reorder.md, README "Reference"): what to order, where and how
-- much, from the demand recorded by sales orders.  Conventions:
-- doc/conventions.md.  Rules (doc/reorder.md):
--  * demand: lines of confirmed or closed orders that are not cancelled,
--    counted on the day of ordered_at (session time zone), in the window of
--    crmscm.demand_window_days days (default 365) that ends yesterday, each
--    day without orders counting as zero; a line counts for its warehouse_id,
--    or, without one, for the warehouses that reserved, backordered or
--    shipped it;
--  * the forecast per day is the method demand_class picks (ses for smooth
--    demand, sba otherwise), the deviation the sample sd of the daily totals;
--  * inventory position = on hand - reserved + on order - backordered, on
--    order being the open quantity of draft and ordered purchase order lines;
--  * reorder when the position is at or below the reorder point (and there
--    is demand, or the position is negative); order the smallest multiple of
--    the lot (EOQ rounded up to the pack size) that lifts the position above
--    the reorder point.

CREATE OR REPLACE VIEW @extschema@.reorder_suggestions WITH (security_invoker = true) AS
WITH p AS (
	SELECT @extschema@.current_tenant() AS tenant_id,
		w.days AS window_days,
		CURRENT_DATE OPERATOR(pg_catalog.-) w.days AS start_day,
		CURRENT_DATE OPERATOR(pg_catalog.-) 1 AS end_day
	FROM (SELECT @extschema@.demand_window_days() AS days) w
),
demand_rows AS (
	-- lines that name their warehouse.  The window bounds are written out
	-- (not taken from p) so that the planner estimates them.
	SELECT l.item_id, l.warehouse_id, o.ordered_at, l.qty, l.unit_price
	FROM @extschema@.sales_orders o
	JOIN @extschema@.sales_order_lines l
	  ON l.tenant_id OPERATOR(pg_catalog.=) o.tenant_id
	 AND l.order_id OPERATOR(pg_catalog.=) o.order_id
	WHERE o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	  AND l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	  AND o.ordered_at OPERATOR(pg_catalog.>=) (CURRENT_DATE OPERATOR(pg_catalog.-) @extschema@.demand_window_days())::timestamptz
	  AND o.ordered_at OPERATOR(pg_catalog.<) CURRENT_DATE::timestamptz
	  AND o.status OPERATOR(pg_catalog.=) ANY ('{confirmed,closed}'::text[])
	  AND l.status OPERATOR(pg_catalog.<>) 'cancelled'
	  AND l.warehouse_id IS NOT NULL
	UNION ALL
	-- lines without one: where they were reserved, backordered or shipped
	SELECT x.item_id, x.warehouse_id, o.ordered_at, x.qty, l.unit_price
	FROM (SELECT r.tenant_id, r.order_id, r.line_no, r.item_id, r.warehouse_id, r.qty
		  FROM @extschema@.reservations r
		  WHERE r.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		  UNION ALL
		  SELECT b.tenant_id, b.order_id, b.line_no, b.item_id, b.warehouse_id, b.qty
		  FROM @extschema@.backorders b
		  WHERE b.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		  UNION ALL
		  SELECT m.tenant_id, m.order_id, m.line_no, m.item_id, m.warehouse_id, OPERATOR(pg_catalog.-) m.qty
		  FROM @extschema@.stock_moves m
		  WHERE m.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
			AND m.kind OPERATOR(pg_catalog.=) 'shipment' AND m.order_id IS NOT NULL
			-- a shipment follows its order: older ones belong to older orders
			AND m.moved_at OPERATOR(pg_catalog.>=) (CURRENT_DATE OPERATOR(pg_catalog.-) @extschema@.demand_window_days())::timestamptz) x
	JOIN @extschema@.sales_order_lines l
	  ON l.tenant_id OPERATOR(pg_catalog.=) x.tenant_id
	 AND l.order_id OPERATOR(pg_catalog.=) x.order_id
	 AND l.line_no OPERATOR(pg_catalog.=) x.line_no
	 AND l.status OPERATOR(pg_catalog.<>) 'cancelled'
	 AND l.warehouse_id IS NULL
	JOIN @extschema@.sales_orders o
	  ON o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
	 AND o.order_id OPERATOR(pg_catalog.=) l.order_id
	WHERE x.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	  AND l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	  AND o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	  AND o.ordered_at OPERATOR(pg_catalog.>=) (CURRENT_DATE OPERATOR(pg_catalog.-) @extschema@.demand_window_days())::timestamptz
	  AND o.ordered_at OPERATOR(pg_catalog.<) CURRENT_DATE::timestamptz
	  AND o.status OPERATOR(pg_catalog.=) ANY ('{confirmed,closed}'::text[])
),
demand AS (
	SELECT d.item_id, d.warehouse_id,
		-- the window as scalar subqueries: computed once (InitPlans), not per row
		@extschema@.demand_class(d.ordered_at::date, d.qty::float8,
								 (SELECT CURRENT_DATE OPERATOR(pg_catalog.-) @extschema@.demand_window_days()),
								 (SELECT CURRENT_DATE OPERATOR(pg_catalog.-) 1)) AS prof,
		pg_catalog.sum(d.qty OPERATOR(pg_catalog.*) d.unit_price) AS revenue
	FROM demand_rows d
	GROUP BY d.item_id, d.warehouse_id
),
abc AS (
	SELECT r.item_id, r.revenue,
		CASE WHEN r.revenue OPERATOR(pg_catalog.<=) 0 THEN 'C'
			 WHEN r.before OPERATOR(pg_catalog.<) (0.8 OPERATOR(pg_catalog.*) r.total) THEN 'A'
			 WHEN r.before OPERATOR(pg_catalog.<) (0.95 OPERATOR(pg_catalog.*) r.total) THEN 'B'
			 ELSE 'C' END AS abc_class
	FROM (SELECT i.item_id, i.revenue,
			  pg_catalog.sum(i.revenue) OVER (ORDER BY i.revenue DESC, i.item_id
											 ROWS UNBOUNDED PRECEDING) OPERATOR(pg_catalog.-) i.revenue AS before,
			  pg_catalog.sum(i.revenue) OVER () AS total
		  FROM (SELECT item_id, pg_catalog.sum(revenue) AS revenue FROM demand GROUP BY item_id) i) r
),
inv AS (
	SELECT v.item_id, v.warehouse_id, v.on_hand, v.reserved
	FROM p JOIN @extschema@.inventory v ON v.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
	WHERE v.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
),
backordered AS (
	SELECT b.item_id, b.warehouse_id, pg_catalog.sum(b.qty) AS qty
	FROM p JOIN @extschema@.backorders b ON b.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
	WHERE b.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	GROUP BY b.item_id, b.warehouse_id
),
on_order AS (
	SELECT pl.item_id, pl.warehouse_id,
		pg_catalog.sum(@extschema@._po_line_open_qty(pl.qty, pl.qty_received)) AS qty
	FROM p
	JOIN @extschema@.purchase_orders po ON po.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
	 AND po.status OPERATOR(pg_catalog.=) ANY ('{draft,ordered}'::text[])
	JOIN @extschema@.purchase_order_lines pl ON pl.tenant_id OPERATOR(pg_catalog.=) po.tenant_id
	 AND pl.po_id OPERATOR(pg_catalog.=) po.po_id
	WHERE po.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	  AND pl.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	GROUP BY pl.item_id, pl.warehouse_id
),
pairs AS (
	SELECT item_id, warehouse_id FROM inv
	UNION SELECT item_id, warehouse_id FROM demand
	UNION SELECT item_id, warehouse_id FROM backordered
	UNION SELECT item_id, warehouse_id FROM on_order
),
base AS (
	SELECT p.tenant_id, k.item_id, k.warehouse_id, it.sku, it.name AS item_name,
		COALESCE(a.abc_class, 'C') AS abc_class,
		COALESCE(inv.on_hand, 0) AS on_hand,
		COALESCE(inv.reserved, 0) AS reserved,
		COALESCE(oo.qty, 0) AS on_order,
		COALESCE(bo.qty, 0) AS backordered,
		p.window_days, p.start_day, p.end_day,
		COALESCE((d.prof).total, 0) AS demand_in_window,
		COALESCE((d.prof).demand_periods, 0) AS demand_days,
		COALESCE((d.prof).mean, 0) AS demand_mean,
		COALESCE((d.prof).sd, 0) AS demand_sd,
		COALESCE((d.prof).demand_class, 'no demand') AS demand_class,
		COALESCE((d.prof).method, 'sba') AS forecast_method,
		COALESCE((d.prof).forecast, 0) AS forecast,
		it.lead_time_days::float8 AS lead_time_days,
		it.lead_time_sd_days::float8 AS lead_time_sd_days,
		it.service_level::float8 AS service_level,
		it.pack_size,
		it.order_cost::float8 AS order_cost,
		(it.holding_rate OPERATOR(pg_catalog.*) it.unit_cost)::float8 AS holding_cost
	FROM p
	CROSS JOIN pairs k
	JOIN @extschema@.items it ON it.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
	 AND it.item_id OPERATOR(pg_catalog.=) k.item_id
	LEFT JOIN inv ON inv.item_id OPERATOR(pg_catalog.=) k.item_id AND inv.warehouse_id OPERATOR(pg_catalog.=) k.warehouse_id
	LEFT JOIN demand d ON d.item_id OPERATOR(pg_catalog.=) k.item_id AND d.warehouse_id OPERATOR(pg_catalog.=) k.warehouse_id
	LEFT JOIN backordered bo ON bo.item_id OPERATOR(pg_catalog.=) k.item_id AND bo.warehouse_id OPERATOR(pg_catalog.=) k.warehouse_id
	LEFT JOIN on_order oo ON oo.item_id OPERATOR(pg_catalog.=) k.item_id AND oo.warehouse_id OPERATOR(pg_catalog.=) k.warehouse_id
	LEFT JOIN abc a ON a.item_id OPERATOR(pg_catalog.=) k.item_id
	WHERE it.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
),
calc AS (
	SELECT b.*,
		b.on_hand OPERATOR(pg_catalog.-) b.reserved OPERATOR(pg_catalog.+) b.on_order
			OPERATOR(pg_catalog.-) b.backordered AS inventory_position,
		@extschema@.safety_stock(b.service_level, b.forecast, b.demand_sd,
								 b.lead_time_days, b.lead_time_sd_days) AS safety_stock,
		b.forecast OPERATOR(pg_catalog.*) 365 AS annual_demand,
		CASE WHEN b.forecast OPERATOR(pg_catalog.>) 0 AND b.order_cost OPERATOR(pg_catalog.>) 0
				  AND b.holding_cost OPERATOR(pg_catalog.>) 0
			 THEN @extschema@.eoq(b.forecast OPERATOR(pg_catalog.*) 365, b.order_cost, b.holding_cost)
		END AS eoq
	FROM base b
),
calc2 AS (
	SELECT c.*,
		c.forecast OPERATOR(pg_catalog.*) c.lead_time_days OPERATOR(pg_catalog.+) c.safety_stock AS reorder_point,
		-- the lot: EOQ rounded up to whole packs, at least one pack
		c.pack_size OPERATOR(pg_catalog.*) GREATEST(1,
			pg_catalog.ceil(COALESCE(c.eoq, 0)::numeric OPERATOR(pg_catalog./) c.pack_size)) AS order_qty
	FROM calc c
),
calc3 AS (
	SELECT c.*,
		c.inventory_position::float8 OPERATOR(pg_catalog.<=) c.reorder_point
			AND (c.forecast OPERATOR(pg_catalog.>) 0 OR c.inventory_position OPERATOR(pg_catalog.<) 0) AS reorder_now
	FROM calc2 c
)
SELECT c.tenant_id, c.item_id, c.warehouse_id, c.sku, c.item_name, c.abc_class,
	c.on_hand, c.reserved, c.on_order, c.backordered, c.inventory_position,
	c.window_days, c.start_day, c.end_day, c.demand_in_window, c.demand_days,
	c.demand_mean, c.demand_sd, c.demand_class, c.forecast_method,
	c.forecast AS demand_per_day,
	c.lead_time_days, c.lead_time_sd_days, c.service_level,
	c.safety_stock, c.reorder_point, c.eoq, c.pack_size, c.order_qty,
	c.reorder_now,
	CASE WHEN c.reorder_now
		 THEN c.order_qty OPERATOR(pg_catalog.*)
			  (pg_catalog.floor((c.reorder_point::numeric OPERATOR(pg_catalog.-) c.inventory_position)
								OPERATOR(pg_catalog./) c.order_qty) OPERATOR(pg_catalog.+) 1)
		 ELSE 0 END AS suggested_qty,
	CASE
		WHEN c.reorder_now AND c.forecast OPERATOR(pg_catalog.=) 0 THEN
			pg_catalog.format('no demand in the last %s days, but the inventory position %s is negative (backorders waiting): order to cover them',
							  c.window_days, c.inventory_position)
		WHEN c.reorder_now THEN
			pg_catalog.format('inventory position %s <= reorder point %s = %s/day x %s days lead time + safety stock %s (%s demand, %s, service level %s); order %s lot(s) of %s (%s)',
							  c.inventory_position, pg_catalog.round(c.reorder_point::numeric, 2),
							  pg_catalog.round(c.forecast::numeric, 3), c.lead_time_days,
							  pg_catalog.round(c.safety_stock::numeric, 2), c.demand_class, c.forecast_method,
							  c.service_level,
							  pg_catalog.floor((c.reorder_point::numeric OPERATOR(pg_catalog.-) c.inventory_position)
											   OPERATOR(pg_catalog./) c.order_qty) OPERATOR(pg_catalog.+) 1,
							  c.order_qty,
							  CASE WHEN c.eoq IS NULL THEN 'no EOQ without order and holding costs: one pack'
								   ELSE 'EOQ ' OPERATOR(pg_catalog.||) pg_catalog.round(c.eoq::numeric, 2)
										OPERATOR(pg_catalog.||) ' rounded up to packs of ' OPERATOR(pg_catalog.||) c.pack_size END)
		WHEN c.forecast OPERATOR(pg_catalog.=) 0 THEN
			pg_catalog.format('no demand in the last %s days', c.window_days)
		ELSE
			pg_catalog.format('inventory position %s is above the reorder point %s', c.inventory_position,
							  pg_catalog.round(c.reorder_point::numeric, 2))
	END AS reason
FROM calc3 c;

COMMENT ON VIEW @extschema@.reorder_suggestions IS
	'Per item and warehouse of the current tenant: stock, inventory position, demand from order history, safety stock, reorder point, EOQ lot and whether to reorder now, and why';
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
COMMENT ON COLUMN @extschema@.reorder_suggestions.end_day IS 'Last day of the demand window (yesterday: today is incomplete)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_in_window IS 'Units ordered in the window (confirmed or closed orders, lines not cancelled)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_days IS 'Days of the window with demand';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_mean IS 'Mean daily demand over the window, days without orders counted as 0';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_sd IS 'Sample standard deviation of daily demand over the window (days without orders counted as 0); the sd used for safety stock';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_class IS 'Syntetos-Boylan class of the daily series: smooth, erratic, intermittent, lumpy or no demand (ADI cut-off 1.32, CV^2 0.49)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.forecast_method IS 'Forecast method the class picks: ses for smooth demand, sba otherwise (alpha 0.1)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.demand_per_day IS 'Forecast demand per day by forecast_method: the demand rate used for reorder point and EOQ';
COMMENT ON COLUMN @extschema@.reorder_suggestions.lead_time_days IS 'Mean replenishment lead time in days (items.lead_time_days)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.lead_time_sd_days IS 'Standard deviation of the lead time in days (items.lead_time_sd_days)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.service_level IS 'Target cycle service level (items.service_level)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.safety_stock IS 'crmscm.safety_stock(service_level, demand_per_day, demand_sd, lead_time_days, lead_time_sd_days)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.reorder_point IS 'demand_per_day * lead_time_days + safety_stock';
COMMENT ON COLUMN @extschema@.reorder_suggestions.eoq IS 'crmscm.eoq(365 * demand_per_day, order_cost, holding_rate * unit_cost); NULL without demand, order cost or holding cost';
COMMENT ON COLUMN @extschema@.reorder_suggestions.pack_size IS 'Purchase quantities are multiples of this (items.pack_size)';
COMMENT ON COLUMN @extschema@.reorder_suggestions.order_qty IS 'The lot: EOQ rounded up to whole packs, at least one pack';
COMMENT ON COLUMN @extschema@.reorder_suggestions.reorder_now IS 'inventory_position <= reorder_point, with demand in the window or a negative position';
COMMENT ON COLUMN @extschema@.reorder_suggestions.suggested_qty IS 'When reorder_now: the smallest multiple of order_qty that lifts the inventory position above the reorder point; else 0';
COMMENT ON COLUMN @extschema@.reorder_suggestions.reason IS 'Why: the figures behind the decision in words';

-- Like every view (doc/conventions.md): security_invoker, so row-level
-- security applies to the caller, and every table filtered on current_tenant().
