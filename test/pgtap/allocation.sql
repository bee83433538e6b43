-- Allocation by customer value (issue #17, doc/synergy.md): tiers from CLV,
-- the queue order priority -> tier -> age -> id, the fences of allocation
-- rules in reservation and queue fills, property tests of the protection
-- level, and crmscm.rebalance() (moves, dry run, idempotence, shipped
-- quantities, refusals), as the owner and as login roles.
--
-- Independent sources: the tiers expected from customer_360.clv_12m by a
-- plain row_number() ranking (the code uses cume_dist()); every quantity of
-- the scenarios worked out by hand in the comments from the rules (fence =
-- share x on hand; a tier reserves only while available stays above the
-- fences of better tiers); the property tests check the protection level
-- min(s x supply, demand of tier A) on 100 random instances.
-- Warehouse order for customers in Munich: Milan (~350 km) before Hamburg.
\i test/setup.sql
SELECT * FROM no_plan();
SET CONSTRAINTS ALL IMMEDIATE;

CREATE FUNCTION pg_temp.t(n int DEFAULT 0) RETURNS date LANGUAGE sql AS
$$ SELECT (now() AT TIME ZONE 'UTC')::date + n $$;
CREATE FUNCTION pg_temp.line(o bigint, l int DEFAULT 1) RETURNS text LANGUAGE sql AS
$$ SELECT format('reserved=%s backordered=%s shipped=%s', trim_scale(qty_reserved), trim_scale(qty_backordered), trim_scale(qty_shipped))
     FROM crmscm.sales_order_lines WHERE order_id = o AND line_no = l $$;
CREATE FUNCTION pg_temp.new_order(o bigint, c bigint, prio int DEFAULT 0) RETURNS void LANGUAGE sql AS
$$ INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to, priority)
   VALUES (o, c, 'confirmed', '(48.1351,11.582)', prio) $$;
CREATE FUNCTION pg_temp.order_line(o bigint, c bigint, i bigint, q numeric, prio int DEFAULT 0) RETURNS void LANGUAGE sql AS
$$ SELECT pg_temp.new_order(o, c, prio);
   INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (o, 1, i, q) $$;
CREATE FUNCTION pg_temp.receipt(i bigint, w bigint, q numeric) RETURNS void LANGUAGE sql AS
$$ INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (i, w, q, 'receipt') $$;
CREATE FUNCTION pg_temp.avail(i bigint, w bigint) RETURNS numeric LANGUAGE sql AS
$$ SELECT available FROM crmscm.inventory WHERE item_id = i AND warehouse_id = w $$;

INSERT INTO warehouses (warehouse_id, name, location) VALUES (1, 'Hamburg', '(53.5511,9.9937)'), (2, 'Milan', '(45.4642,9.19)');
INSERT INTO items (item_id, sku, name) SELECT g, 'S' || g, 'item ' || g FROM generate_series(10, 21) g;
INSERT INTO items (item_id, sku, name) VALUES (99, 'H', 'history');
INSERT INTO customers (customer_id, name, location)
	SELECT g, 'customer ' || g, '(48.1351,11.582)' FROM generate_series(1, 34) g;

-- ===== 1: tiers from 12-month CLV =====
-- the CDNOW sample (data/cdnow, as test/pgtap/lifetime_tracking.sql loads
-- it) as closed orders of customers 10000 + sampleid; customers 21..25 never
-- bought (no CLV: tier C)
CREATE TEMP TABLE elog (masterid int, sampleid int, date text, cds int, sales numeric);
\copy elog FROM 'data/cdnow/cdnowElog.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO customers (customer_id, name) SELECT DISTINCT 10000 + sampleid, 'cdnow ' || sampleid FROM elog;
CREATE TEMP TABLE hist AS SELECT row_number() OVER () AS n, sampleid, to_date(date, 'YYYYMMDD') AS day, sales
  FROM elog WHERE to_date(date, 'YYYYMMDD') <= '1997-09-30';
