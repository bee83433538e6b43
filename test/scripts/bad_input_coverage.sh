#!/usr/bin/env bash
# doc/robustness.md / issue #8: every public function has at least one bad-input
# test expecting a specific SQLSTATE.  Lists every function of schema crmscm
# that takes an argument of a built-in type (numbers, arrays, text...) and
# whose name appears in no throws_ok / throws_like / throws_matching call of
# test/pgtap/*.sql (TAP, one line): either called within the 3 lines from
# the throws_* call, or schema-qualified in a throws_* statement over a
# VALUES list of queries (see below).  Exempt: functions whose arguments are
# all crmscm types (their bad input is the type's input, tested with the
# type), type I/O and operator/opclass support functions, trigger
# functions, aggregates' support functions (tested through the aggregate),
# and the underscore-prefixed internals of the order model (not API: PUBLIC
# cannot execute them, test/pgtap/bad_input.sql; their bad input is tested
# through the triggers that call them, test/pgtap/orders.sql).
set -uo pipefail
db=crmscm_coverage
dropdb --if-exists "$db" 2>/dev/null; createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
trap 'dropdb --if-exists "$db" 2>/dev/null' EXIT
psql -qX -d "$db" -c 'CREATE EXTENSION crmscm' >/dev/null || { echo "not ok 1 - CREATE EXTENSION"; exit 1; }
names=$(psql -qXAt -d "$db" <<'SQL'
SELECT DISTINCT p.proname FROM pg_proc p
WHERE p.pronamespace = 'crmscm'::regnamespace
  AND p.proname !~ '^_'
  AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
  AND EXISTS (SELECT FROM unnest(p.proargtypes::oid[]) a
              WHERE a NOT IN (SELECT t.oid FROM pg_type t WHERE t.typnamespace = 'crmscm'::regnamespace))
  AND NOT EXISTS (SELECT FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend,
                  t.typmodin, t.typmodout, t.typanalyze))
  AND NOT EXISTS (SELECT FROM pg_operator o WHERE p.oid IN (o.oprcode, o.oprrest, o.oprjoin))
  AND NOT EXISTS (SELECT FROM pg_amproc a WHERE a.amproc = p.oid)
  AND NOT EXISTS (SELECT FROM pg_aggregate g WHERE p.oid IN (g.aggtransfn, g.aggfinalfn, g.aggcombinefn,
                  g.aggserialfn, g.aggdeserialfn, g.aggmtransfn, g.aggminvtransfn, g.aggmfinalfn))
ORDER BY 1
SQL
)
missing=()
# (1) a throws_* call whose next 3 lines call name(...)
throws=$(grep -hE "throws_(ok|like|matching|ilike|imatching)" -A3 test/pgtap/*.sql 2>/dev/null)
# (2) the table-driven style: one SELECT throws_*(q, ...) statement over a
# VALUES list of queries, e.g.
#   SELECT throws_ok(q, code, msg, ...) FROM (VALUES ('SELECT crmscm.eoq(-1, 8, 1)', '22023', ...), ...) v(q, code, msg);
# Every statement (up to the ';' ending a line) that starts with a throws_*
# call and holds a VALUES list; a function counts only when called
# schema-qualified inside it (crmscm.name(...)), as the queries of such lists are.
listed=$(perl -0777 -ne 'while (/^\s*SELECT\s+throws_(?:ok|like|matching|ilike|imatching)\b.*?;[ \t]*$/msg) {
		my $st = $&; print $st, "\n" if $st =~ /\bVALUES\b/i }' test/pgtap/*.sql 2>/dev/null)
for f in $names; do
	grep -qE "\b$f\s*\(" <<<"$throws" && continue
	grep -qE "\bcrmscm\.$f\s*\(" <<<"$listed" && continue
	missing+=("$f")
done
echo "1..1"
if [ ${#missing[@]} -eq 0 ]; then
	echo "ok 1 - every crmscm function with built-in argument types has a bad-input test ($(wc -w <<<"$names") functions)"
else
	echo "not ok 1 - crmscm functions without a bad-input test (throws_ok & co. in test/pgtap): ${missing[*]}"
	exit 1
fi
