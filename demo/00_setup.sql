-- crmscm demo: a fresh database with the extension.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS crmscm CASCADE;
CREATE EXTENSION crmscm;
-- a single-tenant database: its tenant is 1, once for every session (crmscm
-- has no default tenant; applications with pooled connections set it per
-- transaction instead: SELECT set_config('crmscm.tenant_id', $1, true))
SELECT pg_catalog.format('ALTER DATABASE %I SET crmscm.tenant_id = 1', current_database()) \gexec
SET crmscm.tenant_id = 1;
SET search_path = crmscm, public;
\echo '== crmscm demo'
SELECT extversion AS "crmscm version" FROM pg_extension WHERE extname = 'crmscm';
