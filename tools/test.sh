#!/usr/bin/env bash
# The whole test suite — the README's test command, and what .ci/run calls.
#
#   1. installs missing Debian packages (tools/deps.sh), builds, installs
#   2. C unit tests of src/core, plain and under ASan+UBSan (make unit-plain, unit-san)
#   3. on a throwaway cluster: make installcheck (pg_regress + isolation),
#      make pgtap (pg_prove) and make scripts (test/scripts/*.sh, each prints TAP)
#   4. one summary line "N passed, N failed"; exit status non-zero on failure
#
# Set CRMSCM_STAGE=/dir to install into a private copy of PostgreSQL instead
# of the system one (see tools/install.sh).  CRMSCM_INSTALL=deb (what .ci/run
# sets) builds the Debian package and installs it instead of make install, so
# every test runs against the packaged files.  Warnings are errors
# (CRMSCM_WERROR=1) unless CRMSCM_WERROR is set empty.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
logdir=$(mktemp -d /tmp/crmscm-test.XXXXXX)
chmod 755 "$logdir"
export CRMSCM_WERROR=${CRMSCM_WERROR-1} CRMSCM_INSTALL=${CRMSCM_INSTALL:-make}

deps_mode=; [ "$CRMSCM_INSTALL" = deb ] && deps_mode=package
tools/deps.sh $deps_mode || { echo "0 passed, 1 failed"; exit 1; }
if ! stage=$(tools/install.sh); then
	echo "build/install failed"; echo "0 passed, 1 failed"; exit 1
fi
eval "$stage"

passed=0 failed=0
count_tap() {		# count ok / not ok lines of a TAP log; $2 = the run's exit status
	local p f
	p=$(grep -cE '^[[:space:]]*ok [0-9]+' "$1")
	f=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$1")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f))
	echo "   $p passed, $f failed"
}

echo "== C unit tests (plain)"
make -s unit-plain >"$logdir/unit.log" 2>&1; count_tap "$logdir/unit.log" $?
grep -E '^not ok|^#   ' "$logdir/unit.log"
echo "== C unit tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
make -s unit-san >"$logdir/unit-san.log" 2>&1; count_tap "$logdir/unit-san.log" $?
grep -E '^not ok|^#   |ERROR: |runtime error' "$logdir/unit-san.log"

# Everything that needs a server runs inside one throwaway cluster.
export logdir root
tools/with-cluster.sh bash -c '
	cd "$root"
	echo "== make installcheck (pg_regress, isolation)"
	make -s installcheck >"$logdir/installcheck.log" 2>&1; echo $? >"$logdir/installcheck.rc"
	echo "== pgTAP suites (make pgtap)"
	make -s pgtap >"$logdir/pgtap.log" 2>&1; echo $? >"$logdir/pgtap.rc"
	# make scripts: each script is headed "# == test/scripts/NAME.sh" in the log
	make -s scripts 2>&1 | tee "$logdir/scripts.log" | sed -un "s/^# == /== /p"
	echo "${PIPESTATUS[0]}" >"$logdir/scripts.rc"
'

# The Citus stage (test/citus/citus.sh): its own 3-node cluster on
# 127.0.0.1; one skip line when the Citus source tarball is absent.
echo "== Citus stage (test/citus/citus.sh)"
bash test/citus/citus.sh >"$logdir/citus.log" 2>"$logdir/citus.err"; citus_rc=$?

# pg_regress / pg_isolation_regress: one line per test, "... ok" or "... FAILED"
p=$(grep -cE '^(ok|test| ) .* \.\.\. ok|^ok [0-9]+ ' "$logdir/installcheck.log" 2>/dev/null)
f=$(grep -ciE '\.\.\. FAILED|^not ok ' "$logdir/installcheck.log" 2>/dev/null)
rc=$(cat "$logdir/installcheck.rc" 2>/dev/null || echo 1)
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
passed=$((passed + p)) failed=$((failed + f))
echo "   installcheck: $p passed, $f failed"
if [ "$f" -ne 0 ]; then
	cat "$logdir/installcheck.log"
	for d in regression.diffs test/isolation/output_iso/regression.diffs; do
		[ -f "$d" ] && head -200 "$d"
	done
fi
echo "   pgTAP:"; count_tap "$logdir/pgtap.log" "$(cat "$logdir/pgtap.rc" 2>/dev/null || echo 1)"
grep -E '^[[:space:]]*not ok|^# +(Failed|got|expected|  )|Dubious|Parse errors|ERROR' "$logdir/pgtap.log" | head -60
echo "   scripts:"; count_tap "$logdir/scripts.log" "$(cat "$logdir/scripts.rc" 2>/dev/null || echo 1)"
grep -E '^not ok|^#' "$logdir/scripts.log" | head -60

echo "   Citus stage:"; count_tap "$logdir/citus.log" "$citus_rc"
grep -E '^not ok|^# |^1\.\.0|^Bail' "$logdir/citus.log" | head -60
[ "$citus_rc" -ne 0 ] && tail -20 "$logdir/citus.err"

echo "logs: $logdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
