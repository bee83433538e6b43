-- Benchmark: crmscm.distance_km over 1M pairs, side by side with
-- (a) a trivial built-in called on the same rows (float8pl: the cost floor of
--     calling one C function per row) and
-- (b) PostGIS ST_DistanceSphere on the same pairs.
-- Run by bench/geopoint.sh.  Serial plans, so per-row cost is compared.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crmscm;
CREATE EXTENSION IF NOT EXISTS postgis;
SET max_parallel_workers_per_gather = 0;
SET jit = off;

DROP TABLE IF EXISTS bench_pairs;
SELECT setseed(0.42);
CREATE TABLE bench_pairs AS
  SELECT lat1, lon1, lat2, lon2,
         crmscm.geopoint(lat1, lon1) AS a, crmscm.geopoint(lat2, lon2) AS b,
         ST_SetSRID(ST_MakePoint(lon1, lat1), 4326) AS ga,
         ST_SetSRID(ST_MakePoint(lon2, lat2), 4326) AS gb
    FROM (SELECT random() * 180 - 90 AS lat1, random() * 360 - 180 AS lon1,
                 random() * 180 - 90 AS lat2, random() * 360 - 180 AS lon2
            FROM generate_series(1, 1000000)) s;
VACUUM ANALYZE bench_pairs;
-- warm the cache
SELECT count(*) FROM bench_pairs \gset

CREATE OR REPLACE FUNCTION pg_temp.bench(q text, reps int DEFAULT 7) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; ms float8[] := '{}';
BEGIN
  FOR i IN 1..reps LOOP
    t0 := clock_timestamp();
    EXECUTE q;
    ms := ms || extract(epoch FROM clock_timestamp() - t0) * 1000;
  END LOOP;
  RETURN (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY m) FROM unnest(ms) m);
END $$;

-- agreement first: the two distances are the same function (1e-9 relative)
SELECT max(abs(crmscm.distance_km(a, b) * 1000 - ST_DistanceSphere(ga, gb))
           / greatest(ST_DistanceSphere(ga, gb), 1)) AS max_rel_diff_vs_postgis
  FROM bench_pairs;

WITH t AS (
  SELECT pg_temp.bench('SELECT sum(float8pl(lat1, lat2)) FROM bench_pairs') AS floor_ms,
         pg_temp.bench('SELECT sum(crmscm.distance_km(a, b)) FROM bench_pairs') AS crmscm_ms,
         pg_temp.bench('SELECT sum(ST_DistanceSphere(ga, gb)) FROM bench_pairs') AS postgis_ms)
SELECT round(floor_ms::numeric, 1) AS "floor float8pl ms",
       round(crmscm_ms::numeric, 1) AS "crmscm distance_km ms",
       round(postgis_ms::numeric, 1) AS "PostGIS ST_DistanceSphere ms",
       round((crmscm_ms / floor_ms)::numeric, 2) AS "crmscm / floor (target <= 1.5)",
       round((postgis_ms / crmscm_ms)::numeric, 2) AS "PostGIS / crmscm (target > 1)"
  FROM t;

SELECT round(pg_temp.bench('SELECT sum(crmscm.geodesic_km(a, b)) FROM bench_pairs', 3)::numeric, 1) AS "crmscm geodesic_km ms",
       round(pg_temp.bench('SELECT sum(ST_Distance(ga::geography, gb::geography)) FROM bench_pairs', 3)::numeric, 1) AS "PostGIS geography ST_Distance ms";
DROP TABLE bench_pairs;
