-- Setup of test/scripts/numeric_sweep.sh (not a test by itself): sample
-- data so that every function has a working baseline call, the baseline
-- values, the extreme values, the call generator and the slow kernels.
CREATE EXTENSION IF NOT EXISTS crmscm;
SET crmscm.tenant_id = '1';
SET client_min_messages = warning;
CREATE SCHEMA sweep;

-- ---------------------------------------------------------------- data
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'Hamburg', '(53.55,9.99)'), (2, 'Milan', '(45.46,9.19)');
INSERT INTO crmscm.items (item_id, sku, name, unit_price) SELECT g, 'SKU' || g, 'item ' || g, 10 FROM generate_series(1, 3) g;
INSERT INTO crmscm.customers (customer_id, name, location) VALUES (1, 'Munich GmbH', '(48.14,11.58)');
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 100, 'receipt'), (2, 2, 100, 'receipt');
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to, ordered_at)
	VALUES (1, 1, 'confirmed', '(48.14,11.58)', now() - interval '10 days');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (1, 1, 1, 10, 10), (1, 2, 2, 5, 10);
-- order 1 was given its id: place_order() numbers from 2
SELECT setval(pg_get_serial_sequence('crmscm.sales_orders', 'order_id'), 1);
INSERT INTO crmscm.purchase_orders (po_id, supplier, status) VALUES (1, 'ACME', 'draft');
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 3, 1, 50);
UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE po_id = 1;
INSERT INTO crmscm.leads (name, stage, features, attributes)
	SELECT 'lead ' || g, CASE WHEN g % 3 = 0 THEN 'won' ELSE 'lost' END,
		   ARRAY[g::float8, (g * 7 % 5)::float8], ARRAY['s' || g % 3, 'c' || g % 2]
	  FROM generate_series(1, 30) g;

