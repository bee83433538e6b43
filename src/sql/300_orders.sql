-- Orders and inventory reservations: triggers and functions (SPEC §8).
--
-- Lock order, everywhere (doc: README "Orders and inventory reservations"):
--   sales_orders row -> sales_order_lines rows -> inventory rows in
--   (tenant_id, item_id, warehouse_id) order -> reservations / backorders.
-- A statement takes every inventory row it needs in one sorted
-- SELECT ... FOR NO KEY UPDATE before changing any of them.  Filling a
-- backorder must update the waiting line, which comes *before* inventory in
-- that order, so the fill never blocks on a line while it holds inventory:
-- it takes the line with SKIP LOCKED.  A receipt (which holds no line) that
-- finds a waiting line locked rolls back its sub-transaction, releasing its
-- inventory locks, waits for that line, and starts again; a line-changing
-- statement stops filling that queue instead, and the holder of the locked
-- line fills it itself once it gets the inventory lock (every line-changing
-- path ends by settling the items it touched).
--
-- Bookkeeping columns (inventory quantities, qty_reserved/backordered/shipped)
-- are written only while the transaction-local setting crmscm.internal is
-- 'on'; crmscm_guard() rejects other writes to them.

CREATE OR REPLACE FUNCTION @extschema@._guard() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_guard$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._guard() IS
	'Trigger: rejects changes of tenant_id, and of the named bookkeeping columns outside crmscm''s own functions';

-- ---------------------------------------------------------------------
-- Internal helpers (not for direct use; EXECUTE revoked from PUBLIC)
-- ---------------------------------------------------------------------

-- PL/pgSQL rather than SQL: its plan is cached for the session, where a
-- non-inlinable SQL function is parsed and planned again on every call.
CREATE OR REPLACE FUNCTION @extschema@._nearest_warehouse(p_tenant bigint, p_to @extschema@.geopoint)
RETURNS bigint LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN (SELECT w.warehouse_id FROM @extschema@.warehouses w
	         WHERE w.tenant_id = p_tenant
	         ORDER BY @extschema@.distance_km(w.location, p_to) NULLS LAST, w.warehouse_id
	         LIMIT 1);
END
$$;
COMMENT ON FUNCTION @extschema@._nearest_warehouse(bigint, @extschema@.geopoint) IS
	'Internal: warehouse of the tenant nearest to a point (without location last, then by id)';

-- Create the inventory rows (tenant, item, warehouse) that do not exist yet,
-- in key order.  Rows are created empty (all quantities 0).
CREATE OR REPLACE FUNCTION @extschema@._ensure_inventory(p_tenants bigint[], p_items bigint[], p_whs bigint[])
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO @extschema@.inventory (tenant_id, item_id, warehouse_id)
	SELECT DISTINCT u.t, u.i, u.w
	  FROM unnest(p_tenants, p_items, p_whs) AS u(t, i, w)
	 WHERE u.w IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.inventory x
	                    WHERE x.tenant_id = u.t AND x.item_id = u.i AND x.warehouse_id = u.w)
	 ORDER BY 1, 2, 3
	ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION @extschema@._ensure_inventory(bigint[], bigint[], bigint[]) IS
	'Internal: create missing inventory rows, empty, in key order';

-- Lock the inventory rows of the given items in every warehouse, in the
-- global order.  p_whs (optional, parallel to p_items) names rows that must
-- exist (backorder targets): missing ones are created first.
CREATE OR REPLACE FUNCTION @extschema@._lock_items(p_tenants bigint[], p_items bigint[], p_whs bigint[] DEFAULT NULL)
RETURNS boolean LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_locked text[] := '{}';
	r record;
BEGIN
	FOR r IN
		SELECT i.tenant_id, i.item_id, i.warehouse_id FROM @extschema@.inventory i
		 WHERE (i.tenant_id, i.item_id) IN (SELECT u.t, u.i FROM unnest(p_tenants, p_items) AS u(t, i))
		 ORDER BY i.tenant_id, i.item_id, i.warehouse_id
		   FOR NO KEY UPDATE OF i
	LOOP
		v_locked := v_locked || (r.tenant_id || ' ' || r.item_id || ' ' || r.warehouse_id);
	END LOOP;
	IF p_whs IS NULL THEN
		RETURN true;
	END IF;
	FOR k IN 1 .. coalesce(array_length(p_whs, 1), 0) LOOP
		IF p_whs[k] IS NOT NULL
		   AND NOT (p_tenants[k] || ' ' || p_items[k] || ' ' || p_whs[k]) = ANY (v_locked) THEN
			-- a backorder target without inventory row: create the missing rows
			-- (empty, in key order), then lock again from the start
			PERFORM @extschema@._ensure_inventory(p_tenants, p_items, p_whs);
			PERFORM 1 FROM @extschema@.inventory i
			 WHERE (i.tenant_id, i.item_id) IN (SELECT u.t, u.i FROM unnest(p_tenants, p_items) AS u(t, i))
			 ORDER BY i.tenant_id, i.item_id, i.warehouse_id
			   FOR NO KEY UPDATE OF i;
			RETURN true;
		END IF;
	END LOOP;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@._lock_items(bigint[], bigint[], bigint[]) IS
	'Internal: lock all inventory rows of the items, ordered by (tenant_id, item_id, warehouse_id)';

-- Reserve p_qty more units for a line: from its preferred warehouse, else
-- from warehouses with stock nearest to ship_to first; the rest becomes a
-- backorder at the preferred (else nearest) warehouse.  The item's inventory
-- rows are locked and the backorder warehouse's row exists.
CREATE OR REPLACE FUNCTION @extschema@._reserve(p_tenant bigint, p_order bigint, p_line int, p_item bigint,
	p_qty numeric, p_pref bigint, p_ship_to @extschema@.geopoint, p_priority int)
