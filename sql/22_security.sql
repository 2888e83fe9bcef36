-- Security on a shared server, tried as an attacker would (issue 16).
-- alice registers views and is hostile; bob owns the base table and
-- grants alice SELECT; carol registers a view of her own; writer only
-- writes; nobody has no grant at all; monitor is in pg_monitor.  Each
-- section says what must hold.  (Error texts, the worker and superuser
-- escalation through the worker: test/t/060_security.pl.)
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE ROLE regress_incrload_alice;
CREATE ROLE regress_incrload_bob;
CREATE ROLE regress_incrload_carol;
CREATE ROLE regress_incrload_writer;
CREATE ROLE regress_incrload_nobody;
CREATE ROLE regress_incrload_monitor IN ROLE pg_monitor;
CREATE SCHEMA regress_alice AUTHORIZATION regress_incrload_alice;
CREATE SCHEMA regress_bob AUTHORIZATION regress_incrload_bob;
CREATE SCHEMA regress_carol AUTHORIZATION regress_incrload_carol;
GRANT USAGE ON SCHEMA regress_alice, regress_bob, regress_carol TO PUBLIC;
-- as in the issue: a DBA granted every function of the extension
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public
  TO regress_incrload_alice, regress_incrload_bob, regress_incrload_carol;

SET ROLE regress_incrload_bob;
CREATE TABLE regress_bob.t (id int PRIMARY KEY, g int, secret text);
INSERT INTO regress_bob.t VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');
GRANT SELECT, TRIGGER ON regress_bob.t TO regress_incrload_alice, regress_incrload_carol;
GRANT INSERT, UPDATE, DELETE ON regress_bob.t TO regress_incrload_writer;
RESET ROLE;

SET ROLE regress_incrload_alice;
-- fails when it runs with a superuser's rights
CREATE FUNCTION regress_alice.spy(bigint) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'alice''s code runs with a superuser''s rights';
  END IF;
  RETURN true;
