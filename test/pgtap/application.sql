-- crmscm from an application (#15): line defaults, the fill policy,
-- order_availability(), place_order(), order_totals, errors an application
-- can route, the master-data role.  Quantities are worked out by hand in the
-- comments; order_availability() is also checked against what confirming
-- then does (the engine at commit is the second implementation).
--
-- Roles (LOGIN, not superusers), acting through SET SESSION AUTHORIZATION so
-- that session_user is the role, as after a login:
--   app_w1   crmscm_writer pinned to tenant 1
--   app_m1   crmscm_master_data pinned to tenant 1
--   app_w2   crmscm_writer pinned to tenant 2
\i test/setup.sql
SELECT plan(68);
SET CONSTRAINTS ALL IMMEDIATE;

DO $$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_1') THEN CREATE ROLE crmscm_tenant_1; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crmscm_tenant_2') THEN CREATE ROLE crmscm_tenant_2; END IF;
END $$;
CREATE ROLE app_w1 LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;
CREATE ROLE app_m1 LOGIN IN ROLE crmscm_master_data, crmscm_tenant_1;
CREATE ROLE app_w2 LOGIN IN ROLE crmscm_writer, crmscm_tenant_2;
GRANT USAGE ON SCHEMA public TO app_w1, app_m1, app_w2;

-- master data of tenant 1 as the owner (ids from the identity columns)
SET LOCAL crmscm.tenant_id = 1;
CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);
GRANT SELECT, INSERT ON ids TO PUBLIC;
WITH w AS (INSERT INTO warehouses (name, location) VALUES ('Hamburg', '(53.5511,9.9937)'), ('Milan', '(45.4642,9.19)')
           RETURNING name, warehouse_id)
INSERT INTO ids SELECT name, warehouse_id FROM w;
WITH i AS (INSERT INTO items (sku, name, unit_price) VALUES ('ESP', 'Espresso machine', 250), ('CUP', 'Cup', 2.5)
           RETURNING sku, item_id)
INSERT INTO ids SELECT sku, item_id FROM i;
WITH c AS (INSERT INTO customers (name, location, priority) VALUES ('Munich', '(48.1351,11.582)', 3) RETURNING name, customer_id)
INSERT INTO ids SELECT name, customer_id FROM c;
CREATE FUNCTION pg_temp.id(text) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT id FROM ids WHERE name = $1 $$;
-- stock: ESP 5 in Hamburg, 3 in Milan; CUP 4 in Hamburg
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind)
VALUES (pg_temp.id('ESP'), pg_temp.id('Hamburg'), 5, 'receipt'), (pg_temp.id('ESP'), pg_temp.id('Milan'), 3, 'receipt'),
       (pg_temp.id('CUP'), pg_temp.id('Hamburg'), 4, 'receipt');

-- ---------------------------------------------------------------------
-- line defaults
-- ---------------------------------------------------------------------
SET SESSION AUTHORIZATION app_w1;
SET LOCAL crmscm.tenant_id = 1;
WITH x AS (INSERT INTO crmscm.sales_orders (customer_id) VALUES (pg_temp.id('Munich')) RETURNING order_id)
INSERT INTO ids SELECT 'o1', order_id FROM x;
INSERT INTO crmscm.sales_order_lines (order_id, item_id, qty)
VALUES (pg_temp.id('o1'), pg_temp.id('ESP'), 1), (pg_temp.id('o1'), pg_temp.id('CUP'), 2);
SELECT is((SELECT array_agg(line_no || ':' || unit_price ORDER BY line_no)::text FROM crmscm.sales_order_lines
            WHERE order_id = pg_temp.id('o1')), '{1:250,2:2.5}',
          'omitted line_no: 1, 2 in a multi-row insert; omitted unit_price: the item''s');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (pg_temp.id('o1'), 10, pg_temp.id('CUP'), 1);
INSERT INTO crmscm.sales_order_lines (order_id, item_id, qty, unit_price) VALUES (pg_temp.id('o1'), pg_temp.id('CUP'), 1, NULL);
SELECT is((SELECT max(line_no) || ':' || (array_agg(unit_price ORDER BY line_no DESC))[1] FROM crmscm.sales_order_lines
            WHERE order_id = pg_temp.id('o1')), '11:2.5',
          'after an explicit line 10 the next is 11; an explicit NULL price is the item''s');
