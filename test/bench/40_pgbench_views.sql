-- Figures 4b and 7: three views over the pgbench tables, applied by the
-- worker every second.
\set QUIET on
CREATE TEMP TABLE q (name text, query text);
INSERT INTO q VALUES
 ('pgb_accounts', 'SELECT bid, count(*) AS n, sum(abalance) AS total FROM pgbench_accounts GROUP BY bid'),
 ('pgb_history', 'SELECT tid, count(*) AS n, sum(delta) AS total, min(mtime) AS first, max(mtime) AS last FROM pgbench_history GROUP BY tid'),
 ('pgb_tellers', 'SELECT t.tid, t.tbalance, b.bid, b.bbalance FROM pgbench_tellers t JOIN pgbench_branches b ON b.bid = t.bid');
SELECT incrload_register_view(name, query, '1 second') FROM q ORDER BY name \g /dev/null
INSERT INTO bench.views SELECT name, query FROM q
ON CONFLICT (name) DO UPDATE SET query = excluded.query;
