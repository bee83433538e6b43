-- Bad input of every public crmscm function not covered elsewhere, each
-- expecting a specific SQLSTATE (doc/robustness.md).  The geopoint text input and
-- constructor, and current_tenant(), are covered in test/pgtap/geopoint.sql;
-- apply_security() and distribute() in test/pgtap/security.sql.
-- Here: geopoint_recv (binary input, reached through COPY ... BINARY) and
-- NULL handling (STRICT or documented) of every function taking arguments.
\i test/setup.sql
SELECT plan(7);

-- Binary COPY files written by printf: the 19-byte header, one tuple of one
-- field, the trailer (PostgreSQL docs, "COPY: Binary Format").
CREATE TEMP TABLE bin (p geopoint);
CREATE FUNCTION pg_temp.copy_bin(field text) RETURNS text LANGUAGE sql AS $$
	SELECT format($q$COPY bin FROM PROGRAM %L WITH (FORMAT binary)$q$,
		'printf ''PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000\000\001' || field || '\377\377''')
$$;
-- a valid point first (52.5, 13.25 are exact in binary), so the file format is right
SELECT lives_ok(pg_temp.copy_bin('\000\000\000\020\100\112\100\000\000\000\000\000\100\052\200\000\000\000\000\000'),
				'binary input of (52.5,13.25) is accepted');
SELECT throws_ok(pg_temp.copy_bin('\000\000\000\020\177\370\000\000\000\000\000\000\000\000\000\000\000\000\000\000'),
				 '22003', NULL, 'binary input: NaN latitude is refused');
SELECT throws_ok(pg_temp.copy_bin('\000\000\000\020\100\126\300\000\000\000\000\000\000\000\000\000\000\000\000\000'),
				 '22003', NULL, 'binary input: latitude 91 is refused');
SELECT throws_ok(pg_temp.copy_bin('\000\000\000\010\000\000\000\000\000\000\000\000'),
				 '08P01', NULL, 'binary input: 8 bytes instead of 16 is refused');
SELECT throws_ok(pg_temp.copy_bin('\000\000\000\030\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'),
				 '22P03', NULL, 'binary input: 24 bytes instead of 16 is refused');

-- NULL handling is declared (STRICT) or documented (doc/robustness.md): every
-- function with arguments is STRICT, or its COMMENT says what NULL means.
-- Not API, so not checked here: trigger functions, aggregate support
-- functions (an argument or result of type internal: they cannot be called
-- from SQL, and a transition function must see NULL states), and the
-- underscore-prefixed internals of the order model (called by its
-- triggers; the next test checks nobody outside can call them).
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'every crmscm function with arguments is STRICT or documents NULL in its comment')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.pronargs > 0 AND NOT p.proisstrict
   AND p.prokind IN ('f', 'p') AND p.prorettype <> 'trigger'::regtype
   AND p.proname !~ '^_'
   AND p.prorettype <> 'internal'::regtype
   AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[])
   AND coalesce(obj_description(p.oid, 'pg_proc'), '') !~* 'null';

-- The internals are not API: PUBLIC has no EXECUTE on them (proacl NULL
-- means the default ACL, which grants EXECUTE to PUBLIC)
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
		  'no underscore-prefixed crmscm function is executable by PUBLIC')
  FROM pg_proc p
 WHERE p.pronamespace = 'crmscm'::regnamespace AND p.proname ~ '^_'
   AND EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
			   WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE');
SELECT * FROM finish();
ROLLBACK;
