-- Settings (#19): every crmscm.* setting the code or SQL reads is registered
-- in _PG_init and the prefix crmscm is reserved (src/crmscm.c); the rules
-- and defaults of src/sql/030_rules.sql are defined once and inlined.
-- Expected defaults: those 0.2.0 wrote into its SQL (demand window 365 days,
-- delivery 50 km/h, 1 per km, 0 per hour, 0 per stop, 0 service minutes,
-- 2000 ms) and the README of 0.3.0 (tenant unset, reorder_events off,
-- max_fit_memory 1 GB); expected amounts worked by hand from the purchase
-- rule of the README ("Customer lifetime").  Sessions, database and role
-- defaults: test/scripts/settings_sessions.sh.
\i test/setup.sql
SELECT plan(44);

-- ---- the registered settings ----
SELECT results_eq(
	$$SELECT name, vartype, context, boot_val, min_val, max_val FROM pg_settings
	   WHERE name LIKE 'crmscm.%' ORDER BY name$$,
	$$VALUES ('crmscm.delivery_cost_per_hour', 'real', 'user', '0', '0', '1.79769e+308'),
			 ('crmscm.delivery_cost_per_km', 'real', 'user', '1', '0', '1.79769e+308'),
			 ('crmscm.delivery_cost_per_stop', 'real', 'user', '0', '0', '1.79769e+308'),
			 ('crmscm.delivery_service_minutes', 'real', 'user', '0', '0', '1.79769e+308'),
			 ('crmscm.delivery_speed_kmh', 'real', 'user', '50', '0', '1.79769e+308'),
			 ('crmscm.delivery_time_limit_ms', 'integer', 'user', '2000', '1', '2147483647'),
			 ('crmscm.demand_history_days', 'integer', 'superuser', '400', '1', '36600'),
			 ('crmscm.demand_window_days', 'integer', 'user', '365', '1', '36600'),
			 ('crmscm.internal', 'bool', 'user', 'off', NULL, NULL),
			 ('crmscm.lead_time_shrinkage', 'real', 'user', '5', '0', '1e+09'),
			 ('crmscm.max_fit_memory', 'integer', 'superuser', '1048576', '64', '2147483647'),
			 ('crmscm.max_promise_queue', 'integer', 'user', '1000000', '1', '2147483647'),
			 ('crmscm.otif_tolerance_days', 'integer', 'user', '0', '0', '365'),
			 ('crmscm.reorder_events', 'bool', 'user', 'off', NULL, NULL),
			 ('crmscm.tenant_id', 'string', 'user', '', NULL, NULL)$$,
	'every crmscm setting is registered, with its type, context, default and bounds');

-- ---- the reserved prefix ----
SELECT throws_ok($$SET crmscm.tenant = '1'$$, '42602', NULL,
				 'SET of an unknown crmscm setting (a misspelt tenant_id) is refused: 42602');
SELECT throws_ok($$SELECT set_config('crmscm.demand_window', '30', true)$$, '42602', NULL,
				 'set_config of an unknown crmscm setting is refused: 42602');
SELECT throws_ok($$ALTER ROLE CURRENT_USER SET crmscm.no_such_setting = 1$$, '42602', NULL,
				 'ALTER ROLE ... SET of an unknown crmscm setting is refused: 42602');
SELECT is(current_setting('crmscm.no_such_setting', true), NULL,
		  'current_setting(unknown, missing_ok) is NULL, and creates nothing');
SELECT throws_ok($$SHOW crmscm.no_such_setting$$, '42704', NULL, 'SHOW of an unknown crmscm setting: 42704');
SELECT lives_ok($$SET LOCAL other_prefix.anything = 'x'$$, 'other prefixes are untouched');

-- ---- values checked when they are set ----
SELECT throws_ok($$SET LOCAL crmscm.delivery_speed_kmh = 'fast'$$, '22023', NULL,
				 'a delivery setting that is not a number is refused when set (22023)');
SELECT throws_ok($$SET LOCAL crmscm.delivery_cost_per_km = 'NaN'$$, '22023', NULL, 'NaN is refused');
SELECT throws_ok($$SET LOCAL crmscm.delivery_cost_per_km = 'Infinity'$$, '22023', NULL, 'Infinity is refused');
SELECT throws_ok($$SET LOCAL crmscm.delivery_cost_per_stop = -1$$, '22023', NULL, 'a negative cost is refused');
SELECT throws_ok($$SET LOCAL crmscm.delivery_time_limit_ms = 0$$, '22023', NULL, 'a time limit of 0 ms is refused');
SELECT throws_ok($$SET LOCAL crmscm.demand_window_days = 0$$, '22023', NULL, 'a demand window of 0 days is refused');
SELECT throws_ok($$SET LOCAL crmscm.reorder_events = 'perhaps'$$, '22023', NULL, 'a bool setting takes a bool');

-- ---- the readers ----
SELECT is(demand_window_days(), 365, 'demand_window_days(): 365 by default');
SET LOCAL crmscm.demand_window_days = 30;
SELECT is(demand_window_days(), 30, 'demand_window_days() follows the setting');
RESET crmscm.demand_window_days;
SELECT is(delivery_setting('speed_kmh', NULL), 50::float8, 'delivery_setting(speed_kmh): the registered default 50');
SELECT is(delivery_setting('time_limit_ms', NULL), 2000::float8, 'delivery_setting(time_limit_ms): 2000');
SET LOCAL crmscm.delivery_speed_kmh = 70;
SELECT is(delivery_setting('speed_kmh', 5), 70::float8, 'delivery_setting follows the setting, not default_value');
RESET crmscm.delivery_speed_kmh;
SELECT is(delivery_setting('no_such', 7), 7::float8, 'delivery_setting of no such setting: default_value');
SELECT is(delivery_setting(NULL, 7), 7::float8, 'delivery_setting(NULL name): default_value');
SELECT is(delivery_setting('no_such', NULL), NULL, 'no such setting and no default_value: NULL');
SELECT throws_ok($$SELECT crmscm.delivery_setting('no_such', 'NaN')$$, '22003', NULL,
				 'a NaN default_value: 22003');

-- ---- the legacy flag of 0.1.0 and 0.2.0 functions ----
CREATE FUNCTION pg_temp.legacy_style() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_catalog.set_config('crmscm.internal', 'on', true);
	RETURN pg_catalog.current_setting('crmscm.internal', true);
END $$;
SELECT is(pg_temp.legacy_style(), 'on', 'set_config(crmscm.internal) as 0.1.0 and 0.2.0 functions do it still works');
CREATE FUNCTION pg_temp.legacy_proconfig() RETURNS text LANGUAGE sql SET crmscm.internal = 'on'
	AS $$ SELECT pg_catalog.current_setting('crmscm.internal') $$;
SELECT is(pg_temp.legacy_proconfig(), 'on', 'and so does a function with SET crmscm.internal');

-- ---- as a reader (SET ROLE; real logins: test/scripts/settings_sessions.sh) ----
CREATE ROLE settings_reader LOGIN IN ROLE crmscm_reader;
SET ROLE settings_reader;
SELECT throws_ok($$SET LOCAL crmscm.tenant = '2'$$, '42602', NULL, 'a reader: unknown crmscm setting refused (42602)');
SELECT throws_ok($$SET LOCAL crmscm.max_fit_memory = '10GB'$$, '42501', NULL,
				 'a reader cannot raise crmscm.max_fit_memory (42501)');
SELECT lives_ok($$SET LOCAL crmscm.demand_window_days = 10$$, 'a reader sets its demand window');
SELECT is(demand_window_days(), 10, 'and reads it');
RESET ROLE;

-- ---- the rules: values (hand-worked), and the planner inlines them ----
SELECT results_eq(
	$$SELECT _po_line_open_qty(q, r) FROM (VALUES (5, 2), (2, 5), (5, 5), (0.5, 0)) v(q, r)$$,
	$$VALUES (3::numeric), (0), (0), (0.5)$$,
	'_po_line_open_qty: what is left to receive, never negative');
SELECT results_eq(
	$$SELECT _sales_line_counts(o, l), _sales_line_amount(o, l, 3, 1, 2), _sales_line_shipped_amount(o, l, 1, 2)
	    FROM (VALUES ('confirmed', 'open'), ('confirmed', 'shipped'), ('confirmed', 'cancelled'),
	                 ('closed', 'shipped'), ('closed', 'open'), ('draft', 'open'), ('cancelled', 'open'),
	                 ('confirmed', NULL), (NULL, 'open')) v(o, l)$$,
	$$VALUES (true, 6::numeric, 2::numeric), (true, 6, 2), (false, 0, 0),
	         (true, 2, 2), (false, 0, 0), (false, 0, 0), (false, 0, 0), (false, 0, 0), (false, 0, 0)$$,
	'the purchase rule: confirmed lines count qty * price, closed shipped lines qty_shipped * price, others (a NULL status too) nothing');

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t text := ''; r record;
BEGIN
	FOR r IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
	RETURN t;
END $$;
SELECT ok(pg_temp.plan_text('SELECT crmscm._po_line_open_qty(qty, qty_received) FROM crmscm.purchase_order_lines')
		  ~ 'GREATEST'
		  AND pg_temp.plan_text('SELECT crmscm._po_line_open_qty(qty, qty_received) FROM crmscm.purchase_order_lines')
		  !~ '_po_line_open_qty',
		  '_po_line_open_qty is inlined (the plan shows GREATEST, not the call)');
SELECT ok(pg_temp.plan_text('SELECT crmscm._sales_line_shipped_amount(o.status, l.status, l.qty_shipped, l.unit_price)
							   FROM crmscm.sales_orders o JOIN crmscm.sales_order_lines l USING (tenant_id, order_id)
							  WHERE crmscm._sales_line_counts(o.status, l.status)')
		  !~ '_sales_line',
		  '_sales_line_counts and _sales_line_shipped_amount (which calls it) are inlined');
SET LOCAL ROLE settings_reader;
SELECT ok(pg_temp.plan_text('SELECT crmscm._po_line_open_qty(qty, qty_received) FROM crmscm.purchase_order_lines')
		  !~ '_po_line_open_qty',
		  'inlined for a reader too (crmscm_reader may execute the rules)');
RESET ROLE;
SELECT is(array_agg(p.proname::text ORDER BY 1), NULL, 'no role outside crmscm''s groups may execute the rules')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.prosqlbody IS NOT NULL
   AND EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
			   WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE');
CREATE FUNCTION public.settings_trap_minus(numeric, numeric) RETURNS numeric LANGUAGE sql AS 'SELECT -1::numeric';
CREATE OPERATOR public.- (leftarg = numeric, rightarg = numeric, function = public.settings_trap_minus);
SET LOCAL search_path = public, pg_catalog;
SELECT is(5::numeric - 2::numeric, -1::numeric, 'control: an unqualified numeric - now calls the planted operator');
SELECT is(crmscm._po_line_open_qty(5, 2), 3::numeric,
		  'the body was resolved at CREATE: an operator planted on the search_path changes nothing');
SET LOCAL search_path = crmscm, public;
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'crmscm'::regnamespace AND prosqlbody IS NOT NULL
			 AND proconfig IS NULL AND NOT prosecdef AND proname LIKE '\_%'), 6,
		  'six inlinable helpers, without SET search_path and not SECURITY DEFINER');

