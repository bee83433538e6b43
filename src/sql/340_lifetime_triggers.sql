-- Customer lifetime bookkeeping by triggers, model refits (doc/lifetime.md).
--
-- What counts as a purchase: see the view crmscm.customer_purchases (a
-- confirmed order with a line not cancelled; a closed order -- the historic
-- import -- with a shipped line).  Days are UTC calendar days of ordered_at.
--
-- How it is kept current (src/lifetime_tracking.c has the C half):
--  * an AFTER ROW trigger on sales_orders and sales_order_lines writes each
--    change down (the order; for a line its old and new qty, qty_shipped,
--    unit_price and status), cheaply and without locks;
--  * at commit a DEFERRABLE INITIALLY DEFERRED constraint trigger hands all
--    of a transaction's changes, in one call, to _lifetime_apply(), which
--    books them as deltas: per order (sales_order_totals: what the order
--    counted for at its last booking), per customer and day
--    (customer_purchase_days) and per customer (customer_lifetime).  A line
--    change adds its own delta; an order whose status, customer or day
--    changed is recounted over its own lines.  The cost per commit no longer
--    depends on the customer's history.
--
-- Lock order (COMMON agreement): the order/inventory triggers lock
-- sales_orders rows, then inventory rows, then backorders.  The bookkeeping
-- locks nothing before commit, and at commit it locks sales_order_totals rows
-- in key order, then customer_lifetime rows in key order, then writes
-- customer_purchase_days (only ever written under the customer's lock).  The
-- reads that compute the deltas run in a new statement after those locks:
-- their READ COMMITTED snapshot sees every transaction that booked the same
-- order or customer before, so no update is lost; under REPEATABLE READ a
-- concurrent booking gives a serialization error instead.

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) '_lifetime_change' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
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
END $guard$;
COMMENT ON TYPE @extschema@._lifetime_change IS
	'Internal: one order''s booking before and after a commit (_lifetime_apply)';

