-- Supplier performance, statement time (issue #18, doc/replenishment.md;
-- src/supplier_stats.c): purchase orders record when they were placed, lines
-- when they were received, and every receipt is written down for the commit
-- pass, which books it into purchase_receipts, purchase_line_outcomes and
-- supplier_stats after the inventory rows (330_commit_pass.sql).

CREATE OR REPLACE FUNCTION @extschema@._po_ordered_at() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_po_ordered_at$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._po_ordered_at() IS
	'Trigger: a purchase order that turns ordered gets ordered_at = now() unless it has one';

CREATE OR REPLACE FUNCTION @extschema@._po_received_at() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_po_received_at$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._po_received_at() IS
	'Trigger: raising qty_received sets received_at = now() unless the same update sets it';

CREATE OR REPLACE FUNCTION @extschema@._po_receipt_noted() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_po_receipt_noted$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._po_receipt_noted() IS
	'Trigger: a rise of qty_received is a receipt, booked into the supplier statistics at commit';

CREATE OR REPLACE FUNCTION @extschema@._po_closed_noted() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_po_closed_noted$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._po_closed_noted() IS
	'Trigger: an ordered purchase order that ends (received or cancelled) decides the on-time-in-full outcome of its short lines at commit';

CREATE OR REPLACE TRIGGER purchase_orders_ordered_at
	BEFORE INSERT OR UPDATE OF status ON @extschema@.purchase_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._po_ordered_at();
CREATE OR REPLACE TRIGGER purchase_order_lines_received_at
	BEFORE UPDATE ON @extschema@.purchase_order_lines
	FOR EACH ROW WHEN (NEW.qty_received > OLD.qty_received)
	EXECUTE FUNCTION @extschema@._po_received_at();
CREATE OR REPLACE TRIGGER "Note_receipt"
	AFTER UPDATE ON @extschema@.purchase_order_lines
	FOR EACH ROW WHEN (NEW.qty_received > OLD.qty_received)
	EXECUTE FUNCTION @extschema@._po_receipt_noted();
CREATE OR REPLACE TRIGGER "Note_purchase_closed"
	AFTER UPDATE ON @extschema@.purchase_orders
	FOR EACH ROW WHEN (OLD.status = 'ordered' AND NEW.status IN ('received', 'cancelled'))
	EXECUTE FUNCTION @extschema@._po_closed_noted();
