-- crmscm.supplier_performance (issue #18, doc/replenishment.md): how each
-- supplier delivers each item to each warehouse.  The lifetime moments are
-- kept at commit (crmscm.supplier_stats: no receipt reads the history); the
-- percentiles and the last-90-day figures are computed on read from the
-- receipts (crmscm.purchase_receipts) and outcomes
-- (crmscm.purchase_line_outcomes): exact weighted quantiles (the smallest
-- value whose cumulative quantity reaches the share), so reading costs time
-- in the number of receipts.  Like every view (doc/conventions.md):
-- security_invoker, every table filtered on current_tenant().  One grouped
-- pass over the three tables (UNION ALL) rather than a join of their
-- aggregates: a query with an outer join that filters tenant_id by a
-- constant makes `constant = current_tenant()` a pseudoconstant qual, which
-- Citus on PostgreSQL 15 refuses (doc/citus.md).

CREATE OR REPLACE VIEW @extschema@.supplier_performance WITH (security_invoker = true) AS
SELECT g.tenant_id, NULLIF(g.supplier, '') AS supplier, g.item_id, g.warehouse_id,
	g.receipts, g.qty_received,
	@extschema@._wm_neff(g.lead_moments) AS effective_receipts,
	CASE WHEN g.lead_moments[1] OPERATOR(pg_catalog.>) 0 THEN g.lead_moments[4] END AS lead_time_mean_days,
	@extschema@._wm_sd(g.lead_moments) AS lead_time_sd_days,
	g.lq[1] AS lead_time_p50_days, g.lq[2] AS lead_time_p90_days,
	CASE WHEN g.late_moments[1] OPERATOR(pg_catalog.>) 0 THEN g.late_moments[4] END AS days_late_mean,
	g.dq[1] AS days_late_p90,
	g.lines_decided, g.lines_otif,
	CASE WHEN g.lines_decided OPERATOR(pg_catalog.>) 0
		 THEN g.lines_otif::float8 OPERATOR(pg_catalog./) g.lines_decided END AS otif_rate,
	g.first_received_at, g.last_received_at,
	g.n90 AS receipts_90d,
	CASE WHEN g.lm90[1] OPERATOR(pg_catalog.>) 0 THEN g.lm90[4] END AS lead_time_mean_90d,
	@extschema@._wm_sd(g.lm90) AS lead_time_sd_90d,
	g.lq90[1] AS lead_time_p50_90d, g.lq90[2] AS lead_time_p90_90d,
	CASE WHEN g.dm90[1] OPERATOR(pg_catalog.>) 0 THEN g.dm90[4] END AS days_late_mean_90d,
	g.dq90[1] AS days_late_p90_90d,
	CASE WHEN g.o90 OPERATOR(pg_catalog.>) 0 THEN g.ok90::float8 OPERATOR(pg_catalog./) g.o90 END AS otif_rate_90d
  FROM (SELECT x.tenant_id, x.supplier, x.item_id, x.warehouse_id,
			-- the kept statistics: one 's' row per key (the primary key)
			pg_catalog.max(x.receipts) AS receipts, pg_catalog.max(x.qty_received) AS qty_received,
			pg_catalog.max(x.lead_moments) AS lead_moments, pg_catalog.max(x.late_moments) AS late_moments,
			pg_catalog.max(x.lines_decided) AS lines_decided, pg_catalog.max(x.lines_otif) AS lines_otif,
			pg_catalog.max(x.first_received_at) AS first_received_at, pg_catalog.max(x.last_received_at) AS last_received_at,
			-- the receipts ('r'): percentiles and the last 90 days
			@extschema@._weighted_quantiles(pg_catalog.array_agg(x.lead_time_days) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.lead_time_days IS NOT NULL),
											pg_catalog.array_agg(x.qty) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.lead_time_days IS NOT NULL),
											'{0.5,0.9}') AS lq,
			@extschema@._weighted_quantiles(pg_catalog.array_agg(x.days_late) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.days_late IS NOT NULL),
											pg_catalog.array_agg(x.qty) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.days_late IS NOT NULL),
											'{0.9}') AS dq,
			pg_catalog.count(*) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.recent) AS n90,
			@extschema@._wm(x.lead_time_days, x.qty) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.recent) AS lm90,
			@extschema@._wm(x.days_late, x.qty) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.recent) AS dm90,
			@extschema@._weighted_quantiles(pg_catalog.array_agg(x.lead_time_days) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.recent AND x.lead_time_days IS NOT NULL),
											pg_catalog.array_agg(x.qty) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.recent AND x.lead_time_days IS NOT NULL),
											'{0.5,0.9}') AS lq90,
			@extschema@._weighted_quantiles(pg_catalog.array_agg(x.days_late) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.recent AND x.days_late IS NOT NULL),
											pg_catalog.array_agg(x.qty) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'r' AND x.recent AND x.days_late IS NOT NULL),
											'{0.9}') AS dq90,
			-- the outcomes decided in the last 90 days ('o')
			pg_catalog.count(*) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'o') AS o90,
			pg_catalog.count(*) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 'o' AND x.on_time_in_full) AS ok90
		  FROM (SELECT s.tenant_id, s.supplier, s.item_id, s.warehouse_id, 's'::text AS kind,
					s.receipts, s.qty_received, s.lead_moments, s.late_moments, s.lines_decided, s.lines_otif,
					s.first_received_at, s.last_received_at,
					NULL::float8 AS lead_time_days, NULL::float8 AS days_late, NULL::float8 AS qty,
					NULL::boolean AS recent, NULL::boolean AS on_time_in_full
				  FROM @extschema@.supplier_stats s
				 WHERE s.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
				UNION ALL
				SELECT pr.tenant_id, pr.supplier, pr.item_id, pr.warehouse_id, 'r',
					NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
					pr.lead_time_days, pr.days_late::float8, pr.qty::float8,
					pr.received_at OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) '90 days'::interval), NULL
				  FROM @extschema@.purchase_receipts pr
				 WHERE pr.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
				UNION ALL
				SELECT lo.tenant_id, lo.supplier, lo.item_id, lo.warehouse_id, 'o',
					NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
					NULL, NULL, NULL, NULL, lo.on_time_in_full
				  FROM @extschema@.purchase_line_outcomes lo
				 WHERE lo.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
				   AND lo.decided_at OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) '90 days'::interval)) x
		 GROUP BY x.tenant_id, x.supplier, x.item_id, x.warehouse_id
		 -- keys with kept statistics only (a receipt or outcome has them)
		HAVING pg_catalog.count(*) FILTER (WHERE x.kind OPERATOR(pg_catalog.=) 's') OPERATOR(pg_catalog.>) 0) g;

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
