#!/usr/bin/env bash
# No function over 150 lines without a reason in its comment (#19): every C
# function of src/*.c and src/core/*.c and every SQL/PL function of
# src/sql/*.sql longer than that has a "Length:" line in the comment above
# it saying why it stays whole (tools/long_functions.sh; no database).
# Controls first: the tool must flag a long C and a long SQL function that
# give no reason, and accept them with one.  TAP.
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d /tmp/crmscm-fnlen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
body() { for i in $(seq 1 160); do echo "$1"; done; }
{ echo 'static int'; echo 'long_c(int x)'; echo '{'; body '	x++;'; echo '	return x;'; echo '}'; } > "$tmp/bare.c"
{ echo '/*'; echo ' * Length: a control.'; echo ' */'; cat "$tmp/bare.c"; } > "$tmp/why.c"
{ echo 'CREATE OR REPLACE FUNCTION @extschema@.long_sql() RETURNS int LANGUAGE plpgsql AS $$'
  echo 'BEGIN'; body '	PERFORM 1;'; echo '	RETURN 1;'; echo 'END $$;'; } > "$tmp/bare.sql"
{ echo '-- Length: a control.'; cat "$tmp/bare.sql"; } > "$tmp/why.sql"
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
echo "# controls"
out=$(tools/long_functions.sh "$tmp/bare.c" "$tmp/bare.sql"); rc=$?
[ $rc -eq 1 ] && grep -q 'long_c' <<<"$out" && grep -q 'long_sql' <<<"$out"
ok $? "control: a 165-line C function and a 165-line SQL function without a reason are flagged"
tools/long_functions.sh "$tmp/why.c" "$tmp/why.sql" >/dev/null
ok $? "control: with a 'Length:' line above them they pass"
echo "# the sources"
out=$(tools/long_functions.sh --tap)
rc=$?
sed 's/^/#   /' <<<"$out"
ok $rc "no function of src/ over 150 lines without a 'Length:' reason"
echo "1..$n"
exit $fail
