#!/usr/bin/env bash
# LISTEN/NOTIFY events of crmscm (#15, doc/application.md "Events"), with
# real sessions: test/application/events.py (psycopg2) prints TAP.  Its own
# database; login roles created here (a writer pinned to tenant 1, a reader).
set -uo pipefail
cd "$(dirname "$0")/../.."
db=crmscm_events
roles="ev_w1 ev_r1"
created_pin=
cleanup() {
	dropdb --if-exists "$db" 2>/dev/null
	for r in $roles $created_pin; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
}
trap cleanup EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
if [ -z "$(psql -qXAt -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'crmscm_tenant_1'")" ]; then
	psql -qX -d postgres -c "CREATE ROLE crmscm_tenant_1 NOLOGIN" >/dev/null && created_pin=crmscm_tenant_1
fi
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || { echo "not ok 1 - setup"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
DROP ROLE IF EXISTS ev_w1;
DROP ROLE IF EXISTS ev_r1;
CREATE ROLE ev_w1 LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;
CREATE ROLE ev_r1 LOGIN IN ROLE crmscm_reader, crmscm_tenant_1;
-- the reorder event is off by default (it evaluates reorder_suggestions)
ALTER ROLE ev_w1 SET crmscm.reorder_events = on;
SQL
/usr/bin/python3 test/application/events.py "$db"
