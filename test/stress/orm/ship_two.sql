-- a fulfilment transaction shipping what two recent orders have reserved, in
-- whatever order it meets them
\set k1 random(0, 300)
\set k2 random(0, 300)
BEGIN;
SELECT stress.ship_some((SELECT max(order_id) FROM crmscm.sales_orders) - :k1);
SELECT stress.ship_some((SELECT max(order_id) FROM crmscm.sales_orders) - :k2);
COMMIT;