-- (the bookkeeping of the 6,919 orders once, not per statement)
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at)
  SELECT 100000 + n, 10000 + sampleid, 'closed', (day + time '12:00') AT TIME ZONE 'UTC' FROM hist;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
  SELECT 100000 + n, 1, 99, 1, sales, 'shipped', 1 FROM hist;
SET CONSTRAINTS ALL IMMEDIATE;
SELECT lives_ok($$SELECT crmscm.set_customer_tier(21, 'A')$$, 'customer 21 (no purchases) is set to tier A by hand');
SELECT lives_ok($$SELECT crmscm.refit_models('1997-09-30')$$, 'refit_models() fits the models and assigns the tiers');
-- expected, counted: a customer is A when at most 20 % of the customers with
-- a CLV have one at least as high, B at most 50 %, else C (ties together)
CREATE TEMP TABLE clv AS SELECT customer_id, clv_12m FROM customer_360;
CREATE TEMP TABLE expected_tiers AS
	SELECT x.customer_id,
	       CASE WHEN x.customer_id = 21 THEN 'A'
	            WHEN x.clv_12m IS NULL THEN 'C'
	            WHEN (SELECT count(*) FROM clv y WHERE y.clv_12m >= x.clv_12m) <= 0.2 * (SELECT count(clv_12m) FROM clv) THEN 'A'
	            WHEN (SELECT count(*) FROM clv y WHERE y.clv_12m >= x.clv_12m) <= 0.5 * (SELECT count(clv_12m) FROM clv) THEN 'B'
	            ELSE 'C' END AS tier
	  FROM clv x;
SELECT is((SELECT count(clv_12m) FROM clv), 2357::bigint, 'the 2,357 CDNOW customers have a CLV');
SELECT set_eq($$SELECT customer_id, tier FROM customer_tiers$$, $$SELECT customer_id, tier FROM expected_tiers$$,
	'tiers: the top 20 % of the customers by CLV A, the next 30 % B, the rest and those without a CLV C, the explicit tier kept');
SELECT is((SELECT string_agg(tier || ':' || n, ' ' ORDER BY tier) FROM (SELECT tier, count(*) n FROM customer_tiers GROUP BY 1) x),
	(SELECT string_agg(tier || ':' || n, ' ' ORDER BY tier) FROM (SELECT tier, count(*) n FROM expected_tiers GROUP BY 1) x),
	'the counts per tier');
SELECT ok((SELECT count(*) FILTER (WHERE tier = 'A') BETWEEN 0.15 * 2357 AND 0.2 * 2357 + 1 FROM customer_tiers WHERE customer_id > 10000),
	'about a fifth of them are A (fewer when CLVs tie across the threshold)');
SELECT is((SELECT tier FROM customer_tiers t JOIN clv USING (customer_id) ORDER BY clv.clv_12m DESC NULLS LAST LIMIT 1), 'A',
	'the customer of the highest CLV is A');
SELECT is((SELECT a_min_clv = (SELECT min(c.clv_12m) FROM clv c JOIN expected_tiers e USING (customer_id) WHERE e.tier = 'A' AND c.customer_id <> 21)
             AND customers = 2357 FROM tier_thresholds), true, 'tier_thresholds: the lowest CLV of tier A, 2,357 customers ranked');
SELECT lives_ok($$SELECT crmscm.set_customer_tier(21, NULL)$$, 'customer 21 back to CLV-derived');
SELECT is((SELECT tier || explicit::text FROM customer_tiers WHERE customer_id = 21), 'Afalse', '... (its tier changes at the next assignment)');
UPDATE tier_thresholds SET a_share = 0.5, b_share = 0.5;
SELECT lives_ok($$SELECT crmscm.refit_tiers()$$, 'refit_tiers() with shares 50 % / 50 %');
SELECT is((SELECT count(*) FROM customer_tiers WHERE tier = 'C'), (SELECT count(*) FROM clv WHERE clv_12m IS NULL),
	'... only those without a CLV are C (customer 21 too now)');
