-- Route cost: the order to visit delivery stops, vehicle routes under a
-- capacity, and what each open order's delivery costs.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
SET search_path = crmscm, public;

\echo
\echo '== Route cost: TSPLIB berlin52 (52 stops in Berlin) as one delivery round'
CREATE TEMP TABLE demo_raw (line text);
\copy demo_raw FROM 'test/data/tsplib/berlin52.tsp' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TEMP TABLE demo_b52 AS
SELECT f[1]::int AS i, f[2]::float8 AS x, f[3]::float8 AS y
  FROM (SELECT regexp_split_to_array(btrim(line), '\s+') f FROM demo_raw) s
 WHERE array_length(f, 1) = 3 AND f[1] ~ '^\d+$';
-- TSPLIB EUC_2D distances: nint(sqrt(dx^2 + dy^2))
CREATE TEMP TABLE demo_b52m AS
SELECT array_agg(r ORDER BY i) AS m
  FROM (SELECT a.i, array_agg(floor(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) + 0.5) ORDER BY b.i) r
          FROM demo_b52 a, demo_b52 b GROUP BY a.i) s;
CREATE TEMP TABLE demo_b52t AS
SELECT clock_timestamp() AS t0, tsp_tour(m) AS tour, clock_timestamp() AS t1, m FROM demo_b52m;
SELECT tour_cost(m, tour) AS "tour length", 7542 AS "TSPLIB optimum",
       round((100 * (tour_cost(m, tour) / 7542 - 1))::numeric, 2) AS "gap %",
       round((extract(epoch FROM t1 - t0) * 1000)::numeric) AS ms,
       array_to_string(tour[1:12], ' ') || ' ...' AS "visiting order"
  FROM demo_b52t;

\echo
\echo '== One van from the Hamburg depot to 15 European cities (70 km/h, 1.10/km, 35/h, 12/stop, 20 min per stop)'
CREATE TEMP TABLE demo_cities (name text PRIMARY KEY, country text, lat float8, lon float8);
\copy demo_cities FROM 'data/cities.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE demo_stops AS
SELECT row_number() OVER (ORDER BY name)::int AS k, name, geopoint(lat, lon) AS p
  FROM demo_cities WHERE name <> 'Hamburg';
CREATE TEMP TABLE demo_plan AS
SELECT (route_cost((SELECT geopoint(lat, lon) FROM demo_cities WHERE name = 'Hamburg'),
                   (SELECT array_agg(p ORDER BY k) FROM demo_stops),
                   speed_kmh => 70, cost_per_km => 1.10, cost_per_hour => 35,
                   cost_per_stop => 12, service_minutes => 20)).*;
SELECT v.seq AS stop, s.name AS city,
       round(distance_km(COALESCE(lag(s.p) OVER (ORDER BY v.seq),
                                  (SELECT geopoint(lat, lon) FROM demo_cities WHERE name = 'Hamburg')), s.p)::numeric) AS leg_km
  FROM demo_plan, unnest(stop_order) WITH ORDINALITY v(k, seq) JOIN demo_stops s USING (k)
 ORDER BY v.seq;
SELECT round(distance_km::numeric) AS "km (back to Hamburg)", date_trunc('second', duration) AS duration,
       round(cost::numeric, 2) AS cost FROM demo_plan;

\echo
\echo '== The same cities by vans of 20 pallets (demand 3..9 pallets per city)'
SELECT r.vehicle, r.load AS pallets, round(r.cost::numeric) AS km,
       'Hamburg -> ' || (SELECT string_agg(s.name, ' -> ' ORDER BY o.seq) FROM unnest(r.stops) WITH ORDINALITY o(k, seq)
                          JOIN demo_stops s USING (k)) || ' -> Hamburg' AS route
  FROM vrp_routes((SELECT geopoint(lat, lon) FROM demo_cities WHERE name = 'Hamburg'),
                  (SELECT array_agg(p ORDER BY k) FROM demo_stops),
                  (SELECT array_agg((3 + (k * 5) % 7)::float8 ORDER BY k) FROM demo_stops),
                  20) r
 ORDER BY r.vehicle;

\echo
\echo '== delivery_costs: open orders, shipping warehouse, route of the day and each order''s share'
-- a tenant of its own, so that the demo data of other capabilities is untouched
SET crmscm.tenant_id = 60;
SET crmscm.delivery_cost_per_km = 1.10;
SET crmscm.delivery_cost_per_hour = 35;
SET crmscm.delivery_cost_per_stop = 12;
SET crmscm.delivery_service_minutes = 20;
SET crmscm.delivery_speed_kmh = 70;
INSERT INTO warehouses (name, location)
SELECT name, geopoint(lat, lon) FROM demo_cities WHERE name IN ('Hamburg', 'Milan') ORDER BY name;
INSERT INTO items (sku, name, unit_price) VALUES ('PAL-1', 'Pallet of goods', 450);
-- stock arrives by receipts (with the reservation triggers of the order
-- model, confirming the orders below reserves it)
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind)
SELECT (SELECT item_id FROM items WHERE tenant_id = 60), warehouse_id, 100, 'receipt'
  FROM warehouses WHERE tenant_id = 60 ORDER BY warehouse_id;
INSERT INTO customers (name, location)
SELECT name || ' store', geopoint(lat, lon) FROM demo_cities WHERE name NOT IN ('Hamburg', 'Milan') ORDER BY name;
INSERT INTO sales_orders (customer_id, status, ship_to)
SELECT customer_id, 'draft', location FROM customers WHERE tenant_id = 60 ORDER BY customer_id;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty)
SELECT o.order_id, 1, (SELECT item_id FROM items WHERE tenant_id = 60), 1 + o.order_id % 3
  FROM sales_orders o WHERE o.tenant_id = 60;
UPDATE sales_orders SET status = 'confirmed' WHERE tenant_id = 60;
SELECT w.name AS warehouse, d.visit_seq AS seq, c.name AS customer, d.warehouse_source AS "chosen by",
       round(d.leg_km::numeric) AS leg_km, round(d.detour_km::numeric) AS detour_km,
       round(d.direct_km::numeric) AS own_trip_km, round(d.cost_share::numeric, 2) AS cost_share
  FROM delivery_costs d
  JOIN warehouses w ON w.tenant_id = d.tenant_id AND w.warehouse_id = d.warehouse_id
  JOIN customers c ON c.tenant_id = d.tenant_id AND c.customer_id = d.customer_id
 WHERE d.tenant_id = 60
 ORDER BY w.name, d.visit_seq;
SELECT w.name AS warehouse, max(d.route_stops) AS stops, round(max(d.route_km)::numeric) AS route_km,
       date_trunc('second', max(d.route_duration)) AS duration, round(max(d.route_cost)::numeric, 2) AS route_cost,
       round(sum(d.cost_share)::numeric, 2) AS "sum of shares"
  FROM delivery_costs d JOIN warehouses w ON w.tenant_id = d.tenant_id AND w.warehouse_id = d.warehouse_id
 WHERE d.tenant_id = 60
 GROUP BY w.name ORDER BY w.name;
RESET crmscm.tenant_id;
