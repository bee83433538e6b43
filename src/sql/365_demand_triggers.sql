-- Demand state kept at commit, statement time (issue #18,
-- doc/replenishment.md; src/demand_state.c): every change of an order line,
-- and of an order's status or day, writes down what the lines counted for
-- before; the commit pass (330_commit_pass.sql) books the difference into
-- demand_days and demand_state after the inventory rows, against what
-- demand_orders says each order was booked under.

CREATE OR REPLACE FUNCTION @extschema@._demand_line_noted() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_demand_line_noted$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._demand_line_noted() IS
	'Trigger: an order line changed; what it counted for as demand is booked against what it counts for at commit';

CREATE OR REPLACE FUNCTION @extschema@._demand_order_noted() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_demand_order_noted$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._demand_order_noted() IS
	'Trigger: an order''s status or day changed (or it was deleted); its lines'' demand is booked again at commit';

CREATE OR REPLACE TRIGGER "Note_demand_line"
	AFTER INSERT OR DELETE ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._demand_line_noted();
CREATE OR REPLACE TRIGGER "Note_demand_line_upd"
	AFTER UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW
	WHEN (OLD.qty IS DISTINCT FROM NEW.qty OR OLD.unit_price IS DISTINCT FROM NEW.unit_price
		  OR OLD.status IS DISTINCT FROM NEW.status OR OLD.item_id IS DISTINCT FROM NEW.item_id
		  OR OLD.warehouse_id IS DISTINCT FROM NEW.warehouse_id)
	EXECUTE FUNCTION @extschema@._demand_line_noted();
CREATE OR REPLACE TRIGGER "Note_demand_order"
	AFTER DELETE ON @extschema@.sales_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._demand_order_noted();
CREATE OR REPLACE TRIGGER "Note_demand_order_upd"
	AFTER UPDATE ON @extschema@.sales_orders
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.ordered_at IS DISTINCT FROM NEW.ordered_at)
	EXECUTE FUNCTION @extschema@._demand_order_noted();

-- TRUNCATE removes every line of every tenant: no demand is left
CREATE OR REPLACE FUNCTION @extschema@._demand_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	DELETE FROM @extschema@.demand_orders;
	DELETE FROM @extschema@.demand_days;
	DELETE FROM @extschema@.demand_state;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._demand_truncated() IS
	'Trigger: after TRUNCATE of sales_orders or sales_order_lines, no demand is left';
CREATE OR REPLACE TRIGGER demand_truncate_orders
	AFTER TRUNCATE ON @extschema@.sales_orders
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._demand_truncated();
CREATE OR REPLACE TRIGGER demand_truncate_lines
	AFTER TRUNCATE ON @extschema@.sales_order_lines
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._demand_truncated();

-- reading the kept state, and building it
CREATE OR REPLACE FUNCTION @extschema@._demand_window(series bytea, anchor date, series_from date,
		days date[], qty float8[], revenue float8[], start_day date, end_day date, alpha float8)
	RETURNS @extschema@._demand_window
	AS 'MODULE_PATHNAME', $$crmscm_demand_window$$
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._demand_window(bytea, date, date, date[], float8[], float8[], date, date, float8) IS
	'Internal: demand_class of the window start_day..end_day from a kept series (when series_from <= start_day) and the demand_days given (those after anchor; all of the window otherwise), with its revenue';

CREATE OR REPLACE FUNCTION @extschema@._demand_pack_accum(internal, day date, qty float8, revenue float8)
	RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_pack_accum$$ LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION @extschema@._demand_pack_accum(internal, date, float8, float8) IS
	'Internal: transition function of _demand_pack';
CREATE OR REPLACE FUNCTION @extschema@._demand_pack_final(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_demand_pack_final$$ LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION @extschema@._demand_pack_final(internal) IS
	'Internal: final function of _demand_pack';
CREATE OR REPLACE AGGREGATE @extschema@._demand_pack(day date, qty float8, revenue float8) (
	SFUNC = @extschema@._demand_pack_accum, STYPE = internal,
	FINALFUNC = @extschema@._demand_pack_final
);
COMMENT ON AGGREGATE @extschema@._demand_pack(date, float8, float8) IS
	'Internal: the packed demand series of the rows (ORDER BY day; days with no units and no revenue left out)';
