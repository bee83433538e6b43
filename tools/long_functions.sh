#!/usr/bin/env bash
# tools/long_functions.sh — the functions longer than a limit (default 150
# lines) in the C sources (src/*.c, src/core/*.c) and the SQL/PL/pgSQL
# functions of the install script (src/sql/*.sql), longest first.
#
#   tools/long_functions.sh [--max N] [--tap] [FILE...]
#
# A function may be longer when its comment says why: a line of the comment
# right above it (C: the /* */ block; SQL: the -- lines before CREATE) that
# starts with "Length:".  Exit status 1 when a long function has no such
# reason.  --tap prints one TAP line per long function (test/scripts/
# function_length.sh runs it that way).  A C function runs from the line of
# its name to the "}" in column 0 that closes the "{" in column 0 below it;
# a SQL function from CREATE to the end of its body's dollar quote.
set -euo pipefail
cd "$(dirname "$0")/.."
max=150
tap=0
files=()
while [ $# -gt 0 ]; do
	case "$1" in
		--max) max="$2"; shift 2 ;;
		--tap) tap=1; shift ;;
		*) files+=("$1"); shift ;;
	esac
done
if [ ${#files[@]} -eq 0 ]; then
	files=(src/*.c src/core/*.c src/sql/*.sql)
fi

exec python3 - "$max" "$tap" "${files[@]}" <<'PY'
import re, sys

limit, tap, files = int(sys.argv[1]), sys.argv[2] == '1', sys.argv[3:]

def c_functions(path, lines):
    """(name, first line, last line, comment) of each function of a C file"""
    out = []
    i = 0
    while i < len(lines):
        if lines[i].rstrip('\n') == '{':
            # the name: the nearest line above that starts in column 0 with
            # an identifier followed by "(" (the declarator)
            j = i - 1
            while j >= 0 and not re.match(r'^(?:[A-Za-z_][\w \*]*?[\s\*])?[A-Za-z_]\w*\s*\(', lines[j]):
                if lines[j].strip() == '' or lines[j].startswith('}'):
                    j = -1
                    break
                j -= 1
            k = i + 1
            while k < len(lines) and not lines[k].startswith('}'):
                k += 1
            if j >= 0:
                name = re.match(r'^(?:[A-Za-z_][\w \*]*?[\s\*])?([A-Za-z_]\w*)\s*\(', lines[j]).group(1)
                # the comment block above the declarator (type lines between)
                c = j - 1
                while c >= 0 and (re.match(r'^(static|extern|PG_FUNCTION_INFO_V1|Datum|#|__attribute__|[A-Za-z_][\w \*]*$)', lines[c]) and not lines[c].startswith(' *')) and lines[c].strip():
                    c -= 1
                comment = []
                if c >= 0 and lines[c].rstrip().endswith('*/'):
                    while c >= 0:
                        comment.append(lines[c])
                        if lines[c].lstrip().startswith('/*'):
                            break
                        c -= 1
                out.append((name, j + 1, k + 1, ''.join(reversed(comment))))
            i = k
        i += 1
    return out

def sql_functions(path, lines):
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r'^\s*CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+([\w@.]+)', lines[i], re.I)
        if not m:
            i += 1
            continue
        name = m.group(3).split('.')[-1]
        comment = []
        c = i - 1
        while c >= 0 and lines[c].lstrip().startswith('--'):
            comment.append(lines[c])
            c -= 1
        # the body: from the first dollar quote to the same quote again
        k = i
        tag = None
        while k < len(lines):
            q = re.search(r'(\$\w*\$)', lines[k])
            if q:
                tag = q.group(1)
                rest = lines[k][q.end():]
                if tag in rest:
                    break
                k += 1
                while k < len(lines) and tag not in lines[k]:
                    k += 1
                break
            if lines[k].rstrip().endswith(';'):
                break           # no body in dollar quotes (LANGUAGE C)
            k += 1
        out.append((name, i + 1, k + 1, ''.join(reversed(comment))))
        i = k + 1
    return out

rows = []
for path in files:
    with open(path, encoding='utf-8') as f:
        lines = f.readlines()
    funcs = sql_functions(path, lines) if path.endswith('.sql') else c_functions(path, lines)
    for name, first, last, comment in funcs:
        n = last - first + 1
        if n > limit:
            reason = None
            for line in comment.splitlines():
                m = re.match(r'^\s*(?:\*|--|/\*)\s*Length:\s*(.*)', line)
                if m:
                    reason = m.group(1).strip() or '(empty)'
                    break
            rows.append((n, path, first, name, reason))
rows.sort(key=lambda r: (-r[0], r[1], r[2]))
bad = 0
if tap:
    print('1..%d' % max(len(rows), 1))
    if not rows:
        print('ok 1 - no function over %d lines' % limit)
for i, (n, path, first, name, reason) in enumerate(rows, 1):
    if reason is None:
        bad += 1
    if tap:
        print('%sok %d - %s (%s:%d, %d lines) %s' % ('' if reason else 'not ', i, name, path, first, n,
              'says why it is long' if reason else 'is over %d lines and its comment has no "Length:" reason' % limit))
    else:
        print('%5d  %s:%d  %s  %s' % (n, path, first, name, ('Length: ' + reason) if reason else 'NO REASON'))
sys.exit(1 if bad else 0)
PY
