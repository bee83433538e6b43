-- crmscm.supplier_performance (issue #18, doc/replenishment.md): how each
-- supplier delivers each item to each warehouse.  The lifetime moments are
-- kept at commit (crmscm.supplier_stats: no receipt reads the history); the
-- percentiles and the last-90-day figures are computed on read from the
-- receipts (crmscm.purchase_receipts) and outcomes
-- (crmscm.purchase_line_outcomes): exact weighted quantiles (the smallest
-- value whose cumulative quantity reaches the share), so reading costs time
-- in the number of receipts.  Like every view (doc/conventions.md):
-- security_invoker, every table filtered on current_tenant().

CREATE OR REPLACE VIEW @extschema@.supplier_performance WITH (security_invoker = true) AS
WITH r AS (
	SELECT x.supplier, x.item_id, x.warehouse_id,
		@extschema@._weighted_quantiles(pg_catalog.array_agg(x.lead_time_days) FILTER (WHERE x.lead_time_days IS NOT NULL),
										pg_catalog.array_agg(x.qty::float8) FILTER (WHERE x.lead_time_days IS NOT NULL),
										'{0.5,0.9}') AS lq,
		@extschema@._weighted_quantiles(pg_catalog.array_agg(x.days_late::float8) FILTER (WHERE x.days_late IS NOT NULL),
										pg_catalog.array_agg(x.qty::float8) FILTER (WHERE x.days_late IS NOT NULL),
										'{0.9}') AS dq,
		pg_catalog.count(*) FILTER (WHERE x.recent) AS n90,
		@extschema@._wm(x.lead_time_days, x.qty::float8) FILTER (WHERE x.recent) AS lm90,
		@extschema@._wm(x.days_late::float8, x.qty::float8) FILTER (WHERE x.recent) AS dm90,
		@extschema@._weighted_quantiles(pg_catalog.array_agg(x.lead_time_days) FILTER (WHERE x.recent AND x.lead_time_days IS NOT NULL),
										pg_catalog.array_agg(x.qty::float8) FILTER (WHERE x.recent AND x.lead_time_days IS NOT NULL),
										'{0.5,0.9}') AS lq90,
		@extschema@._weighted_quantiles(pg_catalog.array_agg(x.days_late::float8) FILTER (WHERE x.recent AND x.days_late IS NOT NULL),
										pg_catalog.array_agg(x.qty::float8) FILTER (WHERE x.recent AND x.days_late IS NOT NULL),
										'{0.9}') AS dq90
	  FROM (SELECT pr.*, pr.received_at OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) '90 days'::interval) AS recent
			  FROM @extschema@.purchase_receipts pr
			 WHERE pr.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()) x
	 GROUP BY x.supplier, x.item_id, x.warehouse_id
),
o AS (
	SELECT lo.supplier, lo.item_id, lo.warehouse_id,
		pg_catalog.count(*) AS n, pg_catalog.count(*) FILTER (WHERE lo.on_time_in_full) AS ok
	  FROM @extschema@.purchase_line_outcomes lo
	 WHERE lo.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
	   AND lo.decided_at OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) '90 days'::interval)
	 GROUP BY lo.supplier, lo.item_id, lo.warehouse_id
)
SELECT s.tenant_id, NULLIF(s.supplier, '') AS supplier, s.item_id, s.warehouse_id,
	s.receipts, s.qty_received,
	@extschema@._wm_neff(s.lead_moments) AS effective_receipts,
	CASE WHEN s.lead_moments[1] OPERATOR(pg_catalog.>) 0 THEN s.lead_moments[4] END AS lead_time_mean_days,
	@extschema@._wm_sd(s.lead_moments) AS lead_time_sd_days,
	r.lq[1] AS lead_time_p50_days, r.lq[2] AS lead_time_p90_days,
	CASE WHEN s.late_moments[1] OPERATOR(pg_catalog.>) 0 THEN s.late_moments[4] END AS days_late_mean,
	r.dq[1] AS days_late_p90,
	s.lines_decided, s.lines_otif,
	CASE WHEN s.lines_decided OPERATOR(pg_catalog.>) 0
		 THEN s.lines_otif::float8 OPERATOR(pg_catalog./) s.lines_decided END AS otif_rate,
	s.first_received_at, s.last_received_at,
	COALESCE(r.n90, 0) AS receipts_90d,
	CASE WHEN r.lm90[1] OPERATOR(pg_catalog.>) 0 THEN r.lm90[4] END AS lead_time_mean_90d,
	@extschema@._wm_sd(r.lm90) AS lead_time_sd_90d,
	r.lq90[1] AS lead_time_p50_90d, r.lq90[2] AS lead_time_p90_90d,
	CASE WHEN r.dm90[1] OPERATOR(pg_catalog.>) 0 THEN r.dm90[4] END AS days_late_mean_90d,
	r.dq90[1] AS days_late_p90_90d,
	CASE WHEN o.n OPERATOR(pg_catalog.>) 0 THEN o.ok::float8 OPERATOR(pg_catalog./) o.n END AS otif_rate_90d
  FROM @extschema@.supplier_stats s
  LEFT JOIN r ON r.supplier OPERATOR(pg_catalog.=) s.supplier AND r.item_id OPERATOR(pg_catalog.=) s.item_id
			 AND r.warehouse_id OPERATOR(pg_catalog.=) s.warehouse_id
  LEFT JOIN o ON o.supplier OPERATOR(pg_catalog.=) s.supplier AND o.item_id OPERATOR(pg_catalog.=) s.item_id
			 AND o.warehouse_id OPERATOR(pg_catalog.=) s.warehouse_id
 WHERE s.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant();

