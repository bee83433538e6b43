\set i random_zipfian(1, 200, 1.2)
\set w random(1, 4)
SELECT crmscm.available_to_promise(:i);
SELECT crmscm.available_to_promise(:i, :w, true);
SELECT sum(available_to_promise) FROM crmscm.inventory_position WHERE item_id = :i;
