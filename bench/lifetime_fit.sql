-- crmscm.bgnbd_fit over bench_customers, three times; prints the best wall and
-- CPU seconds and the fitted model.
\i bench/lifetime_cpu.sql
SET max_parallel_workers_per_gather = 0;
SET jit = off;
CREATE TEMP TABLE fit_timings (wall float8, cpu float8);
CREATE TABLE bench_model (m crmscm.bgnbd);
DO $$
DECLARE
	t0 timestamptz;
	c0 float8;
	m crmscm.bgnbd;
BEGIN
	FOR i IN 1..3 LOOP
		t0 := clock_timestamp();
		c0 := pg_temp.cpu_seconds();
		m := (SELECT crmscm.bgnbd_fit(frequency, recency, t) FROM bench_customers);
		INSERT INTO fit_timings VALUES (extract(epoch FROM clock_timestamp() - t0), pg_temp.cpu_seconds() - c0);
	END LOOP;
	INSERT INTO bench_model VALUES (m);
END $$;
SELECT min(wall), min(cpu), (m).r, (m).alpha, (m).a, (m).b, (m).log_likelihood, (m).converged
  FROM fit_timings, bench_model GROUP BY m;
