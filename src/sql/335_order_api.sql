-- The order API (doc/orders.md): ship(), receive(), available_to_promise(),
-- check_inventory().  crmscm.reserve_pending() is in 330_commit_pass.sql.

CREATE OR REPLACE FUNCTION @extschema@.ship(p_order_id bigint, p_line_no int, p_qty numeric DEFAULT NULL)
RETURNS numeric
	AS 'MODULE_PATHNAME', $$crmscm_ship$$
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ship(bigint, int, numeric) IS
	'Ship qty units (NULL = all reserved) of an order line: writes shipment moves, consumes reservations (at commit), lowers on hand; returns the quantity shipped';

-- The same with the session's tenant as an argument, which Citus routes by
-- (crmscm.distribute() makes it a distributed function): ship() above calls
-- it on Citus, from a node that does not hold the tenant's shards.  No
-- default for p_qty: ship(11, 1, 5) stays unambiguous.
CREATE OR REPLACE FUNCTION @extschema@.ship(p_tenant bigint, p_order_id bigint, p_line_no int, p_qty numeric)
RETURNS numeric
	AS 'MODULE_PATHNAME', $$crmscm_ship_tenant$$
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ship(bigint, bigint, int, numeric) IS
	'ship(order_id, line_no, qty) for p_tenant, the session''s tenant: the form Citus routes to the tenant''s node; a NULL tenant, order_id or line_no is an error (22004), qty NULL = all reserved';

-- With the caller's rights (writers may update purchase orders): on Citus a
-- SECURITY DEFINER function's queries run as its owner, and Citus refuses
-- them on shards the caller's transaction changed before (25001).
CREATE OR REPLACE FUNCTION @extschema@.receive(p_po_id bigint, p_line_no int, p_qty numeric DEFAULT NULL)
RETURNS numeric LANGUAGE plpgsql SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_tenant bigint := @extschema@.current_tenant();
	v_qty numeric;
	l record;
BEGIN
	-- on Citus, custom plans (it routes on the values of parameters only)
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		PERFORM pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true);
	END IF;
	IF p_po_id IS NULL OR p_line_no IS NULL THEN
		RAISE EXCEPTION 'po_id and line_no must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF p_qty IN ('NaN', 'Infinity', '-Infinity') THEN
		RAISE EXCEPTION 'quantity to receive must be a finite number, got %', p_qty USING ERRCODE = 'numeric_value_out_of_range';
	END IF;
	IF p_qty IS NOT NULL AND NOT p_qty > 0 THEN
		RAISE EXCEPTION 'quantity to receive must be positive, got %', p_qty USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT * INTO l FROM @extschema@.purchase_order_lines x
	 WHERE x.tenant_id = v_tenant AND x.po_id = p_po_id AND x.line_no = p_line_no FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'purchase order line %/% does not exist', p_po_id, p_line_no USING ERRCODE = 'foreign_key_violation';
	END IF;
	v_qty := coalesce(p_qty, @extschema@._po_line_open_qty(l.qty, l.qty_received));
	IF v_qty = 0 THEN
		RETURN 0;
	END IF;
	UPDATE @extschema@.purchase_order_lines SET qty_received = qty_received + v_qty
	 WHERE tenant_id = v_tenant AND po_id = p_po_id AND line_no = p_line_no;
	-- fully received: the purchase order is done
	IF NOT EXISTS (SELECT 1 FROM @extschema@.purchase_order_lines x
	                WHERE x.tenant_id = v_tenant AND x.po_id = p_po_id AND x.qty_received < x.qty) THEN
		UPDATE @extschema@.purchase_orders SET status = 'received'
		 WHERE tenant_id = v_tenant AND po_id = p_po_id AND status = 'ordered';
	END IF;
	RETURN v_qty;
END
$$;
COMMENT ON FUNCTION @extschema@.receive(bigint, int, numeric) IS
	'Receive qty units (NULL = all open) of a purchase order line: receipt move, lower on_order, fill backorders; the order becomes received when complete';

CREATE OR REPLACE FUNCTION @extschema@.available_to_promise(p_item_id bigint, p_warehouse_id bigint DEFAULT NULL,
	p_include_on_order boolean DEFAULT false)
RETURNS numeric LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_tenant bigint := @extschema@.current_tenant();
	v_atp numeric;