INSERT INTO crmscm.sales_order_lines (order_id, item_id, qty, unit_price) VALUES (pg_temp.id('o1'), pg_temp.id('CUP'), 1, 0);
SELECT is((SELECT unit_price FROM crmscm.sales_order_lines WHERE order_id = pg_temp.id('o1') AND line_no = 12), 0::numeric,
          'an explicit price (0) is kept');
SELECT throws_ok(format('INSERT INTO crmscm.sales_order_lines (order_id, item_id, qty) VALUES (%s, 999999, 1)', pg_temp.id('o1')),
                 '23503', 'item 999999 does not exist', 'a line of an unknown item without price: 23503');
SELECT throws_ok('INSERT INTO crmscm.sales_order_lines (order_id, item_id, qty) VALUES (999999, 1, 1)',
                 '23503', NULL, 'a line of an unknown order: 23503');
-- the lock the numbering takes: crmscm's advisory key space (objsubid 15)
SELECT ok(EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 15 AND pid = pg_backend_pid()
                  AND mode = 'ExclusiveLock' AND granted),
          'numbering took the per-order lock (advisory, objsubid 15), held to the end of the transaction');

-- ---------------------------------------------------------------------
-- order_availability(): by hand, then against the engine
-- ---------------------------------------------------------------------
-- o1 (draft, ship_to NULL: warehouses by id) lines: ESP 1, CUP 2, CUP 1 (10),
-- CUP 1 (11), CUP 1 (12).  ESP: Hamburg has 5 -> reserve 1 there.  CUP:
-- Hamburg 4 -> lines 2, 10, 11 take 2+1+1, line 12 waits at Hamburg (nearest
-- = first by id without ship_to).
SELECT results_eq(format($q$SELECT line_no, warehouse_id, reserve, backorder, line_complete
                            FROM crmscm.order_availability(%s) ORDER BY line_no, warehouse_id$q$, pg_temp.id('o1')),
       format($q$VALUES (1, %1$s::bigint, 1::numeric, 0::numeric, true), (2, %1$s, 2, 0, true), (10, %1$s, 1, 0, true),
                        (11, %1$s, 1, 0, true), (12, %1$s, 0, 1, false)$q$, pg_temp.id('Hamburg')),
       'dry run of a draft order: what confirming would reserve and backorder, per line and warehouse');
SELECT is((SELECT reserved FROM crmscm.inventory WHERE item_id = pg_temp.id('CUP') AND warehouse_id = pg_temp.id('Hamburg')),
          0::numeric, 'the dry run reserved nothing');
SELECT ok(NOT EXISTS (SELECT FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.locktype = 'tuple'),
          'and holds no row lock');
CREATE TEMP TABLE dry AS SELECT * FROM crmscm.order_availability(pg_temp.id('o1'));
UPDATE crmscm.sales_orders SET status = 'confirmed' WHERE order_id = pg_temp.id('o1');
SELECT results_eq(
	format($q$SELECT line_no, warehouse_id, sum(r), sum(b) FROM (
	          SELECT line_no, warehouse_id, qty AS r, 0 AS b FROM crmscm.reservations WHERE order_id = %1$s
	          UNION ALL SELECT line_no, warehouse_id, 0, qty FROM crmscm.backorders WHERE order_id = %1$s) x
	          GROUP BY 1, 2 ORDER BY 1, 2$q$, pg_temp.id('o1')),
	'SELECT line_no, warehouse_id, reserve, backorder FROM dry WHERE reserve + backorder > 0 ORDER BY 1, 2',
	'confirming then reserves and backorders exactly what the dry run said');
SELECT results_eq(format('SELECT line_no, warehouse_id, reserve, backorder FROM crmscm.order_availability(%s) ORDER BY 1, 2', pg_temp.id('o1')),
                  'SELECT line_no, warehouse_id, reserve, backorder FROM dry ORDER BY 1, 2',
                  'a confirmed order: the dry run shows what it holds');
