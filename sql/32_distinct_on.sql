-- DISTINCT ON, maintained incrementally as a GROUP BY of its expressions
-- whose other columns come from each group's first row in the query's
-- ORDER BY (src/distinct_on.c): a change recomputes the groups it touches.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE reading (id int PRIMARY KEY, dev text, ts timestamptz, temp numeric(5,1), note varchar(10), doc json);
CREATE INDEX ON reading (dev);
INSERT INTO reading SELECT i, 'd' || (i % 5), timestamptz '2024-01-01 00:00+00' + i * interval '1 hour', i % 17,
  CASE WHEN i % 3 = 0 THEN NULL ELSE 'n' || i END, '{}' FROM generate_series(1, 80) i;
-- a NULL device, and a NULL time that sorts first in DESC order
INSERT INTO reading VALUES (81, NULL, NULL, 1, 'x', NULL), (82, NULL, timestamptz '2024-01-01 00:00+00', 2, 'y', NULL);
CREATE TABLE device (dev text PRIMARY KEY, site text);
INSERT INTO device SELECT 'd' || i, 's' || (i % 2) FROM generate_series(0, 6) i;

-- the latest reading per device
SELECT reg('latest', $$SELECT DISTINCT ON (dev) dev, ts, temp, note FROM reading ORDER BY dev, ts DESC, id$$);
-- the key not shown, ORDER BY with explicit NULLS and DESC on another column
SELECT reg('coolest', $$SELECT DISTINCT ON (dev) id, temp FROM reading ORDER BY dev, temp NULLS FIRST, id DESC$$);
-- keys that are expressions, two of them
SELECT reg('by_parity', $$SELECT DISTINCT ON (temp::int % 2, dev) dev, temp::int % 2 AS parity, id FROM reading ORDER BY temp::int % 2, dev, id$$);
-- ORDER BY ... USING
SELECT reg('using_op', $$SELECT DISTINCT ON (dev) dev, id FROM reading ORDER BY dev, id USING >$$);
-- without ORDER BY: only the keys show, which is exact
SELECT reg('keys_only', $$SELECT DISTINCT ON (temp::int % 3) temp::int % 3 AS t3 FROM reading$$);
-- over a join, and over an aggregating query
SELECT reg('per_site', $$SELECT DISTINCT ON (d.site) d.site, r.dev, r.ts FROM reading r JOIN device d ON d.dev = r.dev ORDER BY d.site, r.ts DESC, r.id$$);
SELECT reg('top_dev', $$SELECT DISTINCT ON (d.site) d.site, r.dev, count(*) AS n FROM reading r JOIN device d USING (dev)
  GROUP BY d.site, r.dev ORDER BY d.site, count(*) DESC, r.dev$$);
-- top-N: the first devices, or a page of them, in the whole ORDER BY
-- (keys, then each group's first row)
SELECT reg('latest_top', $$SELECT DISTINCT ON (dev) dev, ts, temp FROM reading ORDER BY dev NULLS FIRST, ts DESC, id LIMIT 3$$);
SELECT reg('warm_page', $$SELECT DISTINCT ON (dev) dev, temp FROM reading ORDER BY dev DESC, temp DESC NULLS LAST, id OFFSET 1 LIMIT 2$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM latest ORDER BY dev;
SELECT * FROM latest_top;
-- the columns keep their types
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'latest'::regclass AND attnum > 0 ORDER BY attnum;
SELECT kind, aggregates FROM incrload_explain($$SELECT DISTINCT ON (dev) dev, ts FROM reading ORDER BY dev, ts DESC$$);

-- writes: a newer reading, the latest one deleted, a device's readings moved,
-- into and out of NULL, a rollback, one device emptied
INSERT INTO reading VALUES (100, 'd1', timestamptz '2025-01-01 00:00+00', 40, 'new', '{}');
DELETE FROM reading WHERE id IN (80, 79);
UPDATE reading SET dev = 'd6' WHERE id IN (5, 10, 15);
UPDATE reading SET dev = NULL WHERE id = 20;
UPDATE reading SET ts = NULL WHERE id = 82;
UPDATE reading SET temp = NULL WHERE id = 4;
BEGIN;
DELETE FROM reading WHERE dev = 'd2';
ROLLBACK;
DELETE FROM reading WHERE dev = 'd3';
UPDATE device SET site = 's9' WHERE dev = 'd4';
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM latest ORDER BY dev;
DELETE FROM reading;
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
INSERT INTO reading VALUES (1, 'd1', timestamptz '2024-01-01 00:00+00', 5, 'a', NULL), (2, 'd1', timestamptz '2024-01-02 00:00+00', 6, 'b', NULL);
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT v, incrload_verify(v) FROM views ORDER BY v::text;

-- refused: an output column without an order (ties could not be broken
-- alike in every column), also with LIMIT
SELECT incrload_register_view('r1', $$SELECT DISTINCT ON (dev) dev, doc FROM reading ORDER BY dev, ts$$);
SELECT incrload_register_view('r2', $$SELECT DISTINCT ON (dev) dev, doc FROM reading ORDER BY dev, ts LIMIT 3$$);
SELECT reason FROM incrload_explain($$SELECT DISTINCT ON (dev) dev, doc FROM reading ORDER BY dev, ts$$);

-- incrload.first on its own: the first value in the call's order, NULL included
SELECT incrload.first(x ORDER BY x) AS lowest, incrload.first(x ORDER BY x DESC) AS nulls_first_desc,
  incrload.first(t ORDER BY x DESC NULLS LAST) AS t_of_highest
  FROM (VALUES (1, 'a'), (3, 'c'), (NULL, 'n')) v(x, t);
SELECT incrload.first(x ORDER BY x) FROM (SELECT 1 WHERE false) v(x);

SELECT incrload_unregister_view(v) FROM views;
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
