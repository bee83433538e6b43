-- Part (b) of bench/lead_scoring.sh: crmscm.lead_score over 1,000,000 stored
-- 20-feature arrays vs the cost floor of a trivial function on the same
-- arrays (cardinality: detoasts the array, returns its length).  Serial
-- plans; best of 7 interleaved rounds.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crmscm;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SELECT setseed(0.42) \g /dev/null
DROP TABLE IF EXISTS bench_score;
CREATE TABLE bench_score AS
SELECT g AS id, ARRAY[random(), random(), random(), random(), random(), random(), random(), random(), random(), random(),
             random(), random(), random(), random(), random(), random(), random(), random(), random(), random()] AS f
  FROM generate_series(1, 1000000) g;
VACUUM ANALYZE bench_score;
SELECT crmscm.lead_model_fit(f[1] + f[2] - f[3] > random() * 1.5, f) AS model
  FROM bench_score WHERE id <= 20000 \gset
CREATE OR REPLACE FUNCTION pg_temp.bench(queries text[], rounds int) RETURNS float8[]
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8[]; ms float8;
BEGIN
  best := array_fill('Infinity'::float8, ARRAY[cardinality(queries)]);
  FOR r IN 1..rounds LOOP
    FOR i IN 1..cardinality(queries) LOOP
      t0 := clock_timestamp();
      EXECUTE queries[i];
      ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
      best[i] := least(best[i], ms);
    END LOOP;
  END LOOP;
  RETURN best;
END $$;
WITH t AS (
  SELECT pg_temp.bench(ARRAY[
           'SELECT count(*) FROM bench_score',
           'SELECT sum(cardinality(f)) FROM bench_score',
           format('SELECT sum(crmscm.lead_score(%L, f)) FROM bench_score', :'model')], 7) AS ms)
SELECT round(ms[1]::numeric, 1) AS "count(*) ms",
       round(ms[2]::numeric, 1) AS "floor cardinality(f) ms",
       round(ms[3]::numeric, 1) AS "lead_score ms",
       round((ms[3] / ms[2])::numeric, 2) AS "lead_score / floor (target <= 2)"
  FROM t;
DROP TABLE bench_score;
