-- The JSON builders (json_agg, jsonb_agg, json_object_agg, to_jsonb,
-- jsonb_build_object ...) are stable because they call the output function
-- of the type they are given.  Over types whose JSON form depends on the
-- value and the view's pinned settings alone (numbers, text, dates and
-- timestamps, arrays and composites of them) they are as deterministic as
-- the settings-reading built-ins of 29_settings, and maintained so
-- (src/settings.c, il_settings_json_call); the aggregates are recomputed
-- per changed group.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
SET TimeZone = 'UTC';
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TYPE money_pair AS (amt numeric, at timestamptz);
CREATE TABLE c (cid int PRIMARY KEY, name text, m mood);
CREATE TABLE o (oid int PRIMARY KEY, cid int, amt numeric, ts timestamptz, tags text[], d date, p money_pair);
INSERT INTO c VALUES (1, 'ann', 'ok'), (2, 'bob', 'sad'), (3, NULL, NULL);
INSERT INTO o VALUES (1, 1, 10, '2024-01-01 10:00+00', '{a}', '2024-01-01', (1, '2024-01-01 00:00+00')),
  (2, 1, 20, NULL, NULL, NULL, NULL), (3, 2, 5, '2024-03-10 23:30+00', '{}', '2024-03-10', (NULL, NULL)),
  (4, NULL, NULL, '2024-06-01 12:00+00', '{b,NULL}', '2024-06-01', (2.5, NULL));

-- aggregates with ORDER BY, over objects built from timestamps and dates
SELECT reg('per_cust', $$SELECT cid, json_agg(amt ORDER BY oid) AS amts,
  jsonb_agg(jsonb_build_object('oid', oid, 'ts', ts, 'd', d) ORDER BY oid) AS rows FROM o GROUP BY cid$$);
-- over a join, arrays, a composite, json_object_agg
SELECT reg('per_name', $$SELECT c.name, json_object_agg(o.oid, o.amt ORDER BY o.oid) AS m,
  jsonb_agg(o.tags ORDER BY o.oid) AS tags, jsonb_agg(o.p ORDER BY o.oid) AS pairs
  FROM o JOIN c USING (cid) GROUP BY c.name$$);
-- per row, and a jsonb key (jsonb has equality)
SELECT reg('per_row', $$SELECT oid, to_jsonb(ts) AS t, jsonb_build_array(amt, d, tags) AS a FROM o$$);
SELECT reg('by_doc', $$SELECT jsonb_build_object('day', d) AS k, count(*) AS n FROM o GROUP BY 1$$);
-- without ORDER BY: elements in the order the recompute reads them
-- (verify compares them sorted)
SELECT incrload_register_view('unordered', $$SELECT cid, jsonb_agg(amt) AS amts FROM o GROUP BY cid$$);
-- (json has no equality: verify compares it as text)
SELECT v, (incrload_verify(v)).* FROM views ORDER BY v::text;
-- the settings are kept, and the answers are those of the registration's TimeZone
SELECT settings IS NOT NULL AS pinned FROM incrload.view WHERE view_name = 'per_row'::regclass;
SELECT * FROM per_row ORDER BY oid;

-- writes in a session with another TimeZone
SET TimeZone = 'Asia/Tokyo';
UPDATE o SET amt = amt + 1, ts = ts + interval '1 hour' WHERE oid = 1;
INSERT INTO o VALUES (5, 2, 7, '2024-05-05 05:05+00', '{x,y}', '2024-05-05', (3, '2024-05-05 00:00+00'));
DELETE FROM o WHERE oid = 3;
UPDATE c SET name = 'bea' WHERE cid = 2;
SELECT count(incrload_refresh(v)) FROM views;
SELECT incrload_refresh('unordered') >= 0;
RESET TimeZone;
SET TimeZone = 'UTC';
SELECT v, (incrload_verify(v)).* FROM views ORDER BY v::text;
SELECT (incrload_verify('unordered')).*;
SELECT * FROM per_row ORDER BY oid;
SELECT * FROM per_cust ORDER BY cid NULLS FIRST;

-- refused: an enum (its labels can be renamed), an anonymous record
SELECT incrload_register_view('bad', $$SELECT cid, jsonb_agg(m) FROM c GROUP BY cid$$);
SELECT incrload_register_view('bad', $$SELECT oid, to_jsonb(ROW(oid, amt)) AS r FROM o$$);
-- json has no equality: not a row key
SELECT incrload_register_view('bad', $$SELECT oid, to_json(amt) AS j FROM o$$);

SELECT count(incrload_unregister_view(v)) FROM views;
SELECT incrload_unregister_view('unordered');
SELECT * FROM leftovers();
\i sql/include/helpers_end.sql
DROP TABLE o, c;
DROP TYPE money_pair;
DROP TYPE mood;
RESET TimeZone;
DROP EXTENSION incrload CASCADE;
