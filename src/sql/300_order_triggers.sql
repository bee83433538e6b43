-- Orders and order lines: validation and the notes of the reservation engine
-- (doc/orders.md).
--
-- The stock work of a transaction's order and line changes is done at its
-- commit, in one pass, by the engine in src/reserve.c (330_commit_pass.sql).
-- The triggers below only validate a change and write it down
-- (src/reserve_notes.c); they take no inventory lock.  Bookkeeping columns
-- (inventory quantities, qty_reserved/backordered/shipped, reservations,
-- backorders) are written only by crmscm's C code: crmscm_guard() refuses
-- every other change of them (an equal value is no change).
--
-- Trigger names: crmscm's note and pass triggers are capitalised,
-- "Lifetime_mark…" and "Note…" (write a change down) and "Pass_at_commit…"
-- (work it off), because triggers of one event fire in name order: so the
-- notes of a row exist when the pass runs (also with SET CONSTRAINTS ALL
-- IMMEDIATE, where the pass runs at the end of each statement), and the
-- pass comes before PostgreSQL's deferred foreign-key checks, named
-- "RI_ConstraintTrigger…".  Lines are noted BEFORE the change, so a
-- multi-row statement's lines are all noted when its first pass runs.

CREATE OR REPLACE FUNCTION @extschema@._guard() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_guard$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._guard() IS
	'Trigger: rejects changes of tenant_id, and of the named bookkeeping columns outside crmscm''s own writes (an equal value passes)';

CREATE OR REPLACE FUNCTION @extschema@._engine_writing() RETURNS boolean
	AS 'MODULE_PATHNAME', $$crmscm_engine_writing_fn$$
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._engine_writing() IS
	'Internal: whether crmscm''s own code is writing (for the WHEN clauses of its triggers)';

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
	IF @extschema@._engine_writing() THEN
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

CREATE OR REPLACE FUNCTION @extschema@._lines_inserted() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_lines_inserted$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._lines_inserted() IS
	'Trigger: checks new lines against their orders (taken FOR SHARE) and notes the lines of confirmed orders for the commit pass';

CREATE OR REPLACE FUNCTION @extschema@._line_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_line_changed$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._line_changed() IS
	'Trigger: notes a changed or deleted line for the commit pass';

CREATE OR REPLACE TRIGGER sales_order_lines_guard
	BEFORE UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard('qty_reserved', 'qty_backordered', 'qty_shipped',
		'promised_date', 'promise_source', 'covered_on', 'customer_changed_at', 'first_shipped_at', 'last_shipped_at',
		'shipments');
CREATE OR REPLACE TRIGGER sales_order_lines_check_update
	BEFORE UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW
	WHEN (OLD.qty IS DISTINCT FROM NEW.qty OR OLD.status IS DISTINCT FROM NEW.status
	      OR OLD.item_id IS DISTINCT FROM NEW.item_id OR OLD.warehouse_id IS DISTINCT FROM NEW.warehouse_id
	      OR OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.line_no IS DISTINCT FROM NEW.line_no)
	EXECUTE FUNCTION @extschema@._line_before_update();
CREATE OR REPLACE TRIGGER "Note_line_insert"
	BEFORE INSERT ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lines_inserted();
-- (also any change of a waiting line: units set aside on its backorders
-- while another transaction held it become its reservation at commit)
CREATE OR REPLACE TRIGGER "Note_line_change"
	BEFORE UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW
	WHEN (OLD.qty IS DISTINCT FROM NEW.qty OR OLD.status IS DISTINCT FROM NEW.status
	      OR OLD.item_id IS DISTINCT FROM NEW.item_id OR OLD.warehouse_id IS DISTINCT FROM NEW.warehouse_id
	      OR OLD.qty_backordered OPERATOR(pg_catalog.<>) 0
	      OR OLD.requested_date IS DISTINCT FROM NEW.requested_date)
	EXECUTE FUNCTION @extschema@._line_changed();
CREATE OR REPLACE TRIGGER "Note_line_delete"
	BEFORE DELETE ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._line_changed();

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

CREATE OR REPLACE FUNCTION @extschema@._order_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_order_changed$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._order_changed() IS
	'Trigger: confirming an order takes its lines and notes it for the commit pass; cancelling it cancels its open lines';

CREATE OR REPLACE TRIGGER sales_orders_guard
	BEFORE UPDATE ON @extschema@.sales_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER sales_orders_check_status
	BEFORE UPDATE ON @extschema@.sales_orders
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION @extschema@._order_before_update();
CREATE OR REPLACE TRIGGER "Note_order_status"
	AFTER UPDATE ON @extschema@.sales_orders
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION @extschema@._order_changed();

-- ---------------------------------------------------------------------
-- master data and the engine's own tables: guards
-- ---------------------------------------------------------------------

CREATE OR REPLACE TRIGGER inventory_guard
	BEFORE INSERT OR UPDATE ON @extschema@.inventory
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard('on_hand', 'reserved', 'on_order', 'item_id', 'warehouse_id');
CREATE OR REPLACE TRIGGER reservations_guard
	BEFORE UPDATE ON @extschema@.reservations
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard('order_id', 'line_no', 'item_id', 'warehouse_id', 'qty');
CREATE OR REPLACE TRIGGER backorders_guard
	BEFORE UPDATE ON @extschema@.backorders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard('order_id', 'line_no', 'item_id', 'warehouse_id', 'qty', 'allocated',
		'tier', 'promised_date', 'promise_source');
CREATE OR REPLACE TRIGGER items_guard BEFORE UPDATE ON @extschema@.items
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER warehouses_guard BEFORE UPDATE ON @extschema@.warehouses
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER customers_guard BEFORE UPDATE ON @extschema@.customers
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
