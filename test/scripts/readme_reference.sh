#!/usr/bin/env bash
# The README's Reference section against the catalog (TAP).  Issue #19: every
# public SQL object appears in the Reference, as test/scripts/security_lint.sh
# holds every function to its rights.
#
# The Reference (README, from "## Reference" to the next "## " heading) is a
# set of tables whose rows read
#     | `name(args)`, `other(args)` | kind[, kind] | since | description |
# kind is one of function, aggregate, type, view, table, setting; a row may
# name several objects (overloads, a family); since starts with the version
# that added the first of them ("0.1.0; `ship(tenant, ...)` 0.3.0").
#
# Public, and so required in the Reference, is every member of the extension
# (pg_depend deptype 'e' on crmscm, in a fresh install of default_version):
#   functions and aggregates, except
#     (a) names starting with '_' (apply_security() lets nobody call them,
#         or they are pure helpers of crmscm's own SQL);
#     (b) support functions: the input/output/send/receive functions of a
#         type, the transition/final/combine/serial functions of an
#         aggregate, the functions behind an operator or an operator class;
#         the Reference documents the type, aggregate or operator instead;
#     (c) functions no role but the extension owner may EXECUTE (not PUBLIC,
#         crmscm_reader, crmscm_writer, crmscm_admin, crmscm_master_data):
#         trigger functions and apply_security()'s internal_functions.  The
#         owner's own API (apply_security(), distribute()) is in the
#         Reference anyway; a row for such a function must still exist;
#   types, views and tables, except names starting with '_' and, for
#     relations, those no crmscm_* group role may SELECT;
#   settings: every crmscm.* row of pg_settings after LOAD 'crmscm'.
# Every name in the Reference must exist: as such a member, or, for a
# setting that the library does not register (a placeholder read with
# current_setting(name, true)), read by the extension's own SQL: the
# installed source of a function or view contains 'crmscm.NAME', or
# 'crmscm.PREFIX' and 'SUFFIX' as literals where NAME = PREFIX || SUFFIX
# (crmscm.delivery_setting('speed_kmh', ...) reads crmscm.delivery_speed_kmh).
# The since column: its first version must be the first released version
# whose fresh install (frozen upgrade/crmscm--X.Y.Z.sql, then default_version)
# has one of the row's objects; for settings, whose install script mentions
# it (C-registered settings: default_version).
# Check 7 holds the README's "where each capability lives" table to the tree:
# every file it names exists (bare NNN_name.sql under src/sql/), and every
# src/*.c, src/core/*.c and src/sql/*.sql is named in it.
# Failures list the names, so a branch that adds objects learns which rows
# it still owes.
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
readme=${README:-README.md}
default=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" crmscm.control)
frozen=$(ls upgrade/crmscm--*.sql 2>/dev/null | grep -v -- '--.*--' | sed 's/.*crmscm--\(.*\)\.sql/\1/' | sort -V)
versions=$(printf '%s\n' $frozen "$default" | awk '!seen[$0]++')
db=crmscm_readme_ref
tmp=$(mktemp -d /tmp/crmscm-readme-ref.XXXXXX)
cleanup() {
	for v in $versions; do dropdb --if-exists "${db}_${v//./_}" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0 fail=0
ok() {			# $1 = 0 when it holds, $2 = description, $3 = offenders (one a line)
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
	[ -n "${3:-}" ] && sed 's/^/#   /' <<<"$3"
	return 0
}
echo "1..7"

# ---- the Reference rows: row<TAB>kind<TAB>name<TAB>since (first version of the row)
parse_reference() {	# $1 = README file
	awk '
	/^## / { inref = ($0 ~ /^## Reference[[:space:]]*$/); next }
	!inref || !/^\|/ { next }
	{
		n = split($0, c, "|")
		if (n < 5) next
		kinds = c[3]; gsub(/[[:space:]]/, "", kinds)
		if (kinds !~ /^(function|aggregate|type|view|table|setting)(,(function|aggregate|type|view|table|setting))*$/) next
		row++
		since = c[4]
		if (match(since, /[0-9]+\.[0-9]+\.[0-9]+/)) since = substr(since, RSTART, RLENGTH); else since = "?"
		cell = c[2]
		while (match(cell, /`[^`]+`/)) {
			name = substr(cell, RSTART + 1, RLENGTH - 2)
			cell = substr(cell, RSTART + RLENGTH)
			if (kinds ~ /setting/) { sub(/[[:space:]].*/, "", name) }
			else { sub(/^crmscm\./, "", name); sub(/[( ].*/, "", name) }
			if (name == "") continue
			nk = split(kinds, k, ",")
			for (i = 1; i <= nk; i++) print row "\t" k[i] "\t" name "\t" since
		}
	}' "$1"
}
parse_reference "$readme" >"$tmp/readme.tsv"
rows=$(cut -f2,3 "$tmp/readme.tsv" | sort -u | wc -l)
[ "$rows" -gt 0 ]; ok $? "the README has a Reference section with object rows ($rows names)" \
	"$([ "$rows" -gt 0 ] || echo "no rows of the form | \`name\` | kind | since | description | under ## Reference in $readme")"

# ---- the catalog of each version: kind<TAB>name, public objects only
catalog_sql="
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'crmscm'),
mem AS (SELECT d.classid, d.objid FROM pg_depend d, ext
		WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
roles AS (SELECT 0::oid AS r UNION ALL SELECT oid FROM pg_roles
		  WHERE rolname IN ('crmscm_reader', 'crmscm_writer', 'crmscm_admin', 'crmscm_master_data')),
support AS (
	SELECT unnest(ARRAY[aggtransfn, aggfinalfn, aggcombinefn, aggserialfn, aggdeserialfn,
						aggmtransfn, aggminvtransfn, aggmfinalfn])::oid AS f FROM pg_aggregate
	UNION ALL SELECT unnest(ARRAY[typinput, typoutput, typreceive, typsend, typmodin, typmodout, typanalyze])::oid FROM pg_type
	UNION ALL SELECT unnest(ARRAY[oprcode, oprrest, oprjoin])::oid FROM pg_operator
	UNION ALL SELECT amproc FROM pg_amproc)
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'function' END, p.proname
FROM mem JOIN pg_proc p ON mem.classid = 'pg_proc'::regclass AND p.oid = mem.objid
WHERE p.proname !~ '^_'
  AND p.oid NOT IN (SELECT f FROM support WHERE f <> 0)
  AND EXISTS (SELECT FROM roles, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
			  WHERE a.grantee = roles.r AND a.privilege_type = 'EXECUTE')
UNION
SELECT 'type', t.typname FROM mem JOIN pg_type t ON mem.classid = 'pg_type'::regclass AND t.oid = mem.objid
WHERE t.typname !~ '^_'
UNION
SELECT CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END, c.relname
FROM mem JOIN pg_class c ON mem.classid = 'pg_class'::regclass AND c.oid = mem.objid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname !~ '^_'
  AND EXISTS (SELECT FROM roles, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
			  WHERE a.grantee = roles.r AND a.privilege_type = 'SELECT')
"
# every member of the extension with a name (for 'every name in the Reference exists')
members_sql="
WITH mem AS (SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
			 WHERE e.extname = 'crmscm' AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e')
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'function' END, p.proname
FROM mem JOIN pg_proc p ON mem.classid = 'pg_proc'::regclass AND p.oid = mem.objid
UNION SELECT 'type', t.typname FROM mem JOIN pg_type t ON mem.classid = 'pg_type'::regclass AND t.oid = mem.objid
UNION SELECT CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END, c.relname
FROM mem JOIN pg_class c ON mem.classid = 'pg_class'::regclass AND c.oid = mem.objid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
installed=1
for v in $versions; do
	d="${db}_${v//./_}"
	dropdb --if-exists "$d" 2>/dev/null
	if ! { createdb "$d" && psql -qX -v ON_ERROR_STOP=1 -d "$d" -c "CREATE EXTENSION crmscm VERSION '$v'" >/dev/null 2>"$tmp/err"; }; then
		installed=0; echo "# CREATE EXTENSION crmscm VERSION '$v': $(cat "$tmp/err")"; continue
	fi
	psql -qXAt -F $'\t' -v ON_ERROR_STOP=1 -d "$d" -c "$members_sql" | sort -u | sed "s/\$/\t$v/" >"$tmp/members-$v.tsv"
done
ok $((1 - installed)) "fresh installs of every released version and of $default: $(echo $versions)"
cur="${db}_${default//./_}"
psql -qXAt -F $'\t' -v ON_ERROR_STOP=1 -d "$cur" -c "$catalog_sql" | sort -u >"$tmp/public.tsv"
psql -qXAt -v ON_ERROR_STOP=1 -d "$cur" -c "LOAD 'crmscm'; SELECT 'setting' || chr(9) || name FROM pg_settings WHERE name LIKE 'crmscm.%'" \
	| sort -u >"$tmp/settings.tsv"
sort -u -o "$tmp/public.tsv" "$tmp/public.tsv" "$tmp/settings.tsv"

# ---- 3. every public object has a row
missing_from() {	# $1 = parsed Reference: public objects without a row, "kind name"
	cut -f2,3 "$1" | sort -u | comm -23 "$tmp/public.tsv" - | tr '\t' ' '
}
missing=$(missing_from "$tmp/readme.tsv")
[ -z "$missing" ]; ok $? "every public function, aggregate, type, view, table and crmscm.* setting of $default is in the README's Reference" \
	"$([ -n "$missing" ] && echo "missing from the Reference (kind name):"; echo "$missing")"

# ---- 4. every name in the Reference exists
sort -u "$tmp/members-$default.tsv" | cut -f1,2 >"$tmp/members.tsv"
# placeholder settings read by the extension's SQL: the text of its functions and views
psql -qXAt -v ON_ERROR_STOP=1 -d "$cur" -c "
	SELECT p.prosrc FROM pg_proc p WHERE p.pronamespace = 'crmscm'::regnamespace
	UNION ALL SELECT pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'v'" \
	>"$tmp/sqltext"
unknown=
while IFS=$'\t' read -r row kind name since; do
	if [ "$kind" = setting ]; then
		grep -qxF "setting	$name" "$tmp/settings.tsv" && continue
		grep -qF "'$name'" "$tmp/sqltext" && continue
		found=0 pre=${name%_*}
		while [ "$pre" != "$name" ] && [ -n "$pre" ]; do	# crmscm.delivery_ || 'speed_kmh'
			suf=${name#"$pre"_}
			if grep -qF "'${pre}_'" "$tmp/sqltext" && grep -qF "'$suf'" "$tmp/sqltext"; then found=1; break; fi
			[ "${pre%_*}" = "$pre" ] && break
			pre=${pre%_*}
		done
		[ $found -eq 1 ] && continue
	else
		grep -qxF "$kind	$name" "$tmp/members.tsv" && continue
	fi
	unknown+="$kind $name"$'\n'
done <"$tmp/readme.tsv"
unknown=${unknown%$'\n'}
[ -z "$unknown" ]; ok $? "every name in the README's Reference is an object of $default" \
	"$([ -n "$unknown" ] && echo "in the Reference but not in the catalog (kind name):"; echo "$unknown")"

# ---- 5. since: per row, the first version whose install has one of its names
cat "$tmp"/members-*.tsv >"$tmp/allmembers.tsv"
while IFS=$'\t' read -r row kind name since; do
	first=
	if [ "$kind" = setting ]; then
		for v in $versions; do
			f=upgrade/crmscm--$v.sql
			if [ -f "$f" ] && grep -qF "$name" "$f"; then first=$v; break; fi
		done
		first=${first:-$default}
	else
		for v in $versions; do
			if grep -qxF "$kind	$name	$v" "$tmp/allmembers.tsv"; then first=$v; break; fi
		done
	fi
	[ -n "$first" ] && printf '%s\t%s\t%s\t%s\n' "$row" "$since" "$first" "$kind $name"
done <"$tmp/readme.tsv" >"$tmp/since.tsv"
wrong=$(sort -t$'\t' -k1,1n -k3,3V "$tmp/since.tsv" | awk -F'\t' '
	$1 != last { last = $1; if ($2 != $3) print $4 ": README says " $2 ", first in " $3 }')
[ -z "$wrong" ]; ok $? "each Reference row's since is the first released version that has its objects" \
	"$([ -n "$wrong" ] && echo "$wrong")"

# ---- 6. the check catches a missing row: the same comparison against a copy of
# the README without the row of one public function must name that function
victim=$(grep -m1 -P '^function\t' "$tmp/public.tsv" | cut -f2)
if [ -n "$victim" ]; then
	awk -v v="$victim" '/^## / { inref = ($0 ~ /^## Reference[[:space:]]*$/) }
		inref && /^\|/ && (index($0, "`" v "(") || index($0, "`" v "`")) { next } { print }' "$readme" >"$tmp/README.cut"
	parse_reference "$tmp/README.cut" >"$tmp/cut.tsv"
	out=$(missing_from "$tmp/cut.tsv")
	grep -qxF "function $victim" <<<"$out"
	ok $? "self-check: without the row of $victim() the comparison fails and names it" \
		"$(grep -qxF "function $victim" <<<"$out" || echo "got: $out")"
else
	ok 1 "self-check: no public function found"
fi
# ---- 7. the table of where each capability lives names the files of the tree
awk '/^Where each capability lives/ { on = 1; next } on && /^\|/ { print; next } on && NF { exit }' "$readme" \
	| grep -o '`[^`]*\.[ch]`\|`[^`]*\.sql`' | tr -d '`' | sed -E 's|^([0-9]{3}_[^/]*\.sql)$|src/sql/\1|' | sort -u >"$tmp/layout"
if [ ! -s "$tmp/layout" ]; then
	ok 1 "the README has the table of where each capability lives" "no table after the line 'Where each capability lives'"
else
	gone=$(while read -r f; do [ -e "$f" ] || echo "$f"; done <"$tmp/layout")
	unnamed=$(ls src/*.c src/core/*.c src/sql/*.sql | sort | comm -23 - "$tmp/layout")
	[ -z "$gone$unnamed" ]; ok $? "the README's table of where each capability lives names every src/*.c, src/core/*.c and src/sql/*.sql, and only files that exist" \
		"$([ -n "$gone" ] && echo "named but not in the tree:" && echo "$gone"; [ -n "$unnamed" ] && echo "in the tree but not in the table:" && echo "$unnamed")"
fi
exit $fail
