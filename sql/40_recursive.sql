-- Recursive WITH queries: the rows WITH RECURSIVE r AS (base UNION [ALL]
-- step) reaches, as a view of its own (its closure), maintained by
-- delete-and-rederive and semi-naive insertion (UNION), or by counting
-- (UNION ALL) (src/recursive.c); over cycles, NULLs, several tables, and
-- read by other views.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE edge (src int, dst int, w int, note text);
CREATE INDEX ON edge (src);
CREATE TABLE node (id int PRIMARY KEY, kind text, active bool NOT NULL);
CREATE TABLE emp (id int PRIMARY KEY, boss int, name text NOT NULL);
INSERT INTO edge VALUES (1,2,1,'a'), (2,3,1,'b'), (3,4,2,'c'), (4,2,1,'d'),
  (5,6,3,NULL), (6,NULL,1,'n'), (NULL,7,1,'m'), (7,8,1,'x'), (2,3,5,'dup');
INSERT INTO node SELECT i, CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END, i <> 5
  FROM generate_series(1, 9) i;
INSERT INTO emp VALUES (1, NULL, 'ceo'), (2, 1, 'cto'), (3, 1, 'cfo'), (4, 2, 'dev'),
  (5, 4, 'intern'), (6, 3, 'clerk');

-- the transitive closure of a graph with a cycle (2 -> 3 -> 4 -> 2), NULLs
-- and a duplicate edge
SELECT reg('reach', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge
  UNION SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b) SELECT * FROM r$$);
-- reachability from one node, through active nodes only (two tables in the step)
SELECT reg('from1', $$WITH RECURSIVE r(n) AS (SELECT 1
  UNION SELECT e.dst FROM r, edge e, node x WHERE e.src = r.n AND x.id = e.dst AND x.active)
  SELECT n FROM r$$);
-- an org chart: the chain of command with an expression in the step, read
-- by an outer query that filters and aggregates (the closure is an
-- auxiliary view)
SELECT reg('chain', $$WITH RECURSIVE c(id, top, path) AS (
    SELECT id, id, name FROM emp WHERE boss IS NULL
  UNION SELECT e.id, c.top, c.path || '/' || e.name FROM c JOIN emp e ON e.boss = c.id)
  SELECT id, path FROM c WHERE id > 1$$);
SELECT reg('span', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge WHERE w < 3
  UNION SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b AND e.w < 3)
  SELECT a, count(*) AS n FROM r GROUP BY a$$);
-- UNION ALL: each row as often as the query derives it (counted), here a
-- bill of materials whose quantities multiply down the tree, and the paths
-- of a DAG with two ways to one node
CREATE TABLE bom (part text, sub text, qty int);
INSERT INTO bom VALUES ('car', 'wheel', 4), ('car', 'engine', 1), ('engine', 'bolt', 10),
  ('wheel', 'bolt', 5), ('engine', 'piston', 4), ('piston', 'ring', 3), ('wheel', 'bolt', 5);
SELECT reg('need', $$WITH RECURSIVE n(top, sub, qty) AS (SELECT part, sub, qty FROM bom
  UNION ALL SELECT n.top, b.sub, n.qty * b.qty FROM n JOIN bom b ON b.part = n.sub)
  SELECT top, sub, sum(qty) AS total FROM n GROUP BY top, sub$$);
SELECT reg('paths', $$WITH RECURSIVE p(a, b) AS (SELECT src, dst FROM edge WHERE w > 1 OR src < 3
  UNION ALL SELECT p.a, e.dst FROM p JOIN edge e ON e.src = p.b AND e.src < e.dst) SELECT * FROM p$$);