END $$;
-- tells when it can read incrload's delta table of t
CREATE FUNCTION regress_alice.peek(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM FROM incrload.t_delta;
  RAISE NOTICE 'peek read the delta table';
  RETURN true;
EXCEPTION WHEN insufficient_privilege THEN
  RETURN true;
END $$;
CREATE FUNCTION regress_alice.trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NULL; END $$;
SELECT incrload_register_view('regress_alice.v_group', 'SELECT g, count(*) AS n FROM regress_bob.t GROUP BY g');
SELECT incrload_register_view('regress_alice.v_having',
  'SELECT g, count(*) AS n FROM regress_bob.t GROUP BY g HAVING regress_alice.spy(count(*))');
SELECT incrload_register_view('regress_alice.v_distinct', 'SELECT DISTINCT g FROM regress_bob.t');
SELECT incrload_register_view('regress_alice.v_global', 'SELECT count(*) AS n, count(DISTINCT g) AS dg FROM regress_bob.t');
SELECT incrload_register_view('regress_alice.v_rows', 'SELECT id, g FROM regress_bob.t');
SELECT incrload_register_view('regress_alice.v_peek', 'SELECT id FROM regress_bob.t WHERE regress_alice.peek(id)');
RESET ROLE;
SET ROLE regress_incrload_carol;
SELECT incrload_register_view('regress_carol.c', 'SELECT g, count(*) AS n FROM regress_bob.t GROUP BY g');
RESET ROLE;

-- 1. A registered view and its storage table cannot be replaced or
-- altered by hand, by their owner either: no new definition, row security,
-- policy, rule, trigger, column, constraint, owner or parent.
SET ROLE regress_incrload_alice;
CREATE OR REPLACE VIEW regress_alice.v_group AS
  SELECT g, n FROM incrload.v_group_storage WHERE regress_alice.spy(n);
ALTER VIEW regress_alice.v_group SET (security_invoker = true);
ALTER VIEW regress_alice.v_group ALTER COLUMN n SET DEFAULT 0;
ALTER VIEW regress_alice.v_group RENAME COLUMN n TO m;
CREATE RULE r AS ON INSERT TO regress_alice.v_group DO INSTEAD NOTHING;
CREATE TRIGGER tr INSTEAD OF INSERT ON regress_alice.v_group
  FOR EACH ROW EXECUTE FUNCTION regress_alice.trig();
ALTER TABLE incrload.v_group_storage ENABLE ROW LEVEL SECURITY;
ALTER TABLE incrload.v_group_storage FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON incrload.v_group_storage USING (regress_alice.spy(n));
CREATE RULE r AS ON UPDATE TO incrload.v_group_storage DO ALSO NOTIFY alice;
CREATE TRIGGER tr BEFORE UPDATE ON incrload.v_group_storage
  FOR EACH ROW EXECUTE FUNCTION regress_alice.trig();
ALTER TABLE incrload.v_group_storage ADD COLUMN x int DEFAULT 0;
ALTER TABLE incrload.v_group_storage ALTER COLUMN n TYPE numeric;
ALTER TABLE incrload.v_group_storage ADD CHECK (regress_alice.spy(n));
ALTER TABLE incrload.v_group_storage SET UNLOGGED;
ALTER TABLE incrload.v_group_storage DISABLE TRIGGER incrload_guard;
ALTER TABLE incrload.v_group_storage RENAME TO mine;
ALTER TABLE incrload.v_group_storage RENAME COLUMN n TO m;
ALTER TABLE incrload.v_group_storage SET SCHEMA regress_alice;
ALTER TABLE incrload.v_global_storage_d1 ADD COLUMN x int;
CREATE TABLE regress_alice.child () INHERITS (incrload.v_group_storage);
DROP TRIGGER incrload_guard ON incrload.v_group_storage;
-- free: indexes, storage parameters, the view's name, comments, privileges
ALTER TABLE incrload.v_group_storage SET (fillfactor = 90);
ALTER VIEW regress_alice.v_group RENAME TO v_group2;
ALTER VIEW regress_alice.v_group2 RENAME TO v_group;
COMMENT ON VIEW regress_alice.v_group IS 'alice''s';
GRANT SELECT ON regress_alice.v_group TO regress_incrload_nobody;
RESET ROLE;
CREATE INDEX ON incrload.v_group_storage (n);
-- not even a superuser replaces it
CREATE OR REPLACE VIEW regress_alice.v_group AS SELECT 1 AS g, 1::bigint AS n;

-- Unregistering with drop_table => false reads the view as its owner (in a
-- security-restricted operation): a superuser who unregisters alice's view
-- does not run her HAVING with a superuser's rights.  The table is hers.
SELECT incrload_unregister_view('regress_alice.v_having', drop_table => false);
SELECT c.relkind, pg_get_userbyid(c.relowner) FROM pg_class c
 WHERE c.oid = 'regress_alice.v_having'::regclass;
SET ROLE regress_incrload_alice;
SELECT * FROM regress_alice.v_having ORDER BY g;
RESET ROLE;

-- 8. Registered views are not writable (most are simple views over their
-- storage table, which PostgreSQL would update), nor their storage and set
-- tables: by the owner ...
SET ROLE regress_incrload_alice;
DELETE FROM regress_alice.v_distinct;
UPDATE regress_alice.v_group SET n = n + 100;
INSERT INTO regress_alice.v_group VALUES (9, 9);
INSERT INTO regress_alice.v_rows VALUES (9, 9);
DELETE FROM incrload.v_group_storage;
MERGE INTO incrload.v_group_storage s USING (SELECT 1 AS g) x ON s.g = x.g
  WHEN MATCHED THEN DELETE;
TRUNCATE incrload.v_group_storage;
COPY incrload.v_distinct_storage (g, __incrload_count) FROM stdin;
9	1
\.
DELETE FROM incrload.v_global_storage_d1;
RESET ROLE;
-- ... nor by a superuser
DELETE FROM regress_alice.v_distinct;
UPDATE incrload.v_group_storage SET n = 0;
TRUNCATE incrload.v_global_storage_d1;
-- ... nor by code incrload's apply calls (a volatile function of a
-- mode => 'full' query): incrload's own statement writes the storage
-- table, what it calls does not
SET ROLE regress_incrload_alice;
CREATE FUNCTION regress_alice.scribble(int) RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  DELETE FROM incrload.v_group_storage;
  RAISE NOTICE 'scribble deleted the rows of v_group';
  RETURN $1;
EXCEPTION WHEN wrong_object_type THEN
  RETURN $1;
END $$;
SELECT incrload_register_view('regress_alice.v_full',
  'SELECT id, regress_alice.scribble(id) AS s FROM regress_bob.t', mode => 'full');