SELECT is((SELECT count(*) FROM customer_tiers WHERE tier = 'A'),
	(SELECT count(*) FROM clv x WHERE x.clv_12m IS NOT NULL AND (SELECT count(*) FROM clv y WHERE y.clv_12m >= x.clv_12m) <= 0.5 * 2357),
	'... the top half A');
SELECT throws_ok($$UPDATE tier_thresholds SET a_share = 0.7$$, '23514', NULL, 'a_share + b_share > 1: refused');
-- the customers of the scenarios below: 31 A, 32 B, 33 C by hand, 34 without a row (C)
SELECT crmscm.set_customer_tier(31, 'A'), crmscm.set_customer_tier(32, 'B'), crmscm.set_customer_tier(33, 'C');

-- ===== 2: the queue order (item 10, no stock) =====
SELECT pg_temp.order_line(101, 33, 10, 1);
SELECT pg_temp.order_line(102, 32, 10, 1);
SELECT pg_temp.order_line(103, 31, 10, 1);
SELECT pg_temp.order_line(104, 33, 10, 1, 1);
SELECT pg_temp.order_line(105, 34, 10, 1);
SELECT results_eq($$SELECT order_id, tier, priority, queue_position FROM backorder_queue WHERE item_id = 10 ORDER BY queue_position$$,
	$$VALUES (104::bigint, 'C', 1, 1::bigint), (103, 'A', 0, 2), (102, 'B', 0, 3), (101, 'C', 0, 4), (105, 'C', 0, 5)$$,
	'queue: priority first, then tier A, B, C, then age (one transaction: id)');
SELECT pg_temp.receipt(10, 2, 3);
SELECT is((SELECT string_agg(order_id::text, ',' ORDER BY order_id) FROM sales_order_lines WHERE item_id = 10 AND qty_reserved = 1),
	'102,103,104', '3 received: priority 1, then tier A, then tier B are filled');

-- ===== 3: fences (item 11, Milan 10, 50 % protected for tier A) =====
SELECT pg_temp.receipt(11, 2, 10);
INSERT INTO allocation_rules (item_id, tier, share) VALUES (11, 'A', 0.5);
-- tier C asks 8: only 10 - 0.5 x 10 = 5 may go to it
SELECT pg_temp.order_line(111, 33, 11, 8);
SELECT is(pg_temp.line(111), 'reserved=5 backordered=3 shipped=0', 'tier C reserves down to the fence (5 of 10), 3 wait');
-- tier A asks 4: no fence for it
SELECT pg_temp.order_line(112, 31, 11, 4);
SELECT is(pg_temp.line(112), 'reserved=4 backordered=0 shipped=0', 'tier A reserves from the protected stock');
-- tier B asks 2: the A fence (5) is above the available 1
SELECT pg_temp.order_line(113, 32, 11, 2);
SELECT is(pg_temp.line(113), 'reserved=0 backordered=2 shipped=0', 'tier B may not take stock protected for tier A');
SELECT is(crmscm.check_inventory()::text, NULL, 'check_inventory(): backorders wait while the stock above their fence is gone');
-- 10 more: on hand 20, fence 10, available 11: tier B (first in the queue) may take 1, tier C nothing
SELECT pg_temp.receipt(11, 2, 10);
SELECT is(pg_temp.line(113), 'reserved=1 backordered=1 shipped=0', 'a receipt: the queue is filled down to the fence, tier B first (1)');
SELECT is(pg_temp.line(111), 'reserved=5 backordered=3 shipped=0', '... tier C gets nothing more');
SELECT is(pg_temp.avail(11, 2), 10::numeric, '... 10 available, all protected');
SELECT pg_temp.order_line(114, 31, 11, 6);
SELECT is(pg_temp.line(114), 'reserved=6 backordered=0 shipped=0', 'a tier-A order takes 6 of the protected 10');
-- the share goes down to 0.1: fence 2, available 4: tier B takes its 1, tier C 1
UPDATE allocation_rules SET share = 0.1 WHERE item_id = 11;
SELECT is(pg_temp.line(113), 'reserved=2 backordered=0 shipped=0', 'a lower share at once lets the queue take: tier B its last unit ...');
SELECT is(pg_temp.line(111), 'reserved=6 backordered=2 shipped=0', '... and tier C one (down to the fence 2)');
-- shipping 6 lowers on hand to 14: fence 1.4, available 2: tier C takes 0.6
SELECT is(crmscm.ship(114, 1), 6::numeric, 'ship the tier-A order');
SELECT is(pg_temp.line(111), 'reserved=6.6 backordered=1.4 shipped=0', 'a lower on hand lowers the fence: tier C takes 0.6');
SELECT is(pg_temp.avail(11, 2), 1.4::numeric, '... 1.4 available = the fence 0.1 x 14');
SELECT is(crmscm.check_inventory()::text, NULL, 'check_inventory() finds nothing wrong');
-- crmscm.promise() knows the fences
SELECT is((SELECT string_agg(format('%s:%s/%s', warehouse_id, qty, source), ' ') FROM crmscm.promise(11, 5, '(48.1351,11.582)', CURRENT_DATE, 33)),
	'2:5/lead_time', 'promise(): tier C gets nothing of the protected stock');
