-- Customer lifetime: RFM summaries, BG/NBD, Gamma-Gamma and CLV (doc/lifetime.md).
-- Math in src/core/lifetime.c, SQL face in src/lifetime.c.

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'rfm' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
		CREATE TYPE @extschema@.rfm AS (
			frequency int,
			recency float8,
			t float8,
			monetary float8
		);
	END IF;
END $guard$;
COMMENT ON TYPE @extschema@.rfm IS
	'RFM summary of one customer in days: repeat purchase days, last - first purchase day, as_of - first purchase day, mean spend of the repeat days';

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'bgnbd' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
		CREATE TYPE @extschema@.bgnbd AS (
			r float8,
			alpha float8,
			a float8,
			b float8,
			log_likelihood float8,
			n bigint,
			converged boolean
		);
	END IF;
END $guard$;
COMMENT ON TYPE @extschema@.bgnbd IS
	'BG/NBD model (Fader, Hardie & Lee 2005): purchase rate ~ Gamma(r, alpha), dropout probability ~ Beta(a, b); alpha in the time unit of the fit';

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'gamma_gamma' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
		CREATE TYPE @extschema@.gamma_gamma AS (
			p float8,
			q float8,
			v float8,
			log_likelihood float8,
			n bigint,
			converged boolean
		);
	END IF;
END $guard$;
COMMENT ON TYPE @extschema@.gamma_gamma IS
	'Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Hardie note 025): spend per transaction ~ Gamma(p, nu), nu ~ Gamma(q, v)';

-- issue #13: a model never holds NaN or Infinity (22003); whether the
-- parameters are positive is checked where the model is used (22023)
CREATE OR REPLACE FUNCTION @extschema@.bgnbd_model(r float8, alpha float8, a float8, b float8)
	RETURNS @extschema@.bgnbd
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (r > '-Infinity' AND r < 'Infinity' AND alpha > '-Infinity' AND alpha < 'Infinity'
	        AND a > '-Infinity' AND a < 'Infinity' AND b > '-Infinity' AND b < 'Infinity') THEN
		RAISE EXCEPTION 'bgnbd_model: parameters must be finite: r %, alpha %, a %, b %', r, alpha, a, b
			USING ERRCODE = '22003';
	END IF;
	RETURN ROW(r, alpha, a, b, NULL, NULL, NULL)::@extschema@.bgnbd;
END
$$;
COMMENT ON FUNCTION @extschema@.bgnbd_model(float8, float8, float8, float8) IS
	'A BG/NBD model from known parameters (log_likelihood, n and converged NULL); NaN or infinite parameters are an error (22003)';

CREATE OR REPLACE FUNCTION @extschema@.gamma_gamma_model(p float8, q float8, v float8)
	RETURNS @extschema@.gamma_gamma
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (p > '-Infinity' AND p < 'Infinity' AND q > '-Infinity' AND q < 'Infinity'
	        AND v > '-Infinity' AND v < 'Infinity') THEN
		RAISE EXCEPTION 'gamma_gamma_model: parameters must be finite: p %, q %, v %', p, q, v
			USING ERRCODE = '22003';
	END IF;
	RETURN ROW(p, q, v, NULL, NULL, NULL)::@extschema@.gamma_gamma;
END
$$;
COMMENT ON FUNCTION @extschema@.gamma_gamma_model(float8, float8, float8) IS
	'A Gamma-Gamma model from known parameters (log_likelihood, n and converged NULL); NaN or infinite parameters are an error (22003)';

-- rfm_summary(ordered_at, amount, as_of) ------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.rfm_summary_trans(internal, date, float8, date) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_rfm_trans$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.rfm_summary_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_rfm_combine$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.rfm_summary_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_rfm_serialize$$ LANGUAGE C STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.rfm_summary_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_rfm_deserialize$$ LANGUAGE C STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.rfm_summary_final(internal) RETURNS @extschema@.rfm
	AS 'MODULE_PATHNAME', $$crmscm_rfm_final$$ LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(internal, date, float8, date) IS 'Transition function of rfm_summary';
COMMENT ON FUNCTION @extschema@.rfm_summary_combine(internal, internal) IS 'Combine function of rfm_summary (parallel aggregation)';
COMMENT ON FUNCTION @extschema@.rfm_summary_serialize(internal) IS 'Serialization function of rfm_summary';
COMMENT ON FUNCTION @extschema@.rfm_summary_deserialize(bytea, internal) IS 'Deserialization function of rfm_summary';
COMMENT ON FUNCTION @extschema@.rfm_summary_final(internal) IS 'Final function of rfm_summary';

