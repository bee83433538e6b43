-- Scoring every customer of bench_customers with the fitted bench_model:
-- P(alive) + expected purchases in 90 days (13 weeks) against the floor of two
-- trivial built-in functions on the same rows.  Five alternating rounds: the
-- best wall time of each side, and each side's backend CPU time summed over
-- the rounds (the CPU clock ticks at 10 ms).
\i bench/lifetime_cpu.sql
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SELECT sum(frequency + recency + t) FROM bench_customers \g /dev/null
CREATE TEMP TABLE timings (what text, wall float8, cpu float8);
DO $$
DECLARE
	t0 timestamptz;
	c0 float8;
	s float8;
BEGIN
	FOR i IN 1..5 LOOP
		t0 := clock_timestamp();
		c0 := pg_temp.cpu_seconds();
		SELECT sum(crmscm.bgnbd_p_alive((SELECT b.m FROM bench_model b), frequency, recency, t)
				 + crmscm.bgnbd_expected((SELECT b.m FROM bench_model b), 90 / 7.0, frequency, recency, t))
		  INTO s FROM bench_customers;
		INSERT INTO timings VALUES ('crmscm', extract(epoch FROM clock_timestamp() - t0), pg_temp.cpu_seconds() - c0);
		t0 := clock_timestamp();
		c0 := pg_temp.cpu_seconds();
		SELECT sum(pg_catalog.float8pl(frequency, recency) + pg_catalog.float8mi(recency, t))
		  INTO s FROM bench_customers;
		INSERT INTO timings VALUES ('floor', extract(epoch FROM clock_timestamp() - t0), pg_temp.cpu_seconds() - c0);
	END LOOP;
END $$;
SELECT min(wall) FILTER (WHERE what = 'crmscm'), min(wall) FILTER (WHERE what = 'floor'),
	   sum(cpu) FILTER (WHERE what = 'crmscm'), sum(cpu) FILTER (WHERE what = 'floor')
  FROM timings;