-- Length: one statement per table it books (order totals, purchase days,
-- customers' lifetime), in the lock order of doc/orders.md (lifetime last),
-- for one tenant per call; left whole while other branches change it.
CREATE OR REPLACE FUNCTION @extschema@._lifetime_apply(
	p_tenant bigint[], p_order bigint[], p_recount boolean[],
	p_oqty numeric[], p_oshipped numeric[], p_oprice numeric[], p_ostatus text[],
	p_nqty numeric[], p_nshipped numeric[], p_nprice numeric[], p_nstatus text[])
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- (#17, for the lead to weigh) custom plans: the generic plans were
-- measured cheaper per commit, but one made while the tables were small
-- ran the recount after a bulk load of 100,000 lines for over 10 minutes
-- once order lines had #17's columns (test/pgtap/lifetime_incremental.sql:
-- custom 14 s, main's generic 34 s before #17); custom plans see the
-- arrays' real lengths
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	v_ch @extschema@._lifetime_change[];
	v_want int;
	v_locked int;
	v_dt bigint[];
	v_dc bigint[];
	v_dn int[];
	v_gone int;
	-- the one tenant of the call (the C caller calls once per tenant): every
	-- statement below also filters each table on it, a scalar, so that Citus
	-- routes it to the tenant's shards (doc/citus.md)
	v_t constant bigint := p_tenant[1];
BEGIN
	IF EXISTS (SELECT FROM unnest(p_tenant) AS u(t) WHERE u.t IS DISTINCT FROM v_t) THEN
		RAISE EXCEPTION 'crmscm._lifetime_apply: changes of more than one tenant in one call'
			USING ERRCODE = 'internal_error';
	END IF;
	-- on Citus, custom plans: it routes a statement on the values of its
	-- parameters only, and a generic plan of a join cannot be routed
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		PERFORM pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true);
	END IF;

	-- 1. lock the orders' bookings in key order
	PERFORM 1 FROM @extschema@.sales_order_totals s
	 WHERE s.tenant_id = v_t
	   AND (s.tenant_id, s.order_id) IN (SELECT u.t, u.o FROM unnest(p_tenant, p_order) AS u(t, o))
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
		  LEFT JOIN @extschema@.sales_orders so ON so.tenant_id = v_t AND so.tenant_id = k.t AND so.order_id = k.o
		  LEFT JOIN @extschema@.sales_order_totals st ON st.tenant_id = v_t AND st.tenant_id = k.t AND st.order_id = k.o
	), delta AS (
		SELECT u.t, u.o,
			   -- the purchase rule (src/sql/030_rules.sql), new minus old
			   sum(CASE WHEN @extschema@._sales_line_counts(c.s, u.nst) THEN 1 ELSE 0 END
				 - CASE WHEN @extschema@._sales_line_counts(c.s, u.ost) THEN 1 ELSE 0 END)::int AS dl,
			   sum(@extschema@._sales_line_amount(c.s, u.nst, u.nq, u.nsh, u.np)
				 - @extschema@._sales_line_amount(c.s, u.ost, u.oq, u.osh, u.op)) AS da,
			   sum(@extschema@._sales_line_shipped_amount(c.s, u.nst, u.nsh, u.np)
				 - @extschema@._sales_line_shipped_amount(c.s, u.ost, u.osh, u.op)) AS dsh
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
			SELECT count(*) FILTER (WHERE @extschema@._sales_line_counts(c.s, l.status))::int AS lines,
				   coalesce(sum(@extschema@._sales_line_amount(c.s, l.status, l.qty, l.qty_shipped, l.unit_price)), 0) AS amount,
				   coalesce(sum(@extschema@._sales_line_shipped_amount(c.s, l.status, l.qty_shipped, l.unit_price)), 0) AS shipped
			  FROM @extschema@.sales_order_lines l
			 WHERE c.recount AND c.has AND l.tenant_id = v_t AND l.tenant_id = c.t AND l.order_id = c.o) rc ON true
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
			  JOIN @extschema@.customers cu ON cu.tenant_id = v_t AND cu.tenant_id = x.t AND cu.customer_id = x.c) y),
		   (SELECT count(*) FROM (
				SELECT 1 FROM @extschema@.customer_lifetime cl
				 WHERE cl.tenant_id = v_t AND (cl.tenant_id, cl.customer_id) IN (
						SELECT (e).tenant_id, (e).old_customer FROM unnest(v_ch) AS e WHERE (e).had
						UNION SELECT (e).tenant_id, (e).new_customer FROM unnest(v_ch) AS e WHERE (e).has)
				 ORDER BY cl.tenant_id, cl.customer_id
				   FOR UPDATE OF cl) z)
	  INTO v_want, v_locked;
	IF v_locked < v_want THEN
		-- (v_t, not cu.tenant_id: Citus does not push this INSERT down
		-- to the shards, which a call routed to one tenant may not do)
		INSERT INTO @extschema@.customer_lifetime (tenant_id, customer_id)
		SELECT v_t, cu.customer_id FROM @extschema@.customers cu
		 WHERE cu.tenant_id = v_t AND (cu.tenant_id, cu.customer_id) IN (
				SELECT (e).tenant_id, (e).old_customer FROM unnest(v_ch) AS e WHERE (e).had
				UNION SELECT (e).tenant_id, (e).new_customer FROM unnest(v_ch) AS e WHERE (e).has)
		 ORDER BY 1, 2
		ON CONFLICT DO NOTHING;
		PERFORM 1 FROM @extschema@.customer_lifetime cl
		 WHERE cl.tenant_id = v_t AND (cl.tenant_id, cl.customer_id) IN (
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
		  JOIN @extschema@.customers cu ON cu.tenant_id = v_t AND cu.tenant_id = x.t AND cu.customer_id = x.c
		 GROUP BY x.t, x.c, x.d
		HAVING sum(x.n) <> 0 OR sum(x.a) <> 0 OR sum(x.sh) <> 0
	), up AS (
		INSERT INTO @extschema@.customer_purchase_days AS p
			(tenant_id, customer_id, purchase_day, purchases, amount, shipped_amount)
		SELECT v_t, d.c, d.d, d.n, d.a, d.sh FROM d ORDER BY 1, 2, 3
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
		 WHERE p.tenant_id = v_t AND (p.tenant_id, p.customer_id) IN (SELECT u.t, u.c FROM unnest(v_dt, v_dc) AS u(t, c))
		   AND p.purchases <= 0;
	END IF;

	-- 5. the orders' new bookings
	WITH del AS (
		DELETE FROM @extschema@.sales_order_totals s
		 USING unnest(v_ch) AS e
		 WHERE NOT (e).has AND s.tenant_id = v_t AND s.tenant_id = (e).tenant_id AND s.order_id = (e).order_id
	)
	INSERT INTO @extschema@.sales_order_totals AS s
		(tenant_id, order_id, customer_id, purchase_day, status, purchase_lines, amount, shipped_amount)
	SELECT v_t, (e).order_id, (e).new_customer, (e).new_day, (e).new_status,
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
				@extschema@._at_risk_days(m.at_risk_days), @extschema@._churn_days(m.churn_days)),
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
	  LEFT JOIN @extschema@.lifetime_models m ON m.tenant_id = v_t AND m.tenant_id = x.t
	  LEFT JOIN LATERAL (SELECT p.purchase_day AS day, p.amount FROM @extschema@.customer_purchase_days p
						  WHERE p.tenant_id = v_t AND p.tenant_id = x.t AND p.customer_id = x.c
						  ORDER BY p.purchase_day LIMIT 1) f ON true
	  LEFT JOIN LATERAL (SELECT p.purchase_day AS day FROM @extschema@.customer_purchase_days p
						  WHERE p.tenant_id = v_t AND p.tenant_id = x.t AND p.customer_id = x.c
						  ORDER BY p.purchase_day DESC LIMIT 1) l ON true
	 WHERE cl.tenant_id = v_t AND cl.tenant_id = x.t AND cl.customer_id = x.c;