SELECT incrload_refresh('regress_alice.v_full');
SELECT * FROM incrload_verify('regress_alice.v_full');
RESET ROLE;
-- every view still shows its query's rows
SELECT diff('regress_alice.v_group', 'SELECT g, count(*) AS n FROM regress_bob.t GROUP BY g') AS v_group,
       diff('regress_alice.v_distinct', 'SELECT DISTINCT g FROM regress_bob.t') AS v_distinct,
       diff('regress_alice.v_global', 'SELECT count(*) AS n, count(DISTINCT g) AS dg FROM regress_bob.t') AS v_global,
       diff('regress_alice.v_rows', 'SELECT id, g FROM regress_bob.t') AS v_rows;

-- 9. Capture is incrload's alone: a table owner (who was granted EXECUTE on
-- every function) cannot add a second capture trigger, which would count
-- changes twice, nor replace or rename incrload's.
SET ROLE regress_incrload_bob;
CREATE TRIGGER dup AFTER INSERT ON regress_bob.t REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION incrload_capture();
CREATE FUNCTION regress_bob.nothing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NULL; END $$;
CREATE OR REPLACE TRIGGER incrload_capture_ins AFTER INSERT ON regress_bob.t
  FOR EACH STATEMENT EXECUTE FUNCTION regress_bob.nothing();
ALTER TRIGGER incrload_capture_ins ON regress_bob.t RENAME TO mine;
CREATE TABLE regress_bob.u (id int);
CREATE TRIGGER incrload_capture_ins AFTER INSERT ON regress_bob.u REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION incrload_capture();
RESET ROLE;
SELECT has_function_privilege('regress_incrload_nobody', 'incrload_capture()', 'EXECUTE') AS capture,
       has_function_privilege('regress_incrload_nobody', 'incrload_guard()', 'EXECUTE') AS guard;
-- The delta table changes only through capture (and the worker's garbage
-- collection), not by a superuser's hand either.
DELETE FROM incrload.t_delta;
UPDATE incrload.t_delta SET __incrload_w = 1;
INSERT INTO incrload.t_delta SELECT * FROM incrload.t_delta;
TRUNCATE incrload.t_delta;
ALTER TABLE incrload.t_delta ADD COLUMN x int;
ALTER TABLE incrload.t_delta DISABLE TRIGGER incrload_guard;
ALTER TABLE incrload.t_delta RENAME TO mine;
CREATE TRIGGER mine BEFORE INSERT ON incrload.t_delta
  FOR EACH STATEMENT EXECUTE FUNCTION regress_bob.nothing();
DROP TRIGGER incrload_guard ON incrload.t_delta;
ALTER TABLE incrload.t_delta SET (autovacuum_vacuum_scale_factor = 0.02);
-- writes are captured once
SET ROLE regress_incrload_writer;
INSERT INTO regress_bob.t VALUES (4, 3, 'd');
RESET ROLE;
SELECT pg_catalog.count(*) FROM incrload.t_delta;

-- 2. A view's owner holds no right on delta tables (they hold every column
-- of every later change); her applies read them as incrload.  Her own code,
-- called by her apply, cannot read them either.
SET ROLE regress_incrload_alice;
SELECT * FROM incrload.t_delta;
SELECT incrload_refresh('regress_alice.v_peek');
-- nor can her query read it, directly or through a plain view
SELECT incrload_register_view('regress_alice.v_delta', 'SELECT g FROM regress_bob.t JOIN incrload.t_delta d USING (g)');
CREATE VIEW regress_alice.dv AS SELECT * FROM incrload.t_delta;
SELECT incrload_register_view('regress_alice.v_delta', 'SELECT t.g FROM regress_bob.t JOIN regress_alice.dv d USING (id)');
SELECT incrload_register_view('regress_alice.v_delta', 'SELECT t.g FROM regress_bob.t JOIN regress_alice.dv d USING (id)', mode => 'full');
RESET ROLE;
SELECT has_table_privilege('regress_incrload_alice', 'incrload.t_delta', 'SELECT') AS alice,
       has_table_privilege('regress_incrload_carol', 'incrload.t_delta', 'SELECT') AS carol;