SELECT throws_ok('SELECT * FROM crmscm.order_availability(999999)', '23503', 'order 999999 does not exist',
                 'order_availability of an unknown order: 23503');
SELECT throws_ok('SELECT * FROM crmscm.order_availability(NULL)', '22004', NULL, 'order_availability(NULL): 22004');

-- ---------------------------------------------------------------------
-- place_order()
-- ---------------------------------------------------------------------
-- ESP: Hamburg 4 left, Milan 3; ship to Munich (customer location): Milan is
-- nearer (about 350 km vs 610 km), so 5 ESP take Milan 3 + Hamburg 2.
CREATE TEMP TABLE placed AS
	SELECT * FROM crmscm.place_order(pg_temp.id('Munich'),
		format('[{"item_id": %s, "qty": 5}, {"item_id": %s, "qty": 1, "unit_price": 3, "warehouse_id": %s}]',
		       pg_temp.id('ESP'), pg_temp.id('CUP'), pg_temp.id('Milan'))::jsonb);
SELECT is((SELECT array_agg(line_no || ':' || qty_reserved || '+' || qty_backordered || '@' || unit_price ORDER BY line_no)::text FROM placed),
          '{1:5+0@250,2:0+1@3}', 'place_order returns each line''s reserved and backordered quantities (CUP prefers Milan: none there)');
SELECT is((SELECT array_agg(warehouse_id || '=' || qty ORDER BY warehouse_id) FROM crmscm.reservations
            WHERE order_id = (SELECT order_id FROM placed LIMIT 1) AND line_no = 1),
          ARRAY[pg_temp.id('Hamburg') || '=2', pg_temp.id('Milan') || '=3'], 'nearest warehouse first: Milan 3, Hamburg 2');
SELECT is((SELECT ship_to::text || ' ' || priority || ' ' || status || ' ' || fill_policy FROM crmscm.sales_orders
            WHERE order_id = (SELECT order_id FROM placed LIMIT 1)),
          '(48.1351,11.582) 3 confirmed backorder', 'ship_to and priority default to the customer''s; confirmed, backorder');
SELECT ok(EXISTS (SELECT FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'inventory'
                   AND l.pid = pg_backend_pid() AND l.mode = 'RowShareLock'),
          'place_order ran the pass: it holds the inventory rows it locked');
SELECT is((SELECT count(*) FROM crmscm.place_order(pg_temp.id('Munich'), format('[{"item_id": %s, "qty": 2}]', pg_temp.id('CUP'))::jsonb, 'draft')
            WHERE qty_reserved = 0 AND qty_backordered = 0), 1::bigint, 'a draft order reserves nothing');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[]')$q$, pg_temp.id('Munich')), '22023', 'an order needs at least one line',
                 'place_order with no lines: 22023');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '{"item_id": 1}')$q$, pg_temp.id('Munich')), '22023', NULL,
                 'lines not an array: 22023');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"qty": 1}]')$q$, pg_temp.id('Munich')), '22023', NULL,
                 'a line without item_id: 22023');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": %s, "qty": "NaN"}]')$q$, pg_temp.id('Munich'), pg_temp.id('CUP')),
                 '22003', NULL, 'qty NaN: 22003');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": %s, "qty": 1, "unit_price": "Infinity"}]')$q$, pg_temp.id('Munich'), pg_temp.id('CUP')),
                 '22003', NULL, 'price Infinity: 22003');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": %s, "qty": "x"}]')$q$, pg_temp.id('Munich'), pg_temp.id('CUP')),
                 '22P02', NULL, 'qty not a number: 22P02');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": %s, "qty": 0}]')$q$, pg_temp.id('Munich'), pg_temp.id('CUP')),
                 '23514', NULL, 'qty 0: 23514 (the line''s CHECK)');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": 999999, "qty": 1, "unit_price": 1}]')$q$, pg_temp.id('Munich')),
                 '23503', NULL, 'unknown item: 23503');
