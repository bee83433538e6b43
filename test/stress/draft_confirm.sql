-- a draft order filled line by line, then confirmed in one statement
\set c random(1, 200)
\set i1 random_zipfian(1, 200, 1.2)
\set i2 random_zipfian(1, 200, 1.2)
\set q1 random(1, 5)
\set q2 random(1, 5)
BEGIN;
INSERT INTO crmscm.sales_orders (customer_id, status, ship_to)
	SELECT customer_id, 'draft', location FROM crmscm.customers WHERE customer_id = :c
	RETURNING order_id AS oid \gset
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 1, :i1, :q1, 1 + :i1 % 50);
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 2, :i2, :q2, 1 + :i2 % 50);
UPDATE crmscm.sales_orders SET status = 'confirmed' WHERE order_id = :oid;
COMMIT;
