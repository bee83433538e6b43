-- Lead scoring (doc/lead_scoring.md, issue #4): logistic regression against MADlib,
-- statsmodels and scikit-learn; AUC; naive Bayes; engagement; bad input;
-- tables and views.
\i test/setup.sql
SELECT plan(115);

-- ===================================================================
-- 1. MADlib's documented example: apache/madlib
--    src/ports/postgres/modules/regress/logistic.sql_in, table "patients",
--    logregr_train(..., 'ARRAY[1, treatment, trait_anxiety]', ..., 'irls').
-- ===================================================================
CREATE TEMP TABLE patients (id int, second_attack int, treatment int, trait_anxiety int);
INSERT INTO patients VALUES
(1, 1, 1, 70), (2, 1, 1, 80), (3, 1, 1, 50), (4, 1, 0, 60), (5, 1, 0, 40), (6, 1, 0, 65),
(7, 1, 0, 75), (8, 1, 0, 80), (9, 1, 0, 70), (10, 1, 0, 60), (11, 0, 1, 65), (12, 0, 1, 50),
(13, 0, 1, 45), (14, 0, 1, 35), (15, 0, 1, 40), (16, 0, 1, 50), (17, 0, 0, 55), (18, 0, 0, 45),
(19, 0, 0, 50), (20, 0, 0, 60);

CREATE TEMP TABLE pm AS
SELECT lead_model_fit(second_attack = 1, ARRAY[treatment, trait_anxiety]::float8[]) AS m FROM patients;

-- MADlib's documented result (coef, log_likelihood, std_err, odds_ratios)
CREATE TEMP TABLE madlib (feature int, coef float8, std_err float8, odds_ratio float8);
INSERT INTO madlib VALUES
(0, -6.36346994178192, 3.21389766375099, 0.00172337630923221),
(1, -1.02410605239327, 1.17107844860319, 0.359117354054956),
(2, 0.119044916668607, 0.0549790458269317, 1.12642051220895);

SELECT ok(abs(s.coef / r.coef - 1) < 1e-8, 'patients: coefficient ' || r.feature || ' = MADlib within 1e-8')
  FROM pm, lead_model_summary(pm.m) s JOIN madlib r USING (feature) ORDER BY feature;
-- MADlib evaluates std errors one iteration before the optimum: 1e-5
SELECT ok(abs(s.std_err / r.std_err - 1) < 1e-5, 'patients: std error ' || r.feature || ' = MADlib within 1e-5')
  FROM pm, lead_model_summary(pm.m) s JOIN madlib r USING (feature) ORDER BY feature;
SELECT ok(abs(s.odds_ratio / r.odds_ratio - 1) < 1e-8, 'patients: odds ratio ' || r.feature || ' = MADlib')
  FROM pm, lead_model_summary(pm.m) s JOIN madlib r USING (feature) ORDER BY feature;
SELECT ok(abs(lead_model_log_likelihood(m) / -9.41018298388876 - 1) < 1e-8,
          'patients: log-likelihood = MADlib -9.41018298388876 within 1e-8') FROM pm;

-- statsmodels Logit on the same data (test/data/lead/make_reference.py)
CREATE TEMP TABLE patients_ref (feature int, coef float8, std_err float8, z float8, p_value float8,
                                log_likelihood float8, condition_number float8);
\copy patients_ref FROM 'test/data/lead/patients_reference.csv' WITH (FORMAT csv, HEADER true)
SELECT ok(abs(s.z / r.z - 1) < 1e-9 AND abs(s.p_value / r.p_value - 1) < 1e-9
          AND abs(s.std_err / r.std_err - 1) < 1e-9,
          'patients: std error, z and p-value ' || r.feature || ' = statsmodels within 1e-9')
  FROM pm, lead_model_summary(pm.m) s JOIN patients_ref r USING (feature) ORDER BY feature;
SELECT ok(abs(lead_model_condition_number(m) / r.condition_number - 1) < 1e-8,
          'patients: condition number = numpy.linalg.cond(X''AX) at the optimum')
  FROM pm, patients_ref r WHERE r.feature = 0;
SELECT ok(lead_model_converged(m) AND NOT lead_model_separation(m), 'patients: converged, no separation') FROM pm;
SELECT is(ARRAY[lead_model_features(m)::bigint, lead_model_rows(m), lead_model_positives(m)],
          ARRAY[2::bigint, 20, 10], 'patients: features, rows, positives') FROM pm;
SELECT ok(lead_model_iterations(m) BETWEEN 3 AND 10, 'patients: a handful of Newton iterations') FROM pm;
SELECT is(lead_model_l2(m), 0::float8, 'patients: no penalty') FROM pm;

-- MADlib's documented logregr_predict_prob for all 20 patients
CREATE TEMP TABLE madlib_prob (id int, prob float8);
INSERT INTO madlib_prob VALUES
(1, 0.720223028941527), (2, 0.894354902502048), (3, 0.192269541755171), (4, 0.685513072239347),
(5, 0.167747881508857), (6, 0.79809810891514), (7, 0.928568075752503), (8, 0.959305763693571),
(9, 0.877576117431452), (10, 0.685513072239347), (11, 0.586700895943317), (12, 0.192269541755171),
(13, 0.116032010632994), (14, 0.0383829143134982), (15, 0.0674976224147597), (16, 0.192269541755171),
(17, 0.545870774302621), (18, 0.267675422387132), (19, 0.398618639285111), (20, 0.685513072239347);
SELECT is(count(*) FILTER (WHERE abs(lead_score(m, ARRAY[treatment, trait_anxiety]::float8[]) / prob - 1) > 1e-8), 0::bigint,
          'patients: lead_score = MADlib logregr_predict_prob for all 20 rows within 1e-8')
  FROM pm, patients JOIN madlib_prob USING (id);

-- explanations: coef * value, largest absolute first, summing to the log-odds
SELECT is(array_agg(feature ORDER BY ord), ARRAY[2, 1],
          'explain: trait_anxiety (0.119 * 70) before treatment (-1.02 * 1)')
  FROM pm, lead_score_explain(m, ARRAY[1, 70]::float8[]) WITH ORDINALITY x(feature, value, coef, contribution, ord);
SELECT ok(abs((lead_model_coef(m))[1] + (SELECT sum(contribution) FROM lead_score_explain(m, ARRAY[1, 70]::float8[]))
              - ln(0.720223028941527 / (1 - 0.720223028941527))) < 1e-7,
          'explain: intercept + contributions = log-odds of MADlib''s probability for patient 1')
  FROM pm;

-- text form round-trips exactly; storable in a table
SELECT is(m::text::lead_model::text, m::text, 'text form round-trips') FROM pm;
SELECT is((lead_model_coef(m::text::lead_model)), lead_model_coef(m), 'coefficients identical after text round trip') FROM pm;
CREATE TEMP TABLE stored (m lead_model);
INSERT INTO stored SELECT m FROM pm;
SELECT is((SELECT lead_model_std_err(m) FROM stored), (SELECT lead_model_std_err(m) FROM pm), 'model stored in a table');

-- L2: penalised score equations hold at the estimate (intercept not penalised)
CREATE TEMP TABLE pm2 AS
SELECT lead_model_fit(second_attack = 1, ARRAY[treatment, trait_anxiety]::float8[], 5.0) AS m FROM patients;
SELECT ok(abs(g0) < 1e-9 AND abs(g1 - 5.0 * c[2]) < 1e-9 AND abs(g2 - 5.0 * c[3]) < 1e-9,
          'l2 = 5: gradient of l(b) - 2.5 * |b|^2 (features only) vanishes')
  FROM (SELECT (SELECT lead_model_coef(m) FROM pm2) AS c,
               sum(r) AS g0, sum(r * treatment) AS g1, sum(r * trait_anxiety) AS g2
          FROM (SELECT second_attack - lead_score(m, ARRAY[treatment, trait_anxiety]::float8[]) AS r,
                       treatment, trait_anxiety FROM pm2, patients) x) s;
SELECT is(lead_model_l2(m), 5::float8, 'l2 stored in the model') FROM pm2;

-- exactly collinear and constant columns are dropped (NULL), the fit unchanged
CREATE TEMP TABLE pmc AS
SELECT lead_model_fit(second_attack = 1,
                      ARRAY[treatment, 3, trait_anxiety, 2 * trait_anxiety - treatment]::float8[]) AS m
  FROM patients;
SELECT is(lead_model_coef(pmc.m),
          ARRAY[(lead_model_coef(pm.m))[1], (lead_model_coef(pm.m))[2], NULL, (lead_model_coef(pm.m))[3], NULL],
          'collinear: constant and linear-combination columns dropped, other coefficients identical')
  FROM pmc, pm;
SELECT is((SELECT count(*) FROM lead_model_summary(pmc.m) WHERE coef IS NULL AND std_err IS NULL AND p_value IS NULL),
          2::bigint, 'collinear: summary rows of dropped features are NULL') FROM pmc;

-- quasi-separation: warns, still returns a model with the flag set
SET LOCAL client_min_messages = error;   -- the WARNING itself: sql/lead_scoring.sql
CREATE TEMP TABLE sep AS
SELECT lead_model_fit(x > 0, ARRAY[x]::float8[]) AS m FROM generate_series(-5, 5) x WHERE x <> 0;
SET LOCAL client_min_messages = warning;
SELECT ok(lead_model_separation(m), 'separation: flagged in the model') FROM sep;

-- ===================================================================
-- 2. UCI bank marketing against statsmodels Logit (Newton, MLE) on the
--    same encoding and split (test/data/lead/make_reference.py).
-- ===================================================================
\i data/bank/bank_load.sql
CREATE TEMP TABLE bank_ref (feature int, name text, coef float8, std_err float8);
\copy bank_ref FROM 'test/data/lead/bank_coef.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE bank_fit_ref (train_rows int, test_rows int, log_likelihood float8, iterations int,
                                condition_number float8, test_auc float8);
