-- What counts as demand, line by line (issue #18, doc/replenishment.md):
-- the view crmscm.demand_history, from which crmscm.reorder_rebuild()
-- rebuilds the kept demand state and crmscm.reorder_suggestions_at(...,
-- from_history => true) recomputes the suggestions.  The commit pass keeps
-- the same rule by deltas (src/demand_state.c).

CREATE OR REPLACE VIEW @extschema@.demand_history WITH (security_invoker = true) AS
SELECT l.tenant_id, l.order_id, l.line_no, l.item_id, l.warehouse_id,
	(o.ordered_at AT TIME ZONE 'UTC')::date AS day,
	l.qty, l.qty OPERATOR(pg_catalog.*) l.unit_price AS revenue
  FROM @extschema@.sales_orders o
  JOIN @extschema@.sales_order_lines l
	ON l.tenant_id OPERATOR(pg_catalog.=) o.tenant_id AND l.order_id OPERATOR(pg_catalog.=) o.order_id
 WHERE o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND o.status OPERATOR(pg_catalog.=) ANY ('{confirmed,closed}'::text[])
   AND l.status OPERATOR(pg_catalog.<>) 'cancelled'
   AND l.warehouse_id IS NOT NULL
UNION ALL
-- lines without a warehouse: where they are reserved, backordered or were shipped
SELECT l.tenant_id, l.order_id, l.line_no, l.item_id, x.warehouse_id,
	(o.ordered_at AT TIME ZONE 'UTC')::date,
	x.qty, x.qty OPERATOR(pg_catalog.*) l.unit_price
  FROM (SELECT r.tenant_id, r.order_id, r.line_no, r.warehouse_id, r.qty
		  FROM @extschema@.reservations r
		 WHERE r.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		UNION ALL
		SELECT b.tenant_id, b.order_id, b.line_no, b.warehouse_id, b.qty
		  FROM @extschema@.backorders b
		 WHERE b.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		UNION ALL
		SELECT m.tenant_id, m.order_id, m.line_no, m.warehouse_id, OPERATOR(pg_catalog.-) m.qty
		  FROM @extschema@.stock_moves m
		 WHERE m.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
		   AND m.kind OPERATOR(pg_catalog.=) 'shipment' AND m.order_id IS NOT NULL) x
  JOIN @extschema@.sales_order_lines l
	ON l.tenant_id OPERATOR(pg_catalog.=) x.tenant_id AND l.order_id OPERATOR(pg_catalog.=) x.order_id
   AND l.line_no OPERATOR(pg_catalog.=) x.line_no
  JOIN @extschema@.sales_orders o
	ON o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id AND o.order_id OPERATOR(pg_catalog.=) l.order_id
 WHERE l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND o.status OPERATOR(pg_catalog.=) ANY ('{confirmed,closed}'::text[])
   AND l.status OPERATOR(pg_catalog.<>) 'cancelled'
   AND l.warehouse_id IS NULL;

COMMENT ON VIEW @extschema@.demand_history IS
	'Demand as reorder points count it, line by line: lines of confirmed or closed orders that are not cancelled, on the UTC day of ordered_at, at the line''s warehouse or, without one, where it is reserved, backordered or was shipped';
COMMENT ON COLUMN @extschema@.demand_history.tenant_id IS 'Tenant (crmscm.current_tenant())';
COMMENT ON COLUMN @extschema@.demand_history.order_id IS 'Order';
COMMENT ON COLUMN @extschema@.demand_history.line_no IS 'Order line';
COMMENT ON COLUMN @extschema@.demand_history.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.demand_history.warehouse_id IS 'Warehouse the demand counts for';
COMMENT ON COLUMN @extschema@.demand_history.day IS 'UTC day of the order''s ordered_at';
COMMENT ON COLUMN @extschema@.demand_history.qty IS 'Units (of a line without a warehouse: those held or shipped in this warehouse, one row per reservation, backorder or shipment)';
COMMENT ON COLUMN @extschema@.demand_history.revenue IS 'qty * unit_price';

-- Rebuild a tenant's demand state from the history.  Takes the tables'
-- locks that keep every commit's demand bookkeeping out meanwhile (they
-- wait; in the order the bookkeeping takes them -- demand_orders,
-- demand_state, demand_days -- so nothing deadlocks): EXCLUSIVE on the
-- first two, SHARE ROW EXCLUSIVE on demand_days.  The window of the kept
-- series ends the day before p_as_of (NULL: UTC today).
CREATE OR REPLACE FUNCTION @extschema@._reorder_rebuild(p_tenant bigint, p_as_of date)
	RETURNS TABLE (keys bigint, days bigint)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_end date := COALESCE(p_as_of, (pg_catalog.now() AT TIME ZONE 'UTC')::date) - 1;
	v_keep int;
