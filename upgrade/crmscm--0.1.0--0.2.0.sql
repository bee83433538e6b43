-- crmscm 0.1.0 -> 0.2.0 (written so that it can run again: IF [NOT] EXISTS, OR REPLACE)
\echo Use "ALTER EXTENSION crmscm UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- customer_lifetime booked by deltas at commit (340_lifetime_triggers.sql,
-- src/lifetime_tracking.c) instead of a recount of the customer's whole
-- history on every commit
-- ---------------------------------------------------------------------

DROP TRIGGER IF EXISTS customer_lifetime_order_ins_del ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS customer_lifetime_order_upd ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS customer_lifetime_line_ins_del ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS customer_lifetime_line_upd ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS lifetime_mark_order ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS lifetime_mark_order_upd ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS lifetime_mark_line ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS lifetime_mark_line_upd ON @extschema@.sales_order_lines;
DROP TRIGGER IF EXISTS lifetime_truncate_orders ON @extschema@.sales_orders;
DROP TRIGGER IF EXISTS lifetime_truncate_lines ON @extschema@.sales_order_lines;
DROP FUNCTION IF EXISTS @extschema@.customer_lifetime_order_trigger();
DROP FUNCTION IF EXISTS @extschema@.customer_lifetime_line_trigger();

-- The two tables below let the commit-time bookkeeping work in deltas
-- (340_lifetime_triggers.sql): what each order counted for when it was last
-- booked, and each customer's purchases per day.  customer_lifetime is
-- their sum; crmscm.refresh_customer_lifetime() rebuilds all three.

