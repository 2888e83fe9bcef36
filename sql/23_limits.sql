-- Limits: what registering needs beyond SELECT (TRIGGER, as CREATE TRIGGER
-- does), how many inputs a join may have, per-view limits of an apply's time
-- and temporary files, views too wide for a row key, and float aggregates
-- that verify compares with a tolerance.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
-- the context of an error in an apply is its generated SQL
\set SHOW_CONTEXT never

-- === capture needs the TRIGGER privilege ====================================
CREATE ROLE il_reader LOGIN;
CREATE ROLE il_other LOGIN;
CREATE TABLE owned (k int, v int);
INSERT INTO owned SELECT g % 3, g FROM generate_series(1, 9) g;
GRANT SELECT ON owned TO il_reader, il_other;
GRANT CREATE ON SCHEMA public TO il_reader, il_other;
GRANT EXECUTE ON FUNCTION incrload_register_view(text, text, interval, text, interval),
  incrload_explain, incrload_unregister_view(regclass, boolean) TO il_reader, il_other;

SET ROLE il_reader;
-- SELECT alone gives no power over the table's writers
SELECT incrload_register_view('r_sum', 'SELECT k, sum(v) AS s FROM owned GROUP BY k');
SELECT incremental, reason FROM incrload_explain('SELECT k FROM owned');
-- full mode installs no capture: SELECT is enough, as for a materialized view
SELECT incrload_register_view('r_full', 'SELECT k, sum(v) AS s FROM owned GROUP BY k', mode => 'full');
RESET ROLE;
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgrelid = 'owned'::regclass;

GRANT TRIGGER ON owned TO il_reader;
SET ROLE il_reader;
SELECT incrload_register_view('r_sum', 'SELECT k, sum(v) AS s FROM owned GROUP BY k');
RESET ROLE;
SELECT v, diff(v, 'SELECT k, sum(v) AS s FROM owned GROUP BY k') FROM (VALUES ('r_sum'::regclass)) x(v);

-- reading another role's registered view needs TRIGGER on its storage table
GRANT SELECT ON incrload.r_sum_storage TO il_other;
SET ROLE il_other;
SELECT incrload_register_view('o_over', 'SELECT count(*) AS n FROM r_sum');
RESET ROLE;
GRANT TRIGGER ON incrload.r_sum_storage TO il_other;
SET ROLE il_other;
SELECT incrload_register_view('o_over', 'SELECT count(*) AS n FROM r_sum');
SELECT * FROM o_over;
SELECT incrload_unregister_view('o_over');
RESET ROLE;
SET ROLE il_reader;
SELECT incrload_unregister_view('r_sum');
SELECT incrload_unregister_view('r_full');
RESET ROLE;