\copy bank_fit_ref FROM 'test/data/lead/bank_fit.csv' WITH (FORMAT csv, HEADER true)

CREATE TEMP TABLE bm AS SELECT lead_model_fit(converted, features) AS m FROM public.bank_leads WHERE NOT is_test;
SELECT is(ARRAY[lead_model_rows(m), lead_model_features(m)], ARRAY[32951::bigint, 51],
          'bank: 32951 training rows, 51 features') FROM bm;
SELECT is((SELECT count(*) FROM bm, lead_model_summary(bm.m) s JOIN bank_ref r USING (feature)
            WHERE s.coef IS NOT NULL AND NOT (abs(s.coef / r.coef - 1) < 1e-4)), 0::bigint,
          'bank: all 51 kept coefficients = statsmodels within 1e-4 relative');
SELECT is((SELECT max(abs(s.coef / r.coef - 1)) < 1e-7 FROM bm, lead_model_summary(bm.m) s JOIN bank_ref r USING (feature)),
          true, 'bank: in fact within 1e-7');
SELECT is((SELECT count(*) FROM bm, lead_model_summary(bm.m) s JOIN bank_ref r USING (feature)
            WHERE s.coef IS NOT NULL AND NOT (abs(s.std_err / r.std_err - 1) < 1e-4)), 0::bigint,
          'bank: standard errors = statsmodels within 1e-4 relative');
