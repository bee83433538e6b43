-- Customer lifetime bookkeeping by triggers, model refits (SPEC §5).
--
-- Lock order (COMMON agreement): the order/inventory triggers lock sales_orders
-- rows, then inventory rows, then backorders.  The bookkeeping here must not
-- take locks in the middle of that, so it runs in DEFERRABLE INITIALLY
-- DEFERRED constraint triggers (at commit, after every inventory lock) and
-- recomputes a customer's row idempotently: first lock the customer_lifetime
-- row (INSERT ... ON CONFLICT DO NOTHING; SELECT ... FOR UPDATE), then compute
-- from the orders in a new statement, whose fresh READ COMMITTED snapshot sees
-- every transaction that committed before the lock was granted: no lost update.
--
-- What counts as a purchase: see the view crmscm.customer_purchases (a
-- confirmed order with a line not cancelled; a closed order -- the historic
-- import -- with a shipped line).  Days are UTC calendar days of ordered_at.

CREATE FUNCTION @extschema@.lifetime_touch(p_tenant bigint, p_customer bigint) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_risk int := 180;
	v_churn int := 365;
BEGIN
	IF p_customer IS NULL THEN
		RETURN;
	END IF;
	PERFORM 1 FROM @extschema@.customers WHERE tenant_id = p_tenant AND customer_id = p_customer;
	IF NOT FOUND THEN
		RETURN;					-- customer deleted in this transaction
	END IF;
	INSERT INTO @extschema@.customer_lifetime (tenant_id, customer_id)
		VALUES (p_tenant, p_customer) ON CONFLICT DO NOTHING;
	PERFORM 1 FROM @extschema@.customer_lifetime
	  WHERE tenant_id = p_tenant AND customer_id = p_customer FOR UPDATE;
	SELECT at_risk_days, churn_days INTO v_risk, v_churn
	  FROM @extschema@.lifetime_models WHERE tenant_id = p_tenant;
	-- a new statement: a fresh snapshot taken after the row lock
	UPDATE @extschema@.customer_lifetime cl
	   SET first_order_day = f.first_day,
		   last_order_day = f.last_day,
		   order_days = f.days,
		   orders = f.orders,
		   orders_placed = (SELECT count(*) FROM @extschema@.sales_orders o
							 WHERE o.tenant_id = p_tenant AND o.customer_id = p_customer),
		   revenue = f.revenue,
		   repeat_revenue = f.repeat_revenue,
		   shipped_revenue = f.shipped,
		   stage = @extschema@.lifetime_stage(f.days, f.last_day,
				(SELECT count(*)::int FROM @extschema@.sales_orders o
				  WHERE o.tenant_id = p_tenant AND o.customer_id = p_customer),
				CURRENT_DATE, COALESCE(v_risk, 180), COALESCE(v_churn, 365)),
		   stage_as_of = CURRENT_DATE,
		   updated_at = now()
	  FROM (SELECT min(d.purchase_day) AS first_day,
				   max(d.purchase_day) AS last_day,
				   count(*)::int AS days,
				   COALESCE(sum(d.n), 0)::int AS orders,
				   COALESCE(sum(d.amount), 0) AS revenue,
				   COALESCE(sum(d.amount) FILTER (WHERE d.rn > 1), 0) AS repeat_revenue,
				   COALESCE(sum(d.shipped), 0) AS shipped
			  FROM (SELECT p.purchase_day, count(*) AS n, sum(p.amount) AS amount,
						   sum(p.shipped_amount) AS shipped,
						   row_number() OVER (ORDER BY p.purchase_day) AS rn
					  FROM @extschema@.customer_purchases p
					 WHERE p.tenant_id = p_tenant AND p.customer_id = p_customer
					 GROUP BY p.purchase_day) d) f
	 WHERE cl.tenant_id = p_tenant AND cl.customer_id = p_customer;
END;
$$;
COMMENT ON FUNCTION @extschema@.lifetime_touch(bigint, bigint) IS
	'Internal: lock and recompute one customer''s customer_lifetime row (called by the deferred triggers); a NULL p_tenant or p_customer does nothing';
REVOKE ALL ON FUNCTION @extschema@.lifetime_touch(bigint, bigint) FROM PUBLIC;

