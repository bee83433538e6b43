-- Reorder points on the tables (SPEC §6): ABC classes by revenue and
-- crmscm.replenish(), which turns crmscm.reorder_suggestions into draft
-- purchase orders.  Conventions: doc/conventions.md.

CREATE OR REPLACE FUNCTION @extschema@.abc_classes(a_share float8 DEFAULT 0.8, b_share float8 DEFAULT 0.95)
	RETURNS TABLE (item_id bigint, revenue numeric, revenue_share float8,
				   cumulative_share float8, abc_class text)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	days int := COALESCE(NULLIF(pg_catalog.current_setting('crmscm.demand_window_days', true), '')::int, 365);
BEGIN
	IF a_share IS NULL OR b_share IS NULL OR a_share = 'NaN' OR b_share = 'NaN'
	   OR NOT (a_share > 0 AND a_share <= b_share AND b_share <= 1) THEN
		RAISE EXCEPTION 'invalid ABC shares a_share % and b_share %', a_share, b_share
			USING ERRCODE = '22023', DETAIL = 'They must satisfy 0 < a_share <= b_share <= 1.';
	END IF;
	RETURN QUERY
	SELECT r.item_id, r.revenue,
		CASE WHEN r.total > 0 THEN (r.revenue / r.total)::float8 ELSE 0 END,
		CASE WHEN r.total > 0 THEN (r.upto / r.total)::float8 ELSE 0 END,
		CASE WHEN r.revenue <= 0 THEN 'C'
			 WHEN r.upto - r.revenue < a_share::numeric * r.total THEN 'A'
			 WHEN r.upto - r.revenue < b_share::numeric * r.total THEN 'B'
			 ELSE 'C' END
	FROM (SELECT i.item_id, COALESCE(v.revenue, 0) AS revenue,
			  pg_catalog.sum(COALESCE(v.revenue, 0)) OVER (ORDER BY COALESCE(v.revenue, 0) DESC, i.item_id
													  ROWS UNBOUNDED PRECEDING) AS upto,
			  pg_catalog.sum(COALESCE(v.revenue, 0)) OVER () AS total
		  FROM @extschema@.items i
		  LEFT JOIN (SELECT l.item_id, pg_catalog.sum(l.qty * l.unit_price) AS revenue
					 FROM @extschema@.sales_orders o
					 JOIN @extschema@.sales_order_lines l
					   ON l.tenant_id = o.tenant_id AND l.order_id = o.order_id
					  AND l.status <> 'cancelled'
					 WHERE o.tenant_id = @extschema@.current_tenant()
					   AND o.status = ANY ('{confirmed,closed}'::text[])
					   AND o.ordered_at >= (CURRENT_DATE - days)::timestamptz
					   AND o.ordered_at < CURRENT_DATE::timestamptz
					 GROUP BY l.item_id) v ON v.item_id = i.item_id
		  WHERE i.tenant_id = @extschema@.current_tenant()) r
	ORDER BY r.revenue DESC, r.item_id;
END
$$;
COMMENT ON FUNCTION @extschema@.abc_classes(float8, float8) IS
	'ABC class per item of the current tenant by revenue (qty * unit_price of confirmed/closed, not cancelled lines) in the demand window: A up to a_share of the cumulative revenue, B up to b_share, C the rest and items without revenue; a NULL share is an error (22023, like any share outside 0 < a_share <= b_share <= 1)';

CREATE OR REPLACE FUNCTION @extschema@.replenish(supplier text DEFAULT NULL)
	RETURNS TABLE (po_id bigint, line_no int, item_id bigint, warehouse_id bigint, qty numeric,
				   expected_at date, reason text)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tenant bigint := @extschema@.current_tenant();
BEGIN
	-- One replenishment at a time per tenant.  The suggestions are read after
	-- the lock (a new snapshot at READ COMMITTED), so they count the drafts a
	-- concurrent call just committed as on order: no duplicate purchases.
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('crmscm.replenish'), tenant::int);

	-- One statement: the suggestions are computed once; purchase order ids
	-- are drawn from their identity sequence so lines can name them.
	RETURN QUERY
	WITH todo AS MATERIALIZED (
		SELECT s.item_id, s.warehouse_id, s.suggested_qty AS qty,
			pg_catalog.ceil(s.lead_time_days::numeric)::int AS lead_days, s.reason
		FROM @extschema@.reorder_suggestions s
		WHERE s.reorder_now AND s.suggested_qty > 0
	),
	heads AS MATERIALIZED (
		SELECT w.warehouse_id,
			pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('@extschema@.purchase_orders', 'po_id')::regclass) AS po_id,
			CURRENT_DATE + w.lead_days AS expected_at
		FROM (SELECT t.warehouse_id, pg_catalog.max(t.lead_days) AS lead_days
			  FROM todo t GROUP BY t.warehouse_id ORDER BY t.warehouse_id) w
	),
	new_po AS (
		INSERT INTO @extschema@.purchase_orders (tenant_id, po_id, supplier, expected_at, status)
		SELECT tenant, h.po_id, supplier, h.expected_at, 'draft' FROM heads h
	),
	new_lines AS (
		INSERT INTO @extschema@.purchase_order_lines AS pl (tenant_id, po_id, line_no, item_id, warehouse_id, qty)
		SELECT tenant, h.po_id,
			(pg_catalog.row_number() OVER (PARTITION BY t.warehouse_id ORDER BY t.item_id))::int,
			t.item_id, t.warehouse_id, t.qty
		FROM todo t JOIN heads h ON h.warehouse_id = t.warehouse_id
		RETURNING pl.po_id, pl.line_no, pl.item_id, pl.warehouse_id, pl.qty
	)
	SELECT n.po_id, n.line_no, n.item_id, n.warehouse_id, n.qty, h.expected_at, t.reason
	FROM new_lines n
	JOIN heads h ON h.po_id = n.po_id
	JOIN todo t ON t.item_id = n.item_id AND t.warehouse_id = n.warehouse_id
	ORDER BY n.po_id, n.line_no;
END
$$;
COMMENT ON FUNCTION @extschema@.replenish(text) IS
	'Turns crmscm.reorder_suggestions (reorder_now) of the current tenant into draft purchase orders, one per warehouse, and returns their lines; serialised per tenant, so concurrent calls never order twice; supplier NULL (the default) leaves the purchase orders'' supplier NULL';
