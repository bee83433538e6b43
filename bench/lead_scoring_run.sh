#!/usr/bin/env bash
# Body of bench/lead_scoring.sh, run inside the throwaway cluster.
set -euo pipefail
out=$(mktemp -d /tmp/crmscm-lead-bench.XXXXXX)
chmod 777 "$out"
trap 'rm -rf "$out"' EXIT
py=/usr/bin/python3
psql=(psql -X -q -v ON_ERROR_STOP=1)

parts=${LEAD_BENCH_PARTS:-abc}
if [[ $parts == *a* ]]; then
echo "== (a) fit the full bank data: crmscm.lead_model_fit vs scikit-learn"
"${psql[@]}" -v out="$out" -f bench/lead_scoring_fit.sql
nice $py bench/lead_sklearn.py "$out"
echo
fi

if [[ $parts == *b* ]]; then
echo "== (b) scoring 1,000,000 stored feature arrays"
"${psql[@]}" -f bench/lead_scoring_score.sql
echo
fi

[[ $parts == *c* ]] || exit 0
echo "== (c) fit $LEAD_BENCH_ROWS synthetic rows x 20 features"
"${psql[@]}" -v rows="$LEAD_BENCH_ROWS" -f bench/lead_scoring_big_setup.sql
# peak resident memory of every backend and parallel worker, polled
for workers in 0 2; do
	: >"$out/hwm"
	( pm=$(head -1 "$CRMSCM_PGDATA/postmaster.pid")
	  while sleep 0.1; do
		for c in $(cat /proc/"$pm"/task/*/children 2>/dev/null); do
			awk '/^VmHWM/ {print $2}' /proc/"$c"/status 2>/dev/null
		done | sort -n | tail -1 >>"$out/hwm"
	  done ) &
	poller=$!
	t0=$(date +%s.%N)
	"${psql[@]}" -t -A -c "SET max_parallel_workers_per_gather = $workers" \
		-c "SET parallel_setup_cost = 0" -c "SET parallel_tuple_cost = 0" \
		-c "CREATE TEMP TABLE m AS SELECT crmscm.lead_model_fit(y, f) AS m FROM bench_big" \
		-c "SELECT 'log-likelihood ' || crmscm.lead_model_log_likelihood(m) || ', iterations ' || crmscm.lead_model_iterations(m) || ', max |coef - true coef| ' || round((SELECT max(abs(c - t)) FROM unnest(crmscm.lead_model_coef(m), (SELECT truth FROM bench_big_truth)) u(c, t))::numeric, 4) FROM m"
	t1=$(date +%s.%N)
	kill "$poller" 2>/dev/null || true
	wait "$poller" 2>/dev/null || true
	peak=$(sort -n "$out/hwm" | tail -1)
	printf 'parallel workers %d: %.1f s, peak RSS of the largest backend/worker %.0f MB\n' \
		"$workers" "$(echo "$t1 - $t0" | bc)" "$(echo "${peak:-0} / 1024" | bc)"
done
"${psql[@]}" -c "DROP TABLE bench_big"
