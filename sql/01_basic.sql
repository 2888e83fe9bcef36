-- The issue's example, end to end: register, write, refresh, read, stats.
CREATE EXTENSION incrload;

\i sql/include/helpers.sql

CREATE TABLE sales (id int PRIMARY KEY, region text, amount numeric(10,2), status text);
INSERT INTO sales SELECT g, 'r' || (g % 3), g * 1.5, CASE WHEN g % 5 = 0 THEN 'void' ELSE 'ok' END
  FROM generate_series(1, 100) g;

SELECT incrload_register_view('sales_by_region',
  $$SELECT region, count(*) AS n, sum(amount) AS total, avg(amount) AS mean, max(amount) AS top
      FROM sales WHERE status <> 'void' GROUP BY region$$);

-- exactly the query's columns, names and types
\d sales_by_region
SELECT * FROM sales_by_region ORDER BY region;

-- every kind of write, committed or not
INSERT INTO sales VALUES (1001, 'r0', 10, 'ok'), (1002, NULL, 5, 'ok'), (1003, 'r9', 1, 'void');
UPDATE sales SET region = 'r1' WHERE id = 3;
UPDATE sales SET amount = amount + 100 WHERE id % 7 = 0;
UPDATE sales SET status = 'void' WHERE id = 10;
UPDATE sales SET amount = amount WHERE id = 11;            -- no-op update
DELETE FROM sales WHERE id IN (99, 98);                    -- 99 holds r0's maximum
BEGIN;
INSERT INTO sales VALUES (2000, 'r2', 99999, 'ok');
ROLLBACK;
BEGIN;
SAVEPOINT a;
DELETE FROM sales WHERE id = 1;
ROLLBACK TO a;
INSERT INTO sales VALUES (2001, 'r2', 7, 'ok');
COMMIT;
COPY sales FROM STDIN;
3001	r1	3.50	ok
3002	\N	\N	ok
\.
INSERT INTO sales VALUES (3001, 'r1', 4, 'ok')
  ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, region = 'r0';
WITH moved AS (DELETE FROM sales WHERE id = 50 RETURNING *)
INSERT INTO sales SELECT id + 5000, region, amount, status FROM moved;

-- not applied yet: the view still shows the old state
SELECT diff('sales_by_region', $$SELECT region, count(*) AS n, sum(amount) AS total, avg(amount) AS mean, max(amount) AS top
      FROM sales WHERE status <> 'void' GROUP BY region$$) > 0 AS stale;
SELECT pending_changes FROM incrload_stats WHERE view_name = 'sales_by_region'::regclass;

SELECT incrload_refresh('sales_by_region');
SELECT * FROM sales_by_region ORDER BY region;
SELECT diff('sales_by_region', $$SELECT region, count(*) AS n, sum(amount) AS total, avg(amount) AS mean, max(amount) AS top
      FROM sales WHERE status <> 'void' GROUP BY region$$);

-- nothing new: nothing applied
SELECT incrload_refresh('sales_by_region');

SELECT view_name, storage_table, mode, state, refresh_interval, refreshes, failures,
       consecutive_failures, last_error, pending_changes, oldest_pending_change,
       freshness_lag, changes_applied, full_refreshes,
       last_refresh IS NOT NULL AS refreshed, last_refresh_duration IS NOT NULL AS timed
  FROM incrload_stats;

-- the storage table holds the helper columns, and the row-key index
SELECT attname FROM pg_attribute WHERE attrelid = 'incrload.sales_by_region_storage'::regclass
  AND attnum > 0 ORDER BY attnum;
SELECT indexdef FROM pg_indexes WHERE schemaname = 'incrload' AND tablename = 'sales_by_region_storage';

-- lookups by the key use that index
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM sales_by_region WHERE region = 'r1';
RESET enable_seqscan;

-- TRUNCATE: the view is recomputed in the batch that holds it
TRUNCATE sales;
INSERT INTO sales VALUES (1, 'r0', 1, 'ok');
SELECT incrload_refresh('sales_by_region');
SELECT * FROM sales_by_region;
SELECT full_refreshes FROM incrload_stats;

DROP EXTENSION incrload CASCADE;
DROP TABLE sales;
\i sql/include/helpers_end.sql
