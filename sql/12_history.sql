-- Refresh history, settings, and the SLIs computed from the history.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE t (id int PRIMARY KEY, g int, a int);
INSERT INTO t SELECT i, i % 4, i FROM generate_series(1, 100) i;

-- settings at registration, and changed later; NULL keeps a setting
SELECT incrload_register_view('hv', 'SELECT g, count(*) AS n, sum(a) AS s FROM t GROUP BY g',
                              refresh_interval => '5 seconds', verify_interval => '1 hour');
SELECT refresh_interval, verify_interval, repair FROM incrload_stats WHERE view_name = 'hv'::regclass;
SELECT incrload_alter_view('hv', refresh_interval => '2 seconds');
SELECT refresh_interval, verify_interval, repair FROM incrload_stats WHERE view_name = 'hv'::regclass;
SELECT incrload_alter_view('hv', verify_interval => '10 minutes', repair => false);
SELECT refresh_interval, verify_interval, repair FROM incrload_stats WHERE view_name = 'hv'::regclass;
-- zero turns scheduled verification off
SELECT incrload_alter_view('hv', verify_interval => '0');
SELECT refresh_interval, verify_interval, repair FROM incrload_stats WHERE view_name = 'hv'::regclass;
SELECT incrload_alter_view('hv');
SELECT refresh_interval, verify_interval, repair FROM incrload_stats WHERE view_name = 'hv'::regclass;
-- bad settings
SELECT incrload_alter_view('hv', refresh_interval => '0');
SELECT incrload_alter_view('hv', refresh_interval => '-1 second');
SELECT incrload_alter_view('hv', verify_interval => '-1 second');
SELECT incrload_alter_view(NULL, refresh_interval => '1 second');
SELECT incrload_alter_view('t', refresh_interval => '1 second');
SELECT incrload_register_view('hv2', 'SELECT id FROM t', verify_interval => '-1 day');
CREATE ROLE il_stranger;
GRANT EXECUTE ON FUNCTION incrload_alter_view(regclass, interval, interval, boolean, text) TO il_stranger;
SET ROLE il_stranger;
SELECT incrload_alter_view('hv', refresh_interval => '1 second');
RESET ROLE;
DROP OWNED BY il_stranger;
DROP ROLE il_stranger;

-- one history row per attempt: the registration's fill, refreshes,
-- full refreshes, verifications, with what each did
UPDATE t SET g = (g + 1) % 4 WHERE id <= 10;
DELETE FROM t WHERE id > 95;
INSERT INTO t VALUES (200, 7, 1);
SELECT incrload_refresh('hv');
SELECT incrload_refresh('hv');
SELECT incrload_full_refresh('hv');
SELECT * FROM incrload_verify('hv');
-- a storage table changed behind incrload's back: verify sees it
UPDATE incrload.hv_storage SET n = n + 1 WHERE g = 7;
SELECT * FROM incrload_verify('hv');
SELECT id, view_name, kind, origin, delta_rows, rows_inserted, rows_deleted, rows_updated,
       outcome, error, verify_missing, verify_extra, repaired,
       duration >= '0' AS took, (max_change_age IS NOT NULL) = (delta_rows > 0) AS aged
  FROM incrload_refresh_history ORDER BY id;
SELECT last_verify IS NOT NULL, last_verify_mismatches FROM incrload_stats WHERE view_name = 'hv'::regclass;
-- an attempt rolled back leaves no row: the view did not change
BEGIN;
INSERT INTO t VALUES (201, 1, 1);
SELECT incrload_refresh('hv');
ROLLBACK;
-- nor does a failed one (bad data: the apply divides by zero); the
-- failure reaches the history through the worker (a TAP test checks that)
SELECT incrload_register_view('dv', 'SELECT id, 100 / a AS q FROM t WHERE id > 150');
INSERT INTO t VALUES (202, 1, 0);
\set VERBOSITY terse
SELECT incrload_refresh('dv');
-- once the row is gone, its insertion and deletion cancel out in the batch
DELETE FROM t WHERE id = 202;
SELECT incrload_refresh('dv');
\set VERBOSITY default
SELECT count(*) FROM incrload_refresh_history;
-- everyone may read the history
CREATE ROLE il_reader;
SET ROLE il_reader;
SELECT count(*) > 0 FROM incrload_refresh_history;
SELECT count(*) FROM incrload.refresh_history;
RESET ROLE;
DROP ROLE il_reader;

-- the SLIs, over a history with known contents
SELECT incrload_register_view('sv', 'SELECT id FROM t WHERE a > 90');
DELETE FROM incrload.refresh_history;
INSERT INTO incrload.refresh_history (view_name, kind, origin, started_at, duration, delta_rows,
                                      max_change_age, outcome, error, verify_missing, verify_extra)
SELECT 'hv', k, 'worker', now() - interval '1 minute' * i, interval '1 ms' * i, d,
       interval '1 second' * i, o, CASE WHEN o <> 'ok' THEN 'boom' END, vm, ve
  FROM (VALUES (1, 'incremental', 10, 'ok', NULL, NULL),
               (2, 'incremental', 20, 'ok', NULL, NULL),
               (3, 'incremental', 30, 'ok', NULL, NULL),
               (4, 'incremental', NULL, 'error', NULL, NULL),
               (5, 'full', 50, 'ok', NULL, NULL),
               (6, 'verify', 0, 'ok', 2, 1),
               (7, 'incremental', 0, 'cancelled', NULL, NULL),
               (8, 'incremental', 80, 'ok', NULL, NULL),
               (90, 'incremental', 900, 'ok', NULL, NULL)) v(i, k, d, o, vm, ve);
SELECT * FROM incrload_slis() ORDER BY view_name::text;
SELECT view_name, attempts, refreshes_ok, changes_applied FROM incrload_slis('2 hours') ORDER BY view_name::text;
SELECT view_name, attempts, success_rate FROM incrload_slis('150 seconds') ORDER BY view_name::text;
SELECT * FROM incrload_slis(NULL);

-- unregistering a view removes its history
SELECT incrload_unregister_view('hv');
SELECT count(*) FROM incrload.refresh_history;

DROP EXTENSION incrload CASCADE;
DROP TABLE t;
\i sql/include/helpers_end.sql
