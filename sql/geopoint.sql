-- crmscm.geopoint: text forms, binary round trips, operators, indexes.
-- Distances against PostGIS reference values are in test/pgtap/geopoint.sql.
SET search_path = crmscm, public;
SET extra_float_digits = 0;

-- the three accepted text forms, and the canonical output
SELECT '(52.52,13.405)'::geopoint AS paren,
       ' 52.52 , 13.405 '::geopoint AS bare,
       'POINT(13.405 52.52)'::geopoint AS wkt,
       'point ( -73.9857 40.7484 )'::geopoint AS wkt_lower;
SELECT '(-0,-0)'::geopoint AS minus_zero, '(90,180)'::geopoint, '(-90,-180)'::geopoint,
       '(1e-7,0.1)'::geopoint AS small;
SELECT geopoint(48.8566, 2.3522), latitude('(48.8566,2.3522)'), longitude('(48.8566,2.3522)');

-- errors name the bad value (SQLSTATEs are asserted in the pgTAP suite)
SELECT '(90.0000001,0)'::geopoint;
SELECT '(0,-180.5)'::geopoint;
SELECT '(NaN,0)'::geopoint;
SELECT 'POINT(1,2)'::geopoint;
SELECT ''::geopoint;
SELECT geopoint(91, 0);
SELECT geopoint(0, 'Infinity');

-- operators, btree and hash support
SELECT '(1,2)'::geopoint = '(1,2)'::geopoint AS eq,
       '(1,2)'::geopoint <> '(1,3)'::geopoint AS ne,
       '(1,2)'::geopoint < '(1,3)'::geopoint AS lt,
       '(2,-170)'::geopoint > '(1,170)'::geopoint AS gt_by_latitude_first,
       '(-0,0)'::geopoint = '(0,0)'::geopoint AS minus_zero_equal;
CREATE TEMP TABLE places (name text, p geopoint);
INSERT INTO places VALUES ('Berlin', '(52.52,13.405)'), ('Paris', '(48.8566,2.3522)'),
  ('Moscow', '(55.7558,37.6173)'), ('Berlin again', '52.52,13.405'), ('Quito', '(-0.1807,-78.4678)');
SELECT p, count(*) FROM places GROUP BY p ORDER BY p;
SET enable_sort = off;
SELECT DISTINCT p FROM places ORDER BY 1;
RESET enable_sort;
CREATE INDEX places_btree ON places USING btree (p);
CREATE INDEX places_hash ON places USING hash (p);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT name FROM places WHERE p = '(48.8566,2.3522)';
SELECT name FROM places WHERE p = '(48.8566,2.3522)';
SELECT name FROM places WHERE p = '(52.52,13.405)' ORDER BY name;
RESET enable_seqscan;
-- Berlin-Paris: 877464.5340 m by PostGIS 3.3.2 ST_DistanceSphere (issue #2)
SELECT round((a.p <-> b.p)::numeric, 3) AS berlin_paris_km
  FROM places a, places b WHERE a.name = 'Berlin' AND b.name = 'Paris';

-- property test: one million random points survive text and binary round trips
SELECT setseed(0.2611);
CREATE TEMP TABLE pts AS
  SELECT i, CASE i % 3
              WHEN 0 THEN geopoint(random() * 180 - 90, random() * 360 - 180)
              WHEN 1 THEN geopoint(round((random() * 180 - 90)::numeric, 6)::float8,
                                   round((random() * 360 - 180)::numeric, 6)::float8)
              ELSE geopoint((random() - 0.5) * 1e-6, (random() - 0.5) * 1e-300)
            END AS p
    FROM generate_series(1, 1000000) i;
SELECT count(*) AS text_mismatches FROM pts WHERE p::text::geopoint <> p;
\copy (SELECT i, p FROM pts) TO 'results/geopoint_roundtrip.bin' WITH (FORMAT binary)
CREATE TEMP TABLE pts_back (i int, p geopoint);
\copy pts_back FROM 'results/geopoint_roundtrip.bin' WITH (FORMAT binary)
SELECT count(*) AS rows_back, count(*) FILTER (WHERE a.p <> b.p) AS binary_mismatches
  FROM pts a JOIN pts_back b USING (i);

-- truncated, oversized and garbage binary input is rejected, never crashes.
-- COPY BINARY file: signature, flags, header extension, then one row of one field.
\set hdr '\\120\\107\\103\\117\\120\\131\\012\\377\\015\\012\\000\\000\\000\\000\\000\\000\\000\\000\\000'
CREATE TEMP TABLE bin_in (p geopoint);
-- field of 8 bytes (one float8 missing)
\setenv HDR :hdr
\! printf "$HDR\000\001\000\000\000\010\100\112\102\217\134\050\365\303\377\377" > results/geopoint_short.bin
\copy bin_in FROM 'results/geopoint_short.bin' WITH (FORMAT binary)
-- field of 24 bytes (8 bytes too many)
\! printf "$HDR\000\001\000\000\000\030\100\112\102\217\134\050\365\303\100\052\317\134\050\365\302\217\000\000\000\000\000\000\000\000\377\377" > results/geopoint_long.bin
\copy bin_in FROM 'results/geopoint_long.bin' WITH (FORMAT binary)
-- 16 bytes: latitude NaN
\! printf "$HDR\000\001\000\000\000\020\177\370\000\000\000\000\000\000\100\052\317\134\050\365\302\217\377\377" > results/geopoint_nan.bin
\copy bin_in FROM 'results/geopoint_nan.bin' WITH (FORMAT binary)
-- 16 bytes: latitude 1e300 (garbage bits)
\! printf "$HDR\000\001\000\000\000\020\176\067\344\074\210\000\165\234\100\052\317\134\050\365\302\217\377\377" > results/geopoint_huge.bin
\copy bin_in FROM 'results/geopoint_huge.bin' WITH (FORMAT binary)
-- 16 bytes: a valid point (52.52, 13.405) is accepted
\! printf "$HDR\000\001\000\000\000\020\100\112\102\217\134\050\365\303\100\052\317\134\050\365\302\217\377\377" > results/geopoint_ok.bin
\copy bin_in FROM 'results/geopoint_ok.bin' WITH (FORMAT binary)
SELECT p FROM bin_in;
