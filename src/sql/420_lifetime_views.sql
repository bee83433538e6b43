-- Customer lifetime views (doc/lifetime.md, README "Reference").  Like every view
-- (doc/conventions.md): security_invoker, and every table filtered on
-- current_tenant().

CREATE OR REPLACE VIEW @extschema@.customer_purchases WITH (security_invoker = true) AS
SELECT o.tenant_id,
	   o.customer_id,
	   o.order_id,
	   ((o.ordered_at AT TIME ZONE 'UTC')::date) AS purchase_day,
	   pg_catalog.sum(@extschema@._sales_line_amount(o.status, l.status, l.qty, l.qty_shipped, l.unit_price)) AS amount,
	   pg_catalog.sum(@extschema@._sales_line_shipped_amount(o.status, l.status, l.qty_shipped, l.unit_price)) AS shipped_amount
  FROM @extschema@.sales_orders o
  JOIN @extschema@.sales_order_lines l
	ON l.tenant_id OPERATOR(pg_catalog.=) o.tenant_id AND l.order_id OPERATOR(pg_catalog.=) o.order_id
 WHERE o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND @extschema@._sales_line_counts(o.status, l.status)
 GROUP BY o.tenant_id, o.customer_id, o.order_id, o.ordered_at;
COMMENT ON VIEW @extschema@.customer_purchases IS
	'Sales orders that count as purchases: confirmed with a line not cancelled, or closed (historic) with a shipped line';
COMMENT ON COLUMN @extschema@.customer_purchases.tenant_id IS 'Tenant';
COMMENT ON COLUMN @extschema@.customer_purchases.customer_id IS 'Customer';
COMMENT ON COLUMN @extschema@.customer_purchases.order_id IS 'Order';
COMMENT ON COLUMN @extschema@.customer_purchases.purchase_day IS 'UTC calendar day of ordered_at';
COMMENT ON COLUMN @extschema@.customer_purchases.amount IS 'Purchase value: qty * unit_price (confirmed), qty_shipped * unit_price (closed)';
COMMENT ON COLUMN @extschema@.customer_purchases.shipped_amount IS 'qty_shipped * unit_price';

-- Citus (doc/citus.md): customer_lifetime and lifetime_models are joined to
-- the customer by tenant_id only; PostgreSQL derives their tenant_id =
-- current_tenant() from the customer's (security_lint.sh checks the plan),
-- whereas written into the outer joins' conditions as well it made a
-- pseudoconstant qual that Citus refuses without a constant tenant.  Today
-- comes from a MATERIALIZED CTE: a FROM-less subquery with CURRENT_DATE
-- cannot be pushed down.
CREATE OR REPLACE VIEW @extschema@.customer_360 WITH (security_invoker = true) AS
WITH k AS MATERIALIZED (SELECT CURRENT_DATE AS today)
SELECT c.tenant_id,
	   c.customer_id,
	   c.name,
	   c.email,
	   @extschema@.lifetime_stage(cl.order_days, cl.last_order_day, cl.orders_placed, e.as_of,
								  @extschema@._at_risk_days(m.at_risk_days), @extschema@._churn_days(m.churn_days), pr.p_alive) AS stage,
	   cl.first_order_day,
	   cl.last_order_day,
	   COALESCE(cl.orders, 0) AS purchases,
	   COALESCE(cl.order_days, 0) AS purchase_days,
	   COALESCE(cl.revenue, 0) AS revenue,
	   s.frequency,
	   s.recency_days,
	   s.age_days,
	   s.avg_repeat_spend,
	   pr.p_alive,
	   pr.expected_purchases_90d,
	   pr.clv_12m,
	   e.as_of AS evaluated_on,
	   dp.otif_90d,
	   COALESCE(dp.late_lines_90d, 0) AS late_lines_90d
  FROM @extschema@.customers c
  LEFT JOIN @extschema@.customer_lifetime cl
	ON cl.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND cl.customer_id OPERATOR(pg_catalog.=) c.customer_id
  LEFT JOIN @extschema@.lifetime_models m ON m.tenant_id OPERATOR(pg_catalog.=) c.tenant_id
 CROSS JOIN k
 CROSS JOIN LATERAL (SELECT COALESCE(m.as_of, k.today) AS as_of) e
 CROSS JOIN LATERAL (
	SELECT (cl.order_days OPERATOR(pg_catalog.-) 1)::float8 AS frequency,
		   (cl.last_order_day OPERATOR(pg_catalog.-) cl.first_order_day)::float8 AS recency_days,
		   (e.as_of OPERATOR(pg_catalog.-) cl.first_order_day)::float8 AS age_days,
		   CASE WHEN cl.order_days OPERATOR(pg_catalog.>) 1
				THEN (cl.repeat_revenue OPERATOR(pg_catalog./) (cl.order_days OPERATOR(pg_catalog.-) 1))::float8
				ELSE 0::float8 END AS avg_repeat_spend,
		   COALESCE(cl.order_days OPERATOR(pg_catalog.>) 0
					AND cl.last_order_day OPERATOR(pg_catalog.<=) e.as_of
					AND (m.bgnbd).converged, false) AS scorable) s
 CROSS JOIN LATERAL (
	SELECT CASE WHEN s.scorable THEN @extschema@.bgnbd_p_alive(m.bgnbd, s.frequency,
				s.recency_days OPERATOR(pg_catalog./) m.unit_days, s.age_days OPERATOR(pg_catalog./) m.unit_days) END AS p_alive,
		   CASE WHEN s.scorable THEN @extschema@.bgnbd_expected(m.bgnbd, 90 OPERATOR(pg_catalog./) m.unit_days, s.frequency,
				s.recency_days OPERATOR(pg_catalog./) m.unit_days, s.age_days OPERATOR(pg_catalog./) m.unit_days) END AS expected_purchases_90d,
		   CASE WHEN s.scorable AND (m.gamma_gamma).converged
					 AND ((m.gamma_gamma).p OPERATOR(pg_catalog.*) s.frequency OPERATOR(pg_catalog.+) (m.gamma_gamma).q) OPERATOR(pg_catalog.>) 1
					 AND (s.frequency OPERATOR(pg_catalog.=) 0 OR s.avg_repeat_spend OPERATOR(pg_catalog.>) 0)
				THEN @extschema@.clv(m.bgnbd, m.gamma_gamma, s.frequency,
									 s.recency_days OPERATOR(pg_catalog./) m.unit_days, s.age_days OPERATOR(pg_catalog./) m.unit_days,
									 s.avg_repeat_spend, 12, m.monthly_discount, m.units_per_month) END AS clv_12m) pr
 -- #17: delivery performance of the lines due in the last 90 (UTC) days,
 -- grouped by the tenant and customer (Citus pushes that down to the
 -- shards; a lateral subquery per customer it cannot plan with the views'
 -- outer joins)
 LEFT JOIN (
	SELECT d.tenant_id, d.customer_id,
		   pg_catalog.avg(CASE WHEN d.otif THEN 1.0 ELSE 0.0 END) FILTER (WHERE d.otif IS NOT NULL)::float8 AS otif_90d,
		   pg_catalog.count(*) FILTER (WHERE d.otif IS FALSE) AS late_lines_90d
	  FROM @extschema@.delivery_performance d
	 WHERE d.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	   AND d.due_date OPERATOR(pg_catalog.>) (pg_catalog.timezone('UTC', pg_catalog.now())::pg_catalog.date OPERATOR(pg_catalog.-) 90)
	   AND d.due_date OPERATOR(pg_catalog.<=) pg_catalog.timezone('UTC', pg_catalog.now())::pg_catalog.date
	 GROUP BY d.tenant_id, d.customer_id) dp
	ON dp.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND dp.customer_id OPERATOR(pg_catalog.=) c.customer_id
 WHERE c.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant();