SELECT ok((SELECT s.coef IS NULL AND r.coef IS NULL FROM bm, lead_model_summary(bm.m) s JOIN bank_ref r USING (feature)
            WHERE r.name = 'loan=unknown'), 'bank: loan=unknown (= housing=unknown) dropped as collinear');
SELECT ok(abs(lead_model_log_likelihood(m) / r.log_likelihood - 1) < 1e-10,
          'bank: log-likelihood = statsmodels ' || r.log_likelihood) FROM bm, bank_fit_ref r;
SELECT ok(abs(lead_model_condition_number(m) / r.condition_number - 1) < 1e-6,
          'bank: condition number = numpy cond(X''AX)') FROM bm, bank_fit_ref r;
SELECT ok(abs((SELECT auc(lead_score(bm.m, features), converted) FROM public.bank_leads WHERE is_test) - r.test_auc) < 0.001,
          'bank: AUC on the 20 % test rows = scikit-learn roc_auc_score ' || round(r.test_auc::numeric, 4) || ' within 0.001')
  FROM bm, bank_fit_ref r;
SELECT ok(abs((SELECT auc(lead_score(bm.m, features), converted) FROM public.bank_leads WHERE is_test) - r.test_auc) < 1e-9,
          'bank: in fact within 1e-9') FROM bm, bank_fit_ref r;