CREATE TABLE IF NOT EXISTS @extschema@.sales_order_totals (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	order_id bigint NOT NULL,
	customer_id bigint NOT NULL,
	purchase_day date NOT NULL,
	status text NOT NULL,
	purchase_lines int NOT NULL DEFAULT 0,
	amount numeric NOT NULL DEFAULT 0,
	shipped_amount numeric NOT NULL DEFAULT 0,
	-- no foreign key to sales_orders: when an order is deleted its row must
	-- outlive it until the commit-time bookkeeping has subtracted it
	PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX IF NOT EXISTS sales_order_totals_tenant_id_customer_id_idx ON @extschema@.sales_order_totals (tenant_id, customer_id);
COMMENT ON TABLE @extschema@.sales_order_totals IS
	'Per sales order, what it counts for in customer_lifetime as of the last commit that changed it (maintained by triggers)';
COMMENT ON COLUMN @extschema@.sales_order_totals.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.sales_order_totals.order_id IS 'Sales order';
COMMENT ON COLUMN @extschema@.sales_order_totals.customer_id IS 'The order''s customer';
COMMENT ON COLUMN @extschema@.sales_order_totals.purchase_day IS 'UTC calendar day of ordered_at';
COMMENT ON COLUMN @extschema@.sales_order_totals.status IS 'The order''s status';
COMMENT ON COLUMN @extschema@.sales_order_totals.purchase_lines IS 'Lines that make the order a purchase (see crmscm.customer_purchases); 0: not a purchase';
COMMENT ON COLUMN @extschema@.sales_order_totals.amount IS 'Purchase value, as crmscm.customer_purchases.amount (0 if not a purchase)';
COMMENT ON COLUMN @extschema@.sales_order_totals.shipped_amount IS 'qty_shipped * unit_price of those lines';

CREATE TABLE IF NOT EXISTS @extschema@.customer_purchase_days (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	customer_id bigint NOT NULL,
	purchase_day date NOT NULL,
	purchases int NOT NULL,
	amount numeric NOT NULL,
	shipped_amount numeric NOT NULL,
	PRIMARY KEY (tenant_id, customer_id, purchase_day),
	FOREIGN KEY (tenant_id, customer_id) REFERENCES @extschema@.customers (tenant_id, customer_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.customer_purchase_days IS
	'Per customer and purchase day: purchases and their value (maintained by triggers; the RFM input per day)';
COMMENT ON COLUMN @extschema@.customer_purchase_days.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.customer_purchase_days.customer_id IS 'Customer';
COMMENT ON COLUMN @extschema@.customer_purchase_days.purchase_day IS 'UTC calendar day';
COMMENT ON COLUMN @extschema@.customer_purchase_days.purchases IS 'Purchases (orders) that day';
COMMENT ON COLUMN @extschema@.customer_purchase_days.amount IS 'Their value';
COMMENT ON COLUMN @extschema@.customer_purchase_days.shipped_amount IS 'Their shipped value';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.sales_order_totals', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_purchase_days', '');

DO $do$
BEGIN
	IF pg_catalog.to_regtype('@extschema@._lifetime_change') IS NULL THEN
		CREATE TYPE @extschema@._lifetime_change AS (
			tenant_id bigint,
			order_id bigint,
			had boolean,			-- booked before (sales_order_totals row)
			old_customer bigint,
			old_day date,
			old_lines int,
			old_amount numeric,
			old_shipped numeric,
			has boolean,			-- the order exists now
			new_customer bigint,
			new_day date,
			new_status text,
			new_lines int,
			new_amount numeric,
			new_shipped numeric
		);
	END IF;
END
$do$;
COMMENT ON TYPE @extschema@._lifetime_change IS
	'Internal: one order''s booking before and after a commit (_lifetime_apply)';

CREATE OR REPLACE FUNCTION @extschema@._lifetime_apply(
	p_tenant bigint[], p_order bigint[], p_recount boolean[],
	p_oqty numeric[], p_oshipped numeric[], p_oprice numeric[], p_ostatus text[],
	p_nqty numeric[], p_nshipped numeric[], p_nprice numeric[], p_nstatus text[])
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- measured: custom plans (re-planned on every commit) cost more than all
-- the statements' execution; the generic plans are as good for these
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	v_ch @extschema@._lifetime_change[];
	v_want int;
	v_locked int;
	v_dt bigint[];
	v_dc bigint[];
	v_dn int[];
	v_gone int;
BEGIN
	-- 1. lock the orders' bookings in key order
	PERFORM 1 FROM @extschema@.sales_order_totals s
	 WHERE (s.tenant_id, s.order_id) IN (SELECT u.t, u.o FROM unnest(p_tenant, p_order) AS u(t, o))
	 ORDER BY s.tenant_id, s.order_id
	   FOR UPDATE OF s;

	-- 2. a new statement (snapshot after the locks): each order's booking,
	--    and what it counts for now: recounted over its lines when the order
	--    itself changed (or was never booked), else booking + line deltas
	WITH k AS (
		SELECT u.t, u.o, bool_or(u.r) AS r
		  FROM unnest(p_tenant, p_order, p_recount) AS u(t, o, r)
		 GROUP BY u.t, u.o
	), cur AS (
		SELECT k.t, k.o,
			   so.order_id IS NOT NULL AS has, so.customer_id AS c,
			   (so.ordered_at AT TIME ZONE 'UTC')::date AS d, so.status AS s,
			   st.order_id IS NOT NULL AS had, st.customer_id AS oc, st.purchase_day AS od, st.status AS os,
			   st.purchase_lines AS ol, st.amount AS oa, st.shipped_amount AS osh,
			   (k.r OR st.order_id IS NULL OR so.order_id IS NULL
				OR st.status IS DISTINCT FROM so.status
				OR st.customer_id IS DISTINCT FROM so.customer_id
				OR st.purchase_day IS DISTINCT FROM (so.ordered_at AT TIME ZONE 'UTC')::date) AS recount
		  FROM k
		  LEFT JOIN @extschema@.sales_orders so ON so.tenant_id = k.t AND so.order_id = k.o
		  LEFT JOIN @extschema@.sales_order_totals st ON st.tenant_id = k.t AND st.order_id = k.o
	), delta AS (
		SELECT u.t, u.o,
			   sum(CASE WHEN (c.s = 'confirmed' AND u.nst <> 'cancelled') OR (c.s = 'closed' AND u.nst = 'shipped') THEN 1 ELSE 0 END
				 - CASE WHEN (c.s = 'confirmed' AND u.ost <> 'cancelled') OR (c.s = 'closed' AND u.ost = 'shipped') THEN 1 ELSE 0 END)::int AS dl,
			   sum(CASE WHEN c.s = 'confirmed' AND u.nst <> 'cancelled' THEN u.nq * u.np
						WHEN c.s = 'closed' AND u.nst = 'shipped' THEN u.nsh * u.np ELSE 0 END
				 - CASE WHEN c.s = 'confirmed' AND u.ost <> 'cancelled' THEN u.oq * u.op
						WHEN c.s = 'closed' AND u.ost = 'shipped' THEN u.osh * u.op ELSE 0 END) AS da,
			   sum(CASE WHEN (c.s = 'confirmed' AND u.nst <> 'cancelled') OR (c.s = 'closed' AND u.nst = 'shipped') THEN u.nsh * u.np ELSE 0 END
				 - CASE WHEN (c.s = 'confirmed' AND u.ost <> 'cancelled') OR (c.s = 'closed' AND u.ost = 'shipped') THEN u.osh * u.op ELSE 0 END) AS dsh
		  FROM unnest(p_tenant, p_order, p_oqty, p_oshipped, p_oprice, p_ostatus,
					  p_nqty, p_nshipped, p_nprice, p_nstatus) AS u(t, o, oq, osh, op, ost, nq, nsh, np, nst)
		  JOIN cur c ON c.t = u.t AND c.o = u.o AND NOT c.recount
		 GROUP BY u.t, u.o
	), ch AS (
		SELECT c.t, c.o, c.had, c.oc, c.od, c.os, c.ol, c.oa, c.osh, c.has, c.c, c.d, c.s,
			   CASE WHEN NOT c.has THEN 0 WHEN c.recount THEN rc.lines ELSE c.ol + coalesce(dl.dl, 0) END AS nl,
			   CASE WHEN NOT c.has THEN 0 WHEN c.recount THEN rc.amount ELSE c.oa + coalesce(dl.da, 0) END AS na,
			   CASE WHEN NOT c.has THEN 0 WHEN c.recount THEN rc.shipped ELSE c.osh + coalesce(dl.dsh, 0) END AS nsh
		  FROM cur c
		  LEFT JOIN delta dl ON dl.t = c.t AND dl.o = c.o
		  LEFT JOIN LATERAL (
			SELECT count(*) FILTER (WHERE (c.s = 'confirmed' AND l.status <> 'cancelled')
										OR (c.s = 'closed' AND l.status = 'shipped'))::int AS lines,
				   coalesce(sum(CASE WHEN c.s = 'confirmed' AND l.status <> 'cancelled' THEN l.qty * l.unit_price
									 WHEN c.s = 'closed' AND l.status = 'shipped' THEN l.qty_shipped * l.unit_price END), 0) AS amount,
				   coalesce(sum(CASE WHEN (c.s = 'confirmed' AND l.status <> 'cancelled')
										OR (c.s = 'closed' AND l.status = 'shipped') THEN l.qty_shipped * l.unit_price END), 0) AS shipped
			  FROM @extschema@.sales_order_lines l
			 WHERE c.recount AND c.has AND l.tenant_id = c.t AND l.order_id = c.o) rc ON true
	)
	SELECT array_agg(ROW(ch.t, ch.o, ch.had, ch.oc, ch.od, ch.ol, ch.oa, ch.osh,
						 ch.has, ch.c, ch.d, ch.s, ch.nl, ch.na, ch.nsh)::@extschema@._lifetime_change
					 ORDER BY ch.t, ch.o)
	  INTO v_ch
	  FROM ch
	 WHERE ch.had IS DISTINCT FROM ch.has OR ch.oc IS DISTINCT FROM ch.c OR ch.od IS DISTINCT FROM ch.d
		OR ch.os IS DISTINCT FROM ch.s
		OR ch.ol IS DISTINCT FROM ch.nl OR ch.oa IS DISTINCT FROM ch.na OR ch.osh IS DISTINCT FROM ch.nsh;
	IF v_ch IS NULL THEN
		RETURN;
	END IF;

	-- 3. the customers before and after, in key order: create their
	--    customer_lifetime rows if missing, and lock them
	SELECT (SELECT count(*) FROM (SELECT DISTINCT x.t, x.c FROM (
				SELECT (e).tenant_id AS t, (e).old_customer AS c FROM unnest(v_ch) AS e WHERE (e).had
				UNION SELECT (e).tenant_id, (e).new_customer FROM unnest(v_ch) AS e WHERE (e).has) x
			  JOIN @extschema@.customers cu ON cu.tenant_id = x.t AND cu.customer_id = x.c) y),
		   (SELECT count(*) FROM (
				SELECT 1 FROM @extschema@.customer_lifetime cl
				 WHERE (cl.tenant_id, cl.customer_id) IN (
						SELECT (e).tenant_id, (e).old_customer FROM unnest(v_ch) AS e WHERE (e).had
						UNION SELECT (e).tenant_id, (e).new_customer FROM unnest(v_ch) AS e WHERE (e).has)
				 ORDER BY cl.tenant_id, cl.customer_id
				   FOR UPDATE OF cl) z)
	  INTO v_want, v_locked;
	IF v_locked < v_want THEN
		INSERT INTO @extschema@.customer_lifetime (tenant_id, customer_id)
		SELECT cu.tenant_id, cu.customer_id FROM @extschema@.customers cu
		 WHERE (cu.tenant_id, cu.customer_id) IN (
				SELECT (e).tenant_id, (e).old_customer FROM unnest(v_ch) AS e WHERE (e).had
				UNION SELECT (e).tenant_id, (e).new_customer FROM unnest(v_ch) AS e WHERE (e).has)
		 ORDER BY 1, 2
		ON CONFLICT DO NOTHING;
		PERFORM 1 FROM @extschema@.customer_lifetime cl
		 WHERE (cl.tenant_id, cl.customer_id) IN (
				SELECT (e).tenant_id, (e).old_customer FROM unnest(v_ch) AS e WHERE (e).had
				UNION SELECT (e).tenant_id, (e).new_customer FROM unnest(v_ch) AS e WHERE (e).has)
		 ORDER BY cl.tenant_id, cl.customer_id
		   FOR UPDATE OF cl;
	END IF;

	-- 4. purchases per customer and day: add the deltas; a day whose
	--    purchases drop to 0 is removed (purchase_days counts both)
	WITH d AS (
		SELECT x.t, x.c, x.d, sum(x.n)::int AS n, sum(x.a) AS a, sum(x.sh) AS sh
		  FROM (SELECT (e).tenant_id AS t, (e).old_customer AS c, (e).old_day AS d, -1 AS n,
					   -(e).old_amount AS a, -(e).old_shipped AS sh
				  FROM unnest(v_ch) AS e WHERE (e).had AND (e).old_lines > 0
				UNION ALL
				SELECT (e).tenant_id, (e).new_customer, (e).new_day, 1, (e).new_amount, (e).new_shipped
				  FROM unnest(v_ch) AS e WHERE (e).has AND (e).new_lines > 0) x
		  JOIN @extschema@.customers cu ON cu.tenant_id = x.t AND cu.customer_id = x.c
		 GROUP BY x.t, x.c, x.d
		HAVING sum(x.n) <> 0 OR sum(x.a) <> 0 OR sum(x.sh) <> 0
	), up AS (
		INSERT INTO @extschema@.customer_purchase_days AS p
			(tenant_id, customer_id, purchase_day, purchases, amount, shipped_amount)
		SELECT d.t, d.c, d.d, d.n, d.a, d.sh FROM d ORDER BY 1, 2, 3
		ON CONFLICT (tenant_id, customer_id, purchase_day) DO UPDATE
		   SET purchases = p.purchases + excluded.purchases,
			   amount = p.amount + excluded.amount,
			   shipped_amount = p.shipped_amount + excluded.shipped_amount
		RETURNING p.tenant_id AS t, p.customer_id AS c, p.purchases AS n, (p.xmax = 0) AS created
	)
	SELECT array_agg(g.t), array_agg(g.c), array_agg(g.dn), coalesce(sum(g.gone), 0)
	  INTO v_dt, v_dc, v_dn, v_gone
	  FROM (SELECT up.t, up.c,
				   (count(*) FILTER (WHERE up.created AND up.n > 0) - count(*) FILTER (WHERE NOT up.created AND up.n <= 0))::int AS dn,
				   count(*) FILTER (WHERE up.n <= 0) AS gone
			  FROM up GROUP BY up.t, up.c) g;
	IF v_gone > 0 THEN
		DELETE FROM @extschema@.customer_purchase_days p
		 WHERE (p.tenant_id, p.customer_id) IN (SELECT u.t, u.c FROM unnest(v_dt, v_dc) AS u(t, c))
		   AND p.purchases <= 0;
	END IF;

	-- 5. the orders' new bookings
	WITH del AS (
		DELETE FROM @extschema@.sales_order_totals s
		 USING unnest(v_ch) AS e
		 WHERE NOT (e).has AND s.tenant_id = (e).tenant_id AND s.order_id = (e).order_id
	)
	INSERT INTO @extschema@.sales_order_totals AS s
		(tenant_id, order_id, customer_id, purchase_day, status, purchase_lines, amount, shipped_amount)
	SELECT (e).tenant_id, (e).order_id, (e).new_customer, (e).new_day, (e).new_status,
		   (e).new_lines, (e).new_amount, (e).new_shipped
	  FROM unnest(v_ch) AS e WHERE (e).has
	 ORDER BY 1, 2
	ON CONFLICT (tenant_id, order_id) DO UPDATE
	   SET customer_id = excluded.customer_id, purchase_day = excluded.purchase_day, status = excluded.status,
		   purchase_lines = excluded.purchase_lines, amount = excluded.amount, shipped_amount = excluded.shipped_amount;

	-- 6. the customers: sums by delta, first/last day and repeat revenue
	--    from their purchase days, the stage as of today
	UPDATE @extschema@.customer_lifetime cl
	   SET orders = cl.orders + x.dorders,
		   orders_placed = cl.orders_placed + x.dplaced,
		   revenue = cl.revenue + x.drevenue,
		   shipped_revenue = cl.shipped_revenue + x.dshipped,
		   order_days = cl.order_days + coalesce(dd.dn, 0),
		   first_order_day = f.day,
		   last_order_day = l.day,
		   repeat_revenue = cl.revenue + x.drevenue - coalesce(f.amount, 0),
		   stage = @extschema@.lifetime_stage(cl.order_days + coalesce(dd.dn, 0), l.day,
				cl.orders_placed + x.dplaced, CURRENT_DATE,
				coalesce(m.at_risk_days, 180), coalesce(m.churn_days, 365)),
		   stage_as_of = CURRENT_DATE,
		   updated_at = now()
	  FROM (SELECT y.t, y.c, sum(y.dorders)::int AS dorders, sum(y.dplaced)::int AS dplaced,
				   sum(y.drevenue) AS drevenue, sum(y.dshipped) AS dshipped
			  FROM (SELECT (e).tenant_id AS t, (e).old_customer AS c,
						   -((e).old_lines > 0)::int AS dorders, -1 AS dplaced,
						   -(e).old_amount AS drevenue, -(e).old_shipped AS dshipped
					  FROM unnest(v_ch) AS e WHERE (e).had
					UNION ALL
					SELECT (e).tenant_id, (e).new_customer, ((e).new_lines > 0)::int, 1,
						   (e).new_amount, (e).new_shipped
					  FROM unnest(v_ch) AS e WHERE (e).has) y
			 GROUP BY y.t, y.c) x
	  LEFT JOIN (SELECT u.t, u.c, u.n AS dn FROM unnest(v_dt, v_dc, v_dn) AS u(t, c, n)) dd
		ON dd.t = x.t AND dd.c = x.c
	  LEFT JOIN @extschema@.lifetime_models m ON m.tenant_id = x.t
	  LEFT JOIN LATERAL (SELECT p.purchase_day AS day, p.amount FROM @extschema@.customer_purchase_days p
						  WHERE p.tenant_id = x.t AND p.customer_id = x.c
						  ORDER BY p.purchase_day LIMIT 1) f ON true
	  LEFT JOIN LATERAL (SELECT p.purchase_day AS day FROM @extschema@.customer_purchase_days p
						  WHERE p.tenant_id = x.t AND p.customer_id = x.c
						  ORDER BY p.purchase_day DESC LIMIT 1) l ON true
	 WHERE cl.tenant_id = x.t AND cl.customer_id = x.c;
END;
$$;
COMMENT ON FUNCTION @extschema@._lifetime_apply(bigint[], bigint[], boolean[], numeric[], numeric[], numeric[], text[], numeric[], numeric[], numeric[], text[]) IS
	'Internal: book a transaction''s order and line changes into sales_order_totals, customer_purchase_days and customer_lifetime (called at commit by the deferred lifetime trigger)';

CREATE OR REPLACE FUNCTION @extschema@._lifetime_mark() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_lifetime_mark$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._lifetime_mark() IS
	'Trigger: write an order or line change down for the commit-time customer_lifetime bookkeeping';

CREATE OR REPLACE FUNCTION @extschema@._lifetime_flush() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_lifetime_flush$$
	LANGUAGE C SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@._lifetime_flush() IS
	'Deferred trigger: book every change written down so far (the first call at commit does it all)';

CREATE OR REPLACE FUNCTION @extschema@._lifetime_flush_now() RETURNS void
	AS 'MODULE_PATHNAME', $$crmscm_lifetime_flush_now$$
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@._lifetime_flush_now() IS
	'Internal: book the changes written down so far now (before a rebuild)';

CREATE TRIGGER lifetime_mark_order
	AFTER INSERT OR DELETE ON @extschema@.sales_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lifetime_mark('order');
CREATE TRIGGER lifetime_mark_order_upd
	AFTER UPDATE ON @extschema@.sales_orders
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.customer_id IS DISTINCT FROM NEW.customer_id
		  OR OLD.ordered_at IS DISTINCT FROM NEW.ordered_at OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
		  OR OLD.order_id IS DISTINCT FROM NEW.order_id)
	EXECUTE FUNCTION @extschema@._lifetime_mark('order');
CREATE TRIGGER lifetime_mark_line
	AFTER INSERT OR DELETE ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lifetime_mark('line');
CREATE TRIGGER lifetime_mark_line_upd
	AFTER UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.qty IS DISTINCT FROM NEW.qty
		  OR OLD.unit_price IS DISTINCT FROM NEW.unit_price OR OLD.qty_shipped IS DISTINCT FROM NEW.qty_shipped
		  OR OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
	EXECUTE FUNCTION @extschema@._lifetime_mark('line');

CREATE CONSTRAINT TRIGGER customer_lifetime_order_ins_del
	AFTER INSERT OR DELETE ON @extschema@.sales_orders
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lifetime_flush();
CREATE CONSTRAINT TRIGGER customer_lifetime_order_upd
	AFTER UPDATE ON @extschema@.sales_orders
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.customer_id IS DISTINCT FROM NEW.customer_id
		  OR OLD.ordered_at IS DISTINCT FROM NEW.ordered_at OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
		  OR OLD.order_id IS DISTINCT FROM NEW.order_id)
	EXECUTE FUNCTION @extschema@._lifetime_flush();
