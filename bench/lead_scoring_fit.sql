-- Part (a) of bench/lead_scoring.sh: fit the full bank data (41,188 rows) and
-- export the same design matrix for scikit-learn (bench/lead_sklearn.py).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crmscm;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\i data/bank/bank_load.sql
-- the 50-column design: loan=unknown (feature 34, identical to
-- housing=unknown) left out for both tools
CREATE TABLE bench_design AS
SELECT rowno, converted, features[1:33] || features[35:51] AS f FROM public.bank_leads ORDER BY rowno;
VACUUM ANALYZE bench_design;
-- all pages all-visible, so that scans skip per-tuple visibility checks (a
-- concurrent autovacuum of the freshly loaded bank tables can hold the first
-- VACUUM back): vacuum again after a pause, and show the result
SELECT pg_sleep(2);
VACUUM bench_design;
SELECT relpages AS "bench_design pages", relallvisible AS "all-visible" FROM pg_class WHERE relname = 'bench_design';
\set design_file :out '/design.csv'
\set ms_file :out '/crmscm_ms.csv'
\set coef_file :out '/crmscm_coef.csv'
COPY (SELECT converted::int || ',' || array_to_string(f, ',') FROM bench_design ORDER BY rowno) TO :'design_file';

-- one timed fit, in ms (bench/lead_sklearn.py calls it between its own fits,
-- so that both sides see the same load)
CREATE OR REPLACE FUNCTION public.bench_ms(q text) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  EXECUTE q;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SELECT round(least(public.bench_ms('SELECT count(f) FROM bench_design'),
                   public.bench_ms('SELECT count(f) FROM bench_design'),
                   public.bench_ms('SELECT count(f) FROM bench_design'))::numeric, 1) AS scan_ms \gset
SELECT 0 AS crmscm_ms \gset
COPY (SELECT :crmscm_ms, :scan_ms) TO :'ms_file';
COPY (SELECT feature, coef FROM crmscm.lead_model_summary((SELECT crmscm.lead_model_fit(converted, f) FROM bench_design)) ORDER BY feature) TO :'coef_file' WITH (FORMAT csv);
SELECT crmscm.lead_model_iterations(m) AS "Newton iterations", crmscm.lead_model_log_likelihood(m) AS "log-likelihood"
  FROM (SELECT crmscm.lead_model_fit(converted, f) m FROM bench_design) s;
