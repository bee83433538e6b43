-- Train and store the lead model of the current tenant (doc/lead_scoring.md).
-- With the caller's rights (admins may write lead_models; row-level
-- security keeps them to their tenant): on Citus a SECURITY DEFINER
-- function's queries run as its owner, and Citus refuses queries of the
-- caller on shards the owner changed in the same transaction, or the other
-- way round (25001; doc/citus.md).

CREATE OR REPLACE FUNCTION @extschema@.lead_model_train(name text, feature_names text[] DEFAULT NULL,
		l2 float8 DEFAULT 0) RETURNS bigint
	LANGUAGE plpgsql VOLATILE SECURITY INVOKER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t constant bigint := @extschema@.current_tenant();
	m @extschema@.lead_model;
	id bigint;
BEGIN
	IF lead_model_train.name IS NULL OR lead_model_train.l2 IS NULL THEN
		RAISE EXCEPTION 'lead_model_train: name and l2 must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF lead_model_train.l2 = 'NaN'::float8 OR lead_model_train.l2 IN ('Infinity'::float8, '-Infinity'::float8) THEN
		RAISE EXCEPTION 'lead_model_train: l2 must be finite, not %', lead_model_train.l2
			USING ERRCODE = '22003';
	END IF;
	IF NOT (lead_model_train.l2 >= 0 AND lead_model_train.l2 < 'Infinity'::float8) THEN
		RAISE EXCEPTION 'lead_model_train: l2 must be a finite number >= 0, not %', lead_model_train.l2
			USING ERRCODE = '22023';
	END IF;
	SELECT @extschema@.lead_model_fit(l.stage OPERATOR(pg_catalog.=) 'won', l.features, lead_model_train.l2)
	  INTO m
	  FROM @extschema@.leads l
	 WHERE l.tenant_id OPERATOR(pg_catalog.=) t
	   AND l.stage OPERATOR(pg_catalog.=) ANY (ARRAY['won', 'lost'])
	   AND l.features IS NOT NULL;
	IF m IS NULL THEN
		RAISE EXCEPTION 'lead_model_train: tenant % has no won or lost leads with features', t
			USING ERRCODE = '22023';
	END IF;
	UPDATE @extschema@.lead_models SET active = false
	 WHERE tenant_id OPERATOR(pg_catalog.=) t AND active;
	INSERT INTO @extschema@.lead_models (tenant_id, name, model, feature_names, active)
	VALUES (t, lead_model_train.name, m, lead_model_train.feature_names, true)
	RETURNING model_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.lead_model_train(text, text[], float8) IS
	'Fit a model on the current tenant''s won/lost leads, store it in lead_models as the active model, return its id; a NULL name or l2 is an error (22004), a NaN or infinite l2 22003, a NULL feature_names stores the model without feature names';
