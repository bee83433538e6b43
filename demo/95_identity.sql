-- The sample data above is loaded with its own ids (CDNOW customer numbers,
-- the synthetic order stream's numbering) into identity columns.  So that an
-- application that goes on inserting into this database without ids gets
-- fresh ones, every identity sequence of crmscm is advanced past the highest
-- id in use, in any tenant (README "Using crmscm from an application").
\echo
\echo '== Identity columns: sequences advanced past the ids the sample data brought'
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT c.relname, a.attname,
		       pg_catalog.pg_get_serial_sequence(pg_catalog.format('crmscm.%I', c.relname), a.attname) AS seq
		  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		 WHERE c.relnamespace = 'crmscm'::regnamespace AND a.attidentity <> '' AND NOT a.attisdropped
	LOOP
		EXECUTE pg_catalog.format('SELECT pg_catalog.setval(%L, greatest((SELECT max(%I) FROM crmscm.%I), 1))',
		                          r.seq, r.attname, r.relname);
	END LOOP;
END $$;
SELECT count(*) AS "identity columns", bool_and(s.last_value >= coalesce(m.max_id, 0)) AS "every sequence past its ids"
  FROM (SELECT c.relname, a.attname, pg_catalog.pg_get_serial_sequence(pg_catalog.format('crmscm.%I', c.relname), a.attname) AS seq
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = 'crmscm'::regnamespace AND a.attidentity <> '' AND NOT a.attisdropped) i
  JOIN pg_catalog.pg_sequences s ON pg_catalog.format('%I.%I', s.schemaname, s.sequencename)::regclass = i.seq::regclass
  LEFT JOIN LATERAL (SELECT (xpath('/row/m/text()', pg_catalog.query_to_xml(
                        pg_catalog.format('SELECT max(%I) AS m FROM crmscm.%I', i.attname, i.relname), false, true, '')))[1]::text::bigint AS max_id) m ON true;
