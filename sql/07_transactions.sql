-- Watermarks inside one session: refreshes inside transactions that wrote,
-- savepoints, and changes after a refresh in the same transaction.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE t (id int, g int, a int);
INSERT INTO t SELECT i, i % 3, i FROM generate_series(1, 10) i;
SELECT incrload_register_view('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');

-- a refresh sees the transaction's own writes, and what the transaction
-- writes after it is applied by the next refresh, exactly once
BEGIN;
INSERT INTO t VALUES (11, 1, 11);
SELECT incrload_refresh('v');
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');
INSERT INTO t VALUES (12, 2, 12);
DELETE FROM t WHERE id = 1;
SELECT incrload_refresh('v');
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');
UPDATE t SET g = 0 WHERE id = 12;
COMMIT;
SELECT incrload_refresh('v');
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');
SELECT incrload_refresh('v');

-- a refresh rolled back with the writes it applied
BEGIN;
INSERT INTO t VALUES (13, 0, 13);
SELECT incrload_refresh('v');
ROLLBACK;
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');
SELECT incrload_refresh('v');

-- savepoints: the rolled-back part is never applied
BEGIN;
INSERT INTO t VALUES (14, 1, 14);
SAVEPOINT s;
INSERT INTO t VALUES (15, 1, 1500);
SELECT incrload_refresh('v');
ROLLBACK TO s;
INSERT INTO t VALUES (16, 2, 16);
COMMIT;
SELECT incrload_refresh('v');
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');

-- REPEATABLE READ callers refresh in their own snapshot
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO t VALUES (17, 0, 17);
SELECT incrload_refresh('v');
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');
COMMIT;
SELECT incrload_refresh('v');
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');

-- MERGE fires the same statement triggers: inserts, updates and deletes in one
MERGE INTO t USING (SELECT i FROM generate_series(10, 20) i) s ON t.id = s.i
  WHEN MATCHED AND s.i % 2 = 0 THEN DELETE
  WHEN MATCHED THEN UPDATE SET a = a * 10, g = (g + 1) % 3
  WHEN NOT MATCHED THEN INSERT VALUES (s.i, s.i % 3, s.i);
SELECT incrload_refresh('v') > 0 AS consumed;
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g');

DROP EXTENSION incrload CASCADE;
DROP TABLE t;
\i sql/include/helpers_end.sql
