-- promise a hot item to a customer (their tier), some time ahead
\set i random_zipfian(1, 200, 1.2)
\set c random(1, 200)
\set q random(1, 12)
\set r random(0, 5)
\set p random(0, 2)
SELECT count(*) FROM crmscm.promise(:i, :q, (SELECT location FROM crmscm.customers WHERE customer_id = :c), CURRENT_DATE + :r, :c, :p);
SELECT crmscm.promise_date(:i, :q, NULL, CURRENT_DATE, :c);
