-- Delivery performance (issue #17, doc/synergy.md): fixtures pinning every
-- definition of crmscm.delivery_performance (on time, in full, OTIF,
-- days late, the cause, the tolerance setting; early, partial, split and
-- cancelled deliveries), customer_360.otif_90d / late_lines_90d, and the
-- same from lines the engine promised and shipped itself.
--
-- Independent source: each expected value follows from the definitions in
-- the view's column comments, applied by hand to the fixture in its
-- comment.  T is today's UTC day; the fixtures are lines of closed orders
-- (history, which may carry promise and shipment columns), and open lines
-- whose promise is set around the guard (as days passing would leave it).
\i test/setup.sql
SELECT * FROM no_plan();
SET CONSTRAINTS ALL IMMEDIATE;

CREATE FUNCTION pg_temp.t(n int DEFAULT 0) RETURNS date LANGUAGE sql AS
$$ SELECT (now() AT TIME ZONE 'UTC')::date + n $$;
-- noon UTC of day T + n
CREATE FUNCTION pg_temp.at(n int) RETURNS timestamptz LANGUAGE sql AS
$$ SELECT (pg_temp.t(n) + time '12:00') AT TIME ZONE 'UTC' $$;
CREATE FUNCTION pg_temp.dp(o bigint) RETURNS text LANGUAGE sql AS
$$ SELECT format('on_time=%s in_full=%s otif=%s days_late=%s cause=%s',
                 coalesce(on_time::text, '-'), coalesce(in_full::text, '-'), coalesce(otif::text, '-'),
                 coalesce(days_late::text, '-'), coalesce(cause, '-'))
     FROM crmscm.delivery_performance WHERE order_id = o $$;
-- a history line: order o of customer c, qty, shipped, status, promised, shipments (first, last), covered,
-- source, customer change
CREATE FUNCTION pg_temp.hist(o bigint, c bigint, q numeric, shipped numeric, st text, promised int, n int,
                             f int, l int, covered int DEFAULT NULL, src text DEFAULT 'stock',
                             changed boolean DEFAULT false, requested int DEFAULT NULL) RETURNS void LANGUAGE sql AS
$$ INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ordered_at) VALUES (o, c, 'closed', now() - interval '120 days');
   INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, status, qty_shipped, requested_date, promised_date,
                                         promise_source, covered_on, customer_changed_at, first_shipped_at, last_shipped_at, shipments)
   VALUES (o, 1, 1, q, st, shipped, pg_temp.t(requested), pg_temp.t(promised), src, pg_temp.t(covered),
           CASE WHEN changed THEN now() END, pg_temp.at(f), pg_temp.at(l), n) $$;

INSERT INTO warehouses (warehouse_id, name, location) VALUES (1, 'Milan', '(45.4642,9.19)');
INSERT INTO items (item_id, sku, name) VALUES (1, 'A', 'a'), (2, 'B', 'b');
INSERT INTO customers (customer_id, name) SELECT g, 'c' || g FROM generate_series(1, 4) g;

-- customer 1
-- 1: promised T-10, one shipment on T-10: on time, in full
SELECT pg_temp.hist(1, 1, 5, 5, 'shipped', -10, 1, -10, -10, -12);
SELECT is(pg_temp.dp(1), 'on_time=true in_full=true otif=true days_late=0 cause=-', 'shipped on the promised day: OTIF');
-- 2: shipped two days early
SELECT pg_temp.hist(2, 1, 5, 5, 'shipped', -10, 1, -12, -12, -12);
SELECT is(pg_temp.dp(2), 'on_time=true in_full=true otif=true days_late=0 cause=-', 'shipped early: on time (early is not late)');
-- 3: reserved in full on T-15, shipped T-8: 2 days late, the dispatch's fault
SELECT pg_temp.hist(3, 1, 5, 5, 'shipped', -10, 1, -8, -8, -15);
SELECT is(pg_temp.dp(3), 'on_time=false in_full=true otif=false days_late=2 cause=dispatch late',
	'reserved before the promise, shipped 2 days after it: dispatch late');
SET LOCAL crmscm.otif_tolerance_days = 2;
SELECT is(pg_temp.dp(3), 'on_time=true in_full=true otif=true days_late=2 cause=-',
	'crmscm.otif_tolerance_days = 2: the same line is on time (days_late stays 2)');
