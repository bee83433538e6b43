-- a receipt of a hot item fills its backorders
\set i random(1, 10)
\set w random(1, 4)
\set q random(1, 12)
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (:i, :w, :q, 'receipt');
