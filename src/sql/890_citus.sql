-- Citus (README "Scaling out with Citus", doc/citus.md): distribute every
-- tenant table by tenant_id, all in one co-location group.
--
-- Numbered below 900 so that apply_security() (900_security.sql, which runs
-- last) protects this function too: only the owner may call it.
--
-- Why each step of distribute() is there (each was found on a 3-node Citus
-- 12.1 cluster and is checked by test/citus/citus.sh): doc/citus.md,
-- "crmscm.distribute()".  In short: for tables that belong to an extension
-- Citus makes no shell table of its own; the workers' copies made by CREATE
-- EXTENSION crmscm are the shells, with the install script's foreign keys
-- and identity sequences of their own, which distribute() has to bring in
-- line with the coordinator's.

-- Identity columns on the workers.  For tables that belong to an extension,
-- Citus keeps the workers' own copies of the tables, with their own identity
-- sequences, which start at 1 like the coordinator's: a row inserted on a
-- worker (by a trigger on a shard, or by a client connected to a worker)
-- would take ids the coordinator hands out too ("duplicate key", or two rows
-- with one id).  Citus gives the sequences of its own shell tables a range
-- per node group, [(group << 48) + 1, ((group + 1) << 48) + 1]; this does the
-- same for crmscm's sequences on a worker (group > 0).  It changes a
-- sequence only while its range is not yet that one, so running it again
-- does nothing.  On the coordinator (group 0) and without Citus it does
-- nothing.  Called by the install script (so the copy Citus creates on a
-- worker gets its range as it is made) and by distribute().
CREATE OR REPLACE FUNCTION @extschema@._citus_worker_sequences() RETURNS integer
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $fn$
DECLARE
	nsp constant oid := '@extschema@'::regnamespace;
	g bigint;
	lo bigint;
	hi bigint;
	s record;
	n integer := 0;
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_local_group') IS NULL THEN
		RETURN 0;
	END IF;
	EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO g;
	IF g IS NULL OR g OPERATOR(pg_catalog.<=) 0 OR g OPERATOR(pg_catalog.>=) 32767 THEN
		RETURN 0;
	END IF;
	lo := (g OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.+) 1;
	hi := lo OPERATOR(pg_catalog.+) (1::bigint OPERATOR(pg_catalog.<<) 48);
	FOR s IN
		SELECT c.oid::regclass AS seq, q.seqmin, q.seqmax
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_sequence q ON q.seqrelid OPERATOR(pg_catalog.=) c.oid
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		  AND c.relkind OPERATOR(pg_catalog.=) 'S'
		  AND q.seqtypid OPERATOR(pg_catalog.=) 'pg_catalog.int8'::regtype
		ORDER BY c.relname
	LOOP
		IF s.seqmin OPERATOR(pg_catalog.<>) lo OR s.seqmax OPERATOR(pg_catalog.<>) hi THEN
			EXECUTE pg_catalog.format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START %s RESTART %s',
									  s.seq, lo, hi, lo, lo);
			n := n OPERATOR(pg_catalog.+) 1;
		END IF;
	END LOOP;
	RETURN n;
END
$fn$;

COMMENT ON FUNCTION @extschema@._citus_worker_sequences() IS
	'On a Citus worker: gives crmscm''s identity sequences the node''s own id range, as Citus does for its shell tables; returns how many it changed (0 on the coordinator and without Citus)';

SELECT @extschema@._citus_worker_sequences();

-- distribute()'s part for the workers: run _citus_worker_sequences() on every
-- worker whose copy of crmscm is there already (Citus's run_command_on_workers
-- opens connections of its own, outside this transaction; a copy that Citus
-- is creating within this transaction got its ranges from its install script).
CREATE OR REPLACE FUNCTION @extschema@._citus_distribute_sequences() RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $fn$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT * FROM pg_catalog.run_command_on_workers(
			$cmd$DO $do$ BEGIN IF pg_catalog.to_regprocedure('@extschema@._citus_worker_sequences()') IS NOT NULL THEN PERFORM @extschema@._citus_worker_sequences(); END IF; END $do$$cmd$)
	LOOP
		IF NOT r.success THEN
			RAISE WARNING 'crmscm.distribute(): could not set the identity ranges on worker %:%: %',
				r.nodename, r.nodeport, r.result;
		END IF;
	END LOOP;
END
$fn$;

COMMENT ON FUNCTION @extschema@._citus_distribute_sequences() IS
	'Runs _citus_worker_sequences() on every Citus worker that has crmscm (called by distribute())';

