#!/usr/bin/env bash
# Upgrade chain (TAP), in the manner of pgTAP's and postgresql-hll's tests.
#
# Convention (README "Upgrading"): every released version X.Y.Z keeps a
# frozen copy of its install script, upgrade/crmscm--X.Y.Z.sql, and a step
# upgrade/crmscm--X.Y.Z--NEXT.sql to the version after it; the Makefile
# installs both (DATA).  This script
#   1. takes the oldest frozen version, installs it and fills every table
#      with sample data of two tenants;
#   2. runs ALTER EXTENSION crmscm UPDATE TO each next version in turn, up to
#      default_version (PostgreSQL's own path, pg_extension_update_paths);
#   3. checks the data survived row for row (the columns that existed
#      before), and that the upgraded schema equals a fresh install:
#      normalized `pg_dump --schema-only --binary-upgrade` (the mode that
#      dumps every member of an extension, grants and policies included).
# At 0.2.0, whose views crmscm_admin owned, a login admin tampers with them
# (a rule, a column default, a grant to PUBLIC, a view moved): the step to
# 0.3.0 must undo it (the schema comparison sees any of it left).  The step
# to 0.3.0 warns when the database has no crmscm.tenant_id setting (0.2.0
# defaulted to tenant 1), and only then.
# With no frozen version older than default_version the chain is trivially
# at head: it says so, and still checks that ALTER EXTENSION UPDATE keeps
# data and schema, and that the schema comparison itself is sound.
set -uo pipefail
default=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" crmscm.control)
oldest=$(ls upgrade/crmscm--*.sql 2>/dev/null | grep -v -- '--.*--' | sed 's/.*crmscm--\(.*\)\.sql/\1/' \
	| sort -V | head -1)
[ "$oldest" = "$default" ] && oldest=
up=crmscm_upgraded fresh=crmscm_fresh warn=crmscm_upgrade_warn
tmp=$(mktemp -d /tmp/crmscm-upgrade.XXXXXX)
cleanup() {
	dropdb --if-exists "$up" 2>/dev/null; dropdb --if-exists "$fresh" 2>/dev/null; dropdb --if-exists "$warn" 2>/dev/null
	psql -qX -d postgres -c 'DROP ROLE IF EXISTS crmscm_upgrade_admin' >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
q() { psql -qXAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
schema_dump() {	# normalized schema of crmscm in database $1
	pg_dump --schema-only --binary-upgrade -d "$1" \
		| grep -v -e '^--' -e '^$' -e 'binary_upgrade_set_next' -e '^\\restrict' -e '^\\unrestrict' \
		          -e '^SET ' -e "set_config('search_path'" -e 'pg_catalog.setval(' \
		| sed -E "s/'\{[0-9,]*\}'/'{oids}'/g; s/oid = '[0-9]+'/oid = 'N'/g; s/[0-9]+::pg_catalog.oid/N::pg_catalog.oid/g"
}
snapshot() {	# one line per table: name, row count, hash of the rows (the columns of the first snapshot)
	[ -f "$tmp/snap.sql" ] || q "$1" "SELECT format('SELECT %L || '' '' || count(*) || '' '' || coalesce(md5(string_agg(r::text, ''|'' ORDER BY r::text)), ''-'') FROM (SELECT %s FROM crmscm.%I) r;',
			c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum), c.relname)
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'r'
		  AND c.relname <> 'customer_lifetime'	-- derived: the 0.1.0 -> 0.2.0 step recounts it (see there)
		GROUP BY c.relname ORDER BY c.relname" >"$tmp/snap.sql"
	psql -qXAt -v ON_ERROR_STOP=1 -d "$1" -f "$tmp/snap.sql"
}
fill() {	# sample data of two tenants in the tables of the order model, doc/orders.md (present since 0.1.0)
	psql -qX -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
SET client_min_messages = warning;
DO $$
DECLARE t int;
BEGIN
	FOR t IN 1..2 LOOP
		PERFORM set_config('crmscm.tenant_id', t::text, true);
		INSERT INTO crmscm.items (item_id, sku, name, unit_price) SELECT t * 100 + i, 'SKU' || i, 'item ' || i, i FROM generate_series(1, 10) i;
		INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (t * 100 + 1, 'wh', '(52.52,13.405)');
		INSERT INTO crmscm.customers (customer_id, name, location) SELECT t * 100 + i, 'c' || i, '(48.85,2.35)' FROM generate_series(1, 10) i;
		INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) SELECT t * 100 + i, t * 100 + 1, 10, 'receipt' FROM generate_series(1, 10) i;
		INSERT INTO crmscm.sales_orders (order_id, customer_id, status) SELECT t * 100 + i, t * 100 + i, 'closed' FROM generate_series(1, 10) i;
		INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, status, qty_shipped)
			SELECT t * 100 + i, 1, t * 100 + i, 2, 'shipped', 2 FROM generate_series(1, 10) i;
		INSERT INTO crmscm.purchase_orders (po_id, supplier) VALUES (t * 100 + 1, 's');
		INSERT INTO crmscm.purchase_order_lines (po_id, line_no, item_id, warehouse_id, qty) VALUES (t * 100 + 1, 1, t * 100 + 1, t * 100 + 1, 3);
	END LOOP;
