-- CPU seconds (user + system) used so far by this backend, from /proc/self/stat
-- (utime and stime, fields 14 and 15, in clock ticks): robust against other load on the machine.
CREATE FUNCTION pg_temp.cpu_seconds(ticks_per_second int DEFAULT 100) RETURNS float8
LANGUAGE sql AS $$
	SELECT (split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint)::float8 / ticks_per_second
	  FROM (SELECT split_part(pg_read_file('/proc/self/stat'), ') ', 2) AS s) f
$$;
