-- crmscm.delivery_costs (doc/routing.md, README "Reference"): what delivering today's open orders
-- costs, per order, on one planned route per shipping warehouse.  Like every
-- view (doc/conventions.md): security_invoker, and every table filtered on
-- current_tenant().
--
-- Shipping warehouse of an order: the warehouse holding most of its
-- reservations; else the preferred warehouse of its first open line that has
-- one; else the warehouse nearest to ship_to.
-- Route of the day: every open order of a warehouse is a stop of one vehicle
-- leaving the warehouse and coming back (crmscm.route_cost).
-- Allocation: each order pays its per-stop cost and its own service time
-- directly; the route's driving cost (km and driving hours) is split in
-- proportion to each stop's detour, d(prev, stop) + d(stop, next) -
-- d(prev, next) along the planned order (the cost the route saves without
-- that stop), equally when all detours are zero.  Shares add up to the
-- route cost.
-- Cost parameters are the settings crmscm.delivery_* (SET or ALTER
-- ROLE/DATABASE ... SET), registered with their defaults and bounds in
-- src/delivery_costs.c.

CREATE OR REPLACE FUNCTION @extschema@.delivery_setting(name text, default_value float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_delivery_setting$$
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.delivery_setting(text, float8) IS
	'Value of the setting crmscm.delivery_<name> as float8 (used by crmscm.delivery_costs); default_value when there is no such setting or name is NULL; NaN or Infinity (default_value) 22003.  The six settings are registered with their defaults (README Reference), so they always have a value';

CREATE OR REPLACE VIEW @extschema@.delivery_costs WITH (security_invoker = true) AS
WITH params AS (
	-- the registered settings (src/delivery_costs.c: their defaults too)
	SELECT @extschema@.delivery_setting('speed_kmh', NULL) AS speed_kmh,
		   @extschema@.delivery_setting('cost_per_km', NULL) AS cost_per_km,
		   @extschema@.delivery_setting('cost_per_hour', NULL) AS cost_per_hour,
		   @extschema@.delivery_setting('cost_per_stop', NULL) AS cost_per_stop,
		   @extschema@.delivery_setting('service_minutes', NULL) AS service_minutes,
		   @extschema@.delivery_setting('time_limit_ms', NULL)::int AS time_limit_ms
),
open_orders AS (
	SELECT o.tenant_id, o.order_id, o.customer_id, o.ship_to, o.ordered_at
	  FROM @extschema@.sales_orders o
	 WHERE o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	   AND o.status OPERATOR(pg_catalog.=) 'confirmed'
	   AND EXISTS (SELECT 1 FROM @extschema@.sales_order_lines l
				    WHERE l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
					  AND l.tenant_id OPERATOR(pg_catalog.=) o.tenant_id
					  AND l.order_id OPERATOR(pg_catalog.=) o.order_id
					  AND l.status OPERATOR(pg_catalog.=) 'open')
),
shipping AS (
	SELECT oo.*,
		   COALESCE(res.warehouse_id, pref.warehouse_id, near.warehouse_id) AS warehouse_id,
		   CASE WHEN res.warehouse_id IS NOT NULL THEN 'reservation'
				WHEN pref.warehouse_id IS NOT NULL THEN 'line preference'
				WHEN near.warehouse_id IS NOT NULL THEN 'nearest'
		   END AS warehouse_source
	  FROM open_orders oo
	  LEFT JOIN LATERAL (
		SELECT r.warehouse_id
		  FROM @extschema@.reservations r
		 WHERE r.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		   AND r.tenant_id OPERATOR(pg_catalog.=) oo.tenant_id
		   AND r.order_id OPERATOR(pg_catalog.=) oo.order_id
		 GROUP BY r.warehouse_id
		 ORDER BY pg_catalog.sum(r.qty) DESC, r.warehouse_id
		 LIMIT 1) res ON true
	  LEFT JOIN LATERAL (
		SELECT l.warehouse_id
		  FROM @extschema@.sales_order_lines l
		 WHERE l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		   AND l.tenant_id OPERATOR(pg_catalog.=) oo.tenant_id
		   AND l.order_id OPERATOR(pg_catalog.=) oo.order_id
		   AND l.status OPERATOR(pg_catalog.=) 'open'
		   AND l.warehouse_id IS NOT NULL
		 ORDER BY l.line_no
		 LIMIT 1) pref ON true
	  LEFT JOIN LATERAL (
		SELECT w.warehouse_id
		  FROM @extschema@.warehouses w
		 WHERE w.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		   AND w.tenant_id OPERATOR(pg_catalog.=) oo.tenant_id
		   AND w.location IS NOT NULL AND oo.ship_to IS NOT NULL
		 ORDER BY @extschema@.distance_km(w.location, oo.ship_to), w.warehouse_id
		 LIMIT 1) near ON true
),
stops AS (
	-- orders that can be routed, numbered per warehouse (stop index)
	SELECT s.*, w.location AS warehouse_location,
		   pg_catalog.row_number() OVER (PARTITION BY s.tenant_id, s.warehouse_id ORDER BY s.order_id)::int AS stop_index
	  FROM shipping s
	  JOIN @extschema@.warehouses w
		ON w.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
	   AND w.warehouse_id OPERATOR(pg_catalog.=) s.warehouse_id
	 WHERE w.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	   AND s.ship_to IS NOT NULL AND w.location IS NOT NULL
),
routes AS (
	SELECT st.tenant_id, st.warehouse_id,
		   pg_catalog.array_agg(st.ship_to ORDER BY st.stop_index) AS points,
		   @extschema@.route_cost(st.warehouse_location,
								  pg_catalog.array_agg(st.ship_to ORDER BY st.stop_index),
								  p.speed_kmh, p.cost_per_km, p.cost_per_hour, p.cost_per_stop,
								  p.service_minutes, true, p.time_limit_ms) AS plan,
		   st.warehouse_location AS depot
	  FROM stops st CROSS JOIN params p
	 GROUP BY st.tenant_id, st.warehouse_id, st.warehouse_location, p.speed_kmh, p.cost_per_km, p.cost_per_hour,
			  p.cost_per_stop, p.service_minutes, p.time_limit_ms
),
legs AS (
	SELECT st.tenant_id, st.order_id, st.warehouse_id,
		   pg_catalog.array_position((rt.plan).stop_order, st.stop_index) AS visit_seq,
		   (rt.plan).stops AS route_stops,
		   rt.plan, rt.points, rt.depot, st.ship_to
	  FROM stops st
	  JOIN routes rt
		ON rt.tenant_id OPERATOR(pg_catalog.=) st.tenant_id
	   AND rt.warehouse_id OPERATOR(pg_catalog.=) st.warehouse_id
),
detours AS (
	SELECT lg.*,
		   CASE WHEN lg.visit_seq OPERATOR(pg_catalog.=) 1 THEN lg.depot
				ELSE lg.points[(lg.plan).stop_order[(lg.visit_seq OPERATOR(pg_catalog.-) 1)]] END AS prev_point,
		   CASE WHEN lg.visit_seq OPERATOR(pg_catalog.=) lg.route_stops THEN lg.depot
				ELSE lg.points[(lg.plan).stop_order[(lg.visit_seq OPERATOR(pg_catalog.+) 1)]] END AS next_point
	  FROM legs lg
),
shares AS (
	SELECT d.*,
		   @extschema@.distance_km(d.prev_point, d.ship_to) AS leg_km,
		   GREATEST(0::float8,
				(@extschema@.distance_km(d.prev_point, d.ship_to)
				 OPERATOR(pg_catalog.+) @extschema@.distance_km(d.ship_to, d.next_point))
				OPERATOR(pg_catalog.-) @extschema@.distance_km(d.prev_point, d.next_point)) AS detour_km
	  FROM detours d
)
SELECT s.tenant_id,
	   s.order_id,
	   s.customer_id,
	   s.ordered_at,
	   s.ship_to,
	   s.warehouse_id,
	   s.warehouse_source,
	   sh.route_stops,
	   sh.visit_seq,
	   sh.leg_km,
	   sh.detour_km,
	   2 OPERATOR(pg_catalog.*) (@extschema@.distance_km(sh.depot, s.ship_to)) AS direct_km,
	   (sh.plan).distance_km AS route_km,
	   (sh.plan).duration AS route_duration,
	   (sh.plan).cost AS route_cost,
	   -- OPERATOR() syntax gives every operator the same precedence: parenthesise
	   ((((sh.plan).distance_km OPERATOR(pg_catalog.*) p.cost_per_km)
		 OPERATOR(pg_catalog.+) ((sh.plan).drive_hours OPERATOR(pg_catalog.*) p.cost_per_hour))
		OPERATOR(pg_catalog.*)
		(CASE WHEN (pg_catalog.sum(sh.detour_km) OVER w) OPERATOR(pg_catalog.>) 0
			  THEN sh.detour_km OPERATOR(pg_catalog./) (pg_catalog.sum(sh.detour_km) OVER w)
			  ELSE 1.0::float8 OPERATOR(pg_catalog./) sh.route_stops END))
	   OPERATOR(pg_catalog.+) (CASE WHEN sh.route_stops IS NULL THEN NULL ELSE p.cost_per_stop END)
	   OPERATOR(pg_catalog.+) ((p.service_minutes OPERATOR(pg_catalog./) 60.0::float8) OPERATOR(pg_catalog.*) p.cost_per_hour)
	   AS cost_share
  FROM shipping s
  CROSS JOIN params p
  LEFT JOIN shares sh
	ON sh.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
   AND sh.order_id OPERATOR(pg_catalog.=) s.order_id
WINDOW w AS (PARTITION BY s.tenant_id, s.warehouse_id, sh.route_stops IS NULL);

COMMENT ON VIEW @extschema@.delivery_costs IS
	'Open (confirmed) orders with their shipping warehouse, their place on the planned route of the day of that warehouse (one vehicle, back to the warehouse) and their share of its cost (driving cost split by detour, plus own stop and service cost); parameters from the crmscm.delivery_* settings';
COMMENT ON COLUMN @extschema@.delivery_costs.tenant_id IS 'Tenant owning the order';
COMMENT ON COLUMN @extschema@.delivery_costs.order_id IS 'Open confirmed sales order';
COMMENT ON COLUMN @extschema@.delivery_costs.customer_id IS 'Ordering customer';
COMMENT ON COLUMN @extschema@.delivery_costs.ordered_at IS 'When the order was placed';
COMMENT ON COLUMN @extschema@.delivery_costs.ship_to IS 'Delivery location; NULL means the order cannot be routed (route columns NULL)';
COMMENT ON COLUMN @extschema@.delivery_costs.warehouse_id IS 'Shipping warehouse';
COMMENT ON COLUMN @extschema@.delivery_costs.warehouse_source IS 'How the warehouse was chosen: reservation (most reserved units), line preference, or nearest (to ship_to)';
COMMENT ON COLUMN @extschema@.delivery_costs.route_stops IS 'Number of stops on the warehouse''s route of the day';
COMMENT ON COLUMN @extschema@.delivery_costs.visit_seq IS 'Position of this order on the route (1 = first stop)';
COMMENT ON COLUMN @extschema@.delivery_costs.leg_km IS 'Great-circle km from the previous stop (or the warehouse)';
COMMENT ON COLUMN @extschema@.delivery_costs.detour_km IS 'Extra km the route drives for this stop: d(prev, stop) + d(stop, next) - d(prev, next)';
COMMENT ON COLUMN @extschema@.delivery_costs.direct_km IS 'Km of a dedicated trip warehouse -> ship_to -> warehouse, for comparison';
COMMENT ON COLUMN @extschema@.delivery_costs.route_km IS 'Km of the whole route of the day';
COMMENT ON COLUMN @extschema@.delivery_costs.route_duration IS 'Driving plus service time of the whole route';
COMMENT ON COLUMN @extschema@.delivery_costs.route_cost IS 'Cost of the whole route (crmscm.route_cost)';
COMMENT ON COLUMN @extschema@.delivery_costs.cost_share IS 'This order''s share of route_cost: driving cost in proportion to detour_km, plus its stop and service cost; shares of a route add up to route_cost';