-- === at most incrload.max_inputs inputs per join =============================
CREATE TABLE s (id int PRIMARY KEY, v int);
INSERT INTO s SELECT g, g FROM generate_series(1, 45) g;
SHOW incrload.max_inputs;
-- 13 references of one table: refused before anything is made
SELECT incrload_register_view('sj13', 'SELECT a.id, m.v FROM s a JOIN s b USING (id) JOIN s c USING (id)
  JOIN s d USING (id) JOIN s e USING (id) JOIN s f USING (id) JOIN s g USING (id) JOIN s h USING (id)
  JOIN s i USING (id) JOIN s j USING (id) JOIN s k USING (id) JOIN s l USING (id) JOIN s m USING (id)');
SELECT * FROM leftovers();
-- subqueries in expressions count too; each UNION ALL arm (branch) alone
SET incrload.max_inputs = 3;
SELECT incremental, reason FROM incrload_explain(
  'SELECT a.id FROM s a JOIN s b USING (id) WHERE EXISTS (SELECT FROM s c WHERE c.v = a.v)');
SELECT incremental, reason, hint FROM incrload_explain(
  'SELECT a.id FROM s a JOIN s b USING (id) WHERE EXISTS (SELECT FROM s c JOIN s d USING (id) WHERE c.v = a.v)');
SELECT incremental, reason FROM incrload_explain(
  'SELECT a.id FROM s a JOIN s b USING (id) JOIN s c USING (id) JOIN s d USING (id)');
SELECT incremental FROM incrload_explain(
  'SELECT id FROM (SELECT a.id FROM s a JOIN s b USING (id) JOIN s c USING (id)
                   UNION ALL SELECT a.id FROM s a JOIN s b USING (id)) u');
RESET incrload.max_inputs;
-- only a superuser raises it
SET ROLE il_reader;
SET incrload.max_inputs = 100;
RESET ROLE;

-- === per-view limits of an apply =============================================
SELECT reg('lim', 'SELECT k, count(*) AS n FROM owned GROUP BY k');
SELECT incrload_alter_view('lim', statement_timeout => 'soon');
SELECT incrload_alter_view('lim', statement_timeout => '-1');
SELECT incrload_alter_view('lim', temp_file_limit => '-2');
SELECT incrload_alter_view('lim', temp_file_limit => '1 parsec');
SELECT incrload_alter_view('lim', statement_timeout => '2min', temp_file_limit => '64MB');
SELECT statement_timeout, temp_file_limit FROM incrload.view WHERE view_name = 'lim'::regclass;
SELECT incrload_alter_view('lim', temp_file_limit => 'default');
SELECT statement_timeout, temp_file_limit FROM incrload.view WHERE view_name = 'lim'::regclass;
-- only a superuser gives a view a looser limit than the server's
GRANT EXECUTE ON FUNCTION incrload_alter_view(regclass, interval, interval, boolean, text, text, text) TO il_reader;
SET ROLE il_reader;
SELECT incrload_register_view('lim_r', 'SELECT k, count(*) AS n FROM owned GROUP BY k');
SELECT incrload_alter_view('lim_r', statement_timeout => '2h');
SELECT incrload_alter_view('lim_r', temp_file_limit => '-1');
SELECT incrload_alter_view('lim_r', statement_timeout => '0');
SELECT incrload_alter_view('lim_r', statement_timeout => '1h', temp_file_limit => '1GB');
SELECT incrload_alter_view('lim_r', statement_timeout => '10s', temp_file_limit => 'default');
RESET ROLE;
SELECT statement_timeout, temp_file_limit FROM incrload.view WHERE view_name = 'lim_r'::regclass;
SET ROLE il_reader;
SELECT incrload_unregister_view('lim_r');
RESET ROLE;

-- temporary files: a recompute that spills more than the view's limit fails
INSERT INTO owned SELECT g, g FROM generate_series(1, 20000) g;
SET work_mem = '64kB';
SELECT incrload_alter_view('lim', temp_file_limit => '100kB');
-- the message quotes the setting's name from PostgreSQL 17 on: its SQLSTATE only
\set VERBOSITY sqlstate
SELECT incrload_full_refresh('lim');
\set VERBOSITY default
SELECT incrload_alter_view('lim', temp_file_limit => 'default');
SELECT incrload_full_refresh('lim');
RESET work_mem;
SELECT v, diff(v, q) FROM views;
SHOW temp_file_limit;

-- time: an apply whose query waits longer than the view's limit is cancelled
CREATE FUNCTION sleepy(int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_sleep(2); RETURN $1; END $$;
SELECT reg('slow', 'SELECT sleepy(k) AS k FROM owned WHERE v = 0');
SELECT incrload_alter_view('slow', statement_timeout => '50ms');
INSERT INTO owned VALUES (7, 0);
SELECT incrload_refresh('slow');
SELECT incrload_alter_view('slow', statement_timeout => 'default');
SELECT incrload_refresh('slow');
SELECT * FROM slow;
-- the limit ends with its apply: it cancels nothing that runs after
SELECT incrload_alter_view('lim', statement_timeout => '1s');
SELECT incrload_refresh('lim');
SELECT pg_sleep(1.2);
SELECT incrload_unregister_view('slow');
SELECT incrload_unregister_view('lim');
DELETE FROM views;

-- === row keys wider than an index ===========================================
SELECT format('CREATE TABLE wide (%s)', string_agg(format('c%s int', g), ', ')) FROM generate_series(1, 40) g \gexec
SELECT format('INSERT INTO wide SELECT %s FROM generate_series(1, 3) g', string_agg('g', ', ')) FROM generate_series(1, 40) \gexec
-- 32 columns: a projection registers
SELECT format($f$SELECT reg('w32', 'SELECT %s FROM wide')$f$, string_agg(format('c%s', g), ', ')) FROM generate_series(1, 32) g \gexec
-- 33: refused with the limit named, as DISTINCT, as GROUP BY, as a set operation
SELECT format($f$SELECT incrload_register_view('w33', 'SELECT %s FROM wide')$f$, string_agg(format('c%s', g), ', ')) FROM generate_series(1, 33) g \gexec
SELECT format($f$SELECT incrload_register_view('w33', 'SELECT DISTINCT %s FROM wide')$f$, string_agg(format('c%s', g), ', ')) FROM generate_series(1, 33) g \gexec
SELECT format($f$SELECT incrload_register_view('w33', 'SELECT %1$s, count(*) AS n FROM wide GROUP BY %1$s')$f$, string_agg(format('c%s', g), ', ')) FROM generate_series(1, 33) g \gexec
SELECT format($f$SELECT incrload_register_view('w33', 'SELECT %1$s FROM wide UNION SELECT %1$s FROM wide')$f$, string_agg(format('c%s', g), ', ')) FROM generate_series(1, 33) g \gexec
-- a DISTINCT aggregate's set needs one more
SELECT format($f$SELECT incrload_register_view('w32d', 'SELECT %1$s, count(DISTINCT c40) AS n FROM wide GROUP BY %1$s')$f$, string_agg(format('c%s', g), ', ')) FROM generate_series(1, 32) g \gexec
SELECT incremental, reason FROM incrload_explain((SELECT format('SELECT DISTINCT %s FROM wide', string_agg(format('c%s', g), ', ')) FROM generate_series(1, 33) g));
SELECT * FROM leftovers();
-- full mode has no row key
INSERT INTO views SELECT incrload_register_view('w40f', 'SELECT DISTINCT * FROM wide', mode => 'full'), 'SELECT DISTINCT * FROM wide';
UPDATE wide SET c40 = c40 + 1 WHERE c1 = 2;
SELECT incrload_refresh('w32'), incrload_refresh('w40f');
SELECT v, diff(v, q) FROM views ORDER BY v::text;
SELECT incrload_unregister_view('w32');
SELECT incrload_unregister_view('w40f');
DELETE FROM views;

-- === float aggregates: verify compares with a relative tolerance ==============
CREATE TABLE f (g int, x float8, y real, o int);
CREATE INDEX f_o ON f (o);
INSERT INTO f VALUES (1, 0.1, 0.1, 3), (1, 0.2, 0.2, 2), (1, 0.3, 0.3, 1),
                     (2, 1e16, 1, 1), (2, 1, 1, 3), (2, -1e16, 1, 2);
SELECT reg('fsum', 'SELECT g, sum(x) AS sx, avg(x) AS ax, sum(y) AS sy, count(*) AS n FROM f WHERE g = 1 GROUP BY g');
SELECT reg('fcancel', 'SELECT g, sum(x) AS sx FROM f WHERE g = 2 GROUP BY g');
SELECT g, sx::text, ax::text FROM fsum UNION ALL SELECT g, sx::text, NULL FROM fcancel ORDER BY 1;
-- the rows in another physical order: the query adds them up in another order
CLUSTER f USING f_o;
SELECT g, sum(x)::text AS sx, avg(x)::text AS ax FROM f GROUP BY g ORDER BY g;
-- summation order alone is not drift
SELECT * FROM incrload_verify('fsum');
SELECT last_verify_mismatches FROM incrload_stats WHERE view_name = 'fsum'::regclass;
-- where the values nearly cancel, the order changes the whole result: reported
SELECT * FROM incrload_verify('fcancel');
SELECT incrload_unregister_view('fcancel');
SELECT incrload_unregister_view('fsum');
DELETE FROM views;

DROP TABLE f, wide, s, owned;
DROP FUNCTION sleepy(int);
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
DROP EXTENSION incrload;
REVOKE CREATE ON SCHEMA public FROM il_reader, il_other;
DROP ROLE il_reader, il_other;
