#!/usr/bin/env bash
# Route search stops promptly on statement_timeout and on query cancel
# (the kernels call CHECK_FOR_INTERRUPTS through their interrupt callback),
# and the backend stays usable afterwards.  Prints TAP.
set -u
db=routing_cancel_$$
createdb "$db" || { echo "not ok 1 - createdb"; exit 1; }
trap 'dropdb --if-exists "$db" >/dev/null 2>&1' EXIT
psql -qX -d "$db" -c "CREATE EXTENSION crmscm" >/dev/null

# 3000 random points, no time limit: the iteration budget alone would run
# for many seconds
tsp="SELECT cardinality(crmscm.tsp_tour(array_agg(crmscm.geopoint(40 + 15 * random(), -5 + 25 * random())), 1, NULL, NULL)) FROM generate_series(1, 3000)"
vrp="SELECT count(*) FROM crmscm.vrp_routes((SELECT crmscm.geopoint(47, 8)), (SELECT array_agg(crmscm.geopoint(40 + 15 * random(), -5 + 25 * random())) FROM generate_series(1, 3000)), array_fill(1::float8, ARRAY[3000]), 30, NULL, NULL)"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

t=0
check() {	# name, condition (0 = ok), detail
	t=$((t + 1))
	if [ "$2" -eq 0 ]; then echo "ok $t - $1"; else echo "not ok $t - $1"; echo "# $3"; fi
}

for kind in tsp vrp; do
	q=${!kind}
	t0=$(now)
	out=$(psql -qX -d "$db" -c "SET statement_timeout = '1s'" -c "$q" 2>&1)
	t1=$(now)
	el=$(elapsed "$t0" "$t1")
	echo "# $kind, statement_timeout 1s: returned after $el s"
	grep -q "canceling statement due to statement timeout" <<<"$out"; r1=$?
	lt "$el" 3; r2=$?
	check "$kind on 3000 points: statement_timeout = 1s stops it within 3 s (${el} s)" $((r1 + r2)) "$out"

	psql -qX -d "$db" -c "SET application_name = 'routing_cancel_$kind'" -c "$q" >"/tmp/routing_cancel_$$.out" 2>&1 &
	bg=$!
	sleep 1.5
	t0=$(now)
	psql -qAtX -d "$db" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'routing_cancel_$kind' AND state = 'active'" >/dev/null
	wait "$bg"
	t1=$(now)
	el=$(elapsed "$t0" "$t1")
	out=$(cat "/tmp/routing_cancel_$$.out")
	rm -f "/tmp/routing_cancel_$$.out"
	echo "# $kind, pg_cancel_backend after 1.5 s: returned $el s after the cancel"
	grep -q "canceling statement due to user request" <<<"$out"; r1=$?
	lt "$el" 2; r2=$?
	check "$kind on 3000 points: query cancel stops it within 2 s (${el} s)" $((r1 + r2)) "$out"
done

out=$(psql -qAtX -d "$db" -c "SELECT crmscm.tsp_tour('{{0,1,9,9},{9,0,1,9},{9,9,0,1},{1,9,9,0}}'::float8[])" 2>&1)
[ "$out" = "{1,2,3,4}" ]; check "the server answers normally afterwards" $? "$out"
echo "1..$t"
