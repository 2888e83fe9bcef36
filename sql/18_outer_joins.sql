-- Outer joins: LEFT, RIGHT and FULL, chains, mixed with inner joins,
-- nested, with conditions on either side: the inner join plus, for each
-- preserved side, its rows that match nothing (NOT EXISTS), NULL-extended.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE cust (cid int PRIMARY KEY, region text);
CREATE TABLE ord (oid int, cid int, amt int);
CREATE TABLE item (oid int, sku text);
CREATE INDEX ON ord (cid);
CREATE INDEX ON item (oid);
INSERT INTO cust SELECT i, 'r' || (i % 3) FROM generate_series(1, 12) i;
INSERT INTO ord SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE i % 15 END, i FROM generate_series(1, 30) i;
INSERT INTO item SELECT i % 35, 's' || (i % 4) FROM generate_series(1, 40) i;
SELECT reg('lj', 'SELECT c.cid, o.oid FROM cust c LEFT JOIN ord o ON o.cid = c.cid');
-- count(o.oid) counts 0 for customers without orders
SELECT reg('lj_agg', 'SELECT c.cid, count(o.oid) AS n, sum(o.amt) AS s, max(o.amt) AS top FROM cust c LEFT JOIN ord o ON o.cid = c.cid GROUP BY c.cid');
SELECT reg('rj', 'SELECT c.region, o.oid FROM cust c RIGHT JOIN ord o ON o.cid = c.cid');
SELECT reg('fj', 'SELECT c.cid, o.oid, o.cid AS ocid FROM cust c FULL JOIN ord o ON o.cid = c.cid');
SELECT reg('fj_using', 'SELECT cid, c.region, o.amt FROM cust c FULL JOIN ord o USING (cid)');
SELECT reg('chain', 'SELECT c.cid, o.oid, i.sku FROM cust c LEFT JOIN ord o ON o.cid = c.cid LEFT JOIN item i ON i.oid = o.oid');
SELECT reg('mixed', 'SELECT c.region, count(*) AS n, count(i.sku) AS ni FROM cust c JOIN ord o ON o.cid = c.cid LEFT JOIN item i ON i.oid = o.oid GROUP BY c.region');
SELECT reg('nested', 'SELECT c.cid, x.oid, x.sku FROM cust c LEFT JOIN (ord o JOIN item i USING (oid)) x ON x.cid = c.cid');
SELECT reg('anti', 'SELECT c.cid FROM cust c LEFT JOIN ord o ON o.cid = c.cid WHERE o.oid IS NULL');
SELECT reg('oncond', $$SELECT c.cid, o.oid FROM cust c LEFT JOIN ord o ON o.cid = c.cid AND o.amt > 10 AND c.region <> 'r0'$$);
SELECT reg('nonequi', 'SELECT c.cid, o.oid FROM cust c LEFT JOIN ord o ON o.cid < c.cid AND o.amt > 25');
SELECT reg('global', 'SELECT count(*) AS n, count(o.oid) AS matched, sum(o.amt) AS s FROM cust c FULL JOIN ord o ON o.cid = c.cid');
SELECT reg('distinct', 'SELECT DISTINCT c.region, o.cid IS NULL AS lonely FROM cust c LEFT JOIN ord o ON o.cid = c.cid');
SELECT reg('sub_lj', 'SELECT s.cid, s.n FROM (SELECT c.cid, o.oid AS n FROM cust c LEFT JOIN ord o USING (cid)) s WHERE s.cid > 3');
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- the first match of an unmatched row deletes its NULL-extended row, the
-- last unmatch brings it back
INSERT INTO ord VALUES (100, 3, 50), (101, 4, 1), (102, NULL, 5), (103, 99, 7);
DELETE FROM ord WHERE oid IN (5, 12);
UPDATE ord SET cid = 7 WHERE oid = 8;
INSERT INTO cust VALUES (50, 'r9'), (99, 'r1');
DELETE FROM cust WHERE cid = 2;
INSERT INTO item VALUES (100, 'new'), (8, 'x');
DELETE FROM item WHERE sku = 's1';
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- keys updated on both sides in one transaction
BEGIN;
UPDATE ord SET cid = NULL WHERE cid = 3;
UPDATE cust SET cid = cid + 100 WHERE cid < 5;
DELETE FROM ord WHERE cid = 104;
COMMIT;
TRUNCATE item;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM lj_agg WHERE n = 0 ORDER BY cid LIMIT 3;

