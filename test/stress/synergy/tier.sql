-- a customer changes tier
\set c random(1, 200)
\set t random(1, 3)
SELECT crmscm.set_customer_tier(:c, (ARRAY['A', 'B', 'C'])[:t]);
