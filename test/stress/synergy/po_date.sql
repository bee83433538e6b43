-- a supplier moves the expected date of an open purchase order
\set k random(0, 60)
\set d random(-3, 20)
UPDATE crmscm.purchase_orders SET expected_at = CURRENT_DATE + :d
 WHERE tenant_id = 1 AND po_id = (SELECT max(po_id) FROM crmscm.purchase_orders) - :k AND status = 'ordered';
