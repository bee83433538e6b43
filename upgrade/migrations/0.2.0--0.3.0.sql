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
DROP TRIGGER IF EXISTS sales_order_lines_guard ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS sales_order_lines_check_update ON @extschema@.sales_order_lines;
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
-- #12 Tenant isolation and privileges that hold against hostile roles
-- (doc/security.md).  The ownership moves (views from crmscm_admin to the
-- extension owner) and the new grants are done by apply_security() at the
-- end of the step; here: what 0.2.0 had that 0.3.0 drops, and what a
-- crmscm_admin could have done to the views it owned.
-- ---------------------------------------------------------------------

-- The pin moved into crmscm.current_tenant(): the restrictive policy
-- tenant_pin and its function tenant_permitted() are gone.
DO $m12$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT p.polname, p.polrelid::pg_catalog.regclass AS tab FROM pg_catalog.pg_policy p
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.polrelid
		WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
		  AND p.polname OPERATOR(pg_catalog.=) 'tenant_pin'
	LOOP
		EXECUTE pg_catalog.format('DROP POLICY %I ON %s', r.polname, r.tab);
	END LOOP;
END
$m12$;
DROP FUNCTION IF EXISTS @extschema@.tenant_permitted();

-- 0.2.0 made crmscm_admin the owner of the views, so any member of it could
-- add rules and triggers to them, give them column defaults, grant them to
-- anyone, rename them or move them.  Undo all of it before the install
-- script below replaces their definitions (CREATE OR REPLACE VIEW, which
-- also resets their options) and apply_security() hands them to the
-- extension owner.
DO $m12$
DECLARE
	views_020 constant text[] := ARRAY['inventory_position', 'backorder_queue', 'lead_scores',
		'sales_pipeline', 'customer_purchases', 'customer_360', 'reorder_suggestions', 'delivery_costs'];
	r record;
BEGIN
	-- views of the extension that are not where 0.2.0 put them: renamed or
	-- moved by their owner; the install script creates the real ones again
	FOR r IN
		SELECT c.oid::pg_catalog.regclass AS v FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid
		WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
		  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
		  AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
												  WHERE e.extname OPERATOR(pg_catalog.=) 'crmscm')
		  AND d.deptype OPERATOR(pg_catalog.=) 'e' AND c.relkind OPERATOR(pg_catalog.=) 'v'
		  AND (c.relnamespace OPERATOR(pg_catalog.<>) '@extschema@'::pg_catalog.regnamespace
			   OR NOT c.relname OPERATOR(pg_catalog.=) ANY (views_020))
	LOOP
		RAISE WARNING 'dropping view %: a view of crmscm renamed or moved while crmscm_admin owned it', r.v;
		EXECUTE pg_catalog.format('DROP VIEW %s CASCADE', r.v);
	END LOOP;
	FOR r IN
		SELECT c.oid::pg_catalog.regclass AS v, c.relname,
			   pg_catalog.pg_get_userbyid(c.relowner) AS owner
		FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
		  AND c.relkind OPERATOR(pg_catalog.=) 'v'
	LOOP
		IF NOT r.relname OPERATOR(pg_catalog.=) ANY (views_020)
		   AND r.owner OPERATOR(pg_catalog.=) 'crmscm_admin' THEN
			RAISE WARNING 'view % (not crmscm''s) was owned by crmscm_admin, whose members could change its definition: check it', r.v;
		END IF;
		CONTINUE WHEN NOT r.relname OPERATOR(pg_catalog.=) ANY (views_020);
		DECLARE
			x record;
		BEGIN
			FOR x IN SELECT rw.rulename FROM pg_catalog.pg_rewrite rw
					 WHERE rw.ev_class OPERATOR(pg_catalog.=) r.v AND rw.rulename OPERATOR(pg_catalog.<>) '_RETURN'
			LOOP
				EXECUTE pg_catalog.format('DROP RULE %I ON %s', x.rulename, r.v);
			END LOOP;
			FOR x IN SELECT t.tgname FROM pg_catalog.pg_trigger t WHERE t.tgrelid OPERATOR(pg_catalog.=) r.v
			LOOP
				EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', x.tgname, r.v);
			END LOOP;
			FOR x IN SELECT a.attname FROM pg_catalog.pg_attribute a
					 WHERE a.attrelid OPERATOR(pg_catalog.=) r.v AND a.atthasdef
			LOOP
				EXECUTE pg_catalog.format('ALTER VIEW %s ALTER COLUMN %I DROP DEFAULT', r.v, x.attname);
			END LOOP;
			FOR x IN SELECT DISTINCT g.grantee FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) g
					 WHERE c.oid OPERATOR(pg_catalog.=) r.v AND g.grantee OPERATOR(pg_catalog.<>) c.relowner
			LOOP
				EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM %s CASCADE', r.v,
					CASE WHEN x.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' ELSE x.grantee::pg_catalog.regrole::text END);
			END LOOP;
		END;
	END LOOP;
