#!/usr/bin/env bash
# crmscm on Citus vs a single node (issue #16, doc/citus.md), side by side in
# one run, on one machine: a Citus 12.1 coordinator and two workers on
# 127.0.0.1 (test/citus/lib.sh; the same tarball and build cache as the test
# stage) and, as the single node, a database without the citus extension on
# the coordinator's server (plain PostgreSQL: Citus's hooks do nothing
# there).
#   (a) the lead model fit of one tenant: crmscm.lead_model_fit over one
#       tenant's won/lost leads (WHERE tenant_id = t), through the
#       coordinator (EXPLAIN: one task, the whole aggregate on the tenant's
#       worker) and on the single node; 8 tenants x CITUS_BENCH_LEADS leads
#       (default 100,000) x 10 features; each tenant fitted in turn, 3
#       rounds, Citus and single node interleaved; medians.  Also the fit
#       over all tenants (no tenant filter: Citus sends the raw rows to the
#       coordinator, doc/citus.md (e)).
#   (b) the orders stress of the test stage (test/citus/stress.sh: 16
#       clients, three tenants, three rounds), CITUS_BENCH_STRESS_SECONDS
#       per round (default 30): tps through the coordinator and on the
#       single node.
#   bench/citus.sh            (CRMSCM_CITUS_TARBALL as for test/citus/citus.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
. test/citus/lib.sh
tarball=$(citus_tarball)
[ -n "$tarball" ] || { echo "Citus source tarball not found (CRMSCM_CITUS_TARBALL)"; exit 1; }
if [ -n "${CRMSCM_STAGE:-}" ]; then eval "$(tools/install.sh)"; export CRMSCM_PG_BINDIR; else tools/install.sh >/dev/null; fi
tools/deps.sh citus >&2 || exit 1
citus_install "$tarball" || exit 1
citus_start || { citus_stop; exit 1; }
trap citus_stop EXIT
leads=${CITUS_BENCH_LEADS:-100000}
n=0 nfail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got:  $2" "want: $3"; fi; }
like() { if printf '%s' "$2" | tr '\n' ' ' | grep -E -- "$3" >/dev/null; then ok "$1"; else notok "$1" "got:  $(printf '%s' "$2" | head -c 1500)" "want: /$3/"; fi; }
P() { local port=$1 db=$2; shift 2; psql -qXAt -p "$port" -d "$db" -v ON_ERROR_STOP=1 "$@" 2>&1; }
C() { local db=$1; shift; P "$CPORT" "$db" "$@"; }
echo "# Citus $(C postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"), coordinator :$CPORT, workers :$W1PORT :$W2PORT; $(nproc) cores"

# (a) ---------------------------------------------------------------------
for port in "$CPORT" "$W1PORT" "$W2PORT"; do P "$port" postgres -c "CREATE DATABASE bench_c" >/dev/null; done
for port in "$W1PORT" "$W2PORT"; do P "$port" bench_c -c "CREATE EXTENSION citus" >/dev/null; done
P "$CPORT" postgres -c "CREATE DATABASE bench_s" >/dev/null
C bench_c -c "CREATE EXTENSION citus" -c "SELECT citus_set_coordinator_host('127.0.0.1', $CPORT)" \
	-c "SELECT citus_add_node('127.0.0.1', $W1PORT)" -c "SELECT citus_add_node('127.0.0.1', $W2PORT)" \
	-c "CREATE EXTENSION crmscm" -c "SELECT crmscm.distribute()" >/dev/null
C bench_s -c "CREATE EXTENSION crmscm" >/dev/null
load="SET client_min_messages = warning;
INSERT INTO crmscm.leads (tenant_id, lead_id, name, stage, features)
SELECT t, g, 'lead', CASE WHEN hashint8(g * 31 + t) % 3 = 0 THEN 'won' ELSE 'lost' END,
       ARRAY(SELECT ((hashint8(g * 131 + k * 7 + t) % 1000) / 1000.0)::float8 FROM generate_series(1, 10) k)
  FROM generate_series(1, 8) t, generate_series(1, $leads) g;
ANALYZE crmscm.leads;"
t0=$(date +%s)
C bench_c -c "$load" >/dev/null; C bench_s -c "$load" >/dev/null
echo "# loaded 8 tenants x $leads leads x 10 features into both in $(( $(date +%s) - t0 )) s"
fit="SELECT crmscm.lead_model_fit(stage = 'won', features) FROM crmscm.leads WHERE stage IN ('won', 'lost') AND tenant_id = "
like "(a) through the coordinator the fit of one tenant is one task, the whole aggregate on its worker" \
	"$(C bench_c -c "EXPLAIN (VERBOSE, COSTS OFF) ${fit}3")" "Task Count: 1 .*Query: SELECT crmscm.lead_model_fit"
is "(a) the fitted model is the same on both (coefficients to 6 decimals)" \
	"$(C bench_c -c "SELECT crmscm.lead_model_coef(m)::numeric(30,6)[] FROM (${fit}3) x(m)" 2>&1 || true)" \
	"$(C bench_s -c "SELECT crmscm.lead_model_coef(m)::numeric(30,6)[] FROM (${fit}3) x(m)" 2>&1 || true)"
ms() { psql -qXAt -p "$CPORT" -d "$1" -c "\\timing on" -c "$2" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
: >/tmp/bench_citus_c.$$; : >/tmp/bench_citus_s.$$
for round in 1 2 3; do
	for t in 1 2 3 4 5 6 7 8; do
		ms bench_c "$fit$t" >>/tmp/bench_citus_c.$$
		ms bench_s "$fit$t" >>/tmp/bench_citus_s.$$
	done
done
mc=$(median </tmp/bench_citus_c.$$) msn=$(median </tmp/bench_citus_s.$$)
echo "# (a) lead fit of one tenant ($leads leads): Citus median $mc ms, single node median $msn ms, ratio $(awk -v a="$mc" -v b="$msn" 'BEGIN { printf "%.2f", a / b }') (24 fits each: 8 tenants x 3 rounds)"
echo "#     Citus per fit: $(sort -g /tmp/bench_citus_c.$$ | tr '\n' ' ')"
echo "#     single per fit: $(sort -g /tmp/bench_citus_s.$$ | tr '\n' ' ')"
allfit="SELECT crmscm.lead_model_fit(stage = 'won', features) FROM crmscm.leads WHERE stage IN ('won', 'lost')"
: >/tmp/bench_citus_c.$$; : >/tmp/bench_citus_s.$$
for round in 1 2 3; do
	ms bench_c "$allfit" >>/tmp/bench_citus_c.$$
	ms bench_s "$allfit" >>/tmp/bench_citus_s.$$
done
mc=$(median </tmp/bench_citus_c.$$) msn=$(median </tmp/bench_citus_s.$$)
echo "# (a) lead fit over all 8 tenants (no tenant filter, $((8 * leads)) leads): Citus median $mc ms, single node $msn ms, ratio $(awk -v a="$mc" -v b="$msn" 'BEGIN { printf "%.2f", a / b }')"
rm -f /tmp/bench_citus_c.$$ /tmp/bench_citus_s.$$

# (b) ---------------------------------------------------------------------
export CRMSCM_CITUS_STRESS_SECONDS=${CITUS_BENCH_STRESS_SECONDS:-30}
. test/citus/stress.sh
echo "1..$n"
[ "$nfail" -eq 0 ]
