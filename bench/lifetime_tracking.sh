#!/usr/bin/env bash
# What keeping customer_lifetime current costs per commit, against the
# customer's history: one order line inserted per transaction (reserving
# stock, all triggers on) for a customer with 0, 1,000 and 20,000 historic
# orders (5 lines each).  Side by side in one run:
#   delta     the shipped triggers: each commit books its own delta
#             (src/lifetime_tracking.c, 340_lifetime_triggers.sql)
#   recount   the same plus what the triggers of crmscm 0.1.0 did on every
#             commit: lock the customer's row and recompute it from all its
#             orders (their lifetime_touch, copied below as
#             public.lifetime_touch_010)
#
#   bench/lifetime_tracking.sh          (BENCH_SECONDS=5 per run by default)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PGHOST:-}" ]; then
	eval "$(tools/install.sh)"
	exec tools/with-cluster.sh bash "$0" "$@"
fi
secs=${BENCH_SECONDS:-5}
db=crmscm_bench_lt
bindir=${CRMSCM_PG_BINDIR:-$(pg_config --bindir)}
tmp=$(mktemp -d /tmp/crmscm-bench.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET crmscm.tenant_id = 1" 2>/dev/null	# one tenant (no default)
psql -qX -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION crmscm;
CREATE SEQUENCE public.line_no;
INSERT INTO crmscm.warehouses (warehouse_id, name, location) VALUES (1, 'Hamburg', '(53.5511,9.9937)');
INSERT INTO crmscm.items (item_id, sku, name) SELECT g, 'S' || g, 'item ' || g FROM generate_series(1, 100) g;
INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) SELECT i, 1, 1e9, 'receipt' FROM generate_series(1, 100) i;
INSERT INTO crmscm.customers (customer_id, name) VALUES (1, 'new'), (2, 'regular'), (3, 'key account');
-- history: closed orders with shipped lines, one a day going back
INSERT INTO crmscm.sales_orders (order_id, customer_id, status, ordered_at)
	SELECT 1000 + g, 2, 'closed', now() - g * interval '1 day' FROM generate_series(1, 1000) g
	UNION ALL
	SELECT 100000 + g, 3, 'closed', now() - (g / 20) * interval '1 day' FROM generate_series(1, 20000) g;
INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
	SELECT o.order_id, l, 1 + (o.order_id + l) % 100, 1, 10, 'shipped', 1
	  FROM crmscm.sales_orders o, generate_series(1, 5) l;
INSERT INTO crmscm.sales_orders (order_id, customer_id, status) VALUES (1, 1, 'confirmed'), (2, 2, 'confirmed'), (3, 3, 'confirmed');
VACUUM ANALYZE;
SQL
psql -qX -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE FUNCTION public.lifetime_touch_010(p_tenant bigint, p_customer bigint) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_risk int := 180;
	v_churn int := 365;
BEGIN
	IF p_customer IS NULL THEN
		RETURN;
	END IF;
	PERFORM 1 FROM crmscm.customers WHERE tenant_id = p_tenant AND customer_id = p_customer;
	IF NOT FOUND THEN
		RETURN;					-- customer deleted in this transaction
	END IF;
	INSERT INTO crmscm.customer_lifetime (tenant_id, customer_id)
		VALUES (p_tenant, p_customer) ON CONFLICT DO NOTHING;
	PERFORM 1 FROM crmscm.customer_lifetime
	  WHERE tenant_id = p_tenant AND customer_id = p_customer FOR UPDATE;
	SELECT at_risk_days, churn_days INTO v_risk, v_churn
	  FROM crmscm.lifetime_models WHERE tenant_id = p_tenant;
	-- a new statement: a fresh snapshot taken after the row lock
	UPDATE crmscm.customer_lifetime cl
	   SET first_order_day = f.first_day,
		   last_order_day = f.last_day,
		   order_days = f.days,
		   orders = f.orders,
		   orders_placed = (SELECT count(*) FROM crmscm.sales_orders o
							 WHERE o.tenant_id = p_tenant AND o.customer_id = p_customer),
		   revenue = f.revenue,
		   repeat_revenue = f.repeat_revenue,
		   shipped_revenue = f.shipped,
		   stage = crmscm.lifetime_stage(f.days, f.last_day,
				(SELECT count(*)::int FROM crmscm.sales_orders o
				  WHERE o.tenant_id = p_tenant AND o.customer_id = p_customer),
				CURRENT_DATE, COALESCE(v_risk, 180), COALESCE(v_churn, 365)),
		   stage_as_of = CURRENT_DATE,
		   updated_at = now()
	  FROM (SELECT min(d.purchase_day) AS first_day,
				   max(d.purchase_day) AS last_day,
				   count(*)::int AS days,
				   COALESCE(sum(d.n), 0)::int AS orders,
				   COALESCE(sum(d.amount), 0) AS revenue,
				   COALESCE(sum(d.amount) FILTER (WHERE d.rn > 1), 0) AS repeat_revenue,
				   COALESCE(sum(d.shipped), 0) AS shipped
			  FROM (SELECT p.purchase_day, count(*) AS n, sum(p.amount) AS amount,
						   sum(p.shipped_amount) AS shipped,
						   row_number() OVER (ORDER BY p.purchase_day) AS rn
					  FROM crmscm.customer_purchases p
					 WHERE p.tenant_id = p_tenant AND p.customer_id = p_customer
					 GROUP BY p.purchase_day) d) f
	 WHERE cl.tenant_id = p_tenant AND cl.customer_id = p_customer;
END;
$$;
SQL

run() {		# $1 = customer, $2 = delta|recount -> tps
	{
		echo '\set i random(1, 100)'
		echo '\set p random(1, 100)'
		echo 'BEGIN;'
		echo "INSERT INTO crmscm.sales_order_lines (order_id, line_no, item_id, qty, unit_price) VALUES ($1, nextval('public.line_no'), :i, 1, :p);"
		[ "$2" = recount ] && echo "SET CONSTRAINTS ALL IMMEDIATE; SELECT public.lifetime_touch_010(1, $1);"
		echo 'COMMIT;'
	} >"$tmp/s.sql"
	nice "$bindir/pgbench" -n -c 1 -T "$secs" -f "$tmp/s.sql" $db 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

echo "== order-line inserts per second, 1 client, by the customer's history ($secs s per run)"
printf '%-22s %10s %10s %10s\n' 'historic orders' delta recount ratio
for c in 1 2 3; do
	n=$(psql -AtqX -d $db -c "SELECT count(*) FROM crmscm.sales_orders WHERE customer_id = $c AND status = 'closed'")
	d=$(run $c delta)
	r=$(run $c recount)
	printf '%-22s %10.0f %10.0f %10.1f\n' "$n" "$d" "$r" "$(awk "BEGIN { print $d / $r }")"
done
bad=$(psql -AtqX -d $db <<'SQL'
SELECT count(*) FROM crmscm.customer_lifetime cl
  JOIN (SELECT p.customer_id, count(*) AS orders, sum(p.amount) AS revenue, count(DISTINCT p.purchase_day) AS days
		  FROM crmscm.customer_purchases p GROUP BY 1) x USING (customer_id)
 WHERE (cl.orders, cl.revenue, cl.order_days) IS DISTINCT FROM (x.orders::int, x.revenue, x.days::int);
SQL
)
echo "customers whose kept row differs from the recount from customer_purchases afterwards: $bad"
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db"
