-- Rules and defaults that several files use, each defined once here (#19).

-- The demand history window in days: the setting crmscm.demand_window_days,
-- whose default (365) is defined once, where the setting is registered
-- (src/reorder_settings.c).  A C function, so calling it loads the library
-- and the setting is always registered.
CREATE OR REPLACE FUNCTION @extschema@.demand_window_days() RETURNS int
	AS 'MODULE_PATHNAME', $$crmscm_demand_window_days$$
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.demand_window_days() IS
	'Days of demand history (ending yesterday) that reorder_suggestions and abc_classes() read: the setting crmscm.demand_window_days, default 365';
