-- Common preamble of the pgTAP suites (pgTAP's own test/setup.sql pattern):
-- quiet psql, stop on error, everything in one transaction rolled back at
-- the end, a fresh crmscm installed inside it.
\set QUIET 1
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS crmscm CASCADE;
CREATE EXTENSION crmscm;
SET search_path = crmscm, public;
