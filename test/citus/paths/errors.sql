-- Write paths, step 4 (test/citus/paths.sh): where the errors of the
-- commit's work come (doc/citus.md, "Errors at COMMIT"), as the writer of
-- tenant :t.  An adjustment that would leave on hand below reserved fails
-- in the commit pass; psql prints each statement's SQLSTATE after it.
\set ON_ERROR_STOP off
\set VERBOSITY verbose
\echo @ without reserve_pending
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (3, 2, -1000, 'adjustment');
\echo @insert :SQLSTATE
COMMIT;
\echo @commit :SQLSTATE
\echo @ with reserve_pending before COMMIT
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (3, 2, -1000, 'adjustment');
SELECT crmscm.reserve_pending(:t);
\echo @reserve_pending :SQLSTATE
COMMIT;
\echo @commit :SQLSTATE
\echo @ reserve_pending of another tenant
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.reserve_pending(:t + 1);
\echo @other :SQLSTATE
ROLLBACK;
\echo @ reserve_pending from PL/pgSQL (a simple expression: Citus does not route it)
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES (3, 2, 1, 'adjustment');
DO $$ BEGIN PERFORM crmscm.reserve_pending(crmscm.current_tenant()); END $$;
\echo @plpgsql :SQLSTATE
ROLLBACK;
\echo @ ship(tenant, ...) of another tenant
BEGIN;
SET LOCAL crmscm.tenant_id = :t;
SELECT crmscm.ship(:t + 1, 1, 1, 1);
\echo @ship_other :SQLSTATE
ROLLBACK;
