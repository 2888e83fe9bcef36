-- Views over plain views, WITH queries, subqueries in FROM and UNION ALL
-- in FROM: expanded into joins of base tables and maintained incrementally.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE cust (cid int PRIMARY KEY, region text, vip bool);
CREATE TABLE ord (oid int PRIMARY KEY, cid int, amt int, status text);
CREATE TABLE ret (rid int PRIMARY KEY, cid int, amt int);
INSERT INTO cust SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'r' || (i % 3) END, i % 4 = 0
  FROM generate_series(1, 20) i;
INSERT INTO ord SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE i % 23 END, i * 2,
  CASE WHEN i % 5 = 0 THEN 'void' ELSE 'ok' END FROM generate_series(1, 80) i;
INSERT INTO ret SELECT i, i % 7, i FROM generate_series(1, 15) i;

-- plain views, also nested, also with joins and filters inside
CREATE VIEW live_ord AS SELECT oid, cid, amt FROM ord WHERE status <> 'void';
CREATE VIEW cust_ord AS SELECT c.region, c.vip, o.amt, o.oid FROM cust c JOIN live_ord o ON o.cid = c.cid;
SELECT reg('v_view', $$SELECT region, count(*) AS n, sum(amt) AS total FROM cust_ord GROUP BY region$$);
SELECT reg('v_view_proj', $$SELECT oid, amt * 10 AS a10 FROM live_ord WHERE amt > 20$$);
-- one view twice: a self-join through it
SELECT reg('v_view_self', $$SELECT a.oid, b.oid AS other FROM live_ord a JOIN live_ord b ON a.cid = b.cid AND a.oid < b.oid$$);
-- WITH: used once, twice, one WITH reading another, MATERIALIZED
SELECT reg('v_cte', $$WITH big AS (SELECT * FROM ord WHERE amt > 50)
  SELECT cid, count(*) AS n, max(amt) AS top FROM big GROUP BY cid$$);
SELECT reg('v_cte_twice', $$WITH o AS MATERIALIZED (SELECT oid, cid FROM ord WHERE status = 'ok')
  SELECT x.cid, count(*) AS pairs FROM o x JOIN o y ON x.cid = y.cid GROUP BY x.cid$$);
SELECT reg('v_cte_chain', $$WITH a AS (SELECT cid, amt FROM ord), b AS (SELECT cid, amt FROM a WHERE amt % 3 = 0)
  SELECT c.region, sum(b.amt) AS s FROM b JOIN cust c USING (cid) GROUP BY c.region$$);
-- subqueries in FROM, with joins and expressions inside
SELECT reg('v_sub', $$SELECT s.region, count(*) AS n
  FROM (SELECT c.region, o.amt * 2 AS dbl FROM ord o JOIN cust c ON c.cid = o.cid WHERE o.amt > 10) s
  WHERE s.dbl < 150 GROUP BY s.region$$);
SELECT reg('v_sub_nested', $$SELECT x.cid, x.amt FROM (SELECT * FROM (SELECT cid, amt FROM ord) y WHERE y.amt > 100) x$$);
-- UNION ALL in FROM: each arm a branch
SELECT reg('v_union_all', $$SELECT cid, sum(amt) AS net, count(*) AS moves
  FROM (SELECT cid, amt FROM ord WHERE status = 'ok' UNION ALL SELECT cid, -amt FROM ret) m GROUP BY cid$$);
SELECT reg('v_union_all_join', $$SELECT c.region, m.kind, count(*) AS n
  FROM cust c JOIN (SELECT cid, 'order' AS kind FROM ord UNION ALL SELECT cid, 'return' FROM ret) m ON m.cid = c.cid
  GROUP BY c.region, m.kind$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- changes on every table, in several transactions
BEGIN;
INSERT INTO ord VALUES (100, 1, 500, 'ok'), (101, NULL, 3, 'ok'), (102, 2, 60, 'void');
UPDATE ord SET status = 'void' WHERE oid % 7 = 0;
UPDATE ord SET cid = cid + 1 WHERE oid % 9 = 0;
COMMIT;
DELETE FROM ord WHERE oid % 13 = 0;
UPDATE cust SET region = 'r9' WHERE cid = 2;
UPDATE cust SET cid = 99 WHERE cid = 5;
INSERT INTO ret VALUES (100, 1, 1000), (101, 99, 5);
DELETE FROM ret WHERE rid = 3;
SELECT count(*) FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
TRUNCATE ret;
UPDATE ord SET amt = amt + 1;
SELECT count(*) FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- what the query reads is protected, through the views too
DROP VIEW live_ord;
ALTER TABLE ord DROP COLUMN amt;
ALTER VIEW live_ord RENAME TO open_orders;
SELECT query FROM incrload.view WHERE view_name = 'v_view_proj'::regclass;
-- replacing a view a registered view reads is refused
CREATE OR REPLACE VIEW open_orders AS SELECT oid, cid, amt FROM ord WHERE status = 'ok';
-- replacing a function it calls makes the view recompute once
CREATE FUNCTION bucket(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 / 10';
SELECT reg('v_fn', $$SELECT bucket(amt) AS b, count(*) AS n FROM ord GROUP BY bucket(amt)$$);
CREATE OR REPLACE FUNCTION bucket(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 / 20';
SELECT state FROM incrload_stats WHERE view_name = 'v_fn'::regclass;
SELECT incrload_refresh('v_fn');
SELECT state, full_refreshes FROM incrload_stats WHERE view_name = 'v_fn'::regclass;
SELECT diff('v_fn', $$SELECT bucket(amt) AS b, count(*) AS n FROM ord GROUP BY bucket(amt)$$);

-- subqueries in FROM that aggregate or are set operations become
-- auxiliary views of their own (sql/20_nested.sql)
SELECT reg('v_sub_agg', 'SELECT cid FROM (SELECT cid, count(*) FROM ord GROUP BY cid) s');
SELECT reg('v_sub_union', 'SELECT cid FROM (SELECT cid FROM ord UNION SELECT cid FROM ret) s');
SELECT reg('v_sub_intersect', 'SELECT cid FROM (SELECT cid FROM ord INTERSECT SELECT cid FROM ret) s');
INSERT INTO ret VALUES (300, 1, 1), (301, 4, 2);
DELETE FROM ord WHERE oid % 4 = 0;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views WHERE v::text LIKE 'v_sub_%' ORDER BY v::text;

-- what is still refused inside FROM
SELECT incrload_register_view('bad', 'SELECT x FROM cust c, LATERAL (SELECT DISTINCT c.cid + 1 AS x) l');
SELECT incrload_register_view('bad', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r');
SELECT incrload_register_view('bad', 'WITH d AS (SELECT random() AS r FROM ord) SELECT r FROM d');

DROP EXTENSION incrload CASCADE;
DROP VIEW cust_ord, open_orders;
DROP TABLE cust, ord, ret;
DROP FUNCTION bucket(int);
\i sql/include/helpers_end.sql
