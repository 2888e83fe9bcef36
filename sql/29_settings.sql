-- Views over stable built-ins that read only settings (TimeZone, DateStyle,
-- IntervalStyle, lc_time, lc_numeric, lc_monetary): registration keeps the
-- settings in effect and every apply, recompute and verify runs with them,
-- whatever the session or worker that runs it.
CREATE EXTENSION incrload;
CREATE TABLE ev (id int PRIMARY KEY, at timestamptz, amt numeric, d interval);
-- across the 2024 spring-forward in New York (2024-03-10 02:00 local)
INSERT INTO ev SELECT i, timestamptz '2024-03-09 20:00+00' + i * interval '37 minutes', i, i * interval '1 hour'
  FROM generate_series(1, 200) i;

SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SELECT incremental, kind FROM incrload_explain($$SELECT at::date AS day, count(*) FROM ev GROUP BY 1$$);
SELECT incrload_register_view('by_day', $$SELECT at::date AS day, count(*) AS n, sum(amt) AS s FROM ev GROUP BY 1$$);
SELECT incrload_register_view('by_hour', $$SELECT date_trunc('hour', at) AS h, extract(hour FROM at) AS hr, count(*) AS n FROM ev GROUP BY 1, 2$$);
SELECT incrload_register_view('texts', $$
  SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI TZ') AS t, at::text AS at_text, at::date::text AS day_text,
         d::text AS d_text, to_char(amt, '999.99') AS amt_text
    FROM ev WHERE at >= date '2024-03-10' AND at::timestamp < timestamp '2024-03-12 00:00'$$);
SELECT incrload_register_view('full_days', $$SELECT DISTINCT at::date AS day FROM ev$$, mode => 'full');
SELECT view_name, settings FROM incrload.view ORDER BY 1::text;

-- another session's settings: the writes, the applies
RESET TimeZone; RESET DateStyle; RESET IntervalStyle;
INSERT INTO ev SELECT i, timestamptz '2024-03-10 03:30+00' + i * interval '13 minutes', i, i * interval '90 minutes'
  FROM generate_series(201, 300) i;
UPDATE ev SET at = at + interval '5 hours' WHERE id % 7 = 0;
DELETE FROM ev WHERE id % 11 = 0;
SELECT incrload_refresh('by_day') > 0 AS applied, incrload_refresh('by_hour') > 0 AS applied,
       incrload_refresh('texts') > 0 AS applied;
SELECT incrload_refresh('full_days');
SELECT v, (incrload_verify(v)).* FROM unnest('{by_day,by_hour,texts,full_days}'::regclass[]) v;
-- they equal their queries under the settings they were registered with
SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SELECT count(*) AS differ FROM ((TABLE by_day EXCEPT ALL SELECT at::date, count(*), sum(amt) FROM ev GROUP BY 1)
  UNION ALL (SELECT at::date, count(*), sum(amt) FROM ev GROUP BY 1 EXCEPT ALL TABLE by_day)) x;
SELECT count(*) AS differ FROM ((TABLE by_hour EXCEPT ALL SELECT date_trunc('hour', at), extract(hour FROM at), count(*) FROM ev GROUP BY 1, 2)
  UNION ALL (SELECT date_trunc('hour', at), extract(hour FROM at), count(*) FROM ev GROUP BY 1, 2 EXCEPT ALL TABLE by_hour)) x;
SELECT count(*) AS differ FROM ((TABLE texts EXCEPT ALL
  SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI TZ'), at::text, at::date::text, d::text, to_char(amt, '999.99')
    FROM ev WHERE at >= date '2024-03-10' AND at::timestamp < timestamp '2024-03-12 00:00')
  UNION ALL (SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI TZ'), at::text, at::date::text, d::text, to_char(amt, '999.99')
    FROM ev WHERE at >= date '2024-03-10' AND at::timestamp < timestamp '2024-03-12 00:00' EXCEPT ALL TABLE texts)) x;
SELECT count(*) AS differ FROM ((TABLE full_days EXCEPT ALL SELECT DISTINCT at::date FROM ev)
  UNION ALL (SELECT DISTINCT at::date FROM ev EXCEPT ALL TABLE full_days)) x;
SELECT * FROM texts WHERE id IN (1, 7, 205) ORDER BY id;
RESET TimeZone; RESET DateStyle; RESET IntervalStyle;

-- a recompute keeps them too
SELECT incrload_full_refresh('by_day');
SELECT (incrload_verify('by_day')).*;

-- what reads the clock, or more than settings, is still refused
SELECT incrload_register_view('bad', $$SELECT id, at > now() AS past FROM ev$$);
SELECT incrload_register_view('bad', $$SELECT id, age(at) FROM ev$$);
SELECT incrload_register_view('bad', $$SELECT id, at::time::timetz FROM ev$$);
SELECT incrload_register_view('bad', $$SELECT id, current_date - at::date FROM ev$$);
-- a view that calls none keeps none
SELECT incrload_register_view('plain', $$SELECT id, amt FROM ev$$);
SELECT settings IS NULL AS no_settings FROM incrload.view WHERE view_name = 'plain'::regclass;

SET client_min_messages = warning;
DROP EXTENSION incrload CASCADE;
