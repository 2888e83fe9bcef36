-- Inner joins: n-way, USING, NATURAL, comma joins, non-equality
-- conditions, NULL join keys, self-joins, aggregates and DISTINCT on top.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql

CREATE TABLE region (rid int PRIMARY KEY, rname text);
CREATE TABLE cust (cid int PRIMARY KEY, rid int, cname text);
CREATE TABLE ord (oid int, cid int, amt int, note text);   -- no key, nullable FK
CREATE TABLE item (oid int, sku text, qty int);
INSERT INTO region VALUES (1, 'north'), (2, 'south'), (3, 'east');
INSERT INTO cust SELECT i, i % 4, 'c' || i FROM generate_series(1, 12) i;
INSERT INTO ord SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE i % 14 END, i * 3, 'n' || (i % 2) FROM generate_series(1, 60) i;
INSERT INTO item SELECT i % 60, 'sku' || (i % 5), i % 7 FROM generate_series(1, 120) i;


SELECT reg('j2',      $$SELECT o.oid, c.cname, o.amt FROM ord o JOIN cust c ON c.cid = o.cid$$);
SELECT reg('j3agg',   $$SELECT r.rname, count(*) AS n, sum(o.amt) AS total, min(o.amt) AS lo, max(c.cname) AS hi
                          FROM ord o JOIN cust c ON c.cid = o.cid JOIN region r ON r.rid = c.rid GROUP BY r.rname$$);
SELECT reg('j4',      $$SELECT r.rname, i.sku, sum(i.qty * o.amt) AS v
                          FROM ord o JOIN cust c USING (cid) JOIN region r USING (rid) JOIN item i ON i.oid = o.oid
                         GROUP BY r.rname, i.sku$$);
SELECT reg('jcomma',  $$SELECT c.cname, o.amt FROM ord o, cust c WHERE c.cid = o.cid AND o.amt > 30 AND c.rid <> 2$$);
SELECT reg('jnonequi',$$SELECT a.oid AS a, b.oid AS b FROM ord a JOIN ord b ON a.cid = b.cid AND a.oid < b.oid$$);
SELECT reg('jself',   $$SELECT a.cid, count(*) AS pairs FROM ord a JOIN ord b ON a.cid = b.cid GROUP BY a.cid$$);
SELECT reg('jdistinct', $$SELECT DISTINCT c.rid, o.note FROM ord o JOIN cust c ON c.cid = o.cid$$);
SELECT reg('jglobal', $$SELECT count(*) AS n, sum(o.amt) AS s, max(o.amt) AS m FROM ord o JOIN cust c ON c.cid = o.cid$$);
SELECT reg('jnatural', $$SELECT rid, count(*) AS n FROM cust NATURAL JOIN region GROUP BY rid$$);

SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- one transaction changes both sides: a join key moves on one side while
-- its partner is deleted on the other; rows move between groups
BEGIN;
UPDATE cust SET rid = 3 WHERE cid = 5;
DELETE FROM cust WHERE cid = 6;
UPDATE ord SET cid = 6 WHERE oid = 7;
UPDATE ord SET cid = 5 WHERE oid = 8;
UPDATE ord SET cid = NULL WHERE oid = 10;
INSERT INTO cust VALUES (13, 1, 'c13'), (0, 2, 'c0');
INSERT INTO ord VALUES (100, 13, 1, 'n1'), (101, 13, 1000, 'n0');
DELETE FROM ord WHERE amt = (SELECT max(amt) FROM ord WHERE cid IS NOT NULL);
UPDATE region SET rname = 'west' WHERE rid = 1;
DELETE FROM item WHERE sku = 'sku1';
COMMIT;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- a self-join with changes on "both occurrences" in one batch
INSERT INTO ord VALUES (200, 1, 5, 'n0'), (201, 1, 6, 'n1');
DELETE FROM ord WHERE oid = 1;
UPDATE ord SET cid = 1 WHERE oid = 15;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- one table feeding several views is captured once
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ord'::regclass;
SELECT base_table, delta_table FROM incrload.delta ORDER BY base_table::text;

DROP EXTENSION incrload CASCADE;
DROP TABLE region, cust, ord, item;
\i sql/include/helpers_end.sql
