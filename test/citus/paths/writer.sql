-- Write paths, step 2 (test/citus/paths.sh): every write path of the order
-- model as an application's writer role pinned to tenant :t (psql -v t=N),
-- each transaction with SET LOCAL crmscm.tenant_id.  The transcript
-- (results, and the SQLSTATE of every statement) is compared between the
-- Citus cluster and a single node, as are the tables and views afterwards.
\set ON_ERROR_STOP off
\set VERBOSITY sqlstate
\pset null '<null>'
\echo receipts (multi-row) and an adjustment
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES
	(1, 1, 10, 'receipt'), (2, 1, 4, 'receipt'), (3, 2, 6, 'receipt'), (4, 3, 2 + :t, 'receipt'), (5, 2, 8, 'receipt'),
	(6, 1, 3, 'receipt'), (6, 2, 3, 'receipt'), (7, 3, 5, 'receipt');
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (1, 1, -1, 'adjustment');
COMMIT;
\echo an ORM: a confirmed order, one INSERT per line
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to, priority) VALUES (1, 1, 'confirmed', '(53.5,10.0)', 1);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (1, 1, 3, 2, 10);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (1, 2, 1, 4, 12);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (1, 3, 9, 1 + :t, 8);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, warehouse_id, qty, unit_price) VALUES (1, 4, 6, 2, 4, 8);
SELECT line_no, qty_reserved, qty_backordered FROM crmscm.sales_order_lines WHERE tenant_id = :t AND order_id = 1 ORDER BY 1;
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT line_no, qty_reserved, qty_backordered FROM crmscm.sales_order_lines WHERE tenant_id = :t AND order_id = 1 ORDER BY 1;
COMMIT;
\echo a multi-row order
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES (2, 2, 'confirmed', '(45.7,4.8)');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES
	(2, 1, 1, 3, 12), (2, 2, 2, 5, 9), (2, 3, 5, 2, 7), (2, 4, 9, 2, 8), (2, 5, 7, 1, 6);
COMMIT;
\echo a draft filled line by line, then confirmed
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES (3, 3, 'draft', '(45.4,9.2)');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (3, 1, 5, 3, 7);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (3, 2, 4, 2, 9);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (3, 3, 2, 1, 9);
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
UPDATE crmscm.sales_orders SET status = 'confirmed' WHERE tenant_id = :t AND order_id = 3;
COMMIT;
\echo quantity up and down, a line cancelled, a line deleted
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
UPDATE crmscm.sales_order_lines SET qty = qty + 2 WHERE tenant_id = :t AND order_id = 1 AND line_no = 1;
UPDATE crmscm.sales_order_lines SET qty = qty - 2 WHERE tenant_id = :t AND order_id = 2 AND line_no = 2;
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
UPDATE crmscm.sales_order_lines SET status = 'cancelled' WHERE tenant_id = :t AND order_id = 2 AND line_no = 3;
DELETE FROM crmscm.sales_order_lines WHERE tenant_id = :t AND order_id = 3 AND line_no = 2;
COMMIT;
\echo an ORM re-saves a whole line with the same values (the guard lets equal values pass)
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
UPDATE crmscm.sales_order_lines l SET qty = x.qty, qty_reserved = x.qty_reserved::numeric(12, 2),
	qty_backordered = x.qty_backordered, qty_shipped = x.qty_shipped, status = x.status, unit_price = x.unit_price
  FROM crmscm.sales_order_lines x
 WHERE l.tenant_id = :t AND x.tenant_id = :t AND x.order_id = 1 AND l.order_id = 1 AND x.line_no = l.line_no;
COMMIT;
\echo orders deleted and cancelled
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ship_to) VALUES (4, 4, 'confirmed', '(46.8,5.6)'),
	(5, 5, 'confirmed', '(47.5,6.5)');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES
	(4, 1, 1, 1, 12), (4, 2, 9, 1, 8), (5, 1, 2, 1, 9), (5, 2, 9, 2, 8);
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
DELETE FROM crmscm.sales_orders WHERE tenant_id = :t AND order_id = 4;
UPDATE crmscm.sales_orders SET status = 'cancelled' WHERE tenant_id = :t AND order_id = 5;
COMMIT;
\echo shipments: part of a line, the rest, and the routed form ship(tenant, ...)
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.ship(1, 2, 1);
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.ship(1, 2);
SELECT crmscm.ship(:t, 2, 1, NULL);
COMMIT;
\echo a line added and shipped in one transaction (ship() reserves it first)
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (2, 6, 5, 1, 7);
SELECT crmscm.ship(2, 6);
COMMIT;
\echo purchase orders: ordered, received in part, then the rest
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.purchase_orders (po_id, supplier) VALUES (101, 'acme');
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (101, 1, 9, 1, 5), (101, 2, 4, 3, 3);
UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE tenant_id = :t AND po_id = 101;
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.receive(101, 1, 2);
COMMIT;
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.receive(101, 1);
SELECT crmscm.receive(101, 2);
SELECT status FROM crmscm.purchase_orders WHERE tenant_id = :t AND po_id = 101;
COMMIT;
\echo reserve_pending(tenant): quantities final before COMMIT
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (2, 7, 3, 1, 10), (2, 8, 9, 1, 8);
SELECT line_no, qty_reserved, qty_backordered FROM crmscm.sales_order_lines WHERE tenant_id = :t AND order_id = 2 AND line_no > 6 ORDER BY 1;
SELECT crmscm.reserve_pending(:t);
SELECT line_no, qty_reserved, qty_backordered FROM crmscm.sales_order_lines WHERE tenant_id = :t AND order_id = 2 AND line_no > 6 ORDER BY 1;
COMMIT;
\echo leads and events
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
-- (VALUES: on Citus an INSERT ... SELECT that Citus cannot push down is a
-- COPY into the shards, which row-level security refuses: doc/citus.md)
INSERT INTO crmscm.lead_events (lead_id, kind, occurred_at) VALUES
	(1, 'web_visit', (CURRENT_DATE - 1) + time '09:00'), (1, 'demo', (CURRENT_DATE - 1) + time '10:00'),
	(2, 'web_visit', (CURRENT_DATE - 2) + time '09:00'), (3, 'web_visit', (CURRENT_DATE - 3) + time '09:00'),
	(3, 'demo', (CURRENT_DATE - 3) + time '10:00'), (5, 'email_open', (CURRENT_DATE - 5) + time '09:00'),
	(8, 'web_visit', (CURRENT_DATE - 8) + time '09:00');
UPDATE crmscm.leads SET stage = 'qualified' WHERE tenant_id = :t AND lead_id = 3;
COMMIT;
\echo errors keep their SQLSTATE: a line of a cancelled order, shipping more than reserved
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty) VALUES (5, 9, 1, 1);
ROLLBACK;
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.ship(1, 1, 1000);
ROLLBACK;
\echo the state
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT order_id, line_no, item_id, qty, qty_reserved, qty_backordered, qty_shipped, status
  FROM crmscm.sales_order_lines WHERE tenant_id = :t AND order_id < 1000 ORDER BY 1, 2;
SELECT item_id, warehouse_id, on_hand, reserved, on_order FROM crmscm.inventory WHERE tenant_id = :t ORDER BY 1, 2;
SELECT count(*) AS check_inventory FROM crmscm.check_inventory();
COMMIT;
