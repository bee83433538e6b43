#!/usr/bin/env bash
# Customer lifetime benchmark (issue #5), on a throwaway cluster:
#   1. draw N customers (default 1,000,000) in SQL from the BG/NBD generative
#      process with known parameters (bench/lifetime_gen.sql);
#   2. fit them with crmscm.bgnbd_fit and check the parameters are recovered
#      within 3%;
#   3. fit the same likelihood with SciPy (bench/lifetime_scipy.py, Debian's
#      python3-scipy), side by side: target crmscm >= 20x faster;
#   4. score P(alive) + expected purchases in 90 days for every customer and
#      compare with the floor of calling trivial built-in functions on the
#      same rows: target within 2x.
# Usage: bench/lifetime.sh [N]     (CRMSCM_STAGE honoured as by tools/*.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export N=${1:-1000000}
tools/deps.sh bench
stage=$(tools/install.sh)
eval "$stage"
export out=$(mktemp -d /tmp/crmscm-bench-lifetime.XXXXXX)
chmod 777 "$out"
exec nice tools/with-cluster.sh bash -c '
set -euo pipefail
R=0.25 ALPHA=4.0 A=0.8 B=2.5
psql -qX -c "CREATE EXTENSION crmscm" >/dev/null
echo "== drawing $N customers in SQL (r=$R alpha=$ALPHA a=$A b=$B, weeks; T 26..104 weeks)"
t0=$(date +%s.%N)
psql -qX -v ON_ERROR_STOP=1 -v n=$N -v r=$R -v alpha=$ALPHA -v a=$A -v b=$B -f bench/lifetime_gen.sql >/dev/null
echo "   drawn in $(awk -v a=$t0 -v b=$(date +%s.%N) "BEGIN {printf \"%.1f\", b - a}") s"
psql -qX -At -c "SELECT count(*), count(*) FILTER (WHERE frequency > 0), count(DISTINCT (frequency, recency, t)) FROM bench_customers" \
	| awk -F"|" "{printf \"   customers %d, repeat buyers %d, distinct (frequency, recency, t) %d\n\", \$1, \$2, \$3}"
psql -qX -c "\copy bench_customers (frequency, recency, t) TO $out/customers.csv WITH (FORMAT csv)"

echo "== crmscm.bgnbd_fit (one backend, no parallel workers; best of 3)"
psql -qX -At -v ON_ERROR_STOP=1 -f bench/lifetime_fit.sql >"$out/fit.txt"
IFS="|" read -r crm_secs crm_cpu r alpha a b ll conv < <(tail -1 "$out/fit.txt")
printf "   %.3f s wall, %.2f s CPU  r=%.5f alpha=%.5f a=%.5f b=%.5f LL=%.3f converged=%s\n" "$crm_secs" "$crm_cpu" "$r" "$alpha" "$a" "$b" "$ll" "$conv"
ok=$(awk -v r=$r -v al=$alpha -v a=$a -v b=$b -v R=$R -v AL=$ALPHA -v A=$A -v B=$B "BEGIN {
	e = 0; split(r\" \"al\" \"a\" \"b, g, \" \"); split(R\" \"AL\" \"A\" \"B, w, \" \");
	for (i = 1; i <= 4; i++) { d = g[i] / w[i] - 1; if (d < 0) d = -d; if (d > e) e = d }
	printf \"%.4f %s\", e, (e <= 0.03 ? \"yes\" : \"NO\") }")
echo "   largest relative error vs the true parameters: ${ok% *} -> within 3%: ${ok#* }"

echo "== SciPy L-BFGS-B, analytic gradient, NumPy vectorised (best of 2)"
/usr/bin/python3 bench/lifetime_scipy.py "$out/customers.csv" | tee "$out/scipy.txt" | sed "s/^/   /"
sp_secs=$(awk "/^scipy_all_rows_seconds/ {print \$2}" "$out/scipy.txt")
sp_cpu=$(awk "/^scipy_all_rows_cpu/ {print \$2}" "$out/scipy.txt")
sp_pat=$(awk "/^scipy_patterns_seconds/ {print \$2}" "$out/scipy.txt")
awk -v s=$sp_secs -v sc=$sp_cpu -v p=$sp_pat -v c=$crm_secs -v cc=$crm_cpu "BEGIN {printf \"   speed-up of crmscm: %.1fx wall, %.1fx CPU vs SciPy on all rows (target >= 20x); %.1fx wall vs SciPy on the same weighted patterns\n\", s / c, sc / cc, p / c}"

echo "== scoring every customer: P(alive) + expected purchases in 90 days vs trivial functions"
psql -qX -At -v ON_ERROR_STOP=1 -f bench/lifetime_score.sql >"$out/score.txt"
IFS="|" read -r sc_secs fl_secs sc_cpu fl_cpu < <(tail -1 "$out/score.txt")
awk -v s=$sc_secs -v f=$fl_secs -v sc=$sc_cpu -v fc=$fl_cpu "BEGIN {printf \"   crmscm P(alive) + expected: %.3f s wall (best of 5), %.2f s CPU (5 rounds); floor float8pl + float8mi: %.3f s wall, %.2f s CPU; ratio %.2fx wall, %.2fx CPU (target <= 2x)\n\", s, sc, f, fc, s / f, sc / fc}"
'
