#!/usr/bin/env bash
# Build the Debian package postgresql-15-crmscm (debian/, pg_buildext).
#
#   tools/package.sh [OUTDIR]     build; print the path of each .deb built
#
# Builds from a copy of the work tree (the files git knows plus new ones it
# does not ignore, or the whole tree outside git), so the tree is left as it
# was and dpkg-buildpackage's files do not land beside the repository.  The
# .deb files go to OUTDIR (default dist/).  Installs the build dependencies
# first (tools/deps.sh package).  The package's build-time test (make
# installcheck on a throwaway cluster, dh_pgxs_test) runs unless
# DEB_BUILD_OPTIONS contains nocheck.  Log: OUTDIR/package-build.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ver=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" crmscm.control)

tools/deps.sh package >&2

work=$(mktemp -d /tmp/crmscm-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/crmscm-$ver
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -c -o --exclude-standard \
		| while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
		| tar -cf - --null -T - | tar -xf - -C "$src"
else
	tar -cf - --exclude=./dist --exclude=./.git . | tar -xf - -C "$src"
	make -s -C "$src" clean >/dev/null 2>&1 || true
fi

log=$out/package-build.log
echo "package: building in $src (log: $log)" >&2
# pg_virtualenv (the build-time test) runs the cluster as a non-root user, who
# must be able to read the tree
chmod -R a+rX "$work"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -40 "$log" >&2
	echo "package: dpkg-buildpackage failed (log: $log)" >&2
	exit 1
fi
for d in "$work"/*.deb; do
	mv "$d" "$out/"
	echo "$out/$(basename "$d")"
done