-- distribute()'s part for the functions Citus must route by tenant: the
-- work a transaction's triggers write down lives in the backend of the
-- worker that ran them (doc/citus.md), so reserve_pending(tenant) and
-- ship(tenant, ...) must run there, in the same transaction.  Each becomes a
-- distributed function, distributed by its tenant argument and co-located
-- with crmscm's tables; force_delegation lets Citus route the call inside a
-- transaction block (where it holds that worker's connection of the
-- transaction) and keeps the function to that one tenant's shards there.
-- Functions distributed already are left alone.
CREATE OR REPLACE FUNCTION @extschema@._citus_distribute_functions(p_colocate_with regclass) RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $fn$
DECLARE
	f regprocedure;
BEGIN
	FOREACH f IN ARRAY ARRAY['@extschema@.reserve_pending(bigint)'::regprocedure,
							 '@extschema@.ship(bigint, bigint, integer, numeric)'::regprocedure]
	LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_object d
					   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
						 AND d.objid OPERATOR(pg_catalog.=) f::oid
						 AND d.distribution_argument_index IS NOT NULL AND d.force_delegation) THEN
			PERFORM pg_catalog.create_distributed_function(f, 'p_tenant', colocate_with => p_colocate_with::text,
														   force_delegation => true);
		END IF;
	END LOOP;
END
$fn$;

COMMENT ON FUNCTION @extschema@._citus_distribute_functions(regclass) IS
	'Makes reserve_pending(tenant) and ship(tenant, ...) Citus functions distributed by the tenant, co-located with the given crmscm table (called by distribute())';

-- Length: five numbered steps (drop foreign keys, triggers off, distribute,
-- drops on the workers, foreign keys back) that must run in one transaction
-- in this order, each commented; read top to bottom it is the procedure of
-- doc/citus.md.
CREATE OR REPLACE FUNCTION @extschema@.distribute() RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	SET client_min_messages = warning
	AS $fn$
