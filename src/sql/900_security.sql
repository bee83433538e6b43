-- Tenancy and security: roles, grants, row-level security.
-- README "Tenancy and security", doc/security.md.
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

-- #15 The master-data role (README "Using crmscm from an application"):
-- crmscm_master_data maintains items, warehouses and customers (a catalog
-- screen of an application) and nothing else; crmscm_admin is a member.
-- Cluster-wide and NOLOGIN like the three above.
DO $roles15$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'crmscm_master_data') THEN
		BEGIN
			CREATE ROLE crmscm_master_data NOLOGIN;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN
			NULL;
		END;
	END IF;
	IF NOT pg_catalog.pg_has_role('crmscm_master_data', 'crmscm_reader', 'MEMBER') THEN
		GRANT crmscm_reader TO crmscm_master_data;
	END IF;
	IF NOT pg_catalog.pg_has_role('crmscm_admin', 'crmscm_master_data', 'MEMBER') THEN
		GRANT crmscm_master_data TO crmscm_admin;
	END IF;
END
$roles15$;

-- The tenant and the pins are decided by crmscm.current_tenant() itself
-- (src/tenant.c): the policy tenant_isolation below calls it per row, so a
-- role pinned by crmscm_tenant_<N> roles gets an error for any other tenant
-- wherever the tenant is read (doc/security.md).

-- Length: the whole security model in one place, one loop per kind of
-- object (owner, schema, tables and policies, sequences, views, functions),
-- so that it can be read and re-run as one; each loop is commented.
CREATE OR REPLACE FUNCTION @extschema@.apply_security() RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $fn$
DECLARE
	-- Tables crmscm_writer may INSERT, UPDATE and DELETE (the documented write
	-- API: orders, customers, leads, stock moves, purchase orders).  Names
	-- that do not exist (yet) are ignored.
	writer_tables constant text[] := ARRAY[
		'customers', 'sales_orders', 'sales_order_lines', 'stock_moves',
		'purchase_orders', 'purchase_order_lines', 'leads', 'lead_events',
		'lead_lines'];			-- #18
	-- Tables crmscm maintains itself, through its triggers and SECURITY
	-- DEFINER functions: no role writes them, crmscm_admin included.  Every
	-- other table (items, warehouses, models, settings, scoring rules, ...):
	-- crmscm_admin writes it.
	bookkeeping_tables constant text[] := ARRAY[
		'inventory', 'reservations', 'backorders', 'sales_order_totals',
		'customer_purchase_days', 'customer_lifetime',
		-- #18: supplier statistics and demand state, kept at commit
		'purchase_receipts', 'purchase_line_outcomes', 'supplier_stats', 'demand_days', 'demand_state',
		'demand_orders'];
	-- Functions only crmscm_admin may call: model fits, recomputing derived
	-- tables, automatic purchasing.  Every function whose name starts with
	-- 'refit' counts as listed.
	admin_functions constant text[] := ARRAY['refit_models', 'replenish', 'lead_model_train',
		'refresh_customer_lifetime', 'reorder_rebuild', 'rebalance', 'set_customer_tier'];
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
	public_functions constant text[] := ARRAY['current_tenant'];
	-- Functions for writers although not VOLATILE: the API of the order model.
	writer_functions constant text[] := ARRAY['available_to_promise', 'check_inventory', 'abc_classes'];
	-- Functions for readers although VOLATILE: pure computations that touch
	-- no table (VOLATILE only because a time limit can cut the search short).
	-- #19: and the inlinable rules of 030_rules.sql, which the views call.
	reader_functions constant text[] := ARRAY['tsp_tour', 'vrp_routes', 'route_cost',
		'_po_line_open_qty', '_sales_line_counts', '_sales_line_amount', '_sales_line_shipped_amount'];
	-- #15 Tables crmscm_master_data may INSERT, UPDATE and DELETE (master
	-- data; granted besides the rules above, which leave that role alone).
	master_data_tables constant text[] := ARRAY['items', 'warehouses', 'customers'];
	nsp constant oid := '@extschema@'::regnamespace;
	owner oid;
	r record;
	target text;
