-- Tenancy and security: roles, grants, row-level security (SPEC §2, §10).
-- README "Tenancy, security and scaling out".
--
-- This file runs LAST in the install script, so everything above it exists:
-- crmscm.apply_security() walks the catalog and protects every table, view
-- and function of the schema, including those other files add later.  To
-- change who may do what, extend the name lists in apply_security() below;
-- everything not listed gets the generic default.

-- The three group roles are cluster-wide (shared by every database of the
-- cluster) and outlive DROP EXTENSION; create them only when missing.
-- NOLOGIN: grant them to login roles (README).
DO $roles$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['crmscm_reader', 'crmscm_writer', 'crmscm_admin']
	LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
			BEGIN
				EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
			EXCEPTION WHEN duplicate_object OR unique_violation THEN
				NULL;			/* created meanwhile by another database's install */
			END;
		END IF;
	END LOOP;
	-- writers can do what readers can; admins what writers can
	IF NOT pg_catalog.pg_has_role('crmscm_writer', 'crmscm_reader', 'MEMBER') THEN
		GRANT crmscm_reader TO crmscm_writer;
	END IF;
	IF NOT pg_catalog.pg_has_role('crmscm_admin', 'crmscm_writer', 'MEMBER') THEN
		GRANT crmscm_writer TO crmscm_admin;
	END IF;
END
$roles$;

-- Tenant pins.  The tenant is a session setting any session may change; a
-- login role that is a member of a role named crmscm_tenant_<N> is pinned:
-- its sessions see and change rows only while crmscm.tenant_id is one of
-- its pinned tenants, whatever they SET.  Decided by the login role
-- (session_user), so SET ROLE and SECURITY DEFINER code cannot escape it.
-- The restrictive policy tenant_pin calls this once per statement (an
-- InitPlan: the call is wrapped in a scalar subquery).
CREATE OR REPLACE FUNCTION @extschema@.tenant_permitted() RETURNS boolean
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $fn$
BEGIN
	-- (PL/pgSQL, not SQL: it keeps its query plans for the session, where a
	-- SQL function with SET search_path would be planned on every statement)
	RETURN
		-- a superuser counts as a member of every role: treat it as not pinned
		EXISTS (SELECT FROM pg_catalog.pg_roles r
				WHERE r.rolname OPERATOR(pg_catalog.=) SESSION_USER AND r.rolsuper)
		OR NOT EXISTS (
			SELECT FROM pg_catalog.pg_roles r
			WHERE r.rolname OPERATOR(pg_catalog.~~) E'crmscm\\_tenant\\_%'
			  AND pg_catalog.pg_has_role(SESSION_USER, r.oid, 'MEMBER'))
		OR EXISTS (
			SELECT FROM pg_catalog.pg_roles r
			WHERE r.rolname OPERATOR(pg_catalog.=)
					('crmscm_tenant_' OPERATOR(pg_catalog.||) @extschema@.current_tenant()::text)::name
			  AND pg_catalog.pg_has_role(SESSION_USER, r.oid, 'MEMBER'));
END
$fn$;

COMMENT ON FUNCTION @extschema@.tenant_permitted() IS
	'Whether the login role may work in crmscm.current_tenant(): true unless it is a member of roles crmscm_tenant_<N> none of which is the current tenant';

