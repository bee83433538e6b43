-- Geography: distances between real cities, nearest warehouse per customer.
\echo
\echo '== Geography: great-circle distances (km) between European cities'
CREATE TEMP TABLE demo_cities (name text PRIMARY KEY, country text, lat float8, lon float8);
\copy demo_cities FROM 'data/cities.csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE demo_cities ADD COLUMN location crmscm.geopoint;
UPDATE demo_cities SET location = crmscm.geopoint(lat, lon);

SELECT a.name AS "from",
       round((a.location OPERATOR(crmscm.<->) (SELECT location FROM demo_cities WHERE name = 'Berlin'))::numeric) AS "Berlin",
       round((a.location OPERATOR(crmscm.<->) (SELECT location FROM demo_cities WHERE name = 'Paris'))::numeric) AS "Paris",
       round((a.location OPERATOR(crmscm.<->) (SELECT location FROM demo_cities WHERE name = 'Madrid'))::numeric) AS "Madrid",
       round((a.location OPERATOR(crmscm.<->) (SELECT location FROM demo_cities WHERE name = 'Rome'))::numeric) AS "Rome",
       round((a.location OPERATOR(crmscm.<->) (SELECT location FROM demo_cities WHERE name = 'Warsaw'))::numeric) AS "Warsaw",
       round((a.location OPERATOR(crmscm.<->) (SELECT location FROM demo_cities WHERE name = 'Stockholm'))::numeric) AS "Stockholm"
  FROM demo_cities a ORDER BY a.name;

\echo
\echo '== Sphere vs WGS84 ellipsoid (Karney) for a few pairs'
SELECT a.name || ' - ' || b.name AS pair,
       round(crmscm.distance_km(a.location, b.location)::numeric, 3) AS sphere_km,
       round(crmscm.geodesic_km(a.location, b.location)::numeric, 3) AS ellipsoid_km,
       round((crmscm.geodesic_km(a.location, b.location) - crmscm.distance_km(a.location, b.location))::numeric, 3) AS diff_km
  FROM demo_cities a JOIN demo_cities b ON (a.name, b.name) IN (('Berlin', 'Paris'), ('Lisbon', 'Stockholm'), ('London', 'Rome'))
  ORDER BY 1;

\echo
\echo '== Nearest warehouse for each customer city'
CREATE TEMP TABLE demo_warehouses AS
  SELECT name AS warehouse, location FROM demo_cities WHERE name IN ('Hamburg', 'Lyon', 'Milan', 'Warsaw');
SELECT c.name AS customer, w.warehouse, round(w.km::numeric, 1) AS km
  FROM demo_cities c
  CROSS JOIN LATERAL (SELECT warehouse, crmscm.distance_km(c.location, location) AS km
                        FROM demo_warehouses ORDER BY 2 LIMIT 1) w
 WHERE c.name NOT IN (SELECT warehouse FROM demo_warehouses)
 ORDER BY w.warehouse, km;