COMMENT ON VIEW @extschema@.supplier_performance IS
	'Per supplier, item and warehouse: receipts, lead time placed -> received and lateness against expected_at (quantity-weighted mean, sd, p50/p90), on-time-in-full rate, over all time and the last 90 days';
COMMENT ON COLUMN @extschema@.supplier_performance.tenant_id IS 'Tenant (crmscm.current_tenant())';
COMMENT ON COLUMN @extschema@.supplier_performance.supplier IS 'purchase_orders.supplier (NULL: orders without one)';
COMMENT ON COLUMN @extschema@.supplier_performance.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.supplier_performance.warehouse_id IS 'Receiving warehouse';
COMMENT ON COLUMN @extschema@.supplier_performance.receipts IS 'Receipts (rises of qty_received)';
COMMENT ON COLUMN @extschema@.supplier_performance.qty_received IS 'Units received';
COMMENT ON COLUMN @extschema@.supplier_performance.effective_receipts IS 'Effective number of receipts behind the lead time, (sum qty)^2 / sum qty^2: the n of the shrinkage in reorder_suggestions';
COMMENT ON COLUMN @extschema@.supplier_performance.lead_time_mean_days IS 'Mean days from ordered_at to received_at, weighted by units (receipts of orders with ordered_at)';
COMMENT ON COLUMN @extschema@.supplier_performance.lead_time_sd_days IS 'Their unbiased weighted standard deviation (reliability weights); NULL below two effective receipts';
COMMENT ON COLUMN @extschema@.supplier_performance.lead_time_p50_days IS 'Weighted median lead time (inverted CDF: the smallest lead time with half the units at or below it)';
COMMENT ON COLUMN @extschema@.supplier_performance.lead_time_p90_days IS 'Weighted 90th percentile lead time';
COMMENT ON COLUMN @extschema@.supplier_performance.days_late_mean IS 'Mean days late against expected_at (UTC days; negative: early), weighted by units';
COMMENT ON COLUMN @extschema@.supplier_performance.days_late_p90 IS 'Weighted 90th percentile of days late';
COMMENT ON COLUMN @extschema@.supplier_performance.lines_decided IS 'Purchase lines with an expected date whose on-time-in-full outcome is decided';
COMMENT ON COLUMN @extschema@.supplier_performance.lines_otif IS 'Of those, lines fully received on or before their expected date';
COMMENT ON COLUMN @extschema@.supplier_performance.otif_rate IS 'lines_otif / lines_decided';
COMMENT ON COLUMN @extschema@.supplier_performance.first_received_at IS 'First receipt';
COMMENT ON COLUMN @extschema@.supplier_performance.last_received_at IS 'Last receipt';
COMMENT ON COLUMN @extschema@.supplier_performance.receipts_90d IS 'Receipts of the last 90 days (received_at)';
COMMENT ON COLUMN @extschema@.supplier_performance.lead_time_mean_90d IS 'Weighted mean lead time of the last 90 days';
COMMENT ON COLUMN @extschema@.supplier_performance.lead_time_sd_90d IS 'Its weighted standard deviation';
COMMENT ON COLUMN @extschema@.supplier_performance.lead_time_p50_90d IS 'Weighted median lead time of the last 90 days';
COMMENT ON COLUMN @extschema@.supplier_performance.lead_time_p90_90d IS 'Weighted 90th percentile lead time of the last 90 days';
COMMENT ON COLUMN @extschema@.supplier_performance.days_late_mean_90d IS 'Weighted mean days late of the last 90 days';
COMMENT ON COLUMN @extschema@.supplier_performance.days_late_p90_90d IS 'Weighted 90th percentile of days late of the last 90 days';
COMMENT ON COLUMN @extschema@.supplier_performance.otif_rate_90d IS 'On-time-in-full rate of the lines decided in the last 90 days';