CREATE OR REPLACE FUNCTION @extschema@.apply_security() RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $fn$
DECLARE
	-- Tables crmscm_writer may INSERT, UPDATE and DELETE (the documented write
	-- API: orders, customers, leads, stock moves, purchase orders).  Every
	-- other table of the schema: writers read it, only admins change it
	-- (items, warehouses, models, settings, scoring rules, ...).  Names that
	-- do not exist (yet) are ignored.
	writer_tables constant text[] := ARRAY[
		'customers', 'sales_orders', 'sales_order_lines', 'stock_moves',
		'purchase_orders', 'purchase_order_lines', 'leads', 'lead_events'];
	-- Functions only crmscm_admin may call: model fits, recomputing derived
	-- tables, automatic purchasing.  Every function whose name starts with
	-- 'refit' counts as listed.
	admin_functions constant text[] := ARRAY['refit_models', 'replenish', 'lead_model_train',
		'refresh_customer_lifetime'];
	-- Functions only the extension owner (a superuser) may call: they change
	-- the schema itself.
	owner_functions constant text[] := ARRAY['apply_security', 'distribute'];
	-- Internal helpers nobody may call directly: they take a tenant as an
	-- argument (called by SECURITY DEFINER triggers and API functions, which
	-- run as the owner).  Every function whose name starts with '_' counts as
	-- listed, unless IMMUTABLE and not SECURITY DEFINER (pure arithmetic that
	-- touches no table).
	internal_functions constant text[] := ARRAY['lifetime_touch'];
	-- Functions every role may call although not IMMUTABLE.
	public_functions constant text[] := ARRAY['current_tenant', 'tenant_permitted'];
	-- Functions for writers although not VOLATILE: they read the tables with
	-- the caller's rights, which readers do not have (readers: views).
	writer_functions constant text[] := ARRAY['available_to_promise', 'check_inventory', 'abc_classes'];
	-- Functions for readers although VOLATILE: pure computations that touch
	-- no table (VOLATILE only because a time limit can cut the search short).
	reader_functions constant text[] := ARRAY['tsp_tour', 'vrp_routes', 'route_cost'];
	nsp constant oid := '@extschema@'::regnamespace;
	r record;
	target text;
