-- Set-returning functions in FROM that expand each row of the tables they
-- read (FROM t, unnest(t.tags), LATERAL jsonb_array_elements(doc),
-- generate_series(lo, hi)) or read nothing (generate_series(1, 3)): the
-- delta rules leave the function in every term, where it expands the rows
-- the term reads, each with that row's weight (src/analyze.c,
-- check_expansion).
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE doc (id int PRIMARY KEY, tags text[], body jsonb, lo int, hi int);
CREATE TABLE tagcat (tag text PRIMARY KEY, cat text, alts text[]);
INSERT INTO doc VALUES (1, '{a,b}', '[1, 2]', 1, 3), (2, '{}', '[]', 5, 4), (3, NULL, NULL, NULL, 2),
  (4, '{a,a,NULL}', '[{"x": 1}, null]', 2, 2), (5, '{c}', '{"k": 1}', 0, 0);
INSERT INTO tagcat VALUES ('a', 'vowel', '{A,á}'), ('b', 'cons', NULL), ('c', 'cons', '{}');

-- unnest over NULL, empty and duplicate arrays, NULL elements
SELECT reg('tags', $$SELECT d.id, t AS tag FROM doc d, unnest(d.tags) t$$);
-- grouped by the element, also with the other table joined on it
SELECT reg('tag_counts', $$SELECT t AS tag, count(*) AS n, count(DISTINCT d.id) AS docs
  FROM doc d CROSS JOIN LATERAL unnest(d.tags) AS t GROUP BY t$$);
SELECT reg('cat_counts', $$SELECT c.cat, count(*) AS n FROM doc d, unnest(d.tags) t JOIN tagcat c ON c.tag = t GROUP BY c.cat$$);
-- jsonb_array_elements WITH ORDINALITY, generate_series over the row's
-- columns, a function of no row, two functions and ROWS FROM
SELECT reg('elems', $$SELECT d.id, e.value AS elem, e.ordinality AS pos FROM doc d,
  jsonb_array_elements(CASE jsonb_typeof(d.body) WHEN 'array' THEN d.body END) WITH ORDINALITY e$$);
SELECT reg('ranges', $$SELECT d.id, g FROM doc d, generate_series(d.lo, d.hi) g WHERE g % 2 = 1$$);
SELECT reg('copies', $$SELECT d.id, k FROM doc d, generate_series(1, 2) k$$);
SELECT reg('pairs', $$SELECT d.id, t, u FROM doc d, unnest(d.tags) t, unnest(d.tags) u WHERE t < u$$);
SELECT reg('zipped', $$SELECT d.id, r.x, r.y FROM doc d, ROWS FROM (unnest(d.tags), generate_series(1, d.hi)) AS r(x, y)$$);
-- over the other table's alternatives, EXISTS and a scalar subquery on the
-- element, DISTINCT, a set operation, inside a FROM subquery
SELECT reg('alts', $$SELECT d.id, c.cat, x FROM doc d LEFT JOIN tagcat c ON c.tag = d.tags[1], unnest(c.alts) x$$);
SELECT reg('known', $$SELECT d.id, t FROM doc d, unnest(d.tags) t
  WHERE EXISTS (SELECT 1 FROM tagcat c WHERE c.tag = t AND c.cat <> 'x')$$);
SELECT reg('with_cat', $$SELECT d.id, t, (SELECT c.cat FROM tagcat c WHERE c.tag = t) AS cat FROM doc d, unnest(d.tags) t$$);
SELECT reg('distinct_tags', $$SELECT DISTINCT t FROM doc d, unnest(d.tags) t$$);
SELECT reg('tag_union', $$SELECT id, t FROM doc d, unnest(d.tags) t UNION SELECT 0, tag FROM tagcat$$);
SELECT reg('sub', $$SELECT s.id, s.t FROM (SELECT d.id, t FROM doc d, unnest(d.tags) t) s WHERE s.t IS NOT NULL$$);
-- in the select list: each row's expansion, zipped as PostgreSQL zips
-- several (the shorter padded with NULLs); DISTINCT; in a FROM subquery
-- (an auxiliary view)
SELECT reg('sel_tags', $$SELECT id, unnest(tags) AS tag FROM doc$$);
SELECT reg('sel_zip', $$SELECT d.id, unnest(d.tags) AS tag, generate_series(d.lo, d.hi) AS g, c.cat
  FROM doc d JOIN tagcat c ON c.tag = d.tags[1]$$);