SELECT is((SELECT due_date - pg_temp.t() FROM delivery_performance WHERE order_id = 3), -8, '... its due date is the promise + 2');
SET LOCAL crmscm.otif_tolerance_days = 1;
SELECT is(pg_temp.dp(3), 'on_time=false in_full=true otif=false days_late=2 cause=dispatch late', 'with 1 day: late');
RESET crmscm.otif_tolerance_days;
SELECT throws_ok($$SET LOCAL crmscm.otif_tolerance_days = -1$$, '22023', NULL, 'a negative tolerance: refused');
SELECT throws_ok($$SET LOCAL crmscm.otif_tolerance_days = 'x'$$, '22023', NULL, 'a tolerance that is no number: refused');

-- customer 2: every cause
-- 5: two shipments, the first on T-11 (on time), the last T-7: split
SELECT pg_temp.hist(5, 2, 5, 5, 'shipped', -10, 2, -11, -7, -12);
SELECT is(pg_temp.dp(5), 'on_time=false in_full=true otif=false days_late=3 cause=split shipment',
	'part on time, the rest 3 days late: split shipment');
-- 6: promised from a purchase order, the stock came on T-8 (after the promise): supplier late
SELECT pg_temp.hist(6, 2, 5, 5, 'shipped', -10, 1, -8, -8, -8, 'purchase');
SELECT is(pg_temp.dp(6), 'on_time=false in_full=true otif=false days_late=2 cause=supplier late', 'the purchase came late: supplier late');
-- 7: promised on the lead time, covered on T-5
SELECT pg_temp.hist(7, 2, 5, 5, 'shipped', -10, 1, -5, -5, -5, 'lead_time');
SELECT is(pg_temp.dp(7), 'on_time=false in_full=true otif=false days_late=5 cause=no stock at promise',
	'promised on the lead time, the stock came 5 days late: no stock at promise');
-- 8: the customer changed the line after the promise
SELECT pg_temp.hist(8, 2, 5, 5, 'shipped', -10, 1, -9, -9, -15, 'stock', true);
SELECT is(pg_temp.dp(8), 'on_time=false in_full=true otif=false days_late=1 cause=customer change',
	'changed by the customer after the promise: customer change first');
-- 9: 2 of 5 shipped on T-9, the rest cancelled
SELECT pg_temp.hist(9, 2, 5, 2, 'cancelled', -10, 1, -9, -9);
SELECT is(pg_temp.dp(9), 'on_time=false in_full=false otif=false days_late=1 cause=customer change',
	'cancelled after a partial shipment: neither on time nor in full');
-- customer 3: no delivery to measure
-- 10: cancelled before anything shipped
SELECT pg_temp.hist(10, 3, 5, 0, 'cancelled', -10, 0, NULL, NULL);
SELECT is(pg_temp.dp(10), 'on_time=- in_full=- otif=- days_late=- cause=-', 'cancelled with nothing shipped: not a delivery');
-- 11: history without a promise or a requested day
SELECT pg_temp.hist(11, 3, 5, 5, 'shipped', NULL, 1, -9, -9);
SELECT is(pg_temp.dp(11), 'on_time=- in_full=- otif=- days_late=- cause=-', 'no promise, no requested day: nothing to measure');
-- 12: history with a requested day only: measured against it
SELECT pg_temp.hist(12, 3, 5, 5, 'shipped', NULL, 1, -9, -9, NULL, 'stock', false, -9);
SELECT is(pg_temp.dp(12), 'on_time=true in_full=true otif=true days_late=0 cause=-', 'no promise: the requested day counts');
-- 13: shipped, but the history does not say when
SELECT pg_temp.hist(13, 3, 5, 5, 'shipped', -10, 0, NULL, NULL);
SELECT is(pg_temp.dp(13), 'on_time=- in_full=true otif=- days_late=- cause=-', 'shipped on an unknown day: in full, on time unknown');
-- 14: due 100 days ago and late: outside customer_360's 90 days
SELECT pg_temp.hist(14, 2, 5, 5, 'shipped', -100, 1, -95, -95, -95, 'lead_time');
SELECT is(pg_temp.dp(14), 'on_time=false in_full=true otif=false days_late=5 cause=no stock at promise', 'a late line of 100 days ago');

