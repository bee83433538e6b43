-- Customer tiers from customer value (issue #17, doc/synergy.md).
-- crmscm.refit_models() ends with crmscm.refit_tiers(); explicit tiers are
-- set with crmscm.set_customer_tier().  The reservation engine reads
-- crmscm.customer_tiers at every commit (src/allocation.c).

CREATE OR REPLACE FUNCTION @extschema@.refit_tiers() RETURNS @extschema@.tier_thresholds
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_tenant bigint := @extschema@.current_tenant();
	v_set @extschema@.tier_thresholds;
BEGIN
	INSERT INTO @extschema@.tier_thresholds (tenant_id) VALUES (v_tenant) ON CONFLICT DO NOTHING;
	SELECT * INTO v_set FROM @extschema@.tier_thresholds WHERE tenant_id = v_tenant FOR UPDATE;
	-- customers with a CLV, highest first: cume_dist() <= a_share is A, <= a_share +
	-- b_share is B (customers tied across a threshold all go to the lower
	-- tier); no CLV: C.  One statement (no temporary table: this function
	-- runs as crmscm, and a temporary table could be the caller's).
	WITH ranked AS (
		SELECT x.customer_id, x.clv_12m AS clv,
			   CASE WHEN x.clv_12m IS NULL THEN 'C'
					WHEN x.cd <= v_set.a_share THEN 'A'
					WHEN x.cd <= v_set.a_share + v_set.b_share THEN 'B'
					ELSE 'C' END AS tier
		  FROM (SELECT c.customer_id, c.clv_12m,
					   pg_catalog.cume_dist() OVER (PARTITION BY c.clv_12m IS NULL ORDER BY c.clv_12m DESC) AS cd
				  FROM @extschema@.customer_360 c WHERE c.tenant_id = v_tenant) x
	), upsert AS (
		INSERT INTO @extschema@.customer_tiers AS t (tenant_id, customer_id, tier, clv_12m, assigned_at)
		SELECT v_tenant, r.customer_id, r.tier, r.clv, pg_catalog.now() FROM ranked r
		ON CONFLICT (tenant_id, customer_id) DO UPDATE
			SET tier = excluded.tier, clv_12m = excluded.clv_12m, assigned_at = excluded.assigned_at
			WHERE NOT t.explicit
		RETURNING 1
	)
	UPDATE @extschema@.tier_thresholds s
	   SET a_min_clv = (SELECT pg_catalog.min(r.clv) FROM ranked r WHERE r.tier = 'A'),
		   b_min_clv = (SELECT pg_catalog.min(r.clv) FROM ranked r WHERE r.tier = 'B'),
		   customers = (SELECT pg_catalog.count(r.clv) FROM ranked r),
		   assigned_at = (SELECT pg_catalog.now() FROM (SELECT pg_catalog.count(*) FROM upsert) u)
	 WHERE s.tenant_id = v_tenant
	RETURNING * INTO v_set;
	RETURN v_set;
END
$$;
COMMENT ON FUNCTION @extschema@.refit_tiers() IS
	'Assign the current tenant''s customer tiers from 12-month CLV (customer_360.clv_12m): the top tier_thresholds.a_share of the customers with a CLV are A, the next b_share B, the rest and those without a CLV C; explicit tiers stay. New backorders and reservations use the tiers at once, the queue as it stands after crmscm.rebalance()';

CREATE OR REPLACE FUNCTION @extschema@.set_customer_tier(p_customer_id bigint, p_tier text)
RETURNS @extschema@.customer_tiers
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_tenant bigint := @extschema@.current_tenant();
	v_row @extschema@.customer_tiers;
BEGIN
	IF p_customer_id IS NULL THEN
		RAISE EXCEPTION 'customer_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF p_tier IS NOT NULL AND p_tier NOT IN ('A', 'B', 'C') THEN
		RAISE EXCEPTION 'tier must be A, B or C, got "%"', p_tier USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.customers c WHERE c.tenant_id = v_tenant AND c.customer_id = p_customer_id) THEN
		RAISE EXCEPTION 'customer % does not exist', p_customer_id USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF p_tier IS NULL THEN
		-- back to the CLV-derived tier (from the next crmscm.refit_tiers())
		UPDATE @extschema@.customer_tiers t SET explicit = false
		 WHERE t.tenant_id = v_tenant AND t.customer_id = p_customer_id
		RETURNING * INTO v_row;
		RETURN v_row;
	END IF;
	INSERT INTO @extschema@.customer_tiers AS t (tenant_id, customer_id, tier, explicit, clv_12m, assigned_at)
	VALUES (v_tenant, p_customer_id, p_tier, true, NULL, pg_catalog.now())
	ON CONFLICT (tenant_id, customer_id) DO UPDATE
		SET tier = excluded.tier, explicit = true, assigned_at = excluded.assigned_at
	RETURNING * INTO v_row;
	RETURN v_row;
END
$$;
COMMENT ON FUNCTION @extschema@.set_customer_tier(bigint, text) IS
	'Set a customer''s tier by hand (A, B or C; kept by crmscm.refit_tiers()), or NULL: derive it from CLV again at the next crmscm.refit_tiers()';
