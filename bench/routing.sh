#!/usr/bin/env bash
# Route ordering benchmark: crmscm.tsp_tour against pgRouting's pgr_TSP
# (Debian postgresql-15-pgrouting, 3.4: simulated annealing), side by side in
# one run on the same rounded-Euclidean matrices: TSPLIB eil51, berlin52,
# kroA100 (known optima) and random uniform instances of 200, 500 and 1000
# points.  crmscm runs with time_limit_ms = 1000; pgr_TSP with its defaults.
#   bench/routing.sh            all instances
#   BENCH_MAX_N=500 bench/routing.sh   skip the larger random instances
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh bench
eval "$(tools/install.sh)"
export BENCH_MAX_N=${BENCH_MAX_N:-1000}
exec tools/with-cluster.sh bash -c '
	createdb bench
	psql -X -q -d bench -c "ALTER DATABASE bench SET crmscm.tenant_id = 1"	# one tenant (no default)
	psql -X -q -v ON_ERROR_STOP=1 -v max_n="$BENCH_MAX_N" -d bench -f bench/routing.sql
'