-- whether a row had a match before the batch, where the batch added
-- copies of a key, deleted its only rows and inserted them again, moved it,
-- or gave it its first: on a NOT NULL key, a nullable one, and a numeric one
-- (0.5 = 0.50, matched on the text)
CREATE TABLE dk (k int PRIMARY KEY, kn int, kx numeric);
CREATE TABLE fk (k int NOT NULL, kn int, kx numeric, v int);
CREATE INDEX ON fk (k);
INSERT INTO dk SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE i END, i / 2.0 FROM generate_series(1, 8) i;
INSERT INTO fk VALUES (1, 1, 0.5, 1), (1, 1, 0.50, 2), (2, 2, 1.0, 3), (3, NULL, 1.5, 4), (3, 3, 1.50, 4);
SELECT reg('dk_k', 'SELECT d.k, count(f.v) AS n, sum(f.v) AS s FROM dk d LEFT JOIN fk f ON f.k = d.k GROUP BY d.k');
SELECT reg('dk_kn', 'SELECT d.k, count(f.v) AS n FROM dk d LEFT JOIN fk f ON f.kn = d.kn GROUP BY d.k');
SELECT reg('dk_kx', 'SELECT d.k, f.v FROM dk d LEFT JOIN fk f ON f.kx = d.kx');
SELECT reg('dk_none', 'SELECT d.k FROM dk d WHERE NOT EXISTS (SELECT FROM fk f WHERE f.k = d.k AND f.v > 1)');
SELECT reg('dk_some', 'SELECT d.k FROM dk d WHERE EXISTS (SELECT FROM fk f WHERE f.kn = d.kn)');
-- every column the subquery reads equated with the outer row or a constant
-- (tested once per outer row), with an outer-only condition, over two
-- columns, against an expression; then with a second table in the subquery
SELECT reg('dk_kc', 'SELECT d.k FROM dk d WHERE EXISTS (SELECT FROM fk f WHERE f.k = d.k AND f.v = 4)');
SELECT reg('dk_ko', 'SELECT d.k, d.kn FROM dk d WHERE NOT EXISTS (SELECT FROM fk f WHERE f.k = d.k AND d.kn > 2)');
SELECT reg('dk_k2', 'SELECT d.k FROM dk d WHERE NOT EXISTS (SELECT 1 FROM fk f WHERE f.kn = d.kn AND d.k = f.k)');
SELECT reg('dk_ke', 'SELECT d.k FROM dk d WHERE EXISTS (SELECT FROM fk f WHERE f.k = d.k + 1)');
SELECT reg('dk_kj', 'SELECT d.k FROM dk d WHERE NOT EXISTS (SELECT FROM fk f JOIN dk e ON e.k = f.k WHERE f.k = d.k)');
INSERT INTO fk VALUES (1, 1, 0.500, 9), (2, 2, 1.00, 3), (4, 4, 2.0, 7);
DELETE FROM fk WHERE k = 2 AND v = 3 AND kx = 1.0;
UPDATE fk SET k = 5, kn = 5, kx = 2.5 WHERE k = 3;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views WHERE v::text LIKE 'dk%' ORDER BY v::text;
BEGIN;
DELETE FROM fk WHERE k = 1;
INSERT INTO fk VALUES (1, NULL, 0.5, 1), (6, 6, 3.0, 2), (6, 6, 3.00, 2);
UPDATE fk SET kn = NULL WHERE k = 5;
COMMIT;
DELETE FROM fk WHERE k = 4;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views WHERE v::text LIKE 'dk%' ORDER BY v::text;
SELECT * FROM dk_k ORDER BY k;
-- a row whose outer-only condition is NULL (dk_ko's d.kn > 2) leaves while
-- its key leaves the subquery's table: its NOT EXISTS over the old rows is
-- true, not NULL
INSERT INTO fk VALUES (8, 8, 4.0, 1);
SELECT count(incrload_refresh(v)) FROM views;
BEGIN;
DELETE FROM fk WHERE k = 8;
DELETE FROM dk WHERE k = 8;
COMMIT;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views WHERE v::text LIKE 'dk%' ORDER BY v::text;
SELECT * FROM dk_ko ORDER BY k;
-- not keyed: under a nondeterministic collation 'a' = 'A', so the rows a
-- subquery sees need not have the outer row's value
CREATE COLLATION il_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE ct (k int PRIMARY KEY, s text);
CREATE TABLE cf (s text);
INSERT INTO ct VALUES (1, 'a'), (2, 'B');
INSERT INTO cf VALUES ('A');
SELECT reg('ct_none', 'SELECT c.k FROM ct c WHERE NOT EXISTS (SELECT FROM cf f WHERE f.s = c.s COLLATE il_ci)');
SELECT reg('ct_some', 'SELECT c.k, c.s FROM ct c LEFT JOIN cf f ON f.s = c.s COLLATE il_ci');
BEGIN;
INSERT INTO cf VALUES ('a'), ('b');
INSERT INTO ct VALUES (3, 'a'), (4, 'b');
COMMIT;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views WHERE v::text LIKE 'ct%' ORDER BY v::text;
BEGIN;
DELETE FROM cf WHERE s = 'A';
DELETE FROM ct WHERE k = 1;
INSERT INTO ct VALUES (5, 'A');
COMMIT;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views WHERE v::text LIKE 'ct%' ORDER BY v::text;

-- a subquery that counts the rows of an outer join is an auxiliary view of
-- its own (an aggregate over the outer join, grouped by what correlates it)
SELECT reg('sub_oj_count', 'SELECT c.cid, (SELECT count(*) FROM ord o LEFT JOIN item i ON i.oid = o.oid WHERE o.cid = c.cid) AS n FROM cust c');
INSERT INTO item VALUES (1, 'new'), (2, 'new');
DELETE FROM ord WHERE oid = 4;
INSERT INTO ord VALUES (40, 11, 1);
SELECT count(incrload_refresh(v)) FROM views;
SELECT diff('sub_oj_count', q) FROM views WHERE v = 'sub_oj_count'::regclass;

-- refused: an outer join inside a subquery that needs its NULL-extended rows
-- (its NOT EXISTS would nest), or whose condition keeps both sides of a
-- FULL join
SELECT incrload_register_view('bad', 'SELECT c.cid FROM cust c WHERE NOT EXISTS (SELECT FROM ord o LEFT JOIN item i ON i.oid = o.oid WHERE i.sku IS NULL AND o.cid = c.cid)');
SELECT incrload_register_view('bad', 'SELECT c.cid, o.oid, i.sku FROM cust c LEFT JOIN (ord o FULL JOIN item i ON i.oid = o.oid) ON o.cid = c.cid OR i.sku = c.region');
SELECT count(*) FROM incrload.view WHERE view_name::text = 'bad';

DROP EXTENSION incrload CASCADE;
DROP TABLE cust, ord, item, dk, fk, ct, cf;
DROP COLLATION il_ci;
\i sql/include/helpers_end.sql
