-- Columns of extension types, enums and domains as group keys, join keys
-- and in subqueries: every comparison the generated SQL writes uses the
-- type's own default equality (hstore's lives in the schema of its
-- extension, citext's ignores case), never pg_catalog's = by name.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE ta (id int PRIMARY KEY, m mood, d posint, h hstore, c citext, v int);
CREATE TABLE tb (m mood, d posint, h hstore, c citext, w int);
INSERT INTO ta SELECT i, (ARRAY['sad', 'ok', 'happy'])[i % 3 + 1]::mood, i % 4 + 1, hstore('k', (i % 2)::text),
  (ARRAY['A', 'a', 'b'])[i % 3 + 1], i FROM generate_series(1, 30) i;
INSERT INTO ta VALUES (31, NULL, NULL, NULL, NULL, 0);
INSERT INTO tb SELECT (ARRAY['sad', 'ok', 'happy'])[i % 3 + 1]::mood, i % 4 + 1, hstore('k', (i % 2)::text),
  (ARRAY['A', 'B'])[i % 2 + 1], i FROM generate_series(1, 10) i;

SELECT reg('grouped', $$SELECT m, d, h, c, count(*) AS n, sum(v) AS s FROM ta GROUP BY m, d, h, c$$);
SELECT reg('joined', $$SELECT ta.id, tb.w FROM ta JOIN tb ON ta.m = tb.m AND ta.d = tb.d AND ta.h = tb.h AND ta.c = tb.c$$);
SELECT reg('semi', $$SELECT DISTINCT m, h, c FROM ta WHERE EXISTS (SELECT 1 FROM tb WHERE tb.h = ta.h AND tb.c = ta.c)$$);
SELECT reg('anti', $$SELECT id FROM ta WHERE NOT EXISTS (SELECT 1 FROM tb WHERE tb.h = ta.h AND tb.m = ta.m)$$);
SELECT reg('first_c', $$SELECT DISTINCT ON (c) c, id FROM ta ORDER BY c, id DESC$$);
SELECT reg('distinct_h', $$SELECT count(DISTINCT h) AS hs, count(DISTINCT c) AS cs FROM ta$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- 'a' and 'A' are one citext value; an UPDATE that changes only the case
-- changes the row's text, not its group
UPDATE ta SET c = upper(c::text) WHERE id % 4 = 0;
UPDATE ta SET h = hstore('k', '2') WHERE id % 5 = 0;
DELETE FROM ta WHERE id % 7 = 0;
INSERT INTO tb VALUES ('happy', 3, hstore('k', '2'), 'a', 99), (NULL, NULL, NULL, NULL, 100);
UPDATE tb SET c = 'b' WHERE w = 3;
DELETE FROM tb WHERE w = 4;
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT v, incrload_verify(v) FROM views ORDER BY v::text;
-- DISTINCT ON shows the first row's spelling of its citext key, as the query does
SELECT count(*) FROM (SELECT c::text, id FROM first_c EXCEPT ALL
  SELECT c::text, id FROM (SELECT DISTINCT ON (c) c, id FROM ta ORDER BY c, id DESC) q) x;

SELECT incrload_unregister_view(v) FROM views;
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
DROP TABLE ta, tb;
DROP EXTENSION hstore;
DROP EXTENSION citext;
DROP TYPE mood;
DROP DOMAIN posint;
