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
-- Length: one SQL statement, the steps above as its CTEs, so that the
-- planner sees the whole query.  PL/pgSQL, not an SQL function: Citus
-- cannot plan an SQL function's statement with its parameters (0A000 "could
-- not create distributed plan"); PL/pgSQL hands it the values.
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
LANGUAGE plpgsql STABLE STRICT
-- JIT compiled this statement at every call (its cost estimate is that of the
-- recompute from the history, 339 functions): 2.35-2.57 s with it, 1.72-1.93 s
-- without, for the 30,000 rows of bench/reorder.sh
SET jit = off
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
-- a C function first, so that the library is loaded and the setting
-- crmscm.lead_time_shrinkage registered with its default (src/replenishment.c)
-- before the query reads it
PERFORM @extschema@.demand_window_days();
RETURN QUERY
WITH p AS (
	SELECT @extschema@.current_tenant() AS tenant_id,
		w.days AS window_days,
		reorder_suggestions_at.as_of OPERATOR(pg_catalog.-) w.days AS start_day,
		reorder_suggestions_at.as_of OPERATOR(pg_catalog.-) 1 AS end_day,
		pg_catalog.current_setting('crmscm.lead_time_shrinkage')::float8 AS k,
		-- a column, not a constant in the quals below: Citus (on PostgreSQL
		-- 15) refuses a distributed outer join with a pseudoconstant qual
		reorder_suggestions_at.from_history AS from_history
	FROM (SELECT @extschema@.demand_window_days() AS days) w
),
-- the demand profile of every item and warehouse with demand in the window:
-- from the kept state ...
kept AS (
	SELECT s.item_id, s.warehouse_id, w AS prof
	  FROM p
	  JOIN @extschema@.demand_state s ON s.tenant_id OPERATOR(pg_catalog.=) p.tenant_id AND NOT p.from_history
	  LEFT JOIN LATERAL (
		-- demand_days after the series' anchor, or of the whole window when
		-- the series does not reach back to its start
		SELECT pg_catalog.array_agg(y.day) AS d, pg_catalog.array_agg(y.qty::float8) AS q,
			   pg_catalog.array_agg(y.revenue::float8) AS r
		  FROM @extschema@.demand_days y
		 WHERE y.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		   AND y.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
		   AND y.item_id OPERATOR(pg_catalog.=) s.item_id AND y.warehouse_id OPERATOR(pg_catalog.=) s.warehouse_id
		   AND y.day OPERATOR(pg_catalog.>=) CASE WHEN s.series_from OPERATOR(pg_catalog.<=) p.start_day
												  THEN s.anchor OPERATOR(pg_catalog.+) 1 ELSE p.start_day END
		   AND y.day OPERATOR(pg_catalog.<=) p.end_day
		   AND (s.series_from OPERATOR(pg_catalog.>) p.start_day OR s.pending_from OPERATOR(pg_catalog.<=) p.end_day)
	  ) x ON true
	  -- in FROM, so that it runs once per row: a call in the select list of a
	  -- CTE the planner pulls up would run again for every field read from it
	  -- (13 times a row: 7.4 s instead of 2.5 s for 30,000 rows)
	  CROSS JOIN LATERAL @extschema@._demand_window(s.series, s.anchor, s.series_from, x.d, x.q, x.r,
													 p.start_day, p.end_day, 0.1) w
	 WHERE s.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
),
-- ... or recomputed from the history
-- (the window's days as scalar subqueries, not a LATERAL subquery over p:
-- Citus cannot plan a lateral reference from the CTE into the distributed
-- UNION ALL of demand_history)
recomputed AS (
	SELECT h.item_id, h.warehouse_id,
		@extschema@.demand_class(h.day, h.qty::float8, p.start_day, p.end_day, 0.1) AS prof,
		pg_catalog.sum(h.revenue) AS revenue
	  FROM (SELECT d.item_id, d.warehouse_id, d.day,
				   pg_catalog.sum(d.qty) AS qty, pg_catalog.sum(d.revenue) AS revenue
			  FROM @extschema@.demand_history d
			 WHERE d.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
			   AND d.day OPERATOR(pg_catalog.>=) (SELECT p.start_day FROM p)
			   AND d.day OPERATOR(pg_catalog.<=) (SELECT p.end_day FROM p)
			 GROUP BY d.item_id, d.warehouse_id, d.day) h
	 JOIN p ON p.from_history
	 GROUP BY h.item_id, h.warehouse_id
),
demand AS (
	SELECT k.item_id, k.warehouse_id,
		ROW((k.prof).periods, (k.prof).demand_periods, (k.prof).total, (k.prof).mean, (k.prof).sd,
			(k.prof).adi, (k.prof).cv2, (k.prof).demand_class, (k.prof).method,
			(k.prof).forecast)::@extschema@.demand_profile AS prof,
		(k.prof).revenue::numeric AS revenue
	  FROM kept k
	 WHERE (k.prof).total OPERATOR(pg_catalog.>) 0 OR (k.prof).revenue OPERATOR(pg_catalog.<>) 0
	UNION ALL
	SELECT r.item_id, r.warehouse_id, r.prof, r.revenue FROM recomputed r
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
		  FROM (SELECT d.item_id, pg_catalog.sum(d.revenue) AS revenue FROM demand d GROUP BY d.item_id) i) r
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
-- lead times learned from receipts, all suppliers of the item and warehouse pooled
learned AS (
	SELECT z.item_id, z.warehouse_id, @extschema@._wm_neff(z.m) AS n, (z.m)[4] AS mean,
		@extschema@._wm_sd(z.m) AS sd
	  FROM (SELECT st.item_id, st.warehouse_id, @extschema@._wm_pool(st.lead_moments) AS m
			  FROM p JOIN @extschema@.supplier_stats st ON st.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
			 WHERE st.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
			 GROUP BY st.item_id, st.warehouse_id) z
	 WHERE (z.m)[1] OPERATOR(pg_catalog.>) 0
),
pairs AS (
	SELECT i.item_id, i.warehouse_id FROM inv i
	UNION SELECT d.item_id, d.warehouse_id FROM demand d
	UNION SELECT b.item_id, b.warehouse_id FROM backordered b
	UNION SELECT o.item_id, o.warehouse_id FROM on_order o
),
base AS (
	SELECT p.tenant_id, k.item_id, k.warehouse_id, it.sku, it.name AS item_name,
		COALESCE(a.abc_class, 'C') AS abc_class,
		COALESCE(inv.on_hand, 0) AS on_hand,
		COALESCE(inv.reserved, 0) AS reserved,
		COALESCE(oo.qty, 0) AS on_order,
		COALESCE(bo.qty, 0) AS backordered,
		p.window_days, p.start_day, p.end_day, p.k,
		COALESCE((d.prof).total, 0) AS demand_in_window,
		COALESCE((d.prof).demand_periods, 0) AS demand_days,
		COALESCE((d.prof).mean, 0) AS demand_mean,
		COALESCE((d.prof).sd, 0) AS demand_sd,
		COALESCE((d.prof).demand_class, 'no demand') AS demand_class,
		COALESCE((d.prof).method, 'sba') AS forecast_method,
		COALESCE((d.prof).forecast, 0) AS forecast,
		it.lead_time_days::float8 AS item_lead,
		it.lead_time_sd_days::float8 AS item_lead_sd,
		ln.n AS receipts, ln.mean AS learned_lead, ln.sd AS learned_sd,
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
	LEFT JOIN learned ln ON ln.item_id OPERATOR(pg_catalog.=) k.item_id AND ln.warehouse_id OPERATOR(pg_catalog.=) k.warehouse_id
	WHERE it.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
),
lead AS (
	SELECT b.*,
		@extschema@._shrink(b.receipts, b.learned_lead, b.k, b.item_lead) AS lead_time_days,
		@extschema@._shrink(b.receipts OPERATOR(pg_catalog.-) 1, b.learned_sd, b.k, b.item_lead_sd) AS lead_time_sd_days
	FROM base b
),
-- open deals expected to close within the lead time (overdue ones included)
pipe AS (
	SELECT l.item_id, l.warehouse_id,
		pg_catalog.sum(pd.expected_qty) AS pipeline_qty, pg_catalog.sum(pd.variance) AS pipeline_var
	  FROM lead l
	  JOIN @extschema@.pipeline_demand pd
		ON pd.item_id OPERATOR(pg_catalog.=) l.item_id AND pd.warehouse_id OPERATOR(pg_catalog.=) l.warehouse_id
	   AND (pd.period OPERATOR(pg_catalog.-) reorder_suggestions_at.as_of)::float8 OPERATOR(pg_catalog.<) l.lead_time_days
	 GROUP BY l.item_id, l.warehouse_id
),
calc AS (
	SELECT b.*,
		COALESCE(pp.pipeline_qty, 0) AS pipeline_qty,
		COALESCE(pp.pipeline_var, 0) AS pipeline_var,
		b.on_hand OPERATOR(pg_catalog.-) b.reserved OPERATOR(pg_catalog.+) b.on_order
			OPERATOR(pg_catalog.-) b.backordered AS inventory_position,
		@extschema@.safety_stock(b.service_level, b.forecast, b.demand_sd,
								 b.lead_time_days, b.lead_time_sd_days, COALESCE(pp.pipeline_var, 0)) AS safety_stock,
		CASE WHEN b.forecast OPERATOR(pg_catalog.>) 0 AND b.order_cost OPERATOR(pg_catalog.>) 0
				  AND b.holding_cost OPERATOR(pg_catalog.>) 0
			 THEN @extschema@.eoq(b.forecast OPERATOR(pg_catalog.*) 365, b.order_cost, b.holding_cost)
		END AS eoq
	FROM lead b
	LEFT JOIN pipe pp ON pp.item_id OPERATOR(pg_catalog.=) b.item_id AND pp.warehouse_id OPERATOR(pg_catalog.=) b.warehouse_id
),
calc2 AS (
	SELECT c.*,
		c.forecast OPERATOR(pg_catalog.*) c.lead_time_days OPERATOR(pg_catalog.+) c.pipeline_qty
			OPERATOR(pg_catalog.+) c.safety_stock AS reorder_point,
		-- the lot: EOQ rounded up to whole packs, at least one pack
		c.pack_size OPERATOR(pg_catalog.*) GREATEST(1,
			pg_catalog.ceil(COALESCE(c.eoq, 0)::numeric OPERATOR(pg_catalog./) c.pack_size)) AS order_qty,
		CASE WHEN c.receipts IS NULL THEN
				 pg_catalog.format('lead time %s d (sd %s) from the item: no receipts', c.item_lead, c.item_lead_sd)
			 ELSE
				 pg_catalog.format('lead time %s d (sd %s) learned from %s receipts (mean %s d, sd %s), shrunk toward the item''s %s d (sd %s) with k = %s',
								   pg_catalog.round(c.lead_time_days::numeric, 2), pg_catalog.round(c.lead_time_sd_days::numeric, 2),
								   pg_catalog.round(c.receipts::numeric, 1), pg_catalog.round(c.learned_lead::numeric, 2),
								   COALESCE(pg_catalog.round(c.learned_sd::numeric, 2)::text, 'n/a'),
								   c.item_lead, c.item_lead_sd, c.k)
		END OPERATOR(pg_catalog.||)
		CASE WHEN c.pipeline_qty OPERATOR(pg_catalog.>) 0
			 THEN pg_catalog.format('; pipeline %s (sd %s) expected within the lead time',
									pg_catalog.round(c.pipeline_qty::numeric, 2),
									pg_catalog.round(pg_catalog.sqrt(c.pipeline_var)::numeric, 2))
			 ELSE '' END AS lead_reason
	FROM calc c
),
calc3 AS (
	SELECT c.*,
		c.inventory_position::float8 OPERATOR(pg_catalog.<=) c.reorder_point
			AND (c.forecast OPERATOR(pg_catalog.>) 0 OR c.pipeline_qty OPERATOR(pg_catalog.>) 0
				 OR c.inventory_position OPERATOR(pg_catalog.<) 0) AS reorder_now
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
		WHEN c.reorder_now AND c.forecast OPERATOR(pg_catalog.=) 0 AND c.pipeline_qty OPERATOR(pg_catalog.=) 0 THEN
			pg_catalog.format('no demand in the last %s days, but the inventory position %s is negative (backorders waiting): order to cover them',
							  c.window_days, c.inventory_position)
		WHEN c.reorder_now THEN
			pg_catalog.format('inventory position %s <= reorder point %s = %s/day x %s days lead time + safety stock %s (%s demand, %s, service level %s); order %s lot(s) of %s (%s); %s',
							  c.inventory_position, pg_catalog.round(c.reorder_point::numeric, 2),
							  pg_catalog.round(c.forecast::numeric, 3), pg_catalog.round(c.lead_time_days::numeric, 2),
							  pg_catalog.round(c.safety_stock::numeric, 2), c.demand_class, c.forecast_method,
							  c.service_level,
							  pg_catalog.floor((c.reorder_point::numeric OPERATOR(pg_catalog.-) c.inventory_position)
											   OPERATOR(pg_catalog./) c.order_qty) OPERATOR(pg_catalog.+) 1,
							  c.order_qty,
							  CASE WHEN c.eoq IS NULL THEN 'no EOQ without order and holding costs: one pack'
								   ELSE 'EOQ ' OPERATOR(pg_catalog.||) pg_catalog.round(c.eoq::numeric, 2)
										OPERATOR(pg_catalog.||) ' rounded up to packs of ' OPERATOR(pg_catalog.||) c.pack_size END,
							  c.lead_reason)
		WHEN c.forecast OPERATOR(pg_catalog.=) 0 AND c.pipeline_qty OPERATOR(pg_catalog.=) 0 THEN
			pg_catalog.format('no demand in the last %s days; %s', c.window_days, c.lead_reason)
		ELSE
			pg_catalog.format('inventory position %s is above the reorder point %s; %s', c.inventory_position,
							  pg_catalog.round(c.reorder_point::numeric, 2), c.lead_reason)
	END AS reason,
	c.pipeline_qty, pg_catalog.sqrt(c.pipeline_var) AS pipeline_sd,
	CASE WHEN c.receipts IS NULL THEN 'item' ELSE 'receipts' END AS lead_time_source,
	COALESCE(c.receipts, 0) AS lead_time_receipts,
	c.item_lead AS item_lead_time_days, c.item_lead_sd AS item_lead_time_sd_days
FROM calc3 c;
END
$$;
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
