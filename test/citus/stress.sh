# The orders stress on Citus (issue #16), sourced by test/citus/citus.sh.
#
# test/scripts/orders_stress.sh's pgbench scripts (test/stress/*.sql), made
# multi-tenant by test/citus/stress/citusify.awk (three tenants, the tenant
# set per transaction with SET LOCAL, every statement routed by its tenant),
# run through the coordinator of the Citus cluster (database crm_stress) and
# on a single node (database crm_stress1 on the coordinator's server, which
# has no citus extension: plain PostgreSQL) side by side, with the same data
# (test/citus/stress/setup.sql) and the same rounds:
#   mix     multi-line orders in one INSERT, draft-then-confirm, quantity
#           changes, cancels, shipments, receipts, adjustments, purchase
#           orders received, ATP queries; READ COMMITTED;
#   orm     a confirmed order then one INSERT per line, changes, cancels,
#           deletes, shipments, receipts; READ COMMITTED;
#   orm-rr  the same at REPEATABLE READ, with SELECT crmscm.reserve_pending(t)
#           before every COMMIT (the commit's errors then come there, with
#           their own SQLSTATE: pgbench retries serialization failures).
# After each round: no failed transaction (retried serialization failures
# aside), check_inventory() and the invariant queries of
# test/stress/invariants.sql clean for every tenant.  Over all rounds: no
# deadlock on any node (pg_stat_database.deadlocks, and no "deadlock" in any
# node's log: Citus's distributed deadlock detection too), identity values
# unique in every table the engine inserts into, customer_lifetime equal to
# its recount.  The tps of both are printed, and the ratio.
#
#   CRMSCM_CITUS_STRESS_CLIENTS (16), CRMSCM_CITUS_STRESS_SECONDS (10 per round)
sclients=${CRMSCM_CITUS_STRESS_CLIENTS:-16}
ssecs=${CRMSCM_CITUS_STRESS_SECONDS:-10}
pgbench=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}/pgbench
sdir=$citus_dir/stress
mkdir -p "$sdir"
chmod 755 "$sdir"
for f in test/stress/*.sql test/stress/orm/*.sql; do
	case $f in */setup.sql|*/invariants.sql) continue ;; esac
	b=$(basename "$f"); [[ $f == */orm/* ]] && b=orm_$b
	awk -v flush=0 -f test/citus/stress/citusify.awk "$f" >"$sdir/$b"
	awk -v flush=1 -f test/citus/stress/citusify.awk "$f" >"$sdir/flush_$b"
done
mix_classic="new_order.sql@30 draft_confirm.sql@8 qty_change.sql@12 cancel_line.sql@4 cancel_order.sql@3 ship.sql@15
	receipt.sql@12 adjust.sql@2 purchase.sql@4 atp.sql@10"
mix_orm="orm_order.sql@40 qty_change.sql@10 cancel_line.sql@5 cancel_order.sql@3 orm_delete.sql@4 ship.sql@8
	orm_ship_two.sql@6 orm_receipt.sql@15 adjust.sql@2 purchase.sql@3 atp.sql@4"
mixargs() { local pre=$1 w; shift; for w in $*; do printf -- '-f %s/%s%s ' "$sdir" "$pre" "$w"; done; }

sdb=crm_stress sdb1=crm_stress1
for port in "$CPORT" "$W1PORT" "$W2PORT"; do P "$port" postgres -c "CREATE DATABASE $sdb" >/dev/null; done
for port in "$W1PORT" "$W2PORT"; do P "$port" "$sdb" -c "CREATE EXTENSION citus" >/dev/null; done
P "$CPORT" postgres -c "CREATE DATABASE $sdb1" >/dev/null
out=$(C "$sdb" -c "CREATE EXTENSION citus" -c "SELECT citus_set_coordinator_host('127.0.0.1', $CPORT)" \
	-c "SELECT citus_add_node('127.0.0.1', $W1PORT)" -c "SELECT citus_add_node('127.0.0.1', $W2PORT)" \
	-c "CREATE EXTENSION crmscm" -c "SELECT crmscm.distribute()" \
	-c "ALTER DATABASE $sdb SET citus.propagate_set_commands = 'local'" 2>&1 | grep -v '^$\|^[0-9]*$')
out+=$(C "$sdb" -f test/citus/stress/setup.sql 2>&1)
out+=$(C "$sdb1" -c "CREATE EXTENSION crmscm" -f test/citus/stress/setup.sql 2>&1)
is "stress: crmscm distributed in $sdb, 3 tenants' stress data there and on the single node $sdb1" "$out" ""

# per node: deadlocks counted, log lines so far
deadlocks() { local d=0 port x; for port in "$CPORT" "$W1PORT" "$W2PORT"; do
	x=$(P "$port" postgres -c "SELECT sum(deadlocks) FROM pg_stat_database"); d=$((d + ${x:-0})); done; echo $d; }
loglines() { cat "$citus_dir"/c.log "$citus_dir"/w1.log "$citus_dir"/w2.log | wc -l; }
dl0=$(deadlocks); ll0=$(loglines)
declare -A tps
sround() {	# $1 name, $2 isolation, $3 prefix of the scripts, $4 mix, $5 database, $6 label
	local name=$1 iso=$2 pre=$3 mix=$4 db=$5 label=$6 rc xacts failed retried dur what cnt log=$sdir/pgbench.log
	dur="-T $ssecs" what="${ssecs} s"
	[ "$iso" = 'read committed' ] || { dur="-t $((ssecs * 3))"; what="$((ssecs * 3)) transactions each"; }
	PGOPTIONS="-c default_transaction_isolation=${iso/ /\\ }" "$pgbench" -n -h 127.0.0.1 -p "$CPORT" -U postgres \
		-c "$sclients" -j 2 $dur --max-tries=1000 --failures-detailed $(mixargs "$pre" $mix) "$db" >"$log" 2>&1
	rc=$?
	tps[$label/$name]=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$log" | tail -1)
	xacts=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
	retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' "$log")
	if [ "$rc" -eq 0 ] && [ "${failed:-1}" -eq 0 ] && ! grep -q 'aborted\|ERROR' "$log" && [ -n "${tps[$label/$name]}" ]; then
		ok "stress $label $name ($iso): $sclients clients, $what, ${xacts:-?} transactions, tps ${tps[$label/$name]}, 0 failed, ${retried:-0} retried"
	else
		notok "stress $label $name ($iso): $sclients clients, $what, ${xacts:-?} transactions, ${failed:-?} failed" \
			"$(grep -m 20 'aborted\|ERROR\|error\|failures' "$log")"
	fi
	cnt=$(C "$db" -c "SELECT coalesce(string_agg(tenant_id || ':' || n, ' '), 'none') FROM (SELECT tenant_id, count(*) n FROM crmscm.check_inventory() GROUP BY 1 ORDER BY 1) x")
	is "stress $label $name: check_inventory() finds nothing, in any tenant" "$cnt" "none"
	cnt=$(C "$db" -c "SELECT count(*) FROM ($(sed 's/;[[:space:]]*$//' test/stress/invariants.sql)) x")
	is "stress $label $name: the invariant queries of test/stress/invariants.sql find nothing" "$cnt" "0"
}
for r in "mix|read committed||$mix_classic" "orm|read committed||$mix_orm" "orm-rr|repeatable read|flush_|$mix_orm"; do
	IFS='|' read -r name iso pre mix <<<"$r"
	sround "$name" "$iso" "$pre" "$mix" "$sdb" citus
	sround "$name" "$iso" "$pre" "$mix" "$sdb1" single
done
sleep 1
dl1=$(deadlocks)
is "stress: no deadlock on any node in any round (pg_stat_database.deadlocks summed over the 3 nodes: $dl0 -> $dl1)" "$dl1" "$dl0"
is "stress: no node logged a deadlock (PostgreSQL's detector or Citus's distributed one)" \
	"$(cat "$citus_dir"/c.log "$citus_dir"/w1.log "$citus_dir"/w2.log | tail -n +$((ll0 + 1)) | grep -ci 'deadlock')" "0"
for db in "$sdb" "$sdb1"; do
	got=$(C "$db" -c "SELECT string_agg(t || ':' || n || '/' || o, ' ' ORDER BY t) FROM (SELECT tenant_id t, count(*) n,
		(SELECT count(*) FROM crmscm.stock_moves m WHERE m.tenant_id = o.tenant_id AND m.kind = 'shipment') o
		FROM crmscm.sales_orders o GROUP BY 1) x")
	like "stress [$db]: every tenant got orders and shipments (tenant:orders/shipment moves)" "$got" "^1:[0-9]{2,}/[1-9][0-9]* 2:[0-9]{2,}/[1-9][0-9]* 3:[0-9]{2,}/[1-9][0-9]*$"
done
# identities: unique across the cluster in every table with one (rows the
# engine makes at commit on a worker, reservations, backorders, receipt
# moves, take their ids from that worker's range)
got=$(C "$sdb" -c "SELECT string_agg(x, ' ' ORDER BY x) FROM (
	SELECT c.relname || ':' || (xpath('/row/d/text()', query_to_xml(format('SELECT count(*) - count(DISTINCT %I) AS d FROM %s', a.attname, c.oid::regclass), false, true, '')))[1]::text AS x
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attidentity <> ''
	WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'r'
	  AND c.relname NOT IN ('customers', 'items', 'warehouses')) s")	# (the setup gives those the same ids in each tenant)
like "stress [$sdb]: identity values unique across coordinator and workers in every table whose ids the run made (table:duplicates)" "$got" "^([a-z_]+:0 ?)+$"
like "stress [$sdb]: ... including reservations and backorders, which the pass makes on the workers" "$got" "backorders:0 .*reservations:0"
got=$(C "$sdb" -c "SELECT (SELECT count(*) FROM crmscm.reservations WHERE reservation_id < (1::bigint << 48)) || '/' || (SELECT count(*) FROM crmscm.reservations)")
like "stress [$sdb]: ... those made on a worker lie in its range (reservations below 2^48 / all)" "$got" "^0/[1-9][0-9]*$"
for db in "$sdb" "$sdb1"; do
	bad=0
	for t in 1 2 3; do
		cnt=$(C "$db" -c "SET citus.propagate_set_commands = 'local'" -c "BEGIN" -c "SET LOCAL crmscm.tenant_id = $t" -c "SELECT count(*) FROM crmscm.customers c
			LEFT JOIN crmscm.customer_lifetime cl USING (tenant_id, customer_id)
			LEFT JOIN (SELECT p.tenant_id, p.customer_id, count(*)::int AS orders, count(DISTINCT p.purchase_day)::int AS days,
							  sum(p.amount) AS revenue, sum(p.shipped_amount) AS shipped
						 FROM crmscm.customer_purchases p WHERE p.tenant_id = $t GROUP BY 1, 2) x USING (tenant_id, customer_id)
			WHERE c.tenant_id = $t
			  AND (coalesce(cl.orders, 0), coalesce(cl.order_days, 0), coalesce(cl.revenue, 0), coalesce(cl.shipped_revenue, 0))
				  IS DISTINCT FROM (coalesce(x.orders, 0), coalesce(x.days, 0), coalesce(x.revenue, 0), coalesce(x.shipped, 0))" -c "COMMIT" 2>&1)
		[ "$cnt" = 0 ] || bad=$((bad + 1))
		[ "$cnt" = 0 ] || echo "#   tenant $t: $cnt"
	done
	is "stress [$db]: customer_lifetime, booked at every commit, equals its recount from customer_purchases in every tenant" "$bad" "0"
done
for name in mix orm orm-rr; do
	c=${tps[citus/$name]:-0} s=${tps[single/$name]:-0}
	echo "# stress tps $name: Citus (1 coordinator + 2 workers, one machine) $c, single node $s, ratio $(awk -v c="$c" -v s="$s" 'BEGIN { printf "%.2f", (s > 0 ? c / s : 0) }')"
done
