-- crmscm demo: a fresh database with the extension.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS crmscm CASCADE;
CREATE EXTENSION crmscm;
SET search_path = crmscm, public;
\echo '== crmscm demo'
SELECT extversion AS "crmscm version" FROM pg_extension WHERE extname = 'crmscm';