-- open lines (customer 4): the engine reserves them; their promise set as days would have passed
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind) VALUES (2, 1, 10, 'receipt');
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (20, 4, 'confirmed'), (21, 4, 'confirmed'), (22, 4, 'draft');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (20, 1, 2, 3), (21, 1, 2, 3), (22, 1, 2, 1);
SET LOCAL session_replication_role = replica;
UPDATE sales_order_lines SET promised_date = pg_temp.t(-3), covered_on = pg_temp.t(-5) WHERE order_id = 20;
UPDATE sales_order_lines SET promised_date = pg_temp.t(3) WHERE order_id = 21;
RESET session_replication_role;
SELECT is(pg_temp.dp(20), 'on_time=false in_full=- otif=false days_late=3 cause=dispatch late',
	'open, reserved since T-5, promised T-3: 3 days late so far, not shipped in time');
SELECT is(pg_temp.dp(21), 'on_time=- in_full=- otif=- days_late=- cause=-', 'open, promised T+3: not due yet');
SELECT is(pg_temp.dp(22), 'on_time=- in_full=- otif=- days_late=- cause=-', 'a line of a draft order: not a delivery');

-- customer_360
SELECT results_eq($$SELECT customer_id, round(otif_90d::numeric, 4), late_lines_90d FROM customer_360 ORDER BY 1$$,
	$$VALUES (1::bigint, 0.6667::numeric, 1::bigint), (2, 0.0, 5), (3, 1.0, 0), (4, 0.0, 1)$$,
	'customer_360: customer 1 2 of 3 OTIF, customer 2 none of 5 (the line of 100 days ago not counted), customer 3 one measurable line, customer 4 one late open line');

-- end to end: a line the engine promises and ships today
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (30, 3, 'confirmed');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (30, 1, 2, 2);
SELECT is(crmscm.ship(30, 1), 2::numeric, 'the engine promised the line today and ships it');
SELECT results_eq($$SELECT promised_date - pg_temp.t(), first_shipped_on - pg_temp.t(), last_shipped_on - pg_temp.t(), shipments,
                           on_time, in_full, otif, days_late FROM delivery_performance WHERE order_id = 30$$,
	$$VALUES (0, 0, 0, 1, true, true, true, 0)$$, 'promised today, shipped today: OTIF');

-- otif is on_time (src/sql/405_delivery_performance.sql): checked against the long form
-- (false when on_time or in_full is false, true when both are true) and the shipment days
-- against timezone('UTC', ...) (the view uses a zero offset), on the lines above and 3,000
-- random history lines: early, late, NULL days, cancelled with and without shipments,
-- shipments a minute either side of midnight UTC, infinite timestamps, a session zone of +14 h
SET LOCAL TimeZone = 'Pacific/Kiritimati';
SELECT setseed(0.405);
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at)
SELECT 1000 + g, 1 + g % 4, 'closed', now() - interval '200 days' FROM generate_series(1, 3000) g;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, status, qty_shipped, requested_date, promised_date,
                               promise_source, covered_on, first_shipped_at, last_shipped_at, shipments)
SELECT 1000 + g, 1, 1, 5, st, CASE WHEN st = 'shipped' THEN 5 ELSE (r * 5)::int % 5 END,
       CASE WHEN r2 < 0.2 THEN NULL ELSE pg_temp.t(-(r2 * 60)::int) END,
       CASE WHEN r3 < 0.3 THEN NULL ELSE pg_temp.t(-(r3 * 60)::int) END,
       'stock', pg_temp.t(-(r * 60)::int), fs, ls, 1 + (r < 0.3)::int
  FROM (SELECT g, r, r2, r3, CASE WHEN r < 0.15 THEN 'cancelled' ELSE 'shipped' END AS st,
               CASE WHEN r4 < 0.02 THEN '-infinity'::timestamptz
                    WHEN r4 < 0.1 THEN NULL
                    ELSE (pg_temp.t(-(r4 * 60)::int) + time '00:00')::timestamp AT TIME ZONE 'UTC'
                         + ((r * 3)::int - 1) * interval '1 minute' END AS fs,
               CASE WHEN r4 > 0.98 THEN 'infinity'::timestamptz
                    WHEN r4 < 0.1 THEN NULL
                    ELSE (pg_temp.t(-(r4 * 50)::int) + time '00:00')::timestamp AT TIME ZONE 'UTC'
                         + ((r2 * 3)::int - 1) * interval '1 minute' END AS ls
          FROM (SELECT g, random() AS r, random() AS r2, random() AS r3, random() AS r4
                  FROM generate_series(1, 3000) g) x) y;
