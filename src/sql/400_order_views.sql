-- BI views of stock and the backorder queue (doc/orders.md, README "Reference").  Like every view
-- (doc/conventions.md): security_invoker, and every table filtered on
-- current_tenant().

CREATE OR REPLACE VIEW @extschema@.inventory_position WITH (security_invoker = true) AS
SELECT i.tenant_id,
       i.item_id,
       it.sku,
       it.name AS item_name,
       i.warehouse_id,
       w.name AS warehouse_name,
       i.on_hand,
       i.reserved,
       i.available,
       coalesce(b.backordered, 0) AS backordered,
       i.on_order,
       GREATEST(i.available OPERATOR(pg_catalog.-) (coalesce(b.backordered, 0) OPERATOR(pg_catalog.-) coalesce(b.allocated, 0)), 0) AS available_to_promise,
       i.on_hand OPERATOR(pg_catalog.+) i.on_order OPERATOR(pg_catalog.-) i.reserved
           OPERATOR(pg_catalog.-) (coalesce(b.backordered, 0) OPERATOR(pg_catalog.-) coalesce(b.allocated, 0)) AS projected,
       coalesce(b.backorders, 0) AS waiting_backorders
  FROM @extschema@.inventory i
  JOIN @extschema@.items it ON it.tenant_id OPERATOR(pg_catalog.=) i.tenant_id AND it.item_id OPERATOR(pg_catalog.=) i.item_id
  JOIN @extschema@.warehouses w ON w.tenant_id OPERATOR(pg_catalog.=) i.tenant_id AND w.warehouse_id OPERATOR(pg_catalog.=) i.warehouse_id
  LEFT JOIN (SELECT x.tenant_id, x.item_id, x.warehouse_id, pg_catalog.sum(x.qty) AS backordered,
                    pg_catalog.sum(x.allocated) AS allocated, pg_catalog.count(*) AS backorders
               FROM @extschema@.backorders x
              WHERE x.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
              GROUP BY 1, 2, 3) b
    ON b.tenant_id OPERATOR(pg_catalog.=) i.tenant_id AND b.item_id OPERATOR(pg_catalog.=) i.item_id
   AND b.warehouse_id OPERATOR(pg_catalog.=) i.warehouse_id
 WHERE i.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND it.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND w.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant();

COMMENT ON VIEW @extschema@.inventory_position IS
	'Stock per item and warehouse: on hand, reserved, available, backordered, on order, available to promise';
COMMENT ON COLUMN @extschema@.inventory_position.tenant_id IS 'Tenant owning the stock';
COMMENT ON COLUMN @extschema@.inventory_position.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.inventory_position.sku IS 'Item stock keeping unit';
COMMENT ON COLUMN @extschema@.inventory_position.item_name IS 'Item name';
COMMENT ON COLUMN @extschema@.inventory_position.warehouse_id IS 'Warehouse';
COMMENT ON COLUMN @extschema@.inventory_position.warehouse_name IS 'Warehouse name';
COMMENT ON COLUMN @extschema@.inventory_position.on_hand IS 'Units physically in the warehouse';
COMMENT ON COLUMN @extschema@.inventory_position.reserved IS 'Units reserved for open order lines';
COMMENT ON COLUMN @extschema@.inventory_position.available IS 'on_hand - reserved';
COMMENT ON COLUMN @extschema@.inventory_position.backordered IS 'Units of open order lines waiting for stock in this warehouse';
COMMENT ON COLUMN @extschema@.inventory_position.on_order IS 'Units on ordered purchase orders not yet received';
COMMENT ON COLUMN @extschema@.inventory_position.available_to_promise IS 'available - (backordered - allocated), at least 0 (as crmscm.available_to_promise)';
COMMENT ON COLUMN @extschema@.inventory_position.projected IS 'on_hand + on_order - reserved - backordered: the position once open purchases arrive';
COMMENT ON COLUMN @extschema@.inventory_position.waiting_backorders IS 'Number of backorders waiting in this warehouse';

