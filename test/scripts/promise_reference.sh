#!/usr/bin/env bash
# crmscm.promise() against an independent reference on 10,000 random
# instances (issue #17; TAP): test/promise/reference.py builds 1,000 random
# item states through crmscm's API and asks 10 questions about each.
#   PROMISE_REF_ITEMS (default 1000), PROMISE_REF_REQUESTS (default 10)
set -uo pipefail
cd "$(dirname "$0")/../.."
db=crmscm_promise_ref
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
PGDATABASE=$db /usr/bin/python3 test/promise/reference.py 17 "${PROMISE_REF_ITEMS:-1000}" "${PROMISE_REF_REQUESTS:-10}"
rc=$?
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
exit $rc