SELECT is((SELECT count(*) FROM delivery_performance d JOIN sales_order_lines l USING (tenant_id, order_id, line_no)
            WHERE d.otif IS DISTINCT FROM CASE WHEN d.on_time IS FALSE OR d.in_full IS FALSE THEN false
                                                WHEN d.on_time AND d.in_full THEN true END
               OR d.first_shipped_on IS DISTINCT FROM timezone('UTC', l.first_shipped_at)::date
               OR d.last_shipped_on IS DISTINCT FROM timezone('UTC', l.last_shipped_at)::date), 0::bigint,
	'otif = on time and in full (long form), shipment days = UTC days, on every line');
SELECT ok((SELECT count(DISTINCT (otif, in_full, on_time)) FROM delivery_performance) >= 5
          AND (SELECT count(*) FROM delivery_performance WHERE last_shipped_on = pg_temp.t(-10)) > 0,
	'... over lines of every kind (OTIF true, false and unknown; in full true, false and unknown)');
DELETE FROM sales_order_lines WHERE order_id > 1000;
DELETE FROM sales_orders WHERE order_id > 1000;
RESET TimeZone;

-- as a reader pinned to tenant 2: nothing of tenant 1
DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_2') THEN CREATE ROLE crmscm_tenant_2 NOLOGIN; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_1') THEN CREATE ROLE crmscm_tenant_1 NOLOGIN; END IF;
END $$;
CREATE ROLE dp_r1 LOGIN IN ROLE crmscm_reader, crmscm_tenant_1;
CREATE ROLE dp_r2 LOGIN IN ROLE crmscm_reader, crmscm_tenant_2;
DO $$ BEGIN
	EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
	EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO PUBLIC;
SET SESSION AUTHORIZATION dp_r1;
SET LOCAL crmscm.tenant_id = 1;
SELECT is((SELECT count(*) FROM crmscm.delivery_performance WHERE otif IS FALSE), 8::bigint, 'a reader of tenant 1 sees its 8 missed lines');
SELECT is((SELECT late_lines_90d FROM crmscm.customer_360 WHERE customer_id = 2), 5::bigint, '... and customer_360''s late lines');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dp_r2;
SET LOCAL crmscm.tenant_id = 2;
SELECT is((SELECT count(*) FROM crmscm.delivery_performance), 0::bigint, 'a reader of tenant 2 sees no line of tenant 1');
SELECT is((SELECT count(*) FROM crmscm.customer_360), 0::bigint, '... nor its customers');
RESET SESSION AUTHORIZATION;
SET LOCAL crmscm.tenant_id = 1;

-- The per-line rules in C (src/delivery_performance.c) against the SQL
-- expressions the view had before them (written out here as the second
-- implementation), on 20,000 random lines: every order and line status,
-- NULLs in every column, shipments around UTC midnight, tolerance 0 and 3.
CREATE TEMP TABLE otif_in AS
SELECT g AS id,
       (ARRAY['draft', 'confirmed', 'cancelled', 'closed', NULL])[1 + floor(random() * 5)::int] AS ostatus,
       (ARRAY['open', 'shipped', 'cancelled', 'other', NULL])[1 + floor(random() * 5)::int] AS status,
       (ARRAY[0, 0, 2.5, NULL])[1 + floor(random() * 4)::int]::numeric AS qty_shipped,
       CASE WHEN random() < 0.3 THEN NULL ELSE pg_temp.t(floor(random() * 61)::int - 30) END AS promised,
       CASE WHEN random() < 0.3 THEN NULL ELSE pg_temp.t(floor(random() * 61)::int - 30) END AS requested,
       CASE WHEN random() < 0.2 THEN NULL
            ELSE (pg_temp.t(floor(random() * 61)::int - 30) + time '00:00') AT TIME ZONE 'UTC'
                 + (ARRAY[interval '0', interval '1 microsecond', interval '23:59:59.999999', interval '-1 microsecond',
                          interval '12 hours'])[1 + floor(random() * 5)::int] END AS last_at
  FROM generate_series(1, 20000) g;
