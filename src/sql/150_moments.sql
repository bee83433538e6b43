-- Weighted running moments and weighted quantiles (issue #18,
-- doc/replenishment.md; the math in src/core/moments.c).  Internal helpers
-- of the supplier statistics: a moments state is float8[5]
-- {n, sum w, sum w^2, mean, M2}.  Pure arithmetic (IMMUTABLE, no table).

CREATE OR REPLACE FUNCTION @extschema@._wm_add(state float8[], x float8, w float8) RETURNS float8[]
	AS 'MODULE_PATHNAME', $$crmscm_wm_add$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._wm_add(float8[], float8, float8) IS
	'Internal: moments state plus value x with weight w > 0 (West 1979); a NULL x or w is skipped';

CREATE OR REPLACE FUNCTION @extschema@._wm_merge(a float8[], b float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', $$crmscm_wm_merge$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._wm_merge(float8[], float8[]) IS
	'Internal: the moments of two samples together (Chan, Golub & LeVeque); NULL is the empty sample';

CREATE OR REPLACE FUNCTION @extschema@._wm_sd(state float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_wm_sd$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._wm_sd(float8[]) IS
	'Internal: unbiased weighted standard deviation sqrt(M2 / (W - sum w^2 / W)) (reliability weights); NULL below two effective observations';

CREATE OR REPLACE FUNCTION @extschema@._wm_neff(state float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_wm_neff$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._wm_neff(float8[]) IS
	'Internal: effective number of observations (sum w)^2 / sum w^2 (Kish)';

CREATE OR REPLACE FUNCTION @extschema@._shrink(n float8, x float8, k float8, prior float8) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_shrink$$ LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._shrink(float8, float8, float8, float8) IS
	'Internal: (n x + k prior) / (n + k); the prior when n is 0 or NULL or x is NULL';

CREATE OR REPLACE AGGREGATE @extschema@._wm(x float8, w float8) (
	SFUNC = @extschema@._wm_add, STYPE = float8[], INITCOND = '{0,0,0,0,0}',
	COMBINEFUNC = @extschema@._wm_merge, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@._wm(float8, float8) IS
	'Internal: weighted moments state of the rows (NULL x or w skipped)';

CREATE OR REPLACE AGGREGATE @extschema@._wm_pool(state float8[]) (
	SFUNC = @extschema@._wm_merge, STYPE = float8[], INITCOND = '{0,0,0,0,0}',
	COMBINEFUNC = @extschema@._wm_merge, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@._wm_pool(float8[]) IS
	'Internal: the moments of the union of the samples of the rows'' states';

CREATE OR REPLACE FUNCTION @extschema@._weighted_quantiles(vals float8[], weights float8[], q float8[])
	RETURNS float8[]
	AS 'MODULE_PATHNAME', $$crmscm_weighted_quantiles$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._weighted_quantiles(float8[], float8[], float8[]) IS
	'Internal: for each probability q, the smallest value whose cumulative weight reaches q times the total (inverted CDF; R quantile type 1 with equal weights); NULL pairs skipped, NULLs without values';
