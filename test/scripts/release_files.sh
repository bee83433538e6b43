#!/usr/bin/env bash
# The release files (TAP): PGXN's META.json, the version every packaging file
# carries, and the archive `make dist` builds for PGXN (doc/releasing.md,
# "Packaging").
#   1. META.json passes tools/meta_check.py (PGXN Meta Spec 1.0.0, checked
#      field by field; Debian has no PGXN validator) and agrees with
#      crmscm.control; the checker itself rejects broken copies of META.json,
#      one rule each, and accepts the spec's other allowed forms;
#   2. crmscm.control, META.json and debian/changelog name the same version,
#      debian/control builds postgresql-15-crmscm;
#   3. make dist builds dist/crmscm-X.Y.Z.zip from HEAD with one top folder
#      crmscm-X.Y.Z/ holding what a build needs and no build products; the
#      unpacked archive builds and installs the files HEAD's upgrade/ and the
#      Makefile's rules predict, and (when the working tree has no changes to
#      the install sources) the same install scripts the server under test
#      uses, byte for byte; with CRMSCM_INSTALL=deb, the same set of files as
#      the Debian package.
set -uo pipefail
ver=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" crmscm.control)
prev=$(sed -n 's/^PREV_VERSION[[:space:]]*=[[:space:]]*//p' Makefile)
tmp=$(mktemp -d /tmp/crmscm-release.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
diag() { sed 's/^/# /'; }

# --- 1. META.json -----------------------------------------------------------
out=$(python3 tools/meta_check.py --control crmscm.control META.json 2>&1)
ok $? "META.json is valid (PGXN Meta Spec 1.0.0) and names version $ver of crmscm.control"
[ -n "$out" ] && echo "$out" | diag

# mutate PYTHON-STATEMENTS: a copy of META.json in $tmp/m with m changed
mutate() {
	rm -rf "$tmp/m"; mkdir -p "$tmp/m"
	cp crmscm.control README.md "$tmp/m/"
	python3 - "$1" >"$tmp/m/META.json" <<'PY'
import json, sys
m = json.load(open("META.json"))
exec(sys.argv[1])
print(json.dumps(m, indent=2))
PY
}
# reject PYTHON EXPECTED-MESSAGE DESCRIPTION [--control]
reject() {
	local out
	mutate "$1"
	out=$(cd "$tmp/m" && python3 "$OLDPWD/tools/meta_check.py" ${4:+--control crmscm.control} META.json 2>&1)
	local rc=$?
	[ "$rc" -eq 1 ] && grep -qF -- "$2" <<<"$out"
	ok $? "meta_check rejects $3"
	[ "$rc" -eq 1 ] && grep -qF -- "$2" <<<"$out" || { echo "expected: $2"; echo "got (rc $rc): $out"; } | diag
}
accept() {
	local out
	mutate "$1"
	out=$(cd "$tmp/m" && python3 "$OLDPWD/tools/meta_check.py" --control crmscm.control META.json 2>&1)
	ok $? "meta_check accepts $2"
	[ -n "$out" ] && echo "$out" | diag
}
reject 'del m["name"]' "required key 'name' missing" "a missing name"
reject 'm["name"] = "crm scm"' "is not a Term" "a name with a space"
reject 'm["version"] = "0.3"' "is not a semantic version" "version 0.3 (not X.Y.Z)"
reject 'm["abstract"] = ""' "abstract: must be a string" "an empty abstract"
reject 'm["maintainer"] = []' "maintainer: must not be empty" "an empty maintainer list"
reject 'm["license"] = "PostgreSQL License"' "not one of the spec's license names" "a license outside the spec's list"
reject 'm["provides"] = {}' "provides: must be a non-empty object" "an empty provides"
reject 'del m["provides"]["crmscm"]["file"]' "required key 'file' missing" "an extension without file"
reject 'm["provides"]["crmscm"]["version"] = "v1"' "provides.crmscm.version: 'v1' is not a semantic version" "an extension version v1"
reject 'm["meta-spec"]["version"] = "2.0.0"' "knows spec 1.0.x only" "meta-spec 2.0.0"
reject 'del m["meta-spec"]' "required key 'meta-spec' missing" "a missing meta-spec"
reject 'm["prereqs"]["install"] = {"requires": {"foo": 0}}' "unknown key 'install'" "a prereq phase 'install'"
reject 'm["prereqs"]["runtime"]["needs"] = {"foo": 0}' "unknown key 'needs'" "a prereq relationship 'needs'"
reject 'm["prereqs"]["runtime"]["requires"]["PostgreSQL"] = "15"' "is not a version range" "PostgreSQL version '15' (not X.Y.Z)"
reject 'm["prereqs"]["runtime"]["requires"]["PostgreSQL"] = ">= 15.0.0; < 16.0.0"' "is not a version range" "a range joined by ';'"
reject 'm["release_status"] = "beta"' "not stable, testing or unstable" "release_status beta"
reject 'm["homepage"] = "https://example.org/"' "unknown key 'homepage'" "a top-level key the spec does not know"
reject 'm["tags"] = ["a/b"]' "is not a tag" "a tag with a slash"
reject 'm["resources"] = {"bugtracker": {"mailto": "nobody"}}' "is not an email address" "a bug tracker mailto without a domain"
reject 'm["resources"] = {"repository": {"url": "git@host:x.git"}}' "needs web, or url with type" "a repository url without type"
reject 'm["no_index"] = {"directory": ["/abs"]}' "not a relative Unix path" "an absolute no_index path"
reject 'm["version"] = m["provides"]["crmscm"]["version"] = "9.9.9"' "differs from crmscm.control default_version" "a version other than crmscm.control's" --control
reject 'm["provides"]["crmscm"]["docfile"] = "doc/nothing.md"' "'doc/nothing.md' does not exist" "a docfile that does not exist" --control
mutate ''
sed -i '0,/"name": "crmscm",/s//"name": "crmscm", "name": "other",/' "$tmp/m/META.json"
out=$(cd "$tmp/m" && python3 "$OLDPWD/tools/meta_check.py" META.json 2>&1)
[ $? -eq 1 ] && grep -qF "duplicate key 'name'" <<<"$out"; ok $? "meta_check rejects a duplicate key"
accept 'm["license"] = {"PostgreSQL": "https://www.postgresql.org/about/licence"}' "a license object of name: URI"
accept 'm["license"] = ["postgresql", "mit"]; m["maintainer"] = ["A <a@example.org>", "B"]' "license and maintainer lists"
accept 'm["prereqs"]["runtime"]["requires"]["PostgreSQL"] = ">= 15.0.0, < 16.0.0"; m["x_ci"] = {"any": 1}' "a version range and a custom x_ key"

# --- 2. one version everywhere ---------------------------------------------
meta_ver=$(python3 -c 'import json; print(json.load(open("META.json"))["version"])')
deb_ver=$(sed -n '1s/^crmscm (\([^)]*\)) .*/\1/p' debian/changelog)
[ "$meta_ver" = "$ver" ] && [ "${deb_ver%-*}" = "$ver" ]
ok $? "crmscm.control ($ver), META.json ($meta_ver) and debian/changelog (${deb_ver:-none}) name one version"
grep -q '^Source: crmscm$' debian/control && grep -q '^Package: postgresql-15-crmscm$' debian/control \
	&& grep -q '^Package: postgresql-PGVERSION-crmscm$' debian/control.in
ok $? "debian/control (from control.in): source crmscm, binary postgresql-15-crmscm"

# --- 3. make dist -----------------------------------------------------------
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "# not a git work tree: make dist (git archive) not tried"
	echo "1..$n"; exit $fail
fi
zip=dist/crmscm-$ver.zip
rm -f "$zip"
make -s dist >"$tmp/dist.log" 2>&1 && [ -f "$zip" ]
ok $? "make dist builds $zip"
[ -f "$zip" ] || { diag <"$tmp/dist.log"; echo "1..$n"; exit 1; }
python3 - "$zip" "crmscm-$ver/" >"$tmp/names" <<'PY'
import sys, zipfile
for n in zipfile.ZipFile(sys.argv[1]).namelist():
    print(n)
PY
bad=$(grep -v "^crmscm-$ver/" "$tmp/names" | head -5)
[ -z "$bad" ] && [ -s "$tmp/names" ]; ok $? "every entry of the archive is under crmscm-$ver/"
[ -n "$bad" ] && echo "$bad" | diag
missing=
for f in crmscm.control Makefile META.json LICENSE README.md src/crmscm.c src/core/ src/sql/000_header.sql \
	sql/ expected/ upgrade/crmscm--$prev.sql upgrade/migrations/$prev--$ver.sql debian/control debian/rules; do
	grep -qxF "crmscm-$ver/$f" "$tmp/names" || missing+=" $f"
done
[ -z "$missing" ]; ok $? "the archive holds the control file, Makefile, META.json, src, sql, upgrade, debian"
[ -n "$missing" ] && echo "missing:$missing" | diag
built=$(grep -E '\.(o|so|bc|zip|deb)$|/crmscm--[0-9.]+\.sql$|/\.ci/' "$tmp/names" | grep -v '/upgrade/' | head -5)
[ -z "$built" ]; ok $? "the archive holds no build products and no CI files"
[ -n "$built" ] && echo "$built" | diag

python3 -m zipfile -e "$zip" "$tmp/x" && cd "$tmp/x/crmscm-$ver" || { ok 1 "unpack $zip"; echo "1..$n"; exit 1; }
make -s -j2 with_llvm=no CRMSCM_WERROR=1 >"$tmp/build.log" 2>&1 \
	&& make -s install with_llvm=no DESTDIR="$tmp/root" >>"$tmp/build.log" 2>&1
ok $? "the unpacked archive builds (-Werror) and installs with PGXS"
tail -20 "$tmp/build.log" | diag
cd "$OLDPWD"
sharedir=$(pg_config --sharedir) pkglibdir=$(pg_config --pkglibdir)
( cd "$tmp/root$sharedir/extension" 2>/dev/null && ls crmscm* ) >"$tmp/got"
( cd "$tmp/root$pkglibdir" 2>/dev/null && ls crmscm* ) >>"$tmp/got"
# what HEAD says must be installed: the control file, the built install script
# and step, every frozen script in upgrade/ (README "Upgrading"), the module
{ echo crmscm.control; echo "crmscm--$ver.sql"; echo "crmscm--$prev--$ver.sql"; echo crmscm.so
  git ls-tree --name-only HEAD upgrade/ | sed -n 's#^upgrade/\(crmscm--.*\.sql\)$#\1#p'; } | sort -u >"$tmp/want"
sort -o "$tmp/got" "$tmp/got"
diff "$tmp/want" "$tmp/got" >"$tmp/d"; ok $? "the archive installs exactly crmscm.control, crmscm.so and $(($(wc -l <"$tmp/want") - 2)) install/upgrade scripts"
diag <"$tmp/d"

# the server under test: its own idea of its share directory
srv_share=$(psql -qXAt -c "SELECT setting FROM pg_config WHERE name = 'SHAREDIR'" 2>/dev/null)
if [ -z "$(git status --porcelain -- src/sql upgrade Makefile crmscm.control)" ] && [ -n "$srv_share" ]; then
	differ=
	for f in $(grep '\.sql$\|\.control$' "$tmp/got"); do
		cmp -s "$tmp/root$sharedir/extension/$f" "$srv_share/extension/$f" || differ+=" $f"
	done
	[ -z "$differ" ]; ok $? "the archive's install scripts equal those of the server under test ($srv_share/extension)"
	[ -n "$differ" ] && echo "differ:$differ" | diag
else
	echo "# working tree changes src/sql, upgrade, Makefile or crmscm.control: archive (HEAD) not compared with the installed scripts"
fi

if [ "${CRMSCM_INSTALL:-}" = deb ]; then
	dpkg -L postgresql-15-crmscm 2>/dev/null \
		| grep -E "^($sharedir/extension|$pkglibdir)/crmscm[^/]*$" | xargs -rn1 basename | sort >"$tmp/deb"
	diff "$tmp/got" "$tmp/deb" >"$tmp/d"; ok $? "the PGXN archive and the Debian package install the same files"
	diag <"$tmp/d"
fi
# comments and docs cite the README or doc/, never the product contract
# outside the repository (#19)
cites=$(git grep -n 'SPEC §' -- src doc README.md examples bench tools test ':!test/scripts/release_files.sh' 2>/dev/null)
[ -z "$cites" ]; ok $? "no file cites a document outside the repository (SPEC §…)"
[ -n "$cites" ] && head -5 <<<"$cites" | diag
echo "1..$n"
exit $fail
