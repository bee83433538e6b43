-- Customer lifetime models on CDNOW (issue #5).  Sources of every expected number:
--  * data/cdnow/cdnow_customers_summary_with_transactions.csv: lifetimes' CDNOW summary
--    (x, t_x, T in weeks, zbar) that rfm_summary must reproduce from the event log;
--  * Fader, Hardie & Lee (2005) and lifetimes' tests: BG/NBD r 0.2426, alpha 4.4135,
--    a 0.7929, b 2.4258, LL -9582.43; Gamma-Gamma 6.2488 / 3.7446 / 15.4476 (Hardie
--    note 025: 6.25 / 3.74 / 15.44); lifetimes' test_estimation.py predictions;
--  * BTYD vignette (R package BTYD, "Buy 'Til You Die - A Walkthrough"), with its own
--    parameter estimates 0.2425982 / 4.4136842 / 0.7929899 / 2.4261337;
--  * test/data/lifetime/reference.csv: written by test/data/lifetime/reference.py, which
--    implements the published formulas independently (SciPy MLE, mpmath hyp2f1 at 30
--    digits, the finite sum of FHL eq. 8, lifetimes' CLV loop).
\i test/setup.sql
SELECT plan(87);

CREATE TEMP TABLE elog (masterid int, sampleid int, date text, cds int, sales float8);
\copy elog FROM 'data/cdnow/cdnowElog.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE cbs (id int, x float8, t_x float8, t float8, zbar float8);
\copy cbs FROM 'data/cdnow/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE ref (name text PRIMARY KEY, value float8);
\copy ref FROM 'test/data/lifetime/reference.csv' WITH (FORMAT csv, HEADER true)
-- single evaluations (each its own query, so its own function cache) for the memo test
CREATE FUNCTION pg_temp.e1a() RETURNS float8 LANGUAGE sql AS $$ SELECT crmscm.bgnbd_expected(crmscm.bgnbd_model(0.2426, 4.4135, 0.7929, 2.4258), 39, 2, 30, 38.86) $$;
CREATE FUNCTION pg_temp.e1b() RETURNS float8 LANGUAGE sql AS $$ SELECT crmscm.bgnbd_expected(crmscm.bgnbd_model(0.2426, 4.4135, 0.7929, 2.4258), 39, 2, 10, 38.86) $$;
CREATE FUNCTION pg_temp.e2a() RETURNS float8 LANGUAGE sql AS $$ SELECT crmscm.bgnbd_expected(crmscm.bgnbd_model(0.5, 2, 1.5, 3), 39, 2, 30, 38.86) $$;
CREATE FUNCTION pg_temp.e2b() RETURNS float8 LANGUAGE sql AS $$ SELECT crmscm.bgnbd_expected(crmscm.bgnbd_model(0.5, 2, 1.5, 3), 39, 2, 10, 38.86) $$;
-- fixed parameters for the comparisons with reference.py: the BTYD vignette's estimates
CREATE FUNCTION pg_temp.fix() RETURNS crmscm.bgnbd LANGUAGE sql AS $$ SELECT crmscm.bgnbd_model(0.2425982, 4.4136842, 0.7929899, 2.4261337) $$;
CREATE FUNCTION pg_temp.ref(text) RETURNS float8 LANGUAGE sql AS $$ SELECT value FROM ref WHERE name = $1 $$;

-- rfm_summary on the event log reproduces the lifetimes summary (calibration end 1997-09-30)
CREATE TEMP TABLE summ AS
SELECT sampleid AS id, (rfm_summary(to_date(date, 'YYYYMMDD'), sales, '1997-09-30')).*
  FROM elog GROUP BY sampleid;
SELECT is((SELECT count(*) FROM summ), 2357::bigint, 'rfm_summary: 2357 customers');
SELECT is((SELECT count(*) FROM summ JOIN cbs USING (id) WHERE summ.frequency <> cbs.x), 0::bigint,
          'rfm_summary: frequency equals x for every customer');
SELECT cmp_ok((SELECT max(abs(summ.recency / 7 - cbs.t_x)) FROM summ JOIN cbs USING (id)), '<=', 0.005::float8,
              'rfm_summary: recency/7 within 0.005 weeks of t_x');
SELECT cmp_ok((SELECT max(abs(summ.t / 7 - cbs.t)) FROM summ JOIN cbs USING (id)), '<=', 0.005::float8,
              'rfm_summary: t/7 within 0.005 weeks of T');
-- zbar is rounded to 2 decimals: half a cent, plus binary floating point noise
SELECT cmp_ok((SELECT max(abs(summ.monetary - cbs.zbar)) FROM summ JOIN cbs USING (id)), '<=', 0.005000001::float8,
              'rfm_summary: monetary within 0.005 of zbar');
SELECT is((SELECT rfm_summary(d, a, '2020-01-10') FROM (VALUES ('2020-01-01'::date, 5.0::float8),
          ('2020-01-01', 7), ('2020-01-05', 20), ('2020-01-09', 10), ('2020-02-01', 99)) v(d, a)),
          ROW(2, 8::float8, 9::float8, 15::float8)::rfm,
          'rfm_summary: same-day purchases merge, later ones ignored, monetary = mean repeat day');
SELECT is((SELECT rfm_summary(d, 1, '2020-01-10') FROM (VALUES ('2020-03-01'::date)) v(d)), NULL::rfm,
          'rfm_summary: NULL without purchases up to as_of');

-- BG/NBD fit
CREATE TEMP TABLE m AS SELECT bgnbd_fit(x, t_x, t) AS bg, gamma_gamma_fit(x, zbar) AS gg FROM cbs;
SELECT ok((SELECT (bg).converged AND (bg).n = 2357 FROM m), 'bgnbd_fit converged on 2357 customers');
SELECT ok((SELECT abs((bg).r / 0.2426 - 1) <= 1e-3 FROM m), 'bgnbd_fit r = 0.2426 (FHL 2005: 0.243)');
SELECT ok((SELECT abs((bg).alpha / 4.4135 - 1) <= 1e-3 FROM m), 'bgnbd_fit alpha = 4.4135 (FHL 2005: 4.414)');
SELECT ok((SELECT abs((bg).a / 0.7929 - 1) <= 1e-3 FROM m), 'bgnbd_fit a = 0.7929 (FHL 2005: 0.793)');
SELECT ok((SELECT abs((bg).b / 2.4258 - 1) <= 1e-3 FROM m), 'bgnbd_fit b = 2.4258 (FHL 2005: 2.426)');
SELECT ok((SELECT abs((bg).log_likelihood + 9582.43) <= 0.01 FROM m), 'bgnbd_fit LL = -9582.43 (FHL 2005: -9582.4)');
SELECT ok((SELECT abs((bg).r / pg_temp.ref('bgnbd_r') - 1) <= 1e-4 AND abs((bg).alpha / pg_temp.ref('bgnbd_alpha') - 1) <= 1e-4
              AND abs((bg).a / pg_temp.ref('bgnbd_a') - 1) <= 1e-4 AND abs((bg).b / pg_temp.ref('bgnbd_b') - 1) <= 1e-4 FROM m),
          'bgnbd_fit parameters = SciPy MLE of the same likelihood within 1e-4');
SELECT ok((SELECT (bg).log_likelihood >= pg_temp.ref('bgnbd_ll') - 1e-6 FROM m), 'bgnbd_fit LL at least the SciPy optimum');

-- predictions with the fitted model (lifetimes test_estimation.py)
SELECT ok((SELECT abs(bgnbd_expected(bg, 39, 2, 30.43, 38.86) - 1.226) <= 0.001 FROM m),
          'E[purchases in 39 | 2, 30.43, 38.86] = 1.226 (lifetimes)');
SELECT ok((SELECT abs(bgnbd_expected(pg_temp.fix(), 39, 2, 30.43, 38.86) / pg_temp.ref('expected_39_x2') - 1) <= 1e-10),
          'E[purchases in 39 | 2, 30.43, 38.86] = mpmath hyp2f1 reference within 1e-10');
-- lifetimes asserts with numpy assert_almost_equal(decimal=3): |got - want| < 1.5e-3
SELECT ok((SELECT abs(bgnbd_expected_new(bg, t) - want) < 1.5e-3 FROM m),
          'new customer E[X(' || t || ')] = ' || want || ' (lifetimes, 3 decimals)')
  FROM (VALUES (0.1429::float8, 0.0078::float8), (1, 0.0532), (3, 0.1506), (31.8571, 1.0405), (32, 1.0437), (78, 1.8576)) v(t, want);
SELECT ok(abs(bgnbd_expected_new(pg_temp.fix(), t) / pg_temp.ref('expected_new_' || t) - 1) <= 1e-10,
          'new customer E[X(' || t || ')] = mpmath reference within 1e-10')
  FROM (VALUES (0.1429::float8), (1), (3), (31.8571), (32), (78), (5000)) v(t);
-- lifetimes: conditional_probability_alive(0, 1, 1) == 1; predictions ignore recency when frequency is 0
SELECT is((SELECT bgnbd_p_alive(bg, 0, 1, 1) FROM m), 1::float8, 'P(alive | 0, 1, 1) is exactly 1');
SELECT is((SELECT bgnbd_p_alive(bg, 1000, 10, 100) FROM m), 0::float8, 'P(alive | 1000, 10, 100) is exactly 0, no warning');
SELECT ok(abs(bgnbd_p_alive(pg_temp.fix(), 2, 30.43, 38.86) / pg_temp.ref('p_alive_x2') - 1) <= 1e-12,
          'P(alive | 2, 30.43, 38.86) = reference');
SELECT ok(abs(bgnbd_expected(pg_temp.fix(), 5000, 2, 30.43, 38.86) / pg_temp.ref('expected_5000_x2') - 1) <= 1e-10,
          'horizon 5000 (hypergeometric argument 0.99): quadrature path = mpmath reference');
SELECT ok(abs(bgnbd_prob_n(pg_temp.fix(), n, 39) / pg_temp.ref('prob_n_' || n || '_39') - 1) <= 1e-10,
          'P(X(39) = ' || n || ') = FHL eq. 8 at 30 digits')
  FROM generate_series(0, 30) n WHERE n IN (0, 1, 2, 5, 10, 30);
SELECT ok((SELECT abs(sum(bgnbd_prob_n(bg, n, 39)) - 1) <= 1e-10 FROM m, generate_series(0, 3000) n),
          'sum over n of P(X(39) = n) = 1');

-- BTYD vignette, with the vignette's parameter estimates
SELECT ok(abs(bgnbd_expected(bgnbd_model(0.2425982, 4.4136842, 0.7929899, 2.4261337), 52, 26, 30.85714, 31) / 25.75659 - 1) <= 1e-5,
          'BTYD vignette: E[purchases in 52 | 26, 30.85714, 31] = 25.75659');
SELECT ok(abs(bgnbd_p_alive(bgnbd_model(0.2425982, 4.4136842, 0.7929899, 2.4261337), 26, 30.85714, 31) / 0.9688523 - 1) <= 1e-5,
          'BTYD vignette: P(alive | 26, 30.85714, 31) = 0.9688523');
SELECT ok(abs(bgnbd_expected(bgnbd_model(0.2425982, 4.4136842, 0.7929899, 2.4261337), 52, x, 20, 39) / want - 1) <= 1e-5,
          'BTYD vignette: E[purchases in 52 | ' || x || ', 20, 39] = ' || want)
  FROM (VALUES (10::float8, 0.3474606::float8), (15, 0.04283391), (20, 0.004158973), (25, 0.0003583685)) v(x, want);

-- where lifetimes gives NaN (a + b < 1): finite and right
SELECT ok(abs(bgnbd_expected(bgnbd_model(0.2429, 4.4324, 0.2856, 0.6585), 39, 0, 0, 38.86) - 0.192478) <= 1e-5 * 0.192478,
          'a + b < 1: E[purchases in 39 | 0, 0, 38.86] = 0.192478 (lifetimes: NaN)');
SELECT ok(abs(bgnbd_expected(bgnbd_model(0.2429, 4.4324, 0.2856, 0.6585), 39, 3, 20, 38.86) / pg_temp.ref('nan_case_expected_x3') - 1) <= 1e-8
      AND abs(bgnbd_expected_new(bgnbd_model(0.2429, 4.4324, 0.2856, 0.6585), 52) / pg_temp.ref('nan_case_expected_new_52') - 1) <= 1e-8,
          'a + b < 1: more cases equal mpmath hyp2f1 at 30 digits');
SELECT ok(bgnbd_expected(bgnbd_model(0.25, 4, 0.8, 2.4), 52, 1e6, 99, 100) >= 0
      AND bgnbd_expected(bgnbd_model(0.25, 4, 0.8, 2.4), 1e8, 5, 30, 40) > 0,
          'huge frequency and horizon: finite');

-- the per-query memo of the hypergeometric part never mixes models or customers:
-- one query over two models and two recencies equals four separate evaluations
SELECT ok(bool_and(e = single), 'bgnbd_expected memo: same values within one query as alone')
  FROM (SELECT bgnbd_expected(mm, 39, 2, rec, 38.86) AS e,
               CASE WHEN k = 1 THEN CASE WHEN rec = 30 THEN pg_temp.e1a() ELSE pg_temp.e1b() END
                    ELSE CASE WHEN rec = 30 THEN pg_temp.e2a() ELSE pg_temp.e2b() END END AS single
          FROM (VALUES (1, bgnbd_model(0.2426, 4.4135, 0.7929, 2.4258)), (2, bgnbd_model(0.5, 2, 1.5, 3)),
                       (1, bgnbd_model(0.2426, 4.4135, 0.7929, 2.4258))) v(k, mm),
               (VALUES (30::float8), (10)) r(rec)) s;
SELECT ok(pg_temp.e1a() <> pg_temp.e2a() AND pg_temp.e1a() <> pg_temp.e1b(), 'bgnbd_expected memo test is not vacuous');

-- Gamma-Gamma
SELECT ok((SELECT (gg).converged AND (gg).n = 946 FROM m), 'gamma_gamma_fit converged on the 946 repeat buyers');
SELECT ok((SELECT abs((gg).p / 6.2488 - 1) <= 1e-3 AND abs((gg).q / 3.7446 - 1) <= 1e-3 AND abs((gg).v / 15.4476 - 1) <= 1e-3 FROM m),
          'gamma_gamma_fit p, q, v = 6.2488, 3.7446, 15.4476 (Hardie note 025: 6.25 / 3.74 / 15.44)');
SELECT ok((SELECT abs((gg).log_likelihood - pg_temp.ref('gg_ll')) <= 1e-4 FROM m), 'gamma_gamma_fit LL = SciPy optimum (-4055.92)');
SELECT ok(abs(gamma_gamma_expected(gamma_gamma_model(6.25, 3.74, 15.44), x, zbar) - want) <= 0.1,
          'expected spend of customer ' || id || ' = ' || want || ' (lifetimes)')
  FROM cbs JOIN (VALUES (1, 24.65), (2, 18.91), (3, 35.17), (4, 35.17), (5, 35.17), (6, 71.46), (7, 18.91),
                        (8, 35.17), (9, 27.28), (10, 35.17)) v(id, want) USING (id) ORDER BY id;

-- CLV: 12 months, 1% monthly discount, 4.345 weeks per month, fitted models
SELECT ok((SELECT abs(clv(bg, gg, 2, 30.43, 38.86, 22.35, 12, 0.01, 4.345) - 36.278) <= 0.01 FROM m),
          'clv of customer 1 = 36.278');
SELECT ok((SELECT abs(clv(bg, gg, 2, 30.43, 38.86, 22.35, 12, 0.01, 4.345) - pg_temp.ref('clv_customer1')) <= 1e-4 FROM m),
          'clv of customer 1 = independent reference within 1e-4');
SELECT ok((SELECT abs(avg(clv(bg, gg, x, t_x, t, zbar, 12, 0.01, 4.345)) - 30.339) <= 0.01 FROM m, cbs),
          'mean clv over 2,357 customers = 30.339');
SELECT ok((SELECT abs(avg(clv(bg, gg, x, t_x, t, zbar, 12, 0.01, 4.345)) - pg_temp.ref('clv_mean')) <= 1e-4 FROM m, cbs),
          'mean clv = independent reference within 1e-4');
SELECT is(clv(bgnbd_model(1, 1, 1, 1), gamma_gamma_model(2, 3, 4), 1, 1, 2, 5, 0, 0.01, 4.345), 0::float8,
          'clv over 0 months is 0');

-- degenerate data: a clear result, no exception
SELECT ok((SELECT NOT (f).converged AND (f).log_likelihood IS NOT NULL AND (f).n = 3
             FROM (SELECT bgnbd_fit(0, 0, t) f FROM (VALUES (10.0::float8), (20), (30)) v(t)) s),
          'bgnbd_fit without repeat purchases: converged = false, log-likelihood reported');

-- bad input: clear errors with SQLSTATEs
SELECT throws_ok('SELECT crmscm.bgnbd_fit(x, r, t) FROM (VALUES (-1::float8, 0::float8, 5::float8)) v(x, r, t)', '22023', NULL,
                 'bgnbd_fit: negative frequency is 22023');
SELECT throws_ok($$SELECT crmscm.bgnbd_fit(x, r, t) FROM (VALUES ('NaN'::float8, 0::float8, 5::float8)) v(x, r, t)$$, '22003', NULL,
                 'bgnbd_fit: NaN frequency is 22003');
SELECT throws_ok($$SELECT crmscm.bgnbd_fit(x, r, t) FROM (VALUES (1::float8, 'NaN'::float8, 5::float8)) v(x, r, t)$$, '22003', NULL,
                 'bgnbd_fit: NaN recency is 22003');
SELECT throws_ok('SELECT crmscm.bgnbd_fit(x, r, t) FROM (VALUES (1::float8, 6::float8, 5::float8)) v(x, r, t)', '22023',
                 'recency 6 is greater than t 5', 'bgnbd_fit: recency > t is 22023 naming both');
SELECT throws_ok('SELECT crmscm.bgnbd_fit(x, r, t) FROM (VALUES (0::float8, 2::float8, 5::float8)) v(x, r, t)', '22023',
                 'recency 2 must be 0 when frequency is 0', 'bgnbd_fit: frequency 0 with recency > 0 is 22023');
SELECT throws_ok('SELECT crmscm.bgnbd_fit(x, r, t) FROM (VALUES (1::float8, 2::float8, -5::float8)) v(x, r, t)', '22023', NULL,
                 'bgnbd_fit: negative t is 22023');
SELECT throws_ok('SELECT crmscm.bgnbd_fit(x, r, t) FROM (VALUES (1::float8, 2::float8, 5::float8)) v(x, r, t) WHERE false', '22023',
                 'bgnbd_fit needs at least one customer', 'bgnbd_fit: empty input is 22023');
SELECT throws_ok('SELECT crmscm.gamma_gamma_fit(x, m) FROM (VALUES (0::float8, 0::float8)) v(x, m)', '22023',
                 'gamma_gamma_fit needs at least one customer with frequency > 0', 'gamma_gamma_fit: no repeat buyer is 22023');
SELECT throws_ok('SELECT crmscm.gamma_gamma_fit(x, m) FROM (VALUES (2::float8, -3::float8)) v(x, m)', '22023', NULL,
                 'gamma_gamma_fit: non-positive monetary is 22023');
SELECT throws_ok('SELECT crmscm.bgnbd_p_alive(crmscm.bgnbd_model(0, 1, 1, 1), 1, 1, 2)', '22023',
                 'bgnbd parameter r must be positive and finite: 0', 'non-positive model parameter is 22023');
-- issue #13: NaN and infinity are 22003 (numeric_value_out_of_range)
SELECT throws_ok($$SELECT crmscm.bgnbd_expected(crmscm.bgnbd_model(1, 'Infinity', 1, 1), 1, 1, 1, 2)$$, '22003', NULL,
                 'infinite model parameter is 22003');
SELECT throws_ok($$SELECT crmscm.bgnbd_expected(ROW(1, 'Infinity', 1, 1, NULL, NULL, NULL)::crmscm.bgnbd, 1, 1, 1, 2)$$, '22003',
                 'bgnbd parameter alpha must be finite: Infinity', 'infinite parameter of a model built by ROW() is 22003');
SELECT throws_ok('SELECT crmscm.bgnbd_expected(crmscm.bgnbd_model(1, 1, 1, 1), -1, 1, 1, 2)', '22023', NULL,
                 'negative horizon is 22023');
SELECT throws_ok('SELECT crmscm.bgnbd_prob_n(crmscm.bgnbd_model(1, 1, 1, 1), -1, 2)', '22023', NULL,
                 'negative n is 22023');
SELECT throws_ok('SELECT crmscm.clv(crmscm.bgnbd_model(1, 1, 1, 1), crmscm.gamma_gamma_model(2, 3, 4), 1, 1, 2, 5, 12, 0.01, 0)', '22023', NULL,
                 'clv: units_per_month 0 is 22023');
SELECT throws_ok($$SELECT crmscm.rfm_summary(d, a, '2020-01-01') FROM (VALUES ('2019-01-01'::date, 'NaN'::float8)) v(d, a)$$, '22003', NULL,
                 'rfm_summary: NaN amount is 22003');

SELECT * FROM finish();
ROLLBACK;
