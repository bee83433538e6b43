#!/usr/bin/env bash
# Install the Debian packages crmscm needs, only those missing.
#   tools/deps.sh            build + test + demo dependencies
#   tools/deps.sh bench      also what the benchmarks compare against
#   tools/deps.sh citus      also what building Citus needs (test/citus/)
#   tools/deps.sh package    also what building the Debian package needs
#                            (debian/control's Build-Depends; tools/package.sh)
# Runs apt-get as root (directly, or through sudo).
set -euo pipefail

pkgs=(make gcc clang libclang-rt-14-dev
      postgresql-15 postgresql-server-dev-15 postgresql-contrib
      postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
      libproj-dev liblbfgs-dev
      sqlsmith                        # test/scripts/sqlsmith_short.sh, bench/sqlsmith.sh
      python3-psycopg2                # test/differential/orders.py
      python3-sqlalchemy              # #15 examples/python (SQLAlchemy 1.4)
      git python3)                    # make dist, tools/meta_check.py (test/scripts/release_files.sh)
# #15 examples/node: Node.js and npm (Debian's, unless a node is installed;
# the npm packages are pinned in examples/node/package-lock.json and
# installed by test/scripts/example_node.sh with npm ci)
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
if [ "${1:-}" = citus ]; then
	# vendor/README.md of the shared folder (Citus is built --without-libcurl:
	# no statistics collection, so libcurl4-openssl-dev is not needed)
	pkgs+=(liblz4-dev libzstd-dev libssl-dev zlib1g-dev libreadline-dev libkrb5-dev)
fi
if [ "${1:-}" = package ]; then
	# debhelper, pg_buildext (postgresql-server-dev-all) and the servers
	# the build-time installcheck runs on (postgresql-all)
	pkgs+=(build-essential dpkg-dev debhelper postgresql-server-dev-all postgresql-all)
fi
if [ "${1:-}" = bench ]; then
	pkgs+=(postgresql-15-postgis-3 postgresql-15-pgrouting
	       python3-numpy python3-scipy python3-sklearn python3-statsmodels
	       python3-mpmath)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
