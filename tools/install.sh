#!/usr/bin/env bash
# Build and install crmscm.
#
# Normally installs into the system PostgreSQL (with sudo when not root).
# With CRMSCM_STAGE=/some/dir it installs into a private copy of the
# PostgreSQL installation under that directory instead, so several work
# trees can be tested side by side; source the printed line (or use
# tools/test.sh / tools/demo.sh, which do) to point CRMSCM_PG_BINDIR at it.
set -euo pipefail
cd "$(dirname "$0")/.."

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
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO make -s install >/dev/null
fi