RETURNS boolean LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	-- one statement (measured: the per-statement cost dominates this path)
	WITH cand AS (
		SELECT i.warehouse_id, i.available,
		       sum(i.available) OVER (ORDER BY @extschema@.distance_km(w.location, p_ship_to) NULLS LAST, i.warehouse_id) AS cum
		  FROM @extschema@.inventory i
		  JOIN @extschema@.warehouses w ON w.tenant_id = i.tenant_id AND w.warehouse_id = i.warehouse_id
		 WHERE i.tenant_id = p_tenant AND i.item_id = p_item AND i.available > 0
		   AND (p_pref IS NULL OR i.warehouse_id = p_pref)
	), take AS (
		SELECT c.warehouse_id, least(c.available, p_qty - (c.cum - c.available)) AS qty
		  FROM cand c WHERE c.cum - c.available < p_qty
	), total AS (
		SELECT coalesce(sum(t.qty), 0) AS qty FROM take t
	), bo AS (
		-- what cannot be reserved waits at the preferred, else nearest, warehouse
		INSERT INTO @extschema@.backorders (tenant_id, order_id, line_no, item_id, warehouse_id, qty, priority)
		SELECT p_tenant, p_order, p_line, p_item,
		       coalesce(p_pref, @extschema@._nearest_warehouse(p_tenant, p_ship_to)), p_qty - total.qty, p_priority
		  FROM total WHERE total.qty < p_qty
		RETURNING warehouse_id
	), delta AS (
		-- the backorder's inventory row gets a new version too (+0), so that
		-- REPEATABLE READ transactions reading this queue with an older
		-- snapshot get a serialization error on it
		SELECT x.warehouse_id, sum(x.qty) AS qty
		  FROM (SELECT t.warehouse_id, t.qty FROM take t UNION ALL SELECT b.warehouse_id, 0 FROM bo b) x
		 GROUP BY x.warehouse_id
	), inv AS (
		UPDATE @extschema@.inventory x SET reserved = x.reserved + d.qty
		  FROM delta d
		 WHERE x.tenant_id = p_tenant AND x.item_id = p_item AND x.warehouse_id = d.warehouse_id
		RETURNING 1
	), res AS (
		INSERT INTO @extschema@.reservations AS x (tenant_id, order_id, line_no, item_id, warehouse_id, qty)
		SELECT p_tenant, p_order, p_line, p_item, t.warehouse_id, t.qty FROM take t
		ON CONFLICT (tenant_id, order_id, line_no, warehouse_id) DO UPDATE SET qty = x.qty + excluded.qty
		RETURNING 1
	)
	UPDATE @extschema@.sales_order_lines l
	   SET qty_reserved = l.qty_reserved + total.qty,
	       qty_backordered = l.qty_backordered + (p_qty - total.qty)
	  FROM total
	 WHERE l.tenant_id = p_tenant AND l.order_id = p_order AND l.line_no = p_line;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@._reserve(bigint, bigint, int, bigint, numeric, bigint, @extschema@.geopoint, int) IS
	'Internal: reserve more units for a line, nearest stock first, backorder the rest';

-- Take p_qty units away from a line's holding: its backorders first (newest
-- first), then its reservations (latest first).  Released stock stays
-- available; callers settle the item afterwards.
CREATE OR REPLACE FUNCTION @extschema@._release(p_tenant bigint, p_order bigint, p_line int, p_qty numeric)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_left numeric := p_qty;
	v_take numeric;
	v_bo numeric := 0;
	v_res numeric := 0;
	r record;
BEGIN
	FOR r IN
		SELECT b.backorder_id, b.item_id, b.warehouse_id, b.qty FROM @extschema@.backorders b
		 WHERE b.tenant_id = p_tenant AND b.order_id = p_order AND b.line_no = p_line
		 ORDER BY b.created_at DESC, b.backorder_id DESC
	LOOP
		EXIT WHEN v_left <= 0;
		v_take := least(v_left, r.qty);
		IF v_take = r.qty THEN
			DELETE FROM @extschema@.backorders WHERE tenant_id = p_tenant AND backorder_id = r.backorder_id;
		ELSE
			UPDATE @extschema@.backorders SET qty = qty - v_take
			 WHERE tenant_id = p_tenant AND backorder_id = r.backorder_id;
		END IF;
		UPDATE @extschema@.inventory SET reserved = reserved	-- new row version, see _reserve
		 WHERE tenant_id = p_tenant AND item_id = r.item_id AND warehouse_id = r.warehouse_id;
		v_bo := v_bo + v_take;
		v_left := v_left - v_take;
	END LOOP;
	FOR r IN
		SELECT s.reservation_id, s.item_id, s.warehouse_id, s.qty FROM @extschema@.reservations s
		 WHERE s.tenant_id = p_tenant AND s.order_id = p_order AND s.line_no = p_line
		 ORDER BY s.reservation_id DESC
	LOOP
		EXIT WHEN v_left <= 0;
		v_take := least(v_left, r.qty);
		IF v_take = r.qty THEN
			DELETE FROM @extschema@.reservations WHERE tenant_id = p_tenant AND reservation_id = r.reservation_id;
		ELSE
			UPDATE @extschema@.reservations SET qty = qty - v_take
			 WHERE tenant_id = p_tenant AND reservation_id = r.reservation_id;
		END IF;
		UPDATE @extschema@.inventory SET reserved = reserved - v_take
		 WHERE tenant_id = p_tenant AND item_id = r.item_id AND warehouse_id = r.warehouse_id;
		v_res := v_res + v_take;
		v_left := v_left - v_take;
	END LOOP;
	UPDATE @extschema@.sales_order_lines
	   SET qty_reserved = qty_reserved - v_res, qty_backordered = qty_backordered - v_bo
	 WHERE tenant_id = p_tenant AND order_id = p_order AND line_no = p_line
	   AND (v_res > 0 OR v_bo > 0);
END
$$;
COMMENT ON FUNCTION @extschema@._release(bigint, bigint, int, numeric) IS
	'Internal: take units from a line''s backorders, then reservations';

