-- GROUPING SETS, ROLLUP and CUBE, maintained incrementally as the UNION ALL
-- of their groupings (src/grouping_sets.c): each grouping is an auxiliary
-- view, the expressions a grouping leaves out are NULL, GROUPING() is a
-- constant per grouping.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE sales (id int PRIMARY KEY, region text COLLATE "C", product text, qty int, amount numeric(10,2), sold date);
INSERT INTO sales SELECT i, (ARRAY['north', 'south', 'east'])[i % 3 + 1], 'p' || (i % 4), i % 7,
  (i * 13 % 97) + 0.25, date '2024-01-01' + (i % 40) FROM generate_series(1, 60) i;
-- NULL region and product: a group of NULL keys next to the NULLs of a grouping
INSERT INTO sales VALUES (61, NULL, NULL, 1, 5.00, date '2024-03-01'), (62, NULL, 'p1', NULL, NULL, NULL);

SELECT reg('by_rollup', $$SELECT region, product, sum(amount) AS total, count(*) AS n, GROUPING(region, product) AS g
  FROM sales GROUP BY ROLLUP (region, product)$$);
SELECT reg('by_cube', $$SELECT region, product, avg(qty) AS q, max(amount) AS top, GROUPING(product) AS gp
  FROM sales GROUP BY CUBE (region, product) HAVING count(*) > 2$$);
-- sets of expressions, an expression over a grouping column, a plain GROUP BY item with them
SELECT reg('by_sets', $$SELECT date_trunc('month', sold) AS month, qty % 2 AS parity, qty % 2 + 10 AS p10, region, count(*) AS n
  FROM sales WHERE qty > 0 GROUP BY GROUPING SETS ((date_trunc('month', sold)), (qty % 2), ()), region$$);
-- a filter, DISTINCT inside an aggregate, and a repeated set (its rows twice)
SELECT reg('by_twice', $$SELECT product, count(DISTINCT region) AS regions, sum(qty) FILTER (WHERE qty > 3) AS big
  FROM sales GROUP BY GROUPING SETS ((product), (product), ())$$);
-- GROUP BY DISTINCT drops the repeated grouping
SELECT reg('by_distinct_sets', $$SELECT region, product, count(*) AS n FROM sales GROUP BY DISTINCT ROLLUP (region, product), ROLLUP (region)$$);
-- over a join
CREATE TABLE products (product text PRIMARY KEY, family text);
INSERT INTO products VALUES ('p0', 'tools'), ('p1', 'tools'), ('p2', 'toys'), ('p3', 'toys');
SELECT reg('by_family', $$SELECT family, s.region, sum(s.qty) AS q FROM sales s JOIN products USING (product) GROUP BY ROLLUP (family, s.region)$$);
-- top-N over the groupings, ordered by shown columns (cut when read)
SELECT reg('top_rollup', $$SELECT region, product, sum(amount) AS total, GROUPING(region, product) AS g
  FROM sales GROUP BY ROLLUP (region, product) ORDER BY total DESC NULLS LAST, g, region NULLS FIRST, product NULLS FIRST LIMIT 4$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM top_rollup;
SELECT * FROM by_rollup ORDER BY g, region, product;

-- the view keeps the columns' types and collations
SELECT attname, format_type(atttypid, atttypmod), attcollation::regcollation
  FROM pg_attribute WHERE attrelid = 'by_rollup'::regclass AND attnum > 0 ORDER BY attnum;
-- one auxiliary view per grouping
SELECT kind, auxiliary_views FROM incrload_explain($$SELECT region, product, count(*) FROM sales GROUP BY CUBE (region, product)$$);

-- writes: inserts, a key change into and out of NULL, deletes, a rollback
INSERT INTO sales SELECT i, (ARRAY['north', 'west'])[i % 2 + 1], 'p' || (i % 5), i % 9, i + 0.5, date '2024-02-01' + (i % 30)
  FROM generate_series(100, 130) i;
UPDATE sales SET region = NULL WHERE id IN (3, 4);
UPDATE sales SET region = 'east', product = NULL WHERE id = 61;
DELETE FROM sales WHERE id BETWEEN 10 AND 20;
BEGIN;
DELETE FROM sales;
ROLLBACK;
UPDATE products SET family = 'games' WHERE product = 'p3';
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- every group of a grouping gone: its row of the grand total stays
DELETE FROM sales;
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM by_rollup;
INSERT INTO sales VALUES (1, 'north', 'p1', 2, 10.00, date '2024-01-02');
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT v, incrload_verify(v) FROM views ORDER BY v::text;

-- refused, with what was written named; explain agrees
SELECT incrload_register_view('r1', $$SELECT region, product FROM sales GROUP BY ROLLUP (region, product)$$);
SELECT incrload_register_view('r2', $$SELECT DISTINCT region, count(*) FROM sales GROUP BY ROLLUP (region, product)$$);
SELECT incrload_register_view('r3', $$SELECT region, (SELECT count(*) FROM products p WHERE p.family = s.region) AS c, count(*) FROM sales s GROUP BY ROLLUP (region)$$);
SELECT incrload_register_view('r4', $$SELECT count(*) FROM sales GROUP BY CUBE (region, product, qty, amount, sold, id, qty + 1)$$);
SELECT reason FROM incrload_explain($$SELECT region, product FROM sales GROUP BY ROLLUP (region, product)$$);
SELECT reason FROM incrload_explain($$SELECT DISTINCT region, count(*) FROM sales GROUP BY ROLLUP (region, product)$$);
-- mode => 'full' keeps any of them
SELECT incrload_register_view('r1', $$SELECT region, product FROM sales GROUP BY ROLLUP (region, product)$$, mode => 'full') IS NOT NULL;
SELECT diff('r1', $$SELECT region, product FROM sales GROUP BY ROLLUP (region, product)$$);

SELECT incrload_unregister_view(v) FROM views;
SELECT incrload_unregister_view('r1');
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
