-- Rules and defaults that several files use, each defined once here (#19).
--
-- The rules are SQL functions with an SQL-standard body (RETURN ...): the
-- body is parsed when the function is created, with every name and operator
-- qualified, so it does not depend on the caller's search_path, and the
-- planner inlines it into the calling query (a call costs nothing, and an
-- index or a filter sees the expression).  SET search_path would stop the
-- inlining, so these functions have none (doc/conventions.md asks it of
-- functions whose body is a string; test/scripts/security_lint.sh exempts
-- SQL-standard bodies).  Named with '_': no part of the public API;
-- apply_security() lets crmscm_reader execute them (reader_functions), as
-- the views that call them run with the reader's rights and the planner
-- inlines a function only for a caller who may execute it.

-- Open quantity of a purchase order line: what is still to be received.
CREATE OR REPLACE FUNCTION @extschema@._po_line_open_qty(qty numeric, qty_received numeric)
	RETURNS numeric
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN GREATEST(qty OPERATOR(pg_catalog.-) qty_received, 0::numeric);
COMMENT ON FUNCTION @extschema@._po_line_open_qty(numeric, numeric) IS
	'Open quantity of a purchase order line: greatest(qty - qty_received, 0); inlined';

-- Whether a sales order line counts as a purchase under its order's status:
-- a confirmed order's lines that are not cancelled, a closed (historic)
-- order's shipped lines (README "Customer lifetime").
CREATE OR REPLACE FUNCTION @extschema@._sales_line_counts(order_status text, line_status text)
	RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN COALESCE((order_status OPERATOR(pg_catalog.=) 'confirmed' AND line_status OPERATOR(pg_catalog.<>) 'cancelled')
		OR (order_status OPERATOR(pg_catalog.=) 'closed' AND line_status OPERATOR(pg_catalog.=) 'shipped'), false);
COMMENT ON FUNCTION @extschema@._sales_line_counts(text, text) IS
	'Does a sales order line count as a purchase: confirmed order and line not cancelled, or closed order and line shipped; false for a NULL status (a line that is gone); inlined';

-- What such a line counts for: qty * unit_price while the order is
-- confirmed, qty_shipped * unit_price once it is closed; 0 when the line
-- does not count.
CREATE OR REPLACE FUNCTION @extschema@._sales_line_amount(order_status text, line_status text,
		qty numeric, qty_shipped numeric, unit_price numeric)
	RETURNS numeric
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN CASE WHEN order_status OPERATOR(pg_catalog.=) 'confirmed' AND line_status OPERATOR(pg_catalog.<>) 'cancelled'
				THEN qty OPERATOR(pg_catalog.*) unit_price
				WHEN order_status OPERATOR(pg_catalog.=) 'closed' AND line_status OPERATOR(pg_catalog.=) 'shipped'
				THEN qty_shipped OPERATOR(pg_catalog.*) unit_price
				ELSE 0::numeric END;
COMMENT ON FUNCTION @extschema@._sales_line_amount(text, text, numeric, numeric, numeric) IS
	'Purchase amount of a sales order line: qty * unit_price (confirmed order, line not cancelled), qty_shipped * unit_price (closed order, line shipped), else 0; inlined';

-- The shipped part of it: qty_shipped * unit_price of a line that counts.
CREATE OR REPLACE FUNCTION @extschema@._sales_line_shipped_amount(order_status text, line_status text,
		qty_shipped numeric, unit_price numeric)
	RETURNS numeric
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN CASE WHEN @extschema@._sales_line_counts(order_status, line_status)
				THEN qty_shipped OPERATOR(pg_catalog.*) unit_price
				ELSE 0::numeric END;
COMMENT ON FUNCTION @extschema@._sales_line_shipped_amount(text, text, numeric, numeric) IS
	'Shipped amount of a sales order line that counts as a purchase (crmscm._sales_line_counts): qty_shipped * unit_price, else 0; inlined';

-- The lifecycle thresholds of a tenant without a lifetime_models row (and
-- the defaults of lifetime_models and lifetime_stage()): at risk after 180
-- days without a purchase, churned after 365 (README "Customer lifetime").
CREATE OR REPLACE FUNCTION @extschema@._at_risk_days(at_risk_days int)
	RETURNS int
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN COALESCE(at_risk_days, 180);
COMMENT ON FUNCTION @extschema@._at_risk_days(int) IS
	'Days without a purchase after which a customer is at risk: the argument, or the default 180 when it is NULL; inlined';
CREATE OR REPLACE FUNCTION @extschema@._churn_days(churn_days int)
	RETURNS int
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN COALESCE(churn_days, 365);
COMMENT ON FUNCTION @extschema@._churn_days(int) IS
	'Days without a purchase after which a customer has churned: the argument, or the default 365 when it is NULL; inlined';

-- The demand history window in days: the setting crmscm.demand_window_days,
-- whose default (365) is defined once, where the setting is registered
-- (src/reorder_settings.c).  A C function, so calling it loads the library
-- and the setting is always registered.
CREATE OR REPLACE FUNCTION @extschema@.demand_window_days() RETURNS int
	AS 'MODULE_PATHNAME', $$crmscm_sql_demand_window_days$$
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.demand_window_days() IS
	'Days of demand history (ending yesterday) that reorder_suggestions and abc_classes() read: the setting crmscm.demand_window_days, default 365';