-- the same fit through parallel workers (serialise, combine) is the same
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok(EXISTS (SELECT 1 FROM (SELECT lead_model_fit(converted, features) m FROM public.bank_leads WHERE NOT is_test) p,
                  bm, lead_model_summary(p.m) a JOIN lead_model_summary(bm.m) b USING (feature)
                  WHERE a.coef IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM (SELECT lead_model_fit(converted, features) m FROM public.bank_leads WHERE NOT is_test) p,
                  bm, lead_model_summary(p.m) a JOIN lead_model_summary(bm.m) b USING (feature)
                  WHERE NOT abs(a.coef - b.coef) <= 1e-9 * abs(b.coef)),
          'bank: parallel fit (2 workers) = serial fit within 1e-9');
SELECT ok(abs((SELECT auc(lead_score(bm.m, features), converted) FROM public.bank_leads WHERE is_test) - r.test_auc) < 1e-12,
          'bank: parallel auc = serial') FROM bm, bank_fit_ref r;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- ===================================================================
-- 3. AUC with many ties = scikit-learn roc_auc_score (auc_ties.csv)
-- ===================================================================
CREATE TEMP TABLE auc_ref (n int, roc_auc_score float8);
\copy auc_ref FROM 'test/data/lead/auc_ties.csv' WITH (FORMAT csv, HEADER true)
SELECT ok(abs(auc(((i * 7919) % 13) / 4.0::float8, ((i * 31) % 7 + (i % 13)) % 3 = 0) - r.roc_auc_score) < 1e-14,
          'auc: 2000 rows, 13 distinct scores = roc_auc_score ' || r.roc_auc_score)
  FROM generate_series(1, 2000) i, auc_ref r GROUP BY r.roc_auc_score;
SELECT is(auc(s, l), 0.5::float8, 'auc: all scores tied = 0.5')
  FROM (VALUES (1.0::float8, true), (1.0, false), (1.0, false)) v(s, l);
SELECT is(auc(s, l), 1::float8, 'auc: perfect ranking = 1; NULL rows skipped')
  FROM (VALUES (3.0::float8, true), (1.0, false), (NULL, true), (5.0, NULL), (1e308, true)) v(s, l);
SELECT throws_ok($$SELECT crmscm.auc(s, l) FROM (VALUES ('Infinity'::float8, true), (1, false)) v(s, l)$$,
                 '22003', 'auc: score must be finite, not Infinity', 'auc: an infinite score is an error (issue #13)');
SELECT is(auc(s, l), NULL, 'auc: one class only is NULL')
  FROM (VALUES (3.0::float8, true), (1.0, true)) v(s, l);
SELECT is(auc(s, l), NULL, 'auc: no rows is NULL') FROM (VALUES (1.0::float8, true)) v(s, l) WHERE false;
SELECT throws_ok($$SELECT crmscm.auc(s, l) FROM (VALUES ('NaN'::float8, true), (1, false)) v(s, l)$$,
                 '22003', 'auc: score must not be NaN', 'auc: NaN score is an error');

