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
	v_same boolean;
BEGIN
	SELECT p.status INTO v_status FROM @extschema@.purchase_orders p
	 WHERE p.tenant_id = NEW.tenant_id AND p.po_id = NEW.po_id FOR SHARE;
	IF TG_OP = 'INSERT' THEN
		-- #15: an upsert of an existing line with its own values updates that
		-- line (or fails with 23505); purchase_order_lines_new_check repeats
		-- these checks for lines really inserted
		-- (a statement of its own, planned with the values, only when it
		-- matters: Citus cannot route the generic plan of a query in a
		-- trigger on a shard, doc/citus.md)
		IF v_status IN ('received', 'cancelled') OR NEW.qty_received <> 0 THEN
			EXECUTE 'SELECT EXISTS (SELECT FROM @extschema@.purchase_order_lines x'
			        ' WHERE x.tenant_id = $1 AND x.po_id = $2 AND x.line_no = $3 AND x.qty_received = $4)'
			   INTO v_same USING NEW.tenant_id, NEW.po_id, NEW.line_no, NEW.qty_received;
			IF v_same THEN
				RETURN NEW;
			END IF;
		END IF;
		IF v_status IN ('received', 'cancelled') THEN
			RAISE EXCEPTION 'cannot add line % to purchase order %: it is %', NEW.line_no, NEW.po_id, v_status
				USING CONSTRAINT = 'po_line_order_status', ERRCODE = 'check_violation';
		END IF;
		IF NEW.qty_received <> 0 THEN
			RAISE EXCEPTION 'new purchase order line % of % must have qty_received = 0', NEW.line_no, NEW.po_id
				USING CONSTRAINT = 'po_line_new_received', ERRCODE = 'check_violation', HINT = 'Raise qty_received (or call crmscm.receive()) to receive.';
		END IF;
		RETURN NEW;
	END IF;
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
	'Trigger: validates purchase order lines against their order''s status';

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
CREATE OR REPLACE TRIGGER purchase_order_lines_check BEFORE INSERT OR UPDATE ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._po_line_before();
CREATE OR REPLACE TRIGGER "Note_purchase_line" AFTER INSERT OR UPDATE OR DELETE ON @extschema@.purchase_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._po_line_changed();
