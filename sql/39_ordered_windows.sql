-- Window functions with ORDER BY in OVER and the default frame: running
-- aggregates, rank(), dense_rank(), percent_rank(), cume_dist(), and
-- row_number() over an order that is total.  Each is a subquery over the
-- rows of the row's partition that sort before it (or with it, for the
-- peers of the default frame), correlated by the partition and the order
-- (src/window_aggregates.c, window_value): a change re-evaluates the rows
-- of the partitions it touches.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE sale (id int PRIMARY KEY, cust_id int, amt int, ts int NOT NULL);
CREATE INDEX ON sale (cust_id, amt);
CREATE TABLE buyer (cid int PRIMARY KEY, region text NOT NULL);
INSERT INTO sale SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE i % 7 END,
  CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 37) % 23 END, i % 5 FROM generate_series(1, 120) i;
INSERT INTO buyer SELECT i, 'r' || (i % 3) FROM generate_series(0, 6) i;

-- ranks with ties, NULLs first and last, DESC, a NULL partition
SELECT reg('ranks', $$SELECT id, rank() OVER (PARTITION BY cust_id ORDER BY amt DESC NULLS LAST) AS r,
  dense_rank() OVER (PARTITION BY cust_id ORDER BY amt NULLS FIRST) AS dr FROM sale$$);
-- row_number over a total order (the primary key ends the ORDER BY)
SELECT reg('numbered', $$SELECT id, row_number() OVER (PARTITION BY cust_id ORDER BY amt, id) AS rn FROM sale$$);
-- running aggregates: peers included (RANGE), without PARTITION BY, a named window
SELECT reg('running', $$SELECT id, sum(amt) OVER (PARTITION BY cust_id ORDER BY ts) AS s,
  count(*) OVER (ORDER BY amt NULLS FIRST) AS c, max(amt) OVER w AS m, avg(amt) OVER w AS a
  FROM sale WINDOW w AS (PARTITION BY ts ORDER BY id)$$);
SELECT reg('dist', $$SELECT id, percent_rank() OVER (PARTITION BY ts ORDER BY amt) AS pr,
  cume_dist() OVER (PARTITION BY ts ORDER BY amt) AS cd FROM sale$$);
-- the first three of each customer (top-N per group): the window query an
-- auxiliary view, filtered
SELECT reg('top3', $$SELECT s.id, s.cust_id, s.rn FROM (SELECT id, cust_id,
  row_number() OVER (PARTITION BY cust_id ORDER BY amt DESC NULLS LAST, id) AS rn FROM sale) s WHERE s.rn <= 3$$);
-- over a join, over groups (row_number over the GROUP BY key is total)
SELECT reg('by_region', $$SELECT o.id, c.region, rank() OVER (PARTITION BY c.region ORDER BY o.amt) AS r
  FROM sale o JOIN buyer c ON c.cid = o.cust_id$$);
SELECT reg('cust_rank', $$SELECT cust_id, sum(amt) AS s, rank() OVER (ORDER BY sum(amt) DESC NULLS LAST) AS r,
  row_number() OVER (ORDER BY cust_id) AS rn FROM sale GROUP BY cust_id$$);
-- offsets by one row, the partition's first and the row's last value,
-- over a total order; a change from the previous row
SELECT reg('neighbours', $$SELECT id, lag(amt) OVER w AS prev, lead(amt, 1) OVER w AS nxt, first_value(amt) OVER w AS f,
  last_value(amt) OVER w AS l FROM sale WINDOW w AS (PARTITION BY cust_id ORDER BY amt DESC NULLS FIRST, id)$$);
SELECT reg('deltas', $$SELECT id, amt - lag(amt) OVER (ORDER BY ts, id) AS delta FROM sale$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM cust_rank ORDER BY r, cust_id;

-- writes: amounts move across ranks, rows leave and enter partitions,
-- ties appear, the NULL partition, the joined table; a rollback
UPDATE sale SET amt = amt + 5 WHERE id % 17 = 0;
DELETE FROM sale WHERE id % 19 = 0;
INSERT INTO sale VALUES (1001, 3, 22, 1), (1002, NULL, NULL, 2), (1003, 3, 22, 1);
UPDATE sale SET cust_id = 2 WHERE id = 5;
UPDATE buyer SET region = 'r9' WHERE cid = 1;
BEGIN;
DELETE FROM sale WHERE cust_id = 3;
ROLLBACK;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
BEGIN;
UPDATE sale SET amt = NULL WHERE id % 10 = 1;
UPDATE sale SET ts = (ts + 1) % 5 WHERE id % 3 = 0;
DELETE FROM buyer WHERE cid = 2;
COMMIT;
SELECT count(incrload_refresh(v)) FROM views;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT v, (incrload_verify(v)).* FROM views ORDER BY v::text;
SELECT * FROM cust_rank ORDER BY r, cust_id;

-- incrload_explain agrees; refused: row_number and lag over an order with
-- peers, other offsets, ntile, other frames
SELECT incremental, kind FROM incrload_explain($$SELECT id, rank() OVER (ORDER BY amt) FROM sale$$);
SELECT incrload_register_view('bad', $$SELECT id, row_number() OVER (PARTITION BY cust_id ORDER BY amt) FROM sale$$);
SELECT incrload_register_view('bad', $$SELECT id, lag(amt) OVER (ORDER BY amt) FROM sale$$);
SELECT incrload_register_view('bad', $$SELECT id, lag(amt, 2) OVER (ORDER BY id) FROM sale$$);
SELECT incrload_register_view('bad', $$SELECT id, ntile(3) OVER (ORDER BY id) FROM sale$$);
SELECT incrload_register_view('bad', $$SELECT id, sum(amt) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM sale$$);

SELECT count(incrload_unregister_view(v)) FROM views;
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
DROP TABLE sale, buyer;
DROP EXTENSION incrload CASCADE;