SELECT reg('sel_distinct', $$SELECT DISTINCT jsonb_array_elements_text(CASE jsonb_typeof(body) WHEN 'array' THEN body END) AS e FROM doc$$);
SELECT reg('sel_sub', $$SELECT x.t, count(*) AS n FROM (SELECT unnest(tags) AS t FROM doc) x GROUP BY x.t$$);
-- plain LATERAL subqueries (no aggregate, DISTINCT or LIMIT) in inner
-- joins: the joins they are, pulled up; one with a function inside
SELECT reg('lat_sub', $$SELECT d.id, x.cat FROM doc d, LATERAL (SELECT c.cat FROM tagcat c WHERE c.tag = d.tags[1] AND c.cat <> 'x') x$$);
SELECT reg('lat_sub_fn', $$SELECT d.id, x.tag, x.alt FROM doc d JOIN LATERAL (SELECT c.tag, a AS alt FROM tagcat c, unnest(c.alts) a
  WHERE c.tag = ANY (d.tags)) x ON x.alt <> 'B'$$);
-- over a registered view
SELECT reg('shouts', $$SELECT t, count(*) AS n FROM tags, unnest(ARRAY[tags.tag, tags.tag || '!']) t GROUP BY t$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM tag_counts ORDER BY tag NULLS FIRST;

-- writes: arrays grow, empty, turn NULL; a key moves; the other table
-- changes; several tables in one transaction; a rollback
UPDATE doc SET tags = tags || 'b'::text WHERE id = 1;
UPDATE doc SET tags = '{c}', body = '[3]' WHERE id = 2;
UPDATE doc SET tags = NULL, hi = 9 WHERE id = 5;
DELETE FROM doc WHERE id = 4;
INSERT INTO doc VALUES (6, '{b,a,b}', '[true]', 3, 1);
UPDATE tagcat SET cat = 'x', alts = '{B}' WHERE tag = 'b';
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
BEGIN;
UPDATE doc SET tags = ARRAY['a', 'c', NULL] WHERE id = 6;
DELETE FROM tagcat WHERE tag = 'a';
INSERT INTO tagcat VALUES ('d', 'cons', '{D,d}');
UPDATE doc SET id = id + 10 WHERE id < 3;
COMMIT;
BEGIN;
DELETE FROM doc;
ROLLBACK;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT v, (incrload_verify(v)).* FROM views ORDER BY v::text;
SELECT * FROM tag_counts ORDER BY tag NULLS FIRST;

-- incrload_explain agrees
SELECT incremental, kind, base_tables FROM incrload_explain($$SELECT d.id, t FROM doc d, unnest(d.tags) t$$);
-- refused: a function that is not immutable, one over an enclosing query's
-- row or a subquery, on the nullable side of an outer join, in a subquery
-- of an expression
SELECT incrload_register_view('bad', $$SELECT d.id, t FROM doc d, generate_series(now(), now(), interval '1 day') t$$);
SELECT incrload_register_view('bad', $$SELECT d.id, t FROM doc d, unnest((SELECT array_agg(tag) FROM tagcat)) t$$);
SELECT incrload_register_view('bad', $$SELECT d.id, t FROM doc d LEFT JOIN LATERAL unnest(d.tags) t ON true$$);
SELECT incrload_register_view('bad', $$SELECT d.id FROM doc d WHERE EXISTS (SELECT 1 FROM unnest(d.tags) t WHERE t = 'a')$$);
SELECT incrload_register_view('bad', $$SELECT x FROM generate_series(1, 3) x$$);
SELECT incrload_register_view('bad', $$SELECT unnest(tags) AS t, count(*) FROM doc GROUP BY 1$$);
-- a LATERAL subquery that aggregates, or in an outer join
SELECT incrload_register_view('bad', $$SELECT d.id, x.n FROM doc d, LATERAL (SELECT count(*) AS n FROM tagcat c WHERE c.tag = ANY (d.tags)) x$$);
SELECT incrload_register_view('bad', $$SELECT d.id, x.cat FROM doc d LEFT JOIN LATERAL (SELECT c.cat FROM tagcat c WHERE c.tag = d.tags[1]) x ON true$$);

SELECT count(incrload_unregister_view(v)) FROM (SELECT v FROM views ORDER BY v = 'tags'::regclass) s;
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
DROP TABLE doc, tagcat;
DROP EXTENSION incrload CASCADE;
