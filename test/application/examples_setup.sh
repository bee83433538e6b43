# Sourced by test/scripts/example_*.sh: a database of its own with crmscm,
# the fixture (test/application/fixture.sql), and login roles pinned to
# tenant 1 — a writer, a master-data role, an admin and a reader — removed
# at exit.  Sets $db and the roles' names.
db=${EXAMPLE_DB:-crmscm_examples_$$}
roles="ex_w1_$$ ex_m1_$$ ex_a1_$$ ex_r1_$$"
created_pin=
examples_cleanup() {
	dropdb --if-exists "$db" 2>/dev/null
	for r in $roles $created_pin; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
}
trap examples_cleanup EXIT
createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
if [ -z "$(psql -qXAt -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'crmscm_tenant_1'")" ]; then
	psql -qX -d postgres -c "CREATE ROLE crmscm_tenant_1 NOLOGIN" >/dev/null && created_pin=crmscm_tenant_1
fi
read -r EX_WRITER EX_MASTER EX_ADMIN EX_READER <<<"$roles"
export EX_WRITER EX_MASTER EX_ADMIN EX_READER
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL || { echo "not ok 1 - setup"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
CREATE ROLE $EX_WRITER LOGIN IN ROLE crmscm_writer, crmscm_tenant_1;
CREATE ROLE $EX_MASTER LOGIN IN ROLE crmscm_master_data, crmscm_tenant_1;
CREATE ROLE $EX_ADMIN LOGIN IN ROLE crmscm_admin, crmscm_tenant_1;
CREATE ROLE $EX_READER LOGIN IN ROLE crmscm_reader, crmscm_tenant_1;
SQL
psql -qX -d "$db" -f test/application/fixture.sql >/dev/null || { echo "not ok 1 - fixture"; exit 1; }
export EX_DB=$db EX_HOST=${PGHOST:-} EX_PORT=${PGPORT:-5432} EX_OWNER=${PGUSER:-postgres}