SELECT throws_ok($q$SELECT * FROM crmscm.place_order(999999, '[{"item_id": 1, "qty": 1}]')$q$, '23503', 'customer 999999 does not exist',
                 'unknown customer: 23503');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": 1, "qty": 1}]', 'closed')$q$, pg_temp.id('Munich')),
                 '22023', NULL, 'status closed: 22023');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": 1, "qty": 1}]', p_fill_policy => 'some')$q$, pg_temp.id('Munich')),
                 '22023', NULL, 'unknown fill policy: 22023');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, NULL)$q$, pg_temp.id('Munich')), '22004', NULL, 'lines NULL: 22004');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, (SELECT jsonb_agg(jsonb_build_object('item_id', %s, 'qty', 1)) FROM generate_series(1, 10001)))$q$,
                        pg_temp.id('Munich'), pg_temp.id('CUP')),
                 '54000', NULL, '10001 lines in one call: 54000');
-- 10^15 units and more are refused (a line bound, doc/robustness.md: beyond
-- it the float8 demand statistics of every later commit would overflow);
-- just below it: one huge backorder, the books still balance
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": %s, "qty": 1e308}]')$q$, pg_temp.id('Munich'), pg_temp.id('CUP')),
                 '23514', NULL, 'qty 1e308: 23514 (sales_order_lines_qty_limit)');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": %s, "qty": 1, "unit_price": 1e15}]')$q$, pg_temp.id('Munich'), pg_temp.id('CUP')),
                 '23514', NULL, 'unit_price 1e15: 23514 (sales_order_lines_unit_price_limit)');
SELECT is((SELECT qty_backordered FROM crmscm.place_order(pg_temp.id('Munich'), format('[{"item_id": %s, "qty": 999999999999999.999}]', pg_temp.id('CUP'))::jsonb)),
          999999999999999.999::numeric, 'qty 10^15 - 0.001 (nothing left in stock): all of it backordered');
SELECT is_empty('SELECT * FROM crmscm.check_inventory()', 'check_inventory() clean after the placed orders');

-- ---------------------------------------------------------------------
-- order_totals
-- ---------------------------------------------------------------------
-- the first placed order: 5 ESP at 250 reserved + 1 CUP at 3 backordered
SELECT is((SELECT format('%s %s %s %s %s', lines, amount, open_amount, reserved_value, backordered_value)
             FROM crmscm.order_totals WHERE order_id = (SELECT order_id FROM placed LIMIT 1)),
          '2 1253 1253 1250 3', 'order_totals: amount 5*250 + 1*3, reserved 1250, backordered 3');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- fill policy all_or_nothing
-- ---------------------------------------------------------------------
SET SESSION AUTHORIZATION app_w1;
SET LOCAL crmscm.tenant_id = 1;
-- what is left: ESP Hamburg 5-1-2 = 2, Milan 0; CUP nothing
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": %s, "qty": 2}, {"item_id": %s, "qty": 1}]', p_fill_policy => 'all_or_nothing')$q$,
                        pg_temp.id('Munich'), pg_temp.id('ESP'), pg_temp.id('CUP')),
                 '23514', NULL, 'all_or_nothing with a short line: 23514');
SELECT is((SELECT reserved FROM crmscm.inventory WHERE item_id = pg_temp.id('ESP') AND warehouse_id = pg_temp.id('Hamburg')),
          3::numeric, 'and nothing of it is held (ESP Hamburg reserved still 1 + 2)');
CREATE FUNCTION pg_temp.diag(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; c text; t text; d text;
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, c = CONSTRAINT_NAME, t = TABLE_NAME, d = PG_EXCEPTION_DETAIL;
	RETURN s || ' ' || c || ' ' || t || ' ' || d;
END $$;
SELECT matches(pg_temp.diag(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": %s, "qty": 2}, {"item_id": %s, "qty": 1}]', p_fill_policy => 'all_or_nothing')$q$,
                                   pg_temp.id('Munich'), pg_temp.id('ESP'), pg_temp.id('CUP'))),
               format('^23514 all_or_nothing sales_orders \[\{"order_id": \d+, "line_no": 2, "item_id": %s, "qty": 1, "short": 1\}\]$', pg_temp.id('CUP')),
               'the error carries CONSTRAINT all_or_nothing and the short lines as JSON in DETAIL');