BEGIN
	IF p_item_id IS NULL THEN
		RAISE EXCEPTION 'item_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM @extschema@.items i WHERE i.tenant_id = v_tenant AND i.item_id = p_item_id) THEN
		RAISE EXCEPTION 'item % does not exist', p_item_id USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF p_warehouse_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.warehouses w
	        WHERE w.tenant_id = v_tenant AND w.warehouse_id = p_warehouse_id) THEN
		RAISE EXCEPTION 'warehouse % does not exist', p_warehouse_id USING ERRCODE = 'foreign_key_violation';
	END IF;
	SELECT coalesce(sum(greatest(i.on_hand - i.reserved
	                             + CASE WHEN coalesce(p_include_on_order, false) THEN i.on_order ELSE 0 END
	                             - coalesce((SELECT sum(b.qty - b.allocated) FROM @extschema@.backorders b
	                                          WHERE b.tenant_id = i.tenant_id AND b.item_id = i.item_id
	                                            AND b.warehouse_id = i.warehouse_id), 0), 0)), 0)
	  INTO v_atp
	  FROM @extschema@.inventory i
	 WHERE i.tenant_id = v_tenant AND i.item_id = p_item_id
	   AND (p_warehouse_id IS NULL OR i.warehouse_id = p_warehouse_id);
	RETURN v_atp;
END
$$;
COMMENT ON FUNCTION @extschema@.available_to_promise(bigint, bigint, boolean) IS
	'Units of an item that can still be promised, per warehouse on hand - reserved (+ on order if asked) - waiting backorders, floored at 0, summed over the warehouses (NULL = all)';

