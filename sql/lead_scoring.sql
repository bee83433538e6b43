-- Lead scoring: messages (NOTICE on dropped columns, WARNING on separation),
-- error texts, text form.  Numbers shown are MADlib's documented patients
-- result (apache/madlib logistic.sql_in) rounded to 6 places.
SET extra_float_digits = 0;
CREATE TEMP TABLE patients (id int, second_attack int, treatment int, trait_anxiety int);
INSERT INTO patients VALUES
(1, 1, 1, 70), (2, 1, 1, 80), (3, 1, 1, 50), (4, 1, 0, 60), (5, 1, 0, 40), (6, 1, 0, 65),
(7, 1, 0, 75), (8, 1, 0, 80), (9, 1, 0, 70), (10, 1, 0, 60), (11, 0, 1, 65), (12, 0, 1, 50),
(13, 0, 1, 45), (14, 0, 1, 35), (15, 0, 1, 40), (16, 0, 1, 50), (17, 0, 0, 55), (18, 0, 0, 45),
(19, 0, 0, 50), (20, 0, 0, 60);

-- MADlib: coef {-6.36346994178192, -1.02410605239327, 0.119044916668607},
-- std_err {3.21389766375099, 1.17107844860319, 0.0549790458269317}
SELECT feature, round(coef::numeric, 6) AS coef, round(std_err::numeric, 5) AS std_err,
       round(odds_ratio::numeric, 6) AS odds_ratio
  FROM crmscm.lead_model_summary(
         (SELECT crmscm.lead_model_fit(second_attack = 1, ARRAY[treatment, trait_anxiety]::float8[]) FROM patients));

-- a constant column and a duplicate are dropped with a NOTICE each
SELECT round(c::numeric, 6) AS coef
  FROM unnest(crmscm.lead_model_coef(
         (SELECT crmscm.lead_model_fit(second_attack = 1, ARRAY[1, treatment, trait_anxiety, treatment]::float8[])
            FROM patients))) c;

-- complete separation: a WARNING, and the flag
SELECT crmscm.lead_model_separation(crmscm.lead_model_fit(x > 0, ARRAY[x]::float8[]))
  FROM generate_series(-3, 3) x WHERE x <> 0;

-- errors name what is wrong
SELECT crmscm.lead_model_fit(x > 2, ARRAY[x, NULL]::float8[]) FROM generate_series(1, 5) x;
SELECT crmscm.lead_model_fit(true, ARRAY[x]::float8[]) FROM generate_series(1, 5) x;
SELECT crmscm.lead_model_fit(x > 2, ARRAY[x, x * x, x ^ 3]) FROM generate_series(1, 3) x;
SELECT crmscm.lead_model_fit(true, array_fill(0::float8, ARRAY[1001]));
SELECT 'garbage'::crmscm.lead_model;
SELECT '{"features":0,"rows":2,"positives":2,"l2":0,"log_likelihood":-1,"iterations":1,"converged":true,"separation":false,"condition_number":1,"coef":[0],"std_err":[1]}'::crmscm.lead_model;

-- the text form of an intercept-only model of 1 conversion in 4, closed
-- form: coef = ln(1/3) = -1.0986122886681098, std_err = sqrt(1 / (4 * 1/4 * 3/4))
-- = 1.1547005383792517, log-likelihood = ln(1/4) + 3 ln(3/4) = -2.249340578475233
SELECT m, crmscm.lead_score(m, '{}') AS p
  FROM (SELECT crmscm.lead_model_fit(c, '{}') AS m
          FROM (VALUES (true), (false), (false), (false)) v(c)) s;
