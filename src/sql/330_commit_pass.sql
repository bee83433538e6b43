-- The commit pass (doc/orders.md): a DEFERRABLE INITIALLY DEFERRED
-- constraint trigger on every table whose changes the reservation engine or
-- the customer-lifetime bookkeeping notes.  Its first event at commit works
-- off everything the transaction noted, in one lock order: inventory rows by
-- (tenant, item, warehouse), then the lifetime bookkeeping; the later events
-- find nothing left.  crmscm.reserve_pending() does the same at once.
--
-- On order lines every update queues the pass, without a WHEN clause (one
-- is read and planned again for every statement); the events of a commit
-- after the first find nothing to do.
--
-- The triggers are named "Pass_at_commit…": after the "Lifetime_mark…" and
-- "Note…" triggers that write changes down, before the deferred foreign-key
-- triggers PostgreSQL names "RI_ConstraintTrigger…" (triggers of one event
-- fire in name order): deleting a line queues the pass before the check
-- that no reservation still refers to the line.

CREATE OR REPLACE FUNCTION @extschema@._commit_pass() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_commit_pass$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._commit_pass() IS
	'Deferred trigger: the reservation engine''s and the lifetime bookkeeping''s work of the transaction, at commit (the first event does it all)';

CREATE OR REPLACE FUNCTION @extschema@.reserve_pending() RETURNS void
	AS 'MODULE_PATHNAME', $$crmscm_reserve_pending$$
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.reserve_pending() IS
	'Do the reservation work of this transaction''s order, line and stock changes now instead of at commit (qty_reserved and qty_backordered are then final; the inventory rows stay locked until the transaction ends)';

-- The same for one tenant, and its customer-lifetime bookkeeping too:
-- everything the commit would do for it, so that its errors (40001, 40P01,
-- 23514) come at this statement with their own SQLSTATE.  On Citus the
-- commit of a transaction on one worker reports them as XX000; crmscm.
-- distribute() makes this a function routed by the tenant to the tenant's
-- node, where the notes are (doc/citus.md).  p_tenant must be the session's
-- tenant.
CREATE OR REPLACE FUNCTION @extschema@.reserve_pending(p_tenant bigint) RETURNS void
	AS 'MODULE_PATHNAME', $$crmscm_reserve_pending_tenant$$
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.reserve_pending(bigint) IS
	'Do the pending work of this transaction for tenant p_tenant (the session''s) now: reservations, then the customer-lifetime bookkeeping unless other tenants'' is pending too; on Citus, routed to the tenant''s node (call it as a statement of its own before COMMIT to get errors with their own SQLSTATE); a NULL tenant is an error (22004)';

DROP TRIGGER IF EXISTS "Pass_at_commit_ins_del" ON @extschema@.sales_order_lines;
CREATE CONSTRAINT TRIGGER "Pass_at_commit_ins_del"
	AFTER INSERT OR DELETE ON @extschema@.sales_order_lines
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@._commit_pass();
DROP TRIGGER IF EXISTS "Pass_at_commit_upd" ON @extschema@.sales_order_lines;
CREATE CONSTRAINT TRIGGER "Pass_at_commit_upd"
	AFTER UPDATE ON @extschema@.sales_order_lines
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@._commit_pass();
DROP TRIGGER IF EXISTS "Pass_at_commit_ins_del" ON @extschema@.sales_orders;
CREATE CONSTRAINT TRIGGER "Pass_at_commit_ins_del"
	AFTER INSERT OR DELETE ON @extschema@.sales_orders
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@._commit_pass();
DROP TRIGGER IF EXISTS "Pass_at_commit_upd" ON @extschema@.sales_orders;
CREATE CONSTRAINT TRIGGER "Pass_at_commit_upd"
	AFTER UPDATE ON @extschema@.sales_orders
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.customer_id IS DISTINCT FROM NEW.customer_id
		  OR OLD.ordered_at IS DISTINCT FROM NEW.ordered_at OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
		  OR OLD.order_id IS DISTINCT FROM NEW.order_id)
	EXECUTE FUNCTION @extschema@._commit_pass();
DROP TRIGGER IF EXISTS "Pass_at_commit" ON @extschema@.stock_moves;
CREATE CONSTRAINT TRIGGER "Pass_at_commit"
	AFTER INSERT ON @extschema@.stock_moves
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@._commit_pass();
DROP TRIGGER IF EXISTS "Pass_at_commit" ON @extschema@.purchase_orders;
CREATE CONSTRAINT TRIGGER "Pass_at_commit"
	AFTER UPDATE ON @extschema@.purchase_orders
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.expected_at IS DISTINCT FROM NEW.expected_at)
	EXECUTE FUNCTION @extschema@._commit_pass();
DROP TRIGGER IF EXISTS "Pass_at_commit" ON @extschema@.purchase_order_lines;
CREATE CONSTRAINT TRIGGER "Pass_at_commit"
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.purchase_order_lines
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@._commit_pass();
