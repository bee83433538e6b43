#!/usr/bin/env bash
# distance_km over 1M pairs vs a trivial built-in and PostGIS ST_DistanceSphere.
#   bench/geopoint.sh        (installs PostGIS if missing; throwaway cluster)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh bench
eval "$(tools/install.sh)"
tools/with-cluster.sh psql -X -f bench/geopoint.sql
