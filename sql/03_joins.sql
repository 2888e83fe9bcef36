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

-- a big table joined by a column without an index: allowed, and said
CREATE TABLE big_fact (id int, d1 int, d2 int, v int);
CREATE TABLE big_dim (id int PRIMARY KEY, name text);
CREATE TABLE big_dim2 (k int, label text);
INSERT INTO big_dim SELECT i, 'n' || i FROM generate_series(1, 30000) i;
INSERT INTO big_dim2 SELECT i, 'l' || i FROM generate_series(1, 30000) i;
INSERT INTO big_fact SELECT i, i % 30000, i % 30000, i FROM generate_series(1, 30000) i;
SELECT incrload_register_view('big_join', 'SELECT d.name, e.label, sum(f.v) AS s
  FROM big_fact f JOIN big_dim d ON d.id = f.d1 JOIN big_dim2 e ON e.k = f.d2 GROUP BY d.name, e.label');
CREATE INDEX ON big_fact (d2);
CREATE INDEX ON big_dim2 (k);
SELECT incrload_register_view('big_join2', 'SELECT d.name, e.label FROM big_fact f JOIN big_dim d ON d.id = f.d1 JOIN big_dim2 e ON e.k = f.d2');
UPDATE big_fact SET d1 = d1 + 1 WHERE id % 1000 = 0;
SELECT incrload_refresh('big_join'), incrload_refresh('big_join2');
SELECT diff('big_join', 'SELECT d.name, e.label, sum(f.v) AS s
  FROM big_fact f JOIN big_dim d ON d.id = f.d1 JOIN big_dim2 e ON e.k = f.d2 GROUP BY d.name, e.label');
SELECT diff('big_join2', 'SELECT d.name, e.label FROM big_fact f JOIN big_dim d ON d.id = f.d1 JOIN big_dim2 e ON e.k = f.d2');

DROP EXTENSION incrload CASCADE;
DROP TABLE region, cust, ord, item, big_fact, big_dim, big_dim2;
\i sql/include/helpers_end.sql
