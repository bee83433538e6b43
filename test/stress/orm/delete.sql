-- delete a recent line, or a recent draft or confirmed order with its lines
\set k random(0, 300)
\set ln random(1, 4)
\set what random(0, 3)
\if :what = 0
DELETE FROM crmscm.sales_orders
 WHERE tenant_id = 1 AND order_id = (SELECT max(order_id) FROM crmscm.sales_orders) - :k AND status <> 'closed';
\else
DELETE FROM crmscm.sales_order_lines
 WHERE tenant_id = 1 AND order_id = (SELECT max(order_id) FROM crmscm.sales_orders) - :k AND line_no = :ln;
\endif
