-- crmscm.order_totals (#15; README "Using crmscm from an application"): the
-- amounts of each order an application shows, computed from its lines when
-- read.  Like every view (doc/conventions.md): security_invoker, and every
-- table filtered on current_tenant().  A filter on order_id reaches the
-- lines' aggregate (one index range per order).

CREATE OR REPLACE VIEW @extschema@.order_totals WITH (security_invoker = true) AS
SELECT o.tenant_id,
       o.order_id,
       o.customer_id,
       o.status,
       o.fill_policy,
       coalesce(l.lines, 0) AS lines,
       coalesce(l.amount, 0) AS amount,
       coalesce(l.open_amount, 0) AS open_amount,
       coalesce(l.reserved_value, 0) AS reserved_value,
       coalesce(l.backordered_value, 0) AS backordered_value,
       coalesce(l.shipped_value, 0) AS shipped_value
  FROM @extschema@.sales_orders o
  LEFT JOIN (SELECT x.tenant_id, x.order_id,
                    pg_catalog.count(*) FILTER (WHERE x.status OPERATOR(pg_catalog.<>) 'cancelled') AS lines,
                    pg_catalog.sum(x.qty OPERATOR(pg_catalog.*) x.unit_price)
                        FILTER (WHERE x.status OPERATOR(pg_catalog.<>) 'cancelled') AS amount,
                    pg_catalog.sum((x.qty OPERATOR(pg_catalog.-) x.qty_shipped) OPERATOR(pg_catalog.*) x.unit_price)
                        FILTER (WHERE x.status OPERATOR(pg_catalog.=) 'open') AS open_amount,
                    pg_catalog.sum(x.qty_reserved OPERATOR(pg_catalog.*) x.unit_price) AS reserved_value,
                    pg_catalog.sum(x.qty_backordered OPERATOR(pg_catalog.*) x.unit_price) AS backordered_value,
                    pg_catalog.sum(x.qty_shipped OPERATOR(pg_catalog.*) x.unit_price) AS shipped_value
               FROM @extschema@.sales_order_lines x
              WHERE x.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
              GROUP BY x.tenant_id, x.order_id) l
    ON l.tenant_id OPERATOR(pg_catalog.=) o.tenant_id AND l.order_id OPERATOR(pg_catalog.=) o.order_id
 WHERE o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant();

COMMENT ON VIEW @extschema@.order_totals IS
	'Amounts per order from its lines (qty * unit_price): ordered, still open, reserved, backordered, shipped';
COMMENT ON COLUMN @extschema@.order_totals.tenant_id IS 'Tenant owning the order';
COMMENT ON COLUMN @extschema@.order_totals.order_id IS 'Order';
COMMENT ON COLUMN @extschema@.order_totals.customer_id IS 'Ordering customer';
COMMENT ON COLUMN @extschema@.order_totals.status IS 'Order status';
COMMENT ON COLUMN @extschema@.order_totals.fill_policy IS 'backorder or all_or_nothing';
COMMENT ON COLUMN @extschema@.order_totals.lines IS 'Lines not cancelled';
COMMENT ON COLUMN @extschema@.order_totals.amount IS 'Sum of qty * unit_price over the lines not cancelled';
COMMENT ON COLUMN @extschema@.order_totals.open_amount IS 'Sum of (qty - qty_shipped) * unit_price over the open lines: what is still to deliver';
COMMENT ON COLUMN @extschema@.order_totals.reserved_value IS 'Sum of qty_reserved * unit_price: the value of the stock set aside (as of the last pass: commit or reserve_pending())';
COMMENT ON COLUMN @extschema@.order_totals.backordered_value IS 'Sum of qty_backordered * unit_price: the value waiting for stock';
COMMENT ON COLUMN @extschema@.order_totals.shipped_value IS 'Sum of qty_shipped * unit_price';
