-- UNION [ALL], INTERSECT [ALL] and EXCEPT [ALL]: a count per arm for each
-- distinct row; the set operation applied to the counts says how often
-- the row shows.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE a (x int, y text);
CREATE TABLE b (x int, y text);
CREATE TABLE c (x int);
CREATE TABLE d (x int PRIMARY KEY, label text);
INSERT INTO a SELECT i % 7, CASE WHEN i % 5 = 0 THEN NULL ELSE 't' || (i % 3) END FROM generate_series(1, 40) i;
INSERT INTO b SELECT i % 5, CASE WHEN i % 4 = 0 THEN NULL ELSE 't' || (i % 2) END FROM generate_series(1, 30) i;
INSERT INTO c SELECT i % 4 FROM generate_series(1, 10) i;
INSERT INTO d SELECT i, 'l' || i FROM generate_series(0, 6) i;
SELECT reg('u_all', 'SELECT x, y FROM a UNION ALL SELECT x, y FROM b');
SELECT reg('u', 'SELECT x, y FROM a UNION SELECT x, y FROM b');
SELECT reg('i_all', 'SELECT x, y FROM a INTERSECT ALL SELECT x, y FROM b');
SELECT reg('i', 'SELECT x, y FROM a INTERSECT SELECT x, y FROM b');
SELECT reg('e_all', 'SELECT x, y FROM a EXCEPT ALL SELECT x, y FROM b');
SELECT reg('e', 'SELECT x, y FROM a EXCEPT SELECT x, y FROM b');
-- nested, with NULLs, with other column types in the arms
SELECT reg('nest', '(SELECT x FROM a UNION SELECT x FROM b) EXCEPT ALL SELECT x FROM c');
SELECT reg('nest2', 'SELECT x FROM a EXCEPT (SELECT x FROM b INTERSECT ALL SELECT x FROM c)');
SELECT reg('types', 'SELECT x::int2 AS v FROM a UNION SELECT x::bigint FROM b');
SELECT reg('three', 'SELECT x FROM a UNION ALL SELECT x FROM b UNION ALL SELECT x FROM c');
-- arms that join, filter, read views
CREATE VIEW a_big AS SELECT x, y FROM a WHERE x > 2;
SELECT reg('joined', $$SELECT d.label, a.y FROM a JOIN d ON d.x = a.x WHERE a.y IS NOT NULL
  EXCEPT SELECT d.label, b.y FROM b JOIN d USING (x)$$);
SELECT reg('viewarm', 'SELECT x FROM a_big INTERSECT SELECT x FROM c');
SELECT reg('distinct_arm', 'SELECT DISTINCT x FROM a UNION ALL SELECT x FROM c');
SELECT v, diff(v, q) FROM views ORDER BY v::text;
\d u

-- changes on every table: rows enter and leave, counts cross zero
INSERT INTO a VALUES (100, 'zz'), (1, 't1'), (1, NULL), (3, 't0');
DELETE FROM b WHERE x = 2;
UPDATE a SET y = 't9' WHERE x = 3;
INSERT INTO c VALUES (100), (1), (1), (1);
UPDATE d SET label = 'L' || x WHERE x % 2 = 0;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
BEGIN;
DELETE FROM a WHERE x = 1;
INSERT INTO b SELECT x, y FROM a WHERE x = 4;
ROLLBACK;
INSERT INTO b SELECT x, y FROM a WHERE x = 5;
DELETE FROM c WHERE x = 1;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
TRUNCATE b;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- refused
-- an arm that aggregates becomes an auxiliary view of its own
SELECT reg('agg_arm', 'SELECT x, count(*) FROM a GROUP BY x UNION SELECT x, 1 FROM b');
INSERT INTO a VALUES (2, 'q'), (2, 'r');
DELETE FROM b WHERE x = 1;
SELECT count(incrload_refresh(v)) FROM views;
SELECT diff('agg_arm', 'SELECT x, count(*) FROM a GROUP BY x UNION SELECT x, 1 FROM b');
SELECT incrload_register_view('bad', 'SELECT DISTINCT ON (x) x FROM a EXCEPT SELECT x FROM b');
SELECT incrload_register_view('bad', 'SELECT x FROM a UNION SELECT x FROM b LIMIT 3');
SELECT incrload_register_view('bad', 'SELECT x FROM a UNION SELECT random()::int FROM b');

DROP EXTENSION incrload CASCADE;
DROP VIEW a_big;
DROP TABLE a, b, c, d;
\i sql/include/helpers_end.sql
