-- Bad input of the public crmscm functions that had no bad-input test in
-- their module's suite (doc/robustness.md, issue #8: test/scripts/bad_input_coverage.sh),
-- each expecting a specific SQLSTATE (doc/conventions.md, "Errors"); and the
-- NULL behaviour their COMMENT documents (test/pgtap/bad_input.sql checks
-- that the comment exists, this file that it is true).
\i test/setup.sql
SELECT plan(48);

-- ---- customer lifetime: model evaluation ----
-- (parameters: any valid model; the input is refused before it is used)
SELECT throws_ok(q, code, NULL, 'rejects: ' || q)
  FROM (VALUES
    ('SELECT crmscm.bgnbd_expected_new(crmscm.bgnbd_model(0.24, 4.41, 0.79, 2.43), -1)', '22023'),
    ('SELECT crmscm.bgnbd_expected_new(crmscm.bgnbd_model(0.24, 4.41, 0.79, 2.43), ''NaN'')', '22003'),
    ('SELECT crmscm.bgnbd_expected_new(crmscm.bgnbd_model(0.24, 4.41, 0.79, 2.43), ''Infinity'')', '22003'),
    ('SELECT crmscm.gamma_gamma_expected(crmscm.gamma_gamma_model(6.25, 3.74, 15.44), -1, 10)', '22023'),
    ('SELECT crmscm.gamma_gamma_expected(crmscm.gamma_gamma_model(6.25, 3.74, 15.44), 1, -10)', '22023'),
    ('SELECT crmscm.gamma_gamma_expected(crmscm.gamma_gamma_model(6.25, 3.74, 15.44), ''NaN'', 10)', '22003'),
    ('SELECT crmscm.gamma_gamma_expected(crmscm.gamma_gamma_model(6.25, 3.74, 15.44), 1, ''Infinity'')', '22003')
  ) v(q, code);

-- ---- lifecycle stage: negative counts/thresholds, p_alive not a probability ----
SELECT throws_ok(q, code, NULL, 'rejects: ' || q)
  FROM (VALUES
    ('SELECT crmscm.lifetime_stage(-1, DATE ''2024-01-01'', 1, DATE ''2024-02-01'')', '22023'),
    ('SELECT crmscm.lifetime_stage(1, DATE ''2024-01-01'', -1, DATE ''2024-02-01'')', '22023'),
    ('SELECT crmscm.lifetime_stage(1, DATE ''2024-01-01'', 1, DATE ''2024-02-01'', -5, 365)', '22023'),
    ('SELECT crmscm.lifetime_stage(1, DATE ''2024-01-01'', 1, DATE ''2024-02-01'', 180, 365, 1.5)', '22023'),
    ('SELECT crmscm.lifetime_stage(1, DATE ''2024-01-01'', 1, DATE ''2024-02-01'', 180, 365, -0.1)', '22023'),
    ('SELECT crmscm.lifetime_stage(1, DATE ''2024-01-01'', 1, DATE ''2024-02-01'', 180, 365, ''NaN'')', '22003')
  ) v(q, code);
-- documented NULLs: the rules that need a NULL value are skipped
SELECT is(lifetime_stage(3, DATE '2024-01-01', 1, NULL), 'repeat', 'lifetime_stage: NULL as_of skips the day rules');
SELECT is(lifetime_stage(NULL, NULL, 2, DATE '2024-02-01'), 'prospect', 'lifetime_stage: NULL purchase_days counts as 0');
SELECT is(lifetime_stage(1, DATE '2024-01-01', 1, DATE '2024-02-01', 180, 365, 0.3), 'at_risk',
          'lifetime_stage: p_alive 0.3 < 0.5 is at_risk (the valid range still works)');

-- ---- customer lifetime: bookkeeping API ----
SELECT throws_ok($$SELECT crmscm.refresh_customer_lifetime(NULL)$$, '22004', 'as_of must not be NULL',
                 'refresh_customer_lifetime: NULL as_of');
SELECT throws_ok($$SELECT crmscm.refresh_customer_lifetime('infinity')$$, '22023', 'as_of must be a finite date, got infinity',
                 'refresh_customer_lifetime: infinite as_of');
SELECT throws_ok($$SELECT crmscm.refit_models('infinity')$$, '22023', 'as_of must be a finite date, got infinity',
                 'refit_models: infinite as_of');