-- ===================================================================
-- 4. Naive Bayes = Odoo's formula computed by hand.
--    3 won, 2 lost; attribute 1 (colour): red 2 won 1 lost, blue 1 won,
--    green 1 lost; attribute 2 (size): S 1/1, L 1/1, one won lead unset.
--    Counts + 0.1 each; totals per attribute are the sums of smoothed counts:
--    colour won 2.1 + 1.1 + 0.1 = 3.3, lost 1.1 + 0.1 + 1.1 = 2.3;
--    size won 1.1 + 1.1 = 2.2, lost 2.2.  Priors 3.1 and 2.1.
--    Lead (red, L): S_won = 3.1 * 2.1/3.3 * 1.1/2.2, S_lost = 2.1 * 1.1/2.3 * 1.1/2.2,
--    P = S_won / (S_won + S_lost).
-- ===================================================================
CREATE TEMP TABLE nb_leads (won boolean, attrs text[]);
INSERT INTO nb_leads VALUES
(true, ARRAY['red', 'S']), (true, ARRAY['red', 'L']), (true, ARRAY['blue', NULL]),
(false, ARRAY['red', 'S']), (false, ARRAY['green', 'L']);
CREATE TEMP TABLE nbm AS SELECT lead_nb_fit(won, attrs) AS m FROM nb_leads;
SELECT ok(abs(lead_nb_score(m, ARRAY['red', 'L'])
              - ((3.1 * 2.1 / 3.3 * 1.1 / 2.2) / (3.1 * 2.1 / 3.3 * 1.1 / 2.2 + 2.1 * 1.1 / 2.3 * 1.1 / 2.2))::float8) < 1e-12,
          'naive Bayes (red, L) = hand-computed Odoo formula within 1e-12') FROM nbm;
SELECT ok(abs(lead_nb_score(m, ARRAY['blue', 'S'])
              - ((3.1 * 1.1 / 3.3 * 1.1 / 2.2) / (3.1 * 1.1 / 3.3 * 1.1 / 2.2 + 2.1 * 0.1 / 2.3 * 1.1 / 2.2))::float8) < 1e-12,
          'naive Bayes (blue, S) = hand-computed within 1e-12') FROM nbm;
SELECT ok(abs(lead_nb_score(m, ARRAY['purple', NULL]) - (3.1 / (3.1 + 2.1))::float8) < 1e-12,
          'naive Bayes: unseen and unset values ignored, priors only') FROM nbm;
SELECT ok(abs(lead_nb_score(m, '[0:1]={red,L}'::text[]) - lead_nb_score(m, ARRAY['red', 'L'])) = 0,
          'naive Bayes: attributes are positional whatever the lower bound') FROM nbm;
SELECT is(m -> 'attributes' -> 0 -> 'values' -> 'red', '[2, 1]'::jsonb, 'naive Bayes model keeps raw won/lost counts') FROM nbm;
SELECT throws_ok($$SELECT crmscm.lead_nb_score(m, ARRAY['red']) FROM nbm$$, '2202E',
                 'lead_nb_score: 1 attributes given, the model has 2', 'naive Bayes: wrong attribute count');
SELECT throws_ok($$SELECT crmscm.lead_nb_fit(w, a) FROM (VALUES (true, ARRAY['a']), (false, ARRAY['a', 'b'])) v(w, a)$$,
                 '2202E', NULL, 'naive Bayes: attribute arrays of different lengths');
SELECT throws_ok($$SELECT crmscm.lead_nb_fit(w, a) FROM (VALUES (true, ARRAY['a']), (true, ARRAY['b'])) v(w, a)$$,
                 '22023', NULL, 'naive Bayes: single class is an error');
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT is((SELECT lead_nb_fit(converted, attributes) FROM public.bank_leads WHERE NOT is_test),
          (SELECT lead_nb_fit(converted, attributes) FROM (SELECT * FROM public.bank_leads WHERE NOT is_test ORDER BY rowno OFFSET 0) s),
          'naive Bayes: parallel fit = serial fit on the bank data');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- ===================================================================
-- 5. Bad input: each a clear error with its SQLSTATE
-- ===================================================================
SELECT throws_ok($$SELECT crmscm.lead_model_fit(true, ARRAY[1, NULL]::float8[])$$, '22004',
                 'lead_model_fit: features must not contain NULL elements', 'fit: NULL element');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(c, f) FROM (VALUES (true, ARRAY[1.0, 2]::float8[]), (false, ARRAY[1.0]::float8[])) v(c, f)$$,
                 '2202E', 'lead_model_fit: feature arrays differ in length (2 and 1)', 'fit: arrays of different lengths');
SELECT ok((SELECT crmscm.lead_model_fit(c, f) FROM (VALUES (true, ARRAY[1.0]::float8[])) v(c, f) WHERE false) IS NULL,
          'fit: empty input gives NULL (as avg does)');
