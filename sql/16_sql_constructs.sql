-- One view per construct of issue 9 on one small schema: outer joins
-- (LEFT, RIGHT, FULL, chains, nested, mixed with inner joins, conditions
-- on either side, non-equality conditions, inside a subquery in FROM),
-- subqueries in expressions (EXISTS, NOT EXISTS, IN, NOT IN with NULLs,
-- ANY, ALL, scalar and ARRAY subqueries, correlated or not, over the outer
-- query's own table), set operations (every kind, nested, over joins and
-- views, with NULLs and duplicates), WITH used twice, UNION ALL in FROM
-- under an aggregate, views over views, groups that empty and refill.
-- Each view is compared with its query after every batch of changes, and
-- the contents of some are shown (the comments say what they must hold).
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE region (rid int PRIMARY KEY, rname text);
CREATE TABLE cust (cid int PRIMARY KEY, rid int, name text, tier text);
CREATE TABLE ord (oid int PRIMARY KEY, cid int, amt int);
CREATE TABLE ret (cid int, amt int);             -- no key: duplicate rows
CREATE TABLE emp (eid int PRIMARY KEY, boss int, sal int);
CREATE TABLE flags (cid int);                    -- read only inside subqueries
INSERT INTO region VALUES (1, 'north'), (2, 'south'), (3, 'east');
INSERT INTO cust VALUES (1, 1, 'ann', 'gold'), (2, 1, 'bob', NULL), (3, 2, 'cy', 'gold'),
  (4, NULL, 'dee', 'silver'), (5, 9, 'eve', NULL);              -- region 9: none
INSERT INTO ord VALUES (10, 1, 100), (11, 1, 50), (12, 2, NULL), (13, NULL, 70),
  (14, 8, 30);                                                   -- customer 8: none
INSERT INTO ret VALUES (1, 50), (1, 50), (2, NULL), (NULL, 10), (7, 5);
INSERT INTO emp VALUES (1, NULL, 100), (2, 1, 80), (3, 1, 120), (4, 2, 90), (5, 9, 10), (6, 2, NULL);
INSERT INTO flags VALUES (1), (3), (NULL);
CREATE VIEW live_ord AS SELECT oid, cid, amt FROM ord WHERE amt IS NOT NULL;
CREATE VIEW cust_region AS SELECT c.cid, c.name, r.rname FROM cust c LEFT JOIN region r ON r.rid = c.rid;
CREATE VIEW big_ord AS SELECT oid, cid, amt FROM live_ord WHERE amt >= 50;   -- a view over a view

-- outer joins
SELECT reg('oj_left', $$SELECT c.cid, count(o.oid) AS n, count(*) AS nrows, sum(o.amt) AS s, min(o.amt) AS mn, max(o.amt) AS mx
  FROM cust c LEFT JOIN ord o ON o.cid = c.cid GROUP BY c.cid$$);