SELECT is((SELECT string_agg(format('%s:%s/%s', warehouse_id, qty, source), ' ') FROM crmscm.promise(11, 5, '(48.1351,11.582)', CURRENT_DATE, 31)),
	'2:1.4/stock 2:3.6/lead_time', 'promise(): tier A gets it');
-- rules that make no sense
SELECT throws_ok($$INSERT INTO allocation_rules (item_id, tier, share) VALUES (11, 'B', 0.95)$$, '23514', NULL,
	'shares adding up to more than 1: refused');
SELECT throws_ok($$INSERT INTO allocation_rules (item_id, tier, share) VALUES (12, 'C', 0.5)$$, '23514', NULL, 'a rule for tier C (protects from nobody): refused');
SELECT throws_ok($$INSERT INTO allocation_rules (item_id, tier, share) VALUES (12, 'A', 'NaN')$$, '23514', NULL, 'share NaN: refused');
SELECT throws_ok($$INSERT INTO allocation_rules (item_id, tier, share) VALUES (12, 'A', 1.5)$$, '23514', NULL, 'share 1.5: refused');
SELECT throws_ok($$UPDATE allocation_rules SET tenant_id = 2$$, '23000', NULL, 'a rule cannot move to another tenant');

-- ===== 4: the protection level, property tests (100 random instances) =====
-- supply S split over Milan and Hamburg, share s for tier A; tier C asks for
-- everything first, then tier A for D_A: A must get min(s x S, D_A) and C
-- (1 - s) x S.  Then, in random order: A at least min(s x S, D_A) - 1
-- and C at most (1 - s) x S.
SELECT setseed(0.17);
-- each line reserved by crmscm.reserve_pending() right after its insert; the
-- customer-lifetime bookkeeping of all of them once, at the end
SET CONSTRAINTS ALL DEFERRED;
CREATE TEMP TABLE prop (k int, s numeric, supply numeric, d_a numeric, ordered text, a_res numeric, c_res numeric);
DO $$
DECLARE
	k int;
	it bigint;
	s numeric;
	m numeric;
	h numeric;
	da numeric;
	q numeric;
	n int;
	o bigint := 5000;
	left_c numeric;
	left_a numeric;
	first_c boolean;