SELECT ok((SELECT crmscm.lead_model_fit(c, f) FROM (VALUES (NULL::boolean, ARRAY[1.0]::float8[]), (true, NULL)) v(c, f)) IS NULL,
          'fit: rows with a NULL label or NULL features are skipped');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(true, ARRAY[x]::float8[]) FROM generate_series(1, 5) x$$, '22023',
                 'lead_model_fit: all 5 rows have converted = true', 'fit: single class');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(x > 2, ARRAY[x, 'NaN']::float8[])  FROM generate_series(1, 5) x$$, '22003',
                 'lead_model_fit: feature 2 is NaN', 'fit: NaN feature');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(x > 2, ARRAY[x, '-Infinity']::float8[])  FROM generate_series(1, 5) x$$, '22003',
                 'lead_model_fit: feature 2 is -Infinity', 'fit: infinite feature');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(x > 2, ARRAY[x, x * x, x ^ 3, sqrt(x), ln(x)]) FROM generate_series(1, 5) x$$, '22023',
                 'lead_model_fit: 5 rows are too few for 5 features', 'fit: more features than rows');
SET LOCAL client_min_messages = error;   -- 5 points, 5 features: probabilities near 0/1 warn
SELECT ok((SELECT lead_model_features(crmscm.lead_model_fit(x > 2, ARRAY[x, x * x, x ^ 3, sqrt(x), ln(x)], 1.0))
             FROM generate_series(1, 5) x) = 5,
          'fit: more features than rows is fine with l2 > 0');
SET LOCAL client_min_messages = warning;
SELECT throws_ok($$SELECT crmscm.lead_model_fit(true, array_fill(1.0::float8, ARRAY[1001]))$$, '54000',
                 'lead_model_fit: 1001 features exceed the maximum of 1000', 'fit: above the maximum of 1000 features');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(true, ARRAY[[1.0, 2], [3, 4]]::float8[])$$, '2202E', NULL,
                 'fit: two-dimensional features');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(x > 2, ARRAY[x]::float8[], -1) FROM generate_series(1, 5) x$$, '22023', NULL,
                 'fit: negative l2');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(x > 2, ARRAY[x]::float8[], NULL) FROM generate_series(1, 5) x$$, '22004', NULL,
                 'fit: NULL l2');
SELECT throws_ok($$SELECT crmscm.lead_model_fit(x > 2, ARRAY[x]::float8[], x) FROM generate_series(1, 5) x$$, '22023', NULL,
                 'fit: l2 varying between rows');
SELECT throws_ok($$SELECT crmscm.lead_score(m, ARRAY[1.0]) FROM pm$$, '2202E',
                 'lead_score: 1 features given, the model has 2', 'score: wrong number of features');
SELECT throws_ok($$SELECT crmscm.lead_score(m, ARRAY[1.0, NULL]) FROM pm$$, '22004', NULL, 'score: NULL element');
SELECT throws_ok($$SELECT crmscm.lead_score(m, ARRAY[1.0, 'Infinity']) FROM pm$$, '22003', NULL, 'score: infinite feature');
SELECT throws_ok($$SELECT x.* FROM pm, crmscm.lead_score_explain(pm.m, ARRAY[1.0, 2, 3]) x$$, '2202E', NULL,
                 'explain: wrong number of features');
SELECT is(lead_score(NULL, ARRAY[1.0]), NULL, 'score is STRICT');
SELECT throws_ok(format('SELECT %L::crmscm.lead_model', t), '22P02', NULL, 'text input rejects ' || left(t, 40))
  FROM (VALUES (''), ('{}'), ('garbage'), ('{"features":1}'),
               ('{"features":1,"rows":20,"positives":10,"l2":0,"log_likelihood":-1,"iterations":1,"converged":true,"separation":false,"condition_number":1,"coef":[1,2],"std_err":[1]}'),
               ('{"features":1,"rows":20,"positives":10,"l2":0,"log_likelihood":-1,"iterations":1,"converged":true,"separation":false,"condition_number":1,"coef":[1,2],"std_err":[1,1]}x'),
               ('{"features":1,"rows":20,"positives":20,"l2":0,"log_likelihood":-1,"iterations":1,"converged":true,"separation":false,"condition_number":1,"coef":[1,2],"std_err":[1,1]}'),
               ('{"features":1,"rows":20,"positives":10,"l2":0,"log_likelihood":-1,"iterations":1,"converged":true,"separation":false,"condition_number":1,"coef":[1,NaN],"std_err":[1,1]}')) v(t);
