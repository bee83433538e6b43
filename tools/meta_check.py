#!/usr/bin/python3
"""Check a PGXN META.json against the PGXN Meta Spec 1.0.0.

    tools/meta_check.py [--control crmscm.control] [META.json]

Checks every field the spec defines (required keys, Term, SemVer and version
range syntax, the license list, provides, prereqs phases and relationships,
resources, no_index, tags, release_status), rejects keys the spec does not
know (custom keys must start with x_ or X_) and duplicate keys.  With
--control it also checks the project's own rules: the distribution and the
extension of the control file carry the control file's default_version, and
the files META.json names exist.  Prints one line per problem; exit status 1
if there is any.  No network, no third-party module: Debian has no PGXN
validator, so make dist and test/scripts/release_files.sh use this one.
"""
import json
import os
import re
import sys

SEMVER = (r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
          r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
          r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
          r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")
VERSION_RE = re.compile("^" + SEMVER + "$")
# one clause of a version range: an optional operator, then a version (or 0)
RANGE_CLAUSE_RE = re.compile(r"^(?:(?:[=!]=|[<>]=?)\s*)?(?:" + SEMVER + "|0)$")
TERM_RE = re.compile(r"^[^/\\\s\x00-\x1f\x7f]{2,}$")
TAG_RE = re.compile(r"^[^/\\\x00-\x1f\x7f]{2,255}$")
URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LICENSES = {
    "agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd",
    "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1",
    "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5",
    "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source",
    "restricted", "unrestricted", "unknown"}
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONSHIPS = {"requires", "recommends", "suggests", "conflicts"}
SPEC_URLS = {"https://pgxn.org/meta/spec.txt", "http://pgxn.org/meta/spec.txt"}


class Checker:
    def __init__(self):
        self.problems = []

    def bad(self, where, what):
        self.problems.append("%s: %s" % (where, what))

    @staticmethod
    def custom(key):
        return isinstance(key, str) and re.match(r"^[xX]_.", key) is not None

    def obj(self, where, v, known, required=(), min_props=0):
        """v is an object whose keys are known or custom; returns v or None."""
        if not isinstance(v, dict):
            self.bad(where, "must be an object")
            return None
        for k in v:
            if k not in known and not self.custom(k):
                self.bad(where, "unknown key %r (custom keys start with x_)" % k)
        for k in required:
            if k not in v:
                self.bad(where, "required key %r missing" % k)
        if len(v) < min_props:
            self.bad(where, "must not be empty")
        return v

    def string(self, where, v, min_len=1):
        if not isinstance(v, str) or len(v) < min_len:
            self.bad(where, "must be a string of at least %d character(s)" % min_len)
            return False
        return True

    def term(self, where, v):
        if not isinstance(v, str) or not TERM_RE.match(v):
            self.bad(where, "%r is not a Term (2+ characters, no slash, backslash, "
                     "space or control character)" % (v,))

    def version(self, where, v):
        if not isinstance(v, str) or not VERSION_RE.match(v):
            self.bad(where, "%r is not a semantic version X.Y.Z" % (v,))

    def version_range(self, where, v):
        if v == 0 and not isinstance(v, bool):
            return
        if isinstance(v, str) and all(RANGE_CLAUSE_RE.match(c.strip())
                                      for c in v.split(",")) and v.strip():
            return
        self.bad(where, "%r is not a version range (0, X.Y.Z, or operator "
                 "clauses joined by commas)" % (v,))

    def uri(self, where, v):
        if not isinstance(v, str) or not URI_RE.match(v):
            self.bad(where, "%r is not a URI" % (v,))

    def email(self, where, v):
        if not isinstance(v, str) or not EMAIL_RE.match(v):
            self.bad(where, "%r is not an email address" % (v,))

    def path(self, where, v):
        if not self.string(where, v, 2):
            return
        if v.startswith("/") or "\\" in v or ".." in v.split("/"):
            self.bad(where, "%r is not a relative Unix path inside the distribution" % v)

    def path_list(self, where, v):
        if isinstance(v, list):
            if not v:
                self.bad(where, "must not be empty")
            if len(set(map(json.dumps, v))) != len(v):
                self.bad(where, "has duplicate entries")
            for i, p in enumerate(v):
                self.path("%s[%d]" % (where, i), p)
        else:
            self.path(where, v)

    def check(self, m):
        top = {"name", "version", "abstract", "maintainer", "license", "provides",
               "meta-spec", "description", "generated_by", "tags", "no_index",
               "prereqs", "release_status", "resources"}
        if self.obj("META", m, top, required=("name", "version", "abstract", "maintainer",
                                               "license", "provides", "meta-spec")) is None:
            return
        if "name" in m:
            self.term("name", m["name"])
        if "version" in m:
            self.version("version", m["version"])
        for k in ("abstract", "description", "generated_by"):
            if k in m:
                self.string(k, m[k])
        if "maintainer" in m:
            v = m["maintainer"]
            if isinstance(v, list):
                if not v:
                    self.bad("maintainer", "must not be empty")
                for i, x in enumerate(v):
                    self.string("maintainer[%d]" % i, x)
            else:
                self.string("maintainer", v)
        if "license" in m:
            self.license(m["license"])
        if "provides" in m:
            self.provides(m["provides"])
        if "meta-spec" in m:
            ms = self.obj("meta-spec", m["meta-spec"], {"version", "url"}, required=("version",))
            if ms is not None:
                if "version" in ms and not (isinstance(ms["version"], str)
                                            and re.match(r"^1\.0\.\d+$", ms["version"])):
                    self.bad("meta-spec.version", "%r: this checker knows spec 1.0.x only"
                             % (ms["version"],))
                if "url" in ms and ms["url"] not in SPEC_URLS:
                    self.bad("meta-spec.url", "%r is not the spec's URL" % (ms["url"],))
        if "tags" in m:
            t = m["tags"]
            if not isinstance(t, list) or not t:
                self.bad("tags", "must be a non-empty array")
            else:
                for i, x in enumerate(t):
                    if not isinstance(x, str) or not TAG_RE.match(x):
                        self.bad("tags[%d]" % i, "%r is not a tag (2-255 characters, no "
                                 "slash, backslash or control character)" % (x,))
        if "no_index" in m:
            ni = self.obj("no_index", m["no_index"], {"file", "directory"})
            if ni is not None:
                if "file" not in ni and "directory" not in ni:
                    self.bad("no_index", "needs file or directory")
                for k in ("file", "directory"):
                    if k in ni:
                        self.path_list("no_index." + k, ni[k])
        if "prereqs" in m:
            self.prereqs(m["prereqs"])
        if "release_status" in m and m["release_status"] not in ("stable", "testing", "unstable"):
            self.bad("release_status", "%r is not stable, testing or unstable"
                     % (m["release_status"],))
        if "resources" in m:
            self.resources(m["resources"])

    def license(self, v):
        if isinstance(v, str):
            if v not in LICENSES:
                self.bad("license", "%r is not one of the spec's license names" % v)
        elif isinstance(v, list):
            if not v:
                self.bad("license", "must not be empty")
            for i, x in enumerate(v):
                if x not in LICENSES:
                    self.bad("license[%d]" % i, "%r is not one of the spec's license names"
                             % (x,))
        elif isinstance(v, dict):
            if not v:
                self.bad("license", "must not be empty")
            for k, x in v.items():
                self.uri("license.%s" % k, x)
        else:
            self.bad("license", "must be a license name, an array of them, or an object")

    def provides(self, v):
        if not isinstance(v, dict) or not v:
            self.bad("provides", "must be a non-empty object (extension name: extension)")
            return
        for ext, e in v.items():
            where = "provides.%s" % ext
            self.term(where, ext)
            e = self.obj(where, e, {"file", "version", "abstract", "docfile", "docpath"},
                         required=("file", "version"))
            if e is None:
                continue
            if "file" in e:
                self.path(where + ".file", e["file"])
            if "docfile" in e:
                self.path(where + ".docfile", e["docfile"])
            if "version" in e:
                self.version(where + ".version", e["version"])
            for k in ("abstract", "docpath"):
                if k in e:
                    self.string(where + "." + k, e[k])

    def prereqs(self, v):
        if self.obj("prereqs", v, PHASES, min_props=1) is None:
            return
        for phase, p in v.items():
            if phase not in PHASES:
                continue
            where = "prereqs.%s" % phase
            if self.obj(where, p, RELATIONSHIPS, min_props=1) is None:
                continue
            for rel, deps in p.items():
                if rel not in RELATIONSHIPS:
                    continue
                w = "%s.%s" % (where, rel)
                if not isinstance(deps, dict) or not deps:
                    self.bad(w, "must be a non-empty object")
                    continue
                for name, rng in deps.items():
                    self.term(w, name)
                    self.version_range("%s.%s" % (w, name), rng)

    def resources(self, v):
        if self.obj("resources", v, {"homepage", "bugtracker", "repository"},
                    min_props=1) is None:
            return
        if "homepage" in v:
            self.uri("resources.homepage", v["homepage"])
        if "bugtracker" in v:
            b = self.obj("resources.bugtracker", v["bugtracker"], {"web", "mailto"})
            if b is not None:
                if "web" not in b and "mailto" not in b:
                    self.bad("resources.bugtracker", "needs web or mailto")
                if "web" in b:
                    self.uri("resources.bugtracker.web", b["web"])
                if "mailto" in b:
                    self.email("resources.bugtracker.mailto", b["mailto"])
        if "repository" in v:
            r = self.obj("resources.repository", v["repository"], {"url", "web", "type"})
            if r is not None:
                if "web" not in r and not ("url" in r and "type" in r):
                    self.bad("resources.repository", "needs web, or url with type")
                for k in ("url", "web"):
                    if k in r:
                        self.uri("resources.repository." + k, r[k])
                if "type" in r and not (isinstance(r["type"], str)
                                        and re.match(r"^[a-z0-9]+$", r["type"])):
                    self.bad("resources.repository.type", "must be a lowercase VCS name")

    def project(self, m, control, root):
        """crmscm's own rules: versions agree with the control file, files exist."""
        text = open(control, encoding="utf-8").read()
        found = re.search(r"^default_version\s*=\s*'([^']*)'", text, re.M)
        if not found:
            self.bad(control, "no default_version")
            return
        cv = found.group(1)
        ext = os.path.basename(control)[:-len(".control")]
        if m.get("version") != cv:
            self.bad("version", "%r differs from %s default_version %r"
                     % (m.get("version"), control, cv))
        prov = m.get("provides") if isinstance(m.get("provides"), dict) else {}
        if ext not in prov:
            self.bad("provides", "does not name the extension %r of %s" % (ext, control))
        elif isinstance(prov[ext], dict) and prov[ext].get("version") != cv:
            self.bad("provides.%s.version" % ext, "%r differs from %s default_version %r"
                     % (prov[ext].get("version"), control, cv))
        for e in prov.values():
            if not isinstance(e, dict):
                continue
            for k in ("file", "docfile"):
                if isinstance(e.get(k), str) and not os.path.isfile(os.path.join(root, e[k])):
                    self.bad("provides: " + k, "%r does not exist" % e[k])


def no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate key %r" % k)
        seen[k] = v
    return seen


def main(argv):
    control = None
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--control":
        control = args[1]
        args = args[2:]
    path = args[0] if args else "META.json"
    c = Checker()
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f, object_pairs_hook=no_duplicates)
    except (OSError, ValueError) as e:
        print("%s: not valid JSON: %s" % (path, e))
        return 1
    c.check(meta)
    if control is not None and isinstance(meta, dict):
        c.project(meta, control, os.path.dirname(os.path.abspath(path)))
    for p in c.problems:
        print("%s: %s" % (path, p))
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