CREATE TEMP TABLE aon AS SELECT * FROM crmscm.place_order(pg_temp.id('Munich'), format('[{"item_id": %s, "qty": 2}]', pg_temp.id('ESP'))::jsonb,
                                                         p_fill_policy => 'all_or_nothing');
SELECT is((SELECT qty_reserved FROM aon), 2::numeric, 'all_or_nothing that can be filled: reserved in full');
-- a draft all_or_nothing order confirmed by UPDATE fails at the pass
WITH x AS (INSERT INTO crmscm.sales_orders (customer_id, fill_policy) VALUES (pg_temp.id('Munich'), 'all_or_nothing') RETURNING order_id)
INSERT INTO ids SELECT 'o2', order_id FROM x;
INSERT INTO crmscm.sales_order_lines (order_id, item_id, qty) VALUES (pg_temp.id('o2'), pg_temp.id('ESP'), 1);
SELECT is((SELECT bool_and(line_complete)::text || ' ' || sum(backorder) FROM crmscm.order_availability(pg_temp.id('o2'))),
          'false 1', 'the dry run says it cannot be filled (ESP: nothing left)');
SAVEPOINT confirm;
SELECT throws_ok(format('UPDATE crmscm.sales_orders SET status = %L WHERE order_id = %s', 'confirmed', pg_temp.id('o2')),
                 '23514', NULL, 'confirming an all_or_nothing order that cannot be filled: 23514 (immediate constraints: at the statement)');
ROLLBACK TO SAVEPOINT confirm;
SELECT is((SELECT status FROM crmscm.sales_orders WHERE order_id = pg_temp.id('o2')), 'draft', 'the order stays a draft');
SELECT throws_ok(format('UPDATE crmscm.sales_orders SET fill_policy = %L WHERE order_id = %s', 'bogus', pg_temp.id('o2')),
                 '23514', NULL, 'an unknown fill policy: 23514 (CHECK sales_orders_fill_policy)');
SELECT is(pg_temp.diag(format('UPDATE crmscm.sales_orders SET fill_policy = %L WHERE order_id = %s', 'all_or_nothing', (SELECT order_id FROM placed LIMIT 1))),
          '23514 sales_orders_fill_policy sales_orders ', 'the fill policy of a confirmed order is fixed: 23514, constraint sales_orders_fill_policy');
SELECT lives_ok(format('UPDATE crmscm.sales_orders SET fill_policy = fill_policy WHERE order_id = %s', (SELECT order_id FROM placed LIMIT 1)),
                'writing the same fill policy back (a whole-object save) passes');
-- a line added to a confirmed all_or_nothing order must be filled too
SELECT throws_ok(format('INSERT INTO crmscm.sales_order_lines (order_id, item_id, qty) VALUES (%s, %s, 1)',
                        (SELECT order_id FROM aon), pg_temp.id('CUP')),
                 '23514', NULL, 'a short line inserted into a confirmed all_or_nothing order: 23514');
SAVEPOINT raise_qty;
SELECT throws_ok(format('UPDATE crmscm.sales_order_lines SET qty = qty + 1 WHERE order_id = %s', (SELECT order_id FROM aon)),
                 '23514', NULL, 'raising a line of a confirmed all_or_nothing order beyond the stock: 23514');
ROLLBACK TO SAVEPOINT raise_qty;
SELECT lives_ok(format('UPDATE crmscm.sales_order_lines SET qty = qty - 1 WHERE order_id = %s', (SELECT order_id FROM aon)),
                'lowering it releases as usual');
SELECT is_empty('SELECT * FROM crmscm.check_inventory()', 'check_inventory() clean after the refused orders');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- tenants: wrong tenant, another tenant's order and customer
-- ---------------------------------------------------------------------
SET SESSION AUTHORIZATION app_w2;
SET LOCAL crmscm.tenant_id = 1;
SELECT throws_ok(format('SELECT * FROM crmscm.order_availability(%s)', pg_temp.id('o1')), '42501', NULL,
                 'a writer pinned to tenant 2 asking for tenant 1: 42501');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": 1, "qty": 1}]')$q$, pg_temp.id('Munich')), '42501', NULL,
                 'place_order for another tenant: 42501');
