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
exec tools/with-cluster.sh bash bench/lead_scoring_run.sh
