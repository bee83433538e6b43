-- Order promising (issue #17, doc/synergy.md): crmscm.promise(),
-- crmscm.promise_date(), crmscm.promise_queue(), and the triggers that
-- keep the promise columns of order lines honest.  The promises of lines
-- and backorders themselves are kept by the commit pass
-- (src/promise_stage.c).

CREATE OR REPLACE FUNCTION @extschema@.promise(p_item_id bigint, p_qty numeric,
	p_ship_to @extschema@.geopoint DEFAULT NULL, p_requested_date date DEFAULT CURRENT_DATE,
	p_customer_id bigint DEFAULT NULL, p_priority int DEFAULT 0, p_warehouse_id bigint DEFAULT NULL)
RETURNS TABLE (warehouse_id bigint, qty numeric, available_on date, source text)
	AS 'MODULE_PATHNAME', $$crmscm_promise$$
	LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.promise(bigint, numeric, @extschema@.geopoint, date, bigint, int, bigint) IS
	'Time-phased available-to-promise of qty units of an item for a new order line: rows (warehouse, qty, day, source) - the stock its tier may reserve now in the warehouses nearest ship_to first (stock), then at its place in the queue of its home warehouse (the preferred one, else the nearest) as dated purchase order lines arrive (purchase) and the item''s lead time beyond them (lead_time); the queue ahead of it (order priority, the customer''s tier, age) is served first; days are UTC days, at the earliest requested_date.  NULL item_id or qty: error 22004; NULL ship_to: warehouses by id; NULL requested_date: today; NULL customer_id: tier C; NULL priority: 0; NULL warehouse_id: no preferred warehouse';

CREATE OR REPLACE FUNCTION @extschema@.promise_date(p_item_id bigint, p_qty numeric,
	p_ship_to @extschema@.geopoint DEFAULT NULL, p_requested_date date DEFAULT CURRENT_DATE,
	p_customer_id bigint DEFAULT NULL, p_priority int DEFAULT 0, p_warehouse_id bigint DEFAULT NULL)
RETURNS date LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp AS $$
	SELECT pg_catalog.max(p.available_on)
	  FROM @extschema@.promise(p_item_id, p_qty, p_ship_to, p_requested_date, p_customer_id,
							   p_priority, p_warehouse_id) p
$$;
COMMENT ON FUNCTION @extschema@.promise_date(bigint, numeric, @extschema@.geopoint, date, bigint, int, bigint) IS
	'The day the whole quantity of crmscm.promise() is covered (its latest available_on); NULL arguments as in crmscm.promise()';

CREATE OR REPLACE FUNCTION @extschema@.promise_queue(p_item_id bigint DEFAULT NULL)
RETURNS TABLE (item_id bigint, warehouse_id bigint, queue_position int, backorder_id bigint,
			   order_id bigint, line_no int, tier text, need numeric, covered_on date, source text)
	AS 'MODULE_PATHNAME', $$crmscm_promise_queue$$
	LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.promise_queue(bigint) IS
	'The backorder queues of an item (NULL: of every item) as they stand today: for each backorder its place, the units it still needs and the UTC day they are covered, and by what (stock, purchase, lead_time); a day before today: a purchase order it waits for is overdue';

-- ---------------------------------------------------------------------
-- the promise columns of order lines
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._line_promise_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	-- an ORM's upsert of an existing line: the INSERT half fires this before
	-- the conflict is found; the UPDATE half is guarded (equal values pass)
	IF EXISTS (SELECT FROM @extschema@.sales_order_lines l
			   WHERE l.tenant_id = NEW.tenant_id AND l.order_id = NEW.order_id AND l.line_no = NEW.line_no) THEN
		RETURN NEW;
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.sales_orders o
				   WHERE o.tenant_id = NEW.tenant_id AND o.order_id = NEW.order_id AND o.status = 'closed') THEN
		RAISE EXCEPTION 'new line % of order % must not carry a promise or shipments: crmscm keeps them', NEW.line_no, NEW.order_id
			USING ERRCODE = 'check_violation',
			      HINT = 'promised_date, promise_source, covered_on, customer_changed_at, first_shipped_at, last_shipped_at and shipments may be given only for lines of closed orders (history).';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._line_promise_insert() IS
	'Trigger: only lines of closed orders (history) may be inserted with a promise or shipment days';

-- SECURITY DEFINER: it asks whether crmscm's own code writes, which only
-- crmscm may (an internal function: in a WHEN clause it would run with the
-- rights of the user who updates the line)
CREATE OR REPLACE FUNCTION @extschema@._line_customer_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NOT @extschema@._engine_writing() THEN
		NEW.customer_changed_at := pg_catalog.now();
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@._line_customer_change() IS
	'Trigger: a user changed the quantity, requested date or status of a promised line (its next promise starts afresh, and OTIF names the cause)';

CREATE OR REPLACE TRIGGER sales_order_lines_promise_insert
	BEFORE INSERT ON @extschema@.sales_order_lines
	FOR EACH ROW
	WHEN (NEW.promised_date IS NOT NULL OR NEW.promise_source IS NOT NULL OR NEW.covered_on IS NOT NULL
	      OR NEW.customer_changed_at IS NOT NULL OR NEW.first_shipped_at IS NOT NULL
	      OR NEW.last_shipped_at IS NOT NULL OR NEW.shipments OPERATOR(pg_catalog.<>) 0)
	EXECUTE FUNCTION @extschema@._line_promise_insert();
-- after "Note_line_change" (triggers fire in name order), whose guard has
-- checked the user's row
CREATE OR REPLACE TRIGGER sales_order_lines_promise_change
	BEFORE UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW
	WHEN (OLD.promised_date IS NOT NULL AND OLD.status OPERATOR(pg_catalog.=) 'open'
	      AND (OLD.qty IS DISTINCT FROM NEW.qty OR OLD.requested_date IS DISTINCT FROM NEW.requested_date
	           OR OLD.status IS DISTINCT FROM NEW.status))
	EXECUTE FUNCTION @extschema@._line_customer_change();