END
$m12$;

-- Until 0.2.0 an unset crmscm.tenant_id meant tenant 1; from 0.3.0 it is an
-- error.  Say so where the database relies on it.
DO $m12$
BEGIN
	IF NOT EXISTS (
		SELECT FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) c
		WHERE s.setdatabase OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
													  WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
		  AND s.setrole OPERATOR(pg_catalog.=) 0
		  AND c OPERATOR(pg_catalog.~~) 'crmscm.tenant_id=%') THEN
		RAISE WARNING 'crmscm 0.3.0 no longer assumes tenant 1: database % has no crmscm.tenant_id setting',
			pg_catalog.current_database()
			USING DETAIL = 'Until 0.2.0 an unset crmscm.tenant_id meant tenant 1; from 0.3.0 every statement that reads or writes crmscm data without it fails (SQLSTATE 55000).',
				  HINT = pg_catalog.format('A single-tenant database: ALTER DATABASE %I SET crmscm.tenant_id = 1;  applications with pooled connections: SELECT set_config(''crmscm.tenant_id'', $1, true) at the start of each transaction.',
										   pg_catalog.current_database());
	END IF;
END
$m12$;

-- ---------------------------------------------------------------------
-- #15 crmscm from an application: fill policy, line defaults, order API,
-- events, the master-data role (README "Using crmscm from an application",
-- doc/application.md)
-- ---------------------------------------------------------------------

-- sales_orders.fill_policy (added empty, then filled, so that the column has
-- no "missing value" and the upgraded table equals a fresh one)
DO $m15$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
	                WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.sales_orders'::regclass
	                  AND a.attname OPERATOR(pg_catalog.=) 'fill_policy' AND NOT a.attisdropped) THEN
		ALTER TABLE @extschema@.sales_orders ADD COLUMN fill_policy text;
		UPDATE @extschema@.sales_orders SET fill_policy = 'backorder';
		ALTER TABLE @extschema@.sales_orders ALTER COLUMN fill_policy SET DEFAULT 'backorder',
			ALTER COLUMN fill_policy SET NOT NULL;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c
	                WHERE c.conrelid OPERATOR(pg_catalog.=) '@extschema@.sales_orders'::regclass
	                  AND c.conname OPERATOR(pg_catalog.=) 'sales_orders_fill_policy') THEN
		ALTER TABLE @extschema@.sales_orders ADD CONSTRAINT sales_orders_fill_policy
			CHECK (fill_policy IN ('backorder', 'all_or_nothing'));
	END IF;
END $m15$;

-- an omitted unit_price is the item's (trigger "Line_defaults"): no column
-- default any more
ALTER TABLE @extschema@.sales_order_lines ALTER COLUMN unit_price DROP DEFAULT;

-- ---------------------------------------------------------------------
-- #13 Nothing a client sends can hang, exhaust or poison the server
-- ---------------------------------------------------------------------

-- Every numeric column of user data rejects NaN and +-Infinity.
-- The same constraints, by name and definition, as the CREATE TABLEs of
-- src/sql/200_tables.sql, 240_lead_tables.sql and 250_lifetime_tables.sql.
-- Rows that already hold NaN or Infinity make ADD CONSTRAINT fail, naming
-- the constraint: correct them first (doc/robustness.md).  The two float8
-- checks that already existed under generated names are renamed.
DO $issue13$
DECLARE
	c record;
