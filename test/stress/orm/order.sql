-- What an ORM does (issue #14): a confirmed order, then its 1-4 lines one
-- INSERT each, items from a hot set of 10 of 60 in random order.
\set c random(1, 200)
\set n random(1, 4)
\set i1 random(1, 10)
\set i2 random(1, 10)
\set i3 random(1, 10)
\set i4 random(1, 60)
\set q random(1, 4)
\set p random(0, 2)
BEGIN;
INSERT INTO crmscm.sales_orders (customer_id, status, ship_to, priority)
	SELECT customer_id, 'confirmed', location, :p FROM crmscm.customers WHERE customer_id = :c
	RETURNING order_id AS oid \gset
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 1, :i1, :q, 10);
\if :n >= 2
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 2, :i2, :q, 11);
\endif
\if :n >= 3
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 3, :i3, :q, 12);
\endif
\if :n >= 4
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES (:oid, 4, :i4, :q, 13);
\endif
COMMIT;
