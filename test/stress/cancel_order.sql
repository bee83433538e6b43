\set k random(0, 300)
UPDATE crmscm.sales_orders SET status = 'cancelled'
 WHERE tenant_id = 1 AND order_id = (SELECT max(order_id) FROM crmscm.sales_orders) - :k
   AND status = 'confirmed';
