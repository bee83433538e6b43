-- Stock moves: the ledger on hand is the sum of (doc/orders.md).  Receipts
-- and adjustments are noted here and applied to inventory by the commit
-- pass, which also fills the backorders they can; shipments come only from
-- crmscm.ship().

CREATE OR REPLACE FUNCTION @extschema@._move_inserted() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_move_inserted$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._move_inserted() IS
	'Trigger: notes a receipt or adjustment for the commit pass; refuses shipment moves not written by crmscm.ship()';

CREATE OR REPLACE FUNCTION @extschema@._moves_immutable() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	-- #15: writing a move's own values back (an ORM's whole-object save)
	-- changes nothing; the row keeps its stored values
	IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'stock moves are a ledger: they cannot be updated or deleted'
		USING CONSTRAINT = 'stock_moves_ledger', ERRCODE = 'check_violation',
		      HINT = 'Write a correcting adjustment move instead.';
END
$$;
COMMENT ON FUNCTION @extschema@._moves_immutable() IS
	'Trigger: stock moves are append-only';

CREATE OR REPLACE TRIGGER "Note_stock_move"
	AFTER INSERT ON @extschema@.stock_moves
	FOR EACH ROW EXECUTE FUNCTION @extschema@._move_inserted();
CREATE OR REPLACE TRIGGER stock_moves_append_only
	BEFORE UPDATE OR DELETE ON @extschema@.stock_moves
	FOR EACH ROW EXECUTE FUNCTION @extschema@._moves_immutable();
CREATE OR REPLACE TRIGGER stock_moves_guard
	BEFORE INSERT ON @extschema@.stock_moves
	FOR EACH ROW EXECUTE FUNCTION @extschema@._guard();
