-- incrload_explain(query): whether a query can be maintained incrementally,
-- how, and if not why; it registers nothing and reads no table.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE ea (id int PRIMARY KEY, g int, v numeric);
CREATE TABLE eb (id int PRIMARY KEY, aid int, w int);
INSERT INTO ea SELECT i, i % 4, i FROM generate_series(1, 20) i;
SELECT * FROM leftovers();
\x
-- maintainable: the kind of upkeep, the tables captured, each aggregate
SELECT * FROM incrload_explain('SELECT a.g, sum(b.w), count(*), avg(a.v) FROM ea a JOIN eb b ON b.aid = a.id GROUP BY a.g');
SELECT * FROM incrload_explain('SELECT count(*), min(v), max(v) FROM ea');
SELECT * FROM incrload_explain('SELECT DISTINCT g FROM ea');
SELECT * FROM incrload_explain('SELECT id, v * 2 AS v2 FROM ea WHERE g > 1');
SELECT * FROM incrload_explain('SELECT id FROM ea EXCEPT SELECT aid FROM eb');
SELECT * FROM incrload_explain('SELECT a.id, b.w FROM ea a LEFT JOIN eb b ON b.aid = a.id');
SELECT * FROM incrload_explain('SELECT g, count(DISTINCT v), bool_and(v > 3), stddev(v), string_agg(v::text, '','' ORDER BY v) FROM ea GROUP BY g');
-- a nested aggregate needs an auxiliary view
SELECT * FROM incrload_explain('SELECT n, count(*) FROM (SELECT g, count(*) AS n FROM ea GROUP BY g) x GROUP BY n');
-- not maintainable: the reason, with the same detail and hint registration gives
SELECT * FROM incrload_explain('SELECT id, ntile(2) OVER (ORDER BY id) FROM ea');
SELECT * FROM incrload_explain('SELECT id, now() FROM ea');
SELECT * FROM incrload_explain('SELECT id FROM ea ORDER BY id LIMIT 3');
SELECT * FROM incrload_explain('SELECT * FROM ea a, LATERAL (SELECT max(w) FROM eb WHERE eb.aid = a.id) m');
SELECT * FROM incrload_explain('SELECT 1');
SELECT * FROM incrload_explain('SELECT * FROM no_such_table');
SELECT * FROM incrload_explain('SELEC id FROM ea');
\x
SELECT * FROM incrload_explain(NULL);
-- explain left nothing behind: no capture, no storage, no catalog row
SELECT * FROM leftovers();
SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('ea'::regclass, 'eb'::regclass);
-- ... and leaves a registered view's capture alone
SELECT reg('ev', 'SELECT g, count(*) AS n FROM ea GROUP BY g');
SELECT incremental, kind, base_tables FROM incrload_explain('SELECT g, sum(v) FROM ea GROUP BY g');
SELECT incremental, kind, base_tables FROM incrload_explain('SELECT n, count(*) FROM ev GROUP BY n');
INSERT INTO ea VALUES (100, 1, 1);
SELECT incrload_refresh('ev') > 0 AS consumed;
SELECT v, diff(v, q) FROM views;
SELECT count(*) AS views FROM incrload.view;
-- a role that cannot read a table learns so
CREATE ROLE explain_user;
GRANT EXECUTE ON FUNCTION incrload_explain(text, boolean) TO explain_user;
SET ROLE explain_user;
SELECT incremental, reason, detail FROM incrload_explain('SELECT count(*) FROM ea');
RESET ROLE;
SELECT incrload_unregister_view('ev');
DROP TABLE ea, eb;
REVOKE EXECUTE ON FUNCTION incrload_explain(text, boolean) FROM explain_user;
DROP ROLE explain_user;
DROP EXTENSION incrload CASCADE;
\i sql/include/helpers_end.sql
