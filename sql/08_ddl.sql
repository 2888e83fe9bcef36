-- DDL on base tables: nothing that would make a view wrong is accepted;
-- renames keep every view maintained.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
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

-- dropping or retyping a column a view uses is refused, naming the view
ALTER TABLE t DROP COLUMN a;
-- (terse: PostgreSQL 19 ends its DETAIL with a period)
\set VERBOSITY terse
ALTER TABLE t ALTER COLUMN a TYPE bigint;
ALTER TABLE t ALTER COLUMN added TYPE numeric;
\set VERBOSITY default
-- and so is dropping the table
DROP TABLE t;

-- renaming a column, the table, or moving it to another schema keeps the
-- views maintained; the catalog's query text follows
ALTER TABLE t RENAME COLUMN g TO grp;
ALTER TABLE t RENAME TO t_renamed;
CREATE SCHEMA other_schema;
ALTER TABLE t_renamed SET SCHEMA other_schema;
INSERT INTO other_schema.t_renamed VALUES (20, 2, 20, 'w', 20, 1);
UPDATE other_schema.t_renamed SET grp = 0 WHERE id = 1;
SELECT incrload_refresh('v'), incrload_refresh('v2');
SELECT diff('v', 'SELECT grp AS g, count(*) AS n, sum(a) AS s FROM other_schema.t_renamed GROUP BY grp');
SELECT diff('v2', 'SELECT added, count(*) AS n FROM other_schema.t_renamed GROUP BY added');
SELECT view_name, query FROM incrload.view ORDER BY view_name::text;
ALTER SCHEMA other_schema RENAME TO app_schema;
SELECT query FROM incrload.view WHERE view_name = 'v'::regclass;
ALTER TABLE app_schema.t_renamed SET SCHEMA public;
ALTER TABLE t_renamed RENAME TO t;
ALTER TABLE t RENAME COLUMN grp TO g;

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
ALTER TABLE t RENAME COLUMN unused2 TO note;
INSERT INTO t VALUES (14, 2, 14, 'ren', 7);
SELECT incrload_refresh('v3');
SELECT * FROM v3 ORDER BY unused2;
SELECT diff('v3', 'SELECT note AS unused2, count(*) AS n FROM t GROUP BY note');

-- what would make capture miss changes is refused
ALTER TABLE t DISABLE TRIGGER ALL;
ALTER TABLE t DISABLE TRIGGER incrload_capture_ins;
ALTER TABLE t ENABLE REPLICA TRIGGER incrload_capture_upd;
ALTER TABLE t SET UNLOGGED;
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE TABLE t_child () INHERITS (t);
CREATE TABLE t_orphan (id int, g int, a int, note varchar(5), added int);
ALTER TABLE t_orphan INHERIT t;
DROP TABLE t_orphan;
DROP TRIGGER incrload_capture_del ON t;
DROP TABLE incrload.t_delta;
-- other triggers can be disabled
CREATE FUNCTION nothing() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
CREATE TRIGGER mine AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION nothing();
ALTER TABLE t DISABLE TRIGGER mine;
-- capture fires also where triggers usually do not (logical replication)
SET session_replication_role = replica;
INSERT INTO t VALUES (15, 1, 15, 'repl', 7);
RESET session_replication_role;
SELECT incrload_refresh('v');
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s FROM t GROUP BY g');

-- DROP ... CASCADE of a used column unregisters the views that used it
ALTER TABLE t DROP COLUMN added CASCADE;
SELECT view_name FROM incrload_stats ORDER BY view_name::text;
SELECT count(*) FROM pg_class WHERE relname IN ('v2', 'v2_storage');
INSERT INTO t VALUES (16, 0, 16, 'after');
SELECT incrload_refresh('v'), incrload_refresh('v3');
SELECT diff('v', 'SELECT g, count(*) AS n, sum(a) AS s FROM t GROUP BY g');

-- a function a view uses cannot be dropped from under it
CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
SELECT incrload_register_view('v4', 'SELECT twice(g) AS g2, count(*) AS n FROM t GROUP BY twice(g)');
DROP FUNCTION twice(int);
ALTER FUNCTION twice(int) RENAME TO double_it;
INSERT INTO t VALUES (17, 2, 17, 'fn');
SELECT incrload_refresh('v4');
SELECT diff('v4', 'SELECT double_it(g) AS g2, count(*) AS n FROM t GROUP BY double_it(g)');
SELECT query FROM incrload.view WHERE view_name = 'v4'::regclass;

-- DROP TABLE ... CASCADE unregisters every view and removes capture
DROP TABLE t CASCADE;
SELECT count(*) FROM incrload.view;
SELECT count(*) FROM incrload.delta;
SELECT count(*) FROM pg_class WHERE relnamespace = 'incrload'::regnamespace AND relkind = 'r';

DROP EXTENSION incrload CASCADE;
DROP SCHEMA app_schema;
DROP FUNCTION nothing(), double_it(int);
\i sql/include/helpers_end.sql