SELECT reg('oj_right', $$SELECT r.rname, c.name FROM cust c RIGHT JOIN region r ON r.rid = c.rid$$);
SELECT reg('oj_full', $$SELECT c.name, o.oid FROM cust c FULL JOIN ord o ON o.cid = c.cid$$);
SELECT reg('oj_chain', $$SELECT o.oid, c.name, r.rname FROM ord o LEFT JOIN cust c ON c.cid = o.cid LEFT JOIN region r ON r.rid = c.rid$$);
SELECT reg('oj_nested', $$SELECT r.rname, c.name, o.oid FROM region r LEFT JOIN (cust c LEFT JOIN ord o ON o.cid = c.cid) ON c.rid = r.rid$$);
SELECT reg('oj_full_chain', $$SELECT c.cid, o.oid, r.rid FROM cust c FULL JOIN ord o ON o.cid = c.cid FULL JOIN region r ON r.rid = c.rid$$);
SELECT reg('oj_mixed', $$SELECT c.name, o.oid, r.rname FROM cust c JOIN ord o ON o.cid = c.cid LEFT JOIN region r ON r.rid = c.rid$$);
SELECT reg('oj_cond', $$SELECT c.cid, o.oid FROM cust c LEFT JOIN ord o ON o.cid = c.cid AND o.amt > 60 AND c.tier = 'gold'$$);
SELECT reg('oj_nonequi', $$SELECT c.cid, count(o.oid) AS n FROM cust c LEFT JOIN ord o ON o.amt > c.cid * 20 GROUP BY c.cid$$);
SELECT reg('oj_self', $$SELECT e.eid, b.eid AS boss, b.sal AS boss_sal FROM emp e LEFT JOIN emp b ON b.eid = e.boss$$);
SELECT reg('oj_in_from', $$SELECT s.rname, count(*) AS n FROM (SELECT r.rname FROM cust c LEFT JOIN region r ON r.rid = c.rid) s GROUP BY s.rname$$);
SELECT reg('oj_view', $$SELECT rname, count(*) AS n FROM cust_region GROUP BY rname$$);
SELECT reg('oj_global', $$SELECT count(*) AS n, count(c.cid) AS nc, min(o.amt) AS mn, max(c.name) AS mx FROM ord o LEFT JOIN cust c ON c.cid = o.cid$$);
SELECT reg('oj_having', $$SELECT c.tier, count(o.oid) AS n FROM cust c LEFT JOIN ord o ON o.cid = c.cid GROUP BY c.tier HAVING count(o.oid) > 0$$);
-- subqueries in expressions
SELECT reg('sq_exists', $$SELECT c.cid FROM cust c WHERE EXISTS (SELECT FROM ord o WHERE o.cid = c.cid)$$);
SELECT reg('sq_not_exists', $$SELECT c.cid FROM cust c WHERE NOT EXISTS (SELECT FROM ord o WHERE o.cid = c.cid)$$);
SELECT reg('sq_exists_nonequi', $$SELECT c.cid FROM cust c WHERE EXISTS (SELECT FROM ord o WHERE o.amt > c.cid * 30)$$);
SELECT reg('sq_in', $$SELECT o.oid FROM ord o WHERE o.cid IN (SELECT cid FROM flags)$$);
SELECT reg('sq_not_in', $$SELECT c.cid FROM cust c WHERE c.cid NOT IN (SELECT cid FROM flags)$$);
SELECT reg('sq_not_in_left_null', $$SELECT o.oid FROM ord o WHERE o.cid NOT IN (SELECT cid FROM cust)$$);
SELECT reg('sq_any', $$SELECT e.eid FROM emp e WHERE e.sal < ANY (SELECT k.sal FROM emp k WHERE k.boss = e.eid)$$);
SELECT reg('sq_all', $$SELECT e.eid FROM emp e WHERE e.sal > ALL (SELECT k.sal FROM emp k WHERE k.boss = e.eid)$$);
SELECT reg('sq_scalar', $$SELECT c.cid, (SELECT sum(o.amt) FROM ord o WHERE o.cid = c.cid) AS s,
  (SELECT count(*) FROM ret t WHERE t.cid = c.cid) AS n FROM cust c$$);