-- Fill the backorders of one (item, warehouse) from its available stock,
-- priority desc, created_at, backorder_id.  The inventory row is locked.  A
-- waiting line locked by another transaction is never waited for here:
-- p_wait => raise 'CRW01' naming it (the caller rolls back, waits, retries);
-- otherwise stop filling this queue (the line's holder fills it later).
CREATE OR REPLACE FUNCTION @extschema@._fill(p_tenant bigint, p_item bigint, p_wh bigint, p_wait boolean)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_avail numeric;
	v_take numeric;
	b record;
BEGIN
	SELECT i.available INTO v_avail FROM @extschema@.inventory i
	 WHERE i.tenant_id = p_tenant AND i.item_id = p_item AND i.warehouse_id = p_wh;
	IF NOT FOUND OR v_avail <= 0 THEN
		RETURN;
	END IF;
	FOR b IN
		SELECT q.backorder_id, q.order_id, q.line_no, q.qty FROM @extschema@.backorders q
		 WHERE q.tenant_id = p_tenant AND q.item_id = p_item AND q.warehouse_id = p_wh
		 ORDER BY q.priority DESC, q.created_at, q.backorder_id
	LOOP
		EXIT WHEN v_avail <= 0;
		PERFORM 1 FROM @extschema@.sales_order_lines l
		  WHERE l.tenant_id = p_tenant AND l.order_id = b.order_id AND l.line_no = b.line_no
		    FOR NO KEY UPDATE SKIP LOCKED;
		IF NOT FOUND THEN
			IF p_wait THEN
				RAISE SQLSTATE 'CRW01' USING MESSAGE = p_tenant::text || ' ' || b.order_id::text || ' ' || b.line_no::text;
			END IF;
			EXIT;
		END IF;
		v_take := least(v_avail, b.qty);
		UPDATE @extschema@.inventory SET reserved = reserved + v_take
		 WHERE tenant_id = p_tenant AND item_id = p_item AND warehouse_id = p_wh;
		INSERT INTO @extschema@.reservations AS x (tenant_id, order_id, line_no, item_id, warehouse_id, qty)
		VALUES (p_tenant, b.order_id, b.line_no, p_item, p_wh, v_take)
		ON CONFLICT (tenant_id, order_id, line_no, warehouse_id) DO UPDATE SET qty = x.qty + excluded.qty;
		IF v_take = b.qty THEN
			DELETE FROM @extschema@.backorders WHERE tenant_id = p_tenant AND backorder_id = b.backorder_id;
		ELSE
			UPDATE @extschema@.backorders SET qty = qty - v_take
			 WHERE tenant_id = p_tenant AND backorder_id = b.backorder_id;
		END IF;
		UPDATE @extschema@.sales_order_lines
		   SET qty_reserved = qty_reserved + v_take, qty_backordered = qty_backordered - v_take
		 WHERE tenant_id = p_tenant AND order_id = b.order_id AND line_no = b.line_no;
		v_avail := v_avail - v_take;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._fill(bigint, bigint, bigint, boolean) IS
	'Internal: fill the backorder queue of one item and warehouse from available stock';

-- Fill every queue of the given items that has available stock.
CREATE OR REPLACE FUNCTION @extschema@._settle(p_tenants bigint[], p_items bigint[], p_wait boolean)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT i.tenant_id, i.item_id, i.warehouse_id FROM @extschema@.inventory i
		 WHERE (i.tenant_id, i.item_id) IN (SELECT u.t, u.i FROM unnest(p_tenants, p_items) AS u(t, i))
		   AND i.available > 0
		   AND EXISTS (SELECT 1 FROM @extschema@.backorders b
		                WHERE b.tenant_id = i.tenant_id AND b.item_id = i.item_id
		                  AND b.warehouse_id = i.warehouse_id)
		 ORDER BY 1, 2, 3
	LOOP
		PERFORM @extschema@._fill(r.tenant_id, r.item_id, r.warehouse_id, p_wait);
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._settle(bigint[], bigint[], boolean) IS
	'Internal: fill the backorder queues of the items wherever stock is available';

-- Remove everything a line holds (it is being deleted): backorders, and
-- reservations back to available.
CREATE OR REPLACE FUNCTION @extschema@._drop_line_stock(p_tenant bigint, p_order bigint, p_line int)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r record;
BEGIN
	FOR r IN
		DELETE FROM @extschema@.backorders
		 WHERE tenant_id = p_tenant AND order_id = p_order AND line_no = p_line
		RETURNING item_id, warehouse_id
	LOOP
		UPDATE @extschema@.inventory SET reserved = reserved
		 WHERE tenant_id = p_tenant AND item_id = r.item_id AND warehouse_id = r.warehouse_id;
	END LOOP;
	FOR r IN
		DELETE FROM @extschema@.reservations
		 WHERE tenant_id = p_tenant AND order_id = p_order AND line_no = p_line
		RETURNING item_id, warehouse_id, qty
	LOOP
		UPDATE @extschema@.inventory SET reserved = reserved - r.qty
		 WHERE tenant_id = p_tenant AND item_id = r.item_id AND warehouse_id = r.warehouse_id;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._drop_line_stock(bigint, bigint, int) IS
	'Internal: release the reservations and drop the backorders of a deleted line';

-- ---------------------------------------------------------------------
-- sales_order_lines
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._line_before_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_status text;
BEGIN
	IF current_setting('crmscm.internal', true) = 'on' THEN
		RETURN NEW;
	END IF;
	IF NEW.order_id <> OLD.order_id OR NEW.line_no <> OLD.line_no THEN
		RAISE EXCEPTION 'cannot move line % of order % to another order or line number', OLD.line_no, OLD.order_id
			USING ERRCODE = 'integrity_constraint_violation';
	END IF;
	IF OLD.status <> 'open' THEN
		RAISE EXCEPTION 'line % of order % is %: its quantity, item, warehouse and status are final', OLD.line_no, OLD.order_id, OLD.status
			USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.status <> OLD.status AND NEW.status <> 'cancelled' THEN
		RAISE EXCEPTION 'cannot set line % of order % to %', OLD.line_no, OLD.order_id, NEW.status
			USING ERRCODE = 'check_violation',
			      HINT = 'Lines become shipped through crmscm.ship(); users may only cancel them.';
	END IF;
	SELECT o.status INTO v_status FROM @extschema@.sales_orders o
	 WHERE o.tenant_id = OLD.tenant_id AND o.order_id = OLD.order_id;
	IF v_status IN ('cancelled', 'closed') THEN
		RAISE EXCEPTION 'order % is %: its lines cannot change', OLD.order_id, v_status
			USING ERRCODE = 'check_violation';
	END IF;
	IF v_status = 'confirmed' THEN
		IF NEW.item_id <> OLD.item_id OR NEW.warehouse_id IS DISTINCT FROM OLD.warehouse_id THEN
			RAISE EXCEPTION 'cannot change the item or warehouse of line % of confirmed order %', OLD.line_no, OLD.order_id
				USING ERRCODE = 'check_violation',
				      HINT = 'Cancel the line and add a new one.';
		END IF;
		IF NEW.qty < OLD.qty_shipped THEN
			RAISE EXCEPTION 'qty % of line % of order % is below the % units already shipped', NEW.qty, OLD.line_no, OLD.order_id, OLD.qty_shipped
				USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._line_before_update() IS
	'Trigger: validates a change of an order line';

-- C (src/orders.c), chosen by measurement: the same statements as the
-- PL/pgSQL paths issue (lock the orders FOR SHARE, all inventory rows of the
-- items in one sorted SELECT ... FOR NO KEY UPDATE, then backorder,
-- inventory, reservation and line writes), through plans prepared once per
-- backend, without the interpreter and per-call function overhead that took
-- about half of a reserving insert (README "Orders and inventory reservations").
-- It runs with its owner's rights like the SECURITY DEFINER triggers, but
-- switches user itself instead of being declared SECURITY DEFINER with SET
-- search_path: see crmscm_lines_after_insert() for why (measured).
CREATE OR REPLACE FUNCTION @extschema@._lines_after_insert() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_lines_after_insert$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._lines_after_insert() IS
	'Trigger: lines inserted into confirmed orders reserve stock or are backordered';

CREATE OR REPLACE FUNCTION @extschema@._lines_after_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_ok boolean;
	v_t bigint[];
	v_i bigint[];
	v_w bigint[];
	v_held numeric;
	r record;
BEGIN
	IF current_setting('crmscm.internal', true) = 'on' THEN
		RETURN NULL;
	END IF;
	SELECT array_agg(n.tenant_id), array_agg(n.item_id),
	       array_agg(coalesce(n.warehouse_id, @extschema@._nearest_warehouse(n.tenant_id, o.ship_to)))
	  INTO v_t, v_i, v_w
	  FROM old_lines p
	  JOIN new_lines n ON n.tenant_id = p.tenant_id AND n.order_id = p.order_id AND n.line_no = p.line_no
	  JOIN @extschema@.sales_orders o ON o.tenant_id = n.tenant_id AND o.order_id = n.order_id
	 WHERE o.status = 'confirmed' AND p.status = 'open';
	IF v_t IS NULL THEN
		RETURN NULL;
	END IF;
	v_ok := @extschema@._lock_items(v_t, v_i, v_w);
	v_ok := set_config('crmscm.internal', 'on', true) IS NOT NULL;
	FOR r IN
		SELECT n.tenant_id, n.order_id, n.line_no, n.item_id, n.warehouse_id, o.ship_to, o.priority,
		       p.qty AS old_qty, n.qty AS new_qty, n.status AS new_status
		  FROM old_lines p
		  JOIN new_lines n ON n.tenant_id = p.tenant_id AND n.order_id = p.order_id AND n.line_no = p.line_no
		  JOIN @extschema@.sales_orders o ON o.tenant_id = n.tenant_id AND o.order_id = n.order_id
		 WHERE o.status = 'confirmed' AND p.status = 'open'
		 ORDER BY n.tenant_id, n.order_id, n.line_no
	LOOP
		IF r.new_status = 'cancelled' THEN
			SELECT l.qty_reserved + l.qty_backordered INTO v_held FROM @extschema@.sales_order_lines l
			 WHERE l.tenant_id = r.tenant_id AND l.order_id = r.order_id AND l.line_no = r.line_no;
			PERFORM @extschema@._release(r.tenant_id, r.order_id, r.line_no, v_held);
		ELSIF r.new_qty > r.old_qty THEN
			v_ok := @extschema@._reserve(r.tenant_id, r.order_id, r.line_no, r.item_id, r.new_qty - r.old_qty,
			                             r.warehouse_id, r.ship_to, r.priority);
		ELSIF r.new_qty < r.old_qty THEN
			PERFORM @extschema@._release(r.tenant_id, r.order_id, r.line_no, r.old_qty - r.new_qty);
		END IF;
		IF r.new_status = 'open' AND r.new_qty = (SELECT l.qty_shipped FROM @extschema@.sales_order_lines l
		     WHERE l.tenant_id = r.tenant_id AND l.order_id = r.order_id AND l.line_no = r.line_no) THEN
			-- lowered to what was already shipped: the line is done
			UPDATE @extschema@.sales_order_lines SET status = 'shipped'
			 WHERE tenant_id = r.tenant_id AND order_id = r.order_id AND line_no = r.line_no;
		END IF;
	END LOOP;
	-- released stock goes to waiting backorders; this also fills queues
	-- a concurrent fill skipped because it found these lines locked
	PERFORM @extschema@._settle(v_t, v_i, false);
	v_ok := set_config('crmscm.internal', 'off', true) IS NOT NULL;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._lines_after_update() IS
	'Trigger: quantity changes and cancellations of lines of confirmed orders adjust reservations and backorders';

CREATE OR REPLACE FUNCTION @extschema@._lines_after_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_ok boolean;
	v_t bigint[];
	v_i bigint[];
	r record;
BEGIN
	SELECT array_agg(p.tenant_id), array_agg(p.item_id) INTO v_t, v_i
	  FROM old_lines p
	 WHERE p.qty_reserved > 0 OR p.qty_backordered > 0;
	IF v_t IS NULL THEN
		RETURN NULL;
	END IF;
	v_ok := @extschema@._lock_items(v_t, v_i);
	v_ok := set_config('crmscm.internal', 'on', true) IS NOT NULL;
	FOR r IN
		SELECT p.tenant_id, p.order_id, p.line_no FROM old_lines p
		 WHERE p.qty_reserved > 0 OR p.qty_backordered > 0
		 ORDER BY 1, 2, 3
	LOOP
		PERFORM @extschema@._drop_line_stock(r.tenant_id, r.order_id, r.line_no);
	END LOOP;
	PERFORM @extschema@._settle(v_t, v_i, false);
	v_ok := set_config('crmscm.internal', 'off', true) IS NOT NULL;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._lines_after_delete() IS
	'Trigger: deleted lines release their reservations (to waiting backorders first) and drop their backorders';

CREATE OR REPLACE TRIGGER sales_order_lines_guard
	BEFORE UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard('qty_reserved', 'qty_backordered', 'qty_shipped');
CREATE OR REPLACE TRIGGER sales_order_lines_check_update
	BEFORE UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW
	WHEN (OLD.qty IS DISTINCT FROM NEW.qty OR OLD.status IS DISTINCT FROM NEW.status
	      OR OLD.item_id IS DISTINCT FROM NEW.item_id OR OLD.warehouse_id IS DISTINCT FROM NEW.warehouse_id
	      OR OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.line_no IS DISTINCT FROM NEW.line_no)
	EXECUTE FUNCTION @extschema@._line_before_update();
CREATE OR REPLACE TRIGGER sales_order_lines_reserve
	AFTER INSERT ON @extschema@.sales_order_lines
	REFERENCING NEW TABLE AS new_lines
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._lines_after_insert();
CREATE OR REPLACE TRIGGER sales_order_lines_adjust
	AFTER UPDATE ON @extschema@.sales_order_lines
	REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines
	FOR EACH STATEMENT
	WHEN (pg_catalog.current_setting('crmscm.internal', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION @extschema@._lines_after_update();
CREATE OR REPLACE TRIGGER sales_order_lines_release
	AFTER DELETE ON @extschema@.sales_order_lines
	REFERENCING OLD TABLE AS old_lines
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._lines_after_delete();

-- ---------------------------------------------------------------------
-- sales_orders
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._order_before_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NOT ((OLD.status = 'draft' AND NEW.status IN ('confirmed', 'cancelled'))
	        OR (OLD.status = 'confirmed' AND NEW.status IN ('cancelled', 'closed'))) THEN
		RAISE EXCEPTION 'cannot change status of order % from % to %', OLD.order_id, OLD.status, NEW.status
			USING ERRCODE = 'check_violation',
			      HINT = 'draft -> confirmed | cancelled; confirmed -> cancelled | closed.';
	END IF;
	IF NEW.status = 'closed' AND EXISTS (
		SELECT 1 FROM @extschema@.sales_order_lines l
		 WHERE l.tenant_id = OLD.tenant_id AND l.order_id = OLD.order_id AND l.status = 'open') THEN
		RAISE EXCEPTION 'cannot close order %: it has open lines', OLD.order_id
			USING ERRCODE = 'check_violation',
			      HINT = 'Ship or cancel every line first.';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._order_before_update() IS
	'Trigger: validates order status transitions';

CREATE OR REPLACE FUNCTION @extschema@._orders_after_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_ok boolean;
	v_ot bigint[];		-- changed orders: tenant, order, confirm?
	v_oo bigint[];
	v_oc boolean[];
	v_t bigint[];
	v_i bigint[];
	v_w bigint[];
	r record;
BEGIN
	IF current_setting('crmscm.internal', true) = 'on' THEN
		RETURN NULL;
	END IF;
	SELECT array_agg(n.tenant_id), array_agg(n.order_id), array_agg(n.status = 'confirmed')
	  INTO v_ot, v_oo, v_oc
	  FROM old_orders p
	  JOIN new_orders n ON n.tenant_id = p.tenant_id AND n.order_id = p.order_id
	 WHERE (p.status = 'draft' AND n.status = 'confirmed')
	    OR (p.status IN ('draft', 'confirmed') AND n.status = 'cancelled');
	IF v_ot IS NULL THEN
		RETURN NULL;
	END IF;
	-- lines before inventory (lock order)
	PERFORM 1 FROM @extschema@.sales_order_lines l
	 WHERE (l.tenant_id, l.order_id) IN (SELECT c.t, c.o FROM unnest(v_ot, v_oo) AS c(t, o))
	 ORDER BY l.tenant_id, l.order_id, l.line_no
	   FOR NO KEY UPDATE OF l;
	SELECT array_agg(l.tenant_id), array_agg(l.item_id),
	       array_agg(coalesce(l.warehouse_id, @extschema@._nearest_warehouse(l.tenant_id, o.ship_to)))
	  INTO v_t, v_i, v_w
	  FROM unnest(v_ot, v_oo) AS c(t, o)
	  JOIN @extschema@.sales_orders o ON o.tenant_id = c.t AND o.order_id = c.o
	  JOIN @extschema@.sales_order_lines l ON l.tenant_id = c.t AND l.order_id = c.o
	 WHERE l.status = 'open';
	v_ok := set_config('crmscm.internal', 'on', true) IS NOT NULL;
	IF v_t IS NOT NULL THEN
		IF array_position(v_w, NULL) IS NOT NULL THEN
			RAISE EXCEPTION 'tenant % has no warehouse to reserve or backorder item %', v_t[1], v_i[array_position(v_w, NULL)]
				USING ERRCODE = 'foreign_key_violation';
		END IF;
		v_ok := @extschema@._lock_items(v_t, v_i, v_w);
		FOR r IN
			SELECT l.tenant_id, l.order_id, l.line_no, l.item_id, l.warehouse_id, l.qty,
			       l.qty_reserved + l.qty_backordered AS held, l.qty_shipped, c.confirm, o.ship_to, o.priority
			  FROM unnest(v_ot, v_oo, v_oc) AS c(t, o, confirm)
			  JOIN @extschema@.sales_orders o ON o.tenant_id = c.t AND o.order_id = c.o
			  JOIN @extschema@.sales_order_lines l ON l.tenant_id = c.t AND l.order_id = c.o
			 WHERE l.status = 'open'
			 ORDER BY l.tenant_id, l.order_id, l.line_no
		LOOP
			IF r.confirm THEN
				v_ok := @extschema@._reserve(r.tenant_id, r.order_id, r.line_no, r.item_id,
				                             r.qty - r.held - r.qty_shipped, r.warehouse_id, r.ship_to, r.priority);
			ELSIF r.held > 0 THEN
				PERFORM @extschema@._release(r.tenant_id, r.order_id, r.line_no, r.held);
			END IF;
		END LOOP;
	END IF;
	UPDATE @extschema@.sales_order_lines l SET status = 'cancelled'
	  FROM unnest(v_ot, v_oo, v_oc) AS c(t, o, confirm)
	 WHERE l.tenant_id = c.t AND l.order_id = c.o AND NOT c.confirm AND l.status = 'open';
	IF v_t IS NOT NULL THEN
		PERFORM @extschema@._settle(v_t, v_i, false);
	END IF;
	v_ok := set_config('crmscm.internal', 'off', true) IS NOT NULL;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._orders_after_update() IS
	'Trigger: confirming an order reserves its lines, cancelling it releases them';

CREATE OR REPLACE TRIGGER sales_orders_guard
	BEFORE UPDATE ON @extschema@.sales_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER sales_orders_check_status
	BEFORE UPDATE ON @extschema@.sales_orders
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION @extschema@._order_before_update();
CREATE OR REPLACE TRIGGER sales_orders_confirm_cancel
	AFTER UPDATE ON @extschema@.sales_orders
	REFERENCING OLD TABLE AS old_orders NEW TABLE AS new_orders
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._orders_after_update();

-- ---------------------------------------------------------------------
-- stock_moves: receipts and adjustments (shipments come from ship())
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._moves_after_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_ok boolean;
	v_t bigint[];
	v_i bigint[];
	v_w bigint[];
	v_d numeric[];
	v_wait_tenant bigint;
	v_wait_order bigint;
	v_wait_line int;
	v_msg text;
	r record;
BEGIN
	IF current_setting('crmscm.internal', true) = 'on' THEN
		RETURN NULL;
	END IF;
	IF EXISTS (SELECT 1 FROM new_moves m WHERE m.kind = 'shipment') THEN
		RAISE EXCEPTION 'shipment moves are written by crmscm.ship()'
			USING ERRCODE = 'check_violation',
			      HINT = 'Use crmscm.ship(order_id, line_no, qty), or a negative adjustment for losses.';
	END IF;
	SELECT array_agg(m.tenant_id ORDER BY 1, 2, 3), array_agg(m.item_id ORDER BY 1, 2, 3),
	       array_agg(m.warehouse_id ORDER BY 1, 2, 3), array_agg(m.delta ORDER BY 1, 2, 3)
	  INTO v_t, v_i, v_w, v_d
	  FROM (SELECT n.tenant_id, n.item_id, n.warehouse_id, sum(n.qty) AS delta
	          FROM new_moves n GROUP BY 1, 2, 3) m;
	IF v_t IS NULL THEN
		RETURN NULL;
	END IF;
	LOOP
		BEGIN
			IF v_wait_order IS NOT NULL THEN
				-- wait for the waiting line we found locked, holding no inventory
				PERFORM 1 FROM @extschema@.sales_order_lines l
				  WHERE l.tenant_id = v_wait_tenant AND l.order_id = v_wait_order AND l.line_no = v_wait_line
				    FOR NO KEY UPDATE;
			END IF;
			PERFORM @extschema@._ensure_inventory(v_t, v_i, v_w);
			PERFORM 1 FROM @extschema@.inventory i
			 WHERE (i.tenant_id, i.item_id, i.warehouse_id) IN
			       (SELECT u.t, u.i, u.w FROM unnest(v_t, v_i, v_w) AS u(t, i, w))
			 ORDER BY i.tenant_id, i.item_id, i.warehouse_id
			   FOR NO KEY UPDATE OF i;
			SELECT u.* INTO r
			  FROM unnest(v_t, v_i, v_w, v_d) AS u(t, i, w, d)
			  JOIN @extschema@.inventory x ON x.tenant_id = u.t AND x.item_id = u.i AND x.warehouse_id = u.w
			 WHERE x.on_hand + u.d < x.reserved
			 LIMIT 1;
			IF FOUND THEN
				RAISE EXCEPTION 'adjustment of % for item % in warehouse % would leave on hand below reserved stock', r.d, r.i, r.w
					USING ERRCODE = 'check_violation',
					      HINT = 'Cancel or ship reservations first; on hand must stay >= reserved.';
			END IF;
			v_ok := set_config('crmscm.internal', 'on', true) IS NOT NULL;
			UPDATE @extschema@.inventory x SET on_hand = x.on_hand + u.d
			  FROM unnest(v_t, v_i, v_w, v_d) AS u(t, i, w, d)
			 WHERE x.tenant_id = u.t AND x.item_id = u.i AND x.warehouse_id = u.w AND u.d <> 0;
			FOR k IN 1 .. array_length(v_t, 1) LOOP
				IF v_d[k] > 0 THEN
					PERFORM @extschema@._fill(v_t[k], v_i[k], v_w[k], true);
				END IF;
			END LOOP;
			v_ok := set_config('crmscm.internal', 'off', true) IS NOT NULL;
			EXIT;
		EXCEPTION WHEN SQLSTATE 'CRW01' THEN
			GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT;
			v_wait_tenant := split_part(v_msg, ' ', 1)::bigint;
			v_wait_order := split_part(v_msg, ' ', 2)::bigint;
			v_wait_line := split_part(v_msg, ' ', 3)::int;
		END;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._moves_after_insert() IS
	'Trigger: receipts and adjustments change on hand; stock received fills waiting backorders';

CREATE OR REPLACE FUNCTION @extschema@._moves_immutable() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RAISE EXCEPTION 'stock moves are a ledger: they cannot be updated or deleted'
		USING ERRCODE = 'check_violation',
		      HINT = 'Write a correcting adjustment move instead.';
END
$$;
COMMENT ON FUNCTION @extschema@._moves_immutable() IS
	'Trigger: stock moves are append-only';

CREATE OR REPLACE TRIGGER stock_moves_apply
	AFTER INSERT ON @extschema@.stock_moves
	REFERENCING NEW TABLE AS new_moves
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._moves_after_insert();
CREATE OR REPLACE TRIGGER stock_moves_append_only
	BEFORE UPDATE OR DELETE ON @extschema@.stock_moves
	FOR EACH ROW EXECUTE FUNCTION @extschema@._moves_immutable();

-- inventory quantities only through moves, orders and purchase orders
-- stock moves by anyone but crmscm's own functions must not carry the
-- internal flag (which would skip applying them to inventory)
CREATE OR REPLACE TRIGGER stock_moves_guard
	BEFORE INSERT ON @extschema@.stock_moves
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER inventory_guard
	BEFORE INSERT OR UPDATE ON @extschema@.inventory
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard('on_hand', 'reserved', 'on_order', 'item_id', 'warehouse_id');
CREATE OR REPLACE TRIGGER reservations_guard
	BEFORE UPDATE ON @extschema@.reservations
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard('order_id', 'line_no', 'item_id', 'warehouse_id', 'qty');
CREATE OR REPLACE TRIGGER backorders_guard
	BEFORE UPDATE ON @extschema@.backorders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard('order_id', 'line_no', 'item_id', 'warehouse_id', 'qty');
CREATE OR REPLACE TRIGGER items_guard BEFORE UPDATE ON @extschema@.items
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER warehouses_guard BEFORE UPDATE ON @extschema@.warehouses
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER customers_guard BEFORE UPDATE ON @extschema@.customers
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();

-- ---------------------------------------------------------------------
-- Purchase orders: open quantity of ordered POs counts as on_order;
-- raising qty_received writes the receipt move.
-- ---------------------------------------------------------------------

-- The open quantity of a line is greatest(qty - qty_received, 0), written out
-- where it is needed (no helper function: an IMMUTABLE one would be
-- executable by PUBLIC under apply_security(), and internals must not be).

CREATE OR REPLACE FUNCTION @extschema@._add_on_order(p_tenant bigint, p_item bigint, p_wh bigint, p_delta numeric)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_ok boolean;
BEGIN
	IF p_delta = 0 THEN
		RETURN;
	END IF;
	PERFORM @extschema@._ensure_inventory(ARRAY[p_tenant], ARRAY[p_item], ARRAY[p_wh]);
	v_ok := set_config('crmscm.internal', 'on', true) IS NOT NULL;
	UPDATE @extschema@.inventory SET on_order = on_order + p_delta
	 WHERE tenant_id = p_tenant AND item_id = p_item AND warehouse_id = p_wh;
	v_ok := set_config('crmscm.internal', 'off', true) IS NOT NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._add_on_order(bigint, bigint, bigint, numeric) IS
	'Internal: change on_order of one inventory row';

CREATE OR REPLACE FUNCTION @extschema@._po_line_before() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_status text;
BEGIN
	SELECT p.status INTO v_status FROM @extschema@.purchase_orders p
	 WHERE p.tenant_id = NEW.tenant_id AND p.po_id = NEW.po_id FOR SHARE;
	IF TG_OP = 'INSERT' THEN
		IF v_status IN ('received', 'cancelled') THEN
			RAISE EXCEPTION 'cannot add line % to purchase order %: it is %', NEW.line_no, NEW.po_id, v_status
				USING ERRCODE = 'check_violation';
		END IF;
		IF NEW.qty_received <> 0 THEN
			RAISE EXCEPTION 'new purchase order line % of % must have qty_received = 0', NEW.line_no, NEW.po_id
				USING ERRCODE = 'check_violation', HINT = 'Raise qty_received (or call crmscm.receive()) to receive.';
		END IF;
		RETURN NEW;
	END IF;
	IF NEW.po_id <> OLD.po_id OR NEW.line_no <> OLD.line_no THEN
		RAISE EXCEPTION 'cannot move line % of purchase order %', OLD.line_no, OLD.po_id
			USING ERRCODE = 'integrity_constraint_violation';
	END IF;
	IF NEW.qty_received < OLD.qty_received THEN
		RAISE EXCEPTION 'qty_received of purchase order line %/% cannot go down (% -> %)', OLD.po_id, OLD.line_no, OLD.qty_received, NEW.qty_received
			USING ERRCODE = 'check_violation', HINT = 'Write a negative adjustment move for returns.';
	END IF;
	IF NEW.qty_received > OLD.qty_received AND v_status <> 'ordered' THEN
		RAISE EXCEPTION 'cannot receive on purchase order %: it is %', OLD.po_id, v_status
			USING ERRCODE = 'check_violation';
	END IF;
	IF v_status <> 'draft' AND (NEW.item_id <> OLD.item_id OR NEW.warehouse_id <> OLD.warehouse_id) THEN
		RAISE EXCEPTION 'cannot change item or warehouse of line % of purchase order %: it is %', OLD.line_no, OLD.po_id, v_status
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._po_line_before() IS
	'Trigger: validates purchase order lines against their order''s status';

CREATE OR REPLACE FUNCTION @extschema@._po_line_after() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_status text;
	v_tenant bigint;
	v_po bigint;
BEGIN
	IF TG_OP = 'DELETE' THEN
		v_tenant := OLD.tenant_id; v_po := OLD.po_id;
	ELSE
		v_tenant := NEW.tenant_id; v_po := NEW.po_id;
	END IF;
	SELECT p.status INTO v_status FROM @extschema@.purchase_orders p
	 WHERE p.tenant_id = v_tenant AND p.po_id = v_po;
	IF TG_OP = 'UPDATE' AND NEW.qty_received > OLD.qty_received THEN
		-- the receipt (fills backorders) before on_order: both lock the row
		INSERT INTO @extschema@.stock_moves (tenant_id, item_id, warehouse_id, qty, kind)
		VALUES (NEW.tenant_id, NEW.item_id, NEW.warehouse_id, NEW.qty_received - OLD.qty_received, 'receipt');
	END IF;
	IF v_status IS DISTINCT FROM 'ordered' THEN
		RETURN NULL;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM @extschema@._add_on_order(OLD.tenant_id, OLD.item_id, OLD.warehouse_id,
		                                  -greatest(OLD.qty - OLD.qty_received, 0));
	END IF;
	IF TG_OP IN ('UPDATE', 'INSERT') THEN
		PERFORM @extschema@._add_on_order(NEW.tenant_id, NEW.item_id, NEW.warehouse_id,
		                                  greatest(NEW.qty - NEW.qty_received, 0));
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._po_line_after() IS
	'Trigger: keeps inventory.on_order equal to the open quantity of ordered purchase orders; receiving writes a receipt move';

CREATE OR REPLACE FUNCTION @extschema@._po_before_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NOT ((OLD.status = 'draft' AND NEW.status IN ('ordered', 'cancelled'))
	        OR (OLD.status = 'ordered' AND NEW.status IN ('received', 'cancelled'))) THEN
		RAISE EXCEPTION 'cannot change status of purchase order % from % to %', OLD.po_id, OLD.status, NEW.status
			USING ERRCODE = 'check_violation',
			      HINT = 'draft -> ordered | cancelled; ordered -> received | cancelled.';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._po_before_update() IS
	'Trigger: validates purchase order status transitions';

CREATE OR REPLACE FUNCTION @extschema@._po_after_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_sign int;
	r record;
BEGIN
	IF OLD.status <> 'ordered' AND NEW.status = 'ordered' THEN
		v_sign := 1;
	ELSIF OLD.status = 'ordered' AND NEW.status <> 'ordered' THEN
		v_sign := -1;
	ELSE
		RETURN NULL;
	END IF;
	FOR r IN
		SELECT l.tenant_id, l.item_id, l.warehouse_id, sum(greatest(l.qty - l.qty_received, 0)) AS open_qty
		  FROM @extschema@.purchase_order_lines l
		 WHERE l.tenant_id = NEW.tenant_id AND l.po_id = NEW.po_id
		 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
	LOOP
		PERFORM @extschema@._add_on_order(r.tenant_id, r.item_id, r.warehouse_id, v_sign * r.open_qty);
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._po_after_update() IS
	'Trigger: ordering a purchase order puts its open quantity on order; receiving, cancelling takes it off';

CREATE OR REPLACE TRIGGER purchase_orders_guard BEFORE UPDATE ON @extschema@.purchase_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER purchase_orders_check_status BEFORE UPDATE ON @extschema@.purchase_orders
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION @extschema@._po_before_update();
CREATE OR REPLACE TRIGGER purchase_orders_on_order AFTER UPDATE ON @extschema@.purchase_orders
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION @extschema@._po_after_update();
CREATE OR REPLACE TRIGGER purchase_order_lines_guard BEFORE UPDATE ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER purchase_order_lines_check BEFORE INSERT OR UPDATE ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._po_line_before();
CREATE OR REPLACE TRIGGER purchase_order_lines_on_order AFTER INSERT OR UPDATE OR DELETE ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._po_line_after();

-- ---------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.ship(p_order_id bigint, p_line_no int, p_qty numeric DEFAULT NULL)
RETURNS numeric LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_ok boolean;
	v_tenant bigint := @extschema@.current_tenant();
	v_status text;
	v_qty numeric;
	v_left numeric;
	v_take numeric;
	l record;
	r record;
BEGIN
	IF p_order_id IS NULL OR p_line_no IS NULL THEN
		RAISE EXCEPTION 'order_id and line_no must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF p_qty IS NOT NULL AND NOT p_qty > 0 THEN
		RAISE EXCEPTION 'quantity to ship must be positive, got %', p_qty USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the line first, then inventory (lock order)
	SELECT * INTO l FROM @extschema@.sales_order_lines x
	 WHERE x.tenant_id = v_tenant AND x.order_id = p_order_id AND x.line_no = p_line_no
	   FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'order line %/% does not exist', p_order_id, p_line_no USING ERRCODE = 'foreign_key_violation';
	END IF;
	SELECT o.status INTO v_status FROM @extschema@.sales_orders o
	 WHERE o.tenant_id = v_tenant AND o.order_id = p_order_id;
	IF v_status <> 'confirmed' THEN
		RAISE EXCEPTION 'cannot ship from order %: it is %', p_order_id, v_status USING ERRCODE = 'check_violation';
	END IF;
	IF l.status <> 'open' THEN
		RAISE EXCEPTION 'cannot ship line %/%: it is %', p_order_id, p_line_no, l.status USING ERRCODE = 'check_violation';
	END IF;
	v_qty := coalesce(p_qty, l.qty_reserved);
	IF v_qty > l.qty_reserved THEN
		RAISE EXCEPTION 'cannot ship % of line %/%: only % reserved', v_qty, p_order_id, p_line_no, l.qty_reserved
			USING ERRCODE = 'check_violation';
	END IF;
	IF v_qty = 0 THEN
		RETURN 0;
	END IF;
	v_ok := @extschema@._lock_items(ARRAY[v_tenant], ARRAY[l.item_id]);
	v_ok := set_config('crmscm.internal', 'on', true) IS NOT NULL;
	v_left := v_qty;
	FOR r IN
		SELECT s.reservation_id, s.warehouse_id, s.qty FROM @extschema@.reservations s
		 WHERE s.tenant_id = v_tenant AND s.order_id = p_order_id AND s.line_no = p_line_no
		 ORDER BY s.reservation_id
	LOOP
		EXIT WHEN v_left <= 0;
		v_take := least(v_left, r.qty);
		IF v_take = r.qty THEN
			DELETE FROM @extschema@.reservations WHERE tenant_id = v_tenant AND reservation_id = r.reservation_id;
		ELSE
			UPDATE @extschema@.reservations SET qty = qty - v_take
			 WHERE tenant_id = v_tenant AND reservation_id = r.reservation_id;
		END IF;
		UPDATE @extschema@.inventory SET on_hand = on_hand - v_take, reserved = reserved - v_take
		 WHERE tenant_id = v_tenant AND item_id = l.item_id AND warehouse_id = r.warehouse_id;
		INSERT INTO @extschema@.stock_moves (tenant_id, item_id, warehouse_id, qty, kind, order_id, line_no)
		VALUES (v_tenant, l.item_id, r.warehouse_id, -v_take, 'shipment', p_order_id, p_line_no);
		v_left := v_left - v_take;
	END LOOP;
	UPDATE @extschema@.sales_order_lines
	   SET qty_shipped = qty_shipped + v_qty, qty_reserved = qty_reserved - v_qty,
	       status = CASE WHEN qty_shipped + v_qty = qty THEN 'shipped' ELSE status END
	 WHERE tenant_id = v_tenant AND order_id = p_order_id AND line_no = p_line_no;
	-- fill queues a concurrent fill skipped while we held this line
	PERFORM @extschema@._settle(ARRAY[v_tenant], ARRAY[l.item_id], false);
	v_ok := set_config('crmscm.internal', 'off', true) IS NOT NULL;
	RETURN v_qty;
END
$$;
COMMENT ON FUNCTION @extschema@.ship(bigint, int, numeric) IS
	'Ship qty units (NULL = all reserved) of an order line: consumes reservations, writes shipment moves, lowers on hand; returns the quantity shipped';

CREATE OR REPLACE FUNCTION @extschema@.receive(p_po_id bigint, p_line_no int, p_qty numeric DEFAULT NULL)
RETURNS numeric LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_tenant bigint := @extschema@.current_tenant();
	v_qty numeric;
	l record;
BEGIN
	IF p_po_id IS NULL OR p_line_no IS NULL THEN
		RAISE EXCEPTION 'po_id and line_no must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF p_qty IS NOT NULL AND NOT p_qty > 0 THEN
		RAISE EXCEPTION 'quantity to receive must be positive, got %', p_qty USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT * INTO l FROM @extschema@.purchase_order_lines x
	 WHERE x.tenant_id = v_tenant AND x.po_id = p_po_id AND x.line_no = p_line_no FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'purchase order line %/% does not exist', p_po_id, p_line_no USING ERRCODE = 'foreign_key_violation';
	END IF;
	v_qty := coalesce(p_qty, greatest(l.qty - l.qty_received, 0));
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
	                             - coalesce((SELECT sum(b.qty) FROM @extschema@.backorders b
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
	'Units of an item that can still be promised, per warehouse on hand - reserved (+ on order if asked) - backordered, floored at 0, summed over the warehouse (NULL = all)';

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
	-- reserved equals the sum of the reservations
	SELECT 'reserved = sum(reservations.qty)', i.tenant_id, i.item_id, i.warehouse_id, NULL, NULL,
	       format('reserved %s, reservations sum to %s', i.reserved, coalesce(r.s, 0))
	  FROM @extschema@.inventory i
	  LEFT JOIN (SELECT x.tenant_id, x.item_id, x.warehouse_id, sum(x.qty) AS s
	               FROM @extschema@.reservations x GROUP BY 1, 2, 3) r
	    ON r.tenant_id = i.tenant_id AND r.item_id = i.item_id AND r.warehouse_id = i.warehouse_id
	 WHERE i.reserved <> coalesce(r.s, 0)
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
	  LEFT JOIN (SELECT l.tenant_id, l.item_id, l.warehouse_id, sum(greatest(l.qty - l.qty_received, 0)) AS s
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
	-- no backorder waits where stock is available to fill it
	SELECT 'no backorder while stock is available', i.tenant_id, i.item_id, i.warehouse_id, NULL, NULL,
	       format('available %s, %s units backordered', i.available, b.s)
	  FROM @extschema@.inventory i
	  JOIN (SELECT x.tenant_id, x.item_id, x.warehouse_id, sum(x.qty) AS s
	          FROM @extschema@.backorders x GROUP BY 1, 2, 3) b
	    ON b.tenant_id = i.tenant_id AND b.item_id = i.item_id AND b.warehouse_id = i.warehouse_id
	 WHERE i.available > 0
$$;
COMMENT ON FUNCTION @extschema@.check_inventory() IS
	'One row per violated invariant of the order/inventory model (none when consistent)';

REVOKE EXECUTE ON FUNCTION
	@extschema@._nearest_warehouse(bigint, @extschema@.geopoint),
	@extschema@._ensure_inventory(bigint[], bigint[], bigint[]),
	@extschema@._lock_items(bigint[], bigint[], bigint[]),
	@extschema@._reserve(bigint, bigint, int, bigint, numeric, bigint, @extschema@.geopoint, int),
	@extschema@._release(bigint, bigint, int, numeric),
	@extschema@._fill(bigint, bigint, bigint, boolean),
	@extschema@._settle(bigint[], bigint[], boolean),
	@extschema@._drop_line_stock(bigint, bigint, int),
	@extschema@._add_on_order(bigint, bigint, bigint, numeric)
	FROM PUBLIC;
