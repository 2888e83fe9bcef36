-- Capture in session_replication_role = replica, as a logical replication
-- apply worker (or a replication tool, or a DBA) writes: the statement
-- triggers do not fire there, the row trigger does, and every change is
-- captured exactly once, whatever the role; rows the row trigger keeps go
-- into the delta table at commit, or before an apply in the same
-- transaction, and a rolled back subtransaction takes its rows along.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS incrload CASCADE;
RESET client_min_messages;
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE t (id int PRIMARY KEY, g int, a int, body text);
INSERT INTO t SELECT i, i % 3, i, 'b' || i FROM generate_series(1, 10) i;
SELECT reg('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(body) AS m FROM t GROUP BY g');

-- how each capture trigger fires
SELECT tgname, tgenabled, tgtype & 1 = 1 AS for_each_row FROM pg_trigger
 WHERE tgrelid = 't'::regclass ORDER BY tgname;

-- Captured rows per weight of the last transaction that wrote to t: each
-- change once.
CREATE FUNCTION captured() RETURNS TABLE (w int2, n bigint) LANGUAGE sql AS $$
  SELECT __incrload_w, count(*) FROM incrload.t_delta
   WHERE __incrload_xid = (SELECT max(__incrload_xid) FROM incrload.t_delta)
   GROUP BY 1 ORDER BY 1 $$;

SET session_replication_role = replica;
INSERT INTO t VALUES (11, 1, 11, 'r11'), (12, 2, 12, 'r12');
SELECT * FROM captured();
UPDATE t SET a = a + 100 WHERE id <= 4;
SELECT * FROM captured();
DELETE FROM t WHERE id = 5;
SELECT * FROM captured();
COPY t FROM STDIN;
13	0	13	copied
14	\N	\N	\N
\.
SELECT * FROM captured();
-- origin and replica role in one transaction: each statement captured once
BEGIN;
INSERT INTO t VALUES (15, 0, 15, 'replica');
SET LOCAL session_replication_role = origin;
INSERT INTO t VALUES (16, 0, 16, 'origin');
UPDATE t SET a = -a WHERE id IN (15, 16);
COMMIT;
SELECT * FROM captured();
SELECT incrload_refresh('v') > 0 AS applied;
SELECT v, diff(v, q) FROM views;

-- subtransactions: a rolled back one takes its rows along, a released one
-- hands them to its parent
BEGIN;
INSERT INTO t VALUES (20, 1, 20, 'kept');
SAVEPOINT a;
INSERT INTO t VALUES (21, 1, 21, 'rolled back');
SAVEPOINT b;
INSERT INTO t VALUES (22, 1, 22, 'rolled back with a');
RELEASE b;
ROLLBACK TO a;
INSERT INTO t VALUES (23, 2, 23, 'after a');
SAVEPOINT c;
UPDATE t SET g = 0 WHERE id = 23;
RELEASE c;
SAVEPOINT d;
DELETE FROM t WHERE id = 20;
ROLLBACK TO d;
COMMIT;
SELECT * FROM captured();
SELECT incrload_refresh('v') > 0 AS applied;
SELECT v, diff(v, q) FROM views;

-- a refresh in the writing transaction applies its own kept rows; one in
-- a subtransaction that is rolled back is undone, its rows flushed again
BEGIN;
INSERT INTO t VALUES (30, 1, 30, 'before refresh');
SELECT incrload_refresh('v') > 0 AS applied;
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(body) AS m FROM t GROUP BY g');
INSERT INTO t VALUES (31, 1, 31, 'after refresh');
SAVEPOINT a;
INSERT INTO t VALUES (32, 1, 32, 'in a');
SELECT incrload_refresh('v') > 0 AS applied;
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(body) AS m FROM t GROUP BY g');
ROLLBACK TO a;
SAVEPOINT b;
INSERT INTO t VALUES (33, 2, 33, 'in b');
SELECT incrload_refresh('v') > 0 AS applied;
RELEASE b;
INSERT INTO t VALUES (34, 2, 34, 'last');
COMMIT;
SELECT * FROM captured();
SELECT incrload_refresh('v') > 0 AS applied;
SELECT v, diff(v, q) FROM views;
BEGIN;
SAVEPOINT a;
INSERT INTO t VALUES (35, 1, 35, 'a');
SAVEPOINT b;
SELECT incrload_refresh('v') > 0 AS applied;
RELEASE b;
ROLLBACK TO a;
INSERT INTO t VALUES (36, 1, 36, 'after');
COMMIT;
SELECT * FROM captured();
SELECT incrload_refresh('v') > 0 AS applied;
SELECT v, diff(v, q) FROM views;

