-- Route cost: route ordering (TSP), vehicle routing (CVRP) and the cost of a
-- delivery route (doc/routing.md).  C in src/routing.c, search in src/core/tsp.c and
-- src/core/vrp.c.  Instances are limited to 5000 nodes (SQLSTATE 54000).
--
-- The functions are VOLATILE: the result is deterministic (fixed seed,
-- iteration budget) unless the time limit cuts the search short.

CREATE OR REPLACE FUNCTION @extschema@.tsp_tour(matrix float8[], start_index int DEFAULT 1,
		end_index int DEFAULT NULL, time_limit_ms int DEFAULT 10000)
	RETURNS int[]
	AS 'MODULE_PATHNAME', $$crmscm_tsp_tour$$
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tsp_tour(float8[], int, int, int) IS
	'Visiting order (1-based node indices) of a square cost matrix (matrix[i][j] = cost from i to j, asymmetric allowed), starting at start_index; end_index NULL = closed tour back to the start (start not repeated), else an open path ending there; time_limit_ms caps the search (NULL = no cap)';

CREATE OR REPLACE FUNCTION @extschema@.tsp_tour(points @extschema@.geopoint[], start_index int DEFAULT 1,
		end_index int DEFAULT NULL, time_limit_ms int DEFAULT 10000)
	RETURNS int[]
	AS 'MODULE_PATHNAME', $$crmscm_tsp_tour_geo$$
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tsp_tour(@extschema@.geopoint[], int, int, int) IS
	'Visiting order (1-based indices into points) minimising the great-circle distance (distance_km); start_index, end_index and time_limit_ms as for the matrix form: NULL points give NULL, a NULL start_index is an error (22004), end_index NULL = closed tour, time_limit_ms NULL = no cap';

CREATE OR REPLACE FUNCTION @extschema@.tour_cost(matrix float8[], tour int[], closed boolean DEFAULT true)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_tour_cost$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tour_cost(float8[], int[], boolean) IS
	'Cost of visiting the nodes of tour (1-based) in order on a cost matrix; closed adds the way back to the first node';

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'route_plan' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
		CREATE TYPE @extschema@.route_plan AS (
			stop_order int[],
			distance_km float8,
			drive_hours float8,
			service_hours float8,
			duration interval,
			cost float8,
			stops int
		);
	END IF;
END $guard$;
COMMENT ON TYPE @extschema@.route_plan IS 'A planned delivery route: result of crmscm.route_cost';
COMMENT ON COLUMN @extschema@.route_plan.stop_order IS 'Stops in visiting order, as 1-based indices into the stops array';
COMMENT ON COLUMN @extschema@.route_plan.distance_km IS 'Great-circle distance driven, km (back to the depot when return_to_depot)';
COMMENT ON COLUMN @extschema@.route_plan.drive_hours IS 'distance_km / speed_kmh';
COMMENT ON COLUMN @extschema@.route_plan.service_hours IS 'stops * service_minutes / 60';
COMMENT ON COLUMN @extschema@.route_plan.duration IS 'Driving plus service time';
COMMENT ON COLUMN @extschema@.route_plan.cost IS 'distance_km * cost_per_km + (drive_hours + service_hours) * cost_per_hour + stops * cost_per_stop';
COMMENT ON COLUMN @extschema@.route_plan.stops IS 'Number of stops';

CREATE OR REPLACE FUNCTION @extschema@.route_cost(depot @extschema@.geopoint, stops @extschema@.geopoint[],
		speed_kmh float8 DEFAULT 50, cost_per_km float8 DEFAULT 1,
		cost_per_hour float8 DEFAULT 0, cost_per_stop float8 DEFAULT 0,
		service_minutes float8 DEFAULT 0, return_to_depot boolean DEFAULT true,
		time_limit_ms int DEFAULT 10000)
	RETURNS @extschema@.route_plan
	AS 'MODULE_PATHNAME', $$crmscm_route_cost$$
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.route_cost(@extschema@.geopoint, @extschema@.geopoint[], float8, float8, float8, float8, float8, boolean, int) IS
	'One vehicle from depot through all stops (shortest great-circle order, back to the depot or ending at the last stop): stop order, distance, driving and service time, and cost = km * cost_per_km + hours * cost_per_hour + stops * cost_per_stop; NULL depot or stops give NULL; a duration beyond what an interval holds or a cost that overflows is an error (22003)';

CREATE OR REPLACE FUNCTION @extschema@.vrp_routes(matrix float8[], demand float8[], capacity float8,
		max_vehicles int DEFAULT NULL, time_limit_ms int DEFAULT 10000)
	RETURNS TABLE (vehicle int, stops int[], load float8, cost float8)
	AS 'MODULE_PATHNAME', $$crmscm_vrp_routes$$
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.vrp_routes(float8[], float8[], float8, int, int) IS
	'Capacitated vehicle routes on a cost matrix: node 1 is the depot, demand has one element per node (the depot''s ignored); one row per vehicle with its stops (node indices, depot excluded), load and cost (depot -> stops -> depot); max_vehicles NULL = no limit';

CREATE OR REPLACE FUNCTION @extschema@.vrp_routes(depot @extschema@.geopoint, stops @extschema@.geopoint[],
		demand float8[], capacity float8, max_vehicles int DEFAULT NULL,
		time_limit_ms int DEFAULT 10000)
	RETURNS TABLE (vehicle int, stops int[], load float8, cost float8)
	AS 'MODULE_PATHNAME', $$crmscm_vrp_routes_geo$$
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.vrp_routes(@extschema@.geopoint, @extschema@.geopoint[], float8[], float8, int, int) IS
	'Capacitated vehicle routes from depot to geopoint stops by great-circle km: demand has one element per stop; one row per vehicle with its stops (1-based indices into stops), load and cost in km; a NULL depot, stops, demand or capacity is an error (22004), max_vehicles NULL = no limit, time_limit_ms NULL = no cap';