-- ---------------------------------------------------------------- baselines
-- A value per argument: by function signature, function name (or type, for
-- composite fields) and argument name, else by argument name (fn = '*').  agg: the expression for
-- an aggregate's rows, in terms of g = 1..20.
CREATE TABLE sweep.base (fn text NOT NULL, arg text NOT NULL, expr text NOT NULL, agg text);
INSERT INTO sweep.base VALUES
	-- composites: the field values of a model
	('bgnbd', 'r', '0.2426', NULL), ('bgnbd', 'alpha', '4.4135', NULL), ('bgnbd', 'a', '0.7929', NULL), ('bgnbd', 'b', '2.4258', NULL),
	('gamma_gamma', 'p', '6.25', NULL), ('gamma_gamma', 'q', '3.74', NULL), ('gamma_gamma', 'v', '15.44', NULL),
	-- models from their constructors
	('bgnbd_model', 'alpha', '4.4135', NULL), ('bgnbd_model', 'r', '0.2426', NULL), ('bgnbd_model', 'a', '0.7929', NULL), ('bgnbd_model', 'b', '2.4258', NULL),
	('gamma_gamma_model', 'p', '6.25', NULL), ('gamma_gamma_model', 'q', '3.74', NULL), ('gamma_gamma_model', 'v', '15.44', NULL),
	('geopoint', 'lat', '52.52', NULL), ('geopoint', 'lon', '13.40', NULL),
	-- lifetime
	('*', 'frequency', '2', 'g % 4'), ('*', 'recency', '5', '(g % 4) * 2'), ('*', 't', '10', '10'),
	('*', 'monetary', '20', '10 + g'), ('*', 'horizon', '10', NULL), ('*', 'n', '2', NULL),
	('*', 'months', '12', NULL), ('*', 'monthly_discount', '0.01', NULL), ('*', 'units_per_month', '4.345', NULL),
	('*', 'ordered_at', '''2024-02-01''', '''2024-01-01''::date + g'), ('*', 'amount', '20', '10 + g'),
	('*', 'as_of', '''2024-03-01''', '''2024-03-01'''),
	('lifetime_stage', 'purchase_days', '2', NULL), ('lifetime_stage', 'last_order_day', '''2024-02-01''', NULL),
	('lifetime_stage', 'orders_placed', '3', NULL), ('lifetime_stage', 'at_risk_days', '180', NULL),
	('lifetime_stage', 'churn_days', '365', NULL), ('lifetime_stage', 'p_alive', '0.5', NULL),
	-- reorder
	('*', 'z', '0.5', NULL), ('normal_quantile', 'p', '0.9', NULL), ('*', 'service_level', '0.95', NULL),
	('*', 'fill_rate', '0.95', NULL), ('*', 'demand_mean', '10', NULL), ('*', 'demand_sd', '3', NULL),
	('*', 'lead_time', '4', NULL), ('*', 'lead_time_sd', '1', NULL), ('*', 'order_qty', '50', NULL),
	('*', 'annual_demand', '1000', NULL), ('*', 'order_cost', '50', NULL), ('*', 'holding_cost', '2', NULL),
	('*', 'backorder_cost', '5', NULL), ('*', 'production_rate', '5000', NULL),
	('*', 'series', '''{0,3,0,0,5,2,0,4,0,1}''', NULL), ('*', 'method', '''sba''', '''sba'''),
	('*', 'alpha', '0.2', '0.2'), ('*', 'beta', '0.1', '0.1'),
	('*', 'day', '''2024-02-01''', '''2024-02-01''::date + g % 10'), ('*', 'qty', '5', 'g % 5'),
	('*', 'start_day', '''2024-02-01''', '''2024-02-01'''), ('*', 'end_day', '''2024-02-20''', '''2024-02-20'''),
	-- routing
	('*', 'matrix', '''{{0,3,4,5},{3,0,5,4},{4,5,0,3},{5,4,3,0}}''', NULL), ('*', 'start_index', '1', NULL),
	('*', 'end_index', '3', NULL), ('*', 'time_limit_ms', '1000', NULL), ('*', 'tour', '''{1,2,3}''', NULL),
	('*', 'closed', 'true', NULL), ('tsp_tour', 'points', '''{"(52.5,13.4)","(48.1,11.6)","(50.1,8.7)"}''', NULL),
	('*', 'depot', '''(52.5,13.4)''', NULL), ('*', 'stops', '''{"(48.1,11.6)","(50.1,8.7)","(53.6,10.0)"}''', NULL),
	('*', 'speed_kmh', '50', NULL), ('*', 'cost_per_km', '1', NULL), ('*', 'cost_per_hour', '20', NULL),
	('*', 'cost_per_stop', '2', NULL), ('*', 'service_minutes', '10', NULL), ('*', 'return_to_depot', 'true', NULL),
	('vrp_routes', 'demand', '''{0,3,4,2}''', NULL),
	('crmscm.vrp_routes(crmscm.geopoint,crmscm.geopoint[],double precision[],double precision,integer,integer)', 'demand', '''{3,4,2}''', NULL), ('vrp_routes', 'capacity', '8', NULL), ('*', 'max_vehicles', '3', NULL),
	-- leads
	('*', 'model', '(SELECT crmscm.lead_model_fit(g % 3 = 0, ARRAY[g::float8, (g * 7 % 5)::float8]) FROM generate_series(1, 20) g)', NULL),
	('*', 'features', '''{3,1}''', 'ARRAY[g::float8, (g * 7 % 5)::float8]'), ('*', 'converted', 'true', 'g % 3 = 0'),
	('*', 'l2', '0.5', '0.5'), ('*', 'score', '0.7', 'g / 20.0'), ('*', 'label', 'true', 'g % 2 = 0'),
	('*', 'attributes', '''{s1,c0}''', 'ARRAY[''s'' || g % 3, ''c'' || g % 2]'),
	('lead_nb_score', 'model', '(SELECT crmscm.lead_nb_fit(g % 3 = 0, ARRAY[''s'' || g % 3, ''c'' || g % 2]) FROM generate_series(1, 20) g)', NULL),
	('*', 'points', '10', 'g'), ('*', 'occurred_at', '''2024-02-01''', '''2024-01-01''::timestamptz + g * interval ''1 day'''),
	('*', 'half_life', '''30 days''', '''30 days'''), ('engagement_score_trans', 'arg1', '0', NULL),
	('engagement_score_trans', 'arg2', '10', NULL), ('engagement_score_trans', 'arg3', '''2024-02-01''', NULL),
	('engagement_score_trans', 'arg4', '''30 days''', NULL), ('engagement_score_trans', 'arg5', '''2024-03-01''', NULL),
	('lead_model_train', 'name', '''sweep''', NULL), ('lead_model_train', 'feature_names', 'NULL', NULL),
	-- orders and the rest
	('*', 'p_order_id', '1', NULL), ('*', 'p_line_no', '1', NULL), ('*', 'p_qty', '1', NULL), ('*', 'p_po_id', '1', NULL),
	('*', 'p_item_id', '1', NULL), ('*', 'p_warehouse_id', '1', NULL), ('*', 'p_include_on_order', 'true', NULL),
	('*', 'p_tenant', '1', NULL), ('*', 'p_customer', '1', NULL), ('*', 'p_customer_id', '1', NULL),
	('place_order', 'p_lines', '''[{"item_id": 1, "qty": 1}]''', NULL), ('place_order', 'p_status', '''confirmed''', NULL),
	('place_order', 'p_ship_to', 'NULL', NULL), ('place_order', 'p_priority', '1', NULL),
	('place_order', 'p_fill_policy', '''backorder''', NULL),
	('set_customer_tier', 'p_tier', '''A''', NULL),
	('*', 'a_share', '0.8', NULL), ('*', 'b_share', '0.95', NULL),
	('delivery_setting', 'name', '''speed_kmh''', NULL), ('delivery_setting', 'default_value', '50', NULL),
	('*', 'lat', '52.52', NULL), ('*', 'lon', '13.40', NULL), ('*', 'a', '''(52.5,13.4)''', NULL), ('*', 'b', '''(48.1,11.6)''', NULL);

-- by type, when no name matches
CREATE TABLE sweep.type_base (typ regtype PRIMARY KEY, expr text NOT NULL);
INSERT INTO sweep.type_base VALUES
	('float8', '1'), ('numeric', '1'), ('int4', '1'), ('int8', '1'), ('bool', 'true'), ('text', '''x'''),
	('date', '''2024-03-01'''), ('timestamptz', '''2024-03-01'''), ('interval', '''30 days'''),
	('crmscm.geopoint', '''(52.5,13.4)'''), ('crmscm.lead_model',
	 '(SELECT crmscm.lead_model_fit(g % 3 = 0, ARRAY[g::float8, (g * 7 % 5)::float8]) FROM generate_series(1, 20) g)');

-- ---------------------------------------------------------------- extremes
CREATE FUNCTION sweep.extremes(t regtype) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
	SELECT unnest(CASE
		WHEN t IN ('float8'::regtype, 'float4'::regtype, 'numeric'::regtype) THEN
			ARRAY['0', '5e-324', '-5e-324', '1e308', '-1e308', 'NaN', 'Infinity', '-Infinity']
		WHEN t = 'int4'::regtype THEN ARRAY['0', '-1', '2147483647', '-2147483648']
		WHEN t = 'int2'::regtype THEN ARRAY['0', '-1', '32767', '-32768']
		WHEN t = 'int8'::regtype THEN ARRAY['0', '-1', '9223372036854775807', '-9223372036854775808']
		WHEN t IN ('date'::regtype, 'timestamptz'::regtype, 'timestamp'::regtype) THEN ARRAY['infinity', '-infinity']
		ELSE ARRAY[]::text[] END)
$$;

-- arr with its first element, or [1][2] of a matrix, replaced by v
CREATE FUNCTION sweep.poke(a anyarray, v anyelement) RETURNS anyarray LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF array_ndims(a) = 2 THEN
		a[array_lower(a, 1)][array_lower(a, 2) + 1] := v;
	ELSIF array_ndims(a) = 1 THEN
		a[array_lower(a, 1)] := v;
	END IF;
	RETURN a;
END $$;

-- the baseline expression of argument arg (of type t) of fn; agg: row form
CREATE FUNCTION sweep.base_expr(fn text, arg text, t regtype, agg boolean, sig text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	e text;
	fields text[];
	f record;
	composite boolean := (SELECT typtype = 'c' AND typnamespace = 'crmscm'::regnamespace FROM pg_type WHERE oid = t);
BEGIN
	SELECT CASE WHEN base_expr.agg THEN coalesce(b.agg, b.expr) ELSE b.expr END INTO e
	  FROM sweep.base b WHERE b.arg = base_expr.arg AND b.fn IN (base_expr.sig, base_expr.fn, '*') AND NOT composite
	 ORDER BY b.fn = base_expr.sig DESC NULLS LAST, b.fn = '*' LIMIT 1;
	IF e IS NOT NULL THEN
		RETURN format('(%s)::%s', e, format_type(t, NULL));
	END IF;
	-- a composite of crmscm: its fields' baselines
	IF composite THEN
		FOR f IN SELECT a.attname, a.atttypid FROM pg_attribute a JOIN pg_type ty ON ty.typrelid = a.attrelid
				  WHERE ty.oid = t AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LOOP
			fields := fields || coalesce((SELECT format('(%s)::%s', b.expr, format_type(f.atttypid, NULL)) FROM sweep.base b
										  WHERE b.fn = (SELECT typname FROM pg_type WHERE oid = t) AND b.arg = f.attname),
										 format('NULL::%s', format_type(f.atttypid, NULL)));
		END LOOP;
		RETURN format('ROW(%s)::%s', array_to_string(fields, ', '), format_type(t, NULL));
	END IF;
	SELECT tb.expr INTO e FROM sweep.type_base tb WHERE tb.typ = t;
	IF e IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN format('(%s)::%s', e, format_type(t, NULL));
END $$;

-- the variants of one argument: (label, expression)
CREATE FUNCTION sweep.variants(fn text, arg text, t regtype, agg boolean, sig text)
RETURNS TABLE (label text, expr text) LANGUAGE plpgsql STABLE AS $$
DECLARE
	base text := sweep.base_expr(fn, arg, t, agg, sig);
	elem regtype := (SELECT typelem FROM pg_type WHERE oid = t AND typcategory = 'A');
	tname text := format_type(t, NULL);
	x text;
	f record;
BEGIN
	FOR x IN SELECT sweep.extremes(t) LOOP
		label := arg || '=' || x; expr := format('%L::%s', x, tname); RETURN NEXT;
	END LOOP;
	IF elem IS NOT NULL AND base IS NOT NULL AND NOT agg THEN
		label := arg || '={}'; expr := format('''{}''::%s', tname); RETURN NEXT;
		FOR x IN SELECT sweep.extremes(elem) LOOP
			label := arg || '=[' || x || ']'; expr := format('ARRAY[%L::%s]', x, format_type(elem, NULL)); RETURN NEXT;
			label := arg || ' with ' || x; expr := format('sweep.poke(%s, %L::%s)', base, x, format_type(elem, NULL)); RETURN NEXT;
		END LOOP;
		IF elem IN ('float8'::regtype, 'numeric'::regtype) THEN
			-- a long array (a 1-dimensional one: a repeated series)
			label := arg || ' x 20000';
			expr := format('(SELECT array_agg(v) FROM (SELECT unnest(%s) AS v FROM generate_series(1, 20000)) s)', base);
			RETURN NEXT;
		END IF;
	END IF;
	IF NOT agg AND (SELECT typtype = 'c' AND typnamespace = 'crmscm'::regnamespace FROM pg_type WHERE oid = t) THEN
		FOR f IN SELECT a.attname, a.atttypid, a.attnum FROM pg_attribute a JOIN pg_type ty ON ty.typrelid = a.attrelid
				  WHERE ty.oid = t AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LOOP
			FOR x IN SELECT sweep.extremes(f.atttypid) LOOP
				-- the baseline with one field replaced
				label := format('%s.%s=%s', arg, f.attname, x);
				expr := format('(SELECT ROW(%s)::%s FROM (SELECT (%s).*) b)',
							   (SELECT string_agg(CASE WHEN a.attnum = f.attnum THEN format('%L::%s', x, format_type(a.atttypid, NULL))
													   ELSE format('b.%I', a.attname) END, ', ' ORDER BY a.attnum)
								  FROM pg_attribute a WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE oid = t)
								   AND a.attnum > 0 AND NOT a.attisdropped),
							   tname, base);
				RETURN NEXT;
			END LOOP;
		END LOOP;
	END IF;
END $$;

-- ---------------------------------------------------------------- the run
-- One case: a query returning one text column; its result must be finite
-- (no NaN or Infinity in the text), else an error of class 22, 23 or 54.
-- Output: id|fn|ok|ms|non-finite rows|text|case|query,
-- id|fn|err|ms|sqlstate|message|case|query, or id|fn|base|ms|ok or the error
-- of the baseline|query.
CREATE FUNCTION sweep.try(id int, fn text, kind text, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	r text;
	bad int;
	st text;
	msg text;
BEGIN
	BEGIN
		EXECUTE format($f$SELECT count(*) FILTER (WHERE t ~ '(^|[^A-Za-z])(NaN|-?Infinity)([^A-Za-z]|$)'),
								 left(string_agg(coalesce(t, 'NULL'), ' ; '), 160) FROM (%s) s(t)$f$, q)
			INTO bad, r;
	EXCEPTION
		WHEN query_canceled THEN st := '57014'; msg := SQLERRM;
		WHEN OTHERS THEN st := SQLSTATE; msg := SQLERRM;
	END;
	IF kind = 'base' THEN
		RETURN concat_ws('|', id, fn, 'base', round(extract(epoch FROM clock_timestamp() - t0) * 1000),
						 CASE WHEN st IS NOT NULL THEN st || ' ' || translate(msg, E'\n|', '  ')
							  WHEN bad > 0 THEN 'non-finite: ' || translate(r, E'\n|', '  ') ELSE 'ok' END,
						 left(q, 300));
	END IF;
	IF st IS NOT NULL THEN
		RETURN concat_ws('|', id, fn, 'err', round(extract(epoch FROM clock_timestamp() - t0) * 1000),
						 st, translate(left(msg, 160), E'\n|', '  '), kind, left(q, 300));
	END IF;
	RETURN concat_ws('|', id, fn, 'ok', round(extract(epoch FROM clock_timestamp() - t0) * 1000),
					 bad, translate(coalesce(r, 'NULL'), E'\n|', '  '), kind, left(q, 300));
END $$;

-- The functions and aggregates under test
CREATE VIEW sweep.targets AS
SELECT p.oid, p.proname::text AS name, p.oid::regprocedure::text AS sig, p.prokind = 'a' AS agg,
	   ARRAY(SELECT unnest(p.proargtypes::oid[])) AS types,	-- oidvector is 0-based
	   ARRAY(SELECT coalesce(nullif(p.proargnames[i], ''), 'arg' || i)
			   FROM generate_series(1, p.pronargs) i ORDER BY i) AS names
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.proname !~ '^_' AND p.prokind IN ('f', 'a')
   AND p.pronargs > 0
   AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype)
   AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[])
   AND NOT EXISTS (SELECT FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
   AND NOT EXISTS (SELECT FROM pg_operator o WHERE p.oid IN (o.oprcode, o.oprrest, o.oprjoin))
   AND NOT EXISTS (SELECT FROM pg_amproc a WHERE a.amproc = p.oid)
   -- a number, an array of numbers or a crmscm composite of numbers
   AND EXISTS (SELECT FROM unnest(p.proargtypes::oid[]) a JOIN pg_type t ON t.oid = a
				WHERE t.typcategory = 'N'
				   OR (t.typcategory = 'A' AND (SELECT e.typcategory FROM pg_type e WHERE e.oid = t.typelem) = 'N')
				   OR (t.typtype = 'c' AND t.typnamespace = 'crmscm'::regnamespace AND EXISTS (
						SELECT FROM pg_attribute x JOIN pg_type xt ON xt.oid = x.atttypid
						 WHERE x.attrelid = t.typrelid AND xt.typcategory = 'N')));

-- The whole script: "BEGIN; SELECT sweep.try(...); ROLLBACK;" per case
CREATE FUNCTION sweep.script() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	f record;
	out text[] := '{}';
	id int := 0;
	args text[];
	q text;
	v record;
	rows_ text;
	cols text;
	labels text[] := ARRAY['base', 'no rows', 'one row'];
	k int;
BEGIN
	FOR f IN SELECT * FROM sweep.targets ORDER BY sig LOOP
		args := ARRAY(SELECT sweep.base_expr(f.name, f.names[i], f.types[i], f.agg, f.sig)
						FROM generate_series(1, cardinality(f.types)) i ORDER BY i);
		IF array_position(args, NULL) IS NOT NULL THEN
			-- no baseline for an argument: reported as a failed baseline
			id := id + 1;
			out := out || format('SELECT %L;', concat_ws('|', id, f.sig, 'base', 0,
							   'no baseline value for argument ' || f.names[array_position(args, NULL)]));
			CONTINUE;
		END IF;
		IF NOT f.agg THEN
			id := id + 1;
			q := format('SELECT x::text FROM crmscm.%I(%s) AS x', f.name, array_to_string(args, ', '));
			out := out || format('BEGIN; SELECT sweep.try(%s, %L, %L, %L); ROLLBACK;', id, f.sig, 'base', q);
			FOR i IN 1 .. cardinality(f.types) LOOP
				FOR v IN SELECT * FROM sweep.variants(f.name, f.names[i], f.types[i], false, f.sig) LOOP
					id := id + 1;
					q := format('SELECT x::text FROM crmscm.%I(%s) AS x', f.name,
								array_to_string(args[1:i - 1] || v.expr || args[i + 1:], ', '));
					out := out || format('BEGIN; SELECT sweep.try(%s, %L, %L, %L); ROLLBACK;', id, f.sig, v.label, q);
				END LOOP;
			END LOOP;
		ELSE
			rows_ := array_to_string(ARRAY(SELECT format('%s AS c%s', args[i], i)
											 FROM generate_series(1, cardinality(args)) i ORDER BY i), ', ');
			cols := (SELECT string_agg('c' || i, ', ' ORDER BY i) FROM generate_series(1, cardinality(args)) i);
			-- baseline: 20 rows; no rows; one row
			k := 0;
			FOREACH q IN ARRAY ARRAY['20', '0', '1'] LOOP
				id := id + 1;
				k := k + 1;
				out := out || format('BEGIN; SELECT sweep.try(%s, %L, %L, %L); ROLLBACK;', id, f.sig, labels[k],
									 format('SELECT (crmscm.%I(%s))::text FROM (SELECT %s FROM generate_series(1, %s) g) s',
											f.name, cols, rows_, q));
			END LOOP;
			-- the 20 rows plus one row with an extreme argument
			FOR i IN 1 .. cardinality(f.types) LOOP
				FOR v IN SELECT * FROM sweep.variants(f.name, f.names[i], f.types[i], true, f.sig) LOOP
					id := id + 1;
					q := format('SELECT (crmscm.%I(%s))::text FROM (SELECT %s FROM generate_series(1, 20) g UNION ALL SELECT %s FROM generate_series(1, 1) g) s',
								f.name, cols, rows_,
								array_to_string(ARRAY(SELECT CASE WHEN j = i THEN v.expr ELSE args[j] END
														FROM generate_series(1, cardinality(args)) j ORDER BY j), ', '));
					out := out || format('BEGIN; SELECT sweep.try(%s, %L, %L, %L); ROLLBACK;', id, f.sig, v.label, q);
				END LOOP;
			END LOOP;
		END IF;
	END LOOP;
	RETURN array_to_string(out, E'\n');
END $$;

-- ---------------------------------------------------------------- slow kernels
-- Inputs at the size limits, prepared here so that the timeout falls in the
-- kernel, not in generating the data.
CREATE TABLE sweep.wide AS
	SELECT g % 2 = 0 AS y, ARRAY(SELECT ((g * 7919 + k * 104729) % 1000) / 100.0 FROM generate_series(1, 1000) k)::float8[] AS x
	  FROM generate_series(1, 3000) g;
CREATE TABLE sweep.cust AS
	SELECT (g % 20)::float8 AS f, CASE WHEN g % 20 = 0 THEN 0 ELSE (g % 997) * 0.1 END::float8 AS r, 100 + g * 1e-4 AS t
	  FROM generate_series(1, 400000) g;
CREATE TABLE sweep.pts AS
	SELECT array_agg(crmscm.geopoint(40 + (g * 7919 % 1500) / 100.0, -5 + (g * 104729 % 2500) / 100.0) ORDER BY g) AS p
	  FROM generate_series(1, 4998) g;
ANALYZE sweep.wide, sweep.cust, sweep.pts;

CREATE TABLE sweep.slow (name text PRIMARY KEY, query text NOT NULL);
INSERT INTO sweep.slow VALUES
	('lead_model_fit, 1000 features x 3000 rows', 'SELECT crmscm.lead_model_fit(y, x) FROM sweep.wide'),
	('bgnbd_fit, 400000 distinct customers', 'SELECT crmscm.bgnbd_fit(f, r, t) FROM sweep.cust'),
	('tsp_tour, 4998 points, no time limit', 'SELECT cardinality(crmscm.tsp_tour(p, 1, NULL, NULL)) FROM sweep.pts'),
	('vrp_routes, 4997 stops, no time limit', 'SELECT count(*) FROM sweep.pts, crmscm.vrp_routes(p[1], p[2:], array_fill(1::float8, ARRAY[4997]), 40, NULL, NULL)'),
	('route_cost, 4997 stops, no time limit', 'SELECT (crmscm.route_cost(p[1], p[2:4998], time_limit_ms => NULL)).distance_km FROM sweep.pts'),
	('clv, 12000 months by quadrature', 'SELECT crmscm.clv(crmscm.bgnbd_model(1e-3, 1e-3, 1e-3, 1e-3), crmscm.gamma_gamma_model(6, 3.7, 15), 2, 5, 10, 20, 12000, 0.01, 4.345)');

-- ---------------------------------------------------------------- NULL into every column
-- Explicit NULLs reach BEFORE triggers before the NOT NULL constraints
-- (issue #13: an INSERT with status NULL crashed the server in a C trigger).
-- One INSERT of a NULL and one UPDATE to NULL per column of every table,
-- each in its own rolled-back transaction; any error is fine but an
-- internal one (XX000) or a crash.
-- one statement, executed as it is: id|table|ok or id|table|err|sqlstate|message
CREATE FUNCTION sweep.try_dml(id int, tab text, col text, q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN concat_ws('|', id, tab || '.' || col, 'ok', 0);
EXCEPTION WHEN OTHERS THEN
	RETURN concat_ws('|', id, tab || '.' || col, 'err', 0, SQLSTATE, translate(left(SQLERRM, 160), E'\n|', '  '));
END $$;

CREATE FUNCTION sweep.null_script() RETURNS text LANGUAGE sql AS $$
	SELECT string_agg(format('BEGIN; SELECT sweep.try_dml(%s, %L, %L, %L); ROLLBACK;', n, t, c, q), E'\n' ORDER BY n)
	  FROM (SELECT row_number() OVER (ORDER BY c.relname, a.attnum, k) AS n, c.relname::text AS t, a.attname::text AS c,
				   CASE k WHEN 1 THEN format('INSERT INTO crmscm.%I (%I) VALUES (NULL)', c.relname, a.attname)
						  ELSE format('UPDATE crmscm.%I SET %I = NULL', c.relname, a.attname) END AS q
			  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid, generate_series(1, 2) k
			 WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'r' AND a.attnum > 0
			   AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity <> 'a') s
$$;
