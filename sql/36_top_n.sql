-- Top-N views: the view's own ORDER BY ... LIMIT / OFFSET / FETCH FIRST
-- ... WITH TIES is applied when the view is read (src/top_n.c); the
-- storage table keeps every row of the query without it, with an index on
-- the ORDER BY, so an apply follows the change and a read the rows it
-- returns.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
-- in_order(view, query): the rows in the same order, not only the same rows
CREATE FUNCTION in_order(v regclass, q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE a text[]; b text[];
BEGIN
  EXECUTE format('SELECT array_agg(x::text) FROM %s x', v) INTO a;
  EXECUTE format('SELECT array_agg(x::text) FROM (%s) x', q) INTO b;
  RETURN a IS NOT DISTINCT FROM b;
END $$;
CREATE TABLE item (id int PRIMARY KEY, cat int, name text, score numeric);
INSERT INTO item SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE i % 4 END, 'n' || (i % 13),
  CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 37) % 101 END FROM generate_series(1, 200) i;
CREATE TABLE cat (cat int PRIMARY KEY, label text);
INSERT INTO cat VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (3, NULL);

-- ordered by a column the view does not show, ties broken by the key
SELECT reg('best', $$SELECT id, name FROM item ORDER BY score DESC NULLS LAST, id LIMIT 5$$);
-- duplicate rows count (no key in the output), NULLs first
SELECT reg('dup_names', $$SELECT name FROM item ORDER BY score NULLS FIRST, name LIMIT 7$$);
-- OFFSET with LIMIT, OFFSET alone, LIMIT 0, LIMIT ALL
SELECT reg('page2', $$SELECT id FROM item WHERE cat = 1 ORDER BY id OFFSET 3 LIMIT 4$$);
SELECT reg('skip', $$SELECT id FROM item ORDER BY id DESC OFFSET 195$$);
SELECT reg('none', $$SELECT id FROM item ORDER BY id LIMIT 0$$);
SELECT reg('all_rows', $$SELECT id FROM item ORDER BY id LIMIT ALL$$);
-- WITH TIES: every row tied with the last one
SELECT reg('ties', $$SELECT id, score FROM item ORDER BY score DESC NULLS LAST FETCH FIRST 3 ROWS WITH TIES$$);
-- grouped, ordered by an aggregate the view does not show, with HAVING, over a join
SELECT reg('top_cats', $$SELECT c.label, count(*) AS n FROM item i JOIN cat c ON c.cat = i.cat
  GROUP BY c.label HAVING count(*) > 1 ORDER BY sum(i.score) DESC NULLS LAST, c.label NULLS FIRST LIMIT 2$$);
-- one row without GROUP BY, cut by OFFSET
SELECT reg('total', $$SELECT count(*) AS n FROM item ORDER BY 1 OFFSET 0 ROWS FETCH FIRST 1 ROW ONLY$$);
-- a set operation, DISTINCT, an expression with a collation, an operator with USING
SELECT reg('cats', $$SELECT cat FROM item UNION SELECT cat FROM cat ORDER BY 1 DESC NULLS LAST LIMIT 3$$);
SELECT reg('scores', $$SELECT DISTINCT score FROM item ORDER BY score LIMIT 4$$);
SELECT reg('by_name', $$SELECT id, name FROM item ORDER BY upper(name) COLLATE "C" DESC, id LIMIT 4$$);
SELECT reg('using_op', $$SELECT id FROM item WHERE score > 50 ORDER BY id USING > LIMIT 3$$);
-- over subqueries: EXISTS, and window aggregates (a share of its category)
SELECT reg('with_cat', $$SELECT id FROM item i WHERE EXISTS (SELECT FROM cat c WHERE c.cat = i.cat AND c.label IS NOT NULL)
  ORDER BY id DESC LIMIT 3 OFFSET 2$$);
SELECT reg('top_share', $$SELECT id, score / sum(score) OVER (PARTITION BY cat) AS share FROM item
  WHERE score IS NOT NULL ORDER BY score / sum(score) OVER (PARTITION BY cat) DESC, id LIMIT 3$$);
