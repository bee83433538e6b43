-- bench/routing.sh: crmscm.tsp_tour vs pgr_TSP on the same matrices.
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
CREATE EXTENSION pgrouting CASCADE;
SET search_path = crmscm, public;

CREATE TABLE raw (line text);
CREATE TABLE nodes (inst text, i int, x float8, y float8);
CREATE FUNCTION load(inst text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO nodes
  SELECT inst, f[1]::int, f[2]::float8, f[3]::float8
    FROM (SELECT regexp_split_to_array(btrim(line), '\s+') f FROM raw) s
   WHERE array_length(f, 1) = 3 AND f[1] ~ '^\d+$' AND f[2] ~ '^-?[\d.e+]+$';
  TRUNCATE raw;
$$;
\copy raw FROM 'test/data/tsplib/eil51.tsp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT load('eil51') \gset
\copy raw FROM 'test/data/tsplib/berlin52.tsp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT load('berlin52') \gset
\copy raw FROM 'test/data/tsplib/kroA100.tsp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT load('kroA100') \gset
-- random uniform points in a 10000 x 10000 square, fixed seed
SELECT setseed(0.2026) \gset
INSERT INTO nodes SELECT 'rand' || n, i, floor(random() * 10000), floor(random() * 10000)
  FROM unnest(ARRAY[200, 500, 1000]) n, generate_series(1, n) i
 WHERE n <= :max_n ORDER BY n, i;

CREATE TABLE instances (inst text PRIMARY KEY, n int, optimum float8);
INSERT INTO instances SELECT inst, count(*), CASE inst WHEN 'eil51' THEN 426 WHEN 'berlin52' THEN 7542 WHEN 'kroA100' THEN 21282 END
  FROM nodes GROUP BY inst;
-- TSPLIB EUC_2D distance: nint(sqrt(dx^2 + dy^2))
CREATE TABLE edges AS
SELECT a.inst, a.i AS start_vid, b.i AS end_vid, floor(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) + 0.5) AS agg_cost
  FROM nodes a JOIN nodes b ON a.inst = b.inst AND a.i <> b.i;
CREATE INDEX ON edges (inst);
CREATE TABLE mats AS
SELECT inst, array_agg(r ORDER BY i) AS m
  FROM (SELECT a.inst, a.i, array_agg(floor(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) + 0.5) ORDER BY b.i) r
          FROM nodes a JOIN nodes b USING (inst) GROUP BY a.inst, a.i) s
 GROUP BY inst;

CREATE TABLE results (inst text, tool text, len float8, ms float8, valid boolean);
DO $$
DECLARE
  r record; t0 timestamptz; t int[]; len float8; n int; pg record;
BEGIN
  FOR r IN SELECT i.inst, i.n, m.m FROM instances i JOIN mats m USING (inst) ORDER BY i.n, i.inst LOOP
    t0 := clock_timestamp();
    t := crmscm.tsp_tour(r.m, 1, NULL, 1000);
    INSERT INTO results VALUES (r.inst, 'crmscm', crmscm.tour_cost(r.m, t),
      extract(epoch FROM clock_timestamp() - t0) * 1000,
      cardinality(t) = r.n AND (SELECT count(DISTINCT e) FROM unnest(t) e) = r.n);
    t0 := clock_timestamp();
    SELECT max(agg_cost) AS len, count(DISTINCT node) AS nodes INTO pg
      FROM pgr_TSP(format('SELECT start_vid, end_vid, agg_cost FROM edges WHERE inst = %L', r.inst), 1);
    INSERT INTO results VALUES (r.inst, 'pgr_TSP', pg.len,
      extract(epoch FROM clock_timestamp() - t0) * 1000, pg.nodes = r.n);
    RAISE NOTICE 'done %', r.inst;
  END LOOP;
END $$;

\pset footer off
\echo
\echo 'crmscm.tsp_tour(matrix, 1, NULL, 1000) vs pgr_TSP(matrix SQL, 1) (defaults), same rounded-Euclidean matrices'
SELECT i.inst AS instance, i.n AS nodes, i.optimum,
       c.len AS crmscm_len, round((100 * (c.len / i.optimum - 1))::numeric, 2) AS crmscm_gap_pct,
       round(c.ms::numeric) AS crmscm_ms,
       p.len AS pgr_len, round((100 * (p.len / i.optimum - 1))::numeric, 2) AS pgr_gap_pct,
       round(p.ms::numeric) AS pgr_ms,
       round((100 * (p.len / c.len - 1))::numeric, 1) AS pgr_longer_pct,
       round((p.ms / c.ms)::numeric, 1) AS speedup,
       c.valid AND p.valid AS both_valid
  FROM instances i
  JOIN results c ON c.inst = i.inst AND c.tool = 'crmscm'
  JOIN results p ON p.inst = i.inst AND p.tool = 'pgr_TSP'
 ORDER BY i.n, i.inst;
SELECT bool_and(c.len < p.len) AS "crmscm shorter everywhere",
       bool_and(i.optimum IS NULL OR c.len <= 1.02 * i.optimum) AS "crmscm within 2% of known optima",
       max(p.ms / c.ms) FILTER (WHERE i.n = 1000) AS "speedup at 1000 points"
  FROM instances i
  JOIN results c ON c.inst = i.inst AND c.tool = 'crmscm'
  JOIN results p ON p.inst = i.inst AND p.tool = 'pgr_TSP';
