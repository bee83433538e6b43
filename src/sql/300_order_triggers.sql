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
	AS 'MODULE_PATHNAME', $$crmscm_line_update$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._line_before_update() IS
	'Trigger: guards the columns crmscm maintains, validates a change of an order line, notes it for the commit pass';

CREATE OR REPLACE FUNCTION @extschema@._lines_inserted() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_lines_inserted$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._lines_inserted() IS
	'Trigger: checks new lines against their orders (taken FOR SHARE) and notes the lines of confirmed orders for the commit pass';

CREATE OR REPLACE FUNCTION @extschema@._line_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_line_changed$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._line_changed() IS
	'Trigger: notes a deleted line that held stock for the commit pass';

CREATE OR REPLACE TRIGGER "Note_line_insert"
	BEFORE INSERT ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lines_inserted();
-- every update (no WHEN clause: the C function decides, src/reserve_notes.c)
CREATE OR REPLACE TRIGGER "Note_line_change"
	BEFORE UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._line_before_update();
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
			USING CONSTRAINT = 'order_status_transition', ERRCODE = 'check_violation',
			      HINT = 'draft -> confirmed | cancelled; confirmed -> cancelled | closed.';
	END IF;
	IF NEW.status = 'closed' AND EXISTS (
		SELECT 1 FROM @extschema@.sales_order_lines l
		 WHERE l.tenant_id = OLD.tenant_id AND l.order_id = OLD.order_id AND l.status = 'open') THEN
		RAISE EXCEPTION 'cannot close order %: it has open lines', OLD.order_id
			USING CONSTRAINT = 'order_close_open_lines', ERRCODE = 'check_violation',
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
