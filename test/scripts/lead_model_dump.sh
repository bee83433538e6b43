#!/usr/bin/env bash
# crmscm.lead_model is dumpable and restorable: binary COPY and pg_dump /
# pg_restore round-trip a stored model bit for bit (issue #4).  Runs inside
# the test cluster (PGHOST etc. set), prints TAP.
set -uo pipefail
db=crmscm_lead_dump
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; dropdb --if-exists $db 2>/dev/null; dropdb --if-exists ${db}_restored 2>/dev/null' EXIT
dropdb --if-exists $db 2>/dev/null
createdb $db || { echo "not ok 1 - createdb"; exit 1; }
psql -qX -d $db -c "ALTER DATABASE $db SET crmscm.tenant_id = 1" >/dev/null	# one tenant (no default)
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$@"; }
n=0
check() {	# check NAME CONDITION-EXIT-STATUS
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}

q $db -c "CREATE EXTENSION crmscm" 2>&1
q $db <<'SQL' >/dev/null
SET client_min_messages = warning;
INSERT INTO crmscm.leads (lead_id, name, stage, features)
SELECT g, 'lead ' || g, CASE WHEN (g * 7) % 5 < 2 THEN 'won' ELSE 'lost' END,
       ARRAY[g % 7, (g * 13) % 11 / 3.0, 1, g % 7]::float8[]
  FROM generate_series(1, 200) g;
SELECT crmscm.lead_model_train('dump test', ARRAY['a', 'b', 'constant', 'copy of a']);
CREATE TABLE models_copy (id int, m crmscm.lead_model);
INSERT INTO models_copy SELECT 1, model FROM crmscm.lead_models;
SQL
orig=$(q $db -c "SELECT model::text FROM crmscm.lead_models")
[ -n "$orig" ]; check "a model with dropped features is stored" $?

# binary COPY out and back in
q $db -c "\\copy models_copy TO '$tmp/models.bin' WITH (FORMAT binary)"
q $db -c "CREATE TABLE models_back (id int, m crmscm.lead_model)"
q $db -c "\\copy models_back FROM '$tmp/models.bin' WITH (FORMAT binary)"
back=$(q $db -c "SELECT m::text FROM models_back")
[ "$back" = "$orig" ]; check "binary COPY (send/recv) round-trips the model exactly" $?
same=$(q $db -c "SELECT crmscm.lead_model_std_err(a.m) IS NOT DISTINCT FROM crmscm.lead_model_std_err(b.m)
                   AND crmscm.lead_model_condition_number(a.m) = crmscm.lead_model_condition_number(b.m)
                 FROM models_copy a, models_back b")
[ "$same" = "t" ]; check "binary round trip keeps std errors (NULL where dropped) and diagnostics" $?

# a corrupted binary value is rejected with a clean error, not a crash
printf 'PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0\0\2\0\0\0\4\0\0\0\1\0\0\0\4\0\0\3\351' > "$tmp/bad.bin"
printf '\377\377' >> "$tmp/bad.bin"
err=$(q $db -c "\\copy models_back FROM '$tmp/bad.bin' WITH (FORMAT binary)" 2>&1)
echo "$err" | grep -q "invalid number of features in external lead_model value: 1001"; check "binary input rejects 1001 features" $?

# pg_dump of the extension's tables and the user's table, restored elsewhere
pg_dump -Fc -d $db -f "$tmp/db.dump"; check "pg_dump succeeds" $?
createdb ${db}_restored
psql -qX -d ${db}_restored -c "ALTER DATABASE ${db}_restored SET crmscm.tenant_id = 1" >/dev/null
pg_restore -d ${db}_restored "$tmp/db.dump" 2>"$tmp/restore.err"; check "pg_restore succeeds" $?
r1=$(q ${db}_restored -c "SELECT model::text FROM crmscm.lead_models")
r2=$(q ${db}_restored -c "SELECT m::text FROM models_copy")
[ "$r1" = "$orig" ] && [ "$r2" = "$orig" ]; check "restored models (extension table and user table) are identical" $?
s1=$(q $db -c "SELECT round(crmscm.lead_score(model, ARRAY[3, 2, 1, 3])::numeric, 15) FROM crmscm.lead_models")
s2=$(q ${db}_restored -c "SELECT round(crmscm.lead_score(model, ARRAY[3, 2, 1, 3])::numeric, 15) FROM crmscm.lead_models")
[ -n "$s1" ] && [ "$s1" = "$s2" ]; check "restored model scores the same" $?

# a long fit honours statement_timeout (the Newton passes poll for interrupts)
# and leaves a working session behind
err=$(q $db -c "SET statement_timeout = '300ms'" \
	-c "SELECT crmscm.lead_model_fit(g % 3 = 0, ARRAY[g % 7, g % 11, g % 13, g % 17, g % 19]::float8[]) FROM generate_series(1, 3000000) g" 2>&1)
echo "$err" | grep -q "canceling statement due to statement timeout"; check "a long fit is cancelled cleanly by statement_timeout" $?
[ "$(q $db -c "SELECT 1")" = "1" ]; check "the server is fine after the cancel" $?
echo "1..$n"
