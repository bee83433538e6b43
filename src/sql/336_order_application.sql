-- crmscm from an application (#15; README "Using crmscm from an application",
-- doc/application.md): defaults of omitted line columns, the fill policy,
-- crmscm.order_availability(), crmscm.place_order().  Order totals are the
-- view of 405_order_totals.sql; the events are sent by the commit pass
-- (src/reserve_events.c).

-- ---------------------------------------------------------------------
-- line defaults: line_no = the order's next number, unit_price = the item's
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._line_defaults() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_line_defaults$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._line_defaults() IS
	'Trigger: an omitted (NULL) line_no becomes the order''s next number, an omitted unit_price the item''s';

-- "Line_defaults" sorts before "Note_line_insert" (triggers of one event fire
-- in name order): the engine notes the completed row.
CREATE OR REPLACE TRIGGER "Line_defaults"
	BEFORE INSERT ON @extschema@.sales_order_lines
	FOR EACH ROW WHEN (NEW.line_no IS NULL OR NEW.unit_price IS NULL)
	EXECUTE FUNCTION @extschema@._line_defaults();
-- also under session_replication_role = replica (imports with the engine's
-- triggers off): the defaults belong to the columns, not to the engine
ALTER TABLE @extschema@.sales_order_lines ENABLE ALWAYS TRIGGER "Line_defaults";

