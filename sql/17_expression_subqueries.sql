-- Subqueries in expressions: EXISTS, NOT EXISTS, IN, NOT IN (with SQL's
-- NULL semantics), ANY/ALL, scalar and ARRAY subqueries, correlated or not.
-- A change of a table inside a subquery reaches exactly the outer rows
-- whose subquery it can change.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE cust (cid int PRIMARY KEY, region text);
CREATE TABLE ord (oid int, cid int, amt int);
CREATE TABLE blk (cid int);
CREATE INDEX ON ord (cid);
INSERT INTO cust SELECT i, 'r' || (i % 3) FROM generate_series(1, 20) i;
INSERT INTO ord SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE i % 25 END, i FROM generate_series(1, 60) i;
INSERT INTO blk VALUES (1), (2), (2), (NULL);
SELECT reg('ex', 'SELECT c.cid, c.region FROM cust c WHERE EXISTS (SELECT 1 FROM ord o WHERE o.cid = c.cid AND o.amt > 20)');
SELECT reg('nex', 'SELECT c.cid FROM cust c WHERE NOT EXISTS (SELECT 1 FROM ord o WHERE o.cid = c.cid)');
SELECT reg('inq', $$SELECT o.oid FROM ord o WHERE o.cid IN (SELECT cid FROM cust WHERE region = 'r1')$$);
-- NOT IN over a set holding NULL keeps nothing; without the NULL it does
SELECT reg('notin', 'SELECT c.cid FROM cust c WHERE c.cid NOT IN (SELECT cid FROM blk)');
SELECT reg('notin2', 'SELECT o.oid FROM ord o WHERE o.cid NOT IN (SELECT cid FROM blk WHERE cid IS NOT NULL)');
SELECT reg('scalar', 'SELECT c.cid, (SELECT sum(amt) FROM ord o WHERE o.cid = c.cid) AS total,
  (SELECT count(*) FROM ord o WHERE o.cid = c.cid) AS n FROM cust c');
SELECT reg('scalar_where', 'SELECT c.cid FROM cust c WHERE (SELECT count(*) FROM ord o WHERE o.cid = c.cid) >= 2');
SELECT reg('agg_ex', 'SELECT c.region, count(*) AS n FROM cust c WHERE EXISTS (SELECT 1 FROM ord o WHERE o.cid = c.cid) GROUP BY c.region');
-- a subquery's value in the select list: TRUE, FALSE or NULL
SELECT reg('flag', 'SELECT c.cid, c.cid IN (SELECT cid FROM blk) AS blocked FROM cust c');
SELECT reg('allq', 'SELECT o.oid FROM ord o WHERE o.amt > ALL (SELECT amt FROM ord o2 WHERE o2.cid = o.cid AND o2.oid <> o.oid)');
SELECT reg('anyq', 'SELECT c.cid FROM cust c WHERE c.cid = ANY (SELECT cid + 1 FROM ord WHERE amt < 30)');
SELECT reg('arr', 'SELECT c.cid, ARRAY(SELECT o.oid FROM ord o WHERE o.cid = c.cid ORDER BY o.oid) AS oids FROM cust c');
SELECT reg('uncorrelated', 'SELECT c.cid FROM cust c WHERE c.cid < (SELECT max(cid) FROM blk)');
SELECT reg('self', 'SELECT o.oid FROM ord o WHERE NOT EXISTS (SELECT 1 FROM ord o2 WHERE o2.cid = o.cid AND o2.amt > o.amt)');
SELECT reg('nonequi', 'SELECT c.cid FROM cust c WHERE EXISTS (SELECT 1 FROM ord o WHERE o.cid < c.cid AND o.amt > 55)');
SELECT v, diff(v, q) FROM views ORDER BY v::text;

INSERT INTO ord VALUES (100, 3, 50), (101, 4, 1), (102, NULL, 5);
DELETE FROM ord WHERE oid IN (5, 30);
UPDATE ord SET cid = 7 WHERE oid = 8;
INSERT INTO blk VALUES (5);
DELETE FROM blk WHERE cid = 1;
UPDATE cust SET region = 'r1' WHERE cid = 6;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- the NULL leaves the NOT IN set: every row can change
DELETE FROM blk WHERE cid IS NULL;
INSERT INTO ord SELECT oid + 1000, cid, amt FROM ord WHERE oid < 10;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM notin ORDER BY cid LIMIT 5;
BEGIN;
INSERT INTO blk VALUES (NULL);
UPDATE cust SET cid = cid + 100 WHERE cid > 15;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
ROLLBACK;
TRUNCATE blk;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- rows are told apart by identity, not equality: 1.0 becoming 1.00 is a change
CREATE TABLE num_c (cid int PRIMARY KEY, code text);
CREATE TABLE num_t (cid int, v numeric, f float8);
INSERT INTO num_c VALUES (1, '1.0'), (2, '0');
INSERT INTO num_t VALUES (1, 1.0, 0), (2, 2.50, 0);
SELECT reg('num_scalar', 'SELECT c.cid, (SELECT max(t.v) FROM num_t t WHERE t.cid = c.cid)::text AS v FROM num_c c');
SELECT reg('num_in', 'SELECT c.cid FROM num_c c WHERE c.code IN (SELECT t.v::text FROM num_t t)');
SELECT reg('num_oj', 'SELECT c.cid, t.cid AS tcid FROM num_c c LEFT JOIN num_t t ON t.v::text = c.code');
SELECT reg('num_float', 'SELECT c.cid, (SELECT min(t.f) FROM num_t t WHERE t.cid = c.cid)::text AS f FROM num_c c');
UPDATE num_t SET v = 1.00, f = '-0' WHERE cid = 1;
UPDATE num_t SET v = 2.5 WHERE cid = 2;
SELECT count(incrload_refresh(v)) FROM views;
SELECT * FROM num_scalar ORDER BY cid;
SELECT * FROM num_in ORDER BY cid;
SELECT * FROM num_oj ORDER BY cid;
SELECT * FROM num_float ORDER BY cid;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- what EXISTS selects is never read: EXISTS (SELECT * ...) over a table
-- with a column of a type without equality (json) is kept, and nets and
-- matches the old state on the columns its conditions read
CREATE TABLE notes (cid int, k int, doc json, pt point);
INSERT INTO notes VALUES (1, 1, '{"a": 1}', '(1,1)'), (2, NULL, NULL, NULL), (2, 0, '[]', '(0,0)');
SELECT reg('ex_star', 'SELECT cid FROM cust c WHERE EXISTS (SELECT * FROM notes n WHERE n.cid = c.cid)');
SELECT reg('ex_star_not', 'SELECT c.cid, count(*) AS n FROM cust c WHERE NOT EXISTS (SELECT *, n.doc FROM notes n WHERE n.cid = c.cid AND n.k IS NOT NULL) GROUP BY c.cid');
UPDATE notes SET doc = '{"b": 2}' WHERE cid = 1;
DELETE FROM notes WHERE cid = 2 AND doc IS NULL;
INSERT INTO notes VALUES (3, 1, '1', NULL), (4, NULL, '2', '(4,4)');
UPDATE notes SET k = NULL WHERE cid = 2;
SELECT count(incrload_refresh(v)) FROM views WHERE v::text LIKE 'ex_star%';
SELECT v, diff(v, q) FROM views WHERE v::text LIKE 'ex_star%' ORDER BY v::text;
SELECT * FROM ex_star ORDER BY cid;
SELECT * FROM ex_star_not ORDER BY cid;

-- refused
SELECT incrload_register_view('bad', 'SELECT cid FROM cust c WHERE EXISTS (SELECT 1 FROM ord o WHERE o.cid = c.cid AND EXISTS (SELECT 1 FROM blk))');
SELECT incrload_register_view('bad', 'SELECT cid FROM cust c WHERE cid IN (SELECT cid FROM ord LIMIT 3)');
SELECT incrload_register_view('bad', 'SELECT region FROM cust GROUP BY region HAVING count(*) > (SELECT count(*) FROM blk WHERE blk.cid::text = cust.region)');
SELECT incrload_register_view('bad', 'SELECT cid FROM cust c WHERE EXISTS (SELECT 1 FROM ord o WHERE o.amt > random())');
-- a column a condition reads must have an equality
SELECT incrload_register_view('bad', 'SELECT cid FROM cust c WHERE EXISTS (SELECT * FROM notes n WHERE n.cid = c.cid AND n.pt IS NOT NULL)');

DROP EXTENSION incrload CASCADE;
DROP TABLE cust, ord, blk, num_c, num_t, notes;
\i sql/include/helpers_end.sql
