#!/usr/bin/env bash
# Differential test of the reservation engine against crmscm 0.2.0 (TAP).
# For each recorded seed, test/differential/orders.py runs the same 400
# random operations against this build; transcript and tables must equal
# what 0.2.0 printed (test/data/orders_diff/, recorded by make_reference.sh
# from git), numbers compared by value.
set -uo pipefail
seeds=$(cat test/data/orders_diff/seeds)
echo "1..$(( $(echo $seeds | wc -w) * 2 ))"
n=0
for seed in $seeds; do
	out=$(mktemp)
	/usr/bin/python3 test/differential/orders.py "$seed" 400 >"$out" 2>&1
	rc=$?
	n=$((n + 1))
	ok=$(grep -c ': ok$' "$out")
	if [ $rc -eq 0 ] && [ "$ok" -gt 250 ] && grep -q '^-- reservations' "$out"; then
		echo "ok $n - seed $seed: the 400 operations ran ($ok succeeded)"
	else
		echo "not ok $n - seed $seed: the driver failed (exit $rc, $ok operations succeeded)"; tail -5 "$out" | sed 's/^/# /'
	fi
	n=$((n + 1))
	d=$(/usr/bin/python3 - "test/data/orders_diff/seed_$seed.out" "$out" <<'PY'
import sys
from decimal import Decimal, InvalidOperation
def norm(line):
    out = []
    for f in line.split(' | '):
        try:
            d = Decimal(f)
            out.append(format(d.normalize(), 'f'))
        except InvalidOperation:
            out.append(f)
    return ' | '.join(out)
a = [norm(l) for l in open(sys.argv[1]).read().splitlines()]
b = [norm(l) for l in open(sys.argv[2]).read().splitlines()]
diff = [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
if len(a) != len(b):
    diff.append((min(len(a), len(b)), '<%d lines>' % len(a), '<%d lines>' % len(b)))
for i, x, y in diff[:10]:
    print('line %d: 0.2.0 %r, now %r' % (i + 1, x, y))
PY
)
	if [ -z "$d" ]; then
		echo "ok $n - seed $seed: outcomes and every table equal 0.2.0's ($(wc -l <"$out") lines)"
	else
		echo "not ok $n - seed $seed: differs from 0.2.0"; echo "$d" | sed 's/^/# /'
	fi
	rm -f "$out"
done