CREATE OR REPLACE VIEW @extschema@.backorder_queue WITH (security_invoker = true) AS
SELECT b.tenant_id,
       b.item_id,
       it.sku,
       b.warehouse_id,
       w.name AS warehouse_name,
       pg_catalog.row_number() OVER (PARTITION BY b.tenant_id, b.item_id, b.warehouse_id
                                     ORDER BY b.priority DESC, b.tier, b.created_at, b.backorder_id) AS queue_position,
       b.backorder_id,
       b.order_id,
       b.line_no,
       o.customer_id,
       c.name AS customer_name,
       b.qty,
       b.priority,
       b.created_at,
       pg_catalog.now() OPERATOR(pg_catalog.-) b.created_at AS waiting_for,
       i.on_order,
       b.allocated,
       b.tier,
       b.promised_date,
       b.promise_source
  FROM @extschema@.backorders b
  JOIN @extschema@.items it ON it.tenant_id OPERATOR(pg_catalog.=) b.tenant_id AND it.item_id OPERATOR(pg_catalog.=) b.item_id
  JOIN @extschema@.warehouses w ON w.tenant_id OPERATOR(pg_catalog.=) b.tenant_id AND w.warehouse_id OPERATOR(pg_catalog.=) b.warehouse_id
  JOIN @extschema@.inventory i ON i.tenant_id OPERATOR(pg_catalog.=) b.tenant_id AND i.item_id OPERATOR(pg_catalog.=) b.item_id
   AND i.warehouse_id OPERATOR(pg_catalog.=) b.warehouse_id
  JOIN @extschema@.sales_orders o ON o.tenant_id OPERATOR(pg_catalog.=) b.tenant_id AND o.order_id OPERATOR(pg_catalog.=) b.order_id
  JOIN @extschema@.customers c ON c.tenant_id OPERATOR(pg_catalog.=) o.tenant_id AND c.customer_id OPERATOR(pg_catalog.=) o.customer_id
 WHERE b.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND it.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND w.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND i.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
   AND c.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant();

COMMENT ON VIEW @extschema@.backorder_queue IS
	'Open backorders in the order they will be filled, per item and warehouse';
COMMENT ON COLUMN @extschema@.backorder_queue.tenant_id IS 'Tenant owning the backorder';
COMMENT ON COLUMN @extschema@.backorder_queue.item_id IS 'Item waited for';
COMMENT ON COLUMN @extschema@.backorder_queue.sku IS 'Item stock keeping unit';
COMMENT ON COLUMN @extschema@.backorder_queue.warehouse_id IS 'Warehouse that will fill it';
COMMENT ON COLUMN @extschema@.backorder_queue.warehouse_name IS 'Warehouse name';
COMMENT ON COLUMN @extschema@.backorder_queue.queue_position IS 'Place in the fill order of its item and warehouse (1 = filled first): priority desc, tier, created_at, backorder_id';
COMMENT ON COLUMN @extschema@.backorder_queue.backorder_id IS 'Backorder identifier';
COMMENT ON COLUMN @extschema@.backorder_queue.order_id IS 'Sales order waiting';
COMMENT ON COLUMN @extschema@.backorder_queue.line_no IS 'Order line waiting';
COMMENT ON COLUMN @extschema@.backorder_queue.customer_id IS 'Customer of the order';
COMMENT ON COLUMN @extschema@.backorder_queue.customer_name IS 'Customer name';
COMMENT ON COLUMN @extschema@.backorder_queue.qty IS 'Units still missing';
COMMENT ON COLUMN @extschema@.backorder_queue.priority IS 'Fill priority (the order''s priority); higher first';
COMMENT ON COLUMN @extschema@.backorder_queue.created_at IS 'When the backorder was created';
COMMENT ON COLUMN @extschema@.backorder_queue.waiting_for IS 'How long it has been waiting';
COMMENT ON COLUMN @extschema@.backorder_queue.on_order IS 'Units of the item on order for this warehouse (incoming purchases)';
COMMENT ON COLUMN @extschema@.backorder_queue.allocated IS 'Units of qty already set aside for it while another transaction held its line (they become its reservation at that line''s next change)';
COMMENT ON COLUMN @extschema@.backorder_queue.tier IS 'The customer''s tier the backorder queues with (A before B before C within one priority)';
COMMENT ON COLUMN @extschema@.backorder_queue.promised_date IS 'UTC day its missing units are covered as the queue stands (a day before today: the purchase order it waits for is overdue)';
COMMENT ON COLUMN @extschema@.backorder_queue.promise_source IS 'What covers them: stock, purchase (a dated purchase order line) or lead_time (the item''s lead time, beyond known supply)';