CREATE CONSTRAINT TRIGGER customer_lifetime_line_ins_del
	AFTER INSERT OR DELETE ON @extschema@.sales_order_lines
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lifetime_flush();
CREATE CONSTRAINT TRIGGER customer_lifetime_line_upd
	AFTER UPDATE ON @extschema@.sales_order_lines
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.qty IS DISTINCT FROM NEW.qty
		  OR OLD.unit_price IS DISTINCT FROM NEW.unit_price OR OLD.qty_shipped IS DISTINCT FROM NEW.qty_shipped
		  OR OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
	EXECUTE FUNCTION @extschema@._lifetime_flush();

-- Rebuild from the orders ------------------------------------------------------

-- Recount the bookings of one tenant (p_customer NULL: all its customers)
-- from scratch.  Takes sales_order_totals in EXCLUSIVE mode first: commits
-- that book orders wait until this transaction ends, and none of them holds
-- a customer_lifetime row this needs (they lock bookings before customers).
CREATE OR REPLACE FUNCTION @extschema@._lifetime_rebuild(p_tenant bigint, p_customer bigint, p_as_of date)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_rows bigint;
BEGIN
	-- this transaction's own changes first, so that they are not booked twice
	PERFORM @extschema@._lifetime_flush_now();
	LOCK TABLE @extschema@.sales_order_totals IN EXCLUSIVE MODE;
	INSERT INTO @extschema@.customer_lifetime (tenant_id, customer_id)
	SELECT c.tenant_id, c.customer_id FROM @extschema@.customers c
	 WHERE c.tenant_id = p_tenant AND (p_customer IS NULL OR c.customer_id = p_customer)
	 ORDER BY 1, 2
	ON CONFLICT DO NOTHING;
	PERFORM 1 FROM @extschema@.customer_lifetime cl
	 WHERE cl.tenant_id = p_tenant AND (p_customer IS NULL OR cl.customer_id = p_customer)
	 ORDER BY cl.customer_id FOR UPDATE;

	DELETE FROM @extschema@.sales_order_totals s
	 WHERE s.tenant_id = p_tenant AND (p_customer IS NULL OR s.customer_id = p_customer);
	INSERT INTO @extschema@.sales_order_totals AS s
		(tenant_id, order_id, customer_id, purchase_day, status, purchase_lines, amount, shipped_amount)
	SELECT o.tenant_id, o.order_id, o.customer_id, (o.ordered_at AT TIME ZONE 'UTC')::date, o.status,
		   count(l.line_no) FILTER (WHERE (o.status = 'confirmed' AND l.status <> 'cancelled')
										 OR (o.status = 'closed' AND l.status = 'shipped')),
		   coalesce(sum(CASE WHEN o.status = 'confirmed' AND l.status <> 'cancelled' THEN l.qty * l.unit_price
							 WHEN o.status = 'closed' AND l.status = 'shipped' THEN l.qty_shipped * l.unit_price END), 0),
		   coalesce(sum(CASE WHEN (o.status = 'confirmed' AND l.status <> 'cancelled')
								 OR (o.status = 'closed' AND l.status = 'shipped') THEN l.qty_shipped * l.unit_price END), 0)
	  FROM @extschema@.sales_orders o
	  LEFT JOIN @extschema@.sales_order_lines l ON l.tenant_id = o.tenant_id AND l.order_id = o.order_id
	 WHERE o.tenant_id = p_tenant AND (p_customer IS NULL OR o.customer_id = p_customer)
	 GROUP BY o.tenant_id, o.order_id
	-- an order booked under another customer moves here: its old
	-- customer's numbers are recounted only by a rebuild of that customer
	ON CONFLICT (tenant_id, order_id) DO UPDATE
	   SET customer_id = excluded.customer_id, purchase_day = excluded.purchase_day, status = excluded.status,
		   purchase_lines = excluded.purchase_lines, amount = excluded.amount, shipped_amount = excluded.shipped_amount;

	DELETE FROM @extschema@.customer_purchase_days p
	 WHERE p.tenant_id = p_tenant AND (p_customer IS NULL OR p.customer_id = p_customer);
	INSERT INTO @extschema@.customer_purchase_days (tenant_id, customer_id, purchase_day, purchases, amount, shipped_amount)
	SELECT s.tenant_id, s.customer_id, s.purchase_day, count(*), sum(s.amount), sum(s.shipped_amount)
	  FROM @extschema@.sales_order_totals s
	 WHERE s.tenant_id = p_tenant AND (p_customer IS NULL OR s.customer_id = p_customer) AND s.purchase_lines > 0
	   AND EXISTS (SELECT 1 FROM @extschema@.customers c WHERE c.tenant_id = s.tenant_id AND c.customer_id = s.customer_id)
	 GROUP BY s.tenant_id, s.customer_id, s.purchase_day;

	UPDATE @extschema@.customer_lifetime cl
	   SET first_order_day = d.first_day,
		   last_order_day = d.last_day,
		   order_days = coalesce(d.days, 0),
		   orders = coalesce(d.orders, 0),
		   orders_placed = coalesce(o.placed, 0),
		   revenue = coalesce(d.revenue, 0),
		   repeat_revenue = coalesce(d.revenue - d.first_amount, 0),
		   shipped_revenue = coalesce(d.shipped, 0),
		   stage = @extschema@.lifetime_stage(coalesce(d.days, 0), d.last_day, coalesce(o.placed, 0)::int, p_as_of,
											  coalesce(m.at_risk_days, 180), coalesce(m.churn_days, 365)),
		   stage_as_of = p_as_of,
		   updated_at = now()
	  FROM @extschema@.customer_lifetime c0
	  LEFT JOIN (SELECT p.customer_id, min(p.purchase_day) AS first_day, max(p.purchase_day) AS last_day,
						count(*)::int AS days, sum(p.purchases)::int AS orders, sum(p.amount) AS revenue,
						sum(p.shipped_amount) AS shipped,
						(array_agg(p.amount ORDER BY p.purchase_day))[1] AS first_amount
				   FROM @extschema@.customer_purchase_days p
				  WHERE p.tenant_id = p_tenant AND (p_customer IS NULL OR p.customer_id = p_customer)
				  GROUP BY p.customer_id) d ON d.customer_id = c0.customer_id
	  LEFT JOIN (SELECT s.customer_id, count(*) AS placed FROM @extschema@.sales_order_totals s
				  WHERE s.tenant_id = p_tenant AND (p_customer IS NULL OR s.customer_id = p_customer)
				  GROUP BY s.customer_id) o ON o.customer_id = c0.customer_id
	  LEFT JOIN @extschema@.lifetime_models m ON m.tenant_id = p_tenant
	 WHERE c0.tenant_id = p_tenant AND (p_customer IS NULL OR c0.customer_id = p_customer)
	   AND cl.tenant_id = c0.tenant_id AND cl.customer_id = c0.customer_id;
	GET DIAGNOSTICS v_rows = ROW_COUNT;
	RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION @extschema@._lifetime_rebuild(bigint, bigint, date) IS
	'Internal: recount sales_order_totals, customer_purchase_days and customer_lifetime of a tenant (or one customer) from its orders';

