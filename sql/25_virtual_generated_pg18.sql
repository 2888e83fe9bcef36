-- Virtual generated columns (PostgreSQL 18): their values are computed when
-- read, and the transition tables the capture triggers read hold NULL for
-- them, so incremental mode refuses a table that has one (naming the
-- column); a STORED generated column is captured with its value, and full
-- mode reads the table as any query does.  Before 18 there are none: this
-- file stops there (expected/25_virtual_generated_pg18_1.out).
SELECT current_setting('server_version_num')::int >= 180000 AS pg18 \gset
\if :pg18
\else
\quit
\endif
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS incrload CASCADE;
RESET client_min_messages;
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE gen (id int PRIMARY KEY, a int,
  dbl int GENERATED ALWAYS AS (a * 2) VIRTUAL,
  tri int GENERATED ALWAYS AS (a * 3) STORED);
INSERT INTO gen (id, a) SELECT i, i FROM generate_series(1, 5) i;
-- refused, whether or not the query reads the virtual column
SELECT incrload_register_view('gen_v', 'SELECT id, dbl FROM gen');
SELECT incrload_register_view('gen_a', 'SELECT id, a FROM gen');
SELECT incrload_register_view('gen_sub', 'SELECT x.id FROM (SELECT id, dbl FROM gen) x WHERE x.dbl > 2');
-- full mode works
SELECT incrload_register_view('gen_full', 'SELECT id, dbl, tri FROM gen', mode => 'full');
INSERT INTO views VALUES ('gen_full', 'SELECT id, dbl, tri FROM gen');
-- a stored generated column is captured with its value
CREATE TABLE gen2 (id int PRIMARY KEY, a int, tri int GENERATED ALWAYS AS (a * 3) STORED);
INSERT INTO gen2 (id, a) SELECT i, i FROM generate_series(1, 5) i;
SELECT reg('gen2_v', 'SELECT a % 2 AS odd, sum(tri) AS s FROM gen2 GROUP BY a % 2');
INSERT INTO gen (id, a) VALUES (10, 10);
UPDATE gen SET a = a + 100 WHERE id = 1;
INSERT INTO gen2 (id, a) VALUES (10, 10);
UPDATE gen2 SET a = a + 100 WHERE id = 1;
SELECT incrload_refresh('gen_full'), incrload_refresh('gen2_v');
SELECT v, diff(v, q) FROM views ORDER BY 1;
SELECT * FROM gen2_v ORDER BY odd;
SELECT view_name FROM incrload.view ORDER BY 1;
SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
DROP TABLE gen, gen2;
\i sql/include/helpers_end.sql
