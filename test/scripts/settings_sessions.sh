#!/usr/bin/env bash
# The reserved prefix crmscm across real sessions (#19, src/crmscm.c).  TAP.
#
# _PG_init registers every crmscm.* setting and then reserves the prefix.
# What must keep working is what is set before the library loads, when a
# crmscm.* name is still a placeholder: database and role defaults (ALTER
# DATABASE / ALTER ROLE ... SET crmscm.tenant_id, the single-tenant setup
# of doc/conventions.md), a SET as the first statement of a session.  Those
# placeholders become the registered settings when the library loads; an
# unknown one is removed with a WARNING, and once loaded an unknown name is
# refused (42602).  Each check runs in a new session (psql), as the owner
# and as login roles, one of them pinned to a tenant.
set -uo pipefail
db=crmscm_settings
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; return "$1"; }
show() { sed 's/^/# /' <<<"$1"; }
sess() { psql -qXAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }		# a new session as the owner
as() { local r=$1; shift; psql -qXAt -v ON_ERROR_STOP=1 -U "$r" -d "$db" "$@"; }
roles="set_app set_pinned"
created_pin=
cleanup() {
	dropdb --if-exists "$db" 2>/dev/null
	for r in $roles $created_pin; do psql -qX -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
}
trap cleanup EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
if [ -z "$(psql -qXAt -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'crmscm_tenant_6'")" ]; then
	psql -qX -d postgres -c "CREATE ROLE crmscm_tenant_6 NOLOGIN" >/dev/null && created_pin=crmscm_tenant_6
fi
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL || { echo "not ok 1 - setup"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
DROP ROLE IF EXISTS set_app;
DROP ROLE IF EXISTS set_pinned;
CREATE ROLE set_app LOGIN IN ROLE crmscm_writer;					-- any tenant
CREATE ROLE set_pinned LOGIN IN ROLE crmscm_writer, crmscm_tenant_6;	-- tenant 6 only
ALTER DATABASE $db SET crmscm.tenant_id = '5';
ALTER ROLE set_pinned IN DATABASE $db SET crmscm.tenant_id = '6';
ALTER ROLE set_app IN DATABASE $db SET crmscm.demand_window_days = '45';
DO \$\$ DECLARE t int; BEGIN
	FOR t IN 5..6 LOOP
		PERFORM set_config('crmscm.tenant_id', t::text, true);
		INSERT INTO crmscm.customers (customer_id, name) VALUES (t, 'customer of tenant ' || t);
	END LOOP;
END \$\$;
SQL
echo "1..12"

# 1-3: database and role defaults of crmscm.tenant_id, set before the library loads
out=$(sess -c 'SELECT crmscm.current_tenant()' 2>&1)
[ "$out" = "5" ]; ok $? "owner, new session: ALTER DATABASE ... SET crmscm.tenant_id = 5 holds after the library loads" || show "$out"
out=$(as set_pinned -c 'SELECT crmscm.current_tenant(), (SELECT string_agg(name, $$,$$) FROM crmscm.customers)' 2>&1)
[ "$out" = "6|customer of tenant 6" ]; ok $? "pinned login role, new session: its ALTER ROLE ... IN DATABASE default (6) wins over the database's" || show "$out"
out=$(as set_app -c 'SELECT crmscm.current_tenant(), crmscm.demand_window_days(), (SELECT string_agg(name, $$,$$) FROM crmscm.customers)' 2>&1)
[ "$out" = "5|45|customer of tenant 5" ]; ok $? "login role: the database's tenant (its rows only), its own crmscm.demand_window_days default (45)" || show "$out"

# 4: the pin still holds against a database default
out=$(as set_pinned -c "SELECT set_config('crmscm.tenant_id', '5', false)" -c 'SELECT crmscm.current_tenant()' 2>&1)
grep -q 'permission denied\|not allowed\|ERROR' <<<"$out"; ok $? "pinned login role: tenant 5 refused, defaults or not" || show "$out"

# 5-6: a SET before the first crmscm call (a placeholder then) becomes the setting
out=$(sess -c 'SET crmscm.demand_window_days = 30' -c 'SELECT crmscm.demand_window_days()' 2>&1)
[ "$out" = "30" ]; ok $? "SET crmscm.demand_window_days before the library loads: demand_window_days() = 30" || show "$out"
out=$(sess -c "SET crmscm.delivery_speed_kmh = 'fast'" -c "SELECT crmscm.delivery_setting('speed_kmh', NULL)" 2>&1)
grep -q 'WARNING' <<<"$out" && [ "$(tail -n1 <<<"$out")" = "50" ]
ok $? "a bad value set before the library loads: WARNING at load, the default (50) is used" || show "$out"

# 7-8: an unknown crmscm name set before the library loads is removed, with a WARNING
out=$(sess -c 'SET crmscm.tenant = 7' -c 'SELECT crmscm.current_tenant()' 2>&1)
grep -q 'WARNING.*crmscm.tenant' <<<"$out" && [ "$(tail -n1 <<<"$out")" = "5" ]
ok $? "an unknown crmscm setting set before the library loads: WARNING naming it when the library loads" || show "$out"
out=$(sess -c 'SET crmscm.tenant = 7' -c 'SELECT crmscm.current_tenant()' -c 'SHOW crmscm.tenant' 2>&1)
grep -q 'unrecognized configuration parameter "crmscm.tenant"' <<<"$out"; ok $? "and is gone afterwards (SHOW: unrecognized)" || show "$out"

# 9-10: once the library is loaded, unknown names are refused (42602)
out=$(sess -v VERBOSITY=verbose -c 'SELECT crmscm.current_tenant()' -c 'SET crmscm.tenant = 7' 2>&1)
grep -q '42602' <<<"$out"; ok $? "after the library loaded: SET crmscm.tenant = 7 is 42602" || show "$out"
out=$(as set_app -v VERBOSITY=verbose -c 'SELECT crmscm.current_tenant()' -c "SELECT set_config('crmscm.tenantid', '7', true)" 2>&1)
grep -q '42602' <<<"$out"; ok $? "as a login role too, with set_config (42602)" || show "$out"

# 11: ALTER DATABASE ... SET of an unknown crmscm name is refused once loaded
out=$(sess -v VERBOSITY=verbose -c 'SELECT crmscm.current_tenant()' -c "ALTER DATABASE $db SET crmscm.tenantid = 7" 2>&1)
grep -q '42602' <<<"$out"; ok $? "ALTER DATABASE ... SET crmscm.tenantid after the library loaded: 42602" || show "$out"

# 12: a misspelt database default left from before: every session still works
psql -qX -d postgres -c "ALTER DATABASE $db SET crmscm.old_setting = 1" >/dev/null 2>&1
out=$(sess -c 'SELECT crmscm.current_tenant()' 2>&1)
grep -q 'WARNING' <<<"$out" && [ "$(tail -n1 <<<"$out")" = "5" ]
ok $? "a database default of an unknown crmscm name (set where the library was not loaded): WARNING, the session works" || show "$out"

exit $fail