BEGIN
	FOR k IN 1..100 LOOP
		it := 1000 + k;
		INSERT INTO crmscm.items (item_id, sku, name) VALUES (it, 'P' || it, 'property');
		m := 1 + floor(random() * 30);
		h := floor(random() * 20);
		s := (1 + floor(random() * 9)) / 10.0;
		da := floor(random() * (m + h + 5));
		PERFORM pg_temp.receipt(it, 2, m);
		IF h > 0 THEN PERFORM pg_temp.receipt(it, 1, h); END IF;
		INSERT INTO crmscm.allocation_rules (item_id, tier, share) VALUES (it, 'A', s);
		PERFORM crmscm.reserve_pending();
		first_c := k <= 50;
		left_c := m + h;
		left_a := da;
		n := 0;
		WHILE left_c > 0 OR left_a > 0 LOOP
			o := o + 1;
			n := n + 1;
			-- the first 100 instances: all of C first; the others: random order
			IF left_c > 0 AND (first_c OR left_a = 0 OR random() < 0.5) THEN
				q := least(left_c, 1 + floor(random() * 12));
				PERFORM pg_temp.order_line(o, 33, it, q);
				left_c := left_c - q;
			ELSE
				q := least(left_a, 1 + floor(random() * 8));
				PERFORM pg_temp.order_line(o, 31, it, q);
				left_a := left_a - q;
			END IF;
			PERFORM crmscm.reserve_pending();
		END LOOP;
		INSERT INTO prop
		SELECT k, s, m + h, da, CASE WHEN first_c THEN 'C first' ELSE 'random' END,
		       coalesce(sum(l.qty_reserved) FILTER (WHERE o2.customer_id = 31), 0),
		       coalesce(sum(l.qty_reserved) FILTER (WHERE o2.customer_id = 33), 0)
		  FROM crmscm.sales_order_lines l JOIN crmscm.sales_orders o2 USING (tenant_id, order_id)
		 WHERE l.item_id = it;
	END LOOP;
END $$;
SET CONSTRAINTS ALL IMMEDIATE;
SELECT is((SELECT count(*) FROM prop WHERE ordered = 'C first' AND abs(a_res - least(s * supply, d_a)) > 1), 0::bigint,
	'C first: tier A gets min(s x supply, its demand) within one unit (50 instances)');
SELECT is((SELECT count(*) FROM prop WHERE ordered = 'C first' AND a_res = least(s * supply, d_a) AND c_res = (1 - s) * supply), 50::bigint,
	'... exactly, and tier C (1 - s) x supply');
SELECT is((SELECT count(*) FROM prop WHERE ordered = 'random' AND (a_res < least(s * supply, d_a) - 1 OR c_res > (1 - s) * supply)), 0::bigint,
	'any order: tier A at least min(s x supply, demand) - 1, tier C at most (1 - s) x supply (50 instances)');
SELECT ok((SELECT count(*) FROM prop WHERE ordered = 'C first' AND d_a > s * supply AND a_res = s * supply AND a_res < d_a) > 10,
	'not vacuous: in over 10 instances tier A wanted more than its share, came last and was cut to its share');
SELECT is(crmscm.check_inventory()::text, NULL, 'check_inventory() finds nothing wrong after the 100 instances');

-- ===== 5: rebalance() (item 20: Milan 10, lead time 7) =====
SELECT pg_temp.receipt(20, 2, 10);
SELECT pg_temp.order_line(201, 33, 20, 10);
SELECT pg_temp.order_line(202, 31, 20, 4);
SELECT is(pg_temp.line(201), 'reserved=10 backordered=0 shipped=0', 'tier C came first and holds all 10');
SELECT is(pg_temp.line(202), 'reserved=0 backordered=4 shipped=0', 'tier A waits for 4');
CREATE TEMP TABLE digest AS SELECT (SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM reservations x) AS r,
	(SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM backorders x) AS b,
	(SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM sales_order_lines x) AS l;
-- tier A is ahead of tier C: it takes 4 of the 10, tier C keeps 6 and waits for 4
SELECT results_eq($$SELECT item_id, warehouse_id, order_id, line_no, customer_id, tier, reserved_before, reserved_after,
                           backordered_before, backordered_after FROM crmscm.rebalance(20) ORDER BY order_id$$,
	$$VALUES (20::bigint, 2::bigint, 201::bigint, 1, 33::bigint, 'C', 10::numeric, 6::numeric, 0::numeric, 4::numeric),
	         (20, 2, 202, 1, 31, 'A', 0, 4, 4, 0)$$,
	'rebalance(20) (dry run): tier A takes 4 from tier C');
SELECT is((SELECT (SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM reservations x) = r
             AND (SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM backorders x) = b
             AND (SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM sales_order_lines x) = l FROM digest), true,
	'a dry run writes nothing');
