-- Route cost: exact answers on small cases worked out by hand, and the error
-- messages.  (Quality on TSPLIB/CVRPLIB instances: test/pgtap/routing.sql.)
SET search_path = crmscm, public;
SET extra_float_digits = 0;

-- Asymmetric 4-cycle: going 1->2->3->4->1 costs 4, the other way 36.
SELECT tsp_tour('{{0,1,9,9},{9,0,1,9},{9,9,0,1},{1,9,9,0}}'::float8[]) AS tour;
SELECT tsp_tour('{{0,1,9,9},{9,0,1,9},{9,9,0,1},{1,9,9,0}}'::float8[], 3) AS from_3;
-- open path 1 -> 4: 1 2 3 4 costs 3
SELECT tsp_tour('{{0,1,9,9},{9,0,1,9},{9,9,0,1},{1,9,9,0}}'::float8[], 1, 4) AS path_1_to_4;
SELECT tour_cost(m, '{1,2,3,4}') AS forward, tour_cost(m, '{1,4,3,2}') AS backward,
       tour_cost(m, '{1,2,3,4}', false) AS open_forward
  FROM (SELECT '{{0,1,9,9},{9,0,1,9},{9,9,0,1},{1,9,9,0}}'::float8[] AS m) s;
-- two nodes
SELECT tsp_tour('{{0,5},{7,0}}'::float8[]) AS two, tsp_tour('{{0,5},{7,0}}'::float8[], 2, 1) AS two_open;

-- Stops on the equator 2, 1 and 3 degrees east of the depot (0,0): without
-- return the order is stop 2 (1 degree), stop 1, stop 3, and the distance 3
-- degrees of the sphere of radius 6371.0087714 km = 333.585 km.
SELECT stop_order, round(distance_km::numeric, 3) AS km, stops
  FROM route_cost('(0,0)', '{"(0,2)","(0,1)","(0,3)"}', return_to_depot => false);
-- 100 km/h, 2 per km, 60 per hour, 10 per stop, 30 min per stop:
-- 333.585 km * 2 + (3.33585 h + 1.5 h) * 60 + 3 * 10 = 987.32
SELECT round(cost::numeric, 2) AS cost, round(drive_hours::numeric, 5) AS drive_h, service_hours,
       date_trunc('second', duration) AS duration
  FROM route_cost('(0,0)', '{"(0,2)","(0,1)","(0,3)"}', 100, 2, 60, 10, 30, false);

-- Depot at 0 and customers at 1, 2, 3 on a line, one unit each, vans of 2:
-- {x=1} (cost 2) and {x=2, x=3} (cost 6) beat the other splits (10).
SELECT vehicle, (SELECT array_agg(s ORDER BY s) FROM unnest(stops) s) AS stops, load, cost
  FROM vrp_routes('{{0,1,2,3},{1,0,1,2},{2,1,0,1},{3,2,1,0}}'::float8[], '{0,1,1,1}', 2)
 ORDER BY vehicle;
-- one van of 3 takes all: 0 -> 1 -> 2 -> 3 -> 0 costs 6
SELECT count(*) AS vehicles, sum(cost) AS cost
  FROM vrp_routes('{{0,1,2,3},{1,0,1,2},{2,1,0,1},{3,2,1,0}}'::float8[], '{0,1,1,1}', 3);

-- errors
SELECT tsp_tour('{{0,1},{1,NaN}}'::float8[]);
SELECT tsp_tour('{{0,-1},{1,0}}'::float8[]);
SELECT tsp_tour('{{0,1,2},{1,0,2}}'::float8[]);
SELECT tsp_tour('{0,1}'::float8[]);
SELECT tsp_tour('{{0,NULL},{1,0}}'::float8[]);
SELECT tsp_tour('{{0}}'::float8[]);
SELECT tsp_tour('{{0,1},{1,0}}'::float8[], 3);
SELECT tsp_tour('{{0,1},{1,0}}'::float8[], 2, 2);
SELECT tsp_tour(array_fill('(0,0)'::geopoint, ARRAY[5001]));
SELECT route_cost('(0,0)', '{"(0,1)"}', speed_kmh => 0);
SELECT * FROM vrp_routes('{{0,1},{1,0}}'::float8[], '{0,11}', 10);
SELECT * FROM vrp_routes('{{0,1,1},{1,0,1},{1,1,0}}'::float8[], '{0,6,6}', 10, 1);
SELECT * FROM vrp_routes('{{0,1},{1,0}}'::float8[], '{0,1,2}', 10);
-- 3 customers of 6 into 2 vans of 10: the total fits, a packing does not
SELECT * FROM vrp_routes('{{0,1,1,1},{1,0,1,1},{1,1,0,1},{1,1,1,0}}'::float8[], '{0,6,6,6}', 10, 2);
