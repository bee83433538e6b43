-- Reorder points (issue #6, doc/reorder.md): SQL functions, aggregates, the view
-- crmscm.reorder_suggestions and crmscm.replenish().  Every expected number
-- names its independent source.
\i test/setup.sql
SELECT plan(145);
SET LOCAL TimeZone = 'UTC';

-- relative closeness helper (temp: gone at rollback)
CREATE FUNCTION pg_temp.close(got float8, want float8, rel float8, abs_tol float8 DEFAULT 0)
RETURNS boolean LANGUAGE sql IMMUTABLE AS
$$ SELECT got IS NOT NULL AND abs(got - want) <= abs_tol + rel * abs(want) $$;

-- ---- stockpyl's tests (Snyder & Shen, tests/test_eoq.py, test_loss_functions.py) ----
SELECT ok(pg_temp.close(eoq(1300, 8, 0.225), 304.0467800264368, 1e-14), 'EOQ K=8 h=0.225 d=1300 (stockpyl)');
SELECT ok(pg_temp.close(eoq_cost(1300, 8, 0.225), 68.41052550594827, 1e-14), 'EOQ cost 68.41052550594827 (stockpyl)');
SELECT ok(pg_temp.close(eoq(182500, 2250, 275), 1728.109844993551, 1e-14), 'EOQ K=2250 h=275 d=182500 (stockpyl)');
SELECT ok(pg_temp.close(eoq_backorder(1300, 8, 0.225, 5), 310.8125551589646, 1e-14), 'EOQ with backorders p=5 (stockpyl)');
SELECT ok(pg_temp.close(eoq_production(1300, 8, 0.225, 2000), 513.9328595516969, 1e-14), 'EPQ production rate 2000 (stockpyl)');
SELECT ok(pg_temp.close(reorder_point(7.5 / (7.5 + 0.225), 1300, 150, 1.0 / 12, 0), 190.3369965715624, 1e-13),
          'EOQ+SS reorder point lambda 1300 sigma 150 L 1/12 p 7.5 h 0.225 (stockpyl)');
CREATE TEMP TABLE loss_ref (z float8, l1 float8, l2 float8);
INSERT INTO loss_ref VALUES (-1.4, 1.436668142708465, 1.465289370279040),
                            (0.3, 0.266761242117210, 0.151030102587942),
                            (3.1, 2.672490952231408e-4, 6.956550901350656e-05);
SELECT ok(pg_temp.close(normal_loss(z), l1, 1e-12), format('L(%s) = %s (stockpyl)', z, l1)) FROM loss_ref ORDER BY z;
SELECT ok(pg_temp.close(normal_loss2(z), l2, 1e-12), format('L2(%s) = %s (stockpyl)', z, l2)) FROM loss_ref ORDER BY z;
-- far tail where phi(z) - z (1 - Phi(z)) cancels (issue #6)
SELECT ok(pg_temp.close(normal_loss(8), 7.550262411946499e-17, 1e-10), 'L(8) = 7.550262411946499e-17');

-- ---- exact quantiles of the doubles (issue #6; mpmath in test/data/reorder) ----
SELECT ok(pg_temp.close(normal_quantile(p), x, 1e-15, 2e-15), format('normal_quantile(%s) = %s', p, x))
  FROM (VALUES (0.8::float8, 0.8416212335729143638::float8), (0.9, 1.2815515655446005935),
               (0.95, 1.6448536269514722843), (0.975, 1.9599639845400538556),
               (0.99, 2.3263478740408407676), (0.999, 3.0902323061678132778),
               (1e-10, -6.3613409024040561991)) v(p, x);
SELECT ok(bool_and(pg_temp.close(normal_cdf(normal_quantile(p)), p, 4e-15)),
          'normal_cdf(normal_quantile(p)) = p for p = 0.0001 .. 0.9999')
  FROM (SELECT i / 10000.0::float8 AS p FROM generate_series(1, 9999) i) s;
-- issue #13: results are finite; the infinite quantiles of 0 and 1 are errors
SELECT throws_ok('SELECT crmscm.normal_quantile(0)', '22003', 'normal_quantile(0) is -Infinity, out of range', 'quantile(0) = -Infinity is out of range');
SELECT throws_ok('SELECT crmscm.normal_quantile(1)', '22003', 'normal_quantile(1) is Infinity, out of range', 'quantile(1) = Infinity is out of range');
SELECT is(normal_cdf(0), 0.5::float8, 'Phi(0) = 1/2');

-- ---- safety stock: the formula of doc/reorder.md, z sqrt(L sd^2 + d^2 sdL^2) ----
SELECT ok(pg_temp.close(safety_stock(0.95, 10, 10, 4, 1), 1.6448536269514722843 * sqrt(500), 1e-15),
          'safety stock 0.95, d 10, sd 10, L 4, sdL 1');
SELECT ok(pg_temp.close(reorder_point(0.95, 10, 10, 4, 1), 40 + 1.6448536269514722843 * sqrt(500), 1e-15),
          'reorder point = d L + safety stock');
SELECT ok(pg_temp.close(normal_loss(safety_stock_fill_rate(0.98, 100, 10, 5, 4, 0) / 10), 0.2, 1e-12),
          'fill-rate safety stock: sigma_LT L(z) = (1 - 0.98) 100 with sigma_LT = 10');
SELECT is(safety_stock(0.99, 0, 0, 5, 0), 0::float8, 'no variability: no safety stock');

-- ---- forecasts on arrays ----
SELECT ok(pg_temp.close(forecast_intermittent('{0,0,3,0,4,0,0,0,2,0}', 'croston', 0.1), 299.0 / 301, 1e-15),
          'croston [0,0,3,0,4,0,0,0,2,0] alpha 0.1 = 299/301 (R forecast::croston)');
SELECT ok(pg_temp.close(forecast_intermittent('{0,0,3,0,4,0,0,0,2,0}', 'croston'), 299.0 / 301, 1e-15),
          'alpha defaults to 0.1');
SELECT ok(pg_temp.close(forecast_intermittent('{0,0,3,0,4,0,0,0,2,0}', 'sba', 0.1), 299.0 / 301 * 0.95, 1e-15),
          'sba = croston x (1 - alpha/2)');
SELECT ok(pg_temp.close(forecast_intermittent('{0,0,3,0,4,0,0,0,2,0}', 'tsb', 0.3, 0.1), 0.5729169879, 0, 5e-11),
          'tsb alpha 0.3 beta 0.1 = 0.5729169879 (statsforecast)');
SELECT is(forecast_intermittent('{0,0,0}', 'croston'), 0::float8, 'all-zero series forecasts 0 (statsforecast)');

CREATE TEMP TABLE pbs (month text, scripts float8, n serial);
\copy pbs (month, scripts) FROM 'test/data/pbs/PBS_dataset.csv' WITH (FORMAT csv, HEADER)
CREATE TEMP TABLE air (month text, passengers float8);
\copy air FROM 'test/data/airpassengers/AirPassengers.csv' WITH (FORMAT csv, HEADER)
SELECT is((SELECT count(*)::int FROM pbs), 204, 'PBS has 204 months');
-- sktime test_croston.py: values of R forecast::croston on the PBS series
SELECT ok(pg_temp.close(forecast_intermittent((SELECT array_agg(scripts ORDER BY n) FROM pbs), 'croston', a), want, 0, tol),
          format('croston PBS alpha %s = %s (R via sktime)', a, want))
  FROM (VALUES (0.1, 0.8688921, 5e-8), (0.5, 0.6754646, 5e-8), (0.05, 1.405808, 5e-7)) v(a, want, tol);
SELECT ok(pg_temp.close(forecast_ses((SELECT array_agg(passengers ORDER BY month) FROM air), 0.1), 460.3027724818841, 1e-14),
          'SES AirPassengers alpha 0.1 = 460.3027724818841 (statsforecast test)');
SELECT ok(pg_temp.close(forecast_holt((SELECT array_agg(passengers ORDER BY month) FROM air), 0.5, 0.3), 409.02344335260443, 1e-14),
          'Holt AirPassengers 0.5/0.3 = 409.02344335260443 (R HoltWinters gamma=FALSE)');

-- ---- classification ----
SELECT is((demand_class('{0,0,3,0,4,0,0,0,2,0}')).demand_class, 'intermittent', 'ADI 10/3, CV2 1/9: intermittent');
SELECT ok(pg_temp.close((demand_class('{0,0,3,0,4,0,0,0,2,0}')).adi, 10.0 / 3, 1e-15), 'ADI = periods / demand periods');
SELECT ok(pg_temp.close((demand_class('{0,0,3,0,4,0,0,0,2,0}')).cv2, 1.0 / 9, 1e-15), 'CV2 = var(3,4,2)/mean^2 = 1/9');
SELECT is((demand_class('{0,0,3,0,4,0,0,0,2,0}')).method, 'sba', 'intermittent picks sba');
SELECT ok(pg_temp.close((demand_class('{0,0,3,0,4,0,0,0,2,0}')).forecast, 299.0 / 301 * 0.95, 1e-15), 'forecast of the picked method');
SELECT is((demand_class('{10,11,9,10,12,10}')).demand_class, 'smooth', 'smooth');
SELECT is((demand_class('{10,11,9,10,12,10}')).method, 'ses', 'smooth picks ses');
SELECT is((demand_class('{1,30,2,40,1,25}')).demand_class, 'erratic', 'erratic');
SELECT is((demand_class('{0,0,50,0,1,0,0,30}')).demand_class, 'lumpy', 'lumpy');
SELECT is((demand_class('{0,0,0}')).demand_class, 'no demand', 'all zero: no demand');
SELECT is((demand_class('{0,0,0}')).forecast, 0::float8, 'no demand forecasts 0');

-- ---- aggregates over (day, qty): missing days are zero up to end_day ----
CREATE TEMP TABLE sales (day date, qty float8);
INSERT INTO sales VALUES ('2024-01-03', 3), ('2024-01-05', 1), ('2024-01-05', 3), ('2024-01-09', 2),
                         ('2024-01-12', 7), (NULL, 5), ('2024-01-06', NULL);
SELECT is(daily_series(day, qty, '2024-01-10'), '{3,0,4,0,0,0,2,0}'::float8[],
          'daily_series: first day with a row to end_day, same-day rows summed, later rows ignored') FROM sales;
SELECT is(daily_series(day, qty, '2024-01-01', '2024-01-10'), '{0,0,3,0,4,0,0,0,2,0}'::float8[],
          'daily_series with a window: leading and trailing zeros') FROM sales;
SELECT ok(pg_temp.close(forecast_intermittent(day, qty, '2024-01-10', 'croston', 0.1), 299.0 / 301, 1e-15),
          'croston aggregate over the rows equals the array form')
  FROM (SELECT * FROM sales UNION ALL SELECT '2024-01-01', 0) s;
SELECT ok(pg_temp.close(forecast_intermittent(day, qty, '2024-01-10', 'tsb', 0.3, 0.1), 0.5729169879, 0, 5e-11),
          'tsb aggregate')
  FROM (SELECT * FROM sales UNION ALL SELECT '2024-01-01', 0) s;
SELECT ok(pg_temp.close(forecast_ses(DATE '2000-01-01' + n, passengers, DATE '2000-01-01' + 143, 0.1), 460.3027724818841, 1e-14),
          'SES aggregate over 144 consecutive days of AirPassengers, rows in reverse order')
  FROM (SELECT passengers, (row_number() OVER (ORDER BY month))::int - 1 AS n FROM air ORDER BY month DESC) a;
SELECT ok(pg_temp.close(forecast_holt(d, v, '2024-01-05', 0.5, 0.3), forecast_holt('{1,0,4,0,2}'::float8[], 0.5, 0.3), 1e-15),
          'Holt aggregate fills the missing days with zero')
  FROM (VALUES ('2024-01-01'::date, 1::float8), ('2024-01-03', 4), ('2024-01-05', 2)) v(d, v);
SELECT is((demand_class(day, qty, '2024-01-01', '2024-01-10')).demand_class, 'intermittent', 'demand_class aggregate')
  FROM sales;
SELECT is(daily_series(day, qty, '2024-01-10'), NULL, 'no rows: NULL') FROM sales WHERE false;
-- parallel plans combine and serialize the states
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE big AS
  SELECT DATE '2023-01-01' + (i % 365) AS day, (i % 7)::float8 AS qty FROM generate_series(1, 200000) i;
ANALYZE big;
SELECT is((SELECT (demand_class(day, qty, DATE '2023-01-01', DATE '2023-12-31')).total FROM big),
          (SELECT sum(qty) FROM big), 'parallel aggregate total equals sum()');
SELECT is((SELECT daily_series(day, qty, DATE '2023-12-31') FROM big),
          (SELECT array_agg(t ORDER BY d) FROM (SELECT d, coalesce(sum(qty), 0) AS t
             FROM generate_series(DATE '2023-01-01', DATE '2023-12-31', '1 day') d
             LEFT JOIN big ON big.day = d GROUP BY d) s),
          'daily_series equals a generate_series LEFT JOIN, parallel or not');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;

-- ---- bad input: SQLSTATE and a message naming the value ----
SELECT throws_ok(q, code, msg, 'rejects: ' || q)
  FROM (VALUES
    ('SELECT crmscm.safety_stock(1, 10, 1, 1, 0)', '22023', 'service_level 1 is out of range'),
    ('SELECT crmscm.safety_stock(0, 10, 1, 1, 0)', '22023', 'service_level 0 is out of range'),
    ('SELECT crmscm.safety_stock(1.5, 10, 1, 1, 0)', '22023', 'service_level 1.5 is out of range'),
    ('SELECT crmscm.safety_stock(''NaN'', 10, 1, 1, 0)', '22003', 'service_level must be finite, got NaN'),
    ('SELECT crmscm.safety_stock(0.9, -1, 1, 1, 0)', '22023', 'demand_mean must not be negative, got -1'),
    ('SELECT crmscm.safety_stock(0.9, 1, -1, 1, 0)', '22023', 'demand_sd must not be negative, got -1'),
    ('SELECT crmscm.reorder_point(0.9, 1, 1, -2, 0)', '22023', 'lead_time must not be negative, got -2'),
    ('SELECT crmscm.reorder_point(0.9, 1, 1, 2, ''Infinity'')', '22003', 'lead_time_sd must be finite, got Infinity'),
    ('SELECT crmscm.safety_stock_fill_rate(0.98, 0, 1, 1, 1, 0)', '22023', 'order_qty must be positive, got 0'),
    ('SELECT crmscm.safety_stock_fill_rate(1, 10, 1, 1, 1, 0)', '22023', 'fill_rate 1 is out of range'),
    ('SELECT crmscm.safety_stock_fill_rate(-0.1, 10, 1, 1, 1, 0)', '22023', 'fill_rate -0.1 is out of range'),
    ('SELECT crmscm.eoq(-1, 8, 1)', '22023', 'annual_demand must not be negative, got -1'),
    ('SELECT crmscm.eoq(100, 8, 0)', '22023', 'holding_cost must be positive, got 0'),
    ('SELECT crmscm.eoq(''NaN'', 8, 1)', '22003', 'annual_demand must be finite, got NaN'),
    ('SELECT crmscm.eoq_backorder(100, 8, 1, 0)', '22023', 'backorder_cost must be positive, got 0'),
    ('SELECT crmscm.eoq_production(100, 8, 1, 50)', '22023', 'production_rate 50 must exceed annual_demand 100'),
    ('SELECT crmscm.eoq(1e300, 1e300, 1e-300)', '22003', 'economic order quantity is out of range for type double precision'),
    ('SELECT crmscm.normal_quantile(1.5)', '22023', 'probability 1.5 is out of range'),
    ('SELECT crmscm.normal_quantile(''NaN'')', '22003', 'probability must be finite, got NaN'),
    ('SELECT crmscm.normal_cdf(''NaN'')', '22003', 'z must be finite, got NaN'),
    ('SELECT crmscm.normal_loss(''NaN'')', '22003', 'z must be finite, got NaN'),
    ('SELECT crmscm.forecast_intermittent(''{}'', ''croston'')', '2202E', 'series must not be empty'),
    ('SELECT crmscm.forecast_ses(''{}'', 0.1)', '2202E', 'series must not be empty'),
    ('SELECT crmscm.forecast_holt(''{5}'', 0.1, 0.1)', '2202E', 'series needs at least 2 values for Holt''s method'),
    ('SELECT crmscm.forecast_intermittent(''{1,NULL}'', ''croston'')', '22004', 'series must not contain NULL elements'),
    ('SELECT crmscm.forecast_intermittent(''{{1,2},{3,4}}'', ''croston'')', '2202E', 'series must be a one-dimensional array, got 2 dimensions'),
    ('SELECT crmscm.forecast_intermittent(''{1,-2}'', ''croston'')', '22023', 'series element 2 is -2; demand must not be negative'),
    ('SELECT crmscm.forecast_intermittent(''{1,NaN}'', ''sba'')', '22003', 'series element 2 is NaN; it must be finite'),
    ('SELECT crmscm.forecast_intermittent(''{1,2}'', ''holt'')', '22023', 'unknown forecast method "holt"'),
    ('SELECT crmscm.forecast_intermittent(''{1,2}'', ''Croston'')', '22023', 'unknown forecast method "Croston"'),
    ('SELECT crmscm.forecast_intermittent(''{1,2}'', ''croston'', 0)', '22023', 'smoothing parameter alpha 0 is out of range'),
    ('SELECT crmscm.forecast_intermittent(''{1,2}'', ''tsb'', 0.1, 1.5)', '22023', 'smoothing parameter beta 1.5 is out of range'),
    ('SELECT crmscm.forecast_ses(''{1,2}'', ''NaN'')', '22003', 'alpha must be finite, got NaN'),
    ('SELECT crmscm.demand_class(''{}''::float8[])', '2202E', 'series must not be empty'),
    ('SELECT crmscm.daily_series(d, 1, NULL) FROM (VALUES (DATE ''2024-01-01'')) v(d)', '22004', 'end_day must not be NULL'),
    ('SELECT crmscm.daily_series(d, -1, DATE ''2024-01-02'') FROM (VALUES (DATE ''2024-01-01'')) v(d)', '22023', 'demand quantity -1 is invalid'),
    ('SELECT crmscm.daily_series(d, ''NaN'', DATE ''2024-01-02'') FROM (VALUES (DATE ''2024-01-01'')) v(d)', '22003', 'demand quantity NaN is invalid'),
    ('SELECT crmscm.daily_series(d, 1, DATE ''2024-01-05'', DATE ''2024-01-01'') FROM (VALUES (DATE ''2024-01-01'')) v(d)', '22023', 'start_day 2024-01-05 is after end_day 2024-01-01'),
    ('SELECT crmscm.daily_series(d, 1, DATE ''1900-01-01'', DATE ''2024-01-01'') FROM (VALUES (DATE ''2024-01-01'')) v(d)', '54000', 'demand series of 45291 days is too long'),
    ('SELECT crmscm.daily_series(d, 1, DATE ''2024-01-01'') FROM (VALUES (DATE ''1800-01-01'')) v(d)', '54000', 'demand series of 81815 days is too long'),
    ('SELECT crmscm.daily_series(d, 1, e) FROM (VALUES (DATE ''2024-01-01'', DATE ''2024-01-02''), (DATE ''2024-01-01'', DATE ''2024-01-03'')) v(d, e)', '22023', 'the day range, method and smoothing parameters must be the same for every row of a group'),
    ('SELECT crmscm.daily_series(d, 1, ''infinity'') FROM (VALUES (DATE ''2024-01-01'')) v(d)', '22023', 'start_day and end_day must be finite dates'),
    ('SELECT crmscm.forecast_intermittent(d, 1, DATE ''2024-01-02'', ''nope'', 0.1) FROM (VALUES (DATE ''2024-01-01'')) v(d)', '22023', 'unknown forecast method "nope"'),
    ('SELECT crmscm.abc_classes(0.9, 0.8)', '22023', 'invalid ABC shares a_share 0.9 and b_share 0.8')
  ) v(q, code, msg);
SELECT is(eoq(0, 8, 1), 0::float8, 'documented: zero demand gives EOQ 0');
SELECT is(safety_stock(NULL, 1, 1, 1, 1), NULL, 'STRICT: NULL in, NULL out');

-- ---- declarations ----
SELECT ok(bool_and(p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's'),
          'math functions are IMMUTABLE STRICT PARALLEL SAFE')
  FROM pg_proc p WHERE p.pronamespace = 'crmscm'::regnamespace AND p.prokind = 'f'
   AND p.proname IN ('normal_cdf', 'normal_quantile', 'normal_loss', 'normal_loss2', 'safety_stock',
                     'reorder_point', 'safety_stock_fill_rate', 'eoq', 'eoq_cost', 'eoq_backorder',
                     'eoq_production', 'forecast_intermittent', 'forecast_ses', 'forecast_holt', 'demand_class');
SELECT ok(bool_and(a.aggcombinefn <> 0 AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0), 'aggregates are parallel capable')
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.pronamespace = 'crmscm'::regnamespace
   AND p.proname IN ('daily_series', 'forecast_ses', 'forecast_holt', 'forecast_intermittent', 'demand_class');
SELECT is((SELECT count(*)::int FROM pg_attribute a
           WHERE a.attrelid = 'crmscm.reorder_suggestions'::regclass AND a.attnum > 0
             AND col_description(a.attrelid, a.attnum) IS NULL), 0, 'every view column has a comment');
SELECT isnt(obj_description('crmscm.reorder_suggestions'::regclass, 'pg_class'), NULL, 'the view has a comment');
-- like every view, it reads with the caller's rights (security_invoker), so
-- row-level security applies to the caller, and it is owned by the extension
-- owner, a superuser no login role can become (doc/security.md)
SELECT ok((SELECT relowner = (SELECT extowner FROM pg_extension WHERE extname = 'crmscm')
                  AND reloptions @> '{security_invoker=true}'
             FROM pg_class WHERE oid = 'crmscm.reorder_suggestions'::regclass),
          'the view runs with the caller''s rights (row-level security applies) and belongs to the extension owner');
SELECT is((SELECT count(*)::int FROM pg_proc p WHERE p.pronamespace = 'crmscm'::regnamespace
             AND obj_description(p.oid, 'pg_proc') IS NULL
             AND (p.proname ~ '^(normal_|safety_|reorder_|eoq|forecast_|demand_|daily_|abc_|replenish)')), 0,
          'every reorder function and aggregate has a comment');

-- ---- the view and replenish() on a small world ----
-- Rows are written directly with triggers off (session_replication_role),
-- so this test does not depend on the order/inventory triggers.
SET LOCAL session_replication_role = replica;
INSERT INTO warehouses (warehouse_id, name) VALUES (901, 'R-North'), (902, 'R-South');
INSERT INTO customers (customer_id, name) VALUES (901, 'R-Customer');
INSERT INTO items (item_id, sku, name, unit_price, unit_cost, order_cost, holding_rate, service_level,
                   lead_time_days, lead_time_sd_days, pack_size) VALUES
  (901, 'R-A', 'steady', 15, 10, 50, 0.25, 0.95, 7, 2, 12),
  (902, 'R-B', 'every fifth day', 2, 4, 20, 0.25, 0.9, 3, 0, 1),
  (903, 'R-C', 'never sold', 5, 0, 0, 0.25, 0.95, 5, 0, 1),
  (904, 'R-D', 'sold without a warehouse', 10, 2, 10, 0.25, 0.95, 2, 0, 5);
INSERT INTO inventory (item_id, warehouse_id, on_hand, reserved, on_order) VALUES
  (901, 901, 30, 5, 0), (902, 901, 100, 0, 0), (903, 901, 0, 0, 0), (903, 902, 0, 0, 0),
  (904, 902, 3, 3, 0);
-- A: 4 units on every day of the 365-day window ending yesterday, warehouse 901
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at)
SELECT 900000 + i, 901, 'closed', (current_date - i)::timestamptz + interval '12 hours'
  FROM generate_series(1, 365) i;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id, status, qty_shipped)
SELECT 900000 + i, 1, 901, 4, 15, 901, 'shipped', 4 FROM generate_series(1, 365) i;
-- B: 10 units every fifth day counted back from yesterday
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id, status, qty_shipped)
SELECT 900000 + i, 2, 902, 10, 2, 901, 'shipped', 10 FROM generate_series(1, 365, 5) i;
-- not demand: a cancelled line, a draft order, an order older than the window, today's order
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id, status)
VALUES (900001, 3, 903, 50, 5, 901, 'cancelled');
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at) VALUES
  (910001, 901, 'draft', current_date - 3), (910002, 901, 'closed', current_date - 400),
  (910003, 901, 'confirmed', now());
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id, status) VALUES
  (910001, 1, 903, 70, 5, 901, 'open'), (910002, 1, 903, 80, 5, 901, 'shipped'),
  (910003, 1, 903, 90, 5, 901, 'open');
