#!/usr/bin/env bash
# The Node example service (examples/node, `pg`) against the throwaway
# cluster, as login roles pinned to a tenant; and whole-object saves of every
# crmscm table through Sequelize and TypeORM (set(body).save(), upsert(),
# save(), upsert()).  The npm packages (versions pinned in
# examples/node/package-lock.json) are installed by `npm ci` when missing.
# TAP from examples/node/test.js.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! command -v node >/dev/null; then echo "not ok 1 - node is not installed (tools/deps.sh)"; exit 1; fi
if [ ! -d examples/node/node_modules ]; then
	(cd examples/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) \
		|| { echo "not ok 1 - npm ci in examples/node"; exit 1; }
fi
source test/application/examples_setup.sh
node examples/node/test.js
