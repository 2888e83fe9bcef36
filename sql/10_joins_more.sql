-- Inner joins, every form: JOIN ON / USING / NATURAL / comma / CROSS, 2- to
-- 8-way, equality and non-equality conditions, expressions on join columns,
-- NULL join keys, self-joins with two and three occurrences, GROUP BY with
-- every aggregate, global aggregates, DISTINCT, HAVING and projections with
-- duplicate rows; each view checked against its query after every change.
-- Then the refusals: LATERAL and
-- window functions, each named, with a hint at mode => 'full'.
CREATE EXTENSION incrload;
CREATE FUNCTION diff(v regclass, q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT * FROM %s EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL SELECT * FROM %s)) x', v, q, q, v) INTO n;
  RETURN n;
END $$;

CREATE TABLE region (rid int PRIMARY KEY, rname text);
CREATE TABLE cust (cid int PRIMARY KEY, rid int, cname text, tier text, since date);
CREATE TABLE prod (pcode text, pver int, price numeric(8,2), pname text, PRIMARY KEY (pcode, pver));
-- no key, nullable foreign keys; an index on one join column only
CREATE TABLE ord (oid int, cid int, pcode text, pver int, qty int, odate date, note text);
CREATE INDEX ON ord (cid);
-- no key, duplicate rows
CREATE TABLE tagz (cid int, tag text);
-- self-referencing
CREATE TABLE tree (nid int PRIMARY KEY, parent_id int, label text, val int);

INSERT INTO region VALUES (1, 'north'), (2, 'south'), (3, 'east'), (4, 'east');
INSERT INTO cust VALUES
  (1, 1, 'ann', 'gold', '2024-01-10'), (2, 1, 'bob', 'silver', '2024-01-01'),
  (3, 2, 'cy', 'gold', NULL), (4, 3, 'dee', NULL, '2024-02-01'),
  (5, NULL, 'eve', 'bronze', '2024-01-05'), (6, 4, 'fay', 'silver', '2024-01-20'),
  (7, 9, 'gus', 'gold', '2024-01-15');          -- region 9 does not exist
INSERT INTO prod VALUES ('A', 1, 10.00, 'anvil'), ('A', 2, 12.50, 'anvil2'),
  ('B', 1, 3.25, 'bolt'), ('C', 1, NULL, 'cog');
INSERT INTO ord VALUES
  (1, 1, 'A', 1, 2, '2024-01-15', 'Gold'),
  (2, 1, 'B', 1, 5, '2024-01-02', NULL),
  (3, 2, 'A', 2, 1, '2024-01-03', 'silver'),
  (4, 3, 'A', 1, 3, '2024-01-04', 'x'),
  (5, NULL, 'B', 1, 4, '2024-01-05', 'gold'),   -- NULL foreign key
  (6, 8, 'C', 1, 1, '2024-01-06', NULL),        -- dangling foreign key
  (7, 4, NULL, NULL, 2, NULL, 'GOLD'),
  (8, 6, 'A', 3, NULL, '2024-01-25', 'silver'), -- dangling product
  (9, 2, 'B', 1, 2, '2024-01-09', 'x'),
  (9, 2, 'B', 1, 2, '2024-01-09', 'x');         -- a duplicate row
INSERT INTO tagz VALUES (1, 'red'), (1, 'red'), (1, 'blue'), (2, 'red'),
  (3, 'blue'), (NULL, 'red'), (6, NULL), (8, 'green');
INSERT INTO tree VALUES (1, NULL, 'root', 0), (2, 1, 'a', 10), (3, 1, 'b', 20),
  (4, 2, 'aa', 5), (5, 2, 'ab', 7), (6, 3, 'ba', 1), (7, 99, 'orphan', 3),
  (8, NULL, 'root2', 100), (9, 8, 'c', 4);