-- values stored out of line, and a TRUNCATE before the rows are flushed
BEGIN;
INSERT INTO t SELECT i, 1, i, (SELECT string_agg(md5(i::text || j::text), '') FROM generate_series(1, 200) j)
  FROM generate_series(40, 43) i;
UPDATE t SET g = 2 WHERE id = 40;
TRUNCATE t;
INSERT INTO t SELECT i, i % 3, i, repeat('x', i) FROM generate_series(1, 5) i;
COMMIT;
SELECT * FROM captured();
SELECT incrload_refresh('v') > 0 AS applied;
SELECT v, diff(v, q) FROM views;
BEGIN;
INSERT INTO t SELECT i, 1, i, (SELECT string_agg(md5(i::text || j::text), '') FROM generate_series(1, 200) j)
  FROM generate_series(50, 51) i;
COMMIT;
SELECT incrload_refresh('v') > 0 AS applied;
SELECT v, diff(v, q) FROM views;

-- a prepared transaction: kept rows are written when it prepares
BEGIN;
INSERT INTO t VALUES (60, 0, 60, 'prepared');
DELETE FROM t WHERE id = 1;
PREPARE TRANSACTION 'replica_role';
COMMIT PREPARED 'replica_role';
SELECT * FROM captured();
SELECT incrload_refresh('v') > 0 AS applied;
SELECT v, diff(v, q) FROM views;

-- a view registered over a table in the same transaction as rows were kept,
-- and a delta table that goes away before the commit
BEGIN;
INSERT INTO t VALUES (70, 0, 70, 'then registered');
CREATE TABLE u (id int, x int);
INSERT INTO u VALUES (1, 1);
SELECT reg('w', 'SELECT x, count(*) AS n FROM u GROUP BY x');
INSERT INTO u VALUES (2, 2);
SELECT incrload_unregister_view('w');
INSERT INTO u VALUES (3, 3);
SELECT reg('w', 'SELECT x, count(*) AS n FROM u GROUP BY x');
INSERT INTO u VALUES (4, 4);
COMMIT;
SELECT incrload_refresh('v') > 0 AS applied, incrload_refresh('w') > 0 AS applied_w;
DELETE FROM views WHERE v::oid NOT IN (SELECT oid FROM pg_class);
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- partitions: rows are written in the leaves, whose row triggers capture
-- them into the root's delta table; a partition created in replica role
-- is captured too
CREATE TABLE m (id int, k int, x int) PARTITION BY LIST (k);
CREATE TABLE m_1 PARTITION OF m FOR VALUES IN (1);
CREATE TABLE m_2 PARTITION OF m FOR VALUES IN (2, 3) PARTITION BY LIST (k);
CREATE TABLE m_2a PARTITION OF m_2 FOR VALUES IN (2);
CREATE TABLE m_2b (x int, k int, id int);
ALTER TABLE m_2 ATTACH PARTITION m_2b FOR VALUES IN (3);
SELECT reg('mv', 'SELECT k, count(*) AS n, sum(x) AS s FROM m GROUP BY k');
SELECT c.relname, string_agg(tgname || ':' || tgenabled::text, ' ' ORDER BY tgname)
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
 WHERE c.relname LIKE 'm%' AND tgname LIKE 'incrload%' GROUP BY 1 ORDER BY 1;
