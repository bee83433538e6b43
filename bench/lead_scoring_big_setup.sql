-- Part (c) of bench/lead_scoring.sh: :rows synthetic rows, 20 standard-ish
-- features (sums of two uniforms), labels drawn from a known logistic model
-- (truth in bench_big_truth).  Unlogged: this is scratch data.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crmscm;
SELECT setseed(0.7) \g /dev/null
DROP TABLE IF EXISTS bench_big, bench_big_truth;
CREATE TABLE bench_big_truth AS
SELECT ARRAY[-1.0, 0.5, -0.5, 0.25, -0.25, 1, -1, 0.1, -0.1, 0.3, -0.3,
             0.2, -0.2, 0.4, -0.4, 0.6, -0.6, 0.05, -0.05, 0.8, -0.8]::float8[] AS truth;
CREATE UNLOGGED TABLE bench_big AS
SELECT random() < 1 / (1 + exp(-(t[1] + t[2] * f[1] + t[3] * f[2] + t[4] * f[3] + t[5] * f[4] + t[6] * f[5]
                                 + t[7] * f[6] + t[8] * f[7] + t[9] * f[8] + t[10] * f[9] + t[11] * f[10]
                                 + t[12] * f[11] + t[13] * f[12] + t[14] * f[13] + t[15] * f[14] + t[16] * f[15]
                                 + t[17] * f[16] + t[18] * f[17] + t[19] * f[18] + t[20] * f[19] + t[21] * f[20]))) AS y,
       f
  FROM (SELECT ARRAY[random() + random() - 1, random() + random() - 1, random() + random() - 1, random() + random() - 1,
                     random() + random() - 1, random() + random() - 1, random() + random() - 1, random() + random() - 1,
                     random() + random() - 1, random() + random() - 1, random() + random() - 1, random() + random() - 1,
                     random() + random() - 1, random() + random() - 1, random() + random() - 1, random() + random() - 1,
                     random() + random() - 1, random() + random() - 1, random() + random() - 1, random() + random() - 1]
               AS f
          FROM generate_series(1, :rows)) s,
       (SELECT truth AS t FROM bench_big_truth) tr;
VACUUM ANALYZE bench_big;
SELECT pg_size_pretty(pg_table_size('bench_big')) AS "table size", count(*) AS rows FROM bench_big;
