-- Ownership (issue #12, doc/security.md): no crmscm object is owned by a role
-- a login role can reach, and no SECURITY DEFINER function reads an object
-- a non-superuser can redefine.  From the catalog, so objects added later
-- are covered.  Lists (as TAP diagnostics) every crmscm object with its
-- owner, and every function that runs with its owner's rights with what it
-- reads: the crmscm.<name> references of its body (SQL, PL/pgSQL), or the
-- "%s.<name>" references of the C file that defines it (the C code builds
-- its queries with the schema name).  Run from the repository root (pg_prove
-- does), so that psql can read src/*.c.
\i test/setup.sql
\set csrc `for f in src/*.c; do printf '\n@@FILE %s\n' "$f"; cat "$f"; done`

SELECT plan(11);

-- the C sources, one row per file
CREATE TEMP TABLE c_files AS
	SELECT split_part(chunk, E'\n', 1) AS file, chunk AS body
	FROM regexp_split_to_table(:'csrc', E'\n@@FILE ') chunk WHERE chunk LIKE 'src/%';
SELECT ok((SELECT count(*) FROM c_files WHERE body LIKE '%PG_FUNCTION_INFO_V1(crmscm_current_tenant)%') = 1,
		  'the C sources are readable (src/*.c, ' || (SELECT count(*) FROM c_files) || ' files)');

-- every crmscm object: the schema, every object in it, the extension
CREATE TEMP TABLE objs AS
	SELECT 'schema' AS kind, n.nspname::text AS name, n.nspowner AS owner FROM pg_namespace n WHERE n.nspname = 'crmscm'
	UNION ALL SELECT 'extension', e.extname::text, e.extowner FROM pg_extension e WHERE e.extname = 'crmscm'
	UNION ALL SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
								WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index'
								WHEN 'I' THEN 'index' WHEN 'c' THEN 'composite type' WHEN 'f' THEN 'foreign table'
								ELSE 'relation ' || c.relkind::text END,
				c.relname::text, c.relowner
	FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace
	UNION ALL SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'p' THEN 'procedure' ELSE 'function' END,
				p.oid::regprocedure::text, p.proowner
	FROM pg_proc p WHERE p.pronamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'type', t.oid::regtype::text, t.typowner FROM pg_type t WHERE t.typnamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'operator', o.oid::regoperator::text, o.oprowner FROM pg_operator o WHERE o.oprnamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'operator class', oc.opcname::text, oc.opcowner FROM pg_opclass oc WHERE oc.opcnamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'operator family', f.opfname::text, f.opfowner FROM pg_opfamily f WHERE f.opfnamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'collation', co.collname::text, co.collowner FROM pg_collation co WHERE co.collnamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'conversion', cv.conname::text, cv.conowner FROM pg_conversion cv WHERE cv.connamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'text search configuration', ts.cfgname::text, ts.cfgowner FROM pg_ts_config ts WHERE ts.cfgnamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'text search dictionary', td.dictname::text, td.dictowner FROM pg_ts_dict td WHERE td.dictnamespace = 'crmscm'::regnamespace
	UNION ALL SELECT 'statistics object', st.stxname::text, st.stxowner FROM pg_statistic_ext st WHERE st.stxnamespace = 'crmscm'::regnamespace;
SELECT diag(format('%s %s (owner %s%s): %s', count(*), kind, pg_get_userbyid(owner),
				   CASE WHEN (SELECT rolsuper FROM pg_authid WHERE oid = owner) THEN ', superuser' ELSE ', NOT a superuser' END,
				   string_agg(name, ', ' ORDER BY name)))
  FROM objs GROUP BY kind, owner ORDER BY kind;

-- A role is reachable from a login role when a login role that is not a
-- superuser is it, is a member of it (SET ROLE, inherited rights: both are
-- MEMBER), or may make itself one (CREATEROLE, for roles that are not
-- superusers).  Superusers are the installation's own.
CREATE FUNCTION pg_temp.reachable(owner oid) RETURNS text LANGUAGE sql AS $$
	SELECT CASE
		WHEN NOT (SELECT rolsuper FROM pg_authid WHERE oid = owner) THEN
			'not a superuser' || COALESCE(' (login roles: ' || (SELECT string_agg(a.rolname, ', ' ORDER BY a.rolname)
				FROM pg_authid a WHERE a.rolcanlogin AND NOT a.rolsuper
				  AND (pg_has_role(a.oid, owner, 'MEMBER') OR a.rolcreaterole)) || ')', '')
		ELSE (SELECT 'a member of it logs in: ' || string_agg(a.rolname, ', ' ORDER BY a.rolname)
				FROM pg_authid a WHERE a.rolcanlogin AND NOT a.rolsuper AND pg_has_role(a.oid, owner, 'MEMBER'))
	END $$;

SELECT ok((SELECT a.rolsuper FROM pg_extension e JOIN pg_authid a ON a.oid = e.extowner WHERE e.extname = 'crmscm'),
		  'the extension owner is a superuser');
SELECT is(array_agg(kind || ' ' || name || ' owned by ' || pg_get_userbyid(owner) ORDER BY kind, name), NULL,
		  'every crmscm object (schema, extension, tables, views, sequences, functions, types, operators, ...) is owned by the extension owner')
  FROM objs WHERE owner <> (SELECT extowner FROM pg_extension WHERE extname = 'crmscm');
SELECT is(array_agg(pg_get_userbyid(owner) || ': ' || pg_temp.reachable(owner)), NULL,
		  'no owner of a crmscm object is reachable from a login role (member of, SET ROLE to, or via CREATEROLE)')
  FROM (SELECT DISTINCT owner FROM objs) o WHERE pg_temp.reachable(owner) IS NOT NULL;
SELECT is(array_agg(pg_describe_object(d.classid, d.objid, d.objsubid) ORDER BY 1), NULL,
		  'every member of the extension is in schema crmscm (so the lists above cover them)')
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crmscm')
   AND (pg_identify_object(d.classid, d.objid, d.objsubid)).schema IS DISTINCT FROM 'crmscm';
SELECT is(array_agg(a.rolname::text ORDER BY 1), NULL,
		  'no role but superusers may CREATE in schema crmscm (an overload there could capture a call)')
  FROM pg_authid a WHERE NOT a.rolsuper AND has_schema_privilege(a.oid, 'crmscm'::regnamespace, 'CREATE');
SELECT ok(NOT has_schema_privilege('public', 'crmscm', 'CREATE'), '... nor PUBLIC');

-- Functions that run with their owner's rights: the SECURITY DEFINER ones
-- written in SQL or PL/pgSQL, read from their bodies; and crmscm's C code,
-- taken as a whole: SECURITY DEFINER C functions, and C code that switches to
-- the owner itself (SetUserIdAndSecContext), which may be called from other
-- files than the one that switches.  So the C code's reads are the union of
-- the "%s.<name>" references of every C file (a superset: safe to check).
CREATE TEMP TABLE definer AS
	SELECT p.oid::regprocedure::text AS fn, l.lanname, p.prosecdef, p.proowner
	FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
	WHERE p.pronamespace = 'crmscm'::regnamespace AND p.prosecdef AND l.lanname <> 'c';
SELECT diag('C code that switches to the owner: ' || COALESCE(string_agg(file, ', ' ORDER BY file), 'none'))
  FROM c_files WHERE body LIKE '%SetUserIdAndSecContext(%';
SELECT diag('SECURITY DEFINER C functions: ' || COALESCE(string_agg(p.oid::regprocedure::text, ', ' ORDER BY 1), 'none'))
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.prosecdef AND l.lanname = 'c';
INSERT INTO definer
	SELECT 'crmscm''s C code (src/*.c)', 'c', true, (SELECT extowner FROM pg_extension WHERE extname = 'crmscm');
-- what each reads: the crmscm.<name> references of its body (not the
-- quoted setting names such as 'crmscm.internal'), or of the C files
CREATE TEMP TABLE reads AS
	SELECT d.fn, m[1] AS name
	FROM definer d JOIN pg_proc p ON p.oid::regprocedure::text = d.fn,
		 LATERAL regexp_matches(p.prosrc, '(?<!'')crmscm\.([A-Za-z_][A-Za-z_0-9]*)', 'g') m
	WHERE d.lanname <> 'c'
	UNION
	SELECT 'crmscm''s C code (src/*.c)', m[1]
	FROM c_files f, LATERAL regexp_matches(f.body, '%s\.([A-Za-z_][A-Za-z_0-9]*)', 'g') m;
SELECT diag(format('%s (%s, owner %s) reads: %s', d.fn,
				   CASE WHEN d.lanname = 'c' THEN 'C' ELSE d.lanname || ', SECURITY DEFINER' END,
				   pg_get_userbyid(d.proowner),
				   COALESCE((SELECT string_agg(r.name, ', ' ORDER BY r.name) FROM reads r WHERE r.fn = d.fn), 'nothing of crmscm')))
  FROM definer d ORDER BY d.fn;
-- each name read must be an object of schema crmscm (a missing name could
-- be created later by whoever may create there), every object of that name
-- owned by the extension owner (so nobody else can redefine it)
CREATE FUNCTION pg_temp.unsafe_reads() RETURNS text[] LANGUAGE sql AS $$
	SELECT array_agg(r.fn::text || ' reads crmscm.' || r.name || ': '
					 || CASE WHEN o.owners IS NULL THEN 'no such object'
							 ELSE 'owned by ' || o.owners END ORDER BY 1)
	FROM reads r
	LEFT JOIN LATERAL (
		SELECT string_agg(DISTINCT pg_get_userbyid(x.owner), ', ') AS owners,
			   bool_and(x.owner = (SELECT extowner FROM pg_extension WHERE extname = 'crmscm')
						AND pg_temp.reachable(x.owner) IS NULL) AS safe
		FROM (SELECT c.relowner AS owner FROM pg_class c WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relname = r.name
			  UNION ALL SELECT p.proowner FROM pg_proc p WHERE p.pronamespace = 'crmscm'::regnamespace AND p.proname = r.name
			  UNION ALL SELECT t.typowner FROM pg_type t WHERE t.typnamespace = 'crmscm'::regnamespace AND t.typname = r.name) x
	) o ON true
	WHERE o.owners IS NULL OR NOT o.safe $$;
SELECT is(pg_temp.unsafe_reads(), NULL,
		  'no SECURITY DEFINER (or owner-switching) function reads an object a non-superuser could redefine, or one that does not exist');
-- controls: the parser sees what the attacks of issue #12 went through
SELECT ok((SELECT array_agg(name) FROM reads WHERE fn = 'refit_models(date)')
		  @> ARRAY['customer_purchases', 'lifetime_models', 'rfm_summary'],
		  'control: refit_models() is found reading the view customer_purchases (issue #12, attack 1), lifetime_models, rfm_summary');
SELECT ok((SELECT array_agg(name) FROM reads WHERE fn = 'crmscm''s C code (src/*.c)')
		  @> ARRAY['inventory', 'reservations', 'backorders', 'sales_order_lines'],
		  'control: the C code is found reading inventory, reservations, backorders, sales_order_lines');
-- control: a view owned by a login role, read by a SECURITY DEFINER
-- function, is caught by both checks
CREATE ROLE own_probe_login LOGIN;
CREATE VIEW crmscm.own_probe AS SELECT 1 AS x;
ALTER VIEW crmscm.own_probe OWNER TO own_probe_login;
SET LOCAL check_function_bodies = off;
CREATE FUNCTION crmscm.own_probe_fn() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$ SELECT count(*) FROM crmscm.own_probe, crmscm.own_probe_missing $$;
INSERT INTO reads VALUES ('own_probe_fn()', 'own_probe'), ('own_probe_fn()', 'own_probe_missing');
SELECT is(pg_temp.unsafe_reads(),
		  ARRAY['own_probe_fn() reads crmscm.own_probe: owned by own_probe_login',
				'own_probe_fn() reads crmscm.own_probe_missing: no such object'],
		  'control: a read of a view owned by a login role, and of a missing name, are caught');

SELECT * FROM finish();
ROLLBACK;