BEGIN
	IF p_tenant IS DISTINCT FROM @extschema@.current_tenant() THEN
		RAISE EXCEPTION 'rebuild of tenant % while the session''s tenant is %', p_tenant, @extschema@.current_tenant()
			USING ERRCODE = '42501';
	END IF;
	-- after current_tenant(), a C function: the library (and its settings)
	-- is loaded by then, also in a new session
	v_keep := pg_catalog.current_setting('crmscm.demand_history_days')::int;
	IF NOT pg_catalog.isfinite(v_end) THEN
		RAISE EXCEPTION 'as_of must be a finite date, got %', p_as_of USING ERRCODE = '22023';
	END IF;
	LOCK TABLE @extschema@.demand_orders IN EXCLUSIVE MODE;
	LOCK TABLE @extschema@.demand_state IN EXCLUSIVE MODE;
	LOCK TABLE @extschema@.demand_days IN SHARE ROW EXCLUSIVE MODE;
	DELETE FROM @extschema@.demand_orders b WHERE b.tenant_id = p_tenant;
	INSERT INTO @extschema@.demand_orders (tenant_id, order_id, day)
	SELECT p_tenant, o.order_id, (o.ordered_at AT TIME ZONE 'UTC')::date
	  FROM @extschema@.sales_orders o
	 WHERE o.tenant_id = p_tenant AND o.tenant_id = @extschema@.current_tenant()
	   AND o.status = ANY ('{confirmed,closed}'::text[])
	 ORDER BY 2;
	DELETE FROM @extschema@.demand_days d WHERE d.tenant_id = p_tenant;
	INSERT INTO @extschema@.demand_days (tenant_id, item_id, warehouse_id, day, qty, revenue)
	SELECT p_tenant, h.item_id, h.warehouse_id, h.day, sum(h.qty), sum(h.revenue)
	  FROM @extschema@.demand_history h
	 WHERE h.tenant_id = p_tenant
	 GROUP BY h.item_id, h.warehouse_id, h.day
	 ORDER BY 2, 3, 4;
	DELETE FROM @extschema@.demand_state s WHERE s.tenant_id = p_tenant;
	INSERT INTO @extschema@.demand_state (tenant_id, item_id, warehouse_id, anchor, series_from, pending_from, series)
	SELECT p_tenant, d.item_id, d.warehouse_id, v_end, v_end - v_keep + 1,
		   min(d.day) FILTER (WHERE d.day > v_end),
		   COALESCE(@extschema@._demand_pack(d.day, d.qty::float8, d.revenue::float8 ORDER BY d.day)
					  FILTER (WHERE d.day BETWEEN v_end - v_keep + 1 AND v_end), '\x'::bytea)
	  FROM @extschema@.demand_days d
	 WHERE d.tenant_id = p_tenant
	 GROUP BY d.item_id, d.warehouse_id
	 ORDER BY 2, 3;
	RETURN QUERY
	SELECT (SELECT count(*) FROM @extschema@.demand_state s WHERE s.tenant_id = p_tenant),
		   (SELECT count(*) FROM @extschema@.demand_days d WHERE d.tenant_id = p_tenant);
END
$$;
COMMENT ON FUNCTION @extschema@._reorder_rebuild(bigint, date) IS
	'Internal: rebuild tenant p_tenant''s demand_days and demand_state from crmscm.demand_history, the window of the state ending the day before p_as_of (NULL: UTC today)';

CREATE OR REPLACE FUNCTION @extschema@.reorder_rebuild()
	RETURNS TABLE (keys bigint, days bigint)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_tenant constant bigint := @extschema@.current_tenant();
BEGIN
	RETURN QUERY SELECT * FROM @extschema@._reorder_rebuild(v_tenant, NULL);
END
$$;
COMMENT ON FUNCTION @extschema@.reorder_rebuild() IS
	'Rebuild the current tenant''s demand state (crmscm.demand_days, crmscm.demand_state) from the order history (crmscm.demand_history), for checking and recovery; returns the item-warehouse rows and days kept. Holds off every tenant''s order commits while it runs';

-- An installation that already has orders (ALTER EXTENSION crmscm UPDATE
-- from 0.2.0) builds its demand state once, tenant by tenant.
DO $build$
DECLARE
	t bigint;
	v_saved text := pg_catalog.current_setting('crmscm.tenant_id', true);
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.demand_state) AND EXISTS (SELECT FROM @extschema@.sales_order_lines) THEN
		FOR t IN SELECT DISTINCT o.tenant_id FROM @extschema@.sales_orders o ORDER BY 1 LOOP
			PERFORM pg_catalog.set_config('crmscm.tenant_id', t::text, true);
			PERFORM @extschema@._reorder_rebuild(t, NULL);
		END LOOP;
		PERFORM pg_catalog.set_config('crmscm.tenant_id', COALESCE(v_saved, ''), true);
	END IF;
END
$build$;
