-- Every error a user can hit, and that a failed registration leaves
-- nothing behind.
CREATE EXTENSION incrload;
CREATE TABLE t (id int, g int, a int, j json, ts timestamptz);
INSERT INTO t VALUES (1, 1, 1, '{}', now());
CREATE TABLE u (id int, g int);

\i sql/include/helpers.sql

-- NULL arguments
SELECT incrload_register_view(NULL, 'SELECT 1');
SELECT incrload_register_view('v', NULL);
SELECT incrload_register_view('v', 'SELECT id FROM t', NULL);
SELECT incrload_register_view('v', 'SELECT id FROM t', '1s', NULL);
SELECT incrload_refresh(NULL);
SELECT incrload_full_refresh(NULL);
SELECT * FROM incrload_verify(NULL);
SELECT incrload_unregister_view(NULL);
SELECT incrload_pause(NULL);
SELECT incrload_resume(NULL);

-- bad settings
SELECT incrload_register_view('v', 'SELECT id FROM t', mode => 'sometimes');
SELECT incrload_register_view('v', 'SELECT id FROM t', refresh_interval => '0');
SELECT incrload_register_view('v', 'SELECT id FROM t', refresh_interval => '-1 minute');

-- bad names
SELECT incrload_register_view('', 'SELECT id FROM t');
SELECT incrload_register_view('a.b.c.d', 'SELECT id FROM t');
SELECT incrload_register_view('"unterminated', 'SELECT id FROM t');
SELECT incrload_register_view('t', 'SELECT id FROM t');
SELECT incrload_register_view('no_such_schema.v', 'SELECT id FROM t');
SELECT incrload_register_view('incrload.v', 'SELECT id FROM t');
SELECT incrload_register_view('pg_temp.v', 'SELECT id FROM t');

-- bad queries
SELECT incrload_register_view('v', 'SELEC id FROM t');
SELECT incrload_register_view('v', 'SELECT id FROM no_such_table');
SELECT incrload_register_view('v', 'SELECT 1; SELECT 2');
SELECT incrload_register_view('v', '');
SELECT incrload_register_view('v', 'DELETE FROM t');
SELECT incrload_register_view('v', 'SELECT id INTO t2 FROM t');
SELECT incrload_register_view('v', 'SELECT id, g AS id FROM t');
SELECT incrload_register_view('v', 'SELECT id AS __incrload_count FROM t');
SELECT incrload_register_view('v', 'SELECT FROM t');
SELECT incrload_register_view('v', 'SELECT id FROM t FOR UPDATE');
SELECT incrload_register_view('v', 'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', mode => 'full');
SELECT incrload_register_view('v', 'SELECT $1 FROM t');