BEGIN
	-- Ownership: every object of the schema, and the schema, belongs to the
	-- extension owner, a superuser (CREATE EXTENSION crmscm needs one).  No
	-- role a login role can reach owns anything crmscm's SECURITY DEFINER
	-- code reads or calls, so nobody can redefine it.
	SELECT e.extowner INTO owner FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'crmscm';
	IF owner IS NULL THEN
		RAISE EXCEPTION 'apply_security(): extension crmscm is not installed' USING ERRCODE = '55000';
	END IF;
	IF NOT (SELECT a.rolsuper FROM pg_catalog.pg_authid a WHERE a.oid OPERATOR(pg_catalog.=) owner) THEN
		RAISE WARNING 'the owner of extension crmscm, role %, is not a superuser', owner::regrole
			USING DETAIL = 'Row-level security and crmscm''s SECURITY DEFINER functions rely on an owner no login role can become.';
	END IF;
	IF (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.oid OPERATOR(pg_catalog.=) nsp) OPERATOR(pg_catalog.<>) owner THEN
		EXECUTE pg_catalog.format('ALTER SCHEMA @extschema@ OWNER TO %s', owner::regrole);
	END IF;
	FOR r IN
		SELECT c.oid::regclass AS obj, c.relkind FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relowner OPERATOR(pg_catalog.<>) owner
		  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f']::"char"[])
		ORDER BY c.relname
	LOOP
		EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %s',
			CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
						   WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.obj, owner::regrole);
	END LOOP;
	-- sequences not owned by a column (those follow their table)
	FOR r IN
		SELECT c.oid::regclass AS obj FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relowner OPERATOR(pg_catalog.<>) owner
		  AND c.relkind OPERATOR(pg_catalog.=) 'S'
	LOOP
		EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNER TO %s', r.obj, owner::regrole);
	END LOOP;
	FOR r IN
		SELECT p.oid::regprocedure AS obj, p.prokind FROM pg_catalog.pg_proc p
		WHERE p.pronamespace OPERATOR(pg_catalog.=) nsp AND p.proowner OPERATOR(pg_catalog.<>) owner
	LOOP
		EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %s',
			CASE r.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
			r.obj, owner::regrole);
	END LOOP;
	-- types of their own (a table's row type and array types follow)
	FOR r IN
		SELECT t.oid::regtype AS obj FROM pg_catalog.pg_type t
		LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.typrelid
		WHERE t.typnamespace OPERATOR(pg_catalog.=) nsp AND t.typowner OPERATOR(pg_catalog.<>) owner
		  AND (t.typrelid OPERATOR(pg_catalog.=) 0 OR c.relkind OPERATOR(pg_catalog.=) 'c')
		  AND NOT (t.typcategory OPERATOR(pg_catalog.=) 'A' AND t.typelem OPERATOR(pg_catalog.<>) 0)
	LOOP
		EXECUTE pg_catalog.format('ALTER TYPE %s OWNER TO %s', r.obj, owner::regrole);
	END LOOP;
	FOR r IN
		SELECT o.oid::regoperator AS obj FROM pg_catalog.pg_operator o
		WHERE o.oprnamespace OPERATOR(pg_catalog.=) nsp AND o.oprowner OPERATOR(pg_catalog.<>) owner
	LOOP
		EXECUTE pg_catalog.format('ALTER OPERATOR %s OWNER TO %s', r.obj, owner::regrole);
	END LOOP;
	FOR r IN
		SELECT f.opfname AS name, am.amname FROM pg_catalog.pg_opfamily f
		JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) f.opfmethod
		WHERE f.opfnamespace OPERATOR(pg_catalog.=) nsp AND f.opfowner OPERATOR(pg_catalog.<>) owner
	LOOP
		EXECUTE pg_catalog.format('ALTER OPERATOR FAMILY @extschema@.%I USING %I OWNER TO %s',
								  r.name, r.amname, owner::regrole);
	END LOOP;
	FOR r IN
		SELECT oc.opcname AS name, am.amname FROM pg_catalog.pg_opclass oc
		JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) oc.opcmethod
		WHERE oc.opcnamespace OPERATOR(pg_catalog.=) nsp AND oc.opcowner OPERATOR(pg_catalog.<>) owner
	LOOP
		EXECUTE pg_catalog.format('ALTER OPERATOR CLASS @extschema@.%I USING %I OWNER TO %s',
								  r.name, r.amname, owner::regrole);
	END LOOP;

	-- The schema: nobody but the owner creates objects in it (a new overload
	-- or a look-alike could otherwise capture a call); readers use it.
	EXECUTE 'REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC';
	FOR r IN
		SELECT DISTINCT a.grantee FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
		WHERE n.oid OPERATOR(pg_catalog.=) nsp AND a.grantee OPERATOR(pg_catalog.<>) owner
		  AND a.grantee OPERATOR(pg_catalog.<>) 0 AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
	LOOP
		EXECUTE pg_catalog.format('REVOKE CREATE ON SCHEMA @extschema@ FROM %s', r.grantee::regrole);
	END LOOP;
	EXECUTE 'GRANT USAGE ON SCHEMA @extschema@ TO crmscm_reader';

	-- Tables: nothing for PUBLIC; readers SELECT (row-level security limits
	-- them to their tenant); writers write theirs, admins the rest but the
	-- bookkeeping.  Row-level security on every table that has a tenant_id
	-- column, with one permissive policy.
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
		EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, crmscm_reader, crmscm_writer, crmscm_admin', r.tab);
		EXECUTE pg_catalog.format('GRANT SELECT ON %s TO crmscm_reader', r.tab);
		IF r.relname OPERATOR(pg_catalog.=) ANY (writer_tables) THEN
			EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON %s TO crmscm_writer', r.tab);
		ELSIF NOT r.relname OPERATOR(pg_catalog.=) ANY (bookkeeping_tables) THEN
			EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON %s TO crmscm_admin', r.tab);
		END IF;
		IF r.tenant THEN
			EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', r.tab);
			EXECUTE pg_catalog.format('DROP POLICY IF EXISTS tenant_isolation ON %s', r.tab);
			EXECUTE pg_catalog.format(
				'CREATE POLICY tenant_isolation ON %s'
				' USING (tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant())'
				' WITH CHECK (tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant())', r.tab);
		END IF;
	END LOOP;
	-- #15 master data: crmscm_master_data writes exactly master_data_tables
	IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'crmscm_master_data') THEN
		FOR r IN
			SELECT c.oid::regclass AS tab, c.relname FROM pg_catalog.pg_class c
			WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
			  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f']::"char"[])
		LOOP
			EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM crmscm_master_data', r.tab);
			IF r.relname OPERATOR(pg_catalog.=) ANY (master_data_tables) THEN
				EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON %s TO crmscm_master_data', r.tab);
			END IF;
		END LOOP;
	END IF;

	-- any other permissive policy would widen tenant_isolation (policies OR)
	FOR r IN
		SELECT p.polname, p.polrelid::regclass AS tab FROM pg_catalog.pg_policy p
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.polrelid
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND p.polpermissive
		  AND p.polname OPERATOR(pg_catalog.<>) 'tenant_isolation'
	LOOP
		RAISE WARNING 'dropping policy % on %: a permissive policy besides tenant_isolation lets rows of other tenants through',
			r.polname, r.tab;
		EXECUTE pg_catalog.format('DROP POLICY %I ON %s', r.polname, r.tab);
	END LOOP;

	-- Sequences: nobody.  Identity columns draw from theirs without any
	-- right on it, and its current value counts every tenant's rows.
	FOR r IN
		SELECT c.oid::regclass AS seq FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relkind OPERATOR(pg_catalog.=) 'S'
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC, crmscm_reader, crmscm_writer, crmscm_admin', r.seq);
	END LOOP;

	-- Views: security_invoker (they read with the caller's rights, so the
	-- policies apply to the caller; each also filters every table it reads on
	-- current_tenant(), so even the owner sees one tenant), readers SELECT.
	FOR r IN
		SELECT c.oid::regclass AS v, c.relkind FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v', 'm']::"char"[])
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, crmscm_reader, crmscm_writer, crmscm_admin', r.v);
		IF r.relkind OPERATOR(pg_catalog.=) 'v' THEN
			EXECUTE pg_catalog.format('ALTER VIEW %s SET (security_invoker = true)', r.v);
			EXECUTE pg_catalog.format('GRANT SELECT ON %s TO crmscm_reader', r.v);
		ELSE
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
	--   public_functions                   -> PUBLIC
	--   other '\_%' (IMMUTABLE)           -> crmscm_reader
	--   admin_functions, 'refit%'          -> crmscm_admin
	--   trigger functions                  -> nobody (triggers fire without EXECUTE)
	--   reader_functions                   -> crmscm_reader
	--   writer_functions, VOLATILE         -> crmscm_writer
	--   SECURITY DEFINER, STABLE           -> crmscm_reader
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
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (public_functions) THEN 'PUBLIC'
			-- #18: immutable internals the views call (security_invoker):
			-- the crmscm roles, not PUBLIC
			WHEN r.proname OPERATOR(pg_catalog.~~) E'\\_%' THEN 'crmscm_reader'
			WHEN r.proname OPERATOR(pg_catalog.=) ANY (admin_functions)
			  OR r.proname OPERATOR(pg_catalog.~~) 'refit%' THEN 'crmscm_admin'
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
	'(Re)applies crmscm''s security model: every object and the schema owned by the extension owner, grants to crmscm_reader, crmscm_writer, crmscm_admin, views security_invoker, and row-level security with the one policy tenant_isolation on every table with a tenant_id; run by the install script, after upgrades and restores (doc/security.md)';

-- Last statement of the install script: protect everything defined above.
SELECT @extschema@.apply_security();