DECLARE
	nsp constant oid := '@extschema@'::regnamespace;
	fk record;
	fks text[] := ARRAY[]::text[];
	drops text[] := ARRAY[]::text[];
	enables text[] := ARRAY[]::text[];
	tg record;
	todo regclass[];
	t regclass;
	anchor regclass;
	bad text;
	stmt text;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'citus') THEN
		RAISE EXCEPTION 'crmscm.distribute() needs the citus extension, which is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Install Citus on the coordinator and every worker, add "citus" to shared_preload_libraries, run CREATE EXTENSION citus and add the workers, then call crmscm.distribute() again.';
	END IF;
	-- one distribute() at a time (a second caller waits, then finds nothing to do)
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('crmscm.distribute()')::bigint);

	-- Tables of the schema with a tenant_id that are not distributed yet.
	SELECT pg_catalog.array_agg(c.oid::regclass ORDER BY c.relname) INTO todo
	FROM pg_catalog.pg_class c
	WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
	  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::"char"[])
	  AND NOT c.relispartition
	  AND EXISTS (SELECT FROM pg_catalog.pg_attribute a
				  WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid
					AND a.attname OPERATOR(pg_catalog.=) 'tenant_id' AND NOT a.attisdropped)
	  AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
					  WHERE p.logicalrelid OPERATOR(pg_catalog.=) c.oid::regclass);
	IF todo IS NULL THEN
		/* everything is distributed already; workers added since get their
		 * id ranges (the copy of a worker that had crmscm before it joined);
		 * functions added by an upgrade are distributed */
		PERFORM @extschema@._citus_distribute_sequences();
		SELECT p.logicalrelid INTO anchor
		FROM pg_catalog.pg_dist_partition p
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid
		WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
		ORDER BY c.relname LIMIT 1;
		IF anchor IS NOT NULL THEN
			PERFORM @extschema@._citus_distribute_functions(anchor);
		END IF;
		RETURN;
	END IF;

	-- Tables of the schema distributed already (by an earlier call): they
	-- must be hash-distributed by tenant_id; the new ones join their group.
	SELECT pg_catalog.string_agg(p.logicalrelid::text, ', ') INTO bad
	FROM pg_catalog.pg_dist_partition p
	JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid
	WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
	  AND (p.partmethod OPERATOR(pg_catalog.<>) 'h'
		   OR pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) OPERATOR(pg_catalog.<>) 'tenant_id');
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'crmscm.distribute(): table(s) % are Citus tables but not hash-distributed by tenant_id', bad
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Undistribute them (undistribute_table) and call crmscm.distribute() again.';
	END IF;
	SELECT p.logicalrelid INTO anchor
	FROM pg_catalog.pg_dist_partition p
	JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid
	WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
	ORDER BY c.relname LIMIT 1;

	-- Policies Citus cannot carry to the shards as they are.
	SELECT pg_catalog.string_agg(pg_catalog.format('%I (%s tables, e.g. %s)', x.polname, x.n, x.tab), ', ') INTO bad
	FROM (SELECT p.polname, pg_catalog.min(p.polrelid::regclass::text) AS tab, pg_catalog.count(*) AS n
		  FROM pg_catalog.pg_policy p
		  WHERE p.polrelid OPERATOR(pg_catalog.=) ANY (todo)
			AND (NOT p.polpermissive
				 OR pg_catalog.strpos(p.polqual::text, '{SUBLINK') OPERATOR(pg_catalog.>) 0
				 OR pg_catalog.strpos(p.polwithcheck::text, '{SUBLINK') OPERATOR(pg_catalog.>) 0)
		  GROUP BY p.polname) x;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'crmscm.distribute(): Citus cannot distribute the row-level security policies %', bad
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'Citus 12 rejects subqueries in policies of distributed tables and recreates RESTRICTIVE policies as permissive on the shards.',
				  HINT = 'crmscm''s own policy is tenant_isolation (tenant_id = crmscm.current_tenant()); drop the others and call crmscm.distribute() again.';
	END IF;

	-- 1. remember and drop the foreign keys from or to a table to distribute
	FOR fk IN
		SELECT c.conrelid::regclass AS tab, c.conname,
			   pg_catalog.pg_get_constraintdef(c.oid) AS def
		FROM pg_catalog.pg_constraint c
		WHERE c.contype OPERATOR(pg_catalog.=) 'f'
		  AND (c.conrelid OPERATOR(pg_catalog.=) ANY (todo) OR c.confrelid OPERATOR(pg_catalog.=) ANY (todo))
		ORDER BY c.conrelid::regclass::text, c.conname
	LOOP
		fks := fks OPERATOR(pg_catalog.||) pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s',
															   fk.tab, fk.conname, fk.def);
		drops := drops OPERATOR(pg_catalog.||) pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I',
																 fk.tab, fk.conname);
		EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tab, fk.conname);
	END LOOP;

	-- 2. switch our triggers off while Citus copies the rows of a populated
	-- install into the shards: the copy is an INSERT into each shard, and
	-- the triggers, created on the shards first, would fire for it (guards
	-- reject the rows; stock moves would be booked into inventory twice).
	-- The disabled state goes to the shards with the table; re-enabling it
	-- below is propagated.
	FOR tg IN
		SELECT g.tgrelid::regclass AS tab, g.tgname, g.tgenabled
		FROM pg_catalog.pg_trigger g
		WHERE g.tgrelid OPERATOR(pg_catalog.=) ANY (todo) AND NOT g.tgisinternal
		  AND g.tgenabled OPERATOR(pg_catalog.<>) 'D'
		ORDER BY g.tgrelid::regclass::text, g.tgname
	LOOP
		enables := enables OPERATOR(pg_catalog.||) pg_catalog.format('ALTER TABLE %s ENABLE %s TRIGGER %I', tg.tab,
			CASE tg.tgenabled WHEN 'A' THEN 'ALWAYS' WHEN 'R' THEN 'REPLICA' ELSE '' END, tg.tgname);
	END LOOP;
	FOREACH t IN ARRAY todo
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER USER', t);
	END LOOP;

	-- 3. distribute, all in one co-location group.  Our triggers touch only
	-- rows of the firing row's tenant, which live in co-located shards: what
	-- citus.enable_unsafe_triggers asks for (doc/citus.md).  Then drop the
	-- coordinator's local copy of the rows (Citus keeps them on disk, out of
	-- sight), while the triggers (TRUNCATE ones too) are still off.
	PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
	FOREACH t IN ARRAY todo
	LOOP
		IF anchor IS NULL THEN
			PERFORM pg_catalog.create_distributed_table(t, 'tenant_id', colocate_with => 'none');
			anchor := t;
		ELSE
			PERFORM pg_catalog.create_distributed_table(t, 'tenant_id', colocate_with => anchor::text);
		END IF;
	END LOOP;
	FOREACH t IN ARRAY todo
	LOOP
		PERFORM pg_catalog.truncate_local_data_after_distributing_table(t);
	END LOOP;
	FOREACH stmt IN ARRAY enables
	LOOP
		EXECUTE stmt;
	END LOOP;

	-- 4. the same drops again, now propagated to the workers' copies of the
	-- tables (on the coordinator they are gone already: IF EXISTS)
	FOREACH stmt IN ARRAY drops
	LOOP
		EXECUTE stmt;
	END LOOP;

	-- 5. re-create the foreign keys, between co-located distributed tables
	FOREACH stmt IN ARRAY fks
	LOOP
		EXECUTE stmt;
	END LOOP;
	PERFORM @extschema@._citus_distribute_sequences();
	PERFORM @extschema@._citus_distribute_functions(anchor);
END
$fn$;

COMMENT ON FUNCTION @extschema@.distribute() IS
	'With Citus installed: distributes every crmscm table by tenant_id in one co-location group and re-creates the foreign keys; a second call does nothing; without Citus an error (SQLSTATE 0A000)';