SELECT throws_ok($$SELECT crmscm.refit_models('-infinity')$$, '22023', NULL, 'refit_models: -infinity as_of');
SELECT lives_ok($$SELECT crmscm.lifetime_touch(NULL, NULL)$$, 'lifetime_touch: NULL tenant and customer do nothing');
SELECT is((SELECT count(*)::int FROM customer_lifetime), 0, 'lifetime_touch(NULL, NULL) wrote no row');
-- lifetime_touch is internal (REVOKE ALL FROM PUBLIC in 340_lifetime_triggers.sql):
-- a reader, who can use the schema, still cannot call it
CREATE ROLE api_bad_input_reader NOLOGIN IN ROLE crmscm_reader;
SET LOCAL ROLE api_bad_input_reader;
SELECT throws_ok($$SELECT crmscm.lifetime_touch(1, 1)$$, '42501', NULL, 'lifetime_touch: a crmscm_reader may not call it');
RESET ROLE;

-- ---- lead model training ----
SELECT throws_ok($$SELECT crmscm.lead_model_train(NULL)$$, '22004', NULL, 'lead_model_train: NULL name');
SELECT throws_ok($$SELECT crmscm.lead_model_train('m', NULL, NULL)$$, '22004', NULL, 'lead_model_train: NULL l2');
SELECT throws_ok($$SELECT crmscm.lead_model_train('m', NULL, -1)$$, '22023', NULL, 'lead_model_train: negative l2');
SELECT throws_ok($$SELECT crmscm.lead_model_train('m', NULL, 'NaN')$$, '22003', NULL, 'lead_model_train: NaN l2');
SELECT throws_ok($$SELECT crmscm.lead_model_train('m', NULL, 'Infinity')$$, '22003', NULL, 'lead_model_train: infinite l2');

-- ---- reorder points ----
SELECT throws_ok(q, code, NULL, 'rejects: ' || q)
  FROM (VALUES
    ('SELECT crmscm.eoq_cost(-1, 8, 1)', '22023'),
    ('SELECT crmscm.eoq_cost(100, 8, 0)', '22023'),
    ('SELECT crmscm.eoq_cost(''NaN'', 8, 1)', '22003'),
    ('SELECT crmscm.eoq_cost(100, ''Infinity'', 1)', '22003'),
    ('SELECT crmscm.normal_loss2(''NaN'')', '22003'),
    ('SELECT * FROM crmscm.abc_classes(NULL, 0.95)', '22023'),
    ('SELECT * FROM crmscm.abc_classes(0.8, 1.5)', '22023')
  ) v(q, code);
-- replenish() has one argument, a free-text supplier; its other input is the
-- session's tenant, which must be a positive bigint
SET LOCAL crmscm.tenant_id = 'abc';
SELECT throws_ok($$SELECT * FROM crmscm.replenish(NULL)$$, '22023', NULL, 'replenish: malformed tenant setting');
RESET crmscm.tenant_id;

-- ---- routing ----
SELECT throws_ok(q, code, NULL, 'rejects: ' || q)
  FROM (VALUES
    ('SELECT crmscm.tour_cost(''{{0,1,2},{1,0,3}}'', ''{1,2}'')', '2202E'),
    ('SELECT crmscm.tour_cost(''{{0,1},{1,0}}'', ''{1,3}'')', '22023'),
    ('SELECT crmscm.tour_cost(''{{0,1},{1,0}}'', ''{1,1}'')', '22023'),
    ('SELECT crmscm.tour_cost(''{{0,1},{1,0}}'', ''{1,NULL}'')', '22004'),
    ('SELECT crmscm.tour_cost(''{{0,1},{1,NaN}}'', ''{1,2}'')', '22003'),
    ('SELECT crmscm.tour_cost(''{{0,-1},{1,0}}'', ''{1,2}'')', '22023'),
    ('SELECT crmscm.tsp_tour(ARRAY[''(52.5,13.4)'', ''(48.1,11.6)'']::crmscm.geopoint[], NULL)', '22004'),
    ('SELECT * FROM crmscm.vrp_routes(NULL::crmscm.geopoint, ARRAY[''(52.5,13.4)'']::crmscm.geopoint[], ''{1}'', 5)', '22004')
  ) v(q, code);
SELECT is(tsp_tour(NULL::geopoint[]), NULL, 'tsp_tour: NULL points give NULL');

-- ---- delivery cost settings ----
-- #19: the settings are registered, so a bad value is refused when set
SELECT throws_ok($$SET LOCAL crmscm.delivery_speed_kmh = 'fast'$$, '22023', NULL,
                 'delivery settings: a value that is not a number is refused when set');
SELECT is(delivery_setting(NULL, 7), 7::float8, 'delivery_setting: NULL name gives default_value');
SELECT is(delivery_setting('no_such', NULL), NULL, 'delivery_setting: no such setting and NULL default_value give NULL');

SELECT * FROM finish();
ROLLBACK;