END;
$$;
COMMENT ON FUNCTION @extschema@._lifetime_apply(bigint[], bigint[], boolean[], numeric[], numeric[], numeric[], text[], numeric[], numeric[], numeric[], text[]) IS
	'Internal: book a transaction''s order and line changes into sales_order_totals, customer_purchase_days and customer_lifetime (called at commit by the deferred lifetime trigger)';

CREATE OR REPLACE FUNCTION @extschema@._lifetime_mark() RETURNS trigger
	AS 'MODULE_PATHNAME', $$crmscm_lifetime_mark$$
	LANGUAGE C;
COMMENT ON FUNCTION @extschema@._lifetime_mark() IS
	'Trigger: write an order or line change down for the commit-time customer_lifetime bookkeeping';

CREATE OR REPLACE FUNCTION @extschema@._lifetime_flush_now() RETURNS void
	AS 'MODULE_PATHNAME', $$crmscm_lifetime_flush_now$$
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@._lifetime_flush_now() IS
	'Internal: book the changes written down so far now (before a rebuild)';

CREATE OR REPLACE TRIGGER "Lifetime_mark_order"
	AFTER INSERT OR DELETE ON @extschema@.sales_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lifetime_mark('order');
CREATE OR REPLACE TRIGGER "Lifetime_mark_order_upd"
	AFTER UPDATE ON @extschema@.sales_orders
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lifetime_mark('order');
CREATE OR REPLACE TRIGGER "Lifetime_mark_line"
	AFTER INSERT OR DELETE ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lifetime_mark('line');
CREATE OR REPLACE TRIGGER "Lifetime_mark_line_upd"
	AFTER UPDATE ON @extschema@.sales_order_lines
	FOR EACH ROW EXECUTE FUNCTION @extschema@._lifetime_mark('line');

-- At commit the pass of 330_commit_pass.sql books what these triggers wrote
-- down (src/reserve.c calls the bookkeeping after the stock work).

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
		   count(l.line_no) FILTER (WHERE @extschema@._sales_line_counts(o.status, l.status)),
		   coalesce(sum(@extschema@._sales_line_amount(o.status, l.status, l.qty, l.qty_shipped, l.unit_price)), 0),
		   coalesce(sum(@extschema@._sales_line_shipped_amount(o.status, l.status, l.qty_shipped, l.unit_price)), 0)
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
											  @extschema@._at_risk_days(m.at_risk_days), @extschema@._churn_days(m.churn_days)),
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
DECLARE
	-- first: the caller's tenant, checked against its pins (doc/security.md)
	v_tenant constant bigint := @extschema@.current_tenant();
