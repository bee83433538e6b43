#!/usr/bin/env bash
# Static security checks of the installed extension, from the catalog (TAP).
# Generic: covers every object any module adds to schema crmscm.
#
#   1. every SQL / PL/pgSQL function pins search_path (proconfig)
#   2. every SECURITY DEFINER function pins search_path, and to
#      pg_catalog, pg_temp (pg_temp last, as the PostgreSQL docs require)
#   3. every table with tenant_id has row-level security and exactly one
#      policy, tenant_isolation: permissive, for all commands, USING and
#      WITH CHECK tenant_id = crmscm.current_tenant(), no subquery (Citus
#      can push it to the shards); no table lacks tenant_id (doc/security.md)
#   4. every view is security_invoker and owned by the extension owner, and
#      every scan of a crmscm table in its plan is filtered on
#      current_tenant() by the view itself (planned as the owner, whom row-
#      level security does not filter) (doc/conventions.md); the ownership of everything else and what the
#      SECURITY DEFINER functions read: test/pgtap/ownership.sql
# That bodies qualify their operators is shown by test/scripts/hostile_search_path.sh.
set -uo pipefail
db=crmscm_lint
dropdb --if-exists "$db"; createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
trap 'dropdb --if-exists "$db"' EXIT
psql -qX -d "$db" -c 'CREATE EXTENSION crmscm' >/dev/null || { echo "not ok 1 - CREATE EXTENSION crmscm"; exit 1; }
q() { psql -qXAt -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
n=0 fail=0
check() {		# $1 = description, $2 = query listing offenders (none = ok)
	local out
	n=$((n + 1))
	if ! out=$(q "$2" 2>&1); then
		echo "not ok $n - $1"; echo "# $out"; fail=1
	elif [ -n "$out" ]; then
		echo "not ok $n - $1"; sed 's/^/#   /' <<<"$out"; fail=1
	else
		echo "ok $n - $1"
	fi
}

echo "1..10"
check "every SQL and PL/pgSQL function of crmscm whose body is a string has SET search_path" "
	SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
	WHERE p.pronamespace = 'crmscm'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
	  AND p.prosqlbody IS NULL
	  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')"
# #19: a function with an SQL-standard body (RETURN ...) is parsed when it is
# created, so the caller's search_path cannot change what it calls; it has no
# SET search_path so that the planner inlines it (src/sql/030_rules.sql).
# It must stay inlinable and harmless: not SECURITY DEFINER, not VOLATILE,
# named with '_' (a helper of crmscm's own SQL), one RETURN expression.
check "SQL-standard-body functions are inlinable helpers: '_' names, no SET, not SECURITY DEFINER, not VOLATILE" "
	SELECT p.oid::regprocedure FROM pg_proc p
	WHERE p.pronamespace = 'crmscm'::regnamespace AND p.prosqlbody IS NOT NULL
	  AND (p.proname NOT LIKE '\\_%' OR p.proconfig IS NOT NULL OR p.prosecdef OR p.provolatile = 'v'
	       OR p.proretset OR pg_get_functiondef(p.oid) !~ '\\sRETURN\\s')"
check "every SECURITY DEFINER function has SET search_path" "
	SELECT p.oid::regprocedure FROM pg_proc p
	WHERE p.pronamespace = 'crmscm'::regnamespace AND p.prosecdef
	  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')"
check "search_path of SQL/PL functions is exactly pg_catalog, pg_temp" "
	SELECT p.oid::regprocedure || ': ' || c FROM pg_proc p, unnest(p.proconfig) c
	WHERE p.pronamespace = 'crmscm'::regnamespace AND c LIKE 'search_path=%'
	  AND replace(c, ' ', '') <> 'search_path=pg_catalog,pg_temp'"
check "every crmscm table has a tenant_id column (doc/security.md)" "
	SELECT c.oid::regclass FROM pg_class c
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind IN ('r', 'p')
	  AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id')"
check "every tenant table has row-level security and the one policy tenant_isolation" "
	SELECT c.oid::regclass FROM pg_class c
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind IN ('r', 'p')
	  AND (NOT c.relrowsecurity
	       OR NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'
	                      AND p.polcmd = '*' AND p.polpermissive AND p.polroles = '{0}')
	       OR (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) <> 1)"
