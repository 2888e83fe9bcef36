-- The apply runs as the view's owner and reads every base table itself:
-- inlined plain views, WITH queries and subqueries do not lend their own
-- owner's rights (PostgreSQL 16+ keeps these checks in RTEPermissionInfo
-- nodes, which the rewritten query trees must carry).  Once the owner may
-- no longer read a base table, however the query reaches it, the apply
-- fails and the view stays as it was.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS incrload CASCADE;
RESET client_min_messages;
CREATE EXTENSION incrload;
CREATE ROLE il_priv_owner LOGIN;
CREATE SCHEMA priv AUTHORIZATION il_priv_owner;
CREATE TABLE priv.facts (id int PRIMARY KEY, g int, v int);
CREATE TABLE priv.dims (g int PRIMARY KEY, name text);
CREATE TABLE priv.tags (id int, tag text);
INSERT INTO priv.facts SELECT i, i % 3, i FROM generate_series(1, 30) i;
INSERT INTO priv.dims VALUES (0, 'zero'), (1, 'one'), (2, 'two');
INSERT INTO priv.tags SELECT i, 't' || i FROM generate_series(1, 30, 2) i;
-- a plain view owned by the superuser, readable by the owner
CREATE VIEW priv.named AS SELECT f.id, f.v, d.name FROM priv.facts f JOIN priv.dims d USING (g);
GRANT SELECT ON priv.facts, priv.dims, priv.tags, priv.named TO il_priv_owner;
GRANT EXECUTE ON FUNCTION incrload_register_view(text, text, interval, text, interval),
  incrload_refresh(regclass) TO il_priv_owner;

SET ROLE il_priv_owner;
SELECT incrload_register_view('priv.by_name', 'SELECT name, count(*) AS n, sum(v) AS s FROM priv.named GROUP BY name');
SELECT incrload_register_view('priv.tagged', 'WITH w AS (SELECT id, v FROM priv.facts) SELECT id, v FROM w WHERE EXISTS (SELECT FROM priv.tags t WHERE t.id = w.id)');
RESET ROLE;

-- the table behind the plain view
REVOKE SELECT ON priv.dims FROM il_priv_owner;
INSERT INTO priv.facts VALUES (100, 1, 100);
SET ROLE il_priv_owner;
SELECT incrload_refresh('priv.by_name');
RESET ROLE;
SELECT name, n, s FROM priv.by_name ORDER BY name;
GRANT SELECT ON priv.dims TO il_priv_owner;
SET ROLE il_priv_owner;
SELECT incrload_refresh('priv.by_name');
RESET ROLE;
SELECT name, n, s FROM priv.by_name ORDER BY name;

-- a table read only in a subquery
REVOKE SELECT ON priv.tags FROM il_priv_owner;
INSERT INTO priv.tags VALUES (100, 'new');
SET ROLE il_priv_owner;
SELECT incrload_refresh('priv.tagged');
RESET ROLE;
SELECT count(*) FROM priv.tagged;
-- the background worker's path (a refresh by the superuser) checks the owner's rights too
SELECT incrload_refresh('priv.tagged');
GRANT SELECT ON priv.tags TO il_priv_owner;
SELECT incrload_refresh('priv.tagged');
SELECT count(*) FROM priv.tagged;

-- registering over a table the owner may not read is refused, also through a plain view
REVOKE SELECT ON priv.facts FROM il_priv_owner;
SET ROLE il_priv_owner;
SELECT incrload_register_view('priv.again', 'SELECT id, name FROM priv.named');
RESET ROLE;
SELECT count(*) AS registered FROM incrload.view;

SELECT incrload_unregister_view('priv.by_name');
SELECT incrload_unregister_view('priv.tagged');
SET client_min_messages = warning;
DROP SCHEMA priv CASCADE;
DROP EXTENSION incrload;
DROP ROLE il_priv_owner;
