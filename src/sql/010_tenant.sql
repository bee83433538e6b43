-- Tenancy basics (SPEC §2).  Conventions for every table: doc/conventions.md.

CREATE OR REPLACE FUNCTION @extschema@.current_tenant() RETURNS bigint
	AS 'MODULE_PATHNAME', $$crmscm_current_tenant$$
	LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.current_tenant() IS
	'The tenant of this session: setting crmscm.tenant_id, 1 when unset or empty';