SELECT reg('sq_scalar_where', $$SELECT o.oid FROM ord o WHERE o.amt >= (SELECT max(o2.amt) FROM ord o2 WHERE o2.cid = o.cid)$$);
SELECT reg('sq_scalar_uncorr', $$SELECT c.cid FROM cust c WHERE c.cid > (SELECT count(*) FROM flags)$$);
SELECT reg('sq_array', $$SELECT c.cid, ARRAY(SELECT o.oid FROM ord o WHERE o.cid = c.cid ORDER BY o.oid) AS oids FROM cust c$$);
SELECT reg('sq_agg_on_top', $$SELECT c.tier, sum((SELECT count(*) FROM ord o WHERE o.cid = c.cid)) AS n FROM cust c GROUP BY c.tier$$);
-- set operations
SELECT reg('so_union', $$SELECT cid FROM ord UNION SELECT cid FROM ret$$);
SELECT reg('so_union_all', $$SELECT cid FROM ord UNION ALL SELECT cid FROM ret$$);
SELECT reg('so_intersect', $$SELECT cid FROM ord INTERSECT SELECT cid FROM ret$$);
SELECT reg('so_intersect_all', $$SELECT cid, amt FROM ret INTERSECT ALL SELECT cid, amt FROM ret WHERE amt > 20$$);
SELECT reg('so_except', $$SELECT cid FROM cust EXCEPT SELECT cid FROM ord$$);
SELECT reg('so_except_all', $$SELECT cid FROM ret EXCEPT ALL SELECT cid FROM ord$$);
SELECT reg('so_nested', $$(SELECT cid FROM ord UNION ALL SELECT cid FROM ret) EXCEPT SELECT cid FROM cust$$);
SELECT reg('so_join_view', $$SELECT c.name FROM cust c JOIN ord o ON o.cid = c.cid INTERSECT SELECT name FROM cust_region WHERE rname IS NOT NULL$$);
SELECT reg('so_distinct_arm', $$SELECT DISTINCT cid FROM ret UNION ALL SELECT cid FROM big_ord$$);
-- WITH, UNION ALL in FROM, views over views
SELECT reg('cte_twice', $$WITH o AS (SELECT oid, cid FROM ord) SELECT a.cid, count(*) AS pairs FROM o a JOIN o b ON a.cid = b.cid AND a.oid < b.oid GROUP BY a.cid$$);
SELECT reg('ua_from', $$SELECT m.cid, sum(m.amt) AS net, count(*) AS n FROM (SELECT cid, amt FROM ord UNION ALL SELECT cid, -amt FROM ret) m GROUP BY m.cid$$);
SELECT reg('vv', $$SELECT cid, count(*) AS n, sum(amt) AS s FROM big_ord GROUP BY cid$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- customers 1, 2 have orders; 3, 4, 5 have none (count 0, nrows 1)
SELECT * FROM oj_left ORDER BY cid;
-- east has nobody; dee (no region) and eve (region 9) are not here
SELECT * FROM oj_right ORDER BY rname, name;
-- orders 13 (NULL customer) and 14 (customer 8) with no name; cy, dee, eve with no order
SELECT * FROM oj_full ORDER BY name, oid;
-- north: ann (10, 11), bob (12); south: cy (no order); east: nobody
SELECT * FROM oj_nested ORDER BY rname, name, oid;
-- NOT IN: flags holds a NULL, so nobody
SELECT * FROM sq_not_in ORDER BY cid;
-- order 14 (customer 8 does not exist); order 13 (NULL) is not NOT IN anything
SELECT * FROM sq_not_in_left_null ORDER BY oid;
-- 1: 100 < ANY {80, 120}; 2: 80 < ANY {90, NULL}; 3..6 have nobody (ANY of nothing is false)
SELECT * FROM sq_any ORDER BY eid;
-- 3, 4, 5, 6 (ALL of nothing is true, also for 6 whose sal is NULL); 2: 80 > ALL {90, NULL} is false
SELECT * FROM sq_all ORDER BY eid;
SELECT * FROM sq_scalar ORDER BY cid;
SELECT * FROM sq_array ORDER BY cid;
-- NULL from both sides, 1 and 2 in both
SELECT * FROM so_intersect ORDER BY cid;
-- ret's customers less ord's, as multisets: 7 (1 twice, 2 and NULL once on both sides)
SELECT * FROM so_except_all ORDER BY cid;
SELECT * FROM ua_from ORDER BY cid;

-- first match of an unmatched row, last unmatch, a dangling key that comes
-- to exist, keys that become NULL, a subquery result that flips
BEGIN;
INSERT INTO ord VALUES (15, 3, 80);        -- cy's first order
DELETE FROM ord WHERE oid IN (10, 11);     -- ann's last orders
INSERT INTO cust VALUES (8, 3, 'hal', 'gold');   -- order 14 now has a customer, in east
UPDATE ord SET cid = NULL WHERE oid = 12;  -- bob loses his order
UPDATE cust SET rid = 3 WHERE cid = 2;     -- bob moves to east
DELETE FROM flags WHERE cid IS NULL;       -- NOT IN is no longer empty
DELETE FROM ret WHERE ctid = (SELECT min(ctid) FROM ret WHERE cid = 1);  -- one of two duplicates
UPDATE emp SET sal = 200 WHERE eid = 4;    -- 2's subordinates: {200, NULL}
COMMIT;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- 1: 0 orders now; 3: one (80); 8: one (30)
SELECT * FROM oj_left ORDER BY cid;
-- east: bob, hal
SELECT * FROM oj_right ORDER BY rname, name;
SELECT * FROM oj_nested ORDER BY rname, name, oid;
-- 2, 4, 5, 8 (not 1, 3)
SELECT * FROM sq_not_in ORDER BY cid;
SELECT * FROM sq_not_in_left_null ORDER BY oid;
SELECT * FROM sq_any ORDER BY eid;
SELECT * FROM sq_all ORDER BY eid;
SELECT * FROM sq_scalar ORDER BY cid;
SELECT * FROM sq_array ORDER BY cid;

-- TRUNCATE of the table read only inside subqueries; the self-referencing
-- table changes on both sides of its self-join; a region goes
TRUNCATE flags;
UPDATE emp SET boss = 3 WHERE eid = 2;
DELETE FROM emp WHERE eid = 1;
INSERT INTO emp VALUES (9, NULL, 50);
DELETE FROM region WHERE rid = 1;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- nobody is NOT IN an empty table: every customer
SELECT * FROM sq_not_in ORDER BY cid;
SELECT * FROM oj_self ORDER BY eid;
SELECT * FROM sq_all ORDER BY eid;

-- a refresh inside the writing transaction, with writes after it
BEGIN;
INSERT INTO flags VALUES (2), (NULL);
UPDATE ord SET amt = amt + 100 WHERE cid = 3;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views WHERE diff(v, q) <> 0;
INSERT INTO ret VALUES (3, 180), (3, 180);
COMMIT;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- every order goes: groups empty; then they refill
DELETE FROM ord;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM oj_left ORDER BY cid;
SELECT * FROM oj_global;
SELECT count(*) FROM oj_having;
INSERT INTO ord VALUES (20, 1, 10), (21, 1, 20), (22, 4, 30), (23, NULL, NULL);
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM oj_left ORDER BY cid;
SELECT * FROM oj_having ORDER BY tier;

SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
RESET client_min_messages;
DROP VIEW big_ord, live_ord, cust_region;
DROP TABLE region, cust, ord, ret, emp, flags;
\i sql/include/helpers_end.sql
