-- Part A of bench/synergy.sh: crmscm.promise() timed in the server, warm.
\set ON_ERROR_STOP on
CREATE TEMP TABLE t (ms float8);
DO $$
DECLARE s timestamptz; r record; i int;
BEGIN
	FOR i IN 1..50 LOOP	-- warm-up: plans, caches
		PERFORM * FROM crmscm.promise(1, 1 + i % 50, crmscm.geopoint(45, 9), current_date, 1 + i % 1000);
	END LOOP;
	FOR i IN 1..500 LOOP
		s := clock_timestamp();
		PERFORM * FROM crmscm.promise(1, 1 + (i * 7) % 50, crmscm.geopoint(44 + i % 10, 5 + i % 7),
									  current_date + i % 5, 1 + (i * 13) % 1000);
		INSERT INTO t VALUES (extract(epoch FROM clock_timestamp() - s) * 1000);
	END LOOP;
END $$;
SELECT format('promise(): %s warm calls, p50 %s ms, p95 %s ms, max %s ms (target p95 <= 2 ms)', count(*),
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3),
              round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 3), round(max(ms)::numeric, 3)) FROM t;
SELECT format('example: promise(1, 25, Milan, today, customer 5 (tier A)) = %s',
              string_agg(format('%s x %s on %s (%s)', warehouse_id, qty, available_on, source), ', '))
  FROM crmscm.promise(1, 25, crmscm.geopoint(45.4642, 9.19), current_date, 5);