CREATE TABLE views (v regclass, q text);
CREATE FUNCTION reg(name text, q text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO views SELECT incrload_register_view(name, q), q $$;
-- refresh every view, then list those that differ from their query
CREATE FUNCTION check_views() RETURNS TABLE (view regclass, differing bigint)
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM views ORDER BY v::text LOOP
    PERFORM incrload_refresh(r.v);
    IF incrload_refresh(r.v) <> 0 THEN
      RAISE EXCEPTION 'second refresh of % applied something', r.v;
    END IF;
    view := r.v;
    differing := diff(r.v, r.q);
    IF differing <> 0 THEN
      RETURN NEXT;
    END IF;
  END LOOP;
END $$;

-- 2-way: ON, USING, NATURAL (composite), comma, CROSS
SELECT reg('j_on', $$SELECT o.oid, c.cname, o.qty FROM ord o JOIN cust c ON c.cid = o.cid$$);
SELECT reg('j_using', $$SELECT cid, o.oid, c.cname FROM ord o JOIN cust c USING (cid)$$);
SELECT reg('j_natural', $$SELECT pcode, pver, o.oid, p.price FROM ord o NATURAL JOIN prod p$$);
SELECT reg('j_rowcmp', $$SELECT o.oid, p.price * o.qty AS line FROM ord o JOIN prod p ON (p.pcode, p.pver) = (o.pcode, o.pver)$$);
SELECT reg('j_cross', $$SELECT r.rname, p.pcode FROM region r CROSS JOIN prod p WHERE p.price > 5$$);
-- 3-way comma join with the conditions in WHERE
SELECT reg('j_comma3', $$SELECT c.cname, r.rname, o.qty FROM ord o, cust c, region r
                          WHERE o.cid = c.cid AND c.rid = r.rid AND o.qty > 1$$);
-- non-equality conditions
SELECT reg('j_pairs', $$SELECT a.oid AS a, b.oid AS b FROM ord a JOIN ord b ON a.cid = b.cid AND a.oid < b.oid$$);
SELECT reg('j_between', $$SELECT o.oid, p.pcode, p.pver FROM ord o JOIN prod p ON o.qty BETWEEN p.pver + 1 AND p.pver + 2$$);
SELECT reg('j_since', $$SELECT c.cname, o.oid FROM cust c JOIN ord o ON o.cid = c.cid AND o.odate >= c.since$$);
-- an expression on the join columns
SELECT reg('j_expr', $$SELECT o.oid, c.cname FROM ord o JOIN cust c ON lower(o.note) = c.tier$$);
-- self-joins: two and three occurrences
SELECT reg('j_self2', $$SELECT p.label AS parent, k.label AS kid FROM tree p JOIN tree k ON k.parent_id = p.nid$$);
SELECT reg('j_self3', $$SELECT g.label, count(*) AS n, sum(k.val) AS s, max(k.label) AS maxl
                         FROM tree g JOIN tree p ON p.parent_id = g.nid JOIN tree k ON k.parent_id = p.nid
                        GROUP BY g.label$$);
-- GROUP BY a dimension column: every aggregate, min/max over text of both sides
SELECT reg('j_agg', $$SELECT r.rname, count(*) AS n, count(o.note) AS nn, sum(o.qty) AS s, avg(o.qty) AS a,
                             min(o.qty) AS mn, max(o.qty) AS mx, min(c.cname) AS minc, max(c.cname) AS maxc,
                             max(o.note) AS maxnote, min(c.since) AS mins
                        FROM ord o JOIN cust c ON c.cid = o.cid JOIN region r ON r.rid = c.rid
                       GROUP BY r.rname$$);
-- GROUP BY expressions over two tables, 3-way with USING on a composite key
SELECT reg('j_gexpr', $$SELECT upper(c.tier) AS t, o.qty % 2 AS odd, count(*) AS n, sum(p.price) AS sp,
                               max(p.pname) AS maxp
                          FROM ord o JOIN cust c ON c.cid = o.cid JOIN prod p USING (pcode, pver)
                         GROUP BY upper(c.tier), o.qty % 2$$);
-- 4-way
SELECT reg('j_four', $$SELECT r.rname, p.pname, t.tag, o.qty FROM ord o JOIN cust c ON c.cid = o.cid
                         JOIN region r ON r.rid = c.rid JOIN prod p ON p.pcode = o.pcode AND p.pver = o.pver
                         JOIN tagz t ON t.cid = c.cid$$);
-- global aggregate over a join
SELECT reg('j_global', $$SELECT count(*) AS n, sum(o.qty) AS s, avg(o.qty) AS a, min(c.cname) AS mn,
                                max(o.odate) AS md FROM ord o JOIN cust c ON c.cid = o.cid$$);
-- DISTINCT over a join, and the same projection with its duplicates
SELECT reg('j_distinct', $$SELECT DISTINCT c.tier, t.tag FROM cust c JOIN tagz t ON t.cid = c.cid$$);
SELECT reg('j_dups', $$SELECT c.tier, t.tag FROM cust c JOIN tagz t ON t.cid = c.cid$$);
-- HAVING over a join
SELECT reg('j_having', $$SELECT c.tier, count(*) AS n, sum(o.qty) AS s FROM ord o JOIN cust c ON c.cid = o.cid
                          GROUP BY c.tier HAVING count(*) >= 2$$);
-- 8-way: region and cust twice
SELECT reg('j_eight', $$SELECT r.rname, count(*) AS n, max(c2.cname) AS maxc2, sum(n.val) AS sv
                          FROM ord o JOIN cust c ON c.cid = o.cid JOIN region r ON r.rid = c.rid
                          JOIN prod p ON p.pcode = o.pcode AND p.pver = o.pver JOIN tagz t ON t.cid = c.cid
                          JOIN cust c2 ON c2.rid = c.rid JOIN region r2 ON r2.rname = r.rname
                          JOIN tree n ON n.val > o.qty AND n.parent_id = 1
                         GROUP BY r.rname$$);

SELECT * FROM check_views();
SELECT * FROM j_on ORDER BY oid, cname;
SELECT * FROM j_using ORDER BY oid;
SELECT * FROM j_natural ORDER BY oid;
SELECT * FROM j_pairs ORDER BY a, b;
SELECT * FROM j_between ORDER BY oid, pcode, pver;
SELECT * FROM j_since ORDER BY cname, oid;
SELECT * FROM j_expr ORDER BY oid, cname;
SELECT * FROM j_self2 ORDER BY parent, kid;
SELECT * FROM j_self3 ORDER BY label;
SELECT * FROM j_agg ORDER BY rname;
SELECT * FROM j_gexpr ORDER BY t, odd;
SELECT * FROM j_global;
SELECT * FROM j_distinct ORDER BY tier, tag;
SELECT * FROM j_dups ORDER BY tier, tag;
SELECT * FROM j_having ORDER BY tier;
SELECT * FROM j_eight ORDER BY rname;

-- One transaction changes both sides of the joins: a join key moves on one
-- side while the matching row on the other is deleted; keys become NULL;
-- one statement moves a customer (and its orders) to another region.
BEGIN;
UPDATE ord SET cid = 3 WHERE oid = 3;          -- away from cust 2 ...
DELETE FROM cust WHERE cid = 3;                -- ... to a customer deleted now
UPDATE cust SET rid = 3 WHERE cid = 1;         -- ann: north -> east, with her orders
UPDATE ord SET cid = NULL WHERE oid = 4;
INSERT INTO cust VALUES (8, 2, 'hal', 'gold', '2024-01-01');  -- order 6 is no longer dangling
UPDATE prod SET pver = 3 WHERE pcode = 'A' AND pver = 2;      -- composite key: order 8 matches, 3 no longer
DELETE FROM tagz WHERE ctid = (SELECT min(ctid) FROM tagz WHERE cid = 1 AND tag = 'red');  -- one of two duplicates
UPDATE tree SET parent_id = 3 WHERE nid = 5;   -- moves between both self-join occurrences
DELETE FROM region WHERE rid = 2;
UPDATE ord SET qty = qty + 10 WHERE oid = 9;   -- both duplicates
COMMIT;
SELECT * FROM check_views();
SELECT * FROM j_agg ORDER BY rname;
SELECT * FROM j_pairs ORDER BY a, b;
SELECT * FROM j_natural ORDER BY oid;
SELECT * FROM j_self2 ORDER BY parent, kid;
SELECT * FROM j_self3 ORDER BY label;
SELECT * FROM j_dups ORDER BY tier, tag;
SELECT * FROM j_distinct ORDER BY tier, tag;
SELECT * FROM j_global;
SELECT * FROM j_eight ORDER BY rname;

-- the extremes go: the dimension row holding max(c.cname), the order holding
-- min(o.qty), in a batch with inserts that do not restore them
BEGIN;
DELETE FROM cust WHERE cname = (SELECT max(cname) FROM cust WHERE rid IN (SELECT rid FROM region));
DELETE FROM ord WHERE qty = (SELECT min(qty) FROM ord o JOIN cust c USING (cid) JOIN region USING (rid));
INSERT INTO ord VALUES (10, 2, 'B', 1, 7, '2024-02-10', 'z'), (11, 6, 'C', 1, 3, '2024-02-11', NULL);
COMMIT;
SELECT * FROM check_views();
SELECT * FROM j_agg ORDER BY rname;
SELECT * FROM j_global;

-- a self-join whose two occurrences change in one batch, and a refresh
-- inside the writing transaction, with writes after it
BEGIN;
INSERT INTO ord VALUES (12, 6, 'A', 1, 1, '2024-01-30', 'silver'), (13, 6, 'A', 1, 1, '2024-01-30', 'silver');
DELETE FROM ord WHERE oid = 8;
SELECT count(*) FROM (SELECT incrload_refresh(v) FROM views) x;
SELECT * FROM j_pairs ORDER BY a, b;
SELECT diff('j_pairs', $$SELECT a.oid AS a, b.oid AS b FROM ord a JOIN ord b ON a.cid = b.cid AND a.oid < b.oid$$);
UPDATE ord SET cid = 6 WHERE oid IN (10, 11);
COMMIT;
SELECT * FROM check_views();
SELECT * FROM j_pairs ORDER BY a, b;

-- TRUNCATE of a dimension, then refilled in another transaction
TRUNCATE cust;
SELECT * FROM check_views();
SELECT * FROM j_global;
SELECT count(*) FROM j_on;
INSERT INTO cust VALUES (1, 1, 'ann', 'gold', '2024-01-10'), (2, 2, 'bob', 'silver', NULL),
  (6, 4, 'fay', NULL, '2024-01-01');
SELECT * FROM check_views();
SELECT * FROM j_agg ORDER BY rname;
SELECT * FROM j_having ORDER BY tier;

-- everything goes: the global aggregate keeps its one row
DELETE FROM ord;
SELECT * FROM check_views();
SELECT * FROM j_global;
SELECT count(*) FROM j_agg;

-- More join shapes: column aliases on base tables, a parenthesized nested
-- join, tables of one name in two schemas, OR and IS NOT DISTINCT FROM
-- conditions, a base table with a dropped column, float sums over a join.
CREATE SCHEMA s1;
CREATE SCHEMA s2;
CREATE TABLE s1.t (id int, a int, junk int, f float8);
ALTER TABLE s1.t DROP COLUMN junk;
CREATE TABLE s2.t (id int, b int);
INSERT INTO s1.t VALUES (1, 10, 0.5), (2, 20, 0.25), (NULL, 30, 1), (3, 40, 2);
INSERT INTO s2.t VALUES (1, 100), (2, 200), (2, 201), (NULL, 300), (4, 400);
SELECT reg('k_colalias', $$SELECT x.i, x.v, s2.t.b FROM s1.t AS x(i, v) JOIN s2.t ON x.i = s2.t.id$$);
SELECT reg('k_nested', $$SELECT p.a, q.b, r.b AS rb FROM s1.t p JOIN (s2.t q JOIN s2.t r ON q.id = r.id AND q.b <= r.b) ON p.id = q.id$$);
SELECT reg('k_schemas', $$SELECT s1.t.id, s1.t.a, s2.t.b FROM s1.t JOIN s2.t ON s1.t.id = s2.t.id$$);
SELECT reg('k_or', $$SELECT p.a, q.b FROM s1.t p JOIN s2.t q ON p.id = q.id OR p.a * 10 = q.b$$);
SELECT reg('k_notdistinct', $$SELECT p.a, q.b FROM s1.t p JOIN s2.t q ON p.id IS NOT DISTINCT FROM q.id$$);
SELECT reg('k_float', $$SELECT q.id, sum(p.f * q.b) AS s, avg(p.f) AS a, count(*) AS n FROM s1.t p JOIN s2.t q USING (id) GROUP BY q.id$$);
SELECT * FROM check_views();
SELECT * FROM k_nested ORDER BY a, b, rb;
SELECT * FROM k_or ORDER BY a, b;
SELECT * FROM k_notdistinct ORDER BY a, b;
SELECT * FROM k_float ORDER BY id;
UPDATE s1.t SET id = 2 WHERE id IS NULL;
DELETE FROM s2.t WHERE b = 200;
INSERT INTO s2.t VALUES (NULL, 301), (3, 40), (1, 100);
UPDATE s1.t SET f = f * 4 WHERE id = 1;
SELECT * FROM check_views();
SELECT * FROM k_colalias ORDER BY i, v, b;
SELECT * FROM k_nested ORDER BY a, b, rb;
SELECT * FROM k_or ORDER BY a, b;
SELECT * FROM k_notdistinct ORDER BY a, b;
SELECT * FROM k_float ORDER BY id;

-- Outer joins, subqueries and set operations around joins are maintained
-- incrementally too (sql/14_subqueries.sql, 15_setops.sql, 16_subqueries_in_expressions.sql).
SELECT reg('x_left', 'SELECT o.oid, c.cname FROM ord o LEFT JOIN cust c ON c.cid = o.cid');
SELECT reg('x_right', 'SELECT o.oid, c.cname FROM ord o RIGHT JOIN cust c ON c.cid = o.cid');
SELECT reg('x_full', 'SELECT o.oid, c.cname FROM ord o FULL JOIN cust c USING (cid)');
SELECT reg('x_mixed', 'SELECT o.oid FROM cust c JOIN ord o ON o.cid = c.cid LEFT JOIN region r ON r.rid = c.rid');
SELECT reg('x_natural', 'SELECT * FROM cust NATURAL LEFT JOIN region');
SELECT reg('x_sub', 'SELECT o.oid FROM ord o JOIN (SELECT cid FROM cust) c ON c.cid = o.cid');
SELECT reg('x_in', 'SELECT o.oid FROM ord o JOIN cust c ON c.cid = o.cid WHERE o.pcode IN (SELECT pcode FROM prod)');
SELECT reg('x_exists', 'SELECT c.cname FROM cust c WHERE EXISTS (SELECT FROM ord o WHERE o.cid = c.cid)');
SELECT reg('x_scalar', 'SELECT c.cname, (SELECT count(*) FROM ord o WHERE o.cid = c.cid) AS n FROM cust c JOIN region r USING (rid)');
SELECT reg('x_union', 'SELECT o.oid FROM ord o JOIN cust c USING (cid) UNION SELECT oid FROM ord');
SELECT reg('x_union_all', 'SELECT o.oid FROM ord o JOIN cust c USING (cid) UNION ALL SELECT oid FROM ord');
SELECT reg('x_intersect', 'SELECT c.cid FROM cust c JOIN region r USING (rid) INTERSECT SELECT cid FROM ord');
SELECT reg('x_except', 'SELECT c.cid FROM cust c JOIN region r USING (rid) EXCEPT SELECT cid FROM ord');
UPDATE ord SET cid = 3 WHERE oid = 2;
DELETE FROM cust WHERE cid = 4;
INSERT INTO region VALUES (9, 'west');
SELECT * FROM check_views();

-- Refused in incremental mode, each construct named, with a hint at 'full'
SELECT incrload_register_view('r', 'SELECT c.cname, x.n FROM cust c, LATERAL (SELECT count(*) AS n FROM ord o WHERE o.cid = c.cid) x');
SELECT incrload_register_view('r', 'SELECT c.cname, x.oid FROM cust c LEFT JOIN LATERAL (SELECT oid FROM ord o WHERE o.cid = c.cid) x ON true');
SELECT incrload_register_view('r', 'SELECT o.oid, g FROM ord o LEFT JOIN LATERAL generate_series(1, o.qty) g ON g > 1');
SELECT incrload_register_view('r', 'SELECT o.oid, row_number() OVER (ORDER BY o.oid) AS rn FROM ord o JOIN cust c USING (cid)');
SELECT incrload_register_view('r', 'SELECT c.rid, sum(o.qty) OVER (PARTITION BY c.rid ORDER BY o.oid ROWS 2 PRECEDING) AS s FROM ord o JOIN cust c USING (cid)');
SELECT incrload_register_view('r', 'SELECT c.rid, ntile(3) OVER w FROM ord o JOIN cust c USING (cid) WINDOW w AS (ORDER BY o.qty)');
-- nothing was left behind
SELECT count(*) FROM pg_class WHERE relname = 'r';
SELECT count(*) FROM incrload.view WHERE view_name::text = 'r';

-- the same constructs are maintained by recomputation with mode => 'full'
CREATE FUNCTION reg_full(name text, q text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO views SELECT incrload_register_view(name, q, mode => 'full'), q $$;
SELECT reg_full('f_left', 'SELECT c.cname, count(o.oid) AS n FROM cust c LEFT JOIN ord o ON o.cid = c.cid GROUP BY c.cname');
SELECT reg_full('f_lateral', 'SELECT c.cname, x.n FROM cust c, LATERAL (SELECT count(*) AS n FROM ord o WHERE o.cid = c.cid) x');
SELECT reg_full('f_union', 'SELECT c.cid FROM cust c JOIN region r USING (rid) UNION SELECT cid FROM ord');
SELECT reg_full('f_window', 'SELECT c.cid, row_number() OVER (ORDER BY c.cid) AS rn FROM cust c JOIN region r USING (rid)');
INSERT INTO ord VALUES (20, 1, 'A', 1, 1, NULL, NULL), (21, 1, 'A', 1, 2, NULL, NULL), (22, 7, NULL, NULL, 1, NULL, NULL);
INSERT INTO cust VALUES (7, 3, 'gus', 'gold', NULL);
SELECT * FROM check_views();
SELECT * FROM f_left ORDER BY cname;
SELECT * FROM f_window ORDER BY cid;

-- A join with an alias of its own hides its tables' names: the query can
-- only name the join's columns.
SELECT reg('k_join_alias_using', $$SELECT j.id, j.a, j.b FROM (s1.t JOIN s2.t USING (id)) AS j$$);
SELECT reg('k_join_alias_on', $$SELECT j.a, count(*) AS n FROM (s1.t p JOIN s2.t q ON p.id = q.id) AS j GROUP BY j.a$$);
INSERT INTO s1.t VALUES (4, 50, 0);
SELECT * FROM check_views();
SELECT * FROM k_join_alias_using ORDER BY id, a, b;
SELECT * FROM k_join_alias_on ORDER BY a;

SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
RESET client_min_messages;
DROP TABLE region, cust, prod, ord, tagz, tree, views, s1.t, s2.t;
DROP SCHEMA s1, s2;
DROP FUNCTION diff(regclass, text);
DROP FUNCTION reg(text, text);
DROP FUNCTION reg_full(text, text);
DROP FUNCTION check_views();
