#!/usr/bin/env bash
# The Python example service (examples/python, SQLAlchemy from Debian's
# python3-sqlalchemy) against the throwaway cluster, as login roles pinned to
# a tenant; and whole-object saves of every crmscm table through SQLAlchemy.
# TAP from examples/python/test_order_service.py.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/application/examples_setup.sh
/usr/bin/python3 examples/python/test_order_service.py
