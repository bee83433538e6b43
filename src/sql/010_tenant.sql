-- Tenancy basics (doc/security.md).  Conventions for every table: doc/conventions.md;
-- the model: doc/security.md.

CREATE OR REPLACE FUNCTION @extschema@.current_tenant() RETURNS bigint
	AS 'MODULE_PATHNAME', $$crmscm_current_tenant$$
	LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.current_tenant() IS
	'The tenant of this session: setting crmscm.tenant_id.  Unset or empty: ERROR 55000 (never a default); not a positive bigint: 22023; a login role pinned by roles crmscm_tenant_<N> (and not a superuser) asking for another tenant: 42501';
