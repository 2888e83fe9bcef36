-- Every single-table view kind, with NULLs, duplicates and key changes.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql

-- no primary key: duplicate rows are legal
CREATE TABLE t (id int, g int, s text, a int, b numeric, c bigint, f float8, iv interval, m money);
INSERT INTO t SELECT i, i % 4, 's' || (i % 3), i, i / 4.0, i * 1000000000::bigint, i * 0.1, i * interval '1 minute', i * 1.25
  FROM generate_series(1, 40) i;
INSERT INTO t SELECT * FROM t WHERE id <= 5;               -- exact duplicates
INSERT INTO t VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);


SELECT reg('v_project',  $$SELECT id, a + 1 AS a1, lower(s) AS ls FROM t WHERE a > 3$$);
SELECT reg('v_dups',     $$SELECT g, s FROM t$$);
SELECT reg('v_distinct', $$SELECT DISTINCT g, s FROM t$$);
SELECT reg('v_groups',   $$SELECT g, s, count(*) AS n, count(a) AS na, sum(a) AS sa, sum(b) AS sb, sum(c) AS sc,
                                  avg(a) AS aa, avg(b) AS ab, min(s) AS mins, max(s) AS maxs, min(a) AS mina, max(b) AS maxb
                             FROM t GROUP BY g, s$$);
SELECT reg('v_exprs',    $$SELECT g % 2 AS parity, coalesce(s, '?') AS s2, sum(a) * 2 + count(*) AS x,
                                  count(*) FILTER (WHERE a > 10) AS big, sum(CASE WHEN a % 2 = 0 THEN a END) AS evens,
                                  max(a) FILTER (WHERE s = 's1') AS mx1
                             FROM t GROUP BY g % 2, coalesce(s, '?')$$);
SELECT reg('v_global',   $$SELECT count(*) AS n, count(a) AS na, sum(a) AS sa, min(s) AS mins, max(a) AS maxa,
                                  avg(a) AS avga, sum(iv) AS siv, avg(iv) AS aiv, sum(m) AS sm FROM t$$);
SELECT reg('v_float',    $$SELECT g, sum(f) AS sf, avg(f) AS af, count(*) AS n FROM t GROUP BY g$$);
SELECT reg('v_where',    $$SELECT s, count(*) AS n FROM t WHERE g IS NOT NULL AND a BETWEEN 5 AND 30 GROUP BY s$$);
SELECT reg('v_nogroupagg', $$SELECT g FROM t GROUP BY g$$);
SELECT reg('v_distinctagg', $$SELECT DISTINCT count(*) AS n FROM t GROUP BY g$$);

SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- a round of writes: key updates, NULLs, duplicates, deletes of extremes
UPDATE t SET g = g + 1, s = NULL WHERE id % 5 = 0;
UPDATE t SET a = NULL WHERE id = 7;
DELETE FROM t WHERE a = 40 OR a = 1;                       -- extremes go
INSERT INTO t SELECT * FROM t WHERE id BETWEEN 10 AND 14;  -- more duplicates
DELETE FROM t WHERE id IS NULL;
UPDATE t SET f = f * 1e20 WHERE id = 20;
UPDATE t SET f = f / 1e20 WHERE id = 20;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- groups emptied and refilled
DELETE FROM t WHERE g = 1;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
INSERT INTO t VALUES (100, 1, 's1', 5, 1, 1, 1, '1 hour', 3);
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- a global aggregate over an empty table: one row, as the query returns it
DELETE FROM t;
SELECT incrload_refresh('v_global');
SELECT * FROM v_global;
SELECT count(*) FROM v_groups;
SELECT v, incrload_refresh(v) >= 0 AS ok FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
INSERT INTO t VALUES (1, 1, 'x', 1, 1, 1, 1, '1 day', 1);
SELECT incrload_refresh('v_global');
SELECT * FROM v_global;

-- a new group whose only non-null value came and went in one batch: its
-- sum is NULL, as the query says, not 0
BEGIN;
INSERT INTO t VALUES (7, 77, 'new', 5, 5, 5, 5, '1 day', 5), (8, 77, 'new', NULL, NULL, NULL, NULL, NULL, NULL);
DELETE FROM t WHERE id = 7;
COMMIT;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT g, n, na, sa, sb, aa FROM v_groups WHERE g = 77;

-- the views show only the query's columns
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'v_groups'::regclass AND attnum > 0 ORDER BY attnum;

-- mode 'full' takes anything read-only
SELECT incrload_register_view('v_full', $$SELECT s, row_number() OVER (ORDER BY s) AS rn FROM (SELECT DISTINCT s FROM t) x$$, mode => 'full');
INSERT INTO t VALUES (2, 2, 'y', 2, 2, 2, 2, '1 day', 2);
SELECT * FROM v_full ORDER BY rn;
SELECT incrload_refresh('v_full');
SELECT * FROM v_full ORDER BY rn;
SELECT view_name, mode, pending_changes FROM incrload_stats WHERE view_name = 'v_full'::regclass;

-- quoting: mixed case, spaces, quotes, schemas
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Odd ""Table""" ("Key Col" int, "vAlUe" text);
INSERT INTO "My Schema"."Odd ""Table""" VALUES (1, 'a'), (1, 'b'), (2, NULL);
SELECT incrload_register_view('"My Schema"."Odd ""View"""',
  $$SELECT "Key Col", count(*) AS "N", max("vAlUe") AS "Max ""v""" FROM "My Schema"."Odd ""Table""" GROUP BY "Key Col"$$);
INSERT INTO "My Schema"."Odd ""Table""" VALUES (2, 'z');
SELECT incrload_refresh('"My Schema"."Odd ""View"""');
SELECT * FROM "My Schema"."Odd ""View""" ORDER BY 1;

DROP EXTENSION incrload CASCADE;
DROP SCHEMA "My Schema" CASCADE;
DROP TABLE t;
\i sql/include/helpers_end.sql
