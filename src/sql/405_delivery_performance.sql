-- Delivery performance (issue #17, doc/synergy.md): on time, in
-- full and OTIF per order line, with the cause of each miss.  Like every
-- view (doc/conventions.md): security_invoker, every table filtered on
-- current_tenant().  Days are UTC days.

-- The per-line rules in C (src/delivery_performance.c, src/core/otif.h):
-- as SQL expressions the planner copied them at every reference and the
-- setting and today came from a MATERIALIZED CTE that kept the rollup out
-- of parallel workers (bench/synergy.sh part C: 25.9 s for 10 M lines).
-- They read the setting crmscm.otif_tolerance_days and the UTC day of the
-- transaction themselves (STABLE): on Citus, where the rows are.
CREATE OR REPLACE FUNCTION @extschema@.otif_due(promised date, requested date) RETURNS date
	AS 'MODULE_PATHNAME', $$crmscmotif_due$$ LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.otif_due(date, date) IS
	'delivery_performance.due_date: the promised (else requested) day + the setting crmscm.otif_tolerance_days; NULL when both days are NULL';
CREATE OR REPLACE FUNCTION @extschema@.otif_on_time(order_status text, status text, qty_shipped numeric,
		promised date, requested date, last_shipped_at timestamptz) RETURNS boolean
	AS 'MODULE_PATHNAME', $$crmscmotif_on_time$$ LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.otif_on_time(text, text, numeric, date, date, timestamptz) IS
	'delivery_performance.on_time of a line from its order''s status and its own status, qty_shipped, promised_date, requested_date and last_shipped_at, with crmscm.otif_tolerance_days and today''s UTC day (doc/synergy.md); NULL when not measured (not a delivery, no due day, not due yet), NULL arguments as in SQL''s three-valued logic';
CREATE OR REPLACE FUNCTION @extschema@.otif_in_full(order_status text, status text, qty_shipped numeric,
		promised date, requested date, last_shipped_at timestamptz) RETURNS boolean
	AS 'MODULE_PATHNAME', $$crmscmotif_in_full$$ LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.otif_in_full(text, text, numeric, date, date, timestamptz) IS
	'delivery_performance.in_full of a line from its order''s status and its own status, qty_shipped, promised_date, requested_date and last_shipped_at, with crmscm.otif_tolerance_days and today''s UTC day (doc/synergy.md); NULL when not measured (not a delivery, no due day, not due yet), NULL arguments as in SQL''s three-valued logic';
CREATE OR REPLACE FUNCTION @extschema@.otif_days_late(order_status text, status text, qty_shipped numeric,
		promised date, requested date, last_shipped_at timestamptz) RETURNS integer
	AS 'MODULE_PATHNAME', $$crmscmotif_days_late$$ LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.otif_days_late(text, text, numeric, date, date, timestamptz) IS
	'delivery_performance.days_late of a line from its order''s status and its own status, qty_shipped, promised_date, requested_date and last_shipped_at, with crmscm.otif_tolerance_days and today''s UTC day (doc/synergy.md); NULL when not measured (not a delivery, no due day, not due yet), NULL arguments as in SQL''s three-valued logic';

-- The lines alone: each carries its order's customer and status
-- (customer_id, order_status, kept by src/order_copy.c), so a rollup per
-- customer does not join 10 M lines to their orders (nine tenths of its
-- time, doc/synergy.md).  Each rule written out where it is used, no FROM-less LATERAL subquery
-- naming them once: PostgreSQL pulls such a subquery up and copies its
-- expressions to every reference anyway, and Citus cannot push one with a
-- STABLE function down in a query over all shards (customer_360 without the
-- tenant named: "Subqueries without a FROM clause can only contain immutable
-- functions").  The UTC day of a shipment by a zero offset: the zone name
-- 'UTC' is looked up at each call.
CREATE OR REPLACE VIEW @extschema@.delivery_performance WITH (security_invoker = true) AS
SELECT l.tenant_id,
       l.order_id,
       l.line_no,
       l.customer_id,
       l.item_id,
       l.status,
       l.qty,
       l.qty_shipped,
       l.requested_date,
       l.promised_date,
       @extschema@.otif_due(l.promised_date, l.requested_date) AS due_date,
       pg_catalog.timezone('00:00'::pg_catalog.interval, l.first_shipped_at)::pg_catalog.date AS first_shipped_on,
       pg_catalog.timezone('00:00'::pg_catalog.interval, l.last_shipped_at)::pg_catalog.date AS last_shipped_on,
       l.shipments,
       @extschema@.otif_on_time(l.order_status, l.status, l.qty_shipped, l.promised_date, l.requested_date, l.last_shipped_at) AS on_time,
       @extschema@.otif_in_full(l.order_status, l.status, l.qty_shipped, l.promised_date, l.requested_date, l.last_shipped_at) AS in_full,
       -- on time and in full is on_time itself: a shipped line is in full, a
       -- cancelled one neither, an open one is in full NULL while on_time is
       -- false or NULL (test/pgtap/delivery_performance.sql checks the long
       -- form)
       @extschema@.otif_on_time(l.order_status, l.status, l.qty_shipped, l.promised_date, l.requested_date, l.last_shipped_at) AS otif,
       @extschema@.otif_days_late(l.order_status, l.status, l.qty_shipped, l.promised_date, l.requested_date, l.last_shipped_at) AS days_late,
       CASE WHEN @extschema@.otif_on_time(l.order_status, l.status, l.qty_shipped, l.promised_date, l.requested_date, l.last_shipped_at) IS NOT FALSE
                 AND @extschema@.otif_in_full(l.order_status, l.status, l.qty_shipped, l.promised_date, l.requested_date, l.last_shipped_at) IS NOT FALSE THEN NULL
            WHEN l.customer_changed_at IS NOT NULL OR l.status OPERATOR(pg_catalog.=) 'cancelled' THEN 'customer change'
            WHEN l.shipments OPERATOR(pg_catalog.>) 1
                 AND pg_catalog.timezone('00:00'::pg_catalog.interval, l.first_shipped_at)::pg_catalog.date OPERATOR(pg_catalog.<=) @extschema@.otif_due(l.promised_date, l.requested_date) THEN 'split shipment'
            WHEN l.covered_on OPERATOR(pg_catalog.<=) @extschema@.otif_due(l.promised_date, l.requested_date) THEN 'dispatch late'
            WHEN l.promise_source OPERATOR(pg_catalog.=) 'purchase' THEN 'supplier late'
            ELSE 'no stock at promise' END AS cause
  FROM @extschema@.sales_order_lines l
 WHERE l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant();

COMMENT ON VIEW @extschema@.delivery_performance IS
	'One row per order line: requested and promised day, shipments, on time, in full, OTIF and the cause of a miss (doc/synergy.md); NULL measures: not a delivery (draft order, cancelled before shipping) or not due yet';
COMMENT ON COLUMN @extschema@.delivery_performance.tenant_id IS 'Tenant';
COMMENT ON COLUMN @extschema@.delivery_performance.order_id IS 'Order';
COMMENT ON COLUMN @extschema@.delivery_performance.line_no IS 'Order line';
COMMENT ON COLUMN @extschema@.delivery_performance.customer_id IS 'Customer of the order';
COMMENT ON COLUMN @extschema@.delivery_performance.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.delivery_performance.status IS 'Line status: open, shipped or cancelled';
COMMENT ON COLUMN @extschema@.delivery_performance.qty IS 'Quantity ordered (as it stands: lowered to what was shipped when the rest was given up)';
COMMENT ON COLUMN @extschema@.delivery_performance.qty_shipped IS 'Quantity shipped';
COMMENT ON COLUMN @extschema@.delivery_performance.requested_date IS 'Day the customer asked for';
COMMENT ON COLUMN @extschema@.delivery_performance.promised_date IS 'Day promised (sales_order_lines.promised_date)';
COMMENT ON COLUMN @extschema@.delivery_performance.due_date IS 'promised_date (else requested_date) + crmscm.otif_tolerance_days: the last day that is on time';
COMMENT ON COLUMN @extschema@.delivery_performance.first_shipped_on IS 'UTC day of the first shipment';
COMMENT ON COLUMN @extschema@.delivery_performance.last_shipped_on IS 'UTC day of the last shipment';
COMMENT ON COLUMN @extschema@.delivery_performance.shipments IS 'Number of shipments (crmscm.ship() calls)';
COMMENT ON COLUMN @extschema@.delivery_performance.on_time IS 'All ordered quantity shipped by due_date (early counts as on time); false once due_date passed with some open, or when the line was cancelled after a partial shipment; NULL while not due';
COMMENT ON COLUMN @extschema@.delivery_performance.in_full IS 'The whole ordered quantity shipped (true for shipped lines, false for lines cancelled after a partial shipment, NULL while open)';
COMMENT ON COLUMN @extschema@.delivery_performance.otif IS 'On time and in full: false as soon as either is false, true when both are true';
COMMENT ON COLUMN @extschema@.delivery_performance.days_late IS 'Days from the promised day (else requested) to the last shipment, or to today while open; 0 when early or on the day; NULL while not due';
COMMENT ON COLUMN @extschema@.delivery_performance.cause IS 'Why OTIF failed, the first that applies: customer change (quantity, date or status changed after the promise, or cancelled), split shipment (a first shipment on time, the rest late), dispatch late (fully reserved by due_date, shipped later), supplier late (the promise rested on a purchase order), no stock at promise (it rested on stock taken since, or on the lead time)';
