-- MERGE as PostgreSQL 17 extends it: WHEN NOT MATCHED BY SOURCE (rows of
-- the target that no source row matches are updated or deleted) and
-- RETURNING.  Each action fires the statement triggers of its kind, so the
-- capture sees them as any UPDATE, DELETE or INSERT.  Before 17 the syntax
-- does not exist: this file stops there (expected/24_merge_pg17_1.out).
SELECT current_setting('server_version_num')::int >= 170000 AS pg17 \gset
\if :pg17
\else
\quit
\endif
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS incrload CASCADE;
RESET client_min_messages;
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE stock (item int PRIMARY KEY, qty int, wh text);
CREATE TABLE feed (item int, qty int);
INSERT INTO stock SELECT i, i * 10, CASE WHEN i % 2 = 0 THEN 'east' ELSE 'west' END FROM generate_series(1, 12) i;
INSERT INTO feed VALUES (1, 5), (2, 0), (3, 7), (20, 1), (21, 2);
SELECT reg('by_wh', 'SELECT wh, count(*) AS n, sum(qty) AS q FROM stock GROUP BY wh');
SELECT reg('rows', 'SELECT item, qty FROM stock WHERE qty > 15');

-- every kind of action in one statement, with RETURNING
MERGE INTO stock s USING feed f ON s.item = f.item
WHEN MATCHED AND f.qty = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET qty = s.qty + f.qty
WHEN NOT MATCHED BY TARGET THEN INSERT VALUES (f.item, f.qty, 'north')
WHEN NOT MATCHED BY SOURCE AND s.item > 10 THEN DELETE
WHEN NOT MATCHED BY SOURCE THEN UPDATE SET qty = s.qty - 1
RETURNING merge_action() AS action, s.item, s.qty;
SELECT incrload_refresh('by_wh'), incrload_refresh('rows');
SELECT v, diff(v, q) FROM views ORDER BY 1;
SELECT * FROM by_wh ORDER BY wh;

-- only BY SOURCE actions fire
MERGE INTO stock s USING (SELECT 1 AS item) f ON s.item = f.item
WHEN NOT MATCHED BY SOURCE AND s.wh = 'north' THEN DELETE
WHEN NOT MATCHED BY SOURCE THEN UPDATE SET wh = 'south';
SELECT pending_changes > 0 AS captured FROM incrload_stats WHERE view_name = 'by_wh'::regclass;
SELECT incrload_refresh('by_wh'), incrload_refresh('rows');
SELECT v, diff(v, q) FROM views ORDER BY 1;

-- in a writable CTE whose RETURNING feeds another write
CREATE TABLE merged_log (action text, item int);
WITH m AS (
  MERGE INTO stock s USING feed f ON s.item = f.item
  WHEN MATCHED THEN UPDATE SET qty = s.qty * 2
  WHEN NOT MATCHED BY SOURCE AND s.item = 4 THEN DELETE
  RETURNING merge_action() AS action, s.item)
INSERT INTO merged_log SELECT * FROM m;
SELECT action, count(*) FROM merged_log GROUP BY action ORDER BY action;
SELECT incrload_refresh('by_wh'), incrload_refresh('rows');
SELECT v, diff(v, q) FROM views ORDER BY 1;
SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
DROP TABLE stock, feed, merged_log;
\i sql/include/helpers_end.sql
