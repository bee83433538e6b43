-- Lead scoring: predictive model, AUC, naive Bayes, engagement decay.  doc/lead_scoring.md.
-- C: src/lead_model.c, lead_fit.c, auc.c, naive_bayes.c, engagement.c (SQL
-- face) and the files of the same names in src/core (math).

-- crmscm.lead_model: a fitted logistic regression.  Text form is a JSON
-- object (keys in fixed order) that round-trips exactly.
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'lead_model' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace) THEN
		CREATE TYPE @extschema@.lead_model;
	END IF;
END $guard$;

CREATE OR REPLACE FUNCTION @extschema@.lead_model_in(cstring) RETURNS @extschema@.lead_model
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_in$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_out(@extschema@.lead_model) RETURNS cstring
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_out$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_recv(internal) RETURNS @extschema@.lead_model
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_recv$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_send(@extschema@.lead_model) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_send$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'lead_model' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
		CREATE TYPE @extschema@.lead_model (
			INPUT = @extschema@.lead_model_in,
			OUTPUT = @extschema@.lead_model_out,
			RECEIVE = @extschema@.lead_model_recv,
			SEND = @extschema@.lead_model_send,
			INTERNALLENGTH = VARIABLE,
			ALIGNMENT = double,
			STORAGE = extended
		);
	END IF;
END $guard$;
COMMENT ON TYPE @extschema@.lead_model IS
	'Fitted logistic regression lead model (crmscm.lead_model_fit); text form is a JSON object that round-trips exactly';

COMMENT ON FUNCTION @extschema@.lead_model_in(cstring) IS 'Input function of crmscm.lead_model (strict JSON form)';
COMMENT ON FUNCTION @extschema@.lead_model_out(@extschema@.lead_model) IS 'Output function of crmscm.lead_model';
COMMENT ON FUNCTION @extschema@.lead_model_recv(internal) IS 'Binary input function of crmscm.lead_model';
COMMENT ON FUNCTION @extschema@.lead_model_send(@extschema@.lead_model) IS 'Binary output function of crmscm.lead_model';

-- The fit aggregate: buffers rows, Newton/IRLS in the final function.
CREATE OR REPLACE FUNCTION @extschema@.lead_model_fit_trans(internal, boolean, float8[]) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_fit_trans$$
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_fit_trans(internal, boolean, float8[], float8) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_fit_trans_l2$$
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_fit_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_fit_combine$$
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_fit_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_fit_serial$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_fit_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_fit_deserial$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_fit_final(internal) RETURNS @extschema@.lead_model
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_fit_final$$
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.lead_model_fit_trans(internal, boolean, float8[]) IS 'Transition function of lead_model_fit: buffers the row';
COMMENT ON FUNCTION @extschema@.lead_model_fit_trans(internal, boolean, float8[], float8) IS 'Transition function of lead_model_fit with l2: buffers the row';
COMMENT ON FUNCTION @extschema@.lead_model_fit_combine(internal, internal) IS 'Combine function of lead_model_fit: concatenates partial states';
COMMENT ON FUNCTION @extschema@.lead_model_fit_serial(internal) IS 'Serialisation function of lead_model_fit';
COMMENT ON FUNCTION @extschema@.lead_model_fit_deserial(bytea, internal) IS 'Deserialisation function of lead_model_fit';
COMMENT ON FUNCTION @extschema@.lead_model_fit_final(internal) IS 'Final function of lead_model_fit: Newton/IRLS over the buffered rows';