BEGIN
	IF EXISTS (SELECT FROM pg_catalog.pg_constraint
	            WHERE conname OPERATOR(pg_catalog.=) 'lead_scoring_rules_points_check'::name
	              AND conrelid OPERATOR(pg_catalog.=) '@extschema@.lead_scoring_rules'::regclass) THEN
		ALTER TABLE @extschema@.lead_scoring_rules RENAME CONSTRAINT lead_scoring_rules_points_check TO lead_scoring_rules_points_finite;
	END IF;
	IF EXISTS (SELECT FROM pg_catalog.pg_constraint
	            WHERE conname OPERATOR(pg_catalog.=) 'lead_events_points_check'::name
	              AND conrelid OPERATOR(pg_catalog.=) '@extschema@.lead_events'::regclass) THEN
		ALTER TABLE @extschema@.lead_events RENAME CONSTRAINT lead_events_points_check TO lead_events_points_finite;
	END IF;
	FOR c IN
		SELECT v.tab::text AS tab, v.col::text AS col FROM (VALUES
			('items', 'unit_price'), ('items', 'unit_cost'), ('items', 'order_cost'), ('items', 'holding_rate'),
			('items', 'service_level'), ('items', 'lead_time_days'), ('items', 'lead_time_sd_days'), ('items', 'pack_size'),
			('inventory', 'on_hand'), ('inventory', 'reserved'), ('inventory', 'on_order'),
			('sales_order_lines', 'qty'), ('sales_order_lines', 'unit_price'), ('sales_order_lines', 'qty_reserved'),
			('sales_order_lines', 'qty_backordered'), ('sales_order_lines', 'qty_shipped'),
			('reservations', 'qty'), ('backorders', 'qty'), ('backorders', 'allocated'), ('stock_moves', 'qty'),
			('purchase_order_lines', 'qty'), ('purchase_order_lines', 'qty_received'),
			('leads', 'expected_revenue'), ('leads', 'features'),
			('lead_models', 'model_weight'), ('lead_models', 'engagement_midpoint'), ('lead_models', 'mql_threshold'),
			('customer_lifetime', 'revenue'), ('customer_lifetime', 'repeat_revenue'), ('customer_lifetime', 'shipped_revenue'),
			('lifetime_models', 'unit_days'), ('lifetime_models', 'units_per_month'), ('lifetime_models', 'monthly_discount'),
			('sales_order_totals', 'amount'), ('sales_order_totals', 'shipped_amount'),
			('customer_purchase_days', 'amount'), ('customer_purchase_days', 'shipped_amount')) v(tab, col)
		 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_constraint k
		                    WHERE k.conname OPERATOR(pg_catalog.=) pg_catalog.concat(v.tab, '_', v.col, '_finite')::name
		                      AND k.conrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.concat('@extschema@.', v.tab)))
	LOOP
		IF c.col OPERATOR(pg_catalog.=) 'features'::text THEN
			EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I CHECK (features IS NULL OR NOT features OPERATOR(pg_catalog.&&) ARRAY[''NaN'', ''Infinity'', ''-Infinity'']::float8[])',
			               c.tab, pg_catalog.concat(c.tab, '_', c.col, '_finite'));
		ELSE
			EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I CHECK (%I > ''-Infinity'' AND %I < ''Infinity'')',
			               c.tab, pg_catalog.concat(c.tab, '_', c.col, '_finite'), c.col, c.col);
		END IF;
	END LOOP;
END
$issue13$;

-- Order lines below 10^15 units and 10^15 per unit (src/sql/200_tables.sql):
-- a line beyond would overflow the float8 statistics of #17/#18 at every
-- commit of its item.  A row already beyond makes ADD CONSTRAINT fail,
-- naming the constraint: correct it first (doc/robustness.md).
DO $limit$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
	                WHERE conname OPERATOR(pg_catalog.=) 'sales_order_lines_qty_limit'::name
	                  AND conrelid OPERATOR(pg_catalog.=) '@extschema@.sales_order_lines'::regclass) THEN
		ALTER TABLE @extschema@.sales_order_lines
			ADD CONSTRAINT sales_order_lines_qty_limit CHECK (qty < 1e15),
			ADD CONSTRAINT sales_order_lines_unit_price_limit CHECK (unit_price < 1e15);
	END IF;
END
$limit$;

-- ---------------------------------------------------------------------
-- #18 supplier lead times, pipeline demand, demand state kept at commit
-- (doc/replenishment.md).  The new tables (purchase_receipts,
-- purchase_line_outcomes, supplier_stats, demand_days, demand_state,
-- demand_orders, lead_lines) come with the install script; the demand
-- state of the orders already there is built at its end
-- (428_demand_history.sql).  Purchase orders placed before the upgrade have
-- no ordered_at: their receipts count for lateness and on-time-in-full, not
-- for the learned lead time (nothing is guessed).
-- ---------------------------------------------------------------------
ALTER TABLE @extschema@.purchase_orders ADD COLUMN IF NOT EXISTS ordered_at timestamptz
	CONSTRAINT purchase_orders_ordered_at_finite CHECK (pg_catalog.isfinite(ordered_at));
ALTER TABLE @extschema@.purchase_order_lines ADD COLUMN IF NOT EXISTS received_at timestamptz
	CONSTRAINT purchase_order_lines_received_at_finite CHECK (pg_catalog.isfinite(received_at));
ALTER TABLE @extschema@.leads ADD COLUMN IF NOT EXISTS expected_close_date date;
ALTER TABLE @extschema@.leads ADD COLUMN IF NOT EXISTS win_probability float8
	CONSTRAINT leads_win_probability_range CHECK (win_probability >= 0 AND win_probability <= 1)
	CONSTRAINT leads_win_probability_finite CHECK (win_probability > '-Infinity' AND win_probability < 'Infinity');
-- its foreign key to leads: 270_pipeline_tables.sql
ALTER TABLE @extschema@.sales_orders ADD COLUMN IF NOT EXISTS lead_id bigint;

