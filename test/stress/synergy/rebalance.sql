-- rebalance a hot item (a transaction of its own)
\set i random_zipfian(1, 200, 1.2)
SELECT count(*) FROM crmscm.rebalance(:i, false);