INSERT INTO m SELECT i, i % 3 + 1, i FROM generate_series(1, 9) i;
INSERT INTO m_2b VALUES (100, 3, 10);
UPDATE m SET k = 1 WHERE id IN (2, 3);
DELETE FROM m_2 WHERE id = 5;
CREATE TABLE m_4 PARTITION OF m FOR VALUES IN (4);
INSERT INTO m VALUES (10, 4, 10);
SELECT incrload_refresh('mv') > 0 AS applied;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- incrload's event triggers fire in replica role too
ALTER TABLE t DISABLE TRIGGER incrload_capture_row;
DROP TRIGGER incrload_capture_ins ON m_4;
RESET session_replication_role;

-- the firing of the capture triggers cannot be changed: on origin and
-- replica alike, a change would be lost or captured twice
ALTER TABLE t ENABLE ALWAYS TRIGGER incrload_capture_ins;
ALTER TABLE t ENABLE REPLICA TRIGGER incrload_capture_upd;
ALTER TABLE t ENABLE TRIGGER incrload_capture_row;
ALTER TABLE t ENABLE ALWAYS TRIGGER incrload_capture_row;
ALTER TABLE t ENABLE TRIGGER incrload_capture_trunc;
ALTER TABLE t ENABLE TRIGGER ALL;
ALTER TABLE m_1 DISABLE TRIGGER incrload_capture_row;
ALTER TABLE t ENABLE TRIGGER incrload_capture_ins;
DROP TRIGGER incrload_capture_row ON t;
-- on the storage table of a view another view reads, what pg_restore runs
-- to make the row trigger fire as it did is taken; another firing is not
SELECT reg('inner_v', 'SELECT id, a FROM t');
SELECT reg('outer_v', 'SELECT count(*) AS n, sum(a) AS s FROM inner_v');
ALTER TABLE incrload.inner_v_storage ENABLE REPLICA TRIGGER incrload_capture_row;
ALTER TABLE incrload.inner_v_storage ENABLE ALWAYS TRIGGER incrload_capture_row;
SELECT tgname, tgenabled FROM pg_trigger
 WHERE tgrelid = 'incrload.inner_v_storage'::regclass AND tgname LIKE 'incrload_capture%' ORDER BY tgname;
SELECT v, diff(v, q) FROM views WHERE v::text IN ('inner_v', 'outer_v') ORDER BY v::text;
DELETE FROM views WHERE v::text IN ('inner_v', 'outer_v');
SELECT incrload_unregister_view('outer_v'), incrload_unregister_view('inner_v');

-- the misuse of the trigger function as a row trigger
CREATE TABLE plain (id int);
CREATE TRIGGER bad AFTER INSERT ON plain FOR EACH ROW EXECUTE FUNCTION incrload_capture();
SET session_replication_role = replica;
INSERT INTO plain VALUES (1);
RESET session_replication_role;
INSERT INTO plain VALUES (1);
DROP TABLE plain;

-- triggers made by an older build (statement triggers firing always, no
-- row trigger) are put right by the next registration over the table
ALTER EVENT TRIGGER incrload_ddl_end DISABLE;
ALTER EVENT TRIGGER incrload_sql_drop DISABLE;
ALTER TABLE t ENABLE ALWAYS TRIGGER incrload_capture_ins,
  ENABLE ALWAYS TRIGGER incrload_capture_upd, ENABLE ALWAYS TRIGGER incrload_capture_del;
DROP TRIGGER incrload_capture_row ON t;
ALTER EVENT TRIGGER incrload_ddl_end ENABLE ALWAYS;
ALTER EVENT TRIGGER incrload_sql_drop ENABLE ALWAYS;
SELECT reg('v2', 'SELECT count(*) AS n, sum(a) AS s FROM t');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 't'::regclass ORDER BY tgname;
SET session_replication_role = replica;
INSERT INTO t VALUES (80, 1, 80, 'after the repair');
RESET session_replication_role;
UPDATE t SET a = a + 1 WHERE id = 80;
SELECT incrload_refresh('v') > 0 AS applied, incrload_refresh('v2') > 0 AS applied_v2;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

DROP FUNCTION captured();
DROP EXTENSION incrload CASCADE;
DROP TABLE t, u, m;
\i sql/include/helpers_end.sql
