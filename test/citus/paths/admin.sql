-- Write paths, step 3 (test/citus/paths.sh): the admin functions, as an
-- admin role pinned to tenant :t, each in its own transaction.
\set ON_ERROR_STOP off
\set VERBOSITY sqlstate
\pset null '<null>'
\echo refit_models()
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT tenant_id, customers, repeat_customers, round((bgnbd).r::numeric, 6) AS r, round((bgnbd).alpha::numeric, 4) AS alpha
  FROM crmscm.refit_models();
COMMIT;
\echo replenish()
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT line_no, item_id, warehouse_id, qty, expected_at - CURRENT_DATE AS days, reason FROM crmscm.replenish('acme') ORDER BY po_id, line_no;
COMMIT;
\echo lead_model_train()
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.lead_model_train('paths', ARRAY['a', 'b', 'c'], 1.0) > 0 AS trained;
SELECT crmscm.lead_model_rows(model) FROM crmscm.lead_models WHERE tenant_id = :t AND active;
COMMIT;
\echo refresh_customer_lifetime()
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.refresh_customer_lifetime();
COMMIT;