-- ---- the lifecycle defaults (180 / 365 days, README "Customer lifetime") ----
SELECT results_eq($$SELECT _at_risk_days(NULL), _churn_days(NULL), _at_risk_days(7), _churn_days(0)$$,
				  $$VALUES (180, 365, 7, 0)$$, 'lifecycle thresholds: 180 and 365 when NULL, else the value');
INSERT INTO lifetime_models (tenant_id) VALUES (4242);
SELECT results_eq($$SELECT at_risk_days, churn_days FROM lifetime_models WHERE tenant_id = 4242$$,
				  $$VALUES (180, 365)$$, 'a new lifetime_models row gets them');
SELECT is(lifetime_stage(1, '2026-01-01', 1, '2026-07-01'), 'at_risk',
		  'lifetime_stage() without thresholds: 181 days after the purchase, at risk');
SELECT is(lifetime_stage(1, '2026-01-01', 1, '2026-06-30'), 'customer', '... after 180 days still a customer');
-- (the defaults are evaluated with the caller's rights: crmscm's roles may
-- execute the helpers, as they may use the schema; PUBLIC may do neither)
SET LOCAL ROLE settings_reader;
SELECT is(lifetime_stage(1, '2025-01-01', 1, '2026-01-02'), 'churned',
		  'a reader calls it with the defaults too (366 days: churned)');
RESET ROLE;
SELECT ok(pg_temp.plan_text('SELECT crmscm._at_risk_days(at_risk_days) FROM crmscm.lifetime_models') !~ '_at_risk_days',
		  '_at_risk_days is inlined');

SELECT * FROM finish();
ROLLBACK;
