-- crmscm.geopoint: a WGS84 point (latitude, longitude in degrees).  doc/geography.md.

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'geopoint' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace) THEN
		CREATE TYPE @extschema@.geopoint;
	END IF;
END $guard$;

CREATE OR REPLACE FUNCTION @extschema@.geopoint_in(cstring) RETURNS @extschema@.geopoint
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_in$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.geopoint_out(@extschema@.geopoint) RETURNS cstring
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_out$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.geopoint_recv(internal) RETURNS @extschema@.geopoint
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_recv$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.geopoint_send(@extschema@.geopoint) RETURNS bytea
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_send$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typname OPERATOR(pg_catalog.=) 'geopoint' AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace AND t.typisdefined) THEN
		CREATE TYPE @extschema@.geopoint (
			INPUT = @extschema@.geopoint_in,
			OUTPUT = @extschema@.geopoint_out,
			RECEIVE = @extschema@.geopoint_recv,
			SEND = @extschema@.geopoint_send,
			INTERNALLENGTH = 16,
			ALIGNMENT = double,
			STORAGE = plain
		);
	END IF;
END $guard$;

COMMENT ON TYPE @extschema@.geopoint IS
	'WGS84 point: text form (lat,lon); input also lat,lon and WKT POINT(lon lat)';

CREATE OR REPLACE FUNCTION @extschema@.geopoint(lat float8, lon float8) RETURNS @extschema@.geopoint
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_make$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.geopoint(float8, float8) IS
	'Geopoint from latitude [-90, 90] and longitude [-180, 180] in degrees';

CREATE OR REPLACE FUNCTION @extschema@.latitude(@extschema@.geopoint) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_lat$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.latitude(@extschema@.geopoint) IS 'Latitude in degrees';

CREATE OR REPLACE FUNCTION @extschema@.longitude(@extschema@.geopoint) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_lon$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.longitude(@extschema@.geopoint) IS 'Longitude in degrees';

-- Comparison: latitude, then longitude.  Value equality, not geographic
-- identity: (90,0) and (90,10) are different values.
CREATE OR REPLACE FUNCTION @extschema@.geopoint_cmp(@extschema@.geopoint, @extschema@.geopoint) RETURNS int4
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_cmp$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.geopoint_eq(@extschema@.geopoint, @extschema@.geopoint) RETURNS bool
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_eq$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.geopoint_ne(@extschema@.geopoint, @extschema@.geopoint) RETURNS bool
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_ne$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.geopoint_lt(@extschema@.geopoint, @extschema@.geopoint) RETURNS bool
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_lt$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.geopoint_le(@extschema@.geopoint, @extschema@.geopoint) RETURNS bool
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_le$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.geopoint_gt(@extschema@.geopoint, @extschema@.geopoint) RETURNS bool
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_gt$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.geopoint_ge(@extschema@.geopoint, @extschema@.geopoint) RETURNS bool
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_ge$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION @extschema@.geopoint_hash(@extschema@.geopoint) RETURNS int4
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_hash$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION @extschema@.geopoint_hash_extended(@extschema@.geopoint, int8) RETURNS int8
	AS 'MODULE_PATHNAME', $$crmscm_geopoint_hash_extended$$ LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid OPERATOR(pg_catalog.=) pg_catalog.to_regoperator('@extschema@.=(@extschema@.geopoint,@extschema@.geopoint)') AND o.oprcode OPERATOR(pg_catalog.<>) 0) THEN
		CREATE OPERATOR @extschema@.= (
			LEFTARG = @extschema@.geopoint, RIGHTARG = @extschema@.geopoint,
			FUNCTION = @extschema@.geopoint_eq,
			COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
			RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
		);
	END IF;
END $guard$;
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid OPERATOR(pg_catalog.=) pg_catalog.to_regoperator('@extschema@.<>(@extschema@.geopoint,@extschema@.geopoint)') AND o.oprcode OPERATOR(pg_catalog.<>) 0) THEN
		CREATE OPERATOR @extschema@.<> (
			LEFTARG = @extschema@.geopoint, RIGHTARG = @extschema@.geopoint,
			FUNCTION = @extschema@.geopoint_ne,
			COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
			RESTRICT = neqsel, JOIN = neqjoinsel
		);
	END IF;
END $guard$;
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid OPERATOR(pg_catalog.=) pg_catalog.to_regoperator('@extschema@.<(@extschema@.geopoint,@extschema@.geopoint)') AND o.oprcode OPERATOR(pg_catalog.<>) 0) THEN
		CREATE OPERATOR @extschema@.< (
			LEFTARG = @extschema@.geopoint, RIGHTARG = @extschema@.geopoint,
			FUNCTION = @extschema@.geopoint_lt,
			COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
			RESTRICT = scalarltsel, JOIN = scalarltjoinsel
		);
	END IF;