END $$;
SQL
}

tamper() {	# as a login member of crmscm_admin, which owns the views in 0.2.0
	# (and may create schemas: a database where PUBLIC has CREATE)
	psql -qX -d "$1" -c 'SET client_min_messages = warning' -c 'DROP ROLE IF EXISTS crmscm_upgrade_admin' \
		-c 'CREATE ROLE crmscm_upgrade_admin LOGIN IN ROLE crmscm_admin' -c "GRANT CREATE ON DATABASE $1 TO crmscm_upgrade_admin" >/dev/null
	psql -qX -v ON_ERROR_STOP=1 -U crmscm_upgrade_admin -d "$1" 2>&1 >/dev/null <<'SQL' | sed 's/^/# tamper: /'
SET crmscm.tenant_id = 1;
CREATE RULE tampered AS ON INSERT TO crmscm.customer_360 DO INSTEAD NOTHING;
ALTER VIEW crmscm.inventory_position ALTER COLUMN on_hand SET DEFAULT 42;
GRANT SELECT ON crmscm.customer_purchases TO PUBLIC;
CREATE SCHEMA tampered;
ALTER VIEW crmscm.backorder_queue SET SCHEMA tampered;
SQL
	return "${PIPESTATUS[0]}"
}

echo "1..11"
createdb "$up" && createdb "$fresh" || { echo "not ok 1 - createdb"; exit 1; }
if [ -n "$oldest" ]; then
	q "$up" "CREATE EXTENSION crmscm VERSION '$oldest'" >/dev/null
	ok $? "install the oldest released version $oldest"
else
	q "$up" "CREATE EXTENSION crmscm" >/dev/null
	ok $? "install $default: no frozen older version in upgrade/, the chain is trivially at head"
fi
fill "$up"; snapshot "$up" >"$tmp/before"
[ "$(awk '$2 > 0' "$tmp/before" | wc -l)" -ge 8 ]
ok $? "sample data of two tenants in $(awk '$2 > 0' "$tmp/before" | wc -l) tables"

path=$(q "$up" "SELECT path FROM pg_extension_update_paths('crmscm') WHERE source = '${oldest:-$default}' AND target = '$default'")
steps=$(tr -s '-' ' ' <<<"$path" | cut -d' ' -f2-)
rc=0
if [ -n "$oldest" ]; then
	tampered=no
	for v in $steps; do
		q "$up" "ALTER EXTENSION crmscm UPDATE TO '$v'" >/dev/null 2>"$tmp/step-$v.err" \
			|| { rc=1; echo "# step to $v failed"; sed 's/^/# /' "$tmp/step-$v.err"; break; }
		if [ "$v" = 0.2.0 ]; then tamper "$up" && tampered=yes; fi
	done
	ok $rc "ALTER EXTENSION crmscm UPDATE step by step: ${path:-no path from $oldest to $default} (views tampered with at 0.2.0: $tampered)"
else
	q "$up" "ALTER EXTENSION crmscm UPDATE" >/dev/null 2>&1; rc=$?
	ok $rc "ALTER EXTENSION crmscm UPDATE at head ($default) is a no-op"
fi
[ "$(q "$up" "SELECT extversion FROM pg_extension WHERE extname = 'crmscm'")" = "$default" ]
ok $? "extension is at default_version $default"

snapshot "$up" >"$tmp/after"
diff "$tmp/before" "$tmp/after" >"$tmp/data.diff"
ok $? "every row of every table survived the upgrade ($(wc -l <"$tmp/before") tables compared)"
sed 's/^/# /' "$tmp/data.diff" | head -10

q "$fresh" "CREATE EXTENSION crmscm" >/dev/null
# the tampering admin's own schema, which must be empty now (RESTRICT)
q "$up" "DROP SCHEMA IF EXISTS tampered" >/dev/null
schema_dump "$up" >"$tmp/up.sql"; schema_dump "$fresh" >"$tmp/fresh.sql"
diff "$tmp/fresh.sql" "$tmp/up.sql" >"$tmp/schema.diff"
[ $? -eq 0 ] && [ "$(grep -c 'ALTER EXTENSION crmscm ADD' "$tmp/fresh.sql")" -gt 50 ]
ok $? "upgraded schema equals a fresh install of $default ($(grep -c 'ALTER EXTENSION crmscm ADD' "$tmp/fresh.sql") member objects, grants and policies compared)"
sed 's/^/# /' "$tmp/schema.diff" | head -20
# control: the comparison sees a schema drift (a column an upgrade step forgot)
q "$up" "ALTER TABLE crmscm.items ALTER COLUMN holding_rate SET DEFAULT 0.2" >/dev/null
schema_dump "$up" | diff -q "$tmp/fresh.sql" - >/dev/null
[ $? -eq 1 ]; ok $? "control: a changed column default makes the schemas differ"