-- after bob takes SELECT back, alice's next apply fails with a permission
-- error, as REFRESH MATERIALIZED VIEW would
SET ROLE regress_incrload_bob;
REVOKE SELECT ON regress_bob.t FROM regress_incrload_alice;
RESET ROLE;
SET ROLE regress_incrload_writer;
INSERT INTO regress_bob.t VALUES (6, 1, 'the secret');
RESET ROLE;
SET ROLE regress_incrload_alice;
SELECT incrload_refresh('regress_alice.v_group');
SELECT secret FROM incrload.t_delta;
RESET ROLE;

-- 4. The pending changes of a view tell when and how much its tables are
-- written: shown to whoever may read every base table, and to
-- pg_read_all_stats (pg_monitor); others still see states and counts.
SET ROLE regress_incrload_nobody;
SELECT view_name, state, refreshes, pending_changes, oldest_pending_change, freshness_lag
  FROM incrload_stats ORDER BY view_name::text;
RESET ROLE;
SET ROLE regress_incrload_monitor;
SELECT view_name, pending_changes, oldest_pending_change IS NOT NULL AS oldest,
       freshness_lag IS NOT NULL AS lag
  FROM incrload_stats ORDER BY view_name::text;
RESET ROLE;
-- carol may read t; alice no longer may, not even for her own views
SET ROLE regress_incrload_carol;
SELECT view_name, pending_changes FROM incrload_stats ORDER BY view_name::text;
RESET ROLE;
SET ROLE regress_incrload_alice;
SELECT view_name, pending_changes FROM incrload_stats ORDER BY view_name::text;
RESET ROLE;
-- An error message can quote row values: it is shown to the view's owner
-- and to pg_read_all_stats only.  (The worker writes it, as here;
-- test/t/060_security.pl has a real one.)
UPDATE incrload.view SET last_error = 'invalid input syntax for type integer: "the secret"'
 WHERE view_name = 'regress_alice.v_group'::regclass;
INSERT INTO incrload.refresh_history (view_name, kind, origin, started_at, duration, outcome, error)
  VALUES ('regress_alice.v_group', 'incremental', 'worker', now(), '1 second', 'error',
          'invalid input syntax for type integer: "the secret"');
SET ROLE regress_incrload_nobody;
SELECT view_name, state, failures, last_error FROM incrload_stats
 WHERE view_name = 'regress_alice.v_group'::regclass;
SELECT view_name, outcome, error FROM incrload_refresh_history WHERE outcome = 'error';
RESET ROLE;
SET ROLE regress_incrload_carol;
SELECT view_name, outcome, error FROM incrload_refresh_history WHERE outcome = 'error';
RESET ROLE;
SET ROLE regress_incrload_alice;
SELECT view_name, last_error FROM incrload_stats WHERE view_name = 'regress_alice.v_group'::regclass;
SELECT view_name, outcome, error FROM incrload_refresh_history WHERE outcome = 'error';
RESET ROLE;
SET ROLE regress_incrload_monitor;
SELECT view_name, last_error FROM incrload_stats WHERE view_name = 'regress_alice.v_group'::regclass;
SELECT view_name, outcome, error FROM incrload_refresh_history WHERE outcome = 'error';
RESET ROLE;

-- 3. A superuser whose search_path puts alice's schema first reads every
-- incrload view and calls every function: none of alice's functions and
-- operators runs.
CREATE SCHEMA regress_evil AUTHORIZATION regress_incrload_alice;
SET ROLE regress_incrload_alice;
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['regclass', 'oid', 'regrole', 'text', 'name', 'bigint', 'integer',
                           'smallint', 'boolean', 'xid8', 'interval', 'timestamptz'] LOOP
    EXECUTE format($f$CREATE FUNCTION regress_evil.trap(%1$s, %1$s) RETURNS boolean
      LANGUAGE plpgsql IMMUTABLE AS 'BEGIN RAISE EXCEPTION ''regress_evil operator on %1$s''; END'$f$, t);
    EXECUTE format('CREATE OPERATOR regress_evil.= (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = regress_evil.trap)', t);
    EXECUTE format('CREATE OPERATOR regress_evil.<> (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = regress_evil.trap)', t);
  END LOOP;
END $$;
CREATE FUNCTION regress_evil.trap(bigint, integer) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS
  'BEGIN RAISE EXCEPTION ''regress_evil operator on bigint, integer''; END';
