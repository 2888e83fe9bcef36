-- DDL on base tables: nothing that would make a view wrong is accepted.
CREATE EXTENSION incrload;
CREATE TABLE t (id int, g int, a int, unused text, other int);
INSERT INTO t SELECT i, i % 3, i, 'x', i FROM generate_series(1, 10) i;
SELECT incrload_register_view('v', 'SELECT g, count(*) AS n, sum(a) AS s FROM t GROUP BY g');

-- adding a column keeps the view working; a view registered later reads it
ALTER TABLE t ADD COLUMN added int DEFAULT 7;
INSERT INTO t VALUES (11, 1, 11, 'y', 11, 8);
SELECT incrload_refresh('v');
SELECT * FROM v ORDER BY g;
SELECT incrload_register_view('v2', 'SELECT added, count(*) AS n FROM t GROUP BY added');
UPDATE t SET added = 9 WHERE id = 1;
SELECT incrload_refresh('v2');
SELECT * FROM v2 ORDER BY added;

-- dropping, renaming or retyping a column a view uses is refused, naming the view
ALTER TABLE t DROP COLUMN a;
ALTER TABLE t RENAME COLUMN g TO grp;
ALTER TABLE t ALTER COLUMN a TYPE bigint;
ALTER TABLE t ALTER COLUMN added TYPE numeric;
-- renaming the table is refused too, while views read it
ALTER TABLE t RENAME TO t_new;
ALTER TABLE t SET SCHEMA pg_temp;

-- columns no view uses can change freely; capture keeps working
ALTER TABLE t ALTER COLUMN unused TYPE varchar(5);
ALTER TABLE t RENAME COLUMN unused TO unused2;
ALTER TABLE t DROP COLUMN other;
INSERT INTO t VALUES (12, 2, 12, 'zz', 7);
UPDATE t SET a = a + 1 WHERE g = 0;
SELECT incrload_refresh('v'), incrload_refresh('v2');
SELECT * FROM incrload_verify('v');
SELECT * FROM incrload_verify('v2');

-- a view registered after the changes reads the renamed and retyped column
SELECT incrload_register_view('v3', 'SELECT unused2, count(*) AS n FROM t GROUP BY unused2');
INSERT INTO t VALUES (13, 2, 13, 'new', 7);
SELECT incrload_refresh('v3');
SELECT * FROM v3 ORDER BY unused2;

DROP EXTENSION incrload CASCADE;
DROP TABLE t;