CREATE FUNCTION @extschema@.customer_lifetime_order_trigger() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		PERFORM @extschema@.lifetime_touch(OLD.tenant_id, OLD.customer_id);
	END IF;
	IF TG_OP = 'INSERT' THEN
		PERFORM @extschema@.lifetime_touch(NEW.tenant_id, NEW.customer_id);
	ELSIF TG_OP = 'UPDATE' THEN
		IF NEW.tenant_id <> OLD.tenant_id OR NEW.customer_id <> OLD.customer_id THEN
			PERFORM @extschema@.lifetime_touch(NEW.tenant_id, NEW.customer_id);
		END IF;
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.customer_lifetime_order_trigger() IS
	'Deferred trigger on sales_orders: recompute the customer_lifetime row of the order''s customer at commit';

CREATE FUNCTION @extschema@.customer_lifetime_line_trigger() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_customer bigint;
BEGIN
	IF TG_OP <> 'INSERT' THEN
		SELECT customer_id INTO v_customer FROM @extschema@.sales_orders
		 WHERE tenant_id = OLD.tenant_id AND order_id = OLD.order_id;
		IF FOUND THEN			-- else the order is gone and its own trigger did the work
			PERFORM @extschema@.lifetime_touch(OLD.tenant_id, v_customer);
		END IF;
	END IF;
	IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.tenant_id <> OLD.tenant_id OR NEW.order_id <> OLD.order_id)) THEN
		SELECT customer_id INTO v_customer FROM @extschema@.sales_orders
		 WHERE tenant_id = NEW.tenant_id AND order_id = NEW.order_id;
		IF FOUND THEN
			PERFORM @extschema@.lifetime_touch(NEW.tenant_id, v_customer);
		END IF;
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.customer_lifetime_line_trigger() IS
	'Deferred trigger on sales_order_lines: recompute the customer_lifetime row of the line''s customer at commit';

CREATE CONSTRAINT TRIGGER customer_lifetime_order_ins_del
	AFTER INSERT OR DELETE ON @extschema@.sales_orders
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@.customer_lifetime_order_trigger();
CREATE CONSTRAINT TRIGGER customer_lifetime_order_upd
	AFTER UPDATE ON @extschema@.sales_orders
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.customer_id IS DISTINCT FROM NEW.customer_id
		  OR OLD.ordered_at IS DISTINCT FROM NEW.ordered_at OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
	EXECUTE FUNCTION @extschema@.customer_lifetime_order_trigger();
CREATE CONSTRAINT TRIGGER customer_lifetime_line_ins_del
	AFTER INSERT OR DELETE ON @extschema@.sales_order_lines
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@.customer_lifetime_line_trigger();
CREATE CONSTRAINT TRIGGER customer_lifetime_line_upd
	AFTER UPDATE ON @extschema@.sales_order_lines
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.qty IS DISTINCT FROM NEW.qty
		  OR OLD.unit_price IS DISTINCT FROM NEW.unit_price OR OLD.qty_shipped IS DISTINCT FROM NEW.qty_shipped
		  OR OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
	EXECUTE FUNCTION @extschema@.customer_lifetime_line_trigger();

-- Recompute every customer_lifetime row of the current tenant ----------------

CREATE FUNCTION @extschema@.refresh_customer_lifetime(as_of date DEFAULT CURRENT_DATE) RETURNS bigint
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_tenant bigint := @extschema@.current_tenant();
	v_risk int := 180;
	v_churn int := 365;
	v_rows bigint;
