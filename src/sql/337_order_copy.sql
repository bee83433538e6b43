-- The order's customer and status kept on its lines (#17, src/order_copy.c,
-- doc/synergy.md): sales_order_lines.customer_id and order_status, so that
-- delivery_performance reads the lines alone.  Set when a line is inserted
-- (from its order, taken FOR SHARE) and when the order's status or customer
-- changes; guarded like the engine's other columns of the line.  Both
-- triggers fire under session_replication_role = replica too (imports).

CREATE OR REPLACE FUNCTION @extschema@._line_order() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_line_order$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._line_order() IS
	'Trigger: a new line gets its order''s customer_id and status (customer_id, order_status); under replica a row that states both keeps them';

CREATE OR REPLACE FUNCTION @extschema@._order_to_lines() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_order_to_lines$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._order_to_lines() IS
	'Trigger: an order whose status or customer changed passes them to its lines (customer_id, order_status)';

-- "Line_order" sorts after "Line_defaults" and before the notes
CREATE OR REPLACE TRIGGER "Line_order"
	BEFORE INSERT ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._line_order();
ALTER TABLE @extschema@.sales_order_lines ENABLE ALWAYS TRIGGER "Line_order";

CREATE OR REPLACE TRIGGER "Order_to_lines"
	AFTER UPDATE OF status, customer_id ON @extschema@.sales_orders
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.customer_id IS DISTINCT FROM NEW.customer_id)
	EXECUTE FUNCTION @extschema@._order_to_lines();
ALTER TABLE @extschema@.sales_orders ENABLE ALWAYS TRIGGER "Order_to_lines";
