-- Allocation by customer value (issue #17, doc/synergy.md): the
-- triggers of crmscm.allocation_rules and crmscm.rebalance().  The tiers
-- and the fences themselves work inside the commit pass (src/allocation.c).

CREATE OR REPLACE FUNCTION @extschema@._rules_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_rules_changed$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._rules_changed() IS
	'Trigger: the shares of an item add up to at most 1; the commit pass tries the item''s backorder queues under the new rules';

CREATE OR REPLACE TRIGGER "Note_allocation_rules"
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.allocation_rules
	FOR EACH ROW EXECUTE FUNCTION @extschema@._rules_changed();
CREATE OR REPLACE TRIGGER allocation_rules_guard
	BEFORE UPDATE ON @extschema@.allocation_rules
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
DROP TRIGGER IF EXISTS "Pass_at_commit" ON @extschema@.allocation_rules;
CREATE CONSTRAINT TRIGGER "Pass_at_commit"
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.allocation_rules
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@._commit_pass();

CREATE OR REPLACE TRIGGER customer_tiers_guard
	BEFORE UPDATE ON @extschema@.customer_tiers
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();

CREATE OR REPLACE FUNCTION @extschema@.rebalance(p_item_id bigint DEFAULT NULL, p_dry_run boolean DEFAULT true)
RETURNS TABLE (item_id bigint, warehouse_id bigint, order_id bigint, line_no int, customer_id bigint, tier text,
			   reserved_before numeric, reserved_after numeric, backordered_before numeric,
			   backordered_after numeric, reason text)
	AS 'MODULE_PATHNAME', $$crmscm_rebalance$$
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.rebalance(bigint, boolean) IS
	'Move reservations of open, unshipped lines of an item (NULL: every item) so that each warehouse''s stock follows the current tiers and allocation rules (order priority, tier, order age; fences), and return what moved per line and warehouse (before, after, reason); a line that gives units up waits for them in the same warehouse. Idempotent. dry_run (the default) only reports. Locks inventory as the commit pass does and skips lines another transaction holds; call it in a transaction of its own';
