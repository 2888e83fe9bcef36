-- Ordered-set and hypothetical-set aggregates (percentile_cont,
-- percentile_disc, mode, rank(x) WITHIN GROUP ...), maintained by
-- recomputing the groups a batch changes from their rows.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE m (id int PRIMARY KEY, g int, x numeric, t text, ts timestamp);
CREATE INDEX ON m (g);
INSERT INTO m SELECT i, i % 4, (i * 7) % 23, 't' || (i % 3), timestamp '2024-01-01' + i * interval '1 day'
  FROM generate_series(1, 80) i;
INSERT INTO m VALUES (81, 1, NULL, NULL, NULL), (82, NULL, 3, 't1', NULL);

SELECT reg('stats', $$SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS med,
  percentile_disc(ARRAY[0.25, 0.75]) WITHIN GROUP (ORDER BY x DESC) AS quartiles,
  mode() WITHIN GROUP (ORDER BY t) AS common, rank(10) WITHIN GROUP (ORDER BY x) AS rank_of_10,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY x) FILTER (WHERE t = 't1') AS p90_t1,
  percentile_disc(0.5) WITHIN GROUP (ORDER BY ts) AS mid_ts, count(*) AS n FROM m GROUP BY g$$);
-- without GROUP BY, and beside an incrementally kept sum
SELECT reg('overall', $$SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS med, sum(x) AS s FROM m$$);
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT aggregates FROM incrload_explain($$SELECT g, mode() WITHIN GROUP (ORDER BY t) FROM m GROUP BY g$$);

UPDATE m SET x = x + 100 WHERE id % 5 = 0;
DELETE FROM m WHERE id % 7 = 0;
INSERT INTO m VALUES (90, 9, 1, 'a', timestamp '2030-01-01'), (91, NULL, NULL, NULL, NULL);
UPDATE m SET g = 2 WHERE id = 3;
BEGIN;
DELETE FROM m;
ROLLBACK;
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT * FROM stats ORDER BY g;
DELETE FROM m WHERE g = 9;
SELECT count(*) > 0 FROM (SELECT incrload_refresh(v) FROM views) r;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT v, incrload_verify(v) FROM views ORDER BY v::text;

-- refused: a direct argument that reads the group
SELECT incrload_register_view('r1', $$SELECT g, percentile_cont(g / 10.0) WITHIN GROUP (ORDER BY x) FROM m GROUP BY g$$);

SELECT incrload_unregister_view(v) FROM views;
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
