-- a confirmed order with 3 lines, items drawn from a Zipfian hot set in random order
\set c random(1, 200)
\set i1 random_zipfian(1, 200, 1.2)
\set i2 random_zipfian(1, 200, 1.2)
\set i3 random_zipfian(1, 200, 1.2)
\set q1 random(1, 5)
\set q2 random(1, 5)
\set q3 random(1, 5)
\set p random(0, 3)
BEGIN;
INSERT INTO crmscm.sales_orders (customer_id, status, ship_to, priority)
	SELECT customer_id, 'confirmed', location, :p FROM crmscm.customers WHERE customer_id = :c
	RETURNING order_id AS oid \gset
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price)
	VALUES (:oid, 1, :i1, :q1, 1 + :i1 % 50), (:oid, 2, :i2, :q2, 1 + :i2 % 50), (:oid, 3, :i3, :q3, 1 + :i3 % 50);
COMMIT;
