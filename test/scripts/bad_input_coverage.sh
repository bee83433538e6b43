#!/usr/bin/env bash
# SPEC §10 / issue #8: every public function has at least one bad-input
# test expecting a specific SQLSTATE.  Lists every function of schema crmscm
# that takes an argument of a built-in type (numbers, arrays, text...) and
# whose name appears in no throws_ok / throws_like / throws_matching call of
# test/pgtap/*.sql (TAP, one line).  Exempt: functions whose arguments are
# all crmscm types (their bad input is the type's input, tested with the
# type), type I/O and operator/opclass support functions, trigger
# functions, and aggregates' support functions (tested through the aggregate).
set -uo pipefail
db=crmscm_coverage
dropdb --if-exists "$db" 2>/dev/null; createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
trap 'dropdb --if-exists "$db" 2>/dev/null' EXIT
psql -qX -d "$db" -c 'CREATE EXTENSION crmscm' >/dev/null || { echo "not ok 1 - CREATE EXTENSION"; exit 1; }
names=$(psql -qXAt -d "$db" <<'SQL'
SELECT DISTINCT p.proname FROM pg_proc p
WHERE p.pronamespace = 'crmscm'::regnamespace
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
throws=$(grep -hE "throws_(ok|like|matching|ilike|imatching)" -A3 test/pgtap/*.sql 2>/dev/null)
for f in $names; do
	grep -qE "\b$f\s*\(" <<<"$throws" || missing+=("$f")
done
echo "1..1"
if [ ${#missing[@]} -eq 0 ]; then
	echo "ok 1 - every crmscm function with built-in argument types has a bad-input test ($(wc -w <<<"$names") functions)"
else
	echo "not ok 1 - crmscm functions without a bad-input test (throws_ok & co. in test/pgtap): ${missing[*]}"
	exit 1
fi
