-- Table migrations from crmscm 0.2.0 to 0.3.0, run before the install script
-- is run again (Makefile: the step crmscm--0.2.0--0.3.0.sql).  Everything
-- here must be safe to run twice: IF [NOT] EXISTS, or guarded by a catalog
-- check.  Columns are added at the end of their table, as src/sql declares
-- them, so an upgraded database and a fresh install have the same columns in
-- the same order (test/scripts/upgrade_chain.sh compares the two).

-- ---------------------------------------------------------------------
-- #14 One reservation engine, run at commit (src/reserve*.c)
-- ---------------------------------------------------------------------

-- units set aside on a backorder while another transaction holds its line
-- (added empty, then filled, so that the column has no "missing value" and
-- the upgraded table equals a fresh one)
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
	                WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.backorders'::regclass
	                  AND a.attname OPERATOR(pg_catalog.=) 'allocated' AND NOT a.attisdropped) THEN
		ALTER TABLE @extschema@.backorders ADD COLUMN allocated numeric;
		UPDATE @extschema@.backorders SET allocated = 0;
		ALTER TABLE @extschema@.backorders ALTER COLUMN allocated SET DEFAULT 0,
			ALTER COLUMN allocated SET NOT NULL;
	END IF;
END $guard$;
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c
	                WHERE c.conrelid OPERATOR(pg_catalog.=) '@extschema@.backorders'::regclass
	                  AND c.conname OPERATOR(pg_catalog.=) 'backorders_allocated_range') THEN
		ALTER TABLE @extschema@.backorders
			ADD CONSTRAINT backorders_allocated_range CHECK (allocated >= 0 AND allocated <= qty);
	END IF;
END $guard$;

-- the statement-time stock triggers of 0.2.0 and their PL/pgSQL rules
DROP TRIGGER IF EXISTS sales_order_lines_reserve ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS sales_order_lines_adjust ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS sales_order_lines_release ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS sales_orders_confirm_cancel ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS stock_moves_apply ON @extschema@.stock_moves;
DROP TRIGGER IF EXISTS purchase_orders_on_order ON @extschema@.purchase_orders;
DROP TRIGGER IF EXISTS purchase_order_lines_on_order ON @extschema@.purchase_order_lines;
DROP TRIGGER IF EXISTS lifetime_mark_order ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS lifetime_mark_order_upd ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS lifetime_mark_line ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS lifetime_mark_line_upd ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS customer_lifetime_order_ins_del ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS customer_lifetime_order_upd ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS customer_lifetime_line_ins_del ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS customer_lifetime_line_upd ON @extschema@.sales_order_lines;
DROP FUNCTION IF EXISTS @extschema@._lines_after_insert();
DROP FUNCTION IF EXISTS @extschema@._lines_after_update();
DROP FUNCTION IF EXISTS @extschema@._lines_after_delete();
DROP FUNCTION IF EXISTS @extschema@._orders_after_update();
DROP FUNCTION IF EXISTS @extschema@._moves_after_insert();
DROP FUNCTION IF EXISTS @extschema@._po_line_after();
DROP FUNCTION IF EXISTS @extschema@._po_after_update();
DROP FUNCTION IF EXISTS @extschema@._lifetime_flush();
DROP FUNCTION IF EXISTS @extschema@._nearest_warehouse(bigint, @extschema@.geopoint);
DROP FUNCTION IF EXISTS @extschema@._ensure_inventory(bigint[], bigint[], bigint[]);
DROP FUNCTION IF EXISTS @extschema@._lock_items(bigint[], bigint[], bigint[]);
DROP FUNCTION IF EXISTS @extschema@._reserve(bigint, bigint, int, bigint, numeric, bigint, @extschema@.geopoint, int);
DROP FUNCTION IF EXISTS @extschema@._release(bigint, bigint, int, numeric);
DROP FUNCTION IF EXISTS @extschema@._fill(bigint, bigint, bigint, boolean);
DROP FUNCTION IF EXISTS @extschema@._settle(bigint[], bigint[], boolean);
DROP FUNCTION IF EXISTS @extschema@._drop_line_stock(bigint, bigint, int);
DROP FUNCTION IF EXISTS @extschema@._add_on_order(bigint, bigint, bigint, numeric);
