-- the protected share of a hot item changes
\set i random(1, 20)
\set s random(0, 50)
UPDATE crmscm.allocation_rules SET share = :s / 100.0 WHERE tenant_id = 1 AND item_id = :i AND tier = 'A';
