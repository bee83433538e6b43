-- Reorder points on the tables (doc/reorder.md): ABC classes by revenue and
-- crmscm.replenish(), which turns crmscm.reorder_suggestions into draft
-- purchase orders.  Conventions: doc/conventions.md.

CREATE OR REPLACE FUNCTION @extschema@.abc_classes(a_share float8 DEFAULT 0.8, b_share float8 DEFAULT 0.95)
	RETURNS TABLE (item_id bigint, revenue numeric, revenue_share float8,
				   cumulative_share float8, abc_class text)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	days int := @extschema@.demand_window_days();
BEGIN
	IF a_share IN ('NaN', 'Infinity', '-Infinity') OR b_share IN ('NaN', 'Infinity', '-Infinity') THEN
		RAISE EXCEPTION 'invalid ABC shares a_share % and b_share %: they must be finite', a_share, b_share
			USING ERRCODE = '22003';
	END IF;
	IF a_share IS NULL OR b_share IS NULL
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
	'ABC class per item of the current tenant by revenue (qty * unit_price of confirmed/closed, not cancelled lines) in the demand window: A up to a_share of the cumulative revenue, B up to b_share, C the rest and items without revenue; a NULL share is an error (22023, like any share outside 0 < a_share <= b_share <= 1; NaN or infinite 22003)';

CREATE OR REPLACE FUNCTION @extschema@.replenish(supplier text DEFAULT NULL)
	RETURNS TABLE (po_id bigint, line_no int, item_id bigint, warehouse_id bigint, qty numeric,
				   expected_at date, reason text)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- the caller's tenant, checked against its pins (doc/security.md); with
	-- the caller's rights (not SECURITY DEFINER), under row-level security
	tenant constant bigint := @extschema@.current_tenant();
	v_items bigint[];
	v_whs bigint[];
	v_qtys numeric[];
	v_days int[];
	v_reasons text[];
	v_po bigint;
	v_expected date;
	wh record;
BEGIN
	-- One replenishment at a time per tenant: an advisory lock on the
	-- tenant id itself (the one-bigint form), a key no other tenant shares.
	-- The suggestions are read after the lock (a new snapshot at READ
	-- COMMITTED), so they count the drafts a concurrent call just committed
	-- as on order: no duplicate purchases.
	PERFORM pg_catalog.pg_advisory_xact_lock(tenant);

	-- the suggestions, computed once
	SELECT pg_catalog.array_agg(s.item_id ORDER BY s.warehouse_id, s.item_id),
		   pg_catalog.array_agg(s.warehouse_id ORDER BY s.warehouse_id, s.item_id),
		   pg_catalog.array_agg(s.suggested_qty ORDER BY s.warehouse_id, s.item_id),
		   pg_catalog.array_agg(pg_catalog.ceil(s.lead_time_days::numeric)::int ORDER BY s.warehouse_id, s.item_id),
		   pg_catalog.array_agg(s.reason ORDER BY s.warehouse_id, s.item_id)
	  INTO v_items, v_whs, v_qtys, v_days, v_reasons
	  FROM @extschema@.reorder_suggestions s
	 WHERE s.tenant_id OPERATOR(pg_catalog.=) tenant AND s.reorder_now AND s.suggested_qty OPERATOR(pg_catalog.>) 0;
	IF v_items IS NULL THEN
		RETURN;
	END IF;

	-- one draft purchase order per warehouse, in warehouse order; its id
	-- from the identity column (no right on the sequence needed)
	FOR wh IN
		SELECT u.w AS warehouse_id, pg_catalog.max(u.d) AS lead_days
		  FROM ROWS FROM (pg_catalog.unnest(v_whs), pg_catalog.unnest(v_days)) AS u(w, d)
		 GROUP BY u.w ORDER BY u.w
	LOOP
		v_expected := CURRENT_DATE OPERATOR(pg_catalog.+) wh.lead_days;
		INSERT INTO @extschema@.purchase_orders AS po (tenant_id, supplier, expected_at, status)
		VALUES (tenant, replenish.supplier, v_expected, 'draft')
		RETURNING po.po_id INTO v_po;
		RETURN QUERY
		WITH todo AS (
			SELECT u.i, u.q, u.r, pg_catalog.row_number() OVER (ORDER BY u.i)::int AS n
			  FROM ROWS FROM (pg_catalog.unnest(v_items), pg_catalog.unnest(v_whs), pg_catalog.unnest(v_qtys),
			                 pg_catalog.unnest(v_reasons)) AS u(i, w, q, r)
			 WHERE u.w OPERATOR(pg_catalog.=) wh.warehouse_id
		), ins AS (
			INSERT INTO @extschema@.purchase_order_lines AS pl (tenant_id, po_id, line_no, item_id, warehouse_id, qty)
			SELECT tenant, v_po, t.n, t.i, wh.warehouse_id, t.q FROM todo t
			RETURNING pl.line_no, pl.item_id, pl.qty
		)
		SELECT v_po, ins.line_no, ins.item_id, wh.warehouse_id, ins.qty, v_expected, t.r
		  FROM ins JOIN todo t ON t.n OPERATOR(pg_catalog.=) ins.line_no
		 ORDER BY ins.line_no;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.replenish(text) IS
	'Turns crmscm.reorder_suggestions (reorder_now) of the current tenant into draft purchase orders, one per warehouse, and returns their lines; serialised per tenant (advisory lock on the tenant id), so concurrent calls never order twice; supplier NULL (the default) leaves the purchase orders'' supplier NULL';