# the upgraded data keeps working: orders booked after the upgrade (the
# bookkeeping tables new in 0.2.0 were back-filled by the step) leave
# customer_lifetime equal to the recount from customer_purchases
psql -qX -v ON_ERROR_STOP=1 -d "$up" >/dev/null <<'SQL'
SET client_min_messages = warning;
SET crmscm.tenant_id = 1;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ordered_at) VALUES (900, 101, 'closed', now() + interval '1 day');
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped) VALUES (900, 1, 101, 3, 7, 'shipped', 3);
UPDATE crmscm.sales_order_lines SET unit_price = 5 WHERE order_id = 102;
SQL
# (the reference per tenant: customer_purchases, like every view, shows the
# session's tenant only)
nd=0
for t in 1 2; do
	nd=$((nd + $(q "$up" "SET crmscm.tenant_id = $t; SELECT count(*) FROM crmscm.customers c
	LEFT JOIN crmscm.customer_lifetime cl USING (tenant_id, customer_id)
	LEFT JOIN (SELECT p.tenant_id, p.customer_id, count(*)::int AS orders, count(DISTINCT p.purchase_day)::int AS days,
					  sum(p.amount) AS revenue FROM crmscm.customer_purchases p GROUP BY 1, 2) x USING (tenant_id, customer_id)
	WHERE (coalesce(cl.orders, 0), coalesce(cl.order_days, 0), coalesce(cl.revenue, 0))
		  IS DISTINCT FROM (coalesce(x.orders, 0), coalesce(x.days, 0), coalesce(x.revenue, 0))
	  AND c.tenant_id = crmscm.current_tenant()")))
done
r=$(q "$up" "SELECT revenue FROM crmscm.customer_lifetime WHERE tenant_id = 1 AND customer_id = 101")
[ "$nd" = 0 ] && [ "$r" = 21 ]
ok $? "after the upgrade, new orders keep customer_lifetime equal to the recount (customer 101: revenue ${r:-?}, expected 3 * 7 = 21; $nd rows differ)"

# 0.3.0 has no default tenant: the step warns where the database has no
# setting (the chain above), and not where it has one
if [ -f "$tmp/step-0.3.0.err" ]; then
	grep -q 'crmscm 0.3.0 no longer assumes tenant 1: database crmscm_upgraded has no crmscm.tenant_id setting' "$tmp/step-0.3.0.err" \
		&& grep -q "ALTER DATABASE crmscm_upgraded SET crmscm.tenant_id = 1" "$tmp/step-0.3.0.err"
	ok $? "the step to 0.3.0 warns that the database has no crmscm.tenant_id setting, with the ALTER DATABASE hint"
	createdb "$warn" && q "$warn" "CREATE EXTENSION crmscm VERSION '0.2.0'" >/dev/null \
		&& q "$warn" "ALTER DATABASE $warn SET crmscm.tenant_id = 1" \
		&& q "$warn" "ALTER EXTENSION crmscm UPDATE TO '0.3.0'" >/dev/null 2>"$tmp/warn.err"
	rc=$?
	! grep -q 'no longer assumes tenant 1' "$tmp/warn.err" && [ $rc -eq 0 ]
	ok $? "... and not when the database sets it"
else
	ok 0 "# SKIP the chain did not pass 0.2.0 -> 0.3.0"
	ok 0 "# SKIP the chain did not pass 0.2.0 -> 0.3.0"
fi
[ "$(q "$up" "SELECT count(*) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
	WHERE c.relnamespace = 'crmscm'::regnamespace AND r.rulename <> '_RETURN'")" = 0 ] \
	&& [ "$(q "$up" "SELECT count(*) FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e' WHERE c.relname = 'backorder_queue' AND c.relnamespace <> 'crmscm'::regnamespace")" = 0 ] \
	&& [ "$(q "$up" "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v'
		AND (c.relowner <> (SELECT extowner FROM pg_extension WHERE extname = 'crmscm') OR has_table_privilege('public', c.oid, 'SELECT'))")" = 0 ]
ok $? "after the upgrade no view keeps what crmscm_admin did to it at 0.2.0 (rule, view moved to its schema, grant) or its owner"
exit $fail