CREATE FUNCTION pg_temp.otif_mismatches() RETURNS bigint LANGUAGE sql AS $f$
WITH k AS (SELECT COALESCE(current_setting('crmscm.otif_tolerance_days', true)::int4, 0) AS tolerance,
                  timezone('UTC', now())::date AS today),
d AS (SELECT i.*, COALESCE(i.promised, i.requested) AS basis, COALESCE(i.promised, i.requested) + k.tolerance AS due_date,
             k.today, timezone('00:00'::interval, i.last_at)::date AS last_on,
             i.ostatus = ANY (ARRAY['confirmed', 'closed']) AND NOT (i.status = 'cancelled' AND i.qty_shipped = 0) AS counts
        FROM otif_in i, k),
m AS (SELECT d.*,
             CASE WHEN NOT d.counts OR d.due_date IS NULL THEN NULL
                  WHEN d.status = 'shipped' THEN d.last_on <= d.due_date
                  WHEN d.status = 'cancelled' THEN false
                  WHEN d.today > d.due_date THEN false END AS on_time,
             CASE WHEN NOT d.counts OR d.due_date IS NULL THEN NULL
                  WHEN d.status = 'shipped' THEN true
                  WHEN d.status = 'cancelled' THEN false END AS in_full
        FROM d)
SELECT count(*) FROM m
 WHERE m.due_date IS DISTINCT FROM crmscm.otif_due(m.promised, m.requested)
    OR m.on_time IS DISTINCT FROM crmscm.otif_on_time(m.ostatus, m.status, m.qty_shipped, m.promised, m.requested, m.last_at)
    OR m.in_full IS DISTINCT FROM crmscm.otif_in_full(m.ostatus, m.status, m.qty_shipped, m.promised, m.requested, m.last_at)
    OR CASE WHEN m.on_time IS NULL THEN NULL ELSE GREATEST(COALESCE(m.last_on, m.today) - m.basis, 0) END
       IS DISTINCT FROM crmscm.otif_days_late(m.ostatus, m.status, m.qty_shipped, m.promised, m.requested, m.last_at)
$f$;
SELECT is(pg_temp.otif_mismatches(), 0::bigint, 'C rules = the SQL expressions on 20,000 random lines (tolerance 0)');
SET LOCAL crmscm.otif_tolerance_days = 3;
SELECT is(pg_temp.otif_mismatches(), 0::bigint, '... and with crmscm.otif_tolerance_days = 3');
SELECT cmp_ok((SELECT count(DISTINCT (crmscm.otif_on_time(ostatus, status, qty_shipped, promised, requested, last_at),
                                      crmscm.otif_in_full(ostatus, status, qty_shipped, promised, requested, last_at)))
                 FROM otif_in), '>=', 5::bigint, 'the random lines reach true, false and NULL of both measures');
-- the errors are the SQL's: an infinite day, a due day past the last date
SELECT throws_ok($$SELECT crmscm.otif_days_late('closed', 'shipped', 1, 'infinity', NULL, now())$$, '22008',
	'cannot subtract infinite dates', 'days_late with an infinite promised day: the error of date - date');
SELECT throws_ok($$SELECT GREATEST(timezone('00:00'::interval, now())::date - 'infinity'::date, 0)$$, '22008',
	'cannot subtract infinite dates', '... the same as the SQL it replaced');
SELECT throws_ok($$SELECT crmscm.otif_due('5874897-12-31', NULL)$$, '22008', 'date out of range',
	'a due day past the last date (tolerance 3): date out of range, as date + integer');
SELECT throws_ok($$SELECT crmscm.otif_on_time('closed', 'shipped', 1, '5874897-12-31', NULL, now())$$, '22008',
	'date out of range', '... on_time of such a line: the same error');
SELECT throws_ok($$SELECT crmscm.otif_in_full('closed', 'shipped', 1, NULL, '5874897-12-30', now())$$, '22008',
	'date out of range', '... in_full of a line requested for the day before the last: the same error');