SELECT results_eq($$SELECT order_id, reserved_after, backordered_after, reason FROM crmscm.rebalance(20, false) ORDER BY order_id$$,
	$$VALUES (201::bigint, 6::numeric, 4::numeric, 'behind lines of higher priority or better tier: gives units to them'),
	         (202, 4, 0, 'ahead in the queue order (priority, tier, age): takes units of lines behind it or available stock')$$,
	'rebalance(20, false) moves them, with the reason');
SELECT is(pg_temp.line(201), 'reserved=6 backordered=4 shipped=0', 'tier C: 6 reserved, 4 waiting');
SELECT is(pg_temp.line(202), 'reserved=4 backordered=0 shipped=0', 'tier A: 4 reserved');
SELECT is((SELECT string_agg(format('%s:%s:%s', order_id, qty, tier), ' ') FROM backorders WHERE item_id = 20), '201:4:C',
	'tier C waits for its 4 at Milan');
SELECT is((SELECT reserved FROM inventory WHERE item_id = 20 AND warehouse_id = 2), 10::numeric, 'Milan still has 10 reserved');
SELECT is((SELECT promised_date - pg_temp.t() || '/' || promise_source FROM sales_order_lines WHERE order_id = 201), '7/lead_time',
	'tier C''s promise moves to the lead-time day');
SELECT is(crmscm.check_inventory()::text, NULL, 'check_inventory() finds nothing wrong');
SELECT is((SELECT count(*) FROM crmscm.rebalance(20, false)), 0::bigint, 'a second rebalance moves nothing');
SELECT ok((SELECT count(*) FROM crmscm.rebalance(NULL, false)) > 0, 'one of every item moves what came in the wrong order above (sections 2 to 4)');
SELECT is((SELECT count(*) FROM crmscm.rebalance(NULL, false)), 0::bigint, '... and a second one nothing');
SELECT is(crmscm.check_inventory()::text, NULL, 'check_inventory() finds nothing wrong');
-- shipped quantities stay: 2 of tier C's 6 ship, then customer 34 (C) orders 3 and becomes tier A
SELECT is(crmscm.ship(201, 1, 2), 2::numeric, 'ship 2 of tier C''s line');
SELECT pg_temp.order_line(203, 34, 20, 3);
SELECT crmscm.set_customer_tier(34, 'A');
-- pool at Milan: 0 available + 4 (202) + 4 (201) = 8: 202 (A) 4, 203 (A) 3, 201 (C) 1
SELECT results_eq($$SELECT order_id, reserved_before, reserved_after, backordered_before, backordered_after FROM crmscm.rebalance(20, false) ORDER BY order_id$$,
	$$VALUES (201::bigint, 4::numeric, 1::numeric, 4::numeric, 7::numeric), (203, 0, 3, 3, 0)$$,
	'a customer who became tier A takes units from tier C');
SELECT is(pg_temp.line(201), 'reserved=1 backordered=7 shipped=2', 'the 2 shipped stay shipped');
SELECT is((SELECT -sum(qty) FROM stock_moves WHERE order_id = 201 AND kind = 'shipment'), 2::numeric, '... and their moves stay');
SELECT is((SELECT count(*) FROM crmscm.rebalance(20, false)), 0::bigint, 'a second rebalance moves nothing');
-- with a rule (item 21: Milan 10, 30 % for tier A): tier B first, tier C down to the fence
SELECT pg_temp.receipt(21, 2, 10);
INSERT INTO allocation_rules (item_id, tier, share) VALUES (21, 'A', 0.3);
SELECT pg_temp.order_line(211, 33, 21, 10);
SELECT pg_temp.order_line(212, 32, 21, 2);
SELECT is(pg_temp.line(211) || ' / ' || pg_temp.line(212), 'reserved=7 backordered=3 shipped=0 / reserved=0 backordered=2 shipped=0',
	'tier C took 7 (fence 3), tier B none (the fence is for tier A)');
