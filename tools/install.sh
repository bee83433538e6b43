#!/usr/bin/env bash
# Build and install crmscm.
#
# Normally installs into the system PostgreSQL (with sudo when not root).
# With CRMSCM_STAGE=/some/dir it installs into a private copy of the
# PostgreSQL installation under that directory instead, so several work
# trees can be tested side by side; source the printed line (or use
# tools/test.sh / tools/demo.sh, which do) to point CRMSCM_PG_BINDIR at it.
# With CRMSCM_INSTALL=deb it builds the Debian package postgresql-15-crmscm
# instead (tools/package.sh, into dist/) and installs that into the system
# PostgreSQL, first deleting crmscm files a former `make install` left that
# the package does not own; this is what CI tests (doc/releasing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

if [ "${CRMSCM_INSTALL:-make}" = deb ]; then
	if [ -n "${CRMSCM_STAGE:-}" ]; then
		echo "install: CRMSCM_INSTALL=deb installs into the system PostgreSQL; unset CRMSCM_STAGE" >&2
		exit 1
	fi
	debs=$(tools/package.sh dist)
	deb=$(grep '/postgresql-[0-9]*-crmscm_[^/]*\.deb$' <<<"$debs" | head -1)
	[ -n "$deb" ] || { echo "install: no postgresql-NN-crmscm .deb was built" >&2; exit 1; }
	sharedir=$(pg_config --sharedir) pkglibdir=$(pg_config --pkglibdir)
	{ find "$sharedir/extension" "$pkglibdir" -maxdepth 1 -name 'crmscm*' -type f -print0
	  find "$pkglibdir/bitcode" -path "$pkglibdir/bitcode/crmscm*" -type f -print0 2>/dev/null; } \
		| while IFS= read -r -d '' f; do
			dpkg -S "$f" >/dev/null 2>&1 && continue
			echo "install: removing $f (left by make install, not from a package)" >&2
			$SUDO rm -f "$f"
		done
	export DEBIAN_FRONTEND=noninteractive
	if ! $SUDO apt-get install -y -q --reinstall --no-install-recommends "$deb" >/tmp/crmscm-apt.$$ 2>&1; then
		cat /tmp/crmscm-apt.$$ >&2; rm -f /tmp/crmscm-apt.$$; exit 1
	fi
	rm -f /tmp/crmscm-apt.$$
	echo "install: $(dpkg-query -W -f='${Package} ${Version}' postgresql-15-crmscm) from $deb" >&2
	exit 0
fi

make -s -j2 >/dev/null
if [ -n "${CRMSCM_STAGE:-}" ]; then
	bindir=$(pg_config --bindir) sharedir=$(pg_config --sharedir)
	pkglibdir=$(pg_config --pkglibdir)
	if [ ! -x "$CRMSCM_STAGE$bindir/postgres" ]; then
		mkdir -p "$CRMSCM_STAGE$(dirname "$bindir")" "$CRMSCM_STAGE$(dirname "$sharedir")"
		cp -a "$(dirname "$bindir")/." "$CRMSCM_STAGE$(dirname "$bindir")/"
		cp -a "$sharedir" "$CRMSCM_STAGE$(dirname "$sharedir")/"
		[ -d "$CRMSCM_STAGE$pkglibdir" ] || cp -a "$pkglibdir" "$CRMSCM_STAGE$(dirname "$pkglibdir")/"
	fi
	make -s install DESTDIR="$CRMSCM_STAGE" >/dev/null
	echo "export CRMSCM_PG_BINDIR=$CRMSCM_STAGE$bindir"
else
	$SUDO make -s install >/dev/null
fi
