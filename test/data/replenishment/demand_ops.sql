-- Random order histories for test/scripts/demand_state.sh (issue #18): a
-- procedure that changes orders the way applications do, each operation its
-- own transaction (the demand state is kept at commit), and the checks that
-- compare the kept state with a recomputation from the history.
-- Loaded by the superuser into schema t18; the procedure runs as the login
-- role that calls it (a pinned writer), with the tenant set per
-- transaction.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS t18 CASCADE;
CREATE SCHEMA t18;
GRANT USAGE ON SCHEMA t18 TO PUBLIC;

-- one operation on tenant t; errors the rules raise roll back its sub-transaction
CREATE PROCEDURE t18.op(t bigint) LANGUAGE plpgsql AS $$
DECLARE
	r float8 := random();
	o record;
	l record;
	v_order bigint;
	n int;
	k int;
	cb constant int := 10 * (t - 1);	-- tenant t: customers and warehouses cb + 1..3,
	ib constant int := 100 * (t - 1);	-- items ib + 1..12 (test/scripts/demand_state.sh)
	-- t18.hot = on: only the 15 newest orders (concurrent writers then meet)
	lo bigint;
BEGIN
	PERFORM set_config('crmscm.tenant_id', t::text, true);
	lo := CASE WHEN current_setting('t18.hot', true) = 'on'
			   THEN (SELECT COALESCE(max(x.order_id), 0) - 15 FROM crmscm.sales_orders x) ELSE 0 END;
	BEGIN
		IF r < 0.34 THEN
			-- a new order: confirmed, draft, or history (closed, shipped lines),
			-- placed up to 420 days ago or 3 days ahead, 1-4 lines
			INSERT INTO crmscm.sales_orders (customer_id, status, ordered_at, ship_to)
			SELECT cb + 1 + floor(random() * 3)::int,
				   (ARRAY['confirmed', 'confirmed', 'confirmed', 'draft', 'closed', 'closed'])[1 + floor(random() * 6)::int],
				   now() - (floor(random() * 424)::int - 3) * interval '1 day' - random() * interval '20 hours',
				   crmscm.geopoint(45 + random() * 10, 5 + random() * 10)
			RETURNING order_id, status INTO o;
			n := 1 + floor(random() * 4)::int;
			FOR k IN 1..n LOOP
				INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id,
													  status, qty_shipped)
				SELECT o.order_id, k, x.i, x.q, (5 + floor(random() * 2000)::int / 100.0),
					   CASE WHEN random() < 0.4 THEN NULL ELSE cb + 1 + floor(random() * 3)::int END,
					   CASE WHEN o.status = 'closed' THEN 'shipped' ELSE 'open' END,
					   CASE WHEN o.status = 'closed' THEN x.q ELSE 0 END
				  FROM (SELECT ib + 1 + floor(random() * 12)::int AS i,
							   (1 + floor(random() * 9)::int) * (CASE WHEN random() < 0.2 THEN 0.5 ELSE 1 END) AS q) x;
			END LOOP;
		ELSIF r < 0.46 THEN
			-- a line's quantity or price (whole-object save: every column written)
			SELECT sl.* INTO l FROM crmscm.sales_order_lines sl JOIN crmscm.sales_orders so USING (tenant_id, order_id)
			 WHERE so.status IN ('confirmed', 'draft') AND sl.status = 'open' AND so.order_id > lo ORDER BY random() LIMIT 1;
			IF FOUND THEN
				UPDATE crmscm.sales_order_lines
				   SET qty = CASE WHEN random() < 0.6 THEN greatest(l.qty_shipped, 0.5) + floor(random() * 8) ELSE l.qty END,
					   unit_price = CASE WHEN random() < 0.5 THEN l.unit_price + 1 ELSE l.unit_price END,
					   item_id = l.item_id, warehouse_id = l.warehouse_id, status = l.status,
					   qty_reserved = l.qty_reserved, qty_backordered = l.qty_backordered, qty_shipped = l.qty_shipped
				 WHERE order_id = l.order_id AND line_no = l.line_no AND qty >= 0;
			END IF;
		ELSIF r < 0.52 THEN
			UPDATE crmscm.sales_order_lines SET status = 'cancelled'
			 WHERE (order_id, line_no) IN (SELECT sl.order_id, sl.line_no FROM crmscm.sales_order_lines sl
											JOIN crmscm.sales_orders so USING (tenant_id, order_id)
										   WHERE so.status IN ('confirmed', 'draft') AND sl.status = 'open'
											 AND so.order_id > lo ORDER BY random() LIMIT 1);
		ELSIF r < 0.57 AND lo = 0 THEN
			-- (not with t18.hot: cancelling or confirming an order takes its
			-- lines, while a concurrent change of one of them holds the line
			-- and waits for the order: a deadlock doc/orders.md lists)
			UPDATE crmscm.sales_orders SET status = 'cancelled'
			 WHERE order_id IN (SELECT order_id FROM crmscm.sales_orders WHERE status IN ('confirmed', 'draft')
								AND order_id > lo ORDER BY random() LIMIT 1);
		ELSIF r < 0.63 AND lo = 0 THEN
			UPDATE crmscm.sales_orders SET status = 'confirmed'
			 WHERE order_id IN (SELECT order_id FROM crmscm.sales_orders WHERE status = 'draft' AND order_id > lo ORDER BY random() LIMIT 1);
		ELSIF r < 0.71 THEN
			-- back-dated (or moved forward): the order's demand moves to another day
			UPDATE crmscm.sales_orders SET ordered_at = ordered_at - (floor(random() * 60)::int - 20) * interval '1 day'
			 WHERE order_id IN (SELECT order_id FROM crmscm.sales_orders WHERE order_id > lo ORDER BY random() LIMIT 1);
		ELSIF r < 0.75 THEN
			DELETE FROM crmscm.sales_order_lines
			 WHERE (order_id, line_no) IN (SELECT order_id, line_no FROM crmscm.sales_order_lines WHERE order_id > lo ORDER BY random() LIMIT 1);
		ELSIF r < 0.78 AND lo = 0 THEN
			-- (not with t18.hot: deleting an order whose lines another
			-- transaction changes meets its lines in the opposite order)
			DELETE FROM crmscm.sales_orders WHERE order_id IN (SELECT order_id FROM crmscm.sales_orders WHERE order_id > lo ORDER BY random() LIMIT 1);
		ELSIF r < 0.86 THEN
			SELECT sl.order_id, sl.line_no INTO l FROM crmscm.sales_order_lines sl
			 WHERE sl.status = 'open' AND sl.qty_reserved > 0 AND sl.order_id > lo ORDER BY random() LIMIT 1;
			IF FOUND THEN
				PERFORM crmscm.ship(l.order_id, l.line_no, CASE WHEN random() < 0.5 THEN NULL ELSE 0.5 END);
			END IF;
		ELSIF r < 0.93 OR lo > 0 THEN
			-- (concurrent writers: a line changed and then its order would be
			-- the deadlock doc/orders.md describes, so not with t18.hot)
			INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind)
			VALUES (ib + 1 + floor(random() * 12)::int, cb + 1 + floor(random() * 3)::int, 1 + floor(random() * 20)::int, 'receipt');
		ELSE
			-- several changes of one line in one transaction, one of them rolled back
			SELECT sl.* INTO l FROM crmscm.sales_order_lines sl JOIN crmscm.sales_orders so USING (tenant_id, order_id)
			 WHERE so.status = 'confirmed' AND sl.status = 'open' AND so.order_id > lo ORDER BY random() LIMIT 1;
			IF FOUND THEN
				UPDATE crmscm.sales_order_lines SET qty = l.qty + 1 WHERE order_id = l.order_id AND line_no = l.line_no;
				BEGIN
					UPDATE crmscm.sales_order_lines SET qty = l.qty + 5 WHERE order_id = l.order_id AND line_no = l.line_no;
					UPDATE crmscm.sales_orders SET ordered_at = ordered_at - interval '3 days' WHERE order_id = l.order_id;
					RAISE EXCEPTION 'roll back' USING ERRCODE = 'P0009';
				EXCEPTION WHEN SQLSTATE 'P0009' THEN NULL;
				END;
				UPDATE crmscm.sales_order_lines SET unit_price = l.unit_price + 2 WHERE order_id = l.order_id AND line_no = l.line_no;
			END IF;
		END IF;
	EXCEPTION WHEN check_violation OR integrity_constraint_violation OR foreign_key_violation
		   OR invalid_parameter_value OR raise_exception THEN
		NULL;	-- a change the rules refuse (a closed order's line, qty below shipped, ...)
	END;
END
$$;

-- n operations, each committed
CREATE PROCEDURE t18.ops(t bigint, n int) LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1..n LOOP
		CALL t18.op(t);
		COMMIT;
	END LOOP;
END
$$;

-- the rows of reorder_suggestions_at(as_of) read from the kept state that
-- differ from the recomputation: decisions, texts and quantities exactly,
-- figures within 1e-9 (relative, absolute below 1)
CREATE FUNCTION t18.close(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS
$$ SELECT (a IS NULL AND b IS NULL) OR abs(a - b) <= 1e-9 * greatest(1, abs(b)) $$;
CREATE FUNCTION t18.differences(as_of date) RETURNS TABLE (item_id bigint, warehouse_id bigint, what text)
LANGUAGE sql STABLE AS $$
	SELECT COALESCE(k.item_id, h.item_id), COALESCE(k.warehouse_id, h.warehouse_id),
		   CASE WHEN k.item_id IS NULL THEN 'only recomputed' WHEN h.item_id IS NULL THEN 'only kept'
				ELSE concat_ws(', ',
					CASE WHEN (k.abc_class, k.demand_days, k.demand_class, k.forecast_method, k.reorder_now,
							   k.suggested_qty, k.order_qty, k.inventory_position, k.window_days, k.start_day, k.end_day,
							   k.lead_time_source)
							  IS DISTINCT FROM
							  (h.abc_class, h.demand_days, h.demand_class, h.forecast_method, h.reorder_now,
							   h.suggested_qty, h.order_qty, h.inventory_position, h.window_days, h.start_day, h.end_day,
							   h.lead_time_source)
						 THEN format('decisions %s / %s', (k.abc_class, k.demand_class, k.reorder_now, k.suggested_qty),
									 (h.abc_class, h.demand_class, h.reorder_now, h.suggested_qty)) END,
					CASE WHEN NOT (t18.close(k.demand_in_window, h.demand_in_window) AND t18.close(k.demand_mean, h.demand_mean)
								   AND t18.close(k.demand_sd, h.demand_sd) AND t18.close(k.demand_per_day, h.demand_per_day)
								   AND t18.close(k.safety_stock, h.safety_stock) AND t18.close(k.reorder_point, h.reorder_point)
								   AND t18.close(k.eoq, h.eoq) AND t18.close(k.lead_time_days, h.lead_time_days))
						 THEN format('figures %s / %s', (k.demand_in_window, k.demand_sd, k.demand_per_day, k.reorder_point),
									 (h.demand_in_window, h.demand_sd, h.demand_per_day, h.reorder_point)) END,
					CASE WHEN k.reason IS DISTINCT FROM h.reason THEN 'reason' END)
		   END
	  FROM crmscm.reorder_suggestions_at(as_of, false) k
	  FULL JOIN crmscm.reorder_suggestions_at(as_of, true) h USING (item_id, warehouse_id)
	 WHERE k.item_id IS NULL OR h.item_id IS NULL
		OR (k.abc_class, k.demand_days, k.demand_class, k.forecast_method, k.reorder_now, k.suggested_qty,
			k.order_qty, k.inventory_position, k.window_days, k.start_day, k.end_day, k.lead_time_source, k.reason)
		   IS DISTINCT FROM
		   (h.abc_class, h.demand_days, h.demand_class, h.forecast_method, h.reorder_now, h.suggested_qty,
			h.order_qty, h.inventory_position, h.window_days, h.start_day, h.end_day, h.lead_time_source, h.reason)
		OR NOT (t18.close(k.demand_in_window, h.demand_in_window) AND t18.close(k.demand_mean, h.demand_mean)
				AND t18.close(k.demand_sd, h.demand_sd) AND t18.close(k.demand_per_day, h.demand_per_day)
				AND t18.close(k.safety_stock, h.safety_stock) AND t18.close(k.reorder_point, h.reorder_point)
				AND t18.close(k.eoq, h.eoq) AND t18.close(k.lead_time_days, h.lead_time_days))
$$;

-- demand_days (rows with something) against the history, exactly
CREATE FUNCTION t18.day_differences() RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM (
		SELECT item_id, warehouse_id, day, qty, revenue FROM crmscm.demand_days
		 WHERE tenant_id = crmscm.current_tenant() AND (qty <> 0 OR revenue <> 0)
		EXCEPT ALL
		SELECT item_id, warehouse_id, day, sum(qty), sum(revenue) FROM crmscm.demand_history
		 GROUP BY item_id, warehouse_id, day) x
$$;
CREATE FUNCTION t18.day_differences_back() RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM (
		SELECT item_id, warehouse_id, day, sum(qty), sum(revenue) FROM crmscm.demand_history
		 GROUP BY item_id, warehouse_id, day
		EXCEPT ALL
		SELECT item_id, warehouse_id, day, qty, revenue FROM crmscm.demand_days
		 WHERE tenant_id = crmscm.current_tenant() AND (qty <> 0 OR revenue <> 0)) x
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA t18 TO PUBLIC;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA t18 TO PUBLIC;
