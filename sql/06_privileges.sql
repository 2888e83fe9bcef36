-- Privileges: a non-superuser registers over tables it can read and owns
-- the result; writers with only DML rights are captured but cannot read
-- or write any delta or catalog table.
CREATE EXTENSION incrload;
CREATE ROLE il_owner LOGIN;
CREATE ROLE il_writer LOGIN;
CREATE ROLE il_nobody LOGIN;
CREATE SCHEMA app AUTHORIZATION il_owner;
CREATE TABLE app.facts (id int, g int, v int);
ALTER TABLE app.facts OWNER TO il_owner;
CREATE TABLE public.secret (id int);
GRANT SELECT ON app.facts TO il_nobody;
GRANT INSERT, UPDATE, DELETE ON app.facts TO il_writer;
GRANT SELECT (id) ON app.facts TO il_writer;      -- for its WHERE clauses
GRANT USAGE ON SCHEMA app TO il_writer, il_nobody;
GRANT EXECUTE ON FUNCTION incrload_register_view(text, text, interval, text, interval),
  incrload_refresh(regclass), incrload_unregister_view(regclass, boolean),
  incrload_verify(regclass) TO il_owner, il_nobody;

-- the functions are not for PUBLIC
SET ROLE il_writer;
SELECT incrload_register_view('app.x', 'SELECT id FROM app.facts');
RESET ROLE;

SET ROLE il_owner;
SELECT incrload_register_view('app.by_g', 'SELECT g, count(*) AS n, sum(v) AS s FROM app.facts GROUP BY g');
-- a table the caller may not read
SELECT incrload_register_view('app.leak', 'SELECT id FROM public.secret');
RESET ROLE;
SELECT relname, pg_get_userbyid(relowner) FROM pg_class
 WHERE relname IN ('by_g', 'by_g_storage') ORDER BY 1;

-- a writer is captured without any right on the delta table
SET ROLE il_writer;
INSERT INTO app.facts VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5);
UPDATE app.facts SET v = 11 WHERE id = 1;
DELETE FROM app.facts WHERE id = 3;
SELECT * FROM incrload.facts_delta;
INSERT INTO incrload.facts_delta VALUES ('1', 1, 1, now());
SELECT * FROM incrload.view;
SELECT * FROM incrload.by_g_storage;
RESET ROLE;

-- only the owner refreshes
SET ROLE il_nobody;
SELECT incrload_refresh('app.by_g');
SELECT incrload_unregister_view('app.by_g');
RESET ROLE;
SET ROLE il_owner;
SELECT incrload_refresh('app.by_g');
SELECT * FROM app.by_g ORDER BY g;
SELECT * FROM incrload_verify('app.by_g');
RESET ROLE;

-- everyone may read the stats
SET ROLE il_writer;
SELECT view_name, state, pending_changes FROM incrload_stats;
RESET ROLE;

-- the apply runs as the owner: when the owner loses SELECT on a base
-- table, the refresh fails with the owner's privileges
SET ROLE il_owner;
SELECT incrload_register_view('app.sec', 'SELECT g FROM app.facts GROUP BY g');
RESET ROLE;
ALTER TABLE app.facts OWNER TO postgres;
INSERT INTO app.facts VALUES (9, 9, 9);
SET ROLE il_owner;
SELECT incrload_refresh('app.sec');
RESET ROLE;
ALTER TABLE app.facts OWNER TO il_owner;

SET ROLE il_owner;
SELECT incrload_unregister_view('app.by_g');
SELECT incrload_unregister_view('app.sec');
RESET ROLE;
DROP EXTENSION incrload CASCADE;
DROP SCHEMA app CASCADE;
DROP TABLE public.secret;
DROP ROLE il_owner, il_writer, il_nobody;
