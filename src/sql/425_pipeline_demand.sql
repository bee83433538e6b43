-- crmscm.pipeline_demand (issue #18, doc/replenishment.md): what the open
-- deals of the sales pipeline would order, per item, warehouse and expected
-- close day, weighted by their win probability.  A deal wins or loses as a
-- whole, independently of the others: for its lines of one item and
-- warehouse (q units) at probability p, the expected quantity is p q and the
-- variance p (1 - p) q^2; both add up over deals.  Like every view
-- (doc/conventions.md): security_invoker, every table filtered on
-- current_tenant().
--
-- A deal is open while its stage is not won or lost and no confirmed or
-- closed order names it (sales_orders.lead_id): the order's lines are then
-- demand (reserved, backordered, in the history) and the deal leaves the
-- pipeline in the same transaction, so no reader sees both.

CREATE OR REPLACE VIEW @extschema@.pipeline_demand WITH (security_invoker = true) AS
WITH deals AS (
	SELECT l.tenant_id, l.lead_id, l.customer_id, l.expected_close_date,
		COALESCE(l.win_probability,
				 CASE WHEN m.model IS NOT NULL AND l.features IS NOT NULL
						   AND pg_catalog.cardinality(l.features) OPERATOR(pg_catalog.=) @extschema@.lead_model_features(m.model)
						   AND pg_catalog.array_position(l.features, NULL::float8) IS NULL
					  THEN @extschema@.lead_score(m.model, l.features) END) AS p
	  FROM @extschema@.leads l
	  LEFT JOIN @extschema@.lead_models m
		ON m.tenant_id OPERATOR(pg_catalog.=) l.tenant_id AND m.active
	   AND m.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	 WHERE l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	   AND l.stage OPERATOR(pg_catalog.<>) ALL (ARRAY['won', 'lost'])
	   AND NOT EXISTS (SELECT FROM @extschema@.sales_orders o
					   WHERE o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
						 AND o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id
						 AND o.lead_id OPERATOR(pg_catalog.=) l.lead_id
						 AND o.status OPERATOR(pg_catalog.=) ANY (ARRAY['confirmed', 'closed']))
),
lines AS (
	-- per deal, item and warehouse: its lines of one item move together
	SELECT d.tenant_id, d.lead_id, ll.item_id,
		COALESCE(ll.warehouse_id, nw.warehouse_id) AS warehouse_id,
		d.expected_close_date AS period, d.p, pg_catalog.sum(ll.qty) AS q
	  FROM deals d
	  JOIN @extschema@.lead_lines ll
		ON ll.tenant_id OPERATOR(pg_catalog.=) d.tenant_id AND ll.lead_id OPERATOR(pg_catalog.=) d.lead_id
	   AND ll.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	  LEFT JOIN @extschema@.customers c
		ON c.tenant_id OPERATOR(pg_catalog.=) d.tenant_id AND c.customer_id OPERATOR(pg_catalog.=) d.customer_id
	   AND c.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	  -- without a warehouse: the one that would serve the customer first (the
	  -- nearest to its location, else the lowest id), as the engine ranks them
	  LEFT JOIN LATERAL (
		SELECT w.warehouse_id FROM @extschema@.warehouses w
		 WHERE w.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		   AND w.tenant_id OPERATOR(pg_catalog.=) ll.tenant_id	-- (for Citus: a lateral join on the distribution column)
		   AND ll.warehouse_id IS NULL
		 ORDER BY @extschema@.distance_km(w.location, c.location) NULLS LAST, w.warehouse_id
		 LIMIT 1) nw ON true
	 GROUP BY d.tenant_id, d.lead_id, ll.item_id, COALESCE(ll.warehouse_id, nw.warehouse_id),
		d.expected_close_date, d.p
)
SELECT x.tenant_id, x.item_id, x.warehouse_id, x.period,
	pg_catalog.count(*) FILTER (WHERE x.p IS NOT NULL) AS deals,
	COALESCE(pg_catalog.sum(x.q) FILTER (WHERE x.p IS NOT NULL), 0) AS qty,
	COALESCE(pg_catalog.sum(x.p OPERATOR(pg_catalog.*) x.q::float8), 0) AS expected_qty,
	COALESCE(pg_catalog.sum(x.p OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) x.p)
							OPERATOR(pg_catalog.*) x.q::float8 OPERATOR(pg_catalog.*) x.q::float8), 0) AS variance,
	pg_catalog.sqrt(COALESCE(pg_catalog.sum(x.p OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) x.p)
							OPERATOR(pg_catalog.*) x.q::float8 OPERATOR(pg_catalog.*) x.q::float8), 0)) AS sd,
	pg_catalog.count(*) FILTER (WHERE x.p IS NULL) AS unscored_deals,
	COALESCE(pg_catalog.sum(x.q) FILTER (WHERE x.p IS NULL), 0) AS unscored_qty
  FROM lines x
 GROUP BY x.tenant_id, x.item_id, x.warehouse_id, x.period;

COMMENT ON VIEW @extschema@.pipeline_demand IS
	'Demand the open deals would bring, per item, warehouse and expected close day: expected quantity sum(p q) and variance sum(p (1 - p) q^2) over deals won or lost independently (p: the lead''s win_probability, else its score from the active lead model)';
COMMENT ON COLUMN @extschema@.pipeline_demand.tenant_id IS 'Tenant (crmscm.current_tenant())';
COMMENT ON COLUMN @extschema@.pipeline_demand.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.pipeline_demand.warehouse_id IS 'The deal line''s warehouse, else the one nearest to the lead''s customer (lowest id without locations)';
COMMENT ON COLUMN @extschema@.pipeline_demand.period IS 'The deals'' expected close date (leads.expected_close_date); NULL when unknown';
COMMENT ON COLUMN @extschema@.pipeline_demand.deals IS 'Open deals with a win probability';
COMMENT ON COLUMN @extschema@.pipeline_demand.qty IS 'Their units if all were won';
COMMENT ON COLUMN @extschema@.pipeline_demand.expected_qty IS 'Expected units: sum of p q';
COMMENT ON COLUMN @extschema@.pipeline_demand.variance IS 'Variance of the units: sum of p (1 - p) q^2, a deal''s lines of the item and warehouse together';
COMMENT ON COLUMN @extschema@.pipeline_demand.sd IS 'sqrt(variance)';
COMMENT ON COLUMN @extschema@.pipeline_demand.unscored_deals IS 'Open deals without a probability (no win_probability and no active model or features): not in the sums';
COMMENT ON COLUMN @extschema@.pipeline_demand.unscored_qty IS 'Their units';
