-- The catalog keeps each view's analyzed query (nodeToString), whose format
-- belongs to one PostgreSQL major; after pg_upgrade another major reads the
-- catalog.  A tree written by another major is never read: the query text
-- is analyzed again, the tree rewritten by this major, and the watermark
-- (pg_upgrade keeps xids) still holds, so the view stays incremental.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS incrload CASCADE;
RESET client_min_messages;
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE t (id int PRIMARY KEY, g int, a int);
CREATE TABLE d (g int PRIMARY KEY, name text);
INSERT INTO t SELECT i, i % 4, i FROM generate_series(1, 40) i;
INSERT INTO d SELECT i, 'n' || i FROM generate_series(0, 3) i;
SELECT reg('by_name', 'SELECT d.name, count(*) AS n, sum(t.a) AS s FROM t JOIN d ON d.g = t.g GROUP BY d.name');
SELECT reg('some_rows', 'SELECT id, a FROM t WHERE a % 3 = 0');

-- registration records the major that wrote the tree
SELECT view_name, query_tree_major = current_setting('server_version_num')::int / 10000 AS this_major
FROM incrload.view ORDER BY 1;

-- as after pg_upgrade from an older major: a tree this major cannot read
UPDATE incrload.view SET query_tree = '{QUERY :commandType 1 :querySource 0 :unreadable_field true}',
       query_tree_major = 14;
INSERT INTO t VALUES (100, 1, 99), (101, 2, 300);
UPDATE t SET a = a + 3 WHERE id % 5 = 0;
DELETE FROM d WHERE g = 3;
SELECT incrload_refresh('by_name'), incrload_refresh('some_rows');
SELECT v, diff(v, q) FROM views ORDER BY 1;
-- applied incrementally, the tree rewritten by this major
SELECT view_name, s.full_refreshes, query_tree_major = current_setting('server_version_num')::int / 10000 AS this_major,
       query_tree LIKE '{QUERY %' AS has_tree
FROM incrload.view JOIN incrload_stats s USING (view_name) ORDER BY 1;

-- a tree of unknown origin (no major recorded) is not read either
UPDATE incrload.view SET query_tree = 'garbage', query_tree_major = NULL WHERE view_name = 'by_name'::regclass;
INSERT INTO t VALUES (102, 0, 7);
SELECT incrload_refresh('by_name');
SELECT v, diff(v, q) FROM views ORDER BY 1;
SELECT query_tree_major IS NOT NULL AS recorded FROM incrload.view WHERE view_name = 'by_name'::regclass;

-- DDL reads the rewritten tree again: renames are followed
ALTER TABLE t RENAME COLUMN a TO amount;
INSERT INTO t VALUES (103, 1, 30);
SELECT incrload_refresh('by_name'), incrload_refresh('some_rows');
SELECT view_name, query LIKE '%t.amount%' OR query LIKE '%(amount %' AS follows_rename FROM incrload.view ORDER BY 1;
SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
DROP TABLE t, d;
\i sql/include/helpers_end.sql
