#!/usr/bin/env bash
# Short SQLsmith run inside the test suite (bounded: 300 queries, SQLsmith's
# own statement_timeout, 120 s at most); the long run is bench/sqlsmith.sh
# (20,000 queries, doc/testing.md).
echo "1..1"
SQLSMITH_TAP=1 timeout 120 bench/sqlsmith.sh "${SQLSMITH_QUERIES:-300}" 7
