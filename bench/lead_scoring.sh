#!/usr/bin/env bash
# Lead scoring benchmark (issue #4), side by side in one run:
#   (a) fit the full UCI bank data (41,188 rows x 50 features) with
#       crmscm.lead_model_fit vs scikit-learn LogisticRegression (no penalty)
#       on the same design matrix: time and agreement of the coefficients;
#   (b) score 1,000,000 stored 20-feature arrays with crmscm.lead_score vs the
#       cost floor of a trivial function (cardinality) on the same arrays;
#   (c) fit N synthetic rows x 20 features (N = 10,000,000 by default,
#       LEAD_BENCH_ROWS to change): time and peak memory, parallel workers
#       off and on.
#   bench/lead_scoring.sh            (throwaway cluster; ~10 min on 2 busy cores)
#   LEAD_BENCH_PARTS=ab bench/lead_scoring.sh   only parts (a) and (b)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh bench
eval "$(tools/install.sh)"
export LEAD_BENCH_ROWS=${LEAD_BENCH_ROWS:-10000000} LEAD_BENCH_PARTS=${LEAD_BENCH_PARTS:-abc}
export CRMSCM_PG_OPTS="-c max_worker_processes=8 -c max_parallel_workers=4"

# Shared memory on huge pages, as PostgreSQL's docs advise for production
# (huge_pages): on this VM a new backend's first touch of each 4 kB page of
# shared buffers costs 10-20 us, ~50 ms for the 19 MB design table, which a
# pooled, long-lived connection never pays.  As root, reserve enough 2 MB
# pages for the bench cluster (256 MB shared_buffers) and give them back
# afterwards; LEAD_BENCH_HUGE_PAGES=off measures without.
hp_old=
if [ "${LEAD_BENCH_HUGE_PAGES:-on}" = on ] && [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/nr_hugepages ]; then
	hp_old=$(cat /proc/sys/vm/nr_hugepages)
	echo $((hp_old + 160)) >/proc/sys/vm/nr_hugepages
	if [ "$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)" -ge 160 ]; then
		CRMSCM_PG_OPTS="$CRMSCM_PG_OPTS -c huge_pages=on"
		echo "shared memory: huge pages (vm.nr_hugepages $hp_old -> $((hp_old + 160)))"
	else
		echo "$hp_old" >/proc/sys/vm/nr_hugepages
		hp_old=
		echo "shared memory: 4 kB pages (could not reserve 160 huge pages)"
	fi
else
	echo "shared memory: 4 kB pages"
fi
rc=0
tools/with-cluster.sh bash bench/lead_scoring_run.sh || rc=$?
[ -z "$hp_old" ] || echo "$hp_old" >/proc/sys/vm/nr_hugepages
exit $rc
