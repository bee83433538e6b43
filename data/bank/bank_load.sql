-- UCI bank marketing (data/bank/README.md) loaded and encoded for
-- crmscm.lead_model_fit.  Used by the tests, the demo and the benchmark; run
-- by psql from the repository root.  Creates public.bank_raw (the file as
-- is, rowno = data row number in file order), public.bank_leads (rowno,
-- is_test, converted, features, attributes) and public.bank_feature_names.
--
-- Encoding (doc/lead_scoring.md; test/data/lead/make_reference.py does the
-- same in numpy for the reference fit):
--   split      rowno % 5 = 0 is the 20 % test set, the rest trains;
--   numeric    age, campaign, previous, emp.var.rate, cons.price.idx,
--              cons.conf.idx, euribor3m, nr.employed standardised with the
--              training rows' mean and population standard deviation;
--   pdays      the indicator pdays <> 999 (contacted before);
--   default    the indicator default <> 'no' ('yes' has 3 rows, all lost);
--   the other categoricals one-hot, the alphabetically first level left out;
--   duration   left out: it is only known after the call (names file).
-- loan = 'unknown' equals housing = 'unknown' row by row: lead_model_fit
-- drops it with a NOTICE.

CREATE TABLE public.bank_raw (
	rowno bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	age int, job text, marital text, education text, "default" text, housing text,
	loan text, contact text, month text, day_of_week text, duration int, campaign int,
	pdays int, previous int, poutcome text, emp_var_rate float8, cons_price_idx float8,
	cons_conf_idx float8, euribor3m float8, nr_employed float8, y text
);
\copy public.bank_raw (age, job, marital, education, "default", housing, loan, contact, month, day_of_week, duration, campaign, pdays, previous, poutcome, emp_var_rate, cons_price_idx, cons_conf_idx, euribor3m, nr_employed, y) FROM 'data/bank/bank-additional-full.csv' WITH (FORMAT csv, HEADER true, DELIMITER ';')

CREATE TABLE public.bank_feature_names AS
SELECT ARRAY['age', 'campaign', 'previous', 'emp_var_rate', 'cons_price_idx', 'cons_conf_idx', 'euribor3m', 'nr_employed', 'pdays_contacted', 'default_not_no', 'job=blue-collar', 'job=entrepreneur', 'job=housemaid', 'job=management', 'job=retired', 'job=self-employed', 'job=services', 'job=student', 'job=technician', 'job=unemployed', 'job=unknown', 'marital=married', 'marital=single', 'marital=unknown', 'education=basic.6y', 'education=basic.9y', 'education=high.school', 'education=illiterate', 'education=professional.course', 'education=university.degree', 'education=unknown', 'housing=unknown', 'housing=yes', 'loan=unknown', 'loan=yes', 'contact=telephone', 'month=aug', 'month=dec', 'month=jul', 'month=jun', 'month=mar', 'month=may', 'month=nov', 'month=oct', 'month=sep', 'day_of_week=mon', 'day_of_week=thu', 'day_of_week=tue', 'day_of_week=wed', 'poutcome=nonexistent', 'poutcome=success']::text[] AS names;

CREATE TABLE public.bank_leads AS
WITH s AS (
SELECT avg(age) AS age_mean, stddev_pop(age) AS age_sd,
       avg(campaign) AS campaign_mean, stddev_pop(campaign) AS campaign_sd,
       avg(previous) AS previous_mean, stddev_pop(previous) AS previous_sd,
       avg(emp_var_rate) AS emp_var_rate_mean, stddev_pop(emp_var_rate) AS emp_var_rate_sd,
       avg(cons_price_idx) AS cons_price_idx_mean, stddev_pop(cons_price_idx) AS cons_price_idx_sd,
       avg(cons_conf_idx) AS cons_conf_idx_mean, stddev_pop(cons_conf_idx) AS cons_conf_idx_sd,
       avg(euribor3m) AS euribor3m_mean, stddev_pop(euribor3m) AS euribor3m_sd,
       avg(nr_employed) AS nr_employed_mean, stddev_pop(nr_employed) AS nr_employed_sd
  FROM public.bank_raw WHERE rowno % 5 <> 0
)
SELECT r.rowno,
       r.rowno % 5 = 0 AS is_test,
       r.y = 'yes' AS converted,
       ARRAY[(r.age - s.age_mean) / s.age_sd,
             (r.campaign - s.campaign_mean) / s.campaign_sd,
             (r.previous - s.previous_mean) / s.previous_sd,
             (r.emp_var_rate - s.emp_var_rate_mean) / s.emp_var_rate_sd,
             (r.cons_price_idx - s.cons_price_idx_mean) / s.cons_price_idx_sd,
             (r.cons_conf_idx - s.cons_conf_idx_mean) / s.cons_conf_idx_sd,
             (r.euribor3m - s.euribor3m_mean) / s.euribor3m_sd,
             (r.nr_employed - s.nr_employed_mean) / s.nr_employed_sd,
             (r.pdays <> 999)::int,
             (r."default" <> 'no')::int,
             (r.job = 'blue-collar')::int,
             (r.job = 'entrepreneur')::int,
             (r.job = 'housemaid')::int,
             (r.job = 'management')::int,
             (r.job = 'retired')::int,
             (r.job = 'self-employed')::int,
             (r.job = 'services')::int,
             (r.job = 'student')::int,
             (r.job = 'technician')::int,
             (r.job = 'unemployed')::int,
             (r.job = 'unknown')::int,
             (r.marital = 'married')::int,
             (r.marital = 'single')::int,
             (r.marital = 'unknown')::int,
             (r.education = 'basic.6y')::int,
             (r.education = 'basic.9y')::int,
             (r.education = 'high.school')::int,
             (r.education = 'illiterate')::int,
             (r.education = 'professional.course')::int,
             (r.education = 'university.degree')::int,
             (r.education = 'unknown')::int,
             (r.housing = 'unknown')::int,
             (r.housing = 'yes')::int,
             (r.loan = 'unknown')::int,
             (r.loan = 'yes')::int,
             (r.contact = 'telephone')::int,
             (r.month = 'aug')::int,
             (r.month = 'dec')::int,
             (r.month = 'jul')::int,
             (r.month = 'jun')::int,
             (r.month = 'mar')::int,
             (r.month = 'may')::int,
             (r.month = 'nov')::int,
             (r.month = 'oct')::int,
             (r.month = 'sep')::int,
             (r.day_of_week = 'mon')::int,
             (r.day_of_week = 'thu')::int,
             (r.day_of_week = 'tue')::int,
             (r.day_of_week = 'wed')::int,
             (r.poutcome = 'nonexistent')::int,
             (r.poutcome = 'success')::int]::float8[] AS features,
       ARRAY[r.job, r.marital, r.education, r."default", r.housing, r.loan, r.contact,
             r.month, r.day_of_week, r.poutcome] AS attributes
  FROM public.bank_raw r, s
 ORDER BY r.rowno;
ANALYZE public.bank_leads;