CREATE OR REPLACE AGGREGATE @extschema@.lead_model_fit(converted boolean, features float8[]) (
	SFUNC = @extschema@.lead_model_fit_trans,
	STYPE = internal,
	FINALFUNC = @extschema@.lead_model_fit_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.lead_model_fit_combine,
	SERIALFUNC = @extschema@.lead_model_fit_serial,
	DESERIALFUNC = @extschema@.lead_model_fit_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.lead_model_fit(boolean, float8[]) IS
	'Logistic regression (maximum likelihood, IRLS/Newton, intercept added) of converted on features';

CREATE OR REPLACE AGGREGATE @extschema@.lead_model_fit(converted boolean, features float8[], l2 float8) (
	SFUNC = @extschema@.lead_model_fit_trans,
	STYPE = internal,
	FINALFUNC = @extschema@.lead_model_fit_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.lead_model_fit_combine,
	SERIALFUNC = @extschema@.lead_model_fit_serial,
	DESERIALFUNC = @extschema@.lead_model_fit_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.lead_model_fit(boolean, float8[], float8) IS
	'Logistic regression with an L2 penalty 0.5*l2*sum(coef^2) on the features (not the intercept); l2 = 1/C of scikit-learn';

-- Scoring and explanations
CREATE OR REPLACE FUNCTION @extschema@.lead_score(model @extschema@.lead_model, features float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_lead_score$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.lead_score(@extschema@.lead_model, float8[]) IS
	'Probability in [0, 1] that a lead with these features converts';

CREATE OR REPLACE FUNCTION @extschema@.lead_score_explain(model @extschema@.lead_model, features float8[],
		OUT feature int, OUT value float8, OUT coef float8, OUT contribution float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', $$crmscm_lead_score_explain$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION @extschema@.lead_score_explain(@extschema@.lead_model, float8[]) IS
	'Each feature''s contribution coef*value to the log-odds, largest absolute first (log-odds = intercept + sum)';

CREATE OR REPLACE FUNCTION @extschema@.lead_model_summary(model @extschema@.lead_model,
		OUT feature int, OUT coef float8, OUT std_err float8, OUT z float8,
		OUT p_value float8, OUT odds_ratio float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_summary$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION @extschema@.lead_model_summary(@extschema@.lead_model) IS
	'Per coefficient (feature 0 = intercept): estimate, standard error, Wald z, two-sided p-value, odds ratio; NULL for dropped features';

CREATE OR REPLACE FUNCTION @extschema@.lead_model_features(@extschema@.lead_model) RETURNS int
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_features$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_rows(@extschema@.lead_model) RETURNS bigint
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_rows$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_positives(@extschema@.lead_model) RETURNS bigint
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_positives$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_l2(@extschema@.lead_model) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_l2$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_log_likelihood(@extschema@.lead_model) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_log_likelihood$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_iterations(@extschema@.lead_model) RETURNS int
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_iterations$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_converged(@extschema@.lead_model) RETURNS boolean
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_converged$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_separation(@extschema@.lead_model) RETURNS boolean
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_separation$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_condition_number(@extschema@.lead_model) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_condition_number$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_coef(@extschema@.lead_model) RETURNS float8[]
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_coef$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_model_std_err(@extschema@.lead_model) RETURNS float8[]
	AS 'MODULE_PATHNAME', $$crmscm_lead_model_std_err$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.lead_model_features(@extschema@.lead_model) IS 'Number of features (the intercept not counted)';
COMMENT ON FUNCTION @extschema@.lead_model_rows(@extschema@.lead_model) IS 'Rows the model was fitted on';
COMMENT ON FUNCTION @extschema@.lead_model_positives(@extschema@.lead_model) IS 'Converted rows the model was fitted on';
COMMENT ON FUNCTION @extschema@.lead_model_l2(@extschema@.lead_model) IS 'L2 penalty of the fit (0 = maximum likelihood)';
COMMENT ON FUNCTION @extschema@.lead_model_log_likelihood(@extschema@.lead_model) IS 'Log-likelihood at the estimate (without the penalty)';
COMMENT ON FUNCTION @extschema@.lead_model_iterations(@extschema@.lead_model) IS 'Newton iterations taken';
COMMENT ON FUNCTION @extschema@.lead_model_converged(@extschema@.lead_model) IS 'Whether Newton''s method converged';
COMMENT ON FUNCTION @extschema@.lead_model_separation(@extschema@.lead_model) IS 'Whether quasi-separation was detected (fitted probabilities numerically 0 or 1)';
COMMENT ON FUNCTION @extschema@.lead_model_condition_number(@extschema@.lead_model) IS 'Condition number (2-norm) of the Hessian X''WX (+ penalty) at the estimate';
COMMENT ON FUNCTION @extschema@.lead_model_coef(@extschema@.lead_model) IS 'Coefficients, intercept first; NULL for dropped features';
COMMENT ON FUNCTION @extschema@.lead_model_std_err(@extschema@.lead_model) IS 'Standard errors, intercept first; NULL for dropped features';

-- ROC AUC
CREATE OR REPLACE FUNCTION @extschema@.auc_trans(internal, float8, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_auc_trans$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.auc_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_auc_combine$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.auc_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_auc_serial$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.auc_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_auc_deserial$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.auc_final(internal) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_auc_final$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auc_trans(internal, float8, boolean) IS 'Transition function of auc';
COMMENT ON FUNCTION @extschema@.auc_combine(internal, internal) IS 'Combine function of auc';
COMMENT ON FUNCTION @extschema@.auc_serial(internal) IS 'Serialisation function of auc';
COMMENT ON FUNCTION @extschema@.auc_deserial(bytea, internal) IS 'Deserialisation function of auc';
COMMENT ON FUNCTION @extschema@.auc_final(internal) IS 'Final function of auc';

CREATE OR REPLACE AGGREGATE @extschema@.auc(score float8, label boolean) (
	SFUNC = @extschema@.auc_trans,
	STYPE = internal,
	FINALFUNC = @extschema@.auc_final,
	FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = @extschema@.auc_combine,
	SERIALFUNC = @extschema@.auc_serial,
	DESERIALFUNC = @extschema@.auc_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.auc(float8, boolean) IS
	'ROC AUC of score for label, ties counted half (= scikit-learn roc_auc_score); NULL rows skipped, NULL unless both labels occur';

-- Naive Bayes over won/lost frequencies (Odoo's predictive lead scoring)
CREATE OR REPLACE FUNCTION @extschema@.lead_nb_fit_trans(internal, boolean, text[]) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lead_nb_fit_trans$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_nb_fit_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lead_nb_fit_combine$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_nb_fit_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_lead_nb_fit_serial$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_nb_fit_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_lead_nb_fit_deserial$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.lead_nb_fit_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', $$crmscm_lead_nb_fit_final$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.lead_nb_fit_trans(internal, boolean, text[]) IS 'Transition function of lead_nb_fit';
COMMENT ON FUNCTION @extschema@.lead_nb_fit_combine(internal, internal) IS 'Combine function of lead_nb_fit';
COMMENT ON FUNCTION @extschema@.lead_nb_fit_serial(internal) IS 'Serialisation function of lead_nb_fit';
COMMENT ON FUNCTION @extschema@.lead_nb_fit_deserial(bytea, internal) IS 'Deserialisation function of lead_nb_fit';
COMMENT ON FUNCTION @extschema@.lead_nb_fit_final(internal) IS 'Final function of lead_nb_fit: the model as jsonb';

CREATE OR REPLACE AGGREGATE @extschema@.lead_nb_fit(converted boolean, attributes text[]) (
	SFUNC = @extschema@.lead_nb_fit_trans,
	STYPE = internal,
	FINALFUNC = @extschema@.lead_nb_fit_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.lead_nb_fit_combine,
	SERIALFUNC = @extschema@.lead_nb_fit_serial,
	DESERIALFUNC = @extschema@.lead_nb_fit_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.lead_nb_fit(boolean, text[]) IS
	'Naive Bayes model (jsonb) of won/lost counts per attribute value, as Odoo''s predictive lead scoring; NULL values unset';

CREATE OR REPLACE FUNCTION @extschema@.lead_nb_score(model jsonb, attributes text[]) RETURNS float8
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s constant float8 := (model OPERATOR(pg_catalog.->>) 'smoothing')::float8;
	eta float8;
	a jsonb;
	c jsonb;
	v text;
	n int := pg_catalog.jsonb_array_length(model OPERATOR(pg_catalog.->) 'attributes');
BEGIN
	IF pg_catalog.array_ndims(attributes) > 1 THEN
		RAISE EXCEPTION 'lead_nb_score: attributes must be a one-dimensional array'
			USING ERRCODE = '2202E';
	END IF;
	IF COALESCE(pg_catalog.cardinality(attributes), 0) OPERATOR(pg_catalog.<>) n THEN
		RAISE EXCEPTION 'lead_nb_score: % attributes given, the model has %',
			pg_catalog.cardinality(attributes), n USING ERRCODE = '2202E';
	END IF;
	-- priors: log(W + s) - log(L + s)
	eta := pg_catalog.ln((model OPERATOR(pg_catalog.->>) 'won')::float8 OPERATOR(pg_catalog.+) s)
		OPERATOR(pg_catalog.-) pg_catalog.ln((model OPERATOR(pg_catalog.->>) 'lost')::float8 OPERATOR(pg_catalog.+) s);
	FOR i IN 1 .. n LOOP
		-- positional, whatever the array's lower bound (as lead_nb_fit reads it)
		v := attributes[pg_catalog.array_lower(attributes, 1) OPERATOR(pg_catalog.+) i OPERATOR(pg_catalog.-) 1];
		CONTINUE WHEN v IS NULL;
		a := model OPERATOR(pg_catalog.->) 'attributes' OPERATOR(pg_catalog.->) (i OPERATOR(pg_catalog.-) 1);
		c := a OPERATOR(pg_catalog.->) 'values' OPERATOR(pg_catalog.->) v;
		CONTINUE WHEN c IS NULL;		-- unseen value: ignored
		eta := eta
			OPERATOR(pg_catalog.+) pg_catalog.ln(((c OPERATOR(pg_catalog.->>) 0)::float8 OPERATOR(pg_catalog.+) s)
				OPERATOR(pg_catalog./) (a OPERATOR(pg_catalog.->>) 'won_total')::float8)
			OPERATOR(pg_catalog.-) pg_catalog.ln(((c OPERATOR(pg_catalog.->>) 1)::float8 OPERATOR(pg_catalog.+) s)
				OPERATOR(pg_catalog./) (a OPERATOR(pg_catalog.->>) 'lost_total')::float8);
	END LOOP;
	RETURN 1.0::float8 OPERATOR(pg_catalog./) (1.0::float8 OPERATOR(pg_catalog.+) pg_catalog.exp(OPERATOR(pg_catalog.-) eta));
END
$$;
COMMENT ON FUNCTION @extschema@.lead_nb_score(jsonb, text[]) IS
	'Naive Bayes probability of winning: priors x per-value won/lost frequency ratios, counts smoothed by +0.1, unseen or NULL values ignored';

-- Engagement: points that halve every half-life
CREATE OR REPLACE FUNCTION @extschema@.decayed_points(points float8, occurred_at timestamptz, half_life interval,
		as_of timestamptz) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_decayed_points$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decayed_points(float8, timestamptz, interval, timestamptz) IS
	'points * 2^(-(as_of - occurred_at) / half_life); 0 for events after as_of; half_life measured as EXTRACT(epoch)';

CREATE OR REPLACE FUNCTION @extschema@.engagement_score_trans(float8, float8, timestamptz, interval, timestamptz) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_engagement_score_trans$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.engagement_score_trans(float8, float8, timestamptz, interval, timestamptz) IS
	'Transition function of engagement_score';

CREATE OR REPLACE AGGREGATE @extschema@.engagement_score(points float8, occurred_at timestamptz, half_life interval,
		as_of timestamptz) (
	SFUNC = @extschema@.engagement_score_trans,
	STYPE = float8,
	INITCOND = '0',
	COMBINEFUNC = pg_catalog.float8pl,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.engagement_score(float8, timestamptz, interval, timestamptz) IS
	'Sum of decayed_points over events; rows with a NULL argument are skipped; 0 for no events';