BEGIN
	IF refresh_customer_lifetime.as_of IS NULL THEN
		RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF NOT pg_catalog.isfinite(refresh_customer_lifetime.as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite date, got %', refresh_customer_lifetime.as_of
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO @extschema@.customer_lifetime (tenant_id, customer_id)
	SELECT c.tenant_id, c.customer_id FROM @extschema@.customers c WHERE c.tenant_id = v_tenant
	ON CONFLICT DO NOTHING;
	-- lock in key order (the triggers lock one row at a time)
	PERFORM 1 FROM @extschema@.customer_lifetime WHERE tenant_id = v_tenant ORDER BY customer_id FOR UPDATE;
	SELECT at_risk_days, churn_days INTO v_risk, v_churn
	  FROM @extschema@.lifetime_models WHERE tenant_id = v_tenant;
	UPDATE @extschema@.customer_lifetime cl
	   SET first_order_day = x.first_day,
		   last_order_day = x.last_day,
		   order_days = COALESCE(x.days, 0),
		   orders = COALESCE(x.orders, 0),
		   orders_placed = COALESCE(x.placed, 0),
		   revenue = COALESCE(x.revenue, 0),
		   repeat_revenue = COALESCE(x.repeat_revenue, 0),
		   shipped_revenue = COALESCE(x.shipped, 0),
		   stage = @extschema@.lifetime_stage(COALESCE(x.days, 0), x.last_day, COALESCE(x.placed, 0)::int,
											  refresh_customer_lifetime.as_of,
											  COALESCE(v_risk, 180), COALESCE(v_churn, 365)),
		   stage_as_of = refresh_customer_lifetime.as_of,
		   updated_at = now()
	  FROM (SELECT c.customer_id, f.first_day, f.last_day, f.days, f.orders, f.revenue,
				   f.repeat_revenue, f.shipped, o.placed
			  FROM @extschema@.customers c
			  LEFT JOIN (SELECT d.customer_id,
								min(d.purchase_day) AS first_day,
								max(d.purchase_day) AS last_day,
								count(*)::int AS days,
								sum(d.n)::int AS orders,
								sum(d.amount) AS revenue,
								COALESCE(sum(d.amount) FILTER (WHERE d.rn > 1), 0) AS repeat_revenue,
								sum(d.shipped) AS shipped
						   FROM (SELECT p.customer_id, p.purchase_day, count(*) AS n, sum(p.amount) AS amount,
										sum(p.shipped_amount) AS shipped,
										row_number() OVER (PARTITION BY p.customer_id ORDER BY p.purchase_day) AS rn
								   FROM @extschema@.customer_purchases p
								  WHERE p.tenant_id = v_tenant
								  GROUP BY p.customer_id, p.purchase_day) d
						  GROUP BY d.customer_id) f ON f.customer_id = c.customer_id
			  LEFT JOIN (SELECT o.customer_id, count(*) AS placed FROM @extschema@.sales_orders o
						  WHERE o.tenant_id = v_tenant GROUP BY o.customer_id) o ON o.customer_id = c.customer_id
			 WHERE c.tenant_id = v_tenant) x
	 WHERE cl.tenant_id = v_tenant AND cl.customer_id = x.customer_id;
	GET DIAGNOSTICS v_rows = ROW_COUNT;
	RETURN v_rows;
END;
$$;
COMMENT ON FUNCTION @extschema@.refresh_customer_lifetime(date) IS
	'Recompute every customer_lifetime row of the current tenant from its orders, stages as of as_of; returns the rows updated; a NULL as_of is an error (22004), an infinite one too (22023)';

-- Fit and store the tenant's models ------------------------------------------

CREATE FUNCTION @extschema@.refit_models(as_of date DEFAULT NULL) RETURNS @extschema@.lifetime_models
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
BEGIN
	IF NOT pg_catalog.isfinite(v_day) THEN
		RAISE EXCEPTION 'as_of must be a finite date, got %', v_day USING ERRCODE = '22023';
	END IF;
	INSERT INTO @extschema@.lifetime_models (tenant_id) VALUES (v_tenant) ON CONFLICT DO NOTHING;
	SELECT * INTO v_model FROM @extschema@.lifetime_models WHERE tenant_id = v_tenant FOR UPDATE;

	SELECT count(*), count(*) FILTER (WHERE (s.r).frequency > 0 AND (s.r).monetary > 0)
	  INTO v_n, v_nrep
	  FROM (SELECT @extschema@.rfm_summary(p.purchase_day, p.amount::float8, v_day) AS r
			  FROM @extschema@.customer_purchases p
			 WHERE p.tenant_id = v_tenant
			 GROUP BY p.customer_id) s
	 WHERE s.r IS NOT NULL;
	IF v_n > 0 THEN
		v_bg := (SELECT @extschema@.bgnbd_fit((s.r).frequency, (s.r).recency / v_model.unit_days,
											   (s.r).t / v_model.unit_days)
				   FROM (SELECT @extschema@.rfm_summary(p.purchase_day, p.amount::float8, v_day) AS r
						   FROM @extschema@.customer_purchases p
						  WHERE p.tenant_id = v_tenant
						  GROUP BY p.customer_id) s
				  WHERE s.r IS NOT NULL);
	END IF;
	IF v_nrep > 0 THEN
		v_gg := (SELECT @extschema@.gamma_gamma_fit((s.r).frequency, (s.r).monetary)
				   FROM (SELECT @extschema@.rfm_summary(p.purchase_day, p.amount::float8, v_day) AS r
						   FROM @extschema@.customer_purchases p
						  WHERE p.tenant_id = v_tenant
						  GROUP BY p.customer_id) s
				  WHERE (s.r).frequency > 0 AND (s.r).monetary > 0);
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
	RETURN v_model;
END;
$$;
COMMENT ON FUNCTION @extschema@.refit_models(date) IS
	'Fit the current tenant''s BG/NBD (time unit lifetime_models.unit_days) and Gamma-Gamma models on its purchases up to as_of (NULL: today, and customer_360 then evaluates on the current date) and store them in lifetime_models; an infinite as_of is an error (22023)';
