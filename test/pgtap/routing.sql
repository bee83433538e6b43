-- Route cost: tsp_tour, tour_cost, route_cost, vrp_routes, delivery_costs.
-- References: TSPLIB95 optima (eil51 426, berlin52 7542, kroA100 21282) and
-- CVRPLIB optima of Augerat set A (784, 661, 949, 1146, 1763), see
-- test/data/*/README.md; small cases against brute force written in SQL here
-- (recursive CTE over all orders), independent of the C search.
\i test/setup.sql
SELECT plan(88);

-- ---------- instance files -> tables ----------
CREATE TEMP TABLE raw (line text);
CREATE TEMP TABLE nodes (inst text, i int, x float8, y float8, demand float8);
CREATE FUNCTION pg_temp.load(inst text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO nodes (inst, i, x, y)
  SELECT inst, f[1]::int, f[2]::float8, f[3]::float8
    FROM (SELECT regexp_split_to_array(btrim(line), '\s+') f FROM raw) s
   WHERE array_length(f, 1) = 3 AND f[1] ~ '^\d+$' AND f[2] ~ '^-?[\d.]+$' AND f[3] ~ '^-?[\d.]+$';
  UPDATE nodes n SET demand = f[2]::float8
    FROM (SELECT regexp_split_to_array(btrim(line), '\s+') f FROM raw) s
   WHERE n.inst = load.inst AND array_length(f, 1) = 2 AND f[1] ~ '^\d+$' AND n.i = f[1]::int;
  TRUNCATE raw;
$$;
\copy raw FROM 'test/data/tsplib/eil51.tsp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT pg_temp.load('eil51');
\copy raw FROM 'test/data/tsplib/berlin52.tsp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT pg_temp.load('berlin52');
\copy raw FROM 'test/data/tsplib/kroA100.tsp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT pg_temp.load('kroA100');
\copy raw FROM 'test/data/cvrplib/A-n32-k5.vrp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT pg_temp.load('A-n32-k5');
\copy raw FROM 'test/data/cvrplib/A-n33-k5.vrp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT pg_temp.load('A-n33-k5');
\copy raw FROM 'test/data/cvrplib/A-n37-k6.vrp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT pg_temp.load('A-n37-k6');
\copy raw FROM 'test/data/cvrplib/A-n45-k7.vrp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT pg_temp.load('A-n45-k7');
\copy raw FROM 'test/data/cvrplib/A-n80-k10.vrp' WITH (FORMAT text, DELIMITER E'\x01')
SELECT pg_temp.load('A-n80-k10');

-- TSPLIB EUC_2D: nint(sqrt(dx^2 + dy^2)), nint(x) = floor(x + 0.5)
CREATE TEMP TABLE mats AS
SELECT inst, array_agg(r ORDER BY i) AS m, count(*)::int AS n
  FROM (SELECT a.inst, a.i, array_agg(floor(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) + 0.5) ORDER BY b.i) r
          FROM nodes a JOIN nodes b USING (inst) GROUP BY a.inst, a.i) s
 GROUP BY inst;

SELECT is((SELECT n FROM mats WHERE inst = i), nn, i || ' has ' || nn || ' nodes')
  FROM (VALUES ('eil51', 51), ('berlin52', 52), ('kroA100', 100), ('A-n80-k10', 80)) v(i, nn);

-- ---------- TSPLIB: default call within 1% of the optimum ----------
CREATE TEMP TABLE tsp_res AS
SELECT inst, opt, t, tour_cost(m, t) AS len, n
  FROM (VALUES ('eil51', 426), ('berlin52', 7542), ('kroA100', 21282)) v(inst, opt)
  JOIN mats USING (inst), LATERAL tsp_tour(m) t;
SELECT diag(inst || ': tour length ' || len || ', optimum ' || opt || ', gap '
            || round((100 * (len / opt - 1))::numeric, 2) || '%') FROM tsp_res ORDER BY n;
SELECT ok(t[1] = 1 AND cardinality(t) = n AND (SELECT count(DISTINCT e) FROM unnest(t) e WHERE e BETWEEN 1 AND n) = n,
          inst || ': tour starts at 1 and visits every node once') FROM tsp_res ORDER BY n;
SELECT ok(len >= opt AND len <= 1.01 * opt, inst || ': default tour within 1% of the optimum ' || opt)
  FROM tsp_res ORDER BY n;
SELECT is(tsp_tour(m), (SELECT t FROM tsp_res WHERE inst = 'berlin52'), 'berlin52: same input, same tour')
  FROM mats WHERE inst = 'berlin52';

-- open path from node 5 to node 9, and another start
SELECT ok(t[1] = 5 AND t[52] = 9 AND (SELECT count(DISTINCT e) FROM unnest(t) e) = 52
          AND tour_cost(m, t, false) < 7542,
          'berlin52: open path 5 -> 9 visits all, ends at 9, shorter than the closed optimum')
  FROM mats, tsp_tour(m, 5, 9) t WHERE inst = 'berlin52';
SELECT ok(t[1] = 17 AND tour_cost(m, t) <= 1.01 * 426, 'eil51: start_index 17 gives a tour from 17 as good')
  FROM mats, tsp_tour(m, 17) t WHERE inst = 'eil51';

-- ---------- small cases against SQL brute force ----------
SELECT setseed(0.42);
CREATE TEMP TABLE small AS
SELECT k, n, sym,
       (SELECT array_agg(r ORDER BY i)
          FROM (SELECT i, array_agg(CASE WHEN i = j THEN 0 ELSE floor(random() * 100) END ORDER BY j) r
                  FROM generate_series(1, n) i, generate_series(1, n) j GROUP BY i) q) AS m
  FROM generate_series(1, 6) k, LATERAL (SELECT 4 + k % 4 AS n, k % 2 = 0 AS sym) p;
UPDATE small SET m = (SELECT array_agg(r ORDER BY i)
                        FROM (SELECT i, array_agg(m[least(i, j)][greatest(i, j)] ORDER BY j) r
                                FROM generate_series(1, n) i, generate_series(1, n) j GROUP BY i) q)
 WHERE sym;
CREATE FUNCTION pg_temp.brute(m float8[], s int, e int) RETURNS float8 LANGUAGE sql AS $$
  WITH RECURSIVE p(path, cost) AS (
    SELECT ARRAY[s], 0::float8
    UNION ALL
    SELECT path || j, cost + m[path[cardinality(path)]][j]
      FROM p, generate_series(1, array_length(m, 1)) j
     WHERE j <> ALL (path) AND (e IS NULL OR j <> e OR cardinality(path) = array_length(m, 1) - 1))
  SELECT min(cost + CASE WHEN e IS NULL THEN m[path[cardinality(path)]][s] ELSE 0 END)
    FROM p WHERE cardinality(path) = array_length(m, 1) AND (e IS NULL OR path[cardinality(path)] = e)
$$;
SELECT is(tour_cost(m, tsp_tour(m, 2)), pg_temp.brute(m, 2, NULL),
          format('random %s %s x %s matrix: closed tour from 2 = brute-force optimum', CASE WHEN sym THEN 'symmetric' ELSE 'asymmetric' END, n, n))
  FROM small ORDER BY k;
SELECT is(tour_cost(m, tsp_tour(m, 1, n), false), pg_temp.brute(m, 1, n),
          format('random %s %s x %s matrix: open path 1 -> %s = brute-force optimum', CASE WHEN sym THEN 'symmetric' ELSE 'asymmetric' END, n, n, n))
  FROM small ORDER BY k;
-- asymmetric: the cheap direction wins
SELECT is(tsp_tour('{{0,1,9,9},{9,0,1,9},{9,9,0,1},{1,9,9,0}}'::float8[]), '{1,2,3,4}', 'asymmetric 4-cycle: follows the cheap direction');
SELECT is(tsp_tour('{{0,9,9,1},{1,0,9,9},{9,1,0,9},{9,9,1,0}}'::float8[]), '{1,4,3,2}', 'asymmetric 4-cycle reversed: follows the cheap direction');

-- geopoints: 6 European cities, brute force on distance_km
CREATE TEMP TABLE cities AS
SELECT * FROM (VALUES (1, '(52.52,13.405)'::geopoint), (2, '(48.8566,2.3522)'), (3, '(40.4168,-3.7038)'),
                      (4, '(41.9028,12.4964)'), (5, '(52.2297,21.0122)'), (6, '(51.5074,-0.1278)')) v(i, p);
CREATE TEMP TABLE citym AS
SELECT array_agg(r ORDER BY i) m, (SELECT array_agg(p ORDER BY i) FROM cities) pts
  FROM (SELECT a.i, array_agg(distance_km(a.p, b.p) ORDER BY b.i) r FROM cities a, cities b GROUP BY a.i) s;
SELECT ok(abs(tour_cost(m, tsp_tour(pts)) - pg_temp.brute(m, 1, NULL)) < 1e-9,
          'geopoint[] overload: 6 cities, tour length = brute force over distance_km') FROM citym;

-- ---------- route_cost ----------
-- depot (0,0), stops on the equator at 1, 3, 2 degrees east: the best closed
-- route is out to 3 degrees and back, 6 degrees of the sphere of radius
-- 6371.0087714 km = 6 * pi * R / 180 km
SELECT is((SELECT array_agg(s ORDER BY s) FROM unnest((route_cost('(0,0)', '{"(0,1)","(0,3)","(0,2)"}')).stop_order) s), '{1,2,3}',
          'route_cost: stop_order is a permutation of the stops');
SELECT ok(abs((rc).distance_km - 6 * pi() * 6371.0087714 / 180) < 1e-6
          AND abs((rc).cost - ((rc).distance_km * 2 + ((rc).distance_km / 60 + 3 * 15 / 60.0) * 30 + 3 * 4)) < 1e-6
          AND (rc).duration = make_interval(secs => ((rc).distance_km / 60 + 0.75) * 3600)
          AND (rc).stops = 3,
          'route_cost: 6 degrees of great circle; cost = km*2 + (km/60 + 3*15min)*30/h + 3*4')
  FROM (SELECT route_cost('(0,0)', '{"(0,1)","(0,3)","(0,2)"}', speed_kmh => 60, cost_per_km => 2,
                          cost_per_hour => 30, cost_per_stop => 4, service_minutes => 15) rc) s;
SELECT ok((rc).stop_order = '{1,3,2}' AND abs((rc).distance_km - 3 * pi() * 6371.0087714 / 180) < 1e-6,
          'route_cost without return: ends at the farthest stop, 3 degrees')
  FROM (SELECT route_cost('(0,0)', '{"(0,1)","(0,3)","(0,2)"}', return_to_depot => false) rc) s;
SELECT ok((rc).stop_order = '{}' AND (rc).distance_km = 0 AND (rc).cost = 0, 'route_cost: no stops, no cost')
  FROM (SELECT route_cost('(0,0)', '{}'::geopoint[]) rc) s;
SELECT is(route_cost(NULL, '{}'::geopoint[]), NULL, 'route_cost: NULL depot gives NULL');
-- 16 real cities (data/cities.csv): route_cost from Hamburg equals the exact
-- optimum computed by Held-Karp in Python (test/data/routes/reference.py)
CREATE TEMP TABLE eu (name text, country text, lat float8, lon float8);
\copy eu FROM 'data/cities.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE eu_ref (km float8);
\copy eu_ref FROM 'test/data/routes/hamburg_tour_km.txt'
SELECT ok(abs((route_cost((SELECT geopoint(lat, lon) FROM eu WHERE name = 'Hamburg'),
                          (SELECT array_agg(geopoint(lat, lon) ORDER BY name) FROM eu WHERE name <> 'Hamburg'))).distance_km
              - km) < 1e-6,
          'route_cost Hamburg + 15 cities: ' || round(km::numeric, 3) || ' km, the Held-Karp optimum')
  FROM eu_ref;

-- ---------- CVRPLIB: vrp_routes ----------
CREATE TEMP TABLE vrp_res AS
SELECT inst, opt, k, r.*
  FROM (VALUES ('A-n32-k5', 784, 5), ('A-n33-k5', 661, 5), ('A-n37-k6', 949, 6), ('A-n45-k7', 1146, 7), ('A-n80-k10', 1763, 10)) v(inst, opt, k)
  JOIN mats USING (inst),
  LATERAL vrp_routes(m, (SELECT array_agg(demand ORDER BY i) FROM nodes WHERE nodes.inst = v.inst), 100, k) r;
SELECT diag(inst || ': cost ' || sum(cost) || ' with ' || count(*) || ' vehicles, optimum ' || opt
            || ', gap ' || round((100 * (sum(cost) / opt - 1))::numeric, 2) || '%')
  FROM vrp_res GROUP BY inst, opt ORDER BY opt;
SELECT ok((SELECT array_agg(s ORDER BY s) FROM vrp_res r, unnest(r.stops) s WHERE r.inst = v.inst)
          = (SELECT array_agg(i ORDER BY i) FROM nodes WHERE nodes.inst = v.inst AND i > 1),
          inst || ': every customer served exactly once')
  FROM (SELECT DISTINCT inst FROM vrp_res) v ORDER BY inst;
SELECT ok(bool_and(load <= 100) AND count(*) <= max(k)
          AND bool_and(load = (SELECT sum(demand) FROM nodes WHERE nodes.inst = r.inst AND i = ANY (r.stops))),
          inst || ': loads match the demands, none over capacity 100, at most ' || max(k) || ' vehicles')
  FROM vrp_res r GROUP BY inst ORDER BY inst;
SELECT ok(bool_and(abs(cost - tour_cost(m, 1 || stops)) < 1e-9), inst || ': route costs = depot -> stops -> depot on the matrix')
  FROM vrp_res JOIN mats USING (inst) GROUP BY inst ORDER BY inst;
SELECT ok(avg(gap) <= 0.05, 'Augerat set A: mean gap ' || round(100 * avg(gap)::numeric, 2) || '% within 5% of the optimum')
  FROM (SELECT sum(cost) / opt - 1 AS gap FROM vrp_res GROUP BY inst, opt) g;

-- geopoint overload: 4 stops of 3 units, capacity 6 -> two vehicles
SELECT ok(count(*) = 2 AND bool_and(load = 6) AND
          (SELECT array_agg(s ORDER BY s) FROM vrp_routes('(52.52,13.405)'::geopoint, '{"(48.85,2.35)","(50.1,8.7)","(53.55,9.99)","(48.14,11.58)"}', '{3,3,3,3}', 6) r, unnest(r.stops) s) = '{1,2,3,4}',
          'vrp_routes on geopoints: 4 stops of 3 with capacity 6 need two vehicles, each stop once')
  FROM vrp_routes('(52.52,13.405)'::geopoint, '{"(48.85,2.35)","(50.1,8.7)","(53.55,9.99)","(48.14,11.58)"}', '{3,3,3,3}', 6);

-- ---------- bad input ----------
SELECT throws_ok(q, code, NULL, descr) FROM (VALUES
  ($$SELECT crmscm.tsp_tour('{{0,1},{1,NaN}}'::float8[])$$, '22003', 'NaN cost'),
  ($$SELECT crmscm.tsp_tour('{{0,1},{1,Infinity}}'::float8[])$$, '22003', 'infinite cost'),
  ($$SELECT crmscm.tsp_tour('{{0,-1},{1,0}}'::float8[])$$, '22023', 'negative cost'),
  ($$SELECT crmscm.tsp_tour('{{0,1e16},{1,0}}'::float8[])$$, '22003', 'cost above 1e15'),
  ($$SELECT crmscm.tsp_tour('{{0,1,2},{1,0,2}}'::float8[])$$, '2202E', 'non-square matrix'),
  ($$SELECT crmscm.tsp_tour('{0,1,2}'::float8[])$$, '2202E', 'one-dimensional matrix'),
  ($$SELECT crmscm.tsp_tour('{{0,NULL},{1,0}}'::float8[])$$, '22004', 'NULL element'),
  ($$SELECT crmscm.tsp_tour('{{0}}'::float8[])$$, '22023', 'fewer than 2 nodes'),
  ($$SELECT crmscm.tsp_tour('{}'::float8[])$$, '22023', 'empty matrix'),
  ($$SELECT crmscm.tsp_tour('{{0,1},{1,0}}'::float8[], 3)$$, '22023', 'start_index out of range'),
  ($$SELECT crmscm.tsp_tour('{{0,1},{1,0}}'::float8[], 1, 1)$$, '22023', 'end_index equal to start_index'),
  ($$SELECT crmscm.tsp_tour('{{0,1},{1,0}}'::float8[], NULL)$$, '22004', 'NULL start_index'),
  ($$SELECT crmscm.tsp_tour('{{0,1},{1,0}}'::float8[], 1, NULL, 0)$$, '22023', 'time limit 0'),
  ($$SELECT crmscm.tsp_tour(array_fill('(0,0)'::crmscm.geopoint, ARRAY[5001]))$$, '54000', 'more than 5000 nodes'),
  ($$SELECT crmscm.route_cost('(0,0)', array_fill('(0,0)'::crmscm.geopoint, ARRAY[4999]))$$, '54000', 'route_cost with more than 4998 stops'),
  ($$SELECT * FROM crmscm.vrp_routes('(0,0)'::crmscm.geopoint, array_fill('(0,0)'::crmscm.geopoint, ARRAY[5000]), array_fill(0::float8, ARRAY[5000]), 1)$$, '54000', 'vrp_routes with more than 5000 nodes'),
  ($$SELECT crmscm.tsp_tour(ARRAY['(0,0)', NULL]::crmscm.geopoint[])$$, '22004', 'NULL geopoint'),
  ($$SELECT crmscm.tsp_tour(ARRAY['(0,0)']::crmscm.geopoint[])$$, '22023', 'one geopoint'),
  ($$SELECT crmscm.route_cost('(0,0)', '{"(0,1)"}', speed_kmh => 0)$$, '22023', 'zero speed'),
  ($$SELECT crmscm.route_cost('(0,0)', '{"(0,1)"}', cost_per_km => -1)$$, '22023', 'negative cost per km'),
  ($$SELECT crmscm.route_cost('(0,0)', '{"(0,1)"}', service_minutes => 'NaN')$$, '22003', 'NaN service time'),
  ($$SELECT * FROM crmscm.vrp_routes('{{0,1},{1,0}}'::float8[], '{0,11}', 10)$$, '22023', 'demand above capacity'),
  ($$SELECT * FROM crmscm.vrp_routes('{{0,1,1},{1,0,1},{1,1,0}}'::float8[], '{0,6,6}', 10, 1)$$, '22023', 'demand beyond max_vehicles * capacity'),
  ($$SELECT * FROM crmscm.vrp_routes('{{0,1},{1,0}}'::float8[], '{0,1,2}', 10)$$, '2202E', 'demand length mismatch'),
  ($$SELECT * FROM crmscm.vrp_routes('{{0,1},{1,0}}'::float8[], '{0,-1}', 10)$$, '22023', 'negative demand'),
  ($$SELECT * FROM crmscm.vrp_routes('{{0,1},{1,0}}'::float8[], '{0,NULL}', 10)$$, '22004', 'NULL demand'),
  ($$SELECT * FROM crmscm.vrp_routes('{{0,1},{1,0}}'::float8[], '{0,1}', 10, 0)$$, '22023', 'max_vehicles 0'),
  ($$SELECT * FROM crmscm.vrp_routes('{{0,1},{1,NaN}}'::float8[], '{0,1}', 10)$$, '22003', 'NaN cost in vrp_routes')
) v(q, code, descr);

-- ---------- delivery_costs ----------
-- reservation and inventory rows are inserted directly, with triggers off
-- (session_replication_role = replica), so that the scenario is the same
-- with or without the order model's reservation triggers
SET LOCAL session_replication_role = replica;
INSERT INTO warehouses (warehouse_id, name, location) VALUES
  (901, 'Hamburg', '(53.55,9.99)'), (902, 'Munich', '(48.14,11.58)'), (903, 'Unplaced', NULL);
INSERT INTO items (item_id, sku, name) VALUES (901, 'R-1', 'route test item');
INSERT INTO inventory (item_id, warehouse_id, on_hand) VALUES (901, 901, 100), (901, 902, 100);
INSERT INTO customers (customer_id, name) VALUES (901, 'route test customer');
INSERT INTO sales_orders (order_id, customer_id, status, ship_to) VALUES
  (901, 901, 'confirmed', '(52.52,13.405)'),   -- Berlin: nearest is Hamburg
  (902, 901, 'confirmed', '(53.07,8.8)'),      -- Bremen: nearest is Hamburg
  (903, 901, 'confirmed', '(53.5,10.0)'),      -- near Hamburg, but its line prefers Munich
  (904, 901, 'confirmed', '(53.6,10.1)'),      -- near Hamburg, but reserved in Munich
  (905, 901, 'draft', '(50,8)'),               -- not open: not listed
  (906, 901, 'confirmed', NULL),               -- no address: listed, not routed
  (907, 901, 'confirmed', '(49.45,11.08)');    -- Nuremberg: nearest is Munich
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, warehouse_id) VALUES
  (901, 1, 901, 1, NULL), (902, 1, 901, 1, NULL), (903, 1, 901, 1, 902), (904, 1, 901, 2, NULL),
  (905, 1, 901, 1, NULL), (906, 1, 901, 1, NULL), (907, 1, 901, 1, NULL);
INSERT INTO reservations (order_id, line_no, item_id, warehouse_id, qty) VALUES (904, 1, 901, 902, 2);
SET LOCAL session_replication_role = origin;
SET LOCAL crmscm.delivery_cost_per_km = 0.5;
SET LOCAL crmscm.delivery_cost_per_stop = 5;
SET LOCAL crmscm.delivery_cost_per_hour = 20;
SET LOCAL crmscm.delivery_service_minutes = 10;
CREATE TEMP TABLE dc AS SELECT * FROM delivery_costs WHERE order_id BETWEEN 901 AND 907;
SELECT is((SELECT array_agg(order_id ORDER BY order_id) FROM dc), '{901,902,903,904,906,907}', 'delivery_costs lists the open confirmed orders');
SELECT is((SELECT array_agg(warehouse_id || ':' || warehouse_source ORDER BY order_id) FROM dc WHERE ship_to IS NOT NULL),
          '{901:nearest,901:nearest,902:line preference,902:reservation,902:nearest}',
          'shipping warehouse: reservation, else line preference, else nearest');
SELECT ok(route_stops IS NULL AND cost_share IS NULL, 'an order without ship_to is listed but not routed') FROM dc WHERE order_id = 906;
SELECT ok(abs(sum(cost_share) - max(route_cost)) < 1e-9 AND count(*) = max(route_stops)
          AND array_agg(visit_seq ORDER BY visit_seq) = (SELECT array_agg(g) FROM generate_series(1, max(route_stops)) g),
          'warehouse ' || warehouse_id || ': shares add up to the route cost, one visit per stop')
  FROM dc WHERE route_stops IS NOT NULL GROUP BY warehouse_id ORDER BY warehouse_id;
-- Hamburg route with two stops: out and back, cost = 0.5/km + 20/h (50 km/h) + 2 * (5 + 10 min at 20/h)
SELECT ok(abs(route_km - (distance_km('(53.55,9.99)', '(52.52,13.405)') + distance_km('(52.52,13.405)', '(53.07,8.8)')
                          + distance_km('(53.07,8.8)', '(53.55,9.99)'))) < 1e-9
          AND abs(route_cost - (route_km * 0.5 + (route_km / 50 + 20 / 60.0) * 20 + 2 * 5)) < 1e-9,
          'Hamburg route: triangle Hamburg-Berlin-Bremen, cost by the documented parameters')
  FROM dc WHERE order_id = 901;
SELECT ok(abs(cost_share - ((route_km * 0.5 + route_km / 50 * 20) * detour_km
                           / (SELECT sum(detour_km) FROM dc d2 WHERE d2.warehouse_id = dc.warehouse_id) + 5 + 10 / 60.0 * 20)) < 1e-9,
          'order ' || order_id || ': share = driving cost * detour / sum of detours + own stop and service cost')
  FROM dc WHERE order_id IN (901, 907) ORDER BY order_id;

-- another tenant's order next to Hamburg rides on its own tenant's route
SET LOCAL crmscm.tenant_id = 2;
SET LOCAL session_replication_role = replica;
INSERT INTO warehouses (warehouse_id, name, location) VALUES (911, 'Hamburg of tenant 2', '(53.55,9.99)');
INSERT INTO items (item_id, sku, name) VALUES (911, 'R-2', 'route test item');
INSERT INTO customers (customer_id, name) VALUES (911, 'tenant 2 customer');
INSERT INTO sales_orders (order_id, customer_id, status, ship_to) VALUES (911, 911, 'confirmed', '(53.6,10.0)');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (911, 1, 911, 1);
SET LOCAL session_replication_role = origin;
-- the view is owned by crmscm_admin (apply_security), so row-level security
-- shows each tenant only its own rows, even to a superuser
CREATE TEMP TABLE dc2 AS SELECT * FROM delivery_costs;
SET LOCAL crmscm.tenant_id = 1;
SELECT ok((SELECT tenant_id = 2 AND warehouse_id = 911 AND route_stops = 1 FROM dc2 WHERE order_id = 911)
          AND (SELECT max(route_stops) = 2 FROM delivery_costs WHERE tenant_id = 1 AND warehouse_id = 901)
          AND (SELECT count(*) = 1 FROM dc2)
          AND NOT EXISTS (SELECT FROM delivery_costs WHERE order_id = 911),
          'routes are per tenant: tenant 2''s order is on its own route, tenant 1''s Hamburg route still has 2 stops, neither sees the other');

SELECT * FROM finish();
ROLLBACK;
