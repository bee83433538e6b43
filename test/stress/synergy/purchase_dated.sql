-- a dated purchase order of a hot item, placed, then (another transaction) partly received
\set i random_zipfian(1, 200, 1.2)
\set w random(1, 4)
\set q random(5, 30)
\set d random(-2, 15)
\set r random(1, 4)
BEGIN;
INSERT INTO crmscm.purchase_orders (supplier, expected_at) VALUES ('stress', CURRENT_DATE + :d) RETURNING po_id AS pid \gset
INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (:pid, 1, :i, :w, :q);
UPDATE crmscm.purchase_orders SET status = 'ordered' WHERE po_id = :pid;
COMMIT;
SELECT crmscm.receive(:pid, 1, :r);