check "the policy is tenant_id = crmscm.current_tenant() both ways, without subquery" "
	SELECT p.polrelid::regclass || ': ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-') || ' / '
	       || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
	FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
	WHERE c.relnamespace = 'crmscm'::regnamespace
	  AND (pg_get_expr(p.polqual, p.polrelid) IS DISTINCT FROM '(tenant_id = crmscm.current_tenant())'
	       OR pg_get_expr(p.polwithcheck, p.polrelid) IS DISTINCT FROM '(tenant_id = crmscm.current_tenant())')"
check "every view is security_invoker and owned by the extension owner" "
	SELECT c.oid::regclass FROM pg_class c
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v'
	  AND (NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)
	       OR c.relowner <> (SELECT extowner FROM pg_extension WHERE extname = 'crmscm'))"
# plan of a view as the owner, and the scans of crmscm tables in it whose own
# quals (or their bitmap index scan's) do not mention current_tenant(),
# unless a Result above them gates them with a One-Time Filter that does (the
# planner's form of tenant_id = current_tenant() AND tenant_id = outer.tenant_id)
q "CREATE SCHEMA lint;
CREATE FUNCTION lint.plan_of(v regclass) RETURNS jsonb LANGUAGE plpgsql AS \$\$
DECLARE p jsonb;
BEGIN
	EXECUTE format('EXPLAIN (VERBOSE, FORMAT JSON) SELECT * FROM %s', v) INTO p;
	RETURN p->0->'Plan';
END \$\$;
CREATE FUNCTION lint.unfiltered(n jsonb, guarded boolean) RETURNS SETOF text LANGUAGE sql AS \$\$
	SELECT (n->>'Node Type') || ' on ' || (n->>'Relation Name')
	 WHERE n ? 'Relation Name' AND n->>'Schema' = 'crmscm' AND NOT guarded
	   AND concat_ws(' ', n->>'Filter', n->>'Index Cond', n->>'Recheck Cond',
					 (SELECT string_agg(c->>'Index Cond', ' ') FROM jsonb_array_elements(n->'Plans') c))
		   NOT LIKE '%current_tenant()%'
	UNION ALL
	SELECT lint.unfiltered(c, guarded OR coalesce(n->>'One-Time Filter', '') LIKE '%current_tenant()%')
	  FROM jsonb_array_elements(coalesce(n->'Plans', '[]')) c
\$\$;" >/dev/null
check "every scan of a crmscm table in a view is filtered on current_tenant() by the view itself (plan as the owner)" "
	SET crmscm.tenant_id = 1;
	SELECT c.oid::regclass || ': ' || u
	FROM pg_class c, lint.unfiltered(lint.plan_of(c.oid), false) u
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v'
	UNION ALL
	SELECT 'no scan of a crmscm table found in ' || c.oid::regclass FROM pg_class c
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v'
	  AND NOT jsonb_path_exists(lint.plan_of(c.oid), 'lax \$.** ? (@.\"Schema\" == \"crmscm\")')"
check "control: a view joining a table without the filter is caught" "
	SET crmscm.tenant_id = 1;
	CREATE VIEW crmscm.lint_probe WITH (security_invoker = true) AS
		SELECT c.name, o.order_id FROM crmscm.customers c
		LEFT JOIN crmscm.sales_orders o ON o.customer_id = c.customer_id
		WHERE c.tenant_id = crmscm.current_tenant();
	SELECT 'not caught' WHERE NOT EXISTS (
		SELECT FROM lint.unfiltered(lint.plan_of('crmscm.lint_probe'), false) u WHERE u LIKE '% on sales_orders')"
exit $fail
