#!/usr/bin/env bash
# The main job: on a throwaway cluster, install crmscm, load the sample data
# shipped in data/ and print the headline results of every capability
# (demo/*.sql, run in file-name order).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
stage=$(tools/install.sh)
eval "$stage"
exec tools/with-cluster.sh bash -c '
	createdb crmscm_demo
	for f in demo/*.sql; do
		psql -X -q -v ON_ERROR_STOP=1 -d crmscm_demo -f "$f" || exit 1
	done
'