-- ---------------------------------------------------------------------
-- #17 CRM <-> SCM synergy I: promises, allocation by customer value,
-- delivery performance (doc/synergy.md).  The new tables, functions,
-- triggers and views come with the install script below; here: the new
-- columns of order lines and backorders (at the end, as src/sql/200_tables.sql
-- declares them), their values for the rows 0.2.0 left, the old queue index.
-- ---------------------------------------------------------------------

ALTER TABLE @extschema@.sales_order_lines
	ADD COLUMN IF NOT EXISTS requested_date date,
	ADD COLUMN IF NOT EXISTS promised_date date,
	ADD COLUMN IF NOT EXISTS promise_source text CHECK (promise_source IN ('stock', 'purchase', 'lead_time')),
	ADD COLUMN IF NOT EXISTS covered_on date,
	ADD COLUMN IF NOT EXISTS customer_changed_at timestamptz,
	ADD COLUMN IF NOT EXISTS first_shipped_at timestamptz,
	ADD COLUMN IF NOT EXISTS last_shipped_at timestamptz;
-- shipments: added empty, then filled from the shipment moves 0.2.0 wrote
-- (one per transaction that shipped), so that the column has no "missing
-- value" and the upgraded table equals a fresh one
DO $m17$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
	                WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.sales_order_lines'::pg_catalog.regclass
	                  AND a.attname OPERATOR(pg_catalog.=) 'shipments' AND NOT a.attisdropped) THEN
		ALTER TABLE @extschema@.sales_order_lines ADD COLUMN shipments int;
		UPDATE @extschema@.sales_order_lines l
		   SET shipments = COALESCE(m.n, 0)::int, first_shipped_at = m.first, last_shipped_at = m.last
		  FROM @extschema@.sales_order_lines x
		  LEFT JOIN (SELECT s.tenant_id, s.order_id, s.line_no, pg_catalog.count(DISTINCT s.moved_at) AS n,
		                    pg_catalog.min(s.moved_at) AS first, pg_catalog.max(s.moved_at) AS last
		               FROM @extschema@.stock_moves s WHERE s.kind OPERATOR(pg_catalog.=) 'shipment' GROUP BY 1, 2, 3) m
		    ON m.tenant_id OPERATOR(pg_catalog.=) x.tenant_id AND m.order_id OPERATOR(pg_catalog.=) x.order_id
		   AND m.line_no OPERATOR(pg_catalog.=) x.line_no
		 WHERE x.tenant_id OPERATOR(pg_catalog.=) l.tenant_id AND x.order_id OPERATOR(pg_catalog.=) l.order_id
		   AND x.line_no OPERATOR(pg_catalog.=) l.line_no;
		ALTER TABLE @extschema@.sales_order_lines ALTER COLUMN shipments SET DEFAULT 0,
			ALTER COLUMN shipments SET NOT NULL,
			ADD CONSTRAINT sales_order_lines_shipments_check CHECK (shipments >= 0);
	END IF;
END $m17$;

-- the order's customer and status on its lines (src/order_copy.c), for the
-- lines 0.2.0 left
DO $m17$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
	                WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.sales_order_lines'::pg_catalog.regclass
	                  AND a.attname OPERATOR(pg_catalog.=) 'order_status' AND NOT a.attisdropped) THEN
		ALTER TABLE @extschema@.sales_order_lines ADD COLUMN customer_id bigint, ADD COLUMN order_status text;
		UPDATE @extschema@.sales_order_lines l SET customer_id = o.customer_id, order_status = o.status
		  FROM @extschema@.sales_orders o
		 WHERE o.tenant_id OPERATOR(pg_catalog.=) l.tenant_id AND o.order_id OPERATOR(pg_catalog.=) l.order_id;
	END IF;
END $m17$;

DO $m17$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
	                WHERE a.attrelid OPERATOR(pg_catalog.=) '@extschema@.backorders'::pg_catalog.regclass
	                  AND a.attname OPERATOR(pg_catalog.=) 'tier' AND NOT a.attisdropped) THEN
		ALTER TABLE @extschema@.backorders ADD COLUMN tier text;
		UPDATE @extschema@.backorders SET tier = 'C';
		ALTER TABLE @extschema@.backorders ALTER COLUMN tier SET DEFAULT 'C',
			ALTER COLUMN tier SET NOT NULL,
			ADD CONSTRAINT backorders_tier_check CHECK (tier IN ('A', 'B', 'C'));
	END IF;
END $m17$;
ALTER TABLE @extschema@.backorders
	ADD COLUMN IF NOT EXISTS promised_date date,
	ADD COLUMN IF NOT EXISTS promise_source text CHECK (promise_source IN ('stock', 'purchase', 'lead_time'));

-- the queue order now has the tier after the priority (backorders_queue_order_idx)
DROP INDEX IF EXISTS @extschema@.backorders_tenant_id_item_id_warehouse_id_priority_created__idx;
