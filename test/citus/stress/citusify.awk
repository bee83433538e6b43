# Turn a pgbench script of the single-node orders stress (test/stress/*.sql,
# one tenant, set by ALTER DATABASE) into one for three tenants with the
# tenant set per transaction, as an application on Citus does it
# (doc/citus.md): test/citus/stress.sh runs the result on the Citus cluster
# and on a single node side by side.
#   - a tenant per transaction: \set t random(1, 3), and after every BEGIN
#     SET LOCAL crmscm.tenant_id = :t; a statement outside BEGIN ... COMMIT
#     becomes a transaction of its own;
#   - every filter on tenant 1 is on :t, every statement names its tenant
#     (so Citus routes it to one worker): tenant_id = :t in the WHERE of
#     statements on one order, the newest orders counted per tenant, the
#     customer an order is made for read in its tenant;
#   - with -v flush=1, SELECT crmscm.reserve_pending(:t) before every
#     COMMIT: the commit's work then fails, if at all, there with its own
#     SQLSTATE (a serialization failure that pgbench retries), not at COMMIT
#     (doc/citus.md, "Errors at COMMIT").
function tenantize(s) {
	gsub(/tenant_id = 1 /, "tenant_id = :t ", s)
	gsub(/\(SELECT max\(order_id\) FROM crmscm\.sales_orders\)/, "(SELECT max(order_id) FROM crmscm.sales_orders WHERE tenant_id = :t)", s)
	gsub(/stress\.ship_some\(/, "stress.ship_some(:t, ", s)
	gsub(/ WHERE order_id = :oid/, " WHERE tenant_id = :t AND order_id = :oid", s)
	gsub(/ WHERE po_id = :pid/, " WHERE tenant_id = :t AND po_id = :pid", s)
	gsub(/FROM crmscm\.customers WHERE customer_id = :c/, "FROM crmscm.customers WHERE tenant_id = :t AND customer_id = :c", s)
	gsub(/FROM crmscm\.inventory_position WHERE item_id/, "FROM crmscm.inventory_position WHERE tenant_id = :t AND item_id", s)
	return s
}
function commit() {
	if (flush) print "SELECT crmscm.reserve_pending(:t);"
	print "COMMIT;"
}
BEGIN { intx = 0; inst = 0; print "\\set t random(1, 3)" }
{
	line = tenantize($0)
	if (line ~ /^[[:space:]]*(--|$)/ || line ~ /^\\/) {
		# comments, blank lines, meta-commands (\set, \if, \gset alone)
		print line
		if (inst && line ~ /\\gset[[:space:]]*$/) { inst = 0; if (!intx) commit() }
		next
	}
	if (line ~ /^BEGIN;/) { intx = 1; print line; print "SET LOCAL crmscm.tenant_id = :t;"; next }
	if (line ~ /^COMMIT;/) { intx = 0; commit(); next }
	if (!intx && !inst) { print "BEGIN;"; print "SET LOCAL crmscm.tenant_id = :t;" }
	inst = 1
	print line
	if (line ~ /;[[:space:]]*$/ || line ~ /\\gset[[:space:]]*$/) {
		inst = 0
		if (!intx) commit()
	}
}