-- a recursive WITH query in a subquery, joined with a table
SELECT reg('kinds', $$SELECT x.kind, t.b FROM node x JOIN (WITH RECURSIVE r(a, b) AS
  (SELECT src, dst FROM edge UNION SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b)
  SELECT a, b FROM r) t ON t.a = x.id$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM reach ORDER BY a, b;
SELECT * FROM chain ORDER BY id;
SELECT * FROM need WHERE top = 'car' ORDER BY sub;

-- deletions in a cycle: what another path still reaches stays (rederived)
DELETE FROM edge WHERE note = 'b';
SELECT v, incrload_refresh(v) >= 0 AS applied, diff(v, q) FROM views ORDER BY v::text;
SELECT count(*) FROM reach WHERE a = 1;
-- the other copy of the duplicate edge goes: the cycle breaks
DELETE FROM edge WHERE note = 'dup';
SELECT v, incrload_refresh(v) >= 0 AS applied, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM reach ORDER BY a, b;
-- insertions that close a cycle again and join two components; a key
-- change; a node turned inactive; several tables changed in one transaction
BEGIN;
INSERT INTO edge VALUES (4, 1, 1, 'back'), (8, 5, 1, 'join'), (3, 3, 1, 'self');
UPDATE edge SET dst = 9 WHERE note = 'x';
UPDATE node SET active = false WHERE id = 3;
UPDATE emp SET boss = 3 WHERE id = 4;
INSERT INTO emp VALUES (7, 5, 'new');
UPDATE bom SET qty = 6 WHERE part = 'car' AND sub = 'wheel';
INSERT INTO bom VALUES ('ring', 'steel', 2), ('bolt', 'steel', 1);
DELETE FROM bom WHERE part = 'engine' AND sub = 'piston';
COMMIT;
SELECT v, incrload_refresh(v) >= 0 AS applied, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM chain ORDER BY id;
SELECT * FROM from1 ORDER BY n;
SELECT * FROM need WHERE top = 'car' ORDER BY sub;
-- applied, not recomputed
SELECT view_name, full_refreshes FROM incrload_stats WHERE view_name::text IN ('reach', 'need', 'paths') ORDER BY 1;
-- a rolled-back change leaves nothing; an insert then delete in one batch
BEGIN; DELETE FROM edge; ROLLBACK;
INSERT INTO edge VALUES (9, 1, 1, 'tmp');
DELETE FROM edge WHERE note = 'tmp';
UPDATE edge SET note = 'renamed' WHERE note = 'c';
SELECT v, incrload_refresh(v) >= 0 AS applied, diff(v, q) FROM views ORDER BY v::text;
-- everything goes, then comes back
DELETE FROM edge;
SELECT v, incrload_refresh(v) >= 0 AS applied, diff(v, q) FROM views ORDER BY v::text;
SELECT count(*) FROM reach;
INSERT INTO edge SELECT i, i + 1, 1, NULL FROM generate_series(1, 30) i;
INSERT INTO edge VALUES (30, 1, 1, 'ring');
SELECT v, incrload_refresh(v) >= 0 AS applied, diff(v, q) FROM views ORDER BY v::text;
SELECT count(*) FROM reach;
-- cutting the ring in one place takes away what only it reached
DELETE FROM edge WHERE src = 15;
SELECT v, incrload_refresh(v) >= 0 AS applied, diff(v, q) FROM views ORDER BY v::text;
SELECT count(*) FROM reach;
SELECT v, (incrload_verify(v)).* FROM views ORDER BY v::text;
TRUNCATE edge;
SELECT v, incrload_refresh(v) >= 0 AS applied, diff(v, q) FROM views ORDER BY v::text;

-- what incrload_explain says
SELECT incremental, kind, base_tables FROM incrload_explain($$WITH RECURSIVE r(a, b) AS
  (SELECT src, dst FROM edge UNION SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b) SELECT * FROM r$$);

-- refused, each naming what the query holds
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, n) AS (SELECT src, count(*) FROM edge GROUP BY src
  UNION SELECT r.a, r.n + 1 FROM r JOIN edge e ON e.src = r.a WHERE r.n < 3) SELECT * FROM r$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge
  UNION SELECT r.a, e.dst FROM r LEFT JOIN edge e ON e.src = r.b) SELECT * FROM r$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge
  UNION SELECT DISTINCT r.a, e.dst FROM r JOIN edge e ON e.src = r.b) SELECT * FROM r$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge
  UNION SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b) SELECT * FROM r LIMIT 3$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge
  UNION SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b WHERE EXISTS (SELECT 1 FROM node WHERE id = e.dst))
  SELECT * FROM r$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge
  UNION SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b AND random() < 0.5) SELECT * FROM r$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, b) AS (SELECT 1, 2
  UNION SELECT r.a, g FROM r, generate_series(r.b, 3) g) SELECT * FROM r$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE e2 AS (SELECT * FROM edge),
  r(a, b) AS (SELECT src, dst FROM e2 UNION SELECT r.a, e.dst FROM r JOIN e2 e ON e.src = r.b) SELECT * FROM r$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge
  UNION ALL SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b) CYCLE b SET looped USING path SELECT a, b FROM r$$);
SELECT incrload_register_view('bad', $$WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM edge
  UNION SELECT r.a, e.dst FROM r JOIN edge e ON e.src = r.b) SEARCH DEPTH FIRST BY b SET ord SELECT a, b FROM r$$);
SELECT * FROM leftovers() WHERE what = 'views';

SELECT count(incrload_unregister_view(v)) FROM (SELECT v FROM views ORDER BY v::text DESC) x;
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
DROP TABLE edge, node, emp, bom;
DROP EXTENSION incrload CASCADE;
