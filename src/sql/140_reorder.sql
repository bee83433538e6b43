-- Reorder points (doc/reorder.md): normal distribution and loss functions, safety
-- stock, reorder points, EOQ, forecasts and demand classification.
-- The math is in src/core/reorder.c, the SQL face in src/reorder.c.

-- ---- standard normal distribution ----

CREATE OR REPLACE FUNCTION @extschema@.normal_cdf(z float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_normal_cdf$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_cdf(float8) IS
	'Standard normal distribution function Phi(z), full relative accuracy in the lower tail';

CREATE OR REPLACE FUNCTION @extschema@.normal_quantile(p float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_normal_quantile$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_quantile(float8) IS
	'Standard normal quantile Phi^-1(p) to full double precision (AS241 + one Halley step) for 0 < p < 1; p = 0 or 1 (-Infinity / Infinity) is an error (22003)';

CREATE OR REPLACE FUNCTION @extschema@.normal_loss(z float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_normal_loss$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_loss(float8) IS
	'First-order standard normal loss L(z) = E[(Z - z)+] = phi(z) - z (1 - Phi(z)), accurate in the far tail';

CREATE OR REPLACE FUNCTION @extschema@.normal_loss2(z float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_normal_loss2$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_loss2(float8) IS
	'Second-order standard normal loss L2(z) = ((z^2 + 1)(1 - Phi(z)) - z phi(z)) / 2, accurate in the far tail';

-- ---- safety stock and reorder points ----

CREATE OR REPLACE FUNCTION @extschema@.safety_stock(service_level float8, demand_mean float8,
		demand_sd float8, lead_time float8, lead_time_sd float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_safety_stock$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.safety_stock(float8, float8, float8, float8, float8) IS
	'z * sqrt(L * sd_d^2 + d^2 * sd_L^2), z the quantile of the cycle service level; demand per period, lead time in periods';

CREATE OR REPLACE FUNCTION @extschema@.reorder_point(service_level float8, demand_mean float8,
		demand_sd float8, lead_time float8, lead_time_sd float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_reorder_point$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.reorder_point(float8, float8, float8, float8, float8) IS
	'Reorder point d * L + safety_stock(...): order when the inventory position falls to it';

CREATE OR REPLACE FUNCTION @extschema@.safety_stock_fill_rate(fill_rate float8, order_qty float8,
		demand_mean float8, demand_sd float8, lead_time float8, lead_time_sd float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_safety_stock_fill_rate$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.safety_stock_fill_rate(float8, float8, float8, float8, float8, float8) IS
	'Safety stock z * sigma_LT for a fill rate: z solves sigma_LT * L(z) = (1 - fill_rate) * order_qty; negative when the order quantity alone meets the fill rate';

-- ---- economic order quantities ----

CREATE OR REPLACE FUNCTION @extschema@.eoq(annual_demand float8, order_cost float8, holding_cost float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_eoq$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.eoq(float8, float8, float8) IS
	'Economic order quantity sqrt(2 K D / h): D annual demand, K cost per order, h holding cost per unit and year';

CREATE OR REPLACE FUNCTION @extschema@.eoq_cost(annual_demand float8, order_cost float8, holding_cost float8)
	RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_eoq_cost$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.eoq_cost(float8, float8, float8) IS
	'Annual ordering plus holding cost at the EOQ, sqrt(2 K D h)';

CREATE OR REPLACE FUNCTION @extschema@.eoq_backorder(annual_demand float8, order_cost float8,
		holding_cost float8, backorder_cost float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_eoq_backorder$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.eoq_backorder(float8, float8, float8, float8) IS
	'EOQ with planned backorders: sqrt(2 K D (h + p) / (h p)), p the backorder cost per unit and year';

CREATE OR REPLACE FUNCTION @extschema@.eoq_production(annual_demand float8, order_cost float8,
		holding_cost float8, production_rate float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_eoq_production$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.eoq_production(float8, float8, float8, float8) IS
	'Economic production quantity sqrt(2 K D / (h (1 - D / P))), P the annual production rate (> D)';

-- ---- forecasts on arrays ----

CREATE OR REPLACE FUNCTION @extschema@.forecast_intermittent(series float8[], method text,
		alpha float8 DEFAULT 0.1) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_forecast_intermittent$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.forecast_intermittent(float8[], text, float8) IS
	'Demand per period by croston, sba or tsb with one smoothing parameter for both parts (as R forecast::croston); 0 for an all-zero series';

CREATE OR REPLACE FUNCTION @extschema@.forecast_intermittent(series float8[], method text,
		alpha float8, beta float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_forecast_intermittent$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.forecast_intermittent(float8[], text, float8, float8) IS
	'Demand per period: croston/sba smooth sizes with alpha and intervals with beta (sba x (1 - beta/2)); tsb smooths sizes with alpha and the demand probability with beta (statsforecast)';

CREATE OR REPLACE FUNCTION @extschema@.forecast_ses(series float8[], alpha float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_forecast_ses$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.forecast_ses(float8[], float8) IS
	'Simple exponential smoothing, level started at the first value (statsforecast, R ses initial="simple"): one-step forecast';

CREATE OR REPLACE FUNCTION @extschema@.forecast_holt(series float8[], alpha float8, beta float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_forecast_holt$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.forecast_holt(float8[], float8, float8) IS
	'Holt''s linear trend as R HoltWinters(gamma = FALSE): level y2, trend y2 - y1; one-step forecast';

-- ---- demand classification ----

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'demand_profile' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
		CREATE TYPE @extschema@.demand_profile AS (
			periods int,
			demand_periods int,
			total float8,
			mean float8,
			sd float8,
			adi float8,
			cv2 float8,
			demand_class text,
			method text,
			forecast float8
		);
	END IF;
END $guard$;
COMMENT ON TYPE @extschema@.demand_profile IS
	'A demand series summarised: length, periods with demand, total, mean, sample sd, ADI, CV^2, Syntetos-Boylan class, the method it picks and its forecast per period';

CREATE OR REPLACE FUNCTION @extschema@.demand_class(series float8[], alpha float8 DEFAULT 0.1)
	RETURNS @extschema@.demand_profile
	AS 'MODULE_PATHNAME', $$crmscm_demand_class$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.demand_class(float8[], float8) IS
	'ADI = periods / demand periods, CV^2 of the non-zero sizes (both NULL without demand); smooth (ADI < 1.32, CV^2 < 0.49: ses), erratic, intermittent, lumpy (sba), no demand (forecast 0)';

-- ---- aggregates over (day, qty): missing days count as zero ----

CREATE OR REPLACE FUNCTION @extschema@.demand_accum(internal, day date, qty float8, end_day date)
	RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_accum$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_accum(internal, day date, qty float8, start_day date, end_day date)
	RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_accum_window$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_accum(internal, day date, qty float8, start_day date, end_day date, alpha float8)
	RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_accum_window$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_accum(internal, day date, qty float8, end_day date, alpha float8)
	RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_accum_smooth$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_accum(internal, day date, qty float8, end_day date, alpha float8, beta float8)
	RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_accum_smooth$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_accum(internal, day date, qty float8, end_day date, method text, alpha float8)
	RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_accum_intermittent$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_accum(internal, day date, qty float8, end_day date, method text, alpha float8, beta float8)
	RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_accum_intermittent$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_combine$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_demand_serialize$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', $$crmscm_demand_deserialize$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_series_final(internal) RETURNS float8[]
	AS 'MODULE_PATHNAME', $$crmscm_demand_series_final$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_forecast_final(internal) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_demand_forecast_final$$ LANGUAGE C PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.demand_profile_final(internal) RETURNS @extschema@.demand_profile
	AS 'MODULE_PATHNAME', $$crmscm_demand_profile_final$$ LANGUAGE C PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.demand_accum(internal, date, float8, date) IS 'Transition function of the daily demand aggregates';
COMMENT ON FUNCTION @extschema@.demand_accum(internal, date, float8, date, date) IS 'Transition function of the daily demand aggregates (window)';
COMMENT ON FUNCTION @extschema@.demand_accum(internal, date, float8, date, date, float8) IS 'Transition function of the daily demand aggregates (window, alpha)';
COMMENT ON FUNCTION @extschema@.demand_accum(internal, date, float8, date, float8) IS 'Transition function of forecast_ses over (day, qty)';
COMMENT ON FUNCTION @extschema@.demand_accum(internal, date, float8, date, float8, float8) IS 'Transition function of forecast_holt over (day, qty)';
COMMENT ON FUNCTION @extschema@.demand_accum(internal, date, float8, date, text, float8) IS 'Transition function of forecast_intermittent over (day, qty)';
COMMENT ON FUNCTION @extschema@.demand_accum(internal, date, float8, date, text, float8, float8) IS 'Transition function of forecast_intermittent over (day, qty)';
COMMENT ON FUNCTION @extschema@.demand_combine(internal, internal) IS 'Combine function of the daily demand aggregates (parallel query)';
COMMENT ON FUNCTION @extschema@.demand_serialize(internal) IS 'Serialize a daily demand aggregate state';
COMMENT ON FUNCTION @extschema@.demand_deserialize(bytea, internal) IS 'Deserialize a daily demand aggregate state';
COMMENT ON FUNCTION @extschema@.demand_series_final(internal) IS 'Final function: the daily series';
COMMENT ON FUNCTION @extschema@.demand_forecast_final(internal) IS 'Final function: the forecast';
COMMENT ON FUNCTION @extschema@.demand_profile_final(internal) IS 'Final function: the demand profile';

CREATE OR REPLACE AGGREGATE @extschema@.daily_series(day date, qty float8, end_day date) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_series_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.daily_series(date, float8, date) IS
	'Daily totals from the first day with a row to end_day, missing days 0 (rows after end_day ignored)';

CREATE OR REPLACE AGGREGATE @extschema@.daily_series(day date, qty float8, start_day date, end_day date) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_series_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.daily_series(date, float8, date, date) IS
	'Daily totals for every day from start_day to end_day, missing days 0 (rows outside ignored)';

CREATE OR REPLACE AGGREGATE @extschema@.forecast_ses(day date, qty float8, end_day date, alpha float8) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_forecast_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.forecast_ses(date, float8, date, float8) IS
	'forecast_ses over the daily series from the first day with a row to end_day (missing days 0)';

CREATE OR REPLACE AGGREGATE @extschema@.forecast_holt(day date, qty float8, end_day date, alpha float8, beta float8) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_forecast_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.forecast_holt(date, float8, date, float8, float8) IS
	'forecast_holt over the daily series from the first day with a row to end_day (missing days 0)';

CREATE OR REPLACE AGGREGATE @extschema@.forecast_intermittent(day date, qty float8, end_day date, method text, alpha float8) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_forecast_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.forecast_intermittent(date, float8, date, text, float8) IS
	'forecast_intermittent(series, method, alpha) over the daily series from the first day with a row to end_day (missing days 0)';

CREATE OR REPLACE AGGREGATE @extschema@.forecast_intermittent(day date, qty float8, end_day date, method text, alpha float8, beta float8) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_forecast_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.forecast_intermittent(date, float8, date, text, float8, float8) IS
	'forecast_intermittent(series, method, alpha, beta) over the daily series from the first day with a row to end_day (missing days 0)';

CREATE OR REPLACE AGGREGATE @extschema@.demand_class(day date, qty float8, end_day date) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_profile_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.demand_class(date, float8, date) IS
	'demand_class of the daily series from the first day with a row to end_day (missing days 0)';

CREATE OR REPLACE AGGREGATE @extschema@.demand_class(day date, qty float8, start_day date, end_day date) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_profile_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.demand_class(date, float8, date, date) IS
	'demand_class of the daily series from start_day to end_day (missing days 0), forecast with alpha 0.1';

CREATE OR REPLACE AGGREGATE @extschema@.demand_class(day date, qty float8, start_day date, end_day date, alpha float8) (
	SFUNC = @extschema@.demand_accum, STYPE = internal,
	FINALFUNC = @extschema@.demand_profile_final,
	COMBINEFUNC = @extschema@.demand_combine,
	SERIALFUNC = @extschema@.demand_serialize, DESERIALFUNC = @extschema@.demand_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.demand_class(date, float8, date, date, float8) IS
	'demand_class of the daily series from start_day to end_day (missing days 0), forecast with the given alpha';