SET LOCAL crmscm.tenant_id = 2;
SELECT throws_ok(format('SELECT * FROM crmscm.order_availability(%s)', pg_temp.id('o1')), '23503', format('order %s does not exist', pg_temp.id('o1')),
                 'another tenant''s order: 23503, as if it did not exist');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": 1, "qty": 1}]')$q$, pg_temp.id('Munich')), '23503',
                 format('customer %s does not exist', pg_temp.id('Munich')), 'another tenant''s customer: 23503');
SET LOCAL crmscm.tenant_id = '';
SELECT throws_ok(format('SELECT * FROM crmscm.order_availability(%s)', pg_temp.id('o1')), '55000', NULL,
                 'no tenant set (a pooled connection that forgot it): 55000');
SELECT throws_ok(format($q$SELECT * FROM crmscm.place_order(%s, '[{"item_id": 1, "qty": 1}]')$q$, pg_temp.id('Munich')), '55000', NULL,
                 'place_order with no tenant: 55000');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- errors under row-level security: what a non-owner sees
-- ---------------------------------------------------------------------
SET SESSION AUTHORIZATION app_w1;
SET LOCAL crmscm.tenant_id = 1;
SELECT is(pg_temp.diag(format('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (%s, 99, 999999, 1, 1)',
                              pg_temp.id('o2'))),
          '23503 sales_order_lines_tenant_id_item_id_fkey sales_order_lines Key is not present in table "items".',
          'a foreign-key error under row-level security: constraint name, no key values');
SELECT is(pg_temp.diag(format('INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (%s, 1, %s, 1, 1)',
                              pg_temp.id('o1'), pg_temp.id('CUP'))),
          '23505 sales_order_lines_pkey sales_order_lines ',
          'a duplicate key under row-level security: constraint name, no key values');
SELECT is(pg_temp.diag(format('UPDATE crmscm.sales_order_lines SET qty_reserved = 99 WHERE order_id = %s AND line_no = 1', pg_temp.id('o1'))),
          '23000 guarded_column sales_order_lines Writing the value the row holds (as 2 for 2.0) is allowed; any other is not.',
          'a guarded column: 23000, constraint guarded_column');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------
-- master data
-- ---------------------------------------------------------------------
SET SESSION AUTHORIZATION app_m1;
SET LOCAL crmscm.tenant_id = 1;
SELECT lives_ok($$INSERT INTO crmscm.items (sku, name, unit_price) VALUES ('NEW', 'new item', 1)$$,
                'crmscm_master_data creates items');
SELECT lives_ok($$UPDATE crmscm.items SET unit_price = 2 WHERE sku = 'NEW'$$, 'and changes them');
SELECT lives_ok($$INSERT INTO crmscm.warehouses (name) VALUES ('Vienna')$$, 'creates warehouses');
SELECT lives_ok($$INSERT INTO crmscm.customers (name) VALUES ('Graz')$$, 'creates customers');
SELECT throws_ok($$INSERT INTO crmscm.sales_orders (customer_id) VALUES (1)$$, '42501', NULL, 'but writes no orders');
SELECT throws_ok($$INSERT INTO crmscm.items (item_id, sku, name) VALUES (1, 'X', 'x')$$, '23505', NULL,
                 'an explicit id that is taken: 23505 (the identity columns were never bypassed here)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION app_w1;
SET LOCAL crmscm.tenant_id = 1;
SELECT throws_ok($$INSERT INTO crmscm.items (sku, name) VALUES ('W', 'w')$$, '42501', NULL, 'a writer does not create items');
RESET SESSION AUTHORIZATION;
SELECT ok(pg_has_role('crmscm_admin', 'crmscm_master_data', 'MEMBER'), 'crmscm_admin is a member of crmscm_master_data');
SELECT ok(NOT has_table_privilege('crmscm_master_data', 'crmscm.inventory', 'UPDATE')
          AND NOT has_table_privilege('crmscm_master_data', 'crmscm.sales_orders', 'INSERT'),
          'crmscm_master_data writes nothing else');

SELECT * FROM finish();
ROLLBACK;
