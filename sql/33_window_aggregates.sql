-- Aggregates over whole window partitions (OVER (PARTITION BY ...) without
-- ORDER BY), maintained incrementally as subqueries correlated by the
-- partition (src/window_aggregates.c), each an auxiliary view grouped by
-- it: a change reaches the rows of the partitions it touched.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE ord (id int PRIMARY KEY, cust int, cat text NOT NULL, amt numeric(10,2), qty int);
CREATE INDEX ON ord (cust);
INSERT INTO ord SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 5 END, 'c' || (i % 3), i * 1.5, i % 4
  FROM generate_series(1, 60) i;
CREATE TABLE cust (cust int PRIMARY KEY, region text);
INSERT INTO cust SELECT i, 'r' || (i % 2) FROM generate_series(0, 5) i;

-- a share of the partition's total (a NULL partition is one partition),
-- two keys of which one cannot be NULL, the whole query as the partition
SELECT reg('shares', $$SELECT id, amt / sum(amt) OVER (PARTITION BY cust) AS share,
  count(*) OVER (PARTITION BY cust, cat) AS n, max(amt) OVER () AS top FROM ord$$);
-- NOT NULL keys only, FILTER, avg, count(x) over NULLs, a WHERE
SELECT reg('by_cat', $$SELECT id, cat, avg(qty) OVER w AS avg_qty, count(qty) FILTER (WHERE qty > 1) OVER w AS big,
  min(amt) OVER w AS low FROM ord WHERE amt > 10 WINDOW w AS (PARTITION BY cat)$$);
-- over a join, partitioned by a column of the other table, DISTINCT on top
SELECT reg('by_region', $$SELECT DISTINCT c.region, sum(o.qty) OVER (PARTITION BY c.region) AS q
  FROM ord o JOIN cust c ON c.cust = o.cust$$);
-- an expression as the partition
SELECT reg('by_parity', $$SELECT id, sum(qty) OVER (PARTITION BY id % 2) AS s FROM ord$$);
-- over a grouped query: a group's share of the total, partitioned by an aggregate
SELECT reg('cust_share', $$SELECT cust, sum(qty) AS q, sum(qty)::numeric / sum(sum(qty)) OVER () AS share,
  count(*) OVER (PARTITION BY max(cat)) AS peers FROM ord GROUP BY cust HAVING count(*) > 1$$);
-- in a FROM subquery, filtered on: the subquery is an auxiliary view
SELECT reg('big_shares', $$SELECT s.id, s.share FROM (SELECT id, amt / sum(amt) OVER (PARTITION BY cat) AS share FROM ord) s
  WHERE s.share > 0.05$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT kind, auxiliary_views FROM incrload_explain($$SELECT id, sum(amt) OVER (PARTITION BY cust) FROM ord$$);

-- writes: into and out of the NULL partition, a partition emptied, a new one,
-- a rollback, the join's other side
UPDATE ord SET cust = NULL WHERE id IN (3, 4);
UPDATE ord SET cust = 4 WHERE id = 14;
DELETE FROM ord WHERE cust = 2;
INSERT INTO ord VALUES (100, 9, 'c1', 1000, 3), (101, NULL, 'c9', 5, NULL), (102, 9, 'c9', NULL, 2);
BEGIN;
DELETE FROM ord WHERE cust = 1;
ROLLBACK;
UPDATE cust SET region = 'r7' WHERE cust = 3;
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
DELETE FROM ord WHERE id > 50;
UPDATE ord SET qty = qty + 1 WHERE id % 3 = 0;
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT v, incrload_verify(v) FROM views ORDER BY v::text;

-- refused, naming what stays out; explain agrees
SELECT incrload_register_view('r1', $$SELECT id, lag(qty, 2) OVER (PARTITION BY cust ORDER BY id) FROM ord$$);
SELECT incrload_register_view('r2', $$SELECT id, sum(qty) OVER (PARTITION BY cust ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM ord$$);
-- a subquery in WHERE: each window's subquery would repeat it, inside a correlated subquery
SELECT incrload_register_view('r6', $$SELECT id, count(*) OVER (PARTITION BY cat) FROM ord WHERE cust IN (SELECT cust FROM cust)$$);
SELECT reason FROM incrload_explain($$SELECT id, count(*) OVER (PARTITION BY cat) FROM ord o WHERE EXISTS (SELECT FROM cust c WHERE c.cust = o.cust)$$);
-- the same over a grouped query holds the subquery in its grouping, an auxiliary view of its own
SELECT incremental FROM incrload_explain($$SELECT cat, count(*) AS n, sum(count(*)) OVER () AS total FROM ord WHERE cust IN (SELECT cust FROM cust) GROUP BY cat$$);
-- two partition keys that can be NULL
SELECT incrload_register_view('r4', $$SELECT id, count(*) OVER (PARTITION BY cust, qty) FROM ord$$);
SELECT reason FROM incrload_explain($$SELECT id, ntile(2) OVER (PARTITION BY cat ORDER BY amt) FROM ord$$);
SELECT incrload_register_view('r5', $$SELECT * FROM (SELECT id, ntile(4) OVER (PARTITION BY cat ORDER BY amt) AS r FROM ord) s WHERE r = 1$$);

SELECT incrload_unregister_view(v) FROM views;
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
