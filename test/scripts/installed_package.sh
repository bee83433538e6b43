#!/usr/bin/env bash
# The suite tests the Debian package (TAP), when it was installed from it:
# CRMSCM_INSTALL=deb tools/test.sh (what .ci/run runs) builds
# postgresql-15-crmscm, installs it and runs every test against it.  This
# script checks that the server under test really uses the package's files:
# the server's own directories (the pg_config view) are the system ones, every
# crmscm file there belongs to the package and is unchanged since it was
# installed (dpkg --verify), the module a backend maps after LOAD is the
# package's crmscm.so, and the versions CREATE EXTENSION offers are the
# package's scripts.  Without CRMSCM_INSTALL=deb (make install, or a stage)
# there is no package to check: one skip line.
set -uo pipefail
pkg=postgresql-15-crmscm
if [ "${CRMSCM_INSTALL:-}" != deb ]; then
	echo "1..0 # SKIP crmscm was installed by make install, not from $pkg (CRMSCM_INSTALL=deb checks it)"
	exit 0
fi
ver=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" crmscm.control)
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
diag() { sed 's/^/# /'; }
q() { psql -qXAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

st=$(dpkg-query -W -f='${Status} ${Version}' "$pkg" 2>/dev/null)
[[ "$st" == "install ok installed $ver-"* ]]
ok $? "$pkg is installed, version $ver-N (${st:-not installed})"

srv_share=$(q "SELECT setting FROM pg_config WHERE name = 'SHAREDIR'")
srv_lib=$(q "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")
[ "$srv_share" = "$(pg_config --sharedir)" ] && [ "$srv_lib" = "$(pg_config --pkglibdir)" ]
ok $? "the server under test is the system PostgreSQL ($srv_lib, $srv_share), not a stage copy"

owner=$(dpkg -S "$srv_lib/crmscm.so" 2>/dev/null | cut -d: -f1)
[ "$owner" = "$pkg" ]; ok $? "dpkg -S $srv_lib/crmscm.so: ${owner:-no package}"

unowned=
files=$( { ls -d "$srv_share"/extension/crmscm* "$srv_lib"/crmscm*; find "$srv_lib/bitcode" -path "$srv_lib/bitcode/crmscm*" -type f; } 2>/dev/null)
for f in $files; do
	[ -d "$f" ] && continue
	[ "$(dpkg -S "$f" 2>/dev/null | cut -d: -f1)" = "$pkg" ] || unowned+=" $f"
done
[ -n "$files" ] && [ -z "$unowned" ]
ok $? "every crmscm file in the server's directories ($(wc -w <<<"$files")) belongs to $pkg"
[ -n "$unowned" ] && echo "not from $pkg:$unowned" | diag

out=$(dpkg --verify "$pkg" 2>&1)
[ -z "$out" ]; ok $? "dpkg --verify $pkg: every file as the package installed it"
[ -n "$out" ] && echo "$out" | diag

mapped=$(q "LOAD 'crmscm'; SELECT DISTINCT substring(l FROM '(/\S*crmscm\S*\.so)') FROM regexp_split_to_table(pg_read_file('/proc/self/maps'), E'\n') l WHERE l LIKE '%crmscm%'")
[ "$mapped" = "$srv_lib/crmscm.so" ] && [ "$(dpkg -S "$mapped" 2>/dev/null | cut -d: -f1)" = "$pkg" ]
ok $? "after LOAD 'crmscm' a backend maps ${mapped:-nothing}, the package's module"

offered=$(q "SELECT string_agg(version, ' ' ORDER BY version) FROM pg_available_extension_versions WHERE name = 'crmscm'")
shipped=$(dpkg -L "$pkg" | sed -n "s#^$srv_share/extension/crmscm--\([0-9.]*\)\.sql\$#\1#p" | sort | tr '\n' ' ' | sed 's/ $//')
default=$(q "SELECT default_version FROM pg_available_extensions WHERE name = 'crmscm'")
[ -n "$offered" ] && [ "$offered" = "$shipped" ] && [ "$default" = "$ver" ]
ok $? "CREATE EXTENSION offers the package's versions ($offered), default $default"

db=crmscm_pkgcheck
dropdb --if-exists "$db" 2>/dev/null
createdb "$db" && psql -qXAt -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION crmscm' >/dev/null 2>&1
got=$(psql -qXAt -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'crmscm'" 2>/dev/null)
dropdb --if-exists "$db" 2>/dev/null
[ "$got" = "$ver" ]; ok $? "CREATE EXTENSION crmscm from the package installs $ver (${got:-failed})"
echo "1..$n"
exit $fail
