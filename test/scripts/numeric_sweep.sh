#!/usr/bin/env bash
# Issue #13 / doc/robustness.md: a sweep of extreme values over every public numeric
# function and aggregate of schema crmscm, generated from the catalog so that
# new functions are covered.  Prints TAP, one line per function or aggregate.
#
# Every function of schema crmscm that a client can call (not underscore
# internals, trigger functions, type I/O, operator or aggregate support with
# internal arguments) and that takes a number, a number array or a crmscm
# composite of numbers is called
#   - once with a baseline: one value per argument, from test/scripts/
#     numeric_sweep.sql (by function and argument name, else by argument name,
#     else by type).  The baseline must succeed with a finite result, so a
#     new function whose arguments the table cannot fill fails here until a
#     baseline is added;
#   - once per numeric argument and extreme value: 0, +-5e-324, +-1e308, NaN,
#     +-Infinity for float8 and numeric, 0, -1 and the extremes of the range
#     for integers (huge counts), an extreme element in an array, an empty
#     and a one-element array, an extreme field of a composite (model
#     parameters), infinite dates and timestamps;
# aggregates over the baseline rows plus one extreme row, over no rows and
# over one row.  Each call must return a finite value (no NaN or Infinity
# anywhere in its text) or NULL, or fail with SQLSTATE class 22, 23 or 54,
# within 1 s: statement_timeout is 1 s, and a call it cancels is a failure.
#
# Last, the slowest kernels at their size limits run under
# statement_timeout = 1s: each must be cancelled within 1.1 s of its start
# (the timeout honoured within 100 ms).
#
# The sessions set crmscm.tenant_id (current_tenant() may be fail-closed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=crmscm_sweep_$$
createdb "$db" || { echo "1..1"; echo "not ok 1 - createdb"; exit 1; }
work=$(mktemp -d /tmp/crmscm_sweep.XXXXXX)
trap 'dropdb --if-exists "$db" >/dev/null 2>&1; rm -rf "$work"' EXIT
psql_() { psql -qX -v ON_ERROR_STOP=1 -d "$db" "$@"; }
psql_ -c "ALTER DATABASE $db SET crmscm.tenant_id = '1'" >/dev/null
if ! psql_ -f "$here/numeric_sweep.sql" >"$work/setup.log" 2>&1; then
	echo "1..1"; echo "not ok 1 - sweep setup (test/scripts/numeric_sweep.sql)"; sed 's/^/# /' "$work/setup.log" | head -30
	exit 1
fi

# The calls: one line per case, "BEGIN; SELECT sweep.try(id, query); ROLLBACK;"
# (each case in its own transaction, rolled back: ship() and friends write)
psql_ -At -c "SELECT sweep.script()" >"$work/calls.sql" 2>"$work/gen.log" || {
	echo "1..1"; echo "not ok 1 - generate the calls"; sed 's/^/# /' "$work/gen.log"; exit 1; }
ncases=$(grep -c 'sweep.try' "$work/calls.sql")

# Run them in one session; a crash ends psql, and the next case is the culprit
{
	echo "SET client_min_messages = error;"
	echo "SET statement_timeout = '1s';"
	cat "$work/calls.sql"
} | psql -qXAt -d "$db" >"$work/out.txt" 2>"$work/err.txt"
rc=$?

# out.txt: id|fn|ok|ms|bad|text  or  id|fn|err|ms|sqlstate|message
awk -F'|' -v ncases="$ncases" -v rc="$rc" '
	$1 ~ /^[0-9]+$/ {
		id = $1; fn = $2; kind = $3; ms = $4; code = $5
		seen[id] = 1; last = (id > last ? id : last)
		if (!(fn in order)) { order[fn] = ++nf; names[nf] = fn }
		total[fn]++
		if (ms + 0 > maxms[fn] + 0) maxms[fn] = ms + 0
		if (ms + 0 > slowest + 0) { slowest = ms + 0; slowcase = $2 " with " $7 }
		why = ""
		if (kind == "ok") {
			if (code + 0 > 0) why = "non-finite result"
		} else if (kind == "err") {
			if (code == "57014") why = "cancelled by statement_timeout (ran over 1 s)"
			else if (code !~ /^(22|23|54)/) why = "SQLSTATE " code
		} else if (kind == "base") {
			if (code != "ok") why = "baseline failed: " code
		}
		if (why == "" && ms + 0 > 1000) why = "took " ms " ms"
		if (why != "") {
			bad[fn]++
			if (bad[fn] <= 6) detail[fn] = detail[fn] sprintf("#   case %s: %s: %s\n", id, why, $0)
		}
	}
	END {
		n = 0
		for (i = 1; i <= nf; i++) {
			fn = names[i]; n++
			if (bad[fn] == 0)
				printf "ok %d - %s: %d calls, each a finite value or a class 22/23/54 error within 1 s (slowest %d ms)\n", n, fn, total[fn], maxms[fn]
			else {
				printf "not ok %d - %s: %d of %d calls failed\n", n, fn, bad[fn], total[fn]
				printf "%s", detail[fn]
			}
		}
		n++
		if (rc == 0 && last == ncases)
			printf "ok %d - all %d cases ran, the server stayed up\n", n, ncases
		else
			printf "not ok %d - the run stopped after case %d of %d (psql exit %d): case %d crashed or hung the server\n", n, last, ncases, rc, last + 1
		printf "# slowest case: %d ms: %s\n", slowest, slowcase
		print n > "/dev/stderr"
	}' "$work/out.txt" 2>"$work/count" | tee "$work/tap"
