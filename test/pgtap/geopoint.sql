-- crmscm.geopoint: distances against PostGIS, input validation, operators.
\i test/setup.sql
SELECT plan(67);

-- Reference distances in metres, measured with PostGIS 3.3.2 / PROJ 9.1.1:
-- ST_DistanceSphere and geography ST_Distance (issue #2).
CREATE TEMP TABLE ref (name text, a geopoint, b geopoint, sphere_m float8, ellipsoid_m float8);
INSERT INTO ref VALUES
  ('Berlin-Paris', '(52.52,13.405)', '(48.8566,2.3522)', 877464.5340, 879699.3161),
  ('Moscow-Vladivostok', '(55.7558,37.6173)', '(43.1155,131.8855)', 6415466.2407, 6433968.9159),
  ('(0,0)-(0,1)', '(0,0)', '(0,1)', 111195.0797, 111319.4908),
  ('(0,0)-(1,0)', '(0,0)', '(1,0)', 111195.0797, 110574.3886),
  ('(0,0)-(0.5,179.5)', '(0,0)', '(0.5,179.5)', 19936488.0563, 19936288.5790),
  ('(0,0)-(0,180) antipodal', '(0,0)', '(0,180)', 20015114.3522, 20003931.4586),
  ('(90,0)-(-90,0) pole to pole', '(90,0)', '(-90,0)', 20015114.3522, 20003931.4586),
  ('(10,179.9)-(10,-179.9) antimeridian', '(10,179.9)', '(10,-179.9)', 21901.1550, 21927.8725);

-- sphere: 1e-9 relative (plus the 0.05 mm rounding of the reference)
SELECT ok(abs(distance_km(a, b) * 1000 - sphere_m) <= 1e-9 * sphere_m + 5e-5,
          'distance_km ' || name || ' = ST_DistanceSphere ' || sphere_m || ' m within 1e-9')
  FROM ref ORDER BY name;
SELECT ok(abs(geodesic_km(a, b) * 1000 - ellipsoid_m) <= 1e-3,
          'geodesic_km ' || name || ' = geography ST_Distance ' || ellipsoid_m || ' m within 1 mm')
  FROM ref ORDER BY name;
SELECT is(a <-> b, distance_km(a, b), '<-> equals distance_km for ' || name)
  FROM ref ORDER BY name;
SELECT is(distance_km('(1,2)', '(1,2)'), 0::float8, 'distance to itself is 0');

-- malformed text input: SQLSTATE and a message that names the value
SELECT throws_ok(format('SELECT %L::crmscm.geopoint', inp), code, msg, 'rejects ' || quote_literal(inp))
  FROM (VALUES
    ('', '22P02', 'invalid input syntax for type geopoint: ""'),
    ('   ', '22P02', 'invalid input syntax for type geopoint: "   "'),
    ('()', '22P02', 'invalid input syntax for type geopoint: "()"'),
    ('(1)', '22P02', 'invalid input syntax for type geopoint: "(1)"'),
    ('(1,)', '22P02', 'invalid input syntax for type geopoint: "(1,)"'),
    ('(,1)', '22P02', 'invalid input syntax for type geopoint: "(,1)"'),
    ('(1,2,3)', '22P02', 'invalid input syntax for type geopoint: "(1,2,3)"'),
    ('(1,2', '22P02', 'invalid input syntax for type geopoint: "(1,2"'),
    ('1,2)', '22P02', 'invalid input syntax for type geopoint: "1,2)"'),
    ('(1,2) x', '22P02', 'invalid input syntax for type geopoint: "(1,2) x"'),
    ('garbage', '22P02', 'invalid input syntax for type geopoint: "garbage"'),
    ('(1;2)', '22P02', 'invalid input syntax for type geopoint: "(1;2)"'),
    ('(0x1A,2)', '22P02', 'invalid input syntax for type geopoint: "(0x1A,2)"'),
    ('POINT(1,2)', '22P02', 'invalid input syntax for type geopoint: "POINT(1,2)"'),
    ('POINT(12)', '22P02', 'invalid input syntax for type geopoint: "POINT(12)"'),
    ('POINT 1 2', '22P02', 'invalid input syntax for type geopoint: "POINT 1 2"'),
    ('(1 2)', '22P02', 'invalid input syntax for type geopoint: "(1 2)"'),
    ('(1e,2)', '22P02', 'invalid input syntax for type geopoint: "(1e,2)"'),
    ('(90.0000001,0)', '22003', 'latitude 90.0000001 is out of range for type geopoint: "(90.0000001,0)"'),
    ('(-90.5,0)', '22003', 'latitude -90.5 is out of range for type geopoint: "(-90.5,0)"'),
    ('(0,180.0000001)', '22003', 'longitude 180.0000001 is out of range for type geopoint: "(0,180.0000001)"'),
    ('POINT(-181 0)', '22003', 'longitude -181 is out of range for type geopoint: "POINT(-181 0)"'),
    ('(NaN,0)', '22003', 'coordinates of type geopoint must be finite: "(NaN,0)"'),
    ('(0,Infinity)', '22003', 'coordinates of type geopoint must be finite: "(0,Infinity)"'),
    ('(-inf,1)', '22003', 'coordinates of type geopoint must be finite: "(-inf,1)"'),
    ('(1e400,0)', '22003', 'coordinates of type geopoint must be finite: "(1e400,0)"')
  ) AS bad(inp, code, msg);
SELECT throws_like(format('SELECT %L::crmscm.geopoint', '(1,2)' || repeat(' ', 2000)),
                   'input for type geopoint is too long%', 'rejects a 2005-byte string');
SELECT throws_ok($$SELECT crmscm.geopoint('NaN', 0)$$, '22003', NULL, 'constructor rejects NaN');
SELECT throws_ok($$SELECT crmscm.geopoint(0, '-Infinity')$$, '22003', NULL, 'constructor rejects -Infinity');
SELECT throws_ok($$SELECT crmscm.geopoint(-91, 0)$$, '22003',
                 'latitude -91 is out of range for type geopoint', 'constructor names the bad latitude');
SELECT throws_ok($$SELECT crmscm.geopoint(0, 200.25)$$, '22003',
                 'longitude 200.25 is out of range for type geopoint', 'constructor names the bad longitude');
SELECT is(geopoint(NULL, 1), NULL, 'constructor is STRICT');

-- accepted forms agree
SELECT is('52.52,13.405'::geopoint, '(52.52,13.405)'::geopoint, 'bare form equals parenthesised form');
SELECT is('POINT(13.405 52.52)'::geopoint, geopoint(52.52, 13.405), 'WKT takes longitude first');
SELECT is(latitude('(-33.8688,151.2093)'), -33.8688::float8, 'latitude accessor');
SELECT is(longitude('(-33.8688,151.2093)'), 151.2093::float8, 'longitude accessor');

-- btree and hash operator classes are the defaults, and agree with =
SELECT is((SELECT count(DISTINCT p) FROM (VALUES ('(1,2)'::geopoint), ('1,2'), ('POINT(2 1)'), ('(-0,2)')) v(p))::int,
          2, 'DISTINCT groups equal points (and -0 with 0)');
SELECT ok(EXISTS (SELECT 1 FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                  WHERE c.opcintype = 'crmscm.geopoint'::regtype AND c.opcdefault AND a.amname = 'btree'),
          'default btree operator class');
SELECT ok(EXISTS (SELECT 1 FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                  WHERE c.opcintype = 'crmscm.geopoint'::regtype AND c.opcdefault AND a.amname = 'hash'),
          'default hash operator class');
SELECT is(crmscm.geopoint_hash('(-0,0)'), crmscm.geopoint_hash('(0,0)'), 'hash of -0 equals hash of 0');

-- declared volatility and parallel safety
SELECT volatility_is('crmscm', 'distance_km', ARRAY['geopoint', 'geopoint'], 'immutable',
                     'distance_km is IMMUTABLE');
SELECT is_strict('crmscm', 'geodesic_km', ARRAY['geopoint', 'geopoint'], 'geodesic_km is STRICT');

-- crmscm.current_tenant() and the setting crmscm.tenant_id: test/pgtap/current_tenant.sql

SELECT * FROM finish();
ROLLBACK;
