-- Parallel aggregation of the lifetime aggregates: workers build partial states,
-- serialize them, the leader deserializes and combines them (leader participation
-- off so every row goes through that path).  Expected values: the same aggregate
-- run serially, and CDNOW's MLE (FHL 2005, r 0.2426) which is unchanged when every
-- customer is repeated 8 times.
\i test/setup.sql
SELECT plan(6);
CREATE TABLE par_elog (masterid int, sampleid int, date text, cds int, sales float8);
\copy par_elog FROM 'data/cdnow/cdnowElog.csv' WITH (FORMAT csv, HEADER true)
ANALYZE par_elog;
CREATE TABLE par_cbs (id int, x float8, t_x float8, t float8, zbar float8);
\copy par_cbs FROM 'data/cdnow/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO par_cbs SELECT c.* FROM par_cbs c, generate_series(1, 7);
ANALYZE par_cbs;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
CREATE FUNCTION pg_temp.plan_has(q text, what text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE r text; acc text := '';
BEGIN
	FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP acc := acc || r || E'\n'; END LOOP;
	RETURN position(what IN acc) > 0;
END $$;
SELECT ok(pg_temp.plan_has('SELECT bgnbd_fit(x, t_x, t), gamma_gamma_fit(x, zbar) FROM par_cbs', 'Partial Aggregate'), 'parallel plan with partial aggregates');
SELECT ok(pg_temp.plan_has($$SELECT rfm_summary(to_date(date, 'YYYYMMDD'), sales, '1997-09-30') FROM par_elog$$, 'Partial Aggregate'), 'parallel plan for rfm_summary');
CREATE TEMP TABLE rpar AS SELECT rfm_summary(to_date(date, 'YYYYMMDD'), sales, '1997-09-30') r FROM par_elog;
CREATE TEMP TABLE par AS SELECT bgnbd_fit(x, t_x, t) bg, gamma_gamma_fit(x, zbar) gg FROM par_cbs;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser AS SELECT bgnbd_fit(x, t_x, t) bg, gamma_gamma_fit(x, zbar) gg FROM par_cbs;
CREATE TEMP TABLE rser AS SELECT rfm_summary(to_date(date, 'YYYYMMDD'), sales, '1997-09-30') r FROM par_elog;
SELECT ok((p.r).frequency = (s.r).frequency AND (p.r).recency = (s.r).recency AND (p.r).t = (s.r).t
          AND abs((p.r).monetary - (s.r).monetary) < 1e-9 * (s.r).monetary, 'parallel rfm_summary = serial')
  FROM rpar p, rser s;
SELECT ok(abs((p.bg).r / (s.bg).r - 1) < 1e-6 AND abs((p.bg).b / (s.bg).b - 1) < 1e-6 AND (p.bg).n = (s.bg).n AND (p.bg).n = 18856, 'parallel bgnbd_fit = serial') FROM par p, ser s;
SELECT ok(abs((p.gg).q / (s.gg).q - 1) < 1e-6 AND (p.gg).n = (s.gg).n, 'parallel gamma_gamma_fit = serial') FROM par p, ser s;
SELECT ok(abs((s.bg).r / 0.2426 - 1) < 1e-3, '8 copies of CDNOW: same MLE as CDNOW') FROM ser s;
SELECT * FROM finish();
ROLLBACK;