-- constructs incremental mode refuses, each named, each with the hint
SELECT incrload_register_view('v', 'SELECT t.id FROM t LEFT JOIN u ON u.id IN (SELECT id FROM t)');
SELECT incrload_register_view('v', 'SELECT id, row_number() OVER () FROM t');
SELECT incrload_register_view('v', 'SELECT id FROM t LIMIT 1');
SELECT incrload_register_view('v', 'SELECT id FROM t OFFSET 1');
SELECT incrload_register_view('v', 'SELECT generate_series(1, id), count(*) FROM t GROUP BY id');
SELECT incrload_register_view('v', 'SELECT x FROM generate_series(1, 3) x');
SELECT incrload_register_view('v', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r');
SELECT incrload_register_view('v', 'WITH c AS (SELECT g, row_number() OVER () AS n FROM t) SELECT n FROM c');
SELECT incrload_register_view('v', 'SELECT id FROM t t0 WHERE id IN (SELECT id FROM u WHERE EXISTS (SELECT FROM t WHERE t.g = t0.g))');
SELECT incrload_register_view('v', 'SELECT g FROM (SELECT DISTINCT ON (g) g, id::text::json AS j FROM t) s');
SELECT incrload_register_view('v', 'SELECT id FROM (SELECT id FROM t LIMIT 5) s');
SELECT incrload_register_view('v', 'SELECT id FROM t UNION SELECT id FROM u LIMIT 2');
SELECT incrload_register_view('v', 'SELECT id FROM t UNION (SELECT id FROM u ORDER BY 1 LIMIT 2)');
SELECT incrload_register_view('v', 'SELECT id FROM t ORDER BY id LIMIT (SELECT count(*) FROM u)');
SELECT incrload_register_view('v', 'SELECT g, count(*) FROM t GROUP BY ROLLUP (g) ORDER BY sum(id) LIMIT 2');
SELECT incrload_register_view('v', 'SELECT DISTINCT ON (g) g, id::text::json AS j FROM t');
SELECT incrload_register_view('v', 'SELECT g FROM t GROUP BY ROLLUP (g)');

SELECT incrload_register_view('v', 'SELECT g, json_agg(ROW(g, a)) FROM t GROUP BY g');
SELECT incrload_register_view('v', 'SELECT g, percentile_cont(g / 10.0) WITHIN GROUP (ORDER BY a) FROM t GROUP BY g');
SELECT incrload_register_view('v', 'SELECT id, random() FROM t');
SELECT incrload_register_view('v', 'SELECT id FROM t WHERE ts > now()');
SELECT incrload_register_view('v', 'SELECT id, CURRENT_USER FROM t');
SELECT incrload_register_view('v', 'SELECT id, age(ts) FROM t');
SELECT incrload_register_view('v', 'SELECT id, ctid FROM t');
SELECT incrload_register_view('v', 'SELECT t FROM t');
SELECT incrload_register_view('v', 'SELECT j FROM t');
SELECT incrload_register_view('v_jtext', 'SELECT j::text, count(*) FROM t GROUP BY j::text');
SELECT incrload_unregister_view('v_jtext');
SELECT incrload_register_view('v', 'SELECT j, count(*) FROM t GROUP BY j');
SELECT incrload_register_view('v', 'SELECT g, a, count(*) FROM t GROUP BY g');
SELECT incrload_register_view('v', 'SELECT relname FROM pg_class');
SELECT incrload_register_view('v', 'SELECT 1 AS one');
SELECT incrload_register_view('v', 'SELECT * FROM (VALUES (1)) v(x)');
CREATE TEMP TABLE tmp (id int);
SELECT incrload_register_view('v', 'SELECT id FROM tmp');
CREATE UNLOGGED TABLE unl (id int);
SELECT incrload_register_view('v', 'SELECT id FROM unl');
CREATE VIEW pv AS SELECT id, now() AS at FROM t;
SELECT incrload_register_view('v', 'SELECT id, at FROM pv');
CREATE VIEW pv2 AS SELECT id FROM t ORDER BY id LIMIT 3;
SELECT incrload_register_view('v', 'SELECT id FROM pv2');
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
SELECT incrload_register_view('v', 'SELECT id FROM mv');
CREATE TABLE part (id int) PARTITION BY RANGE (id);
CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (10);
CREATE UNLOGGED TABLE part_2 PARTITION OF part FOR VALUES FROM (10) TO (20);
SELECT incrload_register_view('v', 'SELECT id FROM part_1');
SELECT incrload_register_view('v', 'SELECT id FROM part');
CREATE TABLE parent (id int);
CREATE TABLE child () INHERITS (parent);
SELECT incrload_register_view('v', 'SELECT id FROM parent');
CREATE TABLE rls (id int);
ALTER TABLE rls ENABLE ROW LEVEL SECURITY;
SELECT incrload_register_view('v', 'SELECT id FROM rls');
SELECT incrload_register_view('v', 'SELECT id FROM t TABLESAMPLE SYSTEM (50)');
CREATE TABLE badcol (id int, __incrload_w int);
SELECT incrload_register_view('v', 'SELECT id FROM badcol');

-- registration is refused where a snapshot would miss concurrent changes
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT incrload_register_view('v', 'SELECT id FROM t');
ROLLBACK;

-- nothing was left behind by any of the above
SELECT * FROM leftovers();
SELECT count(*) FROM pg_class WHERE relname = 'v';

-- a registration rolled back leaves nothing either
BEGIN;
SELECT incrload_register_view('v', 'SELECT g, count(*) AS n FROM t GROUP BY g');
ROLLBACK;
SELECT * FROM leftovers();

-- unknown views
SELECT incrload_refresh('t');
SELECT incrload_full_refresh('t');
SELECT * FROM incrload_verify('t');
SELECT incrload_unregister_view('t');
SELECT incrload_pause('t');
SELECT incrload_resume('t');
SELECT incrload_refresh('no_such_view');

-- registered twice
SELECT incrload_register_view('v', 'SELECT g, count(*) AS n FROM t GROUP BY g');
SELECT incrload_register_view('v', 'SELECT g, count(*) AS n FROM t GROUP BY g');

-- the capture trigger cannot be misused: called, or put on a table
SELECT incrload_capture();
CREATE TRIGGER bad BEFORE INSERT ON u FOR EACH ROW EXECUTE FUNCTION incrload_capture();

DROP EXTENSION incrload CASCADE;
DROP TABLE t, u, unl, part, parent, child, rls, badcol CASCADE;
\i sql/include/helpers_end.sql
