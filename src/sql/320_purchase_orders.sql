-- Purchase orders (doc/orders.md).  The open quantity (qty - qty_received,
-- at least 0) of the lines of ordered purchase orders is inventory.on_order:
-- the commit pass recounts it for every (item, warehouse) whose purchase
-- lines or orders changed (so deleting an ordered purchase order, whose
-- lines go by cascade, leaves nothing behind).  Raising qty_received writes
-- the receipt move, which fills backorders at commit.

CREATE OR REPLACE FUNCTION @extschema@._po_line_before() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	v_status text;
BEGIN
	SELECT p.status INTO v_status FROM @extschema@.purchase_orders p
	 WHERE p.tenant_id = NEW.tenant_id AND p.po_id = NEW.po_id FOR SHARE;
	IF NEW.po_id <> OLD.po_id OR NEW.line_no <> OLD.line_no THEN
		RAISE EXCEPTION 'cannot move line % of purchase order %', OLD.line_no, OLD.po_id
			USING CONSTRAINT = 'po_line_key_fixed', ERRCODE = 'integrity_constraint_violation';
	END IF;
	IF NEW.qty_received < OLD.qty_received THEN
		RAISE EXCEPTION 'qty_received of purchase order line %/% cannot go down (% -> %)', OLD.po_id, OLD.line_no, OLD.qty_received, NEW.qty_received
			USING CONSTRAINT = 'po_received_decrease', ERRCODE = 'check_violation', HINT = 'Write a negative adjustment move for returns.';
	END IF;
	IF NEW.qty_received > OLD.qty_received AND v_status <> 'ordered' THEN
		RAISE EXCEPTION 'cannot receive on purchase order %: it is %', OLD.po_id, v_status
			USING CONSTRAINT = 'po_receive_status', ERRCODE = 'check_violation';
	END IF;
	IF v_status <> 'draft' AND (NEW.item_id <> OLD.item_id OR NEW.warehouse_id <> OLD.warehouse_id) THEN
		RAISE EXCEPTION 'cannot change item or warehouse of line % of purchase order %: it is %', OLD.line_no, OLD.po_id, v_status
			USING CONSTRAINT = 'po_line_item_fixed', ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._po_line_before() IS
	'Trigger: validates changes of purchase order lines against their order''s status (new lines: _po_line_new_check)';

CREATE OR REPLACE FUNCTION @extschema@._po_before_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NOT ((OLD.status = 'draft' AND NEW.status IN ('ordered', 'cancelled'))
	        OR (OLD.status = 'ordered' AND NEW.status IN ('received', 'cancelled'))) THEN
		RAISE EXCEPTION 'cannot change status of purchase order % from % to %', OLD.po_id, OLD.status, NEW.status
			USING CONSTRAINT = 'po_status_transition', ERRCODE = 'check_violation',
			      HINT = 'draft -> ordered | cancelled; ordered -> received | cancelled.';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._po_before_update() IS
	'Trigger: validates purchase order status transitions';

CREATE OR REPLACE FUNCTION @extschema@._po_line_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_po_line_changed$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._po_line_changed() IS
	'Trigger: raising qty_received writes the receipt move; on order of the line''s item and warehouse is recounted at commit';

CREATE OR REPLACE FUNCTION @extschema@._po_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_po_changed$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._po_changed() IS
	'Trigger: a purchase order''s status or expected date change recounts on order of its lines at commit (and so moves the promises that rest on them)';

CREATE OR REPLACE TRIGGER purchase_orders_guard BEFORE UPDATE ON @extschema@.purchase_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
CREATE OR REPLACE TRIGGER purchase_orders_check_status BEFORE UPDATE ON @extschema@.purchase_orders
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION @extschema@._po_before_update();
CREATE OR REPLACE TRIGGER "Note_purchase_status" AFTER UPDATE ON @extschema@.purchase_orders
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.expected_at IS DISTINCT FROM NEW.expected_at)
	EXECUTE FUNCTION @extschema@._po_changed();
CREATE OR REPLACE TRIGGER purchase_order_lines_guard BEFORE UPDATE ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
-- UPDATE only: a new line is checked against its order's status after the
-- row policy, by purchase_order_lines_new_check (336_order_application.sql,
-- an AFTER trigger that also locks the order); a BEFORE trigger runs before
-- the policy, so a check here would tell a role of another tenant whether
-- that tenant's purchase order exists and its status.  An upsert of an
-- existing line goes on to its UPDATE, checked here.
CREATE OR REPLACE TRIGGER purchase_order_lines_check BEFORE UPDATE ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._po_line_before();
CREATE OR REPLACE TRIGGER "Note_purchase_line" AFTER INSERT OR UPDATE OR DELETE ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._po_line_changed();
