#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, then stop and remove it.
#
#   tools/with-cluster.sh CMD [ARGS...]
#
# CMD sees PGHOST/PGPORT/PGUSER/PGDATABASE for the cluster (Unix socket only,
# in a private directory, so several clusters can run side by side) and
# CRMSCM_PGDATA, CRMSCM_PGLOG, CRMSCM_PG_CTL to restart or inspect it.
# The server binaries come from $CRMSCM_PG_BINDIR, else pg_config --bindir.
# Extra server settings: CRMSCM_PG_OPTS (e.g. "-c fsync=on").
# The cluster is run by user postgres when we are root.
set -uo pipefail

bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
tmp=$(mktemp -d /tmp/crmscm-pg.XXXXXX)
as=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$tmp"
	as=(runuser -u postgres --)
fi

"${as[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 \
	--locale=C --no-sync >"$tmp/initdb.log" 2>&1 \
	|| { cat "$tmp/initdb.log" >&2; rm -rf "$tmp"; exit 1; }

cat >>"$tmp/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
max_connections = 120
max_prepared_transactions = 10
lc_messages = 'C'
log_min_messages = warning
CONF

export CRMSCM_PGDATA="$tmp/data" CRMSCM_PGLOG="$tmp/server.log"
export CRMSCM_PG_CTL="${as[*]} $bindir/pg_ctl"
if ! "${as[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
	-o "${CRMSCM_PG_OPTS:-}" start >/dev/null; then
	cat "$tmp/server.log" >&2
	rm -rf "$tmp"
	exit 1
fi

stop() {
	"${as[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m fast -w stop >/dev/null 2>&1 \
		|| "${as[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1
	[ -n "${CRMSCM_KEEP_CLUSTER:-}" ] || rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM

export PGHOST="$tmp" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
# crmscm has no default tenant (fail-closed, doc/security.md): the database
# of the tests is a single-tenant install, tenant 1.  Databases the tests
# create themselves set their tenant (or leave it unset on purpose).
"$bindir/psql" -qX -c 'ALTER DATABASE postgres SET crmscm.tenant_id = 1' >/dev/null \
	|| { cat "$tmp/server.log" >&2; exit 1; }
"$@"