SELECT lives_ok($$SELECT '{"features":1,"rows":20,"positives":10,"l2":0,"log_likelihood":-1,"iterations":1,"converged":true,"separation":false,"condition_number":null,"coef":[1,null],"std_err":[1,null]}'::crmscm.lead_model$$,
                'text input accepts a dropped feature and an unknown condition number');
SELECT throws_like(format('SELECT %L::crmscm.lead_model', repeat(' ', 70000)), '%too long%', 'text input longer than the limit');

-- ===================================================================
-- 6. Engagement decay (closed form: points * 2^(-age / half-life))
-- ===================================================================
SELECT is(decayed_points(10, '2024-01-01', '30 days', '2024-01-31'), 5::float8, 'decay: one half-life halves');
SELECT is(decayed_points(8, '2024-01-01', '1 day', '2024-01-04'), 1::float8, 'decay: three half-lives: 1/8');
SELECT is(decayed_points(8, '2024-01-04', '1 day', '2024-01-01'), 0::float8, 'decay: event after as_of counts 0');
SELECT is(decayed_points(-4, '2024-01-01 00:00', '1 hour', '2024-01-01 02:00'), -1::float8, 'decay: negative points decay too');
SELECT ok(abs(decayed_points(10, '2023-01-01', '1 year', '2024-01-01 06:00') - 5) < 1e-12,
          'decay: a year is 365.25 days, as EXTRACT(epoch)');
SELECT throws_ok($$SELECT crmscm.decayed_points(1, now(), '0 s', now())$$, '22023', NULL, 'decay: zero half-life');
SELECT throws_ok($$SELECT crmscm.decayed_points(1, now(), '-1 day', now())$$, '22023', NULL, 'decay: negative half-life');
SELECT throws_ok($$SELECT crmscm.decayed_points('NaN', now(), '1 day', now())$$, '22003', NULL, 'decay: NaN points');
SELECT throws_ok($$SELECT crmscm.decayed_points(1, 'infinity', '1 day', now())$$, '22008', NULL, 'decay: infinite timestamp');
SELECT is(engagement_score(p, t, '1 day', '2024-01-03'), 10::float8 / 4 + 6 / 2 + 1,
          'engagement_score: sum of decayed points, NULL rows skipped')
  FROM (VALUES (10::float8, '2024-01-01'::timestamptz), (6, '2024-01-02'), (1, '2024-01-03'), (NULL, '2024-01-03'), (100, NULL)) v(p, t);
SELECT is(engagement_score(p, t, '1 day', now()), 0::float8, 'engagement_score: no events gives 0')
  FROM (VALUES (1::float8, now())) v(p, t) WHERE false;

-- ===================================================================
-- 7. Declarations: immutable and parallel safe, aggregates combinable
-- ===================================================================
SELECT is(provolatile::text || proparallel::text, 'is', 'volatility and parallel safety of ' || proname)
  FROM pg_proc WHERE pronamespace = 'crmscm'::regnamespace
   AND proname IN ('lead_score', 'lead_score_explain', 'lead_model_summary', 'decayed_points', 'lead_nb_score')
 ORDER BY proname;
SELECT is(count(*), 5::bigint, 'lead_model_fit (2), auc, lead_nb_fit, engagement_score have combine functions')
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.proparallel = 's' AND a.aggcombinefn <> 0
   AND p.proname IN ('lead_model_fit', 'auc', 'lead_nb_fit', 'engagement_score');

-- ===================================================================
-- 8. Tables and the lead_scores / sales_pipeline views
-- ===================================================================
INSERT INTO leads (lead_id, name, stage, expected_revenue, features)
SELECT id, 'patient ' || id, CASE WHEN second_attack = 1 THEN 'won' ELSE 'lost' END, 0,
       ARRAY[treatment, trait_anxiety]::float8[]
  FROM patients;
