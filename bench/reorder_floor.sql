-- The plain-SQL floor: mean and sample standard deviation of daily demand per
-- item and warehouse over the same 365-day window and rows as the view
-- (confirmed/closed orders, lines not cancelled), days without orders
-- counted as zero (closed form over the days with demand).
SELECT count(*) AS pairs, round(sum(mean)::numeric, 3) AS sum_mean, round(sum(sd)::numeric, 3) AS sum_sd
FROM (
	SELECT item_id, warehouse_id,
		   sum(d)::float8 / 365 AS mean,
		   sqrt(greatest(sum(d * d)::float8 - sum(d)::float8 ^ 2 / 365, 0) / 364) AS sd
	FROM (SELECT l.item_id, l.warehouse_id, o.ordered_at::date AS day, sum(l.qty) AS d
		  FROM crmscm.sales_orders o
		  JOIN crmscm.sales_order_lines l ON l.tenant_id = o.tenant_id AND l.order_id = o.order_id
		  WHERE o.tenant_id = crmscm.current_tenant()
		    AND o.status IN ('confirmed', 'closed') AND l.status <> 'cancelled'
		    AND o.ordered_at >= (current_date - 365)::timestamptz AND o.ordered_at < current_date::timestamptz
		  GROUP BY 1, 2, 3) daily
	GROUP BY 1, 2) s;
