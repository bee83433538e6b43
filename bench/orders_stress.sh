#!/usr/bin/env bash
# The order/inventory stress run at full length: 16 clients for 60 s of the
# three rounds of test/scripts/orders_stress.sh (the test suite runs 10 s per round), then
# crmscm.check_inventory(), independent invariant queries and the deadlock
# counter.  Prints TAP lines and the pgbench figures.
#
#   bench/orders_stress.sh            (STRESS_CLIENTS=16 STRESS_SECONDS=60 per round)
set -euo pipefail
cd "$(dirname "$0")/.."
export STRESS_CLIENTS=${STRESS_CLIENTS:-16} STRESS_SECONDS=${STRESS_SECONDS:-60}
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)"
	exec tools/with-cluster.sh bash test/scripts/orders_stress.sh
fi
exec bash test/scripts/orders_stress.sh