-- (ties come in no defined order: WITH TIES is compared as rows only)
SELECT v, diff(v, q), in_order(v, q) OR v = 'ties'::regclass AS in_order FROM views ORDER BY v::text;
SELECT * FROM best;
SELECT * FROM ties;
SELECT * FROM top_cats;

-- the storage keeps every row; the view reads the first ones through an index
SELECT count(*) FROM incrload.best_storage;
SELECT indexdef FROM pg_indexes WHERE tablename = 'best_storage' ORDER BY 1;
EXPLAIN (COSTS OFF) SELECT * FROM best;
SELECT indexdef FROM pg_indexes WHERE tablename = 'top_cats_storage' ORDER BY 1;
-- no index orders by USING >, nor is one needed without LIMIT
SELECT count(*) FROM pg_indexes WHERE tablename IN ('using_op_storage', 'skip_storage');

-- writes that cross the boundary: a row climbs to the top, the top rows
-- leave, ties appear and go, a category empties; a rollback
UPDATE item SET score = 1000 WHERE id = 17;
DELETE FROM item WHERE id IN (SELECT id FROM item ORDER BY score DESC NULLS LAST, id OFFSET 1 LIMIT 2);
INSERT INTO item VALUES (300, 2, 'new', 99), (301, 2, 'new', 99), (302, NULL, NULL, NULL);
UPDATE item SET cat = 0 WHERE cat = 3;
BEGIN;
DELETE FROM item WHERE score > 50;
ROLLBACK;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q), in_order(v, q) OR v = 'ties'::regclass AS in_order FROM views ORDER BY v::text;
SELECT * FROM best;
SELECT * FROM ties;
-- several tables in one transaction, then every top row gone
BEGIN;
UPDATE cat SET label = 'three' WHERE cat = 3;
DELETE FROM item WHERE score >= 90;
INSERT INTO item SELECT 400 + i, i % 4, 'late', i FROM generate_series(1, 5) i;
COMMIT;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q), in_order(v, q) OR v = 'ties'::regclass AS in_order FROM views ORDER BY v::text;
SELECT v, (incrload_verify(v)).* FROM views ORDER BY v::text;

-- an order with ties at the boundary: which tied rows the view and the
-- query return is up to their plans, so verify compares the rows before
-- the cut
SELECT incrload_register_view('tied', $$SELECT id FROM item ORDER BY cat NULLS FIRST LIMIT 3$$);
UPDATE item SET cat = NULL WHERE id % 50 = 7;
SELECT incrload_refresh('tied') >= 0 AS applied;
SELECT count(*) FROM tied;
SELECT (incrload_verify('tied')).*;
SELECT incrload_unregister_view('tied');

-- incrload_explain agrees with registration
SELECT incremental, kind FROM incrload_explain($$SELECT id FROM item ORDER BY id LIMIT 3$$);
SELECT reason FROM incrload_explain($$SELECT id FROM item LIMIT 3$$);
-- refused: no order, a subquery's LIMIT, a view with LIMIT read by another
SELECT incrload_register_view('bad', $$SELECT id FROM item OFFSET 3$$);
SELECT incrload_register_view('bad', $$SELECT * FROM (SELECT id FROM item ORDER BY id LIMIT 3) s$$);
SELECT incrload_register_view('bad', $$SELECT id FROM item WHERE cat IN (SELECT cat FROM cat ORDER BY cat LIMIT 1)$$);
SELECT incrload_register_view('bad', $$SELECT * FROM best$$);
-- mode 'full' keeps the cut rows only
SELECT incrload_register_view('best_full', $$SELECT id FROM item ORDER BY score DESC NULLS LAST, id LIMIT 5$$, mode => 'full');
SELECT count(*) FROM incrload.best_full_storage;

SELECT count(incrload_unregister_view(v)) FROM views;
SELECT incrload_unregister_view('best_full');
SELECT * FROM leftovers();
DROP FUNCTION in_order(regclass, text);
\i sql/include/helpers_end.sql
DROP TABLE item, cat;
DROP EXTENSION incrload CASCADE;
