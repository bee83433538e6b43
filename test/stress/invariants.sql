-- Independent invariant queries (doc/orders.md), written without crmscm's
-- functions; each returns the rows that break it (none when consistent).
SELECT 'on_hand <> sum of moves' AS broken, i.item_id, i.warehouse_id
  FROM crmscm.inventory i
 WHERE i.on_hand <> coalesce((SELECT sum(m.qty) FROM crmscm.stock_moves m
        WHERE m.tenant_id = i.tenant_id AND m.item_id = i.item_id AND m.warehouse_id = i.warehouse_id), 0)
UNION ALL
SELECT 'reserved <> sum of reservations + units set aside on backorders', i.item_id, i.warehouse_id
  FROM crmscm.inventory i
 WHERE i.reserved <> coalesce((SELECT sum(r.qty) FROM crmscm.reservations r
        WHERE r.tenant_id = i.tenant_id AND r.item_id = i.item_id AND r.warehouse_id = i.warehouse_id), 0)
                   + coalesce((SELECT sum(b.allocated) FROM crmscm.backorders b
        WHERE b.tenant_id = i.tenant_id AND b.item_id = i.item_id AND b.warehouse_id = i.warehouse_id), 0)
UNION ALL
SELECT 'reserved outside [0, on_hand]', i.item_id, i.warehouse_id
  FROM crmscm.inventory i WHERE i.reserved < 0 OR i.reserved > i.on_hand OR i.on_order < 0
UNION ALL
SELECT 'open line qty <> reserved + backordered + shipped', l.item_id, l.order_id
  FROM crmscm.sales_order_lines l JOIN crmscm.sales_orders o ON o.tenant_id = l.tenant_id AND o.order_id = l.order_id
 WHERE o.status = 'confirmed' AND l.status = 'open' AND l.qty <> l.qty_reserved + l.qty_backordered + l.qty_shipped
UNION ALL
SELECT 'line columns <> its reservations/backorders', l.item_id, l.order_id
  FROM crmscm.sales_order_lines l
 WHERE l.qty_reserved <> coalesce((SELECT sum(r.qty) FROM crmscm.reservations r
        WHERE r.tenant_id = l.tenant_id AND r.order_id = l.order_id AND r.line_no = l.line_no), 0)
    OR l.qty_backordered <> coalesce((SELECT sum(b.qty) FROM crmscm.backorders b
        WHERE b.tenant_id = l.tenant_id AND b.order_id = l.order_id AND b.line_no = l.line_no), 0)
UNION ALL
SELECT 'stock held by a line that is not open', l.item_id, l.order_id
  FROM crmscm.sales_order_lines l
 WHERE l.status <> 'open' AND EXISTS (
       SELECT 1 FROM crmscm.reservations r WHERE r.tenant_id = l.tenant_id AND r.order_id = l.order_id AND r.line_no = l.line_no
       UNION ALL
       SELECT 1 FROM crmscm.backorders b WHERE b.tenant_id = l.tenant_id AND b.order_id = l.order_id AND b.line_no = l.line_no)
UNION ALL
SELECT 'backorder waits while stock is available', b.item_id, b.warehouse_id
  FROM crmscm.backorders b JOIN crmscm.inventory i
    ON i.tenant_id = b.tenant_id AND i.item_id = b.item_id AND i.warehouse_id = b.warehouse_id
 WHERE b.qty > b.allocated
   -- (issue #17) stock above the shares the allocation rules keep for better tiers
   AND i.on_hand - i.reserved > i.on_hand * coalesce((SELECT sum(r.share) FROM crmscm.allocation_rules r
        WHERE r.tenant_id = b.tenant_id AND r.item_id = b.item_id
          AND (r.tier = 'A' AND b.tier IN ('B', 'C') OR r.tier = 'B' AND b.tier = 'C')), 0)
UNION ALL
SELECT 'shipped <> shipment moves', l.item_id, l.order_id
  FROM crmscm.sales_order_lines l
 WHERE l.qty_shipped <> -coalesce((SELECT sum(m.qty) FROM crmscm.stock_moves m
        WHERE m.tenant_id = l.tenant_id AND m.order_id = l.order_id AND m.line_no = l.line_no AND m.kind = 'shipment'), 0)
UNION ALL
SELECT 'on_order <> open ordered purchase lines', i.item_id, i.warehouse_id
  FROM crmscm.inventory i
 WHERE i.on_order <> coalesce((SELECT sum(GREATEST(pl.qty - pl.qty_received, 0))
        FROM crmscm.purchase_order_lines pl JOIN crmscm.purchase_orders p ON p.tenant_id = pl.tenant_id AND p.po_id = pl.po_id
        WHERE p.status = 'ordered' AND pl.tenant_id = i.tenant_id AND pl.item_id = i.item_id AND pl.warehouse_id = i.warehouse_id), 0);
