-- What an apply runs, in plain sight: the statements incrload generates for
-- a handful of shapes (incrload_explain(query, show_sql => true)), and a
-- refresh that shows each statement it ran with its plan
-- (incrload_refresh(view, explain => true)).  A change in the generated
-- SQL shows here in review.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE ga (id int PRIMARY KEY, g int, v int);
CREATE TABLE gb (id int PRIMARY KEY, aid int, w numeric);
CREATE TABLE gc (bid int, tag text);
CREATE INDEX ON gb (aid);
CREATE INDEX ON gc (bid);
\pset format unaligned
\pset tuples_only on
-- one table, aggregates: one upsert of the netted batch grouped by key
SELECT unnest(statements) FROM incrload_explain('SELECT g, count(*) AS n, sum(v) AS s, max(v) AS m FROM ga GROUP BY g', show_sql => true);
-- three tables joined: every changed table's batch joined with the others,
-- and the terms of several batches at once (inclusion and exclusion)
SELECT unnest(statements) FROM incrload_explain('SELECT a.g, count(*) AS n, sum(b.w) AS s FROM ga a JOIN gb b ON b.aid = a.id JOIN gc c ON c.bid = b.id GROUP BY a.g', show_sql => true);
-- conditions on one table are applied where its batch is netted (once, not
-- for every row of another batch a nested loop joins it to), and each term
-- is skipped when one of its batches is empty (EXISTS: a one-time filter)
SELECT unnest(statements) FROM incrload_explain('SELECT a.g, sum(b.w) AS s FROM ga a JOIN gb b ON b.aid = a.id WHERE b.w > 10 AND a.v < 5 AND a.v < b.w GROUP BY a.g', show_sql => true);
-- an outer join: the inner join plus the unmatched rows (NOT EXISTS)
SELECT unnest(statements) FROM incrload_explain('SELECT a.id, b.w FROM ga a LEFT JOIN gb b ON b.aid = a.id', show_sql => true);
-- a subquery in WHERE: the outer rows a change of gb affects
SELECT unnest(statements) FROM incrload_explain('SELECT a.id FROM ga a WHERE NOT EXISTS (SELECT FROM gb b WHERE b.aid = a.id)', show_sql => true);
-- NOT EXISTS correlated by an equality and more: the old-only rows are
-- looked up by the equated key first (a hashed IN, built once), the rest
-- tested only for the outer rows whose key the batch took away
SELECT unnest(statements) FROM incrload_explain('SELECT a.id FROM ga a WHERE NOT EXISTS (SELECT FROM gb b WHERE b.aid = a.id AND b.w > a.v)', show_sql => true);
-- a subquery correlated by more than equalities (TPC-H q21's
-- l2.l_suppkey <> l1.l_suppkey): the outer rows a change of gb affects are
-- found through an EXISTS of the equalities alone first, which the planner
-- can start from the batch (its conditions are all equalities), then the
-- whole condition.  What EXISTS selects (here *) is never read: the old
-- state of gb is netted on the columns the conditions read
SELECT unnest(statements) FROM incrload_explain('SELECT a.id FROM ga a WHERE EXISTS (SELECT * FROM gb b WHERE b.aid = a.id AND b.id <> a.g AND b.w > 0)', show_sql => true);
-- a set operation: a count per arm
SELECT unnest(statements) FROM incrload_explain('SELECT g FROM ga UNION SELECT aid FROM gb', show_sql => true);
\pset format aligned
\pset tuples_only off
-- without show_sql, no statements
SELECT statements IS NULL AS none FROM incrload_explain('SELECT g FROM ga');

-- a refresh that shows its plans: each statement it ran, with real row
-- counts, of the auxiliary view first
INSERT INTO ga SELECT i, i % 5, i FROM generate_series(1, 50) i;
INSERT INTO gb SELECT i, i % 60, i / 2.0 FROM generate_series(1, 80) i;
SELECT reg('gv', 'SELECT a.g, count(*) AS n, sum(b.w) AS s FROM ga a JOIN gb b ON b.aid = a.id GROUP BY a.g');
SELECT reg('gn', 'SELECT s.g, count(*) AS k FROM (SELECT g, count(*) AS n FROM ga GROUP BY g) s GROUP BY s.g');
INSERT INTO ga VALUES (51, 1, 1);
UPDATE gb SET w = w + 1 WHERE id < 4;
SELECT view_name, split_part(ltrim(statement), ' ', 1) AS verb, plan LIKE '%(actual rows=%' AS analyzed,
       plan LIKE '%Buffers:%' AS buffers
  FROM incrload_refresh('gv', explain => true);
SELECT view_name, split_part(ltrim(statement), ' ', 1) AS verb
  FROM incrload_refresh('gn', explain => true);
-- nothing to do: only the look at the batch
SELECT count(*) AS statements FROM incrload_refresh('gv', explain => true);
-- explain => false only refreshes
INSERT INTO ga VALUES (52, 2, 2);
SELECT count(*) FROM incrload_refresh('gv', explain => false);
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- errors a user can hit
SELECT * FROM incrload_refresh('ga', explain => true);
SELECT * FROM incrload_refresh('gv', explain => NULL);
-- a refresh that fails leaves nothing captured behind
SELECT reg('gd', 'SELECT id, 100 / v AS r FROM ga');
INSERT INTO ga VALUES (53, 3, 0);
SELECT count(*) FROM incrload_refresh('gd', explain => true);
DELETE FROM ga WHERE id = 53;
SELECT view_name, split_part(ltrim(statement), ' ', 1) AS verb
  FROM incrload_refresh('gd', explain => true);
SELECT incrload_refresh('gv') >= 0 AS refreshed;

SELECT count(incrload_unregister_view(v)) FROM (SELECT v FROM views ORDER BY v::oid DESC) x;
DROP TABLE ga, gb, gc;
\i sql/include/helpers_end.sql
DROP EXTENSION incrload;