-- pool 3 + 7 = 10: tier B 2 (room 10 - 3), tier C 5 (room 8 - 3)
SELECT results_eq($$SELECT order_id, reserved_after, backordered_after, reason FROM crmscm.rebalance(21, false) ORDER BY order_id$$,
	$$VALUES (211::bigint, 5::numeric, 5::numeric, 'the allocation rules protect these units for better tiers'),
	         (212, 2, 0, 'ahead in the queue order (priority, tier, age): takes units of lines behind it or available stock')$$,
	'rebalance under a rule: tier B ahead, tier C down to the fence');
SELECT is(pg_temp.avail(21, 2), 3::numeric, '3 available: the fence');
SELECT is(crmscm.check_inventory()::text, NULL, 'check_inventory() finds nothing wrong');
-- not after changes of its own transaction the pass has not done yet
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty) VALUES (203, 2, 21, 1);
SELECT throws_ok($$SELECT * FROM crmscm.rebalance(21, false)$$, '55000', NULL, 'rebalance() after pending changes: 55000');
SELECT lives_ok($$SELECT * FROM crmscm.rebalance(21)$$, '... a dry run may');
SET CONSTRAINTS ALL IMMEDIATE;
SELECT throws_ok($$SELECT * FROM crmscm.rebalance(999)$$, '23503', NULL, 'an unknown item: 23503');

-- ===== 6: as login roles =====
DO $$
DECLARE r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['crmscm_tenant_1', 'crmscm_tenant_2'] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END $$;
CREATE ROLE alc_w1 LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;
CREATE ROLE alc_a1 LOGIN IN ROLE crmscm_admin, crmscm_tenant_1;
CREATE ROLE alc_a2 LOGIN IN ROLE crmscm_admin, crmscm_tenant_2;
DO $$ BEGIN
	EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
	EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO PUBLIC;
SET SESSION AUTHORIZATION alc_w1;
SET LOCAL crmscm.tenant_id = 1;
SELECT throws_ok($$SELECT * FROM crmscm.rebalance(20, false)$$, '42501', NULL, 'a writer may not rebalance');
SELECT throws_ok($$INSERT INTO crmscm.allocation_rules (item_id, tier, share) VALUES (12, 'A', 0.1)$$, '42501', NULL, '... nor write allocation rules');
SELECT throws_ok($$UPDATE crmscm.customer_tiers SET tier = 'A'$$, '42501', NULL, '... nor tiers');
SELECT throws_ok($$SELECT crmscm.refit_tiers()$$, '42501', NULL, '... nor assign them');
SELECT pg_temp.order_line(301, 33, 20, 1);
SELECT is(pg_temp.line(301), 'reserved=0 backordered=1 shipped=0', 'a writer''s order of tier C waits behind the others');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION alc_a1;
SET LOCAL crmscm.tenant_id = 1;
SELECT is((SELECT count(*) FROM crmscm.rebalance(20, false)), 0::bigint, 'an admin of tenant 1 rebalances (nothing to move)');
INSERT INTO crmscm.allocation_rules (item_id, tier, share) VALUES (12, 'A', 0.1);
SELECT is((SELECT share FROM crmscm.allocation_rules WHERE item_id = 12), 0.1::numeric, '... and writes allocation rules');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION alc_a2;
SET LOCAL crmscm.tenant_id = 2;
SELECT is((SELECT count(*) FROM crmscm.allocation_rules), 0::bigint, 'an admin of tenant 2 sees no rule of tenant 1');
SELECT is((SELECT count(*) FROM crmscm.customer_tiers), 0::bigint, '... no tier');
SELECT throws_ok($$SELECT * FROM crmscm.rebalance(20, false)$$, '23503', NULL, '... and cannot rebalance its items');
SELECT throws_ok($$SELECT crmscm.set_customer_tier(31, 'C')$$, '23503', NULL, '... nor set its customers'' tiers');
RESET SESSION AUTHORIZATION;
SET LOCAL crmscm.tenant_id = 1;
SELECT is((SELECT tier FROM customer_tiers WHERE customer_id = 31), 'A', 'tenant 1''s tiers are untouched');

SELECT * FROM finish();
ROLLBACK;