t=$(cat "$work/count")
if [ "$rc" -ne 0 ]; then
	sed -n "$(( $(grep -c . "$work/out.txt") + 1 ))p" "$work/calls.sql" | sed 's/^/# next case: /' | cut -c1-400
	sed 's/^/# stderr: /' "$work/err.txt" | head -5
fi

# NULL into every column of every table: no crash, no internal error
null_fail=0
t=$((t + 1))
psql -qXAt -d "$db" -c "SELECT sweep.null_script()" >"$work/nulls.sql" 2>>"$work/gen.log"
nnull=$(grep -c 'sweep.try' "$work/nulls.sql")
{ echo "SET client_min_messages = error;"; echo "SET statement_timeout = '5s';"; cat "$work/nulls.sql"; } \
	| psql -qXAt -d "$db" >"$work/nulls.out" 2>&1
nrc=$?
bad=$(grep -E '^[0-9]+\|[^|]*\|err\|[0-9]+\|(XX|57)' "$work/nulls.out")
if [ "$nrc" -eq 0 ] && [ "$(grep -cE '^[0-9]+\|' "$work/nulls.out")" -eq "$nnull" ] && [ -z "$bad" ]; then
	echo "ok $t - NULL into every column of every table ($nnull INSERTs and UPDATEs): errors, no crash, no internal error"
else
	echo "not ok $t - NULL into every column of every table: psql exit $nrc, $(grep -cE '^[0-9]+\|' "$work/nulls.out") of $nnull cases ran"
	sed 's/^/# /' <<<"$bad" | head -5
	[ "$nrc" -eq 0 ] || sed -n "$(( $(grep -cE '^[0-9]+\|' "$work/nulls.out") + 1 ))p" "$work/nulls.sql" | sed 's/^/# next case: /'
	tail -3 "$work/nulls.out" | sed 's/^/# /'
	null_fail=1
fi

# statement_timeout = 1s on the slowest kernels at their size limits,
# timed by the server: from just before the statement to just after it (one
# round trip more than the statement itself).  Wall clock: on a loaded
# machine the backend may wait for a CPU, so an attempt over the bound is
# repeated, up to three (test/scripts/cancel_latency.sh measures the CPU
# time after a cancel, which does not depend on the load).
slow_fail=0
while IFS='|' read -r name query; do
	[ -n "$name" ] || continue
	t=$((t + 1))
	tries=""
	passed=0
	for attempt in 1 2 3; do
		out=$(psql -qXAt -d "$db" 2>&1 <<SQL
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
$query;
SELECT 'elapsed ' || round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000);
SQL
)
		ms=$(sed -n 's/^elapsed //p' <<<"$out")
		tries="$tries${tries:+, }${ms:-?} ms"
		if grep -q 'canceling statement due to statement timeout' <<<"$out" && [ -n "$ms" ] && [ "$ms" -lt 1100 ]; then
			passed=1
			break
		fi
	done
	if [ "$passed" -eq 1 ]; then
		echo "ok $t - statement_timeout = 1s stops $name after $tries"
	else
		echo "not ok $t - statement_timeout = 1s on $name: returned after $tries"
		sed 's/^/# /' <<<"$out" | head -5
		slow_fail=1
	fi
done < <(psql -qXAt -d "$db" -c "SELECT name || '|' || query FROM sweep.slow ORDER BY name")
echo "1..$t"
grep -q '^not ok' "$work/tap" && exit 1
[ "$null_fail" -eq 0 ] || exit 1
exit $slow_fail
