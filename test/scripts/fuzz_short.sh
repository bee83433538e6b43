#!/usr/bin/env bash
# Short libFuzzer run of every test/fuzz/fuzz_*.c target (ASan + UBSan),
# inside the test suite: FUZZ_BUDGET seconds in total (default 60), split
# between the targets.  An input that runs longer than FUZZ_TIMEOUT seconds
# (default 10) is a finding, as a crash is: the numeric kernels must not hang
# (issue #13).  One TAP line per target with the executions done.
# The long run is documented in doc/testing.md and doc/robustness.md:
#   make -C test/fuzz run SECONDS=3600
set -uo pipefail
budget=${FUZZ_BUDGET:-60}
fuzz_timeout=${FUZZ_TIMEOUT:-10}
targets=(test/fuzz/fuzz_*.c)
echo "1..$(( ${#targets[@]} + 1 ))"
if ! make -s -C test/fuzz >/tmp/fuzz_build.$$ 2>&1; then
	echo "not ok 1 - build the fuzz targets"; sed 's/^/# /' /tmp/fuzz_build.$$; rm -f /tmp/fuzz_build.$$; exit 1
fi
rm -f /tmp/fuzz_build.$$
echo "ok 1 - build ${#targets[@]} fuzz target(s) with -fsanitize=fuzzer,address,undefined"
per=$(( budget / ${#targets[@]} )); [ "$per" -ge 1 ] || per=1
n=1 fail=0
for src in "${targets[@]}"; do
	t=$(basename "$src" .c); name=${t#fuzz_}; n=$((n + 1))
	work=test/fuzz/build/work-$name; rm -rf "$work"; mkdir -p "$work"
	cp test/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	log=test/fuzz/build/$t.log
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		nice test/fuzz/build/"$t" -max_total_time="$per" -max_len=4096 -timeout="$fuzz_timeout" -print_final_stats=1 \
		-artifact_prefix=test/fuzz/build/ "$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $t: ${per} s, ${execs:-?} executions, no crash or sanitizer report"
	else
		echo "not ok $n - $t: failed after ${execs:-?} executions (artifact in test/fuzz/build/)"
		grep -E 'ERROR|runtime error|SUMMARY|property violated|timeout' "$log" | head -5 | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