-- ---------------------------------------------------------------------
-- fill policy: fixed once the order is confirmed (the rule itself is the
-- engine's, src/reserve_rules.c check_fill_policy())
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._order_fill_policy() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF OLD.status <> 'draft' THEN
		RAISE EXCEPTION 'cannot change fill_policy of order % from % to %: the order is %',
			OLD.order_id, OLD.fill_policy, NEW.fill_policy, OLD.status
			USING ERRCODE = 'check_violation', CONSTRAINT = 'sales_orders_fill_policy',
			      TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA,
			      HINT = 'The fill policy can change while the order is a draft.';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._order_fill_policy() IS
	'Trigger: the fill policy of an order changes only while it is a draft';

CREATE OR REPLACE TRIGGER sales_orders_fill_policy_fixed
	BEFORE UPDATE ON @extschema@.sales_orders
	FOR EACH ROW WHEN (OLD.fill_policy IS DISTINCT FROM NEW.fill_policy)
	EXECUTE FUNCTION @extschema@._order_fill_policy();

-- ---------------------------------------------------------------------
-- crmscm.order_availability(order_id): a dry run of the engine's rules
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.order_availability(p_order_id bigint)
RETURNS TABLE (line_no int, item_id bigint, qty numeric, warehouse_id bigint,
               reserve numeric, backorder numeric, line_complete boolean)
	AS 'MODULE_PATHNAME', $$crmscm_order_availability$$
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.order_availability(bigint) IS
	'Dry run: per line and warehouse, what confirming the order now would reserve and backorder, by the reservation engine''s own rules on the committed stock; locks and changes nothing (a draft order is taken as confirmed; line_complete: nothing of the line would wait; warehouse_id NULL: the line holds nothing; order_id NULL: 22004)';

-- ---------------------------------------------------------------------
-- crmscm.place_order(customer_id, lines jsonb, ...): an order and its lines
-- in one call, reserved before it returns
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.place_order(p_customer_id bigint, p_lines jsonb,
	p_status text DEFAULT 'confirmed', p_ship_to @extschema@.geopoint DEFAULT NULL,
	p_priority int DEFAULT NULL, p_fill_policy text DEFAULT 'backorder')
RETURNS TABLE (order_id bigint, line_no int, item_id bigint, qty numeric, unit_price numeric,
               qty_reserved numeric, qty_backordered numeric)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_tenant bigint := @extschema@.current_tenant();
	v_order bigint;
	v_ship @extschema@.geopoint;
	v_prio int;
	v_n int;
	v_bad record;
BEGIN
	IF p_customer_id IS NULL OR p_lines IS NULL THEN
		RAISE EXCEPTION 'customer_id and lines must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF p_status IS NULL OR p_status NOT IN ('draft', 'confirmed') THEN
		RAISE EXCEPTION 'status of a new order must be draft or confirmed, got %', coalesce(p_status, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF p_fill_policy IS NULL OR p_fill_policy NOT IN ('backorder', 'all_or_nothing') THEN
		RAISE EXCEPTION 'fill_policy must be backorder or all_or_nothing, got %', coalesce(p_fill_policy, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF pg_catalog.jsonb_typeof(p_lines) <> 'array' THEN
		RAISE EXCEPTION 'lines must be a JSON array of objects, got %', pg_catalog.jsonb_typeof(p_lines)
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Example: [{"item_id": 1, "qty": 2}, {"item_id": 7, "qty": 1, "warehouse_id": 2, "unit_price": 9.5}]';
	END IF;
	v_n := pg_catalog.jsonb_array_length(p_lines);
	IF v_n = 0 THEN
		RAISE EXCEPTION 'an order needs at least one line' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF v_n > 10000 THEN
		RAISE EXCEPTION 'an order placed in one call has at most 10000 lines, got %', v_n
			USING ERRCODE = 'program_limit_exceeded',
			      HINT = 'Insert larger orders as a draft, in batches of lines, then confirm it.';
	END IF;
	-- every element an object with item_id and a finite positive qty
	SELECT e.ord, e.val INTO v_bad
	  FROM pg_catalog.jsonb_array_elements(p_lines) WITH ORDINALITY AS e(val, ord)
	 WHERE pg_catalog.jsonb_typeof(e.val) <> 'object'
	    OR pg_catalog.jsonb_typeof(e.val OPERATOR(pg_catalog.->) 'item_id') IS DISTINCT FROM 'number'
	    OR coalesce(pg_catalog.jsonb_typeof(e.val OPERATOR(pg_catalog.->) 'qty'), 'missing') NOT IN ('number', 'string')
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'line % of the order must be an object with a numeric item_id and qty, got %', v_bad.ord, v_bad.val
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT e.ord, e.val OPERATOR(pg_catalog.->>) 'qty' AS q INTO v_bad
	  FROM pg_catalog.jsonb_array_elements(p_lines) WITH ORDINALITY AS e(val, ord)
	 WHERE (e.val OPERATOR(pg_catalog.->>) 'qty')::numeric IN ('NaN', 'Infinity', '-Infinity')
	    OR (e.val OPERATOR(pg_catalog.->>) 'unit_price')::numeric IN ('NaN', 'Infinity', '-Infinity')
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'line % of the order: quantities and prices must be finite numbers, got %', v_bad.ord, v_bad.q
			USING ERRCODE = 'numeric_value_out_of_range';
	END IF;

	SELECT c.location, c.priority INTO v_ship, v_prio FROM @extschema@.customers c
	 WHERE c.tenant_id OPERATOR(pg_catalog.=) v_tenant AND c.customer_id OPERATOR(pg_catalog.=) p_customer_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'customer % does not exist', p_customer_id
			USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'sales_orders_tenant_id_customer_id_fkey',
			      TABLE = 'sales_orders', SCHEMA = '@extschema@';
	END IF;

	INSERT INTO @extschema@.sales_orders AS o (tenant_id, customer_id, status, ship_to, priority, fill_policy)
	VALUES (v_tenant, p_customer_id, p_status, coalesce(p_ship_to, v_ship), coalesce(p_priority, v_prio),
	        p_fill_policy)
	RETURNING o.order_id INTO v_order;
	-- line numbers 1..n in the array's order; omitted prices are the item's
	-- (trigger "Line_defaults")
	INSERT INTO @extschema@.sales_order_lines AS l (tenant_id, order_id, line_no, item_id, qty, unit_price, warehouse_id)
	SELECT v_tenant, v_order, e.ord::int, (e.val OPERATOR(pg_catalog.->>) 'item_id')::bigint,
	       (e.val OPERATOR(pg_catalog.->>) 'qty')::numeric, (e.val OPERATOR(pg_catalog.->>) 'unit_price')::numeric,
	       (e.val OPERATOR(pg_catalog.->>) 'warehouse_id')::bigint
	  FROM pg_catalog.jsonb_array_elements(p_lines) WITH ORDINALITY AS e(val, ord)
	 ORDER BY e.ord;

	-- the pass now (this transaction keeps the inventory locks it takes)
	PERFORM @extschema@.reserve_pending();

	RETURN QUERY
	SELECT l.order_id, l.line_no, l.item_id, l.qty, l.unit_price, l.qty_reserved, l.qty_backordered
	  FROM @extschema@.sales_order_lines l
	 WHERE l.tenant_id OPERATOR(pg_catalog.=) v_tenant AND l.order_id OPERATOR(pg_catalog.=) v_order
	 ORDER BY l.line_no;
END
$$;
COMMENT ON FUNCTION @extschema@.place_order(bigint, jsonb, text, @extschema@.geopoint, int, text) IS
	'Create an order with its lines in one call ([{"item_id", "qty", "warehouse_id"?, "unit_price"?}, ...]; ship_to and priority default to the customer''s) and reserve it now: returns each line with qty_reserved and qty_backordered (runs the reservation pass, like reserve_pending(): the transaction keeps its inventory locks until it ends); customer_id, lines, status or fill_policy NULL: 22004/22023; ship_to, priority NULL: the customer''s; a line''s unit_price NULL or absent: the item''s';

-- ---------------------------------------------------------------------
-- upserts (INSERT ... ON CONFLICT DO UPDATE, as ORMs write a whole object):
-- the insert-time checks let a row with an existing row's own values through
-- (it updates that row); these AFTER INSERT triggers repeat the checks for
-- rows really inserted, in case the existing row was deleted meanwhile (for
-- purchase order lines they are the only insert-time check: they run after
-- the row policy, so they tell another tenant's role nothing)
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._line_new_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_status text;
BEGIN
	IF @extschema@._engine_writing() THEN
		RETURN NULL;
	END IF;
	SELECT o.status INTO v_status FROM @extschema@.sales_orders o
	 WHERE o.tenant_id = NEW.tenant_id AND o.order_id = NEW.order_id;
	IF v_status = 'cancelled' THEN
		RAISE EXCEPTION 'cannot add line % to order %: the order is cancelled', NEW.line_no, NEW.order_id
			USING CONSTRAINT = 'line_order_final', ERRCODE = 'check_violation';
	ELSIF v_status = 'closed' THEN
		IF NOT (NEW.qty_reserved = 0 AND NEW.qty_backordered = 0
		        AND ((NEW.status = 'shipped' AND NEW.qty_shipped = NEW.qty)
		             OR (NEW.status = 'cancelled' AND NEW.qty_shipped <= NEW.qty))) THEN
			RAISE EXCEPTION 'cannot add line % to order %: the order is closed', NEW.line_no, NEW.order_id
				USING CONSTRAINT = 'line_order_final', ERRCODE = 'check_violation';
		END IF;
	ELSE
		RAISE EXCEPTION 'new line % of order % must be open with nothing reserved, backordered or shipped', NEW.line_no, NEW.order_id
			USING CONSTRAINT = 'line_new_open', ERRCODE = 'check_violation';
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._line_new_check() IS
	'Trigger: a line really inserted that is not open with zero bookkeeping belongs to a closed order (history import)';

CREATE OR REPLACE TRIGGER sales_order_lines_new_check
	AFTER INSERT ON @extschema@.sales_order_lines
	FOR EACH ROW WHEN (NEW.status OPERATOR(pg_catalog.<>) 'open' OR NEW.qty_reserved OPERATOR(pg_catalog.<>) 0
	                   OR NEW.qty_backordered OPERATOR(pg_catalog.<>) 0 OR NEW.qty_shipped OPERATOR(pg_catalog.<>) 0)
	EXECUTE FUNCTION @extschema@._line_new_check();

CREATE OR REPLACE FUNCTION @extschema@._po_line_new_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_status text;
BEGIN
	-- FOR SHARE: the order cannot turn received or cancelled until this
	-- transaction ends (the foreign key's lock does not stop a status change)
	SELECT p.status INTO v_status FROM @extschema@.purchase_orders p
	 WHERE p.tenant_id = NEW.tenant_id AND p.po_id = NEW.po_id FOR SHARE;
	IF v_status IN ('received', 'cancelled') THEN
		RAISE EXCEPTION 'cannot add line % to purchase order %: it is %', NEW.line_no, NEW.po_id, v_status
			USING CONSTRAINT = 'po_line_order_status', ERRCODE = 'check_violation';
	END IF;
	IF NEW.qty_received <> 0 THEN
		RAISE EXCEPTION 'new purchase order line % of % must have qty_received = 0', NEW.line_no, NEW.po_id
			USING CONSTRAINT = 'po_line_new_received', ERRCODE = 'check_violation';
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._po_line_new_check() IS
	'Trigger: a purchase order line really inserted belongs to a draft or ordered purchase order and has received nothing';

CREATE OR REPLACE TRIGGER purchase_order_lines_new_check
	AFTER INSERT ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._po_line_new_check();