-- D: an open line of a confirmed order without a warehouse, reserved (3) and
-- backordered (2) in warehouse 902, ordered 10 days ago
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at) VALUES
  (910004, 901, 'confirmed', current_date - 10 + interval '9 hours');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id, status, qty_reserved, qty_backordered)
VALUES (910004, 1, 904, 5, 10, NULL, 'open', 3, 2);
INSERT INTO reservations (order_id, line_no, item_id, warehouse_id, qty) VALUES (910004, 1, 904, 902, 3);
INSERT INTO backorders (order_id, line_no, item_id, warehouse_id, qty) VALUES (910004, 1, 904, 902, 2);
-- E: a shipped line without a warehouse of a closed order 20 days ago,
-- shipped from 901 (a shipment move); free of charge, so no revenue
INSERT INTO items (item_id, sku, name) VALUES (905, 'R-E', 'shipped without a warehouse');
INSERT INTO inventory (item_id, warehouse_id) VALUES (905, 901);
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at) VALUES
  (910005, 901, 'closed', current_date - 20 + interval '9 hours');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, warehouse_id, status, qty_shipped)
VALUES (910005, 1, 905, 4, 0, NULL, 'shipped', 4);
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind, order_id, line_no, moved_at)
VALUES (905, 901, -4, 'shipment', 910005, 1, current_date - 19);
-- A: 2 units backordered; C in 902: 3 units backordered (no demand history)
INSERT INTO backorders (order_id, line_no, item_id, warehouse_id, qty) VALUES
  (900001, 1, 901, 901, 2), (910003, 1, 903, 902, 3);