BEGIN
	EXECUTE 'REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC';
	EXECUTE 'GRANT USAGE ON SCHEMA @extschema@ TO crmscm_reader';

	-- Tables: nothing for PUBLIC; row-level security on every table that has
	-- a tenant_id column.
	FOR r IN
		SELECT c.oid::regclass AS tab, c.relname,
			   EXISTS (SELECT FROM pg_catalog.pg_attribute a
					   WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid
						 AND a.attname OPERATOR(pg_catalog.=) 'tenant_id'
						 AND NOT a.attisdropped) AS tenant
		FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::"char"[])
		ORDER BY c.relname
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', r.tab);
		EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM crmscm_reader, crmscm_writer, crmscm_admin', r.tab);
		EXECUTE pg_catalog.format('GRANT SELECT ON %s TO crmscm_writer', r.tab);
		EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO crmscm_admin', r.tab);
		IF r.relname OPERATOR(pg_catalog.=) ANY (writer_tables) THEN
			EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON %s TO crmscm_writer', r.tab);
		END IF;
		IF r.tenant THEN
			EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', r.tab);
			EXECUTE pg_catalog.format('DROP POLICY IF EXISTS tenant_isolation ON %s', r.tab);
			EXECUTE pg_catalog.format(
				'CREATE POLICY tenant_isolation ON %s'
				' USING (tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant())'
				' WITH CHECK (tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant())', r.tab);
			EXECUTE pg_catalog.format('DROP POLICY IF EXISTS tenant_pin ON %s', r.tab);
			EXECUTE pg_catalog.format(
				'CREATE POLICY tenant_pin ON %s AS RESTRICTIVE'
				' USING ((SELECT @extschema@.tenant_permitted()))'
				' WITH CHECK ((SELECT @extschema@.tenant_permitted()))', r.tab);
		END IF;
	END LOOP;

	-- Sequences (identity columns need none, but serial ones would).
	FOR r IN
		SELECT c.oid::regclass AS seq FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relkind OPERATOR(pg_catalog.=) 'S'
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC', r.seq);
		EXECUTE pg_catalog.format('GRANT USAGE, SELECT ON SEQUENCE %s TO crmscm_writer', r.seq);
	END LOOP;

	-- Views: readers SELECT them.  A view reads its tables with its owner's
	-- rights, and the owner (the superuser who ran CREATE EXTENSION) bypasses
	-- row-level security; so the views are handed to crmscm_admin, a role the
	-- tenant policies apply to.  Readers need no right on the tables; so no
	-- view may be security_invoker (it would read with the reader's rights,
	-- which are none): the option is reset.
	FOR r IN
		SELECT c.oid::regclass AS v, c.relkind FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v', 'm']::"char"[])
	LOOP
		IF r.relkind OPERATOR(pg_catalog.=) 'v' THEN
			-- owner first: revoking from crmscm_admin once it owns the view
			-- would take its own rights away when this runs again (upgrades)
			EXECUTE pg_catalog.format('ALTER VIEW %s OWNER TO crmscm_admin', r.v);
			EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, crmscm_reader, crmscm_writer', r.v);
			EXECUTE pg_catalog.format('ALTER VIEW %s RESET (security_invoker)', r.v);
			EXECUTE pg_catalog.format('GRANT SELECT ON %s TO crmscm_reader', r.v);
		ELSE
			EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, crmscm_reader, crmscm_writer, crmscm_admin', r.v);
			-- a materialized view stores rows of every tenant, beyond any policy
			RAISE WARNING 'materialized view % holds the rows of every tenant: not granted to crmscm_reader', r.v;
		END IF;
	END LOOP;

	-- Functions.  PostgreSQL grants EXECUTE to PUBLIC by default; keep that
	-- only for IMMUTABLE non-definer functions (type I/O, operators, math:
	-- they touch no table).  Then, first match wins:
	--   owner_functions                    -> nobody but the owner
	--   internal_functions, '\_%' (unless  -> nobody
	--     IMMUTABLE and not definer)
	--   admin_functions, 'refit%'          -> crmscm_admin
	--   public_functions                   -> PUBLIC
	--   trigger functions                  -> nobody (triggers fire without EXECUTE)
	--   writer_functions, VOLATILE         -> crmscm_writer
	--     (reader_functions excepted)
	--   reader_functions, SECURITY DEFINER,
	--     STABLE                           -> crmscm_reader
	--   IMMUTABLE                          -> PUBLIC
	FOR r IN
		SELECT p.oid::regprocedure AS fn, p.proname, p.provolatile, p.prosecdef,
			   p.prorettype OPERATOR(pg_catalog.=) ANY (ARRAY['trigger', 'event_trigger']::regtype[]) AS trig,
			   'ROUTINE'::text AS kind
		FROM pg_catalog.pg_proc p
		WHERE p.pronamespace OPERATOR(pg_catalog.=) nsp
	LOOP
		target := CASE
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (owner_functions) THEN NULL
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (internal_functions)
			  OR (r.proname OPERATOR(pg_catalog.~~) E'\\_%'
				  AND (r.provolatile OPERATOR(pg_catalog.<>) 'i' OR r.prosecdef)) THEN NULL
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (admin_functions)
			  OR r.proname OPERATOR(pg_catalog.~~) 'refit%' THEN 'crmscm_admin'
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (public_functions) THEN 'PUBLIC'
			WHEN r.trig THEN NULL
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (reader_functions) THEN 'crmscm_reader'
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (writer_functions)
			  OR r.provolatile OPERATOR(pg_catalog.=) 'v' THEN 'crmscm_writer'
			WHEN r.prosecdef OR r.provolatile OPERATOR(pg_catalog.=) 's' THEN 'crmscm_reader'
			ELSE 'PUBLIC' END;
		EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM PUBLIC, crmscm_reader, crmscm_writer, crmscm_admin',
								  r.kind, r.fn);
		IF target IS NOT NULL THEN
			EXECUTE pg_catalog.format('GRANT EXECUTE ON %s %s TO %s', r.kind, r.fn, target);
		END IF;
	END LOOP;
END
$fn$;

COMMENT ON FUNCTION @extschema@.apply_security() IS
	'(Re)applies crmscm''s grants to crmscm_reader, crmscm_writer, crmscm_admin and the row-level security policy tenant_isolation on every table with a tenant_id; run by the install script, after upgrades and restores';

-- Last statement of the install script: protect everything defined above.
SELECT @extschema@.apply_security();
