-- Partitioned base tables: writes to any partition, at any level, are
-- captured once; partitions attached, created, detached or dropped later
-- keep every view exact.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql

CREATE TABLE m (id int, region text, amount int, day int) PARTITION BY RANGE (day);
CREATE TABLE m_1 PARTITION OF m FOR VALUES FROM (0) TO (10);
-- a sub-partitioned partition, with columns in another order
CREATE TABLE m_2 (amount int, region text, day int, id int) PARTITION BY LIST (region);
ALTER TABLE m ATTACH PARTITION m_2 FOR VALUES FROM (10) TO (20);
CREATE TABLE m_2_n PARTITION OF m_2 FOR VALUES IN ('n');
CREATE TABLE m_2_other PARTITION OF m_2 DEFAULT;
CREATE TABLE m_def PARTITION OF m DEFAULT;
INSERT INTO m SELECT i, CASE WHEN i % 2 = 0 THEN 'n' ELSE 's' END, i, i % 30 FROM generate_series(1, 60) i;
CREATE TABLE region (region text PRIMARY KEY, name text);
INSERT INTO region VALUES ('n', 'North'), ('s', 'South');

SELECT incrload_register_view('by_region',
  'SELECT region, count(*) AS n, sum(amount) AS total, max(day) AS last_day FROM m GROUP BY region');
SELECT incrload_register_view('named',
  'SELECT r.name, m.day, m.amount FROM m JOIN region r USING (region) WHERE m.amount > 50');
SELECT relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE tgname = 'incrload_capture_ins' ORDER BY relname;
SELECT partition, root FROM incrload.partition ORDER BY partition::text;

-- writes through the root, through a partition, through a sub-partition
INSERT INTO m VALUES (100, 'n', 1, 5), (101, 's', 2, 15), (102, 'n', 3, 25);
SELECT incrload_refresh('by_region');
INSERT INTO m_1 VALUES (103, 'n', 4, 6);
INSERT INTO m_2 VALUES (5, 'n', 16, 104);
INSERT INTO m_2_n VALUES (6, 'n', 17, 105);
COPY m_def (id, region, amount, day) FROM STDIN;
106	s	70	40
107	n	71	41
\.
-- each row is captured once
SELECT incrload_refresh('by_region');
SELECT diff('by_region', 'SELECT region, count(*) AS n, sum(amount) AS total, max(day) AS last_day FROM m GROUP BY region');

-- an UPDATE through the root that moves rows between partitions and
-- sub-partitions; updates and deletes through partitions
UPDATE m SET day = day + 10, region = CASE WHEN region = 'n' THEN 's' ELSE 'n' END WHERE id % 7 = 0;
UPDATE m_2_other SET amount = amount + 100;
DELETE FROM m_1 WHERE id % 3 = 0;
DELETE FROM m_2 WHERE id % 5 = 0;
MERGE INTO m USING (VALUES (1, 'n'), (2, 'x'), (999, 's')) v(id, region) ON m.id = v.id
  WHEN MATCHED AND v.region = 'x' THEN DELETE
  WHEN MATCHED THEN UPDATE SET amount = amount + 1000
  WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.region, 1, 3);
SELECT incrload_refresh('by_region') > 0, incrload_refresh('named') > 0;
SELECT diff('by_region', 'SELECT region, count(*) AS n, sum(amount) AS total, max(day) AS last_day FROM m GROUP BY region');
SELECT diff('named', 'SELECT r.name, m.day, m.amount FROM m JOIN region r USING (region) WHERE m.amount > 50');

-- TRUNCATE of one partition
TRUNCATE m_2_n;
SELECT incrload_refresh('by_region') > 0;
SELECT diff('by_region', 'SELECT region, count(*) AS n, sum(amount) AS total, max(day) AS last_day FROM m GROUP BY region');

-- a partition attached with rows: the views see them at the next refresh
CREATE TABLE m_3 (LIKE m);
INSERT INTO m_3 SELECT i, 'n', 500 + i, 20 + i % 5 FROM generate_series(200, 209) i;
ALTER TABLE m DETACH PARTITION m_def;
ALTER TABLE m ATTACH PARTITION m_3 FOR VALUES FROM (20) TO (30);
SELECT incrload_refresh('by_region') > 0, incrload_refresh('named') > 0;
SELECT diff('by_region', 'SELECT region, count(*) AS n, sum(amount) AS total, max(day) AS last_day FROM m GROUP BY region');
SELECT diff('named', 'SELECT r.name, m.day, m.amount FROM m JOIN region r USING (region) WHERE m.amount > 50');
-- and is captured from then on; the detached one is not
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'm_3'::regclass AND tgname LIKE 'incrload%';
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'm_def'::regclass AND tgname LIKE 'incrload%';
INSERT INTO m_3 VALUES (210, 's', 1, 21);
INSERT INTO m_def VALUES (211, 's', 1, 99);
-- a new partition is captured at once
CREATE TABLE m_4 PARTITION OF m FOR VALUES FROM (30) TO (40);
INSERT INTO m_4 VALUES (212, 'n', 60, 33);
SELECT incrload_refresh('by_region');
SELECT diff('by_region', 'SELECT region, count(*) AS n, sum(amount) AS total, max(day) AS last_day FROM m GROUP BY region');

-- a partition dropped: its rows leave the views
DROP TABLE m_3;
SELECT incrload_refresh('by_region') > 0, incrload_refresh('named') > 0;
SELECT diff('by_region', 'SELECT region, count(*) AS n, sum(amount) AS total, max(day) AS last_day FROM m GROUP BY region');
SELECT diff('named', 'SELECT r.name, m.day, m.amount FROM m JOIN region r USING (region) WHERE m.amount > 50');
SELECT partition FROM incrload.partition ORDER BY partition::text;

-- refused: a partition that capture could not see, or that another view
-- reads on its own
CREATE UNLOGGED TABLE m_5 (LIKE m);
ALTER TABLE m ATTACH PARTITION m_5 FOR VALUES FROM (40) TO (50);
ALTER TABLE m_4 SET UNLOGGED;
DELETE FROM m_def WHERE day < 40;
SELECT incrload_register_view('def_view', 'SELECT id FROM m_def');
ALTER TABLE m ATTACH PARTITION m_def DEFAULT;
SELECT incrload_unregister_view('def_view');
ALTER TABLE m ATTACH PARTITION m_def DEFAULT;
SELECT incrload_refresh('by_region') > 0;
SELECT diff('by_region', 'SELECT region, count(*) AS n, sum(amount) AS total, max(day) AS last_day FROM m GROUP BY region');

-- unregistering removes capture from every partition
SELECT incrload_unregister_view('by_region');
SELECT incrload_unregister_view('named');
SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'incrload%';
SELECT count(*) FROM incrload.partition;

DROP EXTENSION incrload CASCADE;
DROP TABLE m, m_5, region;
\i sql/include/helpers_end.sql
