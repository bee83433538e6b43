# Shell functions for the Citus stage (sourced by test/citus/citus.sh).
#
#   citus_tarball            path of the Citus source tarball, or "" when absent
#   citus_install            build Citus once (cached) and install it into the
#                            PostgreSQL installation the tests use
#   citus_start              start 1 coordinator + 2 workers on 127.0.0.1
#   citus_stop               stop them and remove their directories
#   cpsql / w1psql / w2psql  psql on the coordinator / worker 1 / worker 2
#
# Settings (environment):
#   CRMSCM_CITUS_TARBALL  the tarball (default ../shared/vendor/citus-12.1.12.tar.gz
#                         relative to the repository root, where CI has it)
#   CRMSCM_CITUS_CACHE    where builds are kept (default /var/tmp/crmscm-citus):
#                         one folder per tarball checksum and PostgreSQL version
#   CRMSCM_PG_BINDIR      the server binaries (tools/install.sh prints it for a
#                         stage); Citus is installed into the same installation
#   CRMSCM_CITUS_KEEP     non-empty: leave the cluster running at exit (prints
#                         how to reach and stop it)

citus_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

citus_tarball() {
	local t=${CRMSCM_CITUS_TARBALL:-$citus_root/../shared/vendor/citus-12.1.12.tar.gz}
	[ -f "$t" ] && echo "$t"
	return 0
}

# The installation prefix the tests use: "" for the system PostgreSQL, the
# stage directory for one made by tools/install.sh (CRMSCM_PG_BINDIR is then
# STAGE + the system bindir).
citus_prefix() {
	local sysbin
	sysbin=$(pg_config --bindir)
	local bin=${CRMSCM_PG_BINDIR:-$sysbin}
	echo "${bin%"$sysbin"}"
}

citus_install() {
	local tarball=$1 cache key dir prefix sudo= log
	cache=${CRMSCM_CITUS_CACHE:-/var/tmp/crmscm-citus}
	key=$(sha256sum "$tarball" | cut -c1-16)-$(pg_config --version | awk '{print $2}')-$(uname -m)
	dir=$cache/$key
	mkdir -p "$cache" || return 1
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	(
		flock 9
		[ -f "$dir/done" ] && exit 0
		rm -rf "$dir" && mkdir -p "$dir/src" || exit 1
		log=$dir/build.log
		echo "# building Citus from $tarball into $dir (log: $log)" >&2
		tar -xzf "$tarball" -C "$dir/src" --strip-components=1 || exit 1
		# with_llvm=no: no JIT bitcode (halves the build; JIT inlining of
		# Citus functions is not needed by the tests)
		( cd "$dir/src" &&
		  ./configure PG_CONFIG="$(command -v pg_config)" --without-libcurl &&
		  make -j2 with_llvm=no &&
		  make install with_llvm=no DESTDIR="$dir/root" ) >"$log" 2>&1 \
			|| { tail -30 "$log" >&2; exit 1; }
		rm -rf "$dir/src"
		touch "$dir/done"
	) 9>"$cache/.lock" || return 1
	prefix=$(citus_prefix)
	if [ -n "$prefix" ]; then
		cp -a "$dir/root/." "$prefix/"
	else
		$sudo cp -a "$dir/root/." /
	fi
}

citus_free_port() {		# a port nobody listens on at 127.0.0.1
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"; return 0
		fi
	done
	return 1
}

citus_start() {
	local bindir n port
	bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
	citus_dir=$(mktemp -d /tmp/crmscm-citus.XXXXXX)
	citus_as=()
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$citus_dir"
		citus_as=(runuser -u postgres --)
	fi
	citus_pg_ctl="$bindir/pg_ctl"
	citus_ports=()
	for n in c w1 w2; do
		port=$(citus_free_port) || return 1
		"${citus_as[@]}" mkdir -p "$citus_dir/$n.sock"
		"${citus_as[@]}" "$bindir/initdb" -D "$citus_dir/$n" -U postgres -A trust -E UTF8 \
			--locale=C --no-sync >"$citus_dir/$n.initdb.log" 2>&1 \
			|| { cat "$citus_dir/$n.initdb.log" >&2; return 1; }
		cat >>"$citus_dir/$n/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$citus_dir/$n.sock'
shared_preload_libraries = 'citus'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
max_connections = 200
max_prepared_transactions = 200
lc_messages = 'C'
log_min_messages = warning
citus.node_conninfo = 'sslmode=disable'
CONF
		# a port can be taken between the probe and the start (other test
		# runs on this machine): try three
		for try in 1 2 3; do
			"${citus_as[@]}" "$citus_pg_ctl" -D "$citus_dir/$n" -l "$citus_dir/$n.log" -w -t 60 \
				-o "-p $port" start >/dev/null && break
			[ "$try" -eq 3 ] && { cat "$citus_dir/$n.log" >&2; return 1; }
			port=$(citus_free_port) || return 1
		done
		citus_ports+=("$port")
	done
	export PGUSER=postgres PGDATABASE=postgres PGHOST=127.0.0.1
	CPORT=${citus_ports[0]} W1PORT=${citus_ports[1]} W2PORT=${citus_ports[2]}
	export CPORT W1PORT W2PORT
	for port in "${citus_ports[@]}"; do
		psql -qX -p "$port" -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION citus' >/dev/null || return 1
	done
	cpsql -c "SELECT citus_set_coordinator_host('127.0.0.1', $CPORT)" \
		-c "SELECT citus_add_node('127.0.0.1', $W1PORT)" \
		-c "SELECT citus_add_node('127.0.0.1', $W2PORT)" >/dev/null
}

citus_stop() {
	local n
	[ -n "${citus_dir:-}" ] || return 0
	if [ -n "${CRMSCM_CITUS_KEEP:-}" ]; then
		echo "# cluster kept: PGHOST=127.0.0.1 ports $CPORT (coordinator) $W1PORT $W2PORT; data $citus_dir" >&2
		echo "# stop: for n in c w1 w2; do ${citus_as[*]} $citus_pg_ctl -D $citus_dir/\$n stop; done" >&2
		return 0
	fi
	for n in c w1 w2; do
		"${citus_as[@]}" "$citus_pg_ctl" -D "$citus_dir/$n" -m fast -w stop >/dev/null 2>&1 \
			|| "${citus_as[@]}" "$citus_pg_ctl" -D "$citus_dir/$n" -m immediate stop >/dev/null 2>&1
	done
	rm -rf "$citus_dir"
	citus_dir=
}

cpsql() { psql -qXAt -p "$CPORT" -v ON_ERROR_STOP=1 "$@"; }
w1psql() { psql -qXAt -p "$W1PORT" -v ON_ERROR_STOP=1 "$@"; }
w2psql() { psql -qXAt -p "$W2PORT" -v ON_ERROR_STOP=1 "$@"; }
