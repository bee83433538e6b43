-- Lines whose promise is at risk (issue #17, doc/synergy.md).
-- Like every view (doc/conventions.md): security_invoker, every table
-- filtered on current_tenant().  The recomputed day of a waiting line comes
-- from crmscm.promise_queue(), the queues replayed as they stand today.

-- The rows come from a function, and the view reads the function: on Citus a
-- query on the view with a constant tenant (WHERE tenant_id = 1) is routed to
-- the tenant's shard, where promise_queue(), which reads the distributed
-- tables, cannot run ('cannot execute a distributed query from a query on a
-- shard'); a function runs where it is called, on the coordinator.  Inside,
-- no subquery without FROM (Citus refuses one that calls a function that is
-- not immutable next to a column of the promise queue): the day and the
-- cause are computed in the derived table x and filtered outside it, with
-- CURRENT_TIMESTAMP for now(); doc/citus.md.
CREATE OR REPLACE FUNCTION @extschema@.at_risk_lines()
	RETURNS TABLE (tenant_id bigint, order_id bigint, line_no int, customer_id bigint, item_id bigint,
				   qty numeric, qty_reserved numeric, qty_backordered numeric, requested_date date,
				   promised_date date, promise_source text, recomputed_date date, days_late int, cause text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
WITH q AS MATERIALIZED (
	SELECT q.order_id, q.line_no, pg_catalog.max(q.covered_on) AS covered_on,
	       pg_catalog.bool_or(q.source OPERATOR(pg_catalog.=) 'lead_time') AS lead_time,
	       pg_catalog.bool_or(q.source OPERATOR(pg_catalog.=) 'purchase'
	                          AND q.covered_on OPERATOR(pg_catalog.<) pg_catalog.timezone('UTC', CURRENT_TIMESTAMP)::pg_catalog.date) AS overdue
	  FROM @extschema@.promise_queue() q
	 GROUP BY q.order_id, q.line_no
)
SELECT x.tenant_id,
       x.order_id,
       x.line_no,
       x.customer_id,
       x.item_id,
       x.qty,
       x.qty_reserved,
       x.qty_backordered,
       x.requested_date,
       x.promised_date,
       x.promise_source,
       x.recomputed_date,
       x.recomputed_date OPERATOR(pg_catalog.-) x.promised_date AS days_late,
       x.cause
  FROM (SELECT l.tenant_id, l.order_id, l.line_no, o.customer_id, l.item_id, l.qty, l.qty_reserved,
               l.qty_backordered, l.requested_date, l.promised_date, l.promise_source,
               GREATEST(COALESCE(l.requested_date, pg_catalog.timezone('UTC', o.ordered_at)::pg_catalog.date),
                        pg_catalog.timezone('UTC', CURRENT_TIMESTAMP)::pg_catalog.date, q.covered_on) AS recomputed_date,
               CASE WHEN q.order_id IS NULL THEN 'dispatch overdue'
                    WHEN q.overdue THEN 'purchase order overdue'
                    WHEN q.lead_time THEN 'no purchase order'
                    ELSE 'supply later than promised' END AS cause
          FROM @extschema@.sales_order_lines l
          JOIN @extschema@.sales_orders o
            ON o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id AND o.order_id OPERATOR(pg_catalog.=) l.order_id
          LEFT JOIN q ON q.order_id OPERATOR(pg_catalog.=) l.order_id AND q.line_no OPERATOR(pg_catalog.=) l.line_no
         WHERE l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
           AND o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
           AND o.status OPERATOR(pg_catalog.=) 'confirmed' AND l.status OPERATOR(pg_catalog.=) 'open'
           AND l.promised_date IS NOT NULL) x
 WHERE x.recomputed_date OPERATOR(pg_catalog.>) x.promised_date;
END
$$;
COMMENT ON FUNCTION @extschema@.at_risk_lines() IS
	'The rows of the view crmscm.at_risk_lines: open lines of the current tenant whose day recomputed today is later than their promise, with the cause';

CREATE OR REPLACE VIEW @extschema@.at_risk_lines WITH (security_invoker = true) AS
SELECT a.tenant_id, a.order_id, a.line_no, a.customer_id, a.item_id, a.qty, a.qty_reserved,
       a.qty_backordered, a.requested_date, a.promised_date, a.promise_source, a.recomputed_date,
       a.days_late, a.cause
  FROM @extschema@.at_risk_lines() a;

COMMENT ON VIEW @extschema@.at_risk_lines IS
	'Open lines whose day recomputed today is later than their promise, with the cause (doc/synergy.md)';
COMMENT ON COLUMN @extschema@.at_risk_lines.tenant_id IS 'Tenant';
COMMENT ON COLUMN @extschema@.at_risk_lines.order_id IS 'Order';
COMMENT ON COLUMN @extschema@.at_risk_lines.line_no IS 'Order line';
COMMENT ON COLUMN @extschema@.at_risk_lines.customer_id IS 'Customer of the order';
COMMENT ON COLUMN @extschema@.at_risk_lines.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.at_risk_lines.qty IS 'Quantity ordered';
COMMENT ON COLUMN @extschema@.at_risk_lines.qty_reserved IS 'Units reserved';
COMMENT ON COLUMN @extschema@.at_risk_lines.qty_backordered IS 'Units waiting';
COMMENT ON COLUMN @extschema@.at_risk_lines.requested_date IS 'Day the customer asked for';
COMMENT ON COLUMN @extschema@.at_risk_lines.promised_date IS 'Day promised';
COMMENT ON COLUMN @extschema@.at_risk_lines.promise_source IS 'What the promise rested on: stock, purchase or lead_time';
COMMENT ON COLUMN @extschema@.at_risk_lines.recomputed_date IS 'UTC day the line can be complete as things stand today: the later of its requested day, today and the day its last waiting unit is covered (crmscm.promise_queue())';
COMMENT ON COLUMN @extschema@.at_risk_lines.days_late IS 'recomputed_date - promised_date';
COMMENT ON COLUMN @extschema@.at_risk_lines.cause IS 'dispatch overdue (reserved in full, not shipped by the promised day), purchase order overdue (a purchase order it waits for is past its expected day), no purchase order (it waits for the item''s lead time: nothing ordered covers it), supply later than promised (the purchase orders that cover it arrive after the promise: moved, or taken by demand ahead)';
