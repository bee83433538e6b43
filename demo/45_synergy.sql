-- CRM <-> SCM synergy (issue #17, doc/synergy.md): a promise, a rebalance of
-- a scarce item by customer tier, and OTIF per customer.  Its own tenant (45).
\echo
\echo '== Synergy: promises, allocation by customer value, delivery performance (tenant 45)'
SET search_path = crmscm, public;
SET crmscm.tenant_id = 45;

INSERT INTO warehouses (warehouse_id, name, location) VALUES
	(1, 'Milan', '(45.4642,9.19)'), (2, 'Hamburg', '(53.5511,9.9937)');
INSERT INTO customers (customer_id, name, location) VALUES
	(1, 'Munich Roasters (key account)', '(48.1351,11.582)'), (2, 'Zurich Cafe', '(47.3769,8.5417)'),
	(3, 'Vienna Bar', '(48.2082,16.3738)');
INSERT INTO items (item_id, sku, name, unit_price, lead_time_days) VALUES (1, 'GRD-PRO', 'Pro grinder', 900, 14);
-- scarce: 4 at Milan, 5 more on a purchase order due in 5 days
INSERT INTO stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, 4, 'receipt');
INSERT INTO purchase_orders (po_id, supplier, expected_at, status) VALUES (1, 'Grinder works', current_date + 5, 'ordered');
INSERT INTO purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (1, 1, 1, 1, 5);

-- two small customers order first: 3 + 3 units (4 reserved, 2 wait for the purchase)
INSERT INTO sales_orders (order_id, customer_id, status, ship_to) VALUES (1, 2, 'confirmed', '(47.3769,8.5417)');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (1, 1, 1, 3, 900);
INSERT INTO sales_orders (order_id, customer_id, status, ship_to) VALUES (2, 3, 'confirmed', '(48.2082,16.3738)');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (2, 1, 1, 3, 900);
\echo '-- the lines and their promises (days from today)'
SELECT order_id, qty, qty_reserved, qty_backordered, promised_date - current_date AS promised_in_days, promise_source
  FROM sales_order_lines ORDER BY order_id;

\echo '-- promise(): what could the key account get of 6 units, and when?  (tier C today: behind the queue)'
SELECT warehouse_id, qty, available_on - current_date AS in_days, source
  FROM promise(1, 6, '(48.1351,11.582)', current_date, 1);

-- the key account becomes tier A; tier A gets a protected share of 50 % of the grinders
SELECT customer_id, tier FROM set_customer_tier(1, 'A');
INSERT INTO allocation_rules (item_id, tier, share) VALUES (1, 'A', 0.5);
\echo '-- the same question as tier A: ahead of the waiting tier-C units'
SELECT warehouse_id, qty, available_on - current_date AS in_days, source
  FROM promise(1, 6, '(48.1351,11.582)', current_date, 1);
INSERT INTO sales_orders (order_id, customer_id, status, ship_to) VALUES (3, 1, 'confirmed', '(48.1351,11.582)');
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (3, 1, 1, 2, 900);

\echo '-- rebalance(): what following the tiers and the 50 % share would move (dry run), then moving it'
SELECT order_id, line_no, tier, reserved_before, reserved_after, reason FROM rebalance(1, true) ORDER BY order_id;
SELECT count(*) AS lines_moved FROM rebalance(1, false);
SELECT count(*) AS moved_by_a_second_call FROM rebalance(1, false);
SELECT order_id, qty, qty_reserved, qty_backordered, promised_date - current_date AS promised_in_days, promise_source
  FROM sales_order_lines ORDER BY order_id;

-- a quarter of history: closed orders of the three customers with promises and shipments
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at)
SELECT 100 + n, 1 + n % 3, 'closed', now() - (n || ' days')::interval FROM generate_series(1, 60) n;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped,
                               requested_date, promised_date, promise_source, covered_on,
                               first_shipped_at, last_shipped_at, shipments)
SELECT 100 + n, 1, 1, 2, 900, 'shipped', 2, current_date - n + 3, current_date - n + 3 + n % 2, 'stock',
       current_date - n + 2, now() - ((n - 3 - n % 5) || ' days')::interval, now() - ((n - 3 - n % 5) || ' days')::interval, 1
  FROM generate_series(1, 60) n;
\echo '-- OTIF per customer (delivery_performance, and customer_360 over 90 days)'
SELECT customer_id, count(otif) AS deliveries, round(avg(otif::int), 2) AS otif_rate, max(days_late) AS worst_days_late,
       mode() WITHIN GROUP (ORDER BY cause) AS main_cause
  FROM delivery_performance GROUP BY customer_id ORDER BY customer_id;
SELECT customer_id, round(otif_90d::numeric, 2) AS otif_90d, late_lines_90d FROM customer_360 ORDER BY customer_id;
RESET crmscm.tenant_id;