-- an ordered purchase order of 6 units of B, 1 received; a cancelled one ignored
INSERT INTO purchase_orders (po_id, status) VALUES (901, 'ordered'), (902, 'cancelled');
INSERT INTO purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty, qty_received) VALUES
  (901, 1, 902, 901, 6, 1), (902, 1, 902, 901, 500, 0);
RESET session_replication_role;
-- loaded with the triggers off: the demand state kept at commit (issue #18)
-- knows nothing of these rows until it is rebuilt from the history
SELECT is((SELECT keys FROM reorder_rebuild()), 5::bigint,
          'reorder_rebuild(): 5 item-warehouse pairs with demand ever (A, B, C in 901 by its old and today''s orders, D in 902, E in 901)');

CREATE TEMP TABLE s AS SELECT * FROM reorder_suggestions WHERE item_id BETWEEN 901 AND 905;
SELECT is((SELECT count(*)::int FROM s), 6, 'one row per item and warehouse with stock or demand');

-- A: demand 4 every day: mean 4, sd 0, smooth -> SES = 4 exactly
SELECT results_eq($$SELECT on_hand, reserved, on_order, backordered, inventory_position, demand_in_window,
                           demand_days, demand_class, forecast_method FROM s WHERE item_id = 901$$,
                  $$VALUES (30::numeric, 5::numeric, 0::numeric, 2::numeric, 23::numeric, 1460::float8, 365, 'smooth', 'ses')$$,
                  'A: stock, inventory position 30 - 5 + 0 - 2, 1460 units on 365 days, smooth, ses');
SELECT ok(pg_temp.close(demand_per_day, 4, 1e-15) AND pg_temp.close(demand_mean, 4, 1e-15) AND demand_sd = 0,
          'A: 4 per day, sd 0') FROM s WHERE item_id = 901;
-- SS = z(0.95) sqrt(7 * 0 + 4^2 * 2^2) = 8 z; ROP = 28 + 8 z
SELECT ok(pg_temp.close(safety_stock, 8 * 1.6448536269514722843, 1e-15), 'A: safety stock 8 z(0.95)') FROM s WHERE item_id = 901;
SELECT ok(pg_temp.close(reorder_point, 28 + 8 * 1.6448536269514722843, 1e-15), 'A: reorder point 28 + 8 z') FROM s WHERE item_id = 901;
-- EOQ sqrt(2 * 50 * 1460 / 2.5) = sqrt(58400) = 241.66..., packs of 12 -> 252
SELECT ok(pg_temp.close(eoq, sqrt(58400), 1e-14), 'A: EOQ sqrt(2 K D / h) with D = 365 x 4, h = 0.25 x 10') FROM s WHERE item_id = 901;
SELECT results_eq($$SELECT order_qty, reorder_now, suggested_qty FROM s WHERE item_id = 901$$,
                  $$VALUES (252::numeric, true, 252::numeric)$$, 'A: lot 252 (21 packs), reorder now, one lot');
SELECT matches(reason, '^inventory position 23 <= reorder point 41\.16 .*EOQ 241\.66 rounded up to packs of 12',
               'A: the reason gives the figures') FROM s WHERE item_id = 901;
SELECT is(abc_class, 'A', 'A: ABC class A (21900 of 23410 revenue)') FROM s WHERE item_id = 901;

-- B: 10 every 5th day: the mean and sample sd of the filled series, computed
-- independently with generate_series; Croston = 10/5 = 2, SBA = 2 x 0.95
SELECT ok(pg_temp.close(b.demand_mean, x.m, 1e-14) AND pg_temp.close(b.demand_sd, x.sd, 1e-14),
          'B: mean and sd equal a generate_series computation (2, 4.0055)')
  FROM s b, (SELECT avg(q) AS m, stddev_samp(q) AS sd
               FROM (SELECT CASE WHEN i % 5 = 1 THEN 10 ELSE 0 END::float8 AS q FROM generate_series(1, 365) i) z) x
 WHERE b.item_id = 902;
SELECT results_eq($$SELECT demand_class, forecast_method, demand_days, on_order, inventory_position, reorder_now, suggested_qty
                    FROM s WHERE item_id = 902$$,
                  $$VALUES ('intermittent', 'sba', 73, 5::numeric, 105::numeric, false, 0::numeric)$$,
                  'B: intermittent, sba, 73 demand days, 5 on order (6 - 1 received), position 105, no reorder');
SELECT ok(pg_temp.close(demand_per_day, 1.9, 1e-14), 'B: SBA 10/5 x (1 - 0.1/2) = 1.9') FROM s WHERE item_id = 902;
SELECT matches(reason, '^inventory position 105 is above the reorder point', 'B: reason') FROM s WHERE item_id = 902;
SELECT is(abc_class, 'B', 'B: ABC class B (93.55 % of the revenue before it)') FROM s WHERE item_id = 902;

-- C: no demand (cancelled, draft, old and today''s lines ignored)
SELECT results_eq($$SELECT warehouse_id, demand_in_window, demand_class, reorder_now, suggested_qty, eoq IS NULL
                    FROM s WHERE item_id = 903 ORDER BY warehouse_id$$,
                  $$VALUES (901::bigint, 0::float8, 'no demand', false, 0::numeric, true),
                           (902::bigint, 0::float8, 'no demand', true, 4::numeric, true)$$,
                  'C: no demand in 901; in 902 three units backordered: order 4 (position -3 lifted above 0)');
SELECT is(reason, 'no demand in the last 365 days; lead time 5 d (sd 0) from the item: no receipts', 'C 901: reason (and the lead time it would use)') FROM s WHERE item_id = 903 AND warehouse_id = 901;
-- reorder_suggestions_at: STRICT (NULL in, no rows), and fail-closed without a tenant
SELECT is((SELECT count(*) FROM crmscm.reorder_suggestions_at(NULL)), 0::bigint, 'reorder_suggestions_at(NULL): no rows');
SELECT throws_ok($$SELECT * FROM crmscm.reorder_suggestions_at((SELECT current_date WHERE set_config('crmscm.tenant_id', '', true) IS NOT NULL))$$,
				 NULL, NULL, 'reorder_suggestions_at with the tenant unset: an error, no rows');
-- D: the line without a warehouse counts where it was reserved and backordered
SELECT results_eq($$SELECT warehouse_id, demand_in_window, demand_days, reserved, backordered, inventory_position FROM s WHERE item_id = 904$$,
                  $$VALUES (902::bigint, 5::float8, 1, 3::numeric, 2::numeric, -2::numeric)$$,
                  'D: demand 3 + 2 attributed to warehouse 902; position 3 - 3 + 0 - 2');
SELECT is(abc_class, 'C', 'D: ABC class C') FROM s WHERE item_id = 904;
SELECT results_eq($$SELECT warehouse_id, demand_in_window, demand_days FROM reorder_suggestions WHERE item_id = 905$$,
                  $$VALUES (901::bigint, 4::float8, 1)$$,
                  'E: the shipped line without a warehouse counts where it was shipped from');

-- the window follows crmscm.demand_window_days
SET LOCAL crmscm.demand_window_days = 30;
SELECT results_eq($$SELECT window_days, demand_in_window FROM reorder_suggestions WHERE item_id = 901$$,
                  $$VALUES (30, 120::float8)$$, 'demand_window_days = 30: 30 days of 4');
RESET crmscm.demand_window_days;

-- ABC by abc_classes() agrees with the view
SELECT results_eq($$SELECT item_id, abc_class FROM abc_classes() WHERE item_id BETWEEN 901 AND 904 ORDER BY item_id$$,
                  $$VALUES (901::bigint, 'A'), (902, 'B'), (903, 'C'), (904, 'C')$$,
                  'abc_classes(): A, B, C, C');
SELECT ok(pg_temp.close(revenue_share, 21900.0 / 23410, 1e-12), 'A revenue share 21900 / 23410')
  FROM abc_classes() WHERE item_id = 901;

-- replenish(): draft purchase orders for the rows to reorder, once
CREATE TEMP TABLE r1 AS SELECT * FROM replenish('R-Supplier');
SELECT results_eq($$SELECT item_id, warehouse_id, qty FROM r1 ORDER BY item_id, warehouse_id$$,
                  $$SELECT item_id, warehouse_id, suggested_qty FROM s WHERE reorder_now ORDER BY item_id, warehouse_id$$,
                  'replenish() orders exactly the suggested quantities');
SELECT results_eq($$SELECT DISTINCT p.status, p.supplier FROM purchase_orders p JOIN r1 USING (po_id)$$,
                  $$VALUES ('draft', 'R-Supplier')$$, 'as draft purchase orders of the supplier');
SELECT is((SELECT count(DISTINCT po_id)::int FROM r1), (SELECT count(DISTINCT warehouse_id)::int FROM r1),
          'one purchase order per warehouse');
SELECT is((SELECT expected_at FROM r1 WHERE item_id = 901), current_date + 7, 'expected after the lead time');
SELECT is((SELECT count(*)::int FROM replenish()), 0, 'a second replenish() orders nothing: drafts count as on order');
SELECT results_eq($$SELECT on_order, reorder_now FROM reorder_suggestions WHERE item_id = 901$$,
                  $$VALUES (252::numeric, false)$$, 'A: the draft is on order, no reorder now');

-- what a call keeps per item and warehouse is bounded by crmscm.max_fit_memory
SET LOCAL crmscm.max_fit_memory = 64;
SELECT throws_like($$SELECT count(*) FROM reorder_suggestions$$,
                   'reorder_suggestions: % kB for the tenant''s % item-warehouse pairs, more than crmscm.max_fit_memory (64 kB)',
                   'crmscm.max_fit_memory = 64 kB: reorder_suggestions refuses (54000), naming the pairs');
RESET crmscm.max_fit_memory;
-- a lead time whose demand over it overflows float8: 22003, as the SQL
-- arithmetic of 0.3.0's first view raised, never an Infinity to order
UPDATE items SET lead_time_days = 1e308 WHERE item_id = 901;
SELECT throws_ok($$SELECT suggested_qty FROM reorder_suggestions WHERE item_id = 901$$, '22003', NULL,
                 'A with a lead time of 1e308 days (4/day x 1e308 overflows): 22003, no infinite order');

SELECT * FROM finish();
ROLLBACK;