INSERT INTO leads (lead_id, name, stage, expected_revenue, features) VALUES
(101, 'open A', 'qualified', 1000, ARRAY[0, 80]),
(102, 'open B', 'new', 500, ARRAY[1, 35]),
(103, 'open C', 'new', 200, NULL);
SELECT lives_ok($$SELECT crmscm.lead_model_train('patients', ARRAY['treatment', 'trait_anxiety'])$$, 'lead_model_train stores a model');
SELECT ok((SELECT bool_and(abs(a / b - 1) < 1e-12)
             FROM unnest((SELECT lead_model_coef(model) FROM lead_models WHERE active), (SELECT lead_model_coef(m) FROM pm)) u(a, b)),
          'trained model = the aggregate on won/lost leads (1e-12: row order differs)');
INSERT INTO lead_scoring_rules (event_kind, points, half_life) VALUES ('demo_request', 40, '7 days'), ('email_open', 4, '1 day');
INSERT INTO lead_events (lead_id, kind, occurred_at) VALUES
(101, 'demo_request', now() - interval '7 days'),   -- 40 -> 20
(101, 'email_open', now() - interval '2 days'),     -- 4 -> 1
(102, 'email_open', now()),                          -- 4
(103, 'unknown_kind', now());                        -- no rule: nothing
INSERT INTO lead_events (lead_id, kind, occurred_at, points) VALUES (103, 'email_open', now() - interval '1 day', 100); -- 100 -> 50

SELECT ok(abs(engagement - 21) < 1e-9, 'lead_scores: engagement of lead 101 = 40/2 + 4/4') FROM lead_scores WHERE lead_id = 101;
SELECT ok(abs(model_score - lead_score(m, ARRAY[0, 80]::float8[])) < 1e-15, 'lead_scores: model score from the active model')
  FROM lead_scores, pm WHERE lead_id = 101;
SELECT ok(abs(combined_score - 100 * (0.7 * lead_score(m, ARRAY[0, 80]::float8[]) + 0.3 * 21 / (21 + 50.0))) < 1e-9,
          'lead_scores: combined = 100 * (0.7 * model + 0.3 * e / (e + 50))') FROM lead_scores, pm WHERE lead_id = 101;
SELECT ok(abs(combined_score - 100 * 50 / 100.0) < 1e-9 AND model_score IS NULL AND top_reasons IS NULL,
          'lead_scores: without features the score is engagement only') FROM lead_scores WHERE lead_id = 103;
SELECT is(ARRAY[grade, is_mql::text], ARRAY['A', 'true'], 'lead_scores: lead 101 is grade A and an MQL')
  FROM lead_scores WHERE lead_id = 101;
SELECT is(grade, 'B', 'lead_scores: lead 103 with combined 50 is grade B') FROM lead_scores WHERE lead_id = 103;
SELECT is(top_reasons[1], 'trait_anxiety +' || round((0.119044916668607 * 80)::numeric, 2),
          'lead_scores: top reason names the feature and its contribution') FROM lead_scores WHERE lead_id = 101;
SELECT is((SELECT is_mql FROM lead_scores WHERE lead_id = 1), false, 'lead_scores: won leads are never MQL');

INSERT INTO customers (customer_id, name) VALUES (1, 'ACME');
INSERT INTO items (item_id, sku, name, unit_price) VALUES (1, 'W', 'Widget', 10);
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (1, 1, 'draft'), (2, 1, 'draft');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES
(1, 1, 1, 3, 10), (1, 2, 1, 1, 2.5), (2, 1, 1, 2, 10);
SELECT is((SELECT ARRAY[items::numeric, amount] FROM sales_pipeline WHERE pipeline = 'sales_orders' AND stage = 'draft'),
          ARRAY[2::numeric, 52.5], 'sales_pipeline: 2 draft orders worth 3*10 + 2.5 + 2*10');
SELECT is((SELECT sum(items) FROM sales_pipeline WHERE pipeline = 'leads'), 23::numeric,
          'sales_pipeline: every lead counted once');
SELECT is((SELECT sum(amount) FROM sales_pipeline WHERE pipeline = 'leads' AND stage IN ('new', 'qualified')), 1700::numeric,
          'sales_pipeline: open lead amounts');

SELECT * FROM finish();
ROLLBACK;
