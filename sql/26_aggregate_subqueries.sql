-- Subqueries in expressions that aggregate become auxiliary views: a change
-- reaches the outer rows through the groups it changed.  A correlated one
-- is grouped by what correlates it; an outer row without a group reads what
-- the aggregate returns over no rows (count 0, the others NULL).
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE part (pk int PRIMARY KEY, brand text);
CREATE TABLE li (ok int, pk int, qty int, price numeric);
CREATE INDEX ON li (pk);
CREATE INDEX ON li (ok);
CREATE TABLE ord (ok bigint PRIMARY KEY, ck int);
INSERT INTO part SELECT i, 'b' || (i % 3) FROM generate_series(1, 50) i;
INSERT INTO ord SELECT i, i % 10 FROM generate_series(1, 100) i;
INSERT INTO li SELECT i % 100 + 1, i % 50 + 1, i % 11, i FROM generate_series(1, 400) i;
INSERT INTO li VALUES (NULL, NULL, 3, 1), (5, NULL, NULL, NULL);

-- a correlated scalar aggregate (TPC-H q17)
SELECT reg('q17', 'SELECT sum(l.price) / 7.0 AS avg_yearly FROM li l, part p WHERE p.pk = l.pk AND p.brand = ''b1'' AND l.qty < (SELECT 0.2 * avg(l2.qty) FROM li l2 WHERE l2.pk = p.pk)');
-- IN over GROUP BY ... HAVING (q18); the key is bigint, the column int
SELECT reg('q18', 'SELECT o.ck, o.ok, sum(l.qty) AS q FROM ord o, li l WHERE o.ok IN (SELECT ok FROM li GROUP BY ok HAVING sum(qty) > 22) AND l.ok = o.ok GROUP BY o.ck, o.ok');
-- no group: count is 0, and what is computed from it
SELECT reg('counts', 'SELECT p.pk, (SELECT count(*) FROM li l WHERE l.pk = p.pk AND l.qty > 5) AS n, (SELECT count(*) + 1 FROM li l WHERE l.pk = p.pk) AS n1, (SELECT coalesce(sum(qty), -1) FROM li l WHERE l.pk = p.pk AND l.qty > 8) AS s FROM part p');
-- a value that is NULL for a group and not for no group
SELECT reg('null_group', 'SELECT p.pk, (SELECT CASE WHEN count(*) > 0 THEN NULL ELSE 1 END FROM li l WHERE l.pk = p.pk) AS z FROM part p');
-- two correlations, one across types; EXISTS over GROUP BY ... HAVING
SELECT reg('two_keys', 'SELECT o.ok FROM ord o WHERE o.ck > (SELECT max(l.qty) - 6 FROM li l WHERE l.ok = o.ok AND l.pk = o.ck + 1)');
SELECT reg('exists_having', 'SELECT p.pk FROM part p WHERE EXISTS (SELECT 1 FROM li l WHERE l.pk = p.pk GROUP BY l.qty HAVING count(*) > 1)');
-- uncorrelated: one row always
SELECT reg('global', 'SELECT p.pk FROM part p WHERE p.pk > (SELECT avg(qty) * 4 FROM li WHERE qty > 0)');
-- correlated by something else than equality: evaluated on old and new rows
SELECT reg('nonequi', 'SELECT p.pk, (SELECT count(*) FROM li l WHERE l.pk < p.pk AND l.qty = 3) AS n FROM part p');
-- IN over a correlated aggregate without GROUP BY (one row, NULL when empty)
SELECT reg('in_scalar', 'SELECT p.pk FROM part p WHERE 4 IN (SELECT max(l.qty) FROM li l WHERE l.pk = p.pk)');
-- a WITH query with column names, aggregated, read in FROM and by a scalar
-- subquery (TPC-H q15)
SELECT reg('q15', 'WITH revenue (supplier_no, total) AS (SELECT pk, sum(price) FROM li WHERE qty > 2 GROUP BY pk) SELECT p.pk, p.brand, total FROM part p, revenue WHERE p.pk = supplier_no AND total = (SELECT max(total) FROM revenue)');
SELECT v, auxiliary_views FROM views, incrload_explain(q) ORDER BY v::text;

INSERT INTO li SELECT i % 100 + 1, i % 50 + 1, 10, i FROM generate_series(401, 450) i;
DELETE FROM li WHERE pk = 7;
INSERT INTO part VALUES (51, 'b1'), (52, 'b2');
UPDATE li SET qty = 0 WHERE ok = 3;
UPDATE li SET pk = 8 WHERE pk = 9 AND qty < 4;
DELETE FROM ord WHERE ok = 10;
INSERT INTO ord VALUES (101, 3), (102, NULL);
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
TABLE counts ORDER BY pk LIMIT 8;
-- a group that empties and refills
DELETE FROM li WHERE pk = 8;
SELECT count(incrload_refresh(v)) FROM views;
INSERT INTO li VALUES (1, 8, 9, 1);
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
TRUNCATE li;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

SELECT count(incrload_unregister_view(v)) FROM (SELECT v FROM views ORDER BY v::oid DESC) x;
SELECT * FROM leftovers();
DROP TABLE part, li, ord;
\i sql/include/helpers_end.sql
DROP EXTENSION incrload;