SELECT is(crmscm.otif_due('infinity', NULL), 'infinity'::date, 'an infinite promised day stays infinite, as date + integer');
RESET crmscm.otif_tolerance_days;

-- The order's customer and status on its lines (src/order_copy.c): the
-- view reads them there.  Expected: the order's values, by hand.
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (9001, 1, 'draft'), (9002, 2, 'draft');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (9001, 1, 1, 1, 1), (9001, 2, 2, 1, 1);
-- an application stating other values on insert gets the order's
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, customer_id, order_status)
	VALUES (9002, 1, 1, 1, 1, 4, 'closed');
CREATE FUNCTION pg_temp.copy(o bigint) RETURNS text LANGUAGE sql AS
$$ SELECT string_agg(format('%s:%s/%s', line_no, customer_id, order_status), ' ' ORDER BY line_no)
     FROM crmscm.sales_order_lines WHERE order_id = o $$;
SELECT is(pg_temp.copy(9001), '1:1/draft 2:1/draft', 'lines of a draft order carry its customer and status');
SELECT is(pg_temp.copy(9002), '1:2/draft', '... the order''s, not what the insert stated');
UPDATE sales_orders SET customer_id = 3 WHERE order_id = 9001;
SELECT is(pg_temp.copy(9001), '1:3/draft 2:3/draft', 'the order''s customer changed: its lines follow');
UPDATE sales_orders SET status = 'confirmed' WHERE order_id = 9001;
SELECT is(pg_temp.copy(9001), '1:3/confirmed 2:3/confirmed', 'confirmed: its lines follow');
UPDATE sales_orders SET status = 'cancelled' WHERE order_id = 9002;
SELECT is(pg_temp.copy(9002), '1:2/cancelled', 'cancelled: its lines follow');
SELECT throws_ok($$UPDATE crmscm.sales_order_lines SET customer_id = 4 WHERE order_id = 9001 AND line_no = 1$$, '23000', NULL,
	'an application cannot set a line''s customer_id');
SELECT throws_ok($$UPDATE crmscm.sales_order_lines SET order_status = 'closed' WHERE order_id = 9001$$, '23000', NULL,
	'... nor its order_status');
SELECT lives_ok($$UPDATE crmscm.sales_order_lines SET customer_id = 3, order_status = 'confirmed', qty = 2 WHERE order_id = 9001 AND line_no = 2$$,
	'... an ORM re-sending them unchanged with a real change passes');
-- an import under replica: a row stating both keeps them, one stating none gets the order's
SET LOCAL session_replication_role = replica;
INSERT INTO sales_orders (order_id, customer_id, status) VALUES (9003, 4, 'closed');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped, customer_id, order_status)
	VALUES (9003, 1, 1, 1, 1, 'shipped', 1, 4, 'closed');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
	VALUES (9003, 2, 1, 1, 1, 'shipped', 1);
UPDATE sales_orders SET customer_id = 2 WHERE order_id = 9003;
RESET session_replication_role;
SELECT is(pg_temp.copy(9003), '1:2/closed 2:2/closed', 'under replica: the stated and the looked-up values, and the order''s change followed');
-- independent: every line's copy equals its order's values (a join)
SELECT is((SELECT count(*) FROM sales_order_lines l JOIN sales_orders o USING (tenant_id, order_id)
            WHERE (l.customer_id, l.order_status) IS DISTINCT FROM (o.customer_id, o.status)), 0::bigint,
	'every line of this test carries its order''s customer and status');
SELECT is((SELECT count(*) FROM delivery_performance d JOIN sales_orders o USING (tenant_id, order_id)
            WHERE d.customer_id IS DISTINCT FROM o.customer_id), 0::bigint,
	'delivery_performance.customer_id is the order''s');

-- every new view column has a comment
SELECT is((SELECT array_agg(c.relname || '.' || a.attname) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relname IN ('delivery_performance', 'at_risk_lines', 'customer_360',
                  'backorder_queue', 'sales_order_lines', 'backorders', 'customer_tiers', 'tier_thresholds', 'allocation_rules')
              AND a.attnum > 0 AND NOT a.attisdropped AND col_description(a.attrelid, a.attnum) IS NULL), NULL,
	'every column of the new and changed views and tables has a comment');

SELECT * FROM finish();
ROLLBACK;
