-- Adaptive apply: a batch is applied incrementally or the view recomputed,
-- whichever costs less by the costs measured so far (a line fitted to the
-- incremental applies' sizes and times, a moving average of recomputes);
-- before an incremental apply is measured, a batch of over a quarter of the
-- tables' rows (of 10,000 or more) is recomputed.  A recompute is chosen
-- only when clearly cheaper: by a tenth of its cost and 25 ms.  The
-- history says which and why; incrload_alter_view(view, strategy => ...)
-- forces either.  Exact either way.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
-- (the other tests run with incrload.adaptive off: their choices must not
-- depend on this machine's speed)
SET incrload.adaptive = on;
CREATE TABLE f (id int PRIMARY KEY, g int, v int);
INSERT INTO f SELECT i, i % 10, i FROM generate_series(1, 12000) i;
ANALYZE f;
SELECT reg('fv', 'SELECT g, count(*) AS n, sum(v) AS s FROM f GROUP BY g');
SELECT reg('fj', 'SELECT a.id, b.v FROM f a JOIN f b ON b.id = a.id + 1 WHERE a.g = 3');
SELECT view_name, strategy FROM incrload_stats ORDER BY 1;

-- no delta row's cost known yet: a small batch is incremental, a big one
-- (over a quarter of the rows read) recomputed
INSERT INTO f VALUES (101001, 1, 1);
SELECT incrload_refresh('fv');
-- (what that apply cost is forgotten: this machine's speed must not decide)
UPDATE incrload.view SET apply_model = NULL WHERE view_name = 'fv'::regclass;
INSERT INTO f SELECT i, i % 10, i FROM generate_series(20001, 23200) i;
SELECT incrload_refresh('fv'), incrload_refresh('fj');
SELECT view_name, kind, delta_rows, reason FROM incrload_refresh_history
 WHERE kind <> 'verify' ORDER BY id;
SELECT view_name, last_choice FROM incrload_stats ORDER BY 1;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- with both costs known, the cheaper is chosen (costs set here, so that the
-- choice does not depend on this machine's speed: 10 ms a delta row, 100 ms
-- a recompute): 8 changes are cheaper incrementally, 12 dearer but within
-- the margin, 16 clearly dearer
UPDATE incrload.view SET apply_model = '{10,100,100,1000}', recompute_cost = 100 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 4;
SELECT incrload_refresh('fv');
UPDATE incrload.view SET apply_model = '{10,100,100,1000}', recompute_cost = 100 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 6;
SELECT incrload_refresh('fv');
UPDATE incrload.view SET apply_model = '{10,100,100,1000}', recompute_cost = 100 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 8;
SELECT incrload_refresh('fv');
SELECT delta_rows, reason FROM incrload_refresh_history
 WHERE view_name = 'fv'::regclass ORDER BY id DESC LIMIT 3;

-- a recompute measures what a recompute costs; an incremental apply what
-- those cost
SELECT recompute_cost IS NOT NULL AND recompute_cost <> 100 AS recompute_measured
  FROM incrload.view WHERE view_name = 'fv'::regclass;
UPDATE incrload.view SET apply_model = NULL WHERE view_name = 'fv'::regclass;
SELECT incrload_alter_view('fv', strategy => 'incremental');
UPDATE f SET v = v - 1 WHERE id > 1000;
UPDATE f SET v = v + 1 WHERE id <= 400;
SELECT incrload_refresh('fv');
-- (a big batch's statements are planned apart from a small one's, and
-- their first run, which plans them, is not learned from)
SELECT apply_model IS NULL AS first_big_not_learned FROM incrload.view WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 400;
SELECT incrload_refresh('fv');
SELECT array_length(apply_model, 1) = 4 AS apply_measured FROM incrload.view WHERE view_name = 'fv'::regclass;

-- forced: always recompute, always incremental
SELECT incrload_alter_view('fv', strategy => 'full');
INSERT INTO f VALUES (103001, 2, 2);
SELECT incrload_refresh('fv');
SELECT incrload_alter_view('fv', strategy => 'incremental');
UPDATE incrload.view SET apply_model = '{10,10,100,100}', recompute_cost = 10 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 100;
SELECT incrload_refresh('fv');
SELECT delta_rows, reason FROM incrload_refresh_history
 WHERE view_name = 'fv'::regclass ORDER BY id DESC LIMIT 2;
SELECT view_name, strategy FROM incrload_stats ORDER BY 1;
SELECT incrload_alter_view('fv', strategy => 'auto');
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- incrload.adaptive off: auto applies every batch
SET incrload.adaptive = off;
UPDATE incrload.view SET apply_model = '{10,10,100,100}', recompute_cost = 10 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 100;
SELECT incrload_refresh('fv');
SELECT reason FROM incrload_refresh_history WHERE view_name = 'fv'::regclass ORDER BY id DESC LIMIT 1;
SET incrload.adaptive = on;

-- only applies whose statements were planned before in the session are
-- learned from: a new session's first apply plans them (often longer than
-- the apply itself), which would make a small view look dear
UPDATE incrload.view SET apply_model = '{10,10,100,100}', recompute_cost = 10 WHERE view_name = 'fv'::regclass;
\c
SET incrload.adaptive = on;
UPDATE f SET v = v + 1 WHERE id <= 2;
SELECT incrload_refresh('fv');
SELECT apply_model = '{10,10,100,100}' AS first_apply_not_learned
  FROM incrload.view WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 2;
SELECT incrload_refresh('fv');
SELECT apply_model <> '{10,10,100,100}' AS second_apply_learned
  FROM incrload.view WHERE view_name = 'fv'::regclass;
-- and a recompute's first run in a session is cold: it can lower the known
-- cost, never raise it; the second is averaged in
\c
SET incrload.adaptive = on;
UPDATE incrload.view SET recompute_cost = 0.001 WHERE view_name = 'fj'::regclass;
SELECT incrload_full_refresh('fj') IS NOT NULL AS recomputed;
SELECT recompute_cost = 0.001 AS cold_recompute_not_raising
  FROM incrload.view WHERE view_name = 'fj'::regclass;
\c
SET incrload.adaptive = on;
UPDATE incrload.view SET recompute_cost = 50000 WHERE view_name = 'fj'::regclass;
SELECT incrload_full_refresh('fj') IS NOT NULL AS recomputed;
SELECT recompute_cost < 50000 AS cold_recompute_lowering
  FROM incrload.view WHERE view_name = 'fj'::regclass;
UPDATE incrload.view SET recompute_cost = 0.001 WHERE view_name = 'fj'::regclass;
SELECT incrload_full_refresh('fj') IS NOT NULL AS recomputed;
SELECT recompute_cost > 0.001 AS second_recompute_learned
  FROM incrload.view WHERE view_name = 'fj'::regclass;

-- while only the first fill timed a recompute (a cold upper bound), an
-- apply predicted at a fifth of it recomputes once to time one; then the
-- costs decide as above (10 ms a delta row, the first fill 400 ms)
UPDATE incrload.view SET apply_model = '{10,100,100,1000}', recompute_cost = 400,
       full_refreshes = 1 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 3;
SELECT incrload_refresh('fv');
SELECT full_refreshes = 1 AS not_near FROM incrload.view WHERE view_name = 'fv'::regclass;
UPDATE incrload.view SET apply_model = '{10,100,100,1000}', recompute_cost = 400,
       full_refreshes = 1 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 5;
SELECT incrload_refresh('fv');
SELECT full_refreshes = 2 AS timed, recompute_cost < 400 AS lowered
  FROM incrload.view WHERE view_name = 'fv'::regclass;
UPDATE incrload.view SET apply_model = '{10,100,100,1000}', recompute_cost = 400
 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 5;
SELECT incrload_refresh('fv');
SELECT delta_rows, reason FROM incrload_refresh_history
 WHERE view_name = 'fv'::regclass ORDER BY id DESC LIMIT 3;

-- batches of nearly one size (10 rows, give or take 0.2) fit no slope: a
-- line through them (50 ms a row, from -450 ms) would call the next batch
-- 500 ms; the time per row (5 ms) stands
UPDATE incrload.view SET apply_model = '{10,50,100.04,502}', recompute_cost = 100
 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 5;
SELECT incrload_refresh('fv');
SELECT delta_rows, reason FROM incrload_refresh_history
 WHERE view_name = 'fv'::regclass ORDER BY id DESC LIMIT 1;
-- batches of clearly different sizes (10 rows give or take 5, 20 ms plus
-- 3 ms a row) fit a line: 20 changes are predicted at 80 ms, not 100
UPDATE incrload.view SET apply_model = '{10,50,125,575}', recompute_cost = 100
 WHERE view_name = 'fv'::regclass;
UPDATE f SET v = v + 1 WHERE id <= 10;
SELECT incrload_refresh('fv');
SELECT delta_rows, reason FROM incrload_refresh_history
 WHERE view_name = 'fv'::regclass ORDER BY id DESC LIMIT 1;
SELECT incrload_refresh('fj') >= 0 AS applied;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- a TRUNCATE recomputes, and says so
TRUNCATE f;
SELECT incrload_refresh('fj');
SELECT reason FROM incrload_refresh_history WHERE view_name = 'fj'::regclass ORDER BY id DESC LIMIT 1;

-- errors a user can hit
SELECT incrload_alter_view('fv', strategy => 'sometimes');
SELECT incrload_alter_view('fv', strategy => '');

SELECT count(incrload_unregister_view(v)) FROM views;
DROP TABLE f;
\i sql/include/helpers_end.sql
DROP EXTENSION incrload;