BEGIN
	IF refresh_customer_lifetime.as_of IS NULL THEN
		RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF NOT pg_catalog.isfinite(refresh_customer_lifetime.as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite date, got %', refresh_customer_lifetime.as_of
			USING ERRCODE = '22023';
	END IF;
	RETURN @extschema@._lifetime_rebuild(v_tenant, NULL, refresh_customer_lifetime.as_of);
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

CREATE OR REPLACE TRIGGER lifetime_truncate_orders
	AFTER TRUNCATE ON @extschema@.sales_orders
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._lifetime_truncated();
CREATE OR REPLACE TRIGGER lifetime_truncate_lines
	AFTER TRUNCATE ON @extschema@.sales_order_lines
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._lifetime_truncated();

-- Fit and store the tenant's models ------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.refit_models(as_of date DEFAULT NULL) RETURNS @extschema@.lifetime_models
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_tenant bigint := @extschema@.current_tenant();
	v_day date := COALESCE(refit_models.as_of, CURRENT_DATE);
	v_model @extschema@.lifetime_models;
	v_n bigint;
	v_nrep bigint;
	v_bg @extschema@.bgnbd;
	v_gg @extschema@.gamma_gamma;
	-- v_model.unit_days as a variable of its own, and the fits as SELECT
	-- INTO (not v := (SELECT ...)): Citus sends a scalar subquery in an
	-- expression to the worker with its parameters unresolved, which fails
	-- there ("could not determine data type of parameter"; doc/citus.md)
	v_unit float8;
BEGIN
	IF NOT pg_catalog.isfinite(v_day) THEN
		RAISE EXCEPTION 'as_of must be a finite date, got %', v_day USING ERRCODE = '22023';
	END IF;
	INSERT INTO @extschema@.lifetime_models (tenant_id) VALUES (v_tenant) ON CONFLICT DO NOTHING;
	SELECT * INTO v_model FROM @extschema@.lifetime_models WHERE tenant_id = v_tenant FOR UPDATE;
	v_unit := v_model.unit_days;

	SELECT count(*), count(*) FILTER (WHERE (s.r).frequency > 0 AND (s.r).monetary > 0)
	  INTO v_n, v_nrep
	  FROM (SELECT @extschema@.rfm_summary(p.purchase_day, p.amount::float8, v_day) AS r
			  FROM @extschema@.customer_purchases p
			 WHERE p.tenant_id = v_tenant
			 GROUP BY p.customer_id) s
	 WHERE s.r IS NOT NULL;
	IF v_n > 0 THEN
		SELECT (x.f).* INTO v_bg
		  FROM (SELECT @extschema@.bgnbd_fit((s.r).frequency, (s.r).recency / v_unit, (s.r).t / v_unit) AS f
				  FROM (SELECT @extschema@.rfm_summary(p.purchase_day, p.amount::float8, v_day) AS r
						  FROM @extschema@.customer_purchases p
						 WHERE p.tenant_id = v_tenant
						 GROUP BY p.customer_id) s
				 WHERE s.r IS NOT NULL) x;
	END IF;
	IF v_nrep > 0 THEN
		SELECT (x.f).* INTO v_gg
		  FROM (SELECT @extschema@.gamma_gamma_fit((s.r).frequency, (s.r).monetary) AS f
				  FROM (SELECT @extschema@.rfm_summary(p.purchase_day, p.amount::float8, v_day) AS r
						  FROM @extschema@.customer_purchases p
						 WHERE p.tenant_id = v_tenant
						 GROUP BY p.customer_id) s
				 WHERE (s.r).frequency > 0 AND (s.r).monetary > 0) x;
	END IF;
	UPDATE @extschema@.lifetime_models m
	   SET as_of = refit_models.as_of,
		   bgnbd = v_bg,
		   gamma_gamma = v_gg,
		   customers = v_n,
		   repeat_customers = v_nrep,
		   fitted_at = now()
	 WHERE m.tenant_id = v_tenant
	RETURNING * INTO v_model;
	-- #17: the customers' tiers follow the new CLV (361_customer_tiers.sql)
	PERFORM @extschema@.refit_tiers();
	RETURN v_model;
END;
$$;
COMMENT ON FUNCTION @extschema@.refit_models(date) IS
	'Fit the current tenant''s BG/NBD (time unit lifetime_models.unit_days) and Gamma-Gamma models on its purchases up to as_of (NULL: today, and customer_360 then evaluates on the current date) and store them in lifetime_models; an infinite as_of is an error (22023)';
