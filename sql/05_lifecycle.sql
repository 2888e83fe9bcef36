-- A view's whole life: verify, full refresh, pause and resume, unregister
-- (dropping or keeping the rows), DROP of the view or of a base table,
-- and DROP EXTENSION, each leaving nothing behind.
CREATE EXTENSION incrload;
CREATE TABLE t (id int PRIMARY KEY, g int, a int);
CREATE TABLE u (id int PRIMARY KEY, t_id int);
INSERT INTO t SELECT i, i % 3, i FROM generate_series(1, 20) i;
INSERT INTO u SELECT i, i FROM generate_series(1, 10) i;

\i sql/include/helpers.sql

SELECT incrload_register_view('by_g', 'SELECT g, count(*) AS n, sum(a) AS s FROM t GROUP BY g', '5 minutes');
SELECT incrload_register_view('joined', 'SELECT t.id, t.a FROM t JOIN u ON u.t_id = t.id');
SELECT view_name, refresh_interval, state FROM incrload_stats ORDER BY 1;

-- verify: applies what is pending, then compares in the same snapshot
INSERT INTO t VALUES (100, 1, 100);
SELECT * FROM incrload_verify('by_g');
SELECT last_verify IS NOT NULL AS verified, last_verify_mismatches, pending_changes FROM incrload_stats WHERE view_name = 'by_g'::regclass;

-- drift made behind incrload's back is found by verify and mended by a full
-- refresh (the storage table refuses changes; a superuser gets around its
-- guard with session_replication_role = replica, as around any trigger)
SET session_replication_role = replica;
UPDATE incrload.by_g_storage SET n = n + 1 WHERE g = 1;
RESET session_replication_role;
SELECT * FROM incrload_verify('by_g');
SELECT last_verify_mismatches FROM incrload_stats WHERE view_name = 'by_g'::regclass;
SELECT incrload_full_refresh('by_g');
SELECT * FROM incrload_verify('by_g');

-- a count driven below zero is noticed and the view recomputed
SET session_replication_role = replica;
DELETE FROM incrload.by_g_storage WHERE g = 2;
RESET session_replication_role;
DELETE FROM t WHERE id = 2;
SELECT incrload_refresh('by_g');
SELECT * FROM by_g ORDER BY g;
SELECT * FROM incrload_verify('by_g');

-- pause and resume change only the background state
SELECT incrload_pause('by_g');
SELECT state FROM incrload_stats WHERE view_name = 'by_g'::regclass;
INSERT INTO t VALUES (101, 0, 1);
SELECT pending_changes FROM incrload_stats WHERE view_name = 'by_g'::regclass;
SELECT incrload_refresh('by_g');            -- a manual refresh still works
SELECT state FROM incrload_stats WHERE view_name = 'by_g'::regclass;
SELECT incrload_resume('by_g');
SELECT state FROM incrload_stats WHERE view_name = 'by_g'::regclass;

-- DROP TABLE of a base table is refused while a view reads it ...
DROP TABLE u;
-- ... and with CASCADE unregisters that view cleanly
DROP TABLE u CASCADE;
SELECT view_name FROM incrload_stats ORDER BY 1;
SELECT * FROM leftovers();

-- dropping the view's relation unregisters it
SELECT incrload_register_view('gone', 'SELECT a FROM t WHERE a > 10');
DROP VIEW gone;
SELECT view_name FROM incrload_stats ORDER BY 1;

-- unregister keeping the rows as a plain table
SELECT incrload_unregister_view('by_g', drop_table => false);
SELECT relkind FROM pg_class WHERE relname = 'by_g';
SELECT * FROM by_g ORDER BY g;
SELECT * FROM leftovers();
DROP TABLE by_g;

-- unregister dropping everything
SELECT incrload_register_view('again', 'SELECT g, max(a) AS m FROM t GROUP BY g');
SELECT incrload_unregister_view('again');
SELECT count(*) FROM pg_class WHERE relname = 'again';
SELECT * FROM leftovers();

-- a delta table shared by two views survives the first unregister
SELECT incrload_register_view('one', 'SELECT g FROM t GROUP BY g');
SELECT incrload_register_view('two', 'SELECT a FROM t');
SELECT incrload_unregister_view('one');
SELECT * FROM leftovers();
INSERT INTO t VALUES (200, 5, 5);
SELECT incrload_refresh('two');
SELECT count(*) FROM two WHERE a = 5;

-- DROP EXTENSION needs CASCADE while views exist, then leaves nothing
DROP EXTENSION incrload;
DROP EXTENSION incrload CASCADE;
SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'incrload%';
SELECT count(*) FROM pg_namespace WHERE nspname = 'incrload';
SELECT count(*) FROM pg_proc WHERE proname LIKE 'incrload%';
DROP TABLE t;
\i sql/include/helpers_end.sql