CREATE OR REPLACE AGGREGATE @extschema@.rfm_summary(ordered_at date, amount float8, as_of date) (
	SFUNC = @extschema@.rfm_summary_trans,
	STYPE = internal,
	FINALFUNC = @extschema@.rfm_summary_final,
	COMBINEFUNC = @extschema@.rfm_summary_combine,
	SERIALFUNC = @extschema@.rfm_summary_serialize,
	DESERIALFUNC = @extschema@.rfm_summary_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.rfm_summary(date, float8, date) IS
	'RFM summary in days as the lifetimes library: same-day purchases merged; frequency = purchase days - 1, recency = last - first day, t = as_of - first day, monetary = mean of the repeat days'' totals (0 when frequency is 0); purchases after as_of ignored; NULL without purchases';

-- bgnbd_fit(frequency, recency, t) ------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.bgnbd_fit_trans(internal, float8, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_bgnbd_fit_trans$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lifetime_patterns_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lt_combine$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lifetime_patterns_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_lt_serialize$$ LANGUAGE C STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lifetime_patterns_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lt_deserialize$$ LANGUAGE C STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.bgnbd_fit_final(internal) RETURNS @extschema@.bgnbd
	AS 'MODULE_PATHNAME', $$crmscm_bgnbd_fit_final$$ LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_trans(internal, float8, float8, float8) IS 'Transition function of bgnbd_fit';
COMMENT ON FUNCTION @extschema@.lifetime_patterns_combine(internal, internal) IS 'Combine function of bgnbd_fit and gamma_gamma_fit (parallel aggregation)';
COMMENT ON FUNCTION @extschema@.lifetime_patterns_serialize(internal) IS 'Serialization function of bgnbd_fit and gamma_gamma_fit';
COMMENT ON FUNCTION @extschema@.lifetime_patterns_deserialize(bytea, internal) IS 'Deserialization function of bgnbd_fit and gamma_gamma_fit';
COMMENT ON FUNCTION @extschema@.bgnbd_fit_final(internal) IS 'Final function of bgnbd_fit: maximum likelihood';

CREATE OR REPLACE AGGREGATE @extschema@.bgnbd_fit(frequency float8, recency float8, t float8) (
	SFUNC = @extschema@.bgnbd_fit_trans,
	STYPE = internal,
	FINALFUNC = @extschema@.bgnbd_fit_final,
	COMBINEFUNC = @extschema@.lifetime_patterns_combine,
	SERIALFUNC = @extschema@.lifetime_patterns_serialize,
	DESERIALFUNC = @extschema@.lifetime_patterns_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(float8, float8, float8) IS
	'Maximum likelihood BG/NBD model (L-BFGS on log-parameters, analytic gradient); identical (frequency, recency, t) are fitted once with a weight; converged = false when there is no interior maximum (e.g. no repeat purchase); rows with a NULL are skipped; empty input is an error';

-- gamma_gamma_fit(frequency, monetary) ---------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.gamma_gamma_fit_trans(internal, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_gamma_gamma_fit_trans$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.gamma_gamma_fit_final(internal) RETURNS @extschema@.gamma_gamma
	AS 'MODULE_PATHNAME', $$crmscm_gamma_gamma_fit_final$$ LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_trans(internal, float8, float8) IS 'Transition function of gamma_gamma_fit';
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_final(internal) IS 'Final function of gamma_gamma_fit: maximum likelihood';

CREATE OR REPLACE AGGREGATE @extschema@.gamma_gamma_fit(frequency float8, monetary float8) (
	SFUNC = @extschema@.gamma_gamma_fit_trans,
	STYPE = internal,
	FINALFUNC = @extschema@.gamma_gamma_fit_final,
	COMBINEFUNC = @extschema@.lifetime_patterns_combine,
	SERIALFUNC = @extschema@.lifetime_patterns_serialize,
	DESERIALFUNC = @extschema@.lifetime_patterns_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(float8, float8) IS
	'Maximum likelihood Gamma-Gamma spend model over customers with frequency > 0 (others are skipped); monetary = mean spend of the repeat purchases';

-- predictions ----------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.bgnbd_p_alive(model @extschema@.bgnbd, frequency float8, recency float8, t float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_bgnbd_p_alive$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_p_alive(@extschema@.bgnbd, float8, float8, float8) IS
	'Probability that a customer with (frequency, recency, t) is still active (1 when frequency is 0)';

CREATE OR REPLACE FUNCTION @extschema@.bgnbd_expected(model @extschema@.bgnbd, horizon float8, frequency float8, recency float8, t float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_bgnbd_expected$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_expected(@extschema@.bgnbd, float8, float8, float8, float8) IS
	'Expected purchases in the next horizon of a customer with (frequency, recency, t), FHL 2005 eq. 10; finite for all parameters';

CREATE OR REPLACE FUNCTION @extschema@.bgnbd_expected_new(model @extschema@.bgnbd, horizon float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_bgnbd_expected_new$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_expected_new(@extschema@.bgnbd, float8) IS
	'Expected repeat purchases of a new customer in horizon, FHL 2005 eq. 9';

CREATE OR REPLACE FUNCTION @extschema@.bgnbd_prob_n(model @extschema@.bgnbd, n int, horizon float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_bgnbd_prob_n$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_prob_n(@extschema@.bgnbd, int, float8) IS
	'Probability that a new customer makes exactly n repeat purchases in horizon, FHL 2005 eq. 8';

CREATE OR REPLACE FUNCTION @extschema@.gamma_gamma_expected(model @extschema@.gamma_gamma, frequency float8, monetary float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_gamma_gamma_expected$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_expected(@extschema@.gamma_gamma, float8, float8) IS
	'Expected spend per transaction: p (v + frequency * monetary) / (p * frequency + q - 1)';

CREATE OR REPLACE FUNCTION @extschema@.clv(bgnbd @extschema@.bgnbd, gamma_gamma @extschema@.gamma_gamma,
		frequency float8, recency float8, t float8, monetary float8,
		months int, monthly_discount float8, units_per_month float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_clv$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gamma_gamma, float8, float8, float8, float8, int, float8, float8) IS
	'Customer lifetime value: sum over months i of expected spend * (E[purchases by i months] - E[purchases by i-1 months]) / (1 + monthly_discount)^i; units_per_month = model time units per month (4.345 for weeks, 30 for days)';

-- lifecycle stage -------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.lifetime_stage(purchase_days int, last_order_day date, orders_placed int,
		as_of date, at_risk_days int DEFAULT @extschema@._at_risk_days(NULL), churn_days int DEFAULT @extschema@._churn_days(NULL),
		p_alive float8 DEFAULT NULL)
	RETURNS text
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- counts and day thresholds are never negative (the columns they come
	-- from have CHECKs), a probability is in [0, 1]
	IF purchase_days < 0 OR orders_placed < 0 OR at_risk_days < 0 OR churn_days < 0 THEN
		RAISE EXCEPTION 'lifetime_stage: purchase_days %, orders_placed %, at_risk_days % and churn_days % must not be negative',
			purchase_days, orders_placed, at_risk_days, churn_days USING ERRCODE = '22023';
	END IF;
	IF p_alive = 'NaN'::float8 OR p_alive IN ('Infinity'::float8, '-Infinity'::float8) THEN
		RAISE EXCEPTION 'lifetime_stage: p_alive must be finite, not %', p_alive USING ERRCODE = '22003';
	END IF;
	IF p_alive < 0 OR p_alive > 1 THEN
		RAISE EXCEPTION 'lifetime_stage: p_alive % is out of range [0, 1]', p_alive USING ERRCODE = '22023';
	END IF;
	RETURN CASE
		WHEN COALESCE(purchase_days, 0) = 0 THEN
			CASE WHEN COALESCE(orders_placed, 0) > 0 THEN 'prospect' ELSE 'lead' END
		WHEN (as_of - last_order_day) > churn_days OR p_alive < 0.1 THEN 'churned'
		WHEN (as_of - last_order_day) > at_risk_days OR p_alive < 0.5 THEN 'at_risk'
		WHEN purchase_days >= 2 THEN 'repeat'
		ELSE 'customer'
	END;
END
$$;
COMMENT ON FUNCTION @extschema@.lifetime_stage(int, date, int, date, int, int, float8) IS
	'Lifecycle stage on as_of, first rule that holds: lead (no order at all), prospect (orders but no purchase), churned (no purchase for more than churn_days, or P(alive) < 0.1), at_risk (more than at_risk_days, or P(alive) < 0.5), repeat (2+ purchase days), customer (1 purchase day); p_alive NULL = rules on days only, NULL purchase_days or orders_placed count as 0, a NULL as_of, last_order_day or threshold skips the rules that need it; negative counts or thresholds and p_alive outside [0, 1] are errors (22023; NaN and infinite p_alive 22003)';