CREATE OPERATOR regress_evil.= (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = regress_evil.trap);
CREATE FUNCTION regress_evil.trap_agg(bigint, bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS
  'BEGIN RAISE EXCEPTION ''regress_evil aggregate''; END';
CREATE FUNCTION regress_evil.trap_agg0(bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS
  'BEGIN RAISE EXCEPTION ''regress_evil aggregate''; END';
CREATE AGGREGATE regress_evil.count(bigint) (SFUNC = regress_evil.trap_agg, STYPE = bigint);
CREATE AGGREGATE regress_evil.count(*) (SFUNC = regress_evil.trap_agg0, STYPE = bigint);
CREATE AGGREGATE regress_evil.sum(bigint) (SFUNC = regress_evil.trap_agg, STYPE = bigint);
CREATE FUNCTION regress_evil.coalesce(anyelement, anyelement) RETURNS anyelement LANGUAGE plpgsql AS
  'BEGIN RAISE EXCEPTION ''regress_evil coalesce''; END';
CREATE FUNCTION regress_evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
  'BEGIN RAISE EXCEPTION ''regress_evil now''; END';
RESET ROLE;
SET search_path = regress_evil, public, pg_catalog;
SELECT incrload_register_view('regress_carol.s',
  $$SELECT g, pg_catalog.count(*) AS n, pg_catalog.sum(id) AS s FROM regress_bob.t GROUP BY g$$);
INSERT INTO regress_bob.t VALUES (5, 3, 'e');
SELECT incrload_refresh('regress_carol.s');
SELECT * FROM incrload_verify('regress_carol.s');
SELECT incrload_full_refresh('regress_carol.s');
SELECT incrload_alter_view('regress_carol.s', refresh_interval => '2 seconds', verify_interval => '1 hour');
SELECT incrload_pause('regress_carol.s');
SELECT incrload_resume('regress_carol.s');
SELECT incremental, kind, base_tables FROM incrload_explain($$SELECT g, pg_catalog.count(*) FROM regress_bob.t GROUP BY g$$);
SELECT view_name, state, pending_changes, last_error FROM incrload_stats ORDER BY view_name::text;
SELECT view_name, kind, origin, outcome, error FROM incrload_refresh_history
 WHERE view_name OPERATOR(pg_catalog.=) 'regress_carol.s'::regclass ORDER BY id;
SELECT view_name, attempts, refreshes_ok, success_rate, full_refreshes, verify_runs
  FROM incrload_slis() ORDER BY view_name::text;
SELECT * FROM incrload.apply_order ORDER BY view_name::text;
SELECT * FROM incrload.registered ORDER BY view_name::text;
ALTER TABLE regress_bob.t RENAME COLUMN secret TO secret2;
ALTER TABLE regress_bob.t RENAME COLUMN secret2 TO secret;
SELECT * FROM regress_carol.s ORDER BY g;
SELECT incrload_unregister_view('regress_carol.s', drop_table => false);
DROP TABLE regress_carol.s;
RESET search_path;

-- alice and carol unregister; the delta table carol keeps grants nothing to
-- anybody.  Views that name incrload's tables (anybody may make one) do not
-- keep the owners from unregistering.
SET ROLE regress_incrload_bob;
CREATE VIEW regress_bob.sv AS SELECT * FROM incrload.v_group_storage;
RESET ROLE;
SET ROLE regress_incrload_alice;
SELECT incrload_unregister_view('regress_alice.v_group');
SELECT incrload_unregister_view('regress_alice.v_distinct');
SELECT incrload_unregister_view('regress_alice.v_global');
SELECT incrload_unregister_view('regress_alice.v_rows');
SELECT incrload_unregister_view('regress_alice.v_peek');
SELECT incrload_unregister_view('regress_alice.v_full');
RESET ROLE;
SELECT c.relacl FROM pg_class c WHERE c.oid = 'incrload.t_delta'::regclass;
SET ROLE regress_incrload_carol;
SELECT incrload_unregister_view('regress_carol.c');
RESET ROLE;
SELECT * FROM leftovers();

DROP EXTENSION incrload CASCADE;
DROP SCHEMA regress_alice, regress_bob, regress_carol, regress_evil CASCADE;
DROP ROLE regress_incrload_alice, regress_incrload_bob, regress_incrload_carol,
  regress_incrload_writer, regress_incrload_nobody, regress_incrload_monitor;
\i sql/include/helpers_end.sql
