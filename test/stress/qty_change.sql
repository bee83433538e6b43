-- raise or lower the quantity of a recent open line
\set k random(0, 300)
\set ln random(1, 3)
\set d random(-3, 3)
UPDATE crmscm.sales_order_lines SET qty = GREATEST(qty + :d, qty_shipped, 1)
 WHERE tenant_id = 1 AND order_id = (SELECT max(order_id) FROM crmscm.sales_orders) - :k
   AND line_no = :ln AND status = 'open';