CREATE OR REPLACE FUNCTION @extschema@.check_inventory()
RETURNS TABLE (invariant text, tenant_id bigint, item_id bigint, warehouse_id bigint,
               order_id bigint, line_no int, detail text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp AS $$
	-- on_hand equals the sum of the moves
	SELECT 'on_hand = sum(stock_moves.qty)', coalesce(i.tenant_id, m.tenant_id), coalesce(i.item_id, m.item_id),
	       coalesce(i.warehouse_id, m.warehouse_id), NULL::bigint, NULL::int,
	       format('on_hand %s, moves sum to %s', i.on_hand, coalesce(m.s, 0))
	  FROM @extschema@.inventory i
	  FULL JOIN (SELECT x.tenant_id, x.item_id, x.warehouse_id, sum(x.qty) AS s
	               FROM @extschema@.stock_moves x GROUP BY 1, 2, 3) m
	    ON m.tenant_id = i.tenant_id AND m.item_id = i.item_id AND m.warehouse_id = i.warehouse_id
	 WHERE coalesce(i.on_hand, 0) <> coalesce(m.s, 0)
	UNION ALL
	-- reserved equals the sum of the reservations and of the units set
	-- aside on backorders (allocated)
	SELECT 'reserved = sum(reservations.qty) + sum(backorders.allocated)', i.tenant_id, i.item_id, i.warehouse_id, NULL, NULL,
	       format('reserved %s, reservations sum to %s, allocated to backorders %s', i.reserved, coalesce(r.s, 0), coalesce(a.s, 0))
	  FROM @extschema@.inventory i
	  LEFT JOIN (SELECT x.tenant_id, x.item_id, x.warehouse_id, sum(x.qty) AS s
	               FROM @extschema@.reservations x GROUP BY 1, 2, 3) r
	    ON r.tenant_id = i.tenant_id AND r.item_id = i.item_id AND r.warehouse_id = i.warehouse_id
	  LEFT JOIN (SELECT x.tenant_id, x.item_id, x.warehouse_id, sum(x.allocated) AS s
	               FROM @extschema@.backorders x GROUP BY 1, 2, 3) a
	    ON a.tenant_id = i.tenant_id AND a.item_id = i.item_id AND a.warehouse_id = i.warehouse_id
	 WHERE i.reserved <> coalesce(r.s, 0) + coalesce(a.s, 0)
	UNION ALL
	SELECT '0 <= reserved <= on_hand, on_order >= 0', i.tenant_id, i.item_id, i.warehouse_id, NULL, NULL,
	       format('on_hand %s, reserved %s, on_order %s', i.on_hand, i.reserved, i.on_order)
	  FROM @extschema@.inventory i
	 WHERE NOT (i.reserved >= 0 AND i.reserved <= i.on_hand AND i.on_order >= 0)
	UNION ALL
	-- on_order equals the open quantity of ordered purchase orders
	SELECT 'on_order = open qty of ordered purchase orders', i.tenant_id, i.item_id, i.warehouse_id, NULL, NULL,
	       format('on_order %s, open purchase quantity %s', i.on_order, coalesce(p.s, 0))
	  FROM @extschema@.inventory i
	  LEFT JOIN (SELECT l.tenant_id, l.item_id, l.warehouse_id, sum(@extschema@._po_line_open_qty(l.qty, l.qty_received)) AS s
	               FROM @extschema@.purchase_order_lines l
	               JOIN @extschema@.purchase_orders o ON o.tenant_id = l.tenant_id AND o.po_id = l.po_id
	              WHERE o.status = 'ordered' GROUP BY 1, 2, 3) p
	    ON p.tenant_id = i.tenant_id AND p.item_id = i.item_id AND p.warehouse_id = i.warehouse_id
	 WHERE i.on_order <> coalesce(p.s, 0)
	UNION ALL
	-- every line: its columns match its reservations and backorders, and an
	-- open line of a confirmed order holds qty = reserved + backordered + shipped
	SELECT 'line bookkeeping', l.tenant_id, l.item_id, NULL, l.order_id, l.line_no,
	       format('order %s, line %s: qty %s, reserved %s (reservations %s), backordered %s (backorders %s), shipped %s',
	              o.status, l.status, l.qty, l.qty_reserved, coalesce(r.s, 0), l.qty_backordered, coalesce(b.s, 0), l.qty_shipped)
	  FROM @extschema@.sales_order_lines l
	  JOIN @extschema@.sales_orders o ON o.tenant_id = l.tenant_id AND o.order_id = l.order_id
	  LEFT JOIN (SELECT x.tenant_id, x.order_id, x.line_no, sum(x.qty) AS s
	               FROM @extschema@.reservations x GROUP BY 1, 2, 3) r
	    ON r.tenant_id = l.tenant_id AND r.order_id = l.order_id AND r.line_no = l.line_no
	  LEFT JOIN (SELECT x.tenant_id, x.order_id, x.line_no, sum(x.qty) AS s
	               FROM @extschema@.backorders x GROUP BY 1, 2, 3) b
	    ON b.tenant_id = l.tenant_id AND b.order_id = l.order_id AND b.line_no = l.line_no
	 WHERE l.qty_reserved <> coalesce(r.s, 0)
	    OR l.qty_backordered <> coalesce(b.s, 0)
	    OR (o.status = 'confirmed' AND l.status = 'open' AND l.qty <> l.qty_reserved + l.qty_backordered + l.qty_shipped)
	    OR (NOT (o.status = 'confirmed' AND l.status = 'open') AND l.qty_reserved + l.qty_backordered > 0)
	    OR (l.status = 'shipped' AND l.qty_shipped <> l.qty)
	    OR l.qty_shipped > l.qty
	UNION ALL
	-- shipped quantities of orders shipped through crmscm match the moves
	SELECT 'qty_shipped = -sum(shipment moves)', l.tenant_id, l.item_id, NULL, l.order_id, l.line_no,
	       format('qty_shipped %s, shipment moves sum to %s', l.qty_shipped, coalesce(-m.s, 0))
	  FROM @extschema@.sales_order_lines l
	  JOIN @extschema@.sales_orders o ON o.tenant_id = l.tenant_id AND o.order_id = l.order_id
	  LEFT JOIN (SELECT x.tenant_id, x.order_id, x.line_no, sum(x.qty) AS s
	               FROM @extschema@.stock_moves x WHERE x.kind = 'shipment' GROUP BY 1, 2, 3) m
	    ON m.tenant_id = l.tenant_id AND m.order_id = l.order_id AND m.line_no = l.line_no
	 WHERE o.status <> 'closed' AND l.qty_shipped <> coalesce(-m.s, 0)
	UNION ALL
	-- reservations and backorders belong to a line of the same item
	SELECT 'reservation item = line item', s.tenant_id, s.item_id, s.warehouse_id, s.order_id, s.line_no,
	       format('reservation %s of item %s for a line of item %s', s.reservation_id, s.item_id, l.item_id)
	  FROM @extschema@.reservations s
	  LEFT JOIN @extschema@.sales_order_lines l
	    ON l.tenant_id = s.tenant_id AND l.order_id = s.order_id AND l.line_no = s.line_no
	 WHERE l.item_id IS DISTINCT FROM s.item_id
	UNION ALL
	SELECT 'backorder item = line item', b.tenant_id, b.item_id, b.warehouse_id, b.order_id, b.line_no,
	       format('backorder %s of item %s for a line of item %s', b.backorder_id, b.item_id, l.item_id)
	  FROM @extschema@.backorders b
	  LEFT JOIN @extschema@.sales_order_lines l
	    ON l.tenant_id = b.tenant_id AND l.order_id = b.order_id AND l.line_no = b.line_no
	 WHERE l.item_id IS DISTINCT FROM b.item_id
	UNION ALL
	-- no backorder waits where stock is available to fill it: stock its
	-- tier may take, above the fences of the allocation rules for better
	-- tiers (share x on hand; issue #17)
	SELECT 'no backorder while stock is available', i.tenant_id, i.item_id, i.warehouse_id, NULL, NULL,
	       format('available %s, %s units of tier %s backordered, fence %s', i.available, b.s, b.tier, f.fence)
	  FROM @extschema@.inventory i
	  JOIN (SELECT x.tenant_id, x.item_id, x.warehouse_id, x.tier, sum(x.qty - x.allocated) AS s
	          FROM @extschema@.backorders x GROUP BY 1, 2, 3, 4 HAVING sum(x.qty - x.allocated) > 0) b
	    ON b.tenant_id = i.tenant_id AND b.item_id = i.item_id AND b.warehouse_id = i.warehouse_id
	 CROSS JOIN LATERAL (SELECT coalesce(sum(r.share), 0) * i.on_hand AS fence FROM @extschema@.allocation_rules r
	                      WHERE r.tenant_id = i.tenant_id AND r.item_id = i.item_id AND r.tier < b.tier) f
	 WHERE i.available - f.fence > 0
	UNION ALL
	-- promises (issue #17): for each item, warehouse and day, what is promised
	-- by that day from stock and dated purchases - the reserved stock and the
	-- backorders promised by then - is at most on hand plus the dated
	-- purchase quantity expected by then (promises beyond known supply, on
	-- the item's lead time, are not counted)
	SELECT 'promised by a day <= on hand + expected receipts', i.tenant_id, i.item_id, i.warehouse_id, NULL, NULL,
	       format('by %s: %s reserved + %s backordered promised, on hand %s + %s expected',
	              d.day, i.reserved, d.promised, i.on_hand, coalesce(p.s, 0))
	  FROM @extschema@.inventory i
	 CROSS JOIN LATERAL (
	        SELECT y.day, (SELECT sum(x.qty - x.allocated) FROM @extschema@.backorders x
	                        WHERE x.tenant_id = i.tenant_id AND x.item_id = i.item_id AND x.warehouse_id = i.warehouse_id
	                          AND x.promise_source IN ('stock', 'purchase') AND x.promised_date <= y.day) AS promised
	          FROM (SELECT DISTINCT x.promised_date AS day FROM @extschema@.backorders x
	                 WHERE x.tenant_id = i.tenant_id AND x.item_id = i.item_id AND x.warehouse_id = i.warehouse_id
	                   AND x.promise_source IN ('stock', 'purchase')) y) d
	  LEFT JOIN LATERAL (
	        SELECT sum(l.qty - l.qty_received) AS s
	          FROM @extschema@.purchase_order_lines l
	          JOIN @extschema@.purchase_orders o ON o.tenant_id = l.tenant_id AND o.po_id = l.po_id
	         WHERE l.tenant_id = i.tenant_id AND l.item_id = i.item_id AND l.warehouse_id = i.warehouse_id
	           AND o.status = 'ordered' AND o.expected_at <= d.day AND l.qty > l.qty_received) p ON true
	 WHERE i.reserved + d.promised > i.on_hand + coalesce(p.s, 0)
	UNION ALL
	-- shipments of lines (issue #17) match their shipment moves: first and
	-- last moved_at, one shipment per transaction that shipped
	SELECT 'shipments = the shipment moves''', l.tenant_id, l.item_id, NULL, l.order_id, l.line_no,
	       format('first %s, last %s, %s shipments; moves: first %s, last %s, %s transactions',
	              l.first_shipped_at, l.last_shipped_at, l.shipments, m.first, m.last, coalesce(m.xacts, 0))
	  FROM @extschema@.sales_order_lines l
	  JOIN @extschema@.sales_orders o ON o.tenant_id = l.tenant_id AND o.order_id = l.order_id
	  LEFT JOIN (SELECT x.tenant_id, x.order_id, x.line_no, min(x.moved_at) AS first, max(x.moved_at) AS last,
	                    count(DISTINCT x.moved_at) AS xacts
	               FROM @extschema@.stock_moves x WHERE x.kind = 'shipment' GROUP BY 1, 2, 3) m
	    ON m.tenant_id = l.tenant_id AND m.order_id = l.order_id AND m.line_no = l.line_no
	 WHERE o.status <> 'closed'
	   AND (l.first_shipped_at IS DISTINCT FROM m.first OR l.last_shipped_at IS DISTINCT FROM m.last
	        OR l.shipments <> coalesce(m.xacts, 0))
$$;
COMMENT ON FUNCTION @extschema@.check_inventory() IS
	'One row per violated invariant of the order/inventory model (none when consistent)';

