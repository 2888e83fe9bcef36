-- HAVING, also on aggregates the select list does not show: every group is
-- kept, the condition filters them when the view is read.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE t (id int, g int, a int);
CREATE TABLE d (g int PRIMARY KEY, name text);
INSERT INTO t SELECT i, i % 5, i FROM generate_series(1, 30) i;
INSERT INTO d SELECT i, 'n' || i FROM generate_series(0, 4) i;

SELECT reg('h_count', 'SELECT g, count(*) AS n FROM t GROUP BY g HAVING count(*) > 5');
SELECT reg('h_hidden', 'SELECT g FROM t GROUP BY g HAVING sum(a) > 90 AND max(a) < 30');
SELECT reg('h_key', 'SELECT g, avg(a) AS m FROM t GROUP BY g HAVING g <> 2 AND min(a) IS NOT NULL');
SELECT reg('h_join', 'SELECT d.name, count(*) AS n FROM t JOIN d USING (g) GROUP BY d.name HAVING count(*) BETWEEN 4 AND 7');
SELECT reg('h_global', 'SELECT count(*) AS n, sum(a) AS s FROM t HAVING count(*) > 25');
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM h_count ORDER BY g;

-- groups leave and enter the condition
DELETE FROM t WHERE g = 1 AND id > 10;
INSERT INTO t SELECT 100 + i, 2, 50 FROM generate_series(1, 4) i;
UPDATE t SET g = 3 WHERE id IN (4, 9);
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM h_count ORDER BY g;
SELECT * FROM h_global;
DELETE FROM t WHERE id > 20;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM h_global;

DROP EXTENSION incrload CASCADE;
DROP TABLE t, d;
\i sql/include/helpers_end.sql