COMMENT ON VIEW @extschema@.customer_360 IS
	'Each customer with purchase summary, lifecycle stage, P(alive), expected purchases in 90 days and 12-month CLV from the tenant''s models (crmscm.refit_models())';
COMMENT ON COLUMN @extschema@.customer_360.tenant_id IS 'Tenant';
COMMENT ON COLUMN @extschema@.customer_360.customer_id IS 'Customer';
COMMENT ON COLUMN @extschema@.customer_360.name IS 'Customer name';
COMMENT ON COLUMN @extschema@.customer_360.email IS 'Contact e-mail';
COMMENT ON COLUMN @extschema@.customer_360.stage IS 'lead, prospect, customer, repeat, at_risk or churned on evaluated_on, by days since the last purchase and P(alive) (crmscm.lifetime_stage)';
COMMENT ON COLUMN @extschema@.customer_360.first_order_day IS 'First purchase day';
COMMENT ON COLUMN @extschema@.customer_360.last_order_day IS 'Last purchase day';
COMMENT ON COLUMN @extschema@.customer_360.purchases IS 'Number of purchase orders';
COMMENT ON COLUMN @extschema@.customer_360.purchase_days IS 'Distinct purchase days';
COMMENT ON COLUMN @extschema@.customer_360.revenue IS 'Total purchase value';
COMMENT ON COLUMN @extschema@.customer_360.frequency IS 'Repeat purchase days (purchase_days - 1)';
COMMENT ON COLUMN @extschema@.customer_360.recency_days IS 'Days from first to last purchase';
COMMENT ON COLUMN @extschema@.customer_360.age_days IS 'Days from first purchase to evaluated_on';
COMMENT ON COLUMN @extschema@.customer_360.avg_repeat_spend IS 'Mean value of the repeat purchase days (0 without repeat purchases)';
COMMENT ON COLUMN @extschema@.customer_360.p_alive IS 'Probability the customer is still active (BG/NBD); NULL without a converged model or with purchases after evaluated_on';
COMMENT ON COLUMN @extschema@.customer_360.expected_purchases_90d IS 'Expected purchase days in the 90 days after evaluated_on (BG/NBD)';
COMMENT ON COLUMN @extschema@.customer_360.clv_12m IS 'Customer lifetime value over 12 months, discounted monthly (BG/NBD x Gamma-Gamma)';
COMMENT ON COLUMN @extschema@.customer_360.evaluated_on IS 'Day the predictions are for: the models'' as_of, else the current date';
COMMENT ON COLUMN @extschema@.customer_360.otif_90d IS 'Share of the customer''s order lines due in the last 90 UTC days (delivery_performance.due_date) that were on time and in full; NULL without any';
COMMENT ON COLUMN @extschema@.customer_360.late_lines_90d IS 'Of those lines, how many missed (delivery_performance.otif false)';