CREATE OR REPLACE FUNCTION @extschema@.lifetime_touch(p_tenant bigint, p_customer bigint) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_tenant IS NULL OR p_customer IS NULL THEN
		RETURN;
	END IF;
	PERFORM @extschema@._lifetime_rebuild(p_tenant, p_customer, CURRENT_DATE);
END;
$$;
COMMENT ON FUNCTION @extschema@.lifetime_touch(bigint, bigint) IS
	'Internal: recount one customer''s customer_lifetime row from its orders (a repair; the triggers keep it current); a NULL p_tenant or p_customer does nothing';
REVOKE ALL ON FUNCTION @extschema@.lifetime_touch(bigint, bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.refresh_customer_lifetime(as_of date DEFAULT CURRENT_DATE) RETURNS bigint
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF refresh_customer_lifetime.as_of IS NULL THEN
		RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF NOT pg_catalog.isfinite(refresh_customer_lifetime.as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite date, got %', refresh_customer_lifetime.as_of
			USING ERRCODE = '22023';
	END IF;
	RETURN @extschema@._lifetime_rebuild(@extschema@.current_tenant(), NULL, refresh_customer_lifetime.as_of);
END;
$$;
COMMENT ON FUNCTION @extschema@.refresh_customer_lifetime(date) IS
	'Recompute every customer_lifetime row of the current tenant from its orders (and the bookkeeping tables behind it), stages as of as_of; returns the rows updated; a NULL as_of is an error (22004), an infinite one too (22023)';


-- TRUNCATE fires no row triggers: start the bookkeeping of the truncated
-- data over.  Orders gone: no booking left, every customer back to no
-- purchase.  Lines gone: every tenant's orders recounted (no lines left).
CREATE OR REPLACE FUNCTION @extschema@._lifetime_truncated() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t bigint;
BEGIN
	IF TG_TABLE_NAME = 'sales_orders' THEN
		-- (DELETE: a TRUNCATE ... CASCADE may be truncating them right now)
		DELETE FROM @extschema@.sales_order_totals;
		DELETE FROM @extschema@.customer_purchase_days;
		UPDATE @extschema@.customer_lifetime
		   SET first_order_day = NULL, last_order_day = NULL, order_days = 0, orders = 0, orders_placed = 0,
			   revenue = 0, repeat_revenue = 0, shipped_revenue = 0,
			   stage = @extschema@.lifetime_stage(0, NULL, 0, CURRENT_DATE),
			   stage_as_of = CURRENT_DATE, updated_at = now();
	ELSE
		FOR t IN SELECT DISTINCT s.tenant_id FROM @extschema@.sales_order_totals s ORDER BY 1 LOOP
			PERFORM @extschema@._lifetime_rebuild(t, NULL, CURRENT_DATE);
		END LOOP;
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@._lifetime_truncated() IS
	'Trigger: after TRUNCATE of sales_orders or sales_order_lines, start the customer_lifetime bookkeeping over';

CREATE TRIGGER lifetime_truncate_orders
	AFTER TRUNCATE ON @extschema@.sales_orders
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._lifetime_truncated();
CREATE TRIGGER lifetime_truncate_lines
	AFTER TRUNCATE ON @extschema@.sales_order_lines
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._lifetime_truncated();

-- book every existing order, and recount customer_lifetime: 0.1.0 computed
-- it through the view customer_purchases, which row-level security limits
-- to the session's tenant, so a transaction that wrote orders of several
-- tenants (a superuser's import) left the other tenants' rows stale
DO $$
DECLARE
	t bigint;
BEGIN
	FOR t IN SELECT DISTINCT c.tenant_id FROM @extschema@.customers c ORDER BY 1 LOOP
		PERFORM @extschema@._lifetime_rebuild(t, NULL, CURRENT_DATE);
	END LOOP;
END $$;

-- LIFETIME_PART_END
-- ---------------------------------------------------------------------
-- Lines inserted into confirmed orders reserve stock in C (src/orders.c):
-- the PL/pgSQL call overhead was half of a reserving insert
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@._lines_after_insert() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_lines_after_insert$$
	LANGUAGE C;

-- ---------------------------------------------------------------------
-- apply_security(): views are handed to crmscm_admin before the revokes, so
-- that running it again (as this step does) keeps the owner's rights
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.apply_security() RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $fn$
DECLARE
	-- Tables crmscm_writer may INSERT, UPDATE and DELETE (the documented write
	-- API: orders, customers, leads, stock moves, purchase orders).  Every
	-- other table of the schema: writers read it, only admins change it
	-- (items, warehouses, models, settings, scoring rules, ...).  Names that
	-- do not exist (yet) are ignored.
	writer_tables constant text[] := ARRAY[
		'customers', 'sales_orders', 'sales_order_lines', 'stock_moves',
		'purchase_orders', 'purchase_order_lines', 'leads', 'lead_events'];
	-- Functions only crmscm_admin may call: model fits, recomputing derived
	-- tables, automatic purchasing.  Every function whose name starts with
	-- 'refit' counts as listed.
	admin_functions constant text[] := ARRAY['refit_models', 'replenish', 'lead_model_train',
		'refresh_customer_lifetime'];
	-- Functions only the extension owner (a superuser) may call: they change
	-- the schema itself.
	owner_functions constant text[] := ARRAY['apply_security', 'distribute'];
	-- Internal helpers nobody may call directly: they take a tenant as an
	-- argument (called by SECURITY DEFINER triggers and API functions, which
	-- run as the owner).  Every function whose name starts with '_' counts as
	-- listed, unless IMMUTABLE and not SECURITY DEFINER (pure arithmetic that
	-- touches no table).
	internal_functions constant text[] := ARRAY['lifetime_touch'];
	-- Functions every role may call although not IMMUTABLE.
	public_functions constant text[] := ARRAY['current_tenant', 'tenant_permitted'];
	-- Functions for writers although not VOLATILE: they read the tables with
	-- the caller's rights, which readers do not have (readers: views).
	writer_functions constant text[] := ARRAY['available_to_promise', 'check_inventory', 'abc_classes'];
	-- Functions for readers although VOLATILE: pure computations that touch
	-- no table (VOLATILE only because a time limit can cut the search short).
	reader_functions constant text[] := ARRAY['tsp_tour', 'vrp_routes', 'route_cost'];
	nsp constant oid := '@extschema@'::regnamespace;
	r record;
	target text;
BEGIN
	EXECUTE 'REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC';
	EXECUTE 'GRANT USAGE ON SCHEMA @extschema@ TO crmscm_reader';

	-- Tables: nothing for PUBLIC; row-level security on every table that has
	-- a tenant_id column.
	FOR r IN
		SELECT c.oid::regclass AS tab, c.relname,
			   EXISTS (SELECT FROM pg_catalog.pg_attribute a
					   WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid
						 AND a.attname OPERATOR(pg_catalog.=) 'tenant_id'
						 AND NOT a.attisdropped) AS tenant
		FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::"char"[])
		ORDER BY c.relname
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', r.tab);
		EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM crmscm_reader, crmscm_writer, crmscm_admin', r.tab);
		EXECUTE pg_catalog.format('GRANT SELECT ON %s TO crmscm_writer', r.tab);
		EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO crmscm_admin', r.tab);
		IF r.relname OPERATOR(pg_catalog.=) ANY (writer_tables) THEN
			EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON %s TO crmscm_writer', r.tab);
		END IF;
		IF r.tenant THEN
			EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', r.tab);
			EXECUTE pg_catalog.format('DROP POLICY IF EXISTS tenant_isolation ON %s', r.tab);
			EXECUTE pg_catalog.format(
				'CREATE POLICY tenant_isolation ON %s'
				' USING (tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant())'
				' WITH CHECK (tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant())', r.tab);
			EXECUTE pg_catalog.format('DROP POLICY IF EXISTS tenant_pin ON %s', r.tab);
			EXECUTE pg_catalog.format(
				'CREATE POLICY tenant_pin ON %s AS RESTRICTIVE'
				' USING ((SELECT @extschema@.tenant_permitted()))'
				' WITH CHECK ((SELECT @extschema@.tenant_permitted()))', r.tab);
		END IF;
	END LOOP;

	-- Sequences (identity columns need none, but serial ones would).
	FOR r IN
		SELECT c.oid::regclass AS seq FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relkind OPERATOR(pg_catalog.=) 'S'
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC', r.seq);
		EXECUTE pg_catalog.format('GRANT USAGE, SELECT ON SEQUENCE %s TO crmscm_writer', r.seq);
	END LOOP;

	-- Views: readers SELECT them.  A view reads its tables with its owner's
	-- rights, and the owner (the superuser who ran CREATE EXTENSION) bypasses
	-- row-level security; so the views are handed to crmscm_admin, a role the
	-- tenant policies apply to.  Readers need no right on the tables; so no
	-- view may be security_invoker (it would read with the reader's rights,
	-- which are none): the option is reset.
	FOR r IN
		SELECT c.oid::regclass AS v, c.relkind FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v', 'm']::"char"[])
	LOOP
		IF r.relkind OPERATOR(pg_catalog.=) 'v' THEN
			-- owner first: revoking from crmscm_admin once it owns the view
			-- would take its own rights away when this runs again (upgrades)
			EXECUTE pg_catalog.format('ALTER VIEW %s OWNER TO crmscm_admin', r.v);
			EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, crmscm_reader, crmscm_writer', r.v);
			EXECUTE pg_catalog.format('ALTER VIEW %s RESET (security_invoker)', r.v);
			EXECUTE pg_catalog.format('GRANT SELECT ON %s TO crmscm_reader', r.v);
		ELSE
			EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, crmscm_reader, crmscm_writer, crmscm_admin', r.v);
			-- a materialized view stores rows of every tenant, beyond any policy
			RAISE WARNING 'materialized view % holds the rows of every tenant: not granted to crmscm_reader', r.v;
		END IF;
	END LOOP;

	-- Functions.  PostgreSQL grants EXECUTE to PUBLIC by default; keep that
	-- only for IMMUTABLE non-definer functions (type I/O, operators, math:
	-- they touch no table).  Then, first match wins:
	--   owner_functions                    -> nobody but the owner
	--   internal_functions, '\_%' (unless  -> nobody
	--     IMMUTABLE and not definer)
	--   admin_functions, 'refit%'          -> crmscm_admin
	--   public_functions                   -> PUBLIC
	--   trigger functions                  -> nobody (triggers fire without EXECUTE)
	--   writer_functions, VOLATILE         -> crmscm_writer
	--     (reader_functions excepted)
	--   reader_functions, SECURITY DEFINER,
	--     STABLE                           -> crmscm_reader
	--   IMMUTABLE                          -> PUBLIC
	FOR r IN
		SELECT p.oid::regprocedure AS fn, p.proname, p.provolatile, p.prosecdef,
			   p.prorettype OPERATOR(pg_catalog.=) ANY (ARRAY['trigger', 'event_trigger']::regtype[]) AS trig,
			   'ROUTINE'::text AS kind
		FROM pg_catalog.pg_proc p
		WHERE p.pronamespace OPERATOR(pg_catalog.=) nsp
	LOOP
		target := CASE
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (owner_functions) THEN NULL
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (internal_functions)
			  OR (r.proname OPERATOR(pg_catalog.~~) E'\\_%'
				  AND (r.provolatile OPERATOR(pg_catalog.<>) 'i' OR r.prosecdef)) THEN NULL
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (admin_functions)
			  OR r.proname OPERATOR(pg_catalog.~~) 'refit%' THEN 'crmscm_admin'
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (public_functions) THEN 'PUBLIC'
			WHEN r.trig THEN NULL
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (reader_functions) THEN 'crmscm_reader'
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (writer_functions)
			  OR r.provolatile OPERATOR(pg_catalog.=) 'v' THEN 'crmscm_writer'
			WHEN r.prosecdef OR r.provolatile OPERATOR(pg_catalog.=) 's' THEN 'crmscm_reader'
			ELSE 'PUBLIC' END;
		EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM PUBLIC, crmscm_reader, crmscm_writer, crmscm_admin',
								  r.kind, r.fn);
		IF target IS NOT NULL THEN
			EXECUTE pg_catalog.format('GRANT EXECUTE ON %s %s TO %s', r.kind, r.fn, target);
		END IF;
	END LOOP;
END
$fn$;

SELECT @extschema@.apply_security();