END $guard$;
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid OPERATOR(pg_catalog.=) pg_catalog.to_regoperator('@extschema@.<=(@extschema@.geopoint,@extschema@.geopoint)') AND o.oprcode OPERATOR(pg_catalog.<>) 0) THEN
		CREATE OPERATOR @extschema@.<= (
			LEFTARG = @extschema@.geopoint, RIGHTARG = @extschema@.geopoint,
			FUNCTION = @extschema@.geopoint_le,
			COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
			RESTRICT = scalarlesel, JOIN = scalarlejoinsel
		);
	END IF;
END $guard$;
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid OPERATOR(pg_catalog.=) pg_catalog.to_regoperator('@extschema@.>(@extschema@.geopoint,@extschema@.geopoint)') AND o.oprcode OPERATOR(pg_catalog.<>) 0) THEN
		CREATE OPERATOR @extschema@.> (
			LEFTARG = @extschema@.geopoint, RIGHTARG = @extschema@.geopoint,
			FUNCTION = @extschema@.geopoint_gt,
			COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
			RESTRICT = scalargtsel, JOIN = scalargtjoinsel
		);
	END IF;
END $guard$;
DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid OPERATOR(pg_catalog.=) pg_catalog.to_regoperator('@extschema@.>=(@extschema@.geopoint,@extschema@.geopoint)') AND o.oprcode OPERATOR(pg_catalog.<>) 0) THEN
		CREATE OPERATOR @extschema@.>= (
			LEFTARG = @extschema@.geopoint, RIGHTARG = @extschema@.geopoint,
			FUNCTION = @extschema@.geopoint_ge,
			COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
			RESTRICT = scalargesel, JOIN = scalargejoinsel
		);
	END IF;
END $guard$;

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) c.opcmethod WHERE c.opcname OPERATOR(pg_catalog.=) 'geopoint_ops' AND a.amname OPERATOR(pg_catalog.=) 'btree' AND c.opcnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace) THEN
		CREATE OPERATOR CLASS @extschema@.geopoint_ops
			DEFAULT FOR TYPE @extschema@.geopoint USING btree AS
			OPERATOR 1 @extschema@.<,
			OPERATOR 2 @extschema@.<=,
			OPERATOR 3 @extschema@.=,
			OPERATOR 4 @extschema@.>=,
			OPERATOR 5 @extschema@.>,
			FUNCTION 1 @extschema@.geopoint_cmp(@extschema@.geopoint, @extschema@.geopoint);
	END IF;
END $guard$;

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) c.opcmethod WHERE c.opcname OPERATOR(pg_catalog.=) 'geopoint_hash_ops' AND a.amname OPERATOR(pg_catalog.=) 'hash' AND c.opcnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace) THEN
		CREATE OPERATOR CLASS @extschema@.geopoint_hash_ops
			DEFAULT FOR TYPE @extschema@.geopoint USING hash AS
			OPERATOR 1 @extschema@.=,
			FUNCTION 1 @extschema@.geopoint_hash(@extschema@.geopoint),
			FUNCTION 2 @extschema@.geopoint_hash_extended(@extschema@.geopoint, int8);
	END IF;
END $guard$;

-- Distances
CREATE OR REPLACE FUNCTION @extschema@.distance_km(a @extschema@.geopoint, b @extschema@.geopoint) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_distance_km$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.distance_km(@extschema@.geopoint, @extschema@.geopoint) IS
	'Great-circle distance in km on a sphere of radius 6371.0087714 km (as PostGIS ST_DistanceSphere)';

CREATE OR REPLACE FUNCTION @extschema@.geodesic_km(a @extschema@.geopoint, b @extschema@.geopoint) RETURNS float8
	AS 'MODULE_PATHNAME', $$crmscm_geodesic_km$$
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.geodesic_km(@extschema@.geopoint, @extschema@.geopoint) IS
	'Geodesic distance in km on the WGS84 ellipsoid (Karney''s algorithm, PROJ geod_inverse)';

DO $guard$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid OPERATOR(pg_catalog.=) pg_catalog.to_regoperator('@extschema@.<->(@extschema@.geopoint,@extschema@.geopoint)') AND o.oprcode OPERATOR(pg_catalog.<>) 0) THEN
		CREATE OPERATOR @extschema@.<-> (
			LEFTARG = @extschema@.geopoint, RIGHTARG = @extschema@.geopoint,
			FUNCTION = @extschema@.distance_km,
			COMMUTATOR = OPERATOR(@extschema@.<->)
		);
	END IF;
END $guard$;
COMMENT ON OPERATOR @extschema@.<->(@extschema@.geopoint, @extschema@.geopoint) IS
	'Great-circle distance in km (crmscm.distance_km)';
