-- Subqueries in FROM that aggregate, are DISTINCT, or are set operations:
-- each becomes an auxiliary view (schema incrload) that the view reads,
-- applied before it, unregistered with it.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE ord (oid int PRIMARY KEY, customer_id int, amt int);
CREATE TABLE cust (cid int PRIMARY KEY, region text);
INSERT INTO cust SELECT i, 'r' || (i % 3) FROM generate_series(1, 12) i;
INSERT INTO ord SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 13 END, i % 9 FROM generate_series(1, 80) i;
-- the issue's example: how many customers have n orders
SELECT reg('orders_per_n', 'SELECT n, count(*) AS customers
  FROM (SELECT customer_id, count(*) AS n FROM ord GROUP BY customer_id) per GROUP BY n');
SELECT view_name, aux_of FROM incrload.view ORDER BY view_name::text;
SELECT * FROM orders_per_n ORDER BY n;
-- more shapes: HAVING inside, joined with a table, DISTINCT, a WITH used
-- twice, three levels, a set operation, an aggregate over UNION ALL arms
SELECT reg('big_regions', 'SELECT c.region, count(*) AS n, max(t.total) AS top
  FROM (SELECT customer_id, sum(amt) AS total FROM ord GROUP BY customer_id HAVING sum(amt) > 20) t
  JOIN cust c ON c.cid = t.customer_id GROUP BY c.region');
SELECT reg('distinct_amts', 'SELECT count(*) AS n, sum(amt) AS s FROM (SELECT DISTINCT amt FROM ord) d');
SELECT reg('cte_twice', 'WITH per AS (SELECT customer_id, count(*) AS n FROM ord GROUP BY customer_id)
  SELECT a.customer_id, a.n, b.n AS other FROM per a JOIN per b ON b.customer_id = a.customer_id + 1');
SELECT reg('three', 'SELECT max(customers) AS most FROM
  (SELECT n, count(*) AS customers FROM (SELECT customer_id, count(*) AS n FROM ord GROUP BY customer_id) p GROUP BY n) q');
SELECT reg('setop_sub', 'SELECT count(*) AS n FROM (SELECT customer_id FROM ord EXCEPT SELECT cid FROM cust) x');
SELECT reg('avg_of_sums', 'SELECT avg(s) AS mean FROM (SELECT region, sum(cid) AS s FROM cust GROUP BY region
  UNION ALL SELECT ''orders'', sum(amt) FROM ord) u');
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- changes go through the auxiliary views into the views
INSERT INTO ord VALUES (100, 1, 8), (101, 1, 8), (102, 99, 1), (103, NULL, 2);
DELETE FROM ord WHERE oid % 7 = 0;
UPDATE ord SET customer_id = 5 WHERE oid % 11 = 0;
UPDATE cust SET region = 'r9' WHERE cid = 3;
INSERT INTO cust VALUES (99, 'r1');
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM orders_per_n ORDER BY n;
BEGIN;
DELETE FROM ord WHERE customer_id = 1;
SELECT incrload_refresh('orders_per_n') >= 0;
SELECT diff('orders_per_n', 'SELECT n, count(*) AS customers
  FROM (SELECT customer_id, count(*) AS n FROM ord GROUP BY customer_id) per GROUP BY n');
ROLLBACK;
TRUNCATE ord;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
INSERT INTO ord SELECT i, i % 4, i FROM generate_series(1, 20) i;
SELECT * FROM incrload_verify('three');
SELECT * FROM incrload_verify('orders_per_n');
SELECT incrload_full_refresh('big_regions');
SELECT diff('big_regions', 'SELECT c.region, count(*) AS n, max(t.total) AS top
  FROM (SELECT customer_id, sum(amt) AS total FROM ord GROUP BY customer_id HAVING sum(amt) > 20) t
  JOIN cust c ON c.cid = t.customer_id GROUP BY c.region');

-- an auxiliary view goes with its view, never alone
SELECT incrload_unregister_view('incrload.orders_per_n_sub');
DROP VIEW incrload.orders_per_n_sub;
SELECT incrload_alter_view('orders_per_n', refresh_interval => '5 seconds');
SELECT view_name, refresh_interval FROM incrload_stats WHERE view_name::text LIKE '%orders_per_n%' ORDER BY 1::text;
SELECT incrload_unregister_view('orders_per_n');
DROP VIEW three;
SELECT view_name, aux_of FROM incrload.view ORDER BY view_name::text;
SELECT count(*) FROM pg_class WHERE relnamespace = 'incrload'::regnamespace AND relname LIKE 'orders_per_n%';

DROP EXTENSION incrload CASCADE;
DROP TABLE ord, cust;
\i sql/include/helpers_end.sql
