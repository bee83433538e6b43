-- a customer asks for another day
\set k random(0, 300)
\set d random(0, 10)
UPDATE crmscm.sales_order_lines SET requested_date = CURRENT_DATE + :d
 WHERE tenant_id = 1 AND order_id = (SELECT max(order_id) FROM crmscm.sales_orders) - :k AND line_no = 1 AND status = 'open';
