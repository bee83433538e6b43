\set k random(0, 300)
SELECT stress.ship_some((SELECT max(order_id) FROM crmscm.sales_orders) - :k);
