-- More aggregates: bool_and / bool_or / every, count / sum / avg with
-- DISTINCT, string_agg / array_agg with ORDER BY, the stddev and variance
-- families, and numeric sums that keep PostgreSQL's scale, NaN and
-- infinities.  Each view equals its query after every change, also as
-- text (same numeric scale), with GROUP BY and globally, over a join.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
-- exact(view, query): like diff(), comparing whole rows as text, so that
-- 1.0 and 1.00 differ
CREATE FUNCTION exact(v regclass, q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT x::text FROM %s x EXCEPT ALL SELECT y::text FROM (%s) y) '
                 'UNION ALL (SELECT y::text FROM (%s) y EXCEPT ALL SELECT x::text FROM %s x)) d', v, q, q, v) INTO n;
  RETURN n;
END $$;

-- b: numeric of varying scale; c: numeric(10,2); x: float8
CREATE TABLE t (id int, g int, a int, b numeric, c numeric(10,2), f bool, s text, x float8);
CREATE TABLE d (g int PRIMARY KEY, name text);
INSERT INTO t SELECT i, i % 4, nullif(i % 7, 3), round(i / 3.0, i % 4), i * 1.25, nullif(i % 3, 2) = 0,
                     nullif('s' || (i % 5), 's3'), i % 6
  FROM generate_series(1, 40) i;
INSERT INTO t SELECT * FROM t WHERE id <= 6;               -- exact duplicates
INSERT INTO t VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (41, 2, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO d SELECT i, 'n' || (i % 2) FROM generate_series(0, 4) i;

SELECT reg('a_bool', $$SELECT g, bool_and(f) AS band, bool_or(f) AS bor, every(a > 1) AS ev,
                              bool_or(f) FILTER (WHERE a > 3) AS borf, count(*) AS n FROM t GROUP BY g$$);
SELECT reg('a_distinct', $$SELECT g, count(DISTINCT a) AS cda, sum(DISTINCT a) AS sda, avg(DISTINCT a) AS ada,
                                  count(DISTINCT lower(s)) AS cds, count(DISTINCT b) FILTER (WHERE f) AS cdbf,
                                  sum(DISTINCT c) AS sdc, avg(DISTINCT c) AS adc, count(DISTINCT a % 2) AS cdpar,
                                  min(DISTINCT s) AS mins, count(*) AS n
                             FROM t GROUP BY g$$);
SELECT reg('a_ordered', $$SELECT g, string_agg(s, ',' ORDER BY s DESC NULLS FIRST, id) AS ss,
                                 array_agg(a ORDER BY a NULLS FIRST, id) AS aa,
                                 string_agg(DISTINCT s, '|' ORDER BY s) AS sds,
                                 array_agg(c ORDER BY c USING >) FILTER (WHERE f) AS acf
                            FROM t GROUP BY g$$);
SELECT reg('a_stats', $$SELECT g, stddev(a) AS sd_a, stddev_samp(b) AS sds_b, stddev_pop(c) AS sdp_c,
                               variance(a) AS var_a, var_samp(b) AS vs_b, var_pop(c) AS vp_c, var_pop(b) AS vp_b,
                               stddev_pop(a) FILTER (WHERE f) AS sdp_af,
                               round(stddev(x)::numeric, 9) AS sd_x, round(var_pop(x)::numeric, 9) AS vp_x
                          FROM t GROUP BY g$$);
SELECT reg('a_numeric', $$SELECT g, sum(b) AS sb, avg(b) AS ab, sum(c) AS sc, avg(c) AS ac, sum(b * a) AS sba
                            FROM t GROUP BY g$$);
SELECT reg('a_global', $$SELECT count(DISTINCT a) AS cda, sum(DISTINCT b) AS sdb, avg(DISTINCT a) AS ada,
                                bool_and(f) AS band, bool_or(f) AS bor, stddev(b) AS sd_b, var_pop(a) AS vp_a,
                                sum(b) AS sb, avg(b) AS ab, string_agg(s, ',' ORDER BY s, id) AS ss
                           FROM t$$);
SELECT reg('a_join', $$SELECT d.name, count(DISTINCT t.a) AS cda, sum(DISTINCT t.c) AS sdc, bool_and(t.f) AS band,
                              stddev(t.b) AS sd_b, variance(t.a) AS var_a,
                              array_agg(t.id ORDER BY t.id NULLS LAST) AS ids
                         FROM t JOIN d ON d.g = t.g GROUP BY d.name$$);
SELECT reg('a_join_global', $$SELECT count(DISTINCT t.s) AS cds, bool_or(t.a > 5) AS bor, stddev_pop(t.c) AS sdp_c,
                                     sum(t.b) AS sb FROM t JOIN d USING (g) WHERE d.name = 'n0'$$);
SELECT reg('a_having', $$SELECT g FROM t GROUP BY g HAVING count(DISTINCT a) > 3 AND bool_or(f) AND stddev(a) > 1$$);
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
SELECT * FROM a_bool ORDER BY g;
SELECT * FROM a_distinct ORDER BY g;
SELECT * FROM a_ordered ORDER BY g;
SELECT * FROM a_stats ORDER BY g;
SELECT * FROM a_numeric ORDER BY g;

-- each set of distinct values is an auxiliary table of the view
SELECT relname FROM pg_class WHERE relnamespace = 'incrload'::regnamespace AND relname LIKE 'a\_distinct%'
   AND relkind = 'r' ORDER BY relname;
SELECT attname FROM pg_attribute WHERE attrelid = 'incrload.a_distinct_storage_d1'::regclass AND attnum > 0
 ORDER BY attnum;
SELECT __incrload_v, __incrload_count FROM incrload.a_distinct_storage_d1 WHERE g = 1 ORDER BY 1;

-- a round of writes: key updates, NULLs, duplicates, values leaving and
-- entering the distinct sets, scales going up and down, NaN and infinity
UPDATE t SET g = g + 1, s = NULL WHERE id % 5 = 0;
UPDATE t SET a = NULL, f = NOT f WHERE id IN (7, 8, 9);
DELETE FROM t WHERE id IN (4, 11, 12);
INSERT INTO t SELECT * FROM t WHERE id BETWEEN 13 AND 16;
UPDATE t SET b = round(b, 0) WHERE g = 2;
INSERT INTO t VALUES (50, 1, 2, 'NaN', 'NaN', true, 'nan', 1), (51, 3, 3, 'Infinity', 1, false, 'inf', 2),
                     (52, 3, 3, '-Infinity', 1, false, 'inf', 3);
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
SELECT g, sb, ab, sc, ac FROM a_numeric ORDER BY g;
SELECT g, sds_b, vs_b, vp_b, sdp_c FROM a_stats ORDER BY g;

-- NaN and infinities leave again
DELETE FROM t WHERE id >= 50;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;

-- NULL-heavy: a group whose values are all NULL, then one value, then none
INSERT INTO t SELECT 60 + i, 9, NULL, NULL, NULL, NULL, NULL, NULL FROM generate_series(1, 5) i;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT * FROM a_bool WHERE g = 9;
SELECT g, cda, sda, ada, cds, mins, n FROM a_distinct WHERE g = 9;
SELECT * FROM a_stats WHERE g = 9;
UPDATE t SET a = 5, b = 2.50, c = 3, f = true, s = 'z', x = 1 WHERE id = 61;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
SELECT * FROM a_stats WHERE g = 9;
UPDATE t SET a = NULL, b = NULL, c = NULL, f = NULL, s = NULL, x = NULL WHERE id = 61;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;

-- a group empties (its set rows go too) and refills
DELETE FROM t WHERE g = 1;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
SELECT count(*) FROM incrload.a_distinct_storage_d1 WHERE g = 1;
INSERT INTO t VALUES (70, 1, 1, 0.5, 0.5, true, 's1', 0.5), (71, 1, 1, 0.25, 0.5, false, 's1', 0.25);
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
SELECT g, cda, sda, ada, cds, cdbf, sdc, adc, mins, n FROM a_distinct WHERE g = 1;

-- the join's other side changes
UPDATE d SET name = 'n1' WHERE g = 2;
DELETE FROM d WHERE g = 3;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;

-- a rolled-back transaction that refreshed leaves nothing; a committed
-- one is applied once
BEGIN;
DELETE FROM t WHERE g = 2;
SELECT v, incrload_refresh(v) >= 0 AS ok FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
ROLLBACK;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
BEGIN;
UPDATE t SET a = a + 1 WHERE g = 2;
SELECT v, incrload_refresh(v) >= 0 AS ok FROM views ORDER BY v::text;
COMMIT;
SELECT v, incrload_refresh(v) AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;

-- TRUNCATE: recomputed, the sets emptied
TRUNCATE t;
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
SELECT * FROM a_global;
SELECT count(*) FROM incrload.a_distinct_storage_d1;
INSERT INTO t VALUES (1, 1, 1, 1.5, 1, true, 'a', 1), (2, 1, 3, 2, 2, false, 'b', 2), (3, 2, NULL, 7, 3, NULL, NULL, 3);
SELECT v, incrload_refresh(v) > 0 AS applied FROM views ORDER BY v::text;
SELECT v, diff(v, q), exact(v, q) FROM views ORDER BY v::text;
SELECT * FROM a_global;
SELECT v, (incrload_verify(v)).* FROM views ORDER BY v::text;

-- a set's counts stay positive: values that left are gone from it
SELECT count(*) FROM incrload.a_distinct_storage_d1 WHERE __incrload_count <= 0;
-- a set changed behind incrload's back (by a superuser around its guard):
-- the count that would go below zero makes the apply recompute the view
-- (and the set)
SET session_replication_role = replica;
DELETE FROM incrload.a_distinct_storage_d1 WHERE g = 1;
RESET session_replication_role;
DELETE FROM t WHERE id = 2;
SELECT incrload_refresh('a_distinct') > 0 AS applied;
SELECT exact('a_distinct', q) FROM views WHERE v = 'a_distinct'::regclass;
SELECT __incrload_v, __incrload_count FROM incrload.a_distinct_storage_d1 ORDER BY 1;

-- stddev is the square root rounded once, to the variance's scale: where
-- sqrt() rounded again would be one unit off, the view is not
CREATE TABLE sd (g int, x int8);
INSERT INTO sd VALUES (1, 14801276), (1, 16552482), (1, 17274155), (2, 10634118), (2, 12757505), (2, 12864656),
                      (3, 15337840), (3, 16151612), (3, 17370478), (4, 2889194), (4, 4322669), (4, 4990599);
SELECT reg('a_sd', 'SELECT g, stddev_pop(x) AS sdp, var_pop(x) AS vp, stddev_samp(x) AS sds, var_samp(x) AS vs FROM sd GROUP BY g');
SELECT g, sdp, round(sqrt(vp), scale(vp)) AS sqrt_pop, sds, round(sqrt(vs), scale(vs)) AS sqrt_samp FROM a_sd ORDER BY g;
SELECT exact('a_sd', q) FROM views WHERE v = 'a_sd'::regclass;
UPDATE sd SET g = g + 1;
SELECT incrload_refresh('a_sd') > 0 AS applied;
SELECT exact('a_sd', q) FROM views WHERE v = 'a_sd'::regclass;

-- any other aggregate whose functions are immutable, built-in or
-- user-defined, with several arguments or DISTINCT, and string_agg /
-- array_agg without ORDER BY: a changed group is recomputed.  Without an
-- order the elements come as the recompute reads them; verify compares
-- such a column's elements sorted.
CREATE AGGREGATE my_sum (int) (sfunc = int4pl, stype = int);
CREATE FUNCTION my_cat_sf(text, text) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$SELECT coalesce($1 || '|', '') || coalesce($2, '?')$$;
CREATE FUNCTION my_cat_ff(text) RETURNS text IMMUTABLE LANGUAGE sql AS $$SELECT '<' || $1 || '>'$$;
CREATE AGGREGATE my_cat (text) (sfunc = my_cat_sf, stype = text, finalfunc = my_cat_ff);
SELECT incrload_register_view('r_other', $$SELECT g, bit_and(a) AS ba, corr(a, x) AS co, stddev(DISTINCT a) AS sd,
  var_pop(DISTINCT b) AS vp, count(DISTINCT (a, s)) AS nd, my_sum(a) AS ms, my_cat(s ORDER BY s NULLS FIRST) AS mc,
  my_sum(a) FILTER (WHERE f) AS msf FROM t GROUP BY g$$);
SELECT incrload_register_view('r_unordered', $$SELECT g, string_agg(s, ',') AS ss, array_agg(a) AS aa,
  array_agg(DISTINCT a) AS ad FROM t GROUP BY g$$);
SELECT incrload_register_view('r_all', $$SELECT array_agg(c) AS cs, my_sum(a) AS ms FROM t$$);
SELECT aggregates FROM incrload_explain($$SELECT g, my_sum(a), string_agg(s, ',') FROM t GROUP BY g$$);
SELECT g, ba, sd, nd, ms, mc, msf FROM r_other ORDER BY g NULLS FIRST;
UPDATE t SET a = a + 1, s = s || 'x' WHERE id % 5 = 0;
DELETE FROM t WHERE id IN (7, 8);
INSERT INTO t VALUES (90, 1, 4, 1, 1, true, 'new', 9), (91, 7, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT incrload_refresh(v) > 0 AS applied FROM unnest(ARRAY['r_other', 'r_unordered', 'r_all']) v;
SELECT v, (incrload_verify(v)).* FROM unnest(ARRAY['r_other', 'r_unordered', 'r_all']) v;
SELECT g, ba, sd, nd, ms, mc, msf FROM r_other ORDER BY g NULLS FIRST;
SELECT incrload_unregister_view(v) FROM unnest(ARRAY['r_other', 'r_unordered', 'r_all']) v;

-- refused, naming the aggregate: direct arguments that read the group, a
-- stable aggregate, a transition function that is not immutable
SELECT incrload_register_view('r', 'SELECT g, percentile_disc(g / 100.0) WITHIN GROUP (ORDER BY a) FROM t GROUP BY g');
SELECT incrload_register_view('r', 'SELECT g, json_agg(ROW(a, s) ORDER BY a) FROM t GROUP BY g');
CREATE FUNCTION my_vol_sf(int, int) RETURNS int VOLATILE LANGUAGE sql AS $$SELECT coalesce($1, 0) + $2$$;
CREATE AGGREGATE my_vol (int) (sfunc = my_vol_sf, stype = int);
SELECT incrload_register_view('r', 'SELECT g, my_vol(a) FROM t GROUP BY g');
-- mode => 'full' keeps them
SELECT incrload_register_view('r', 'SELECT g, string_agg(s, '','') AS ss, my_sum(a) AS ms FROM t GROUP BY g', mode => 'full');
SELECT incrload_unregister_view('r');

-- all of it incrementally: recomputed only when registered and after the TRUNCATE
SELECT view_name, full_refreshes FROM incrload_stats ORDER BY view_name::text;

-- unregistering drops the auxiliary tables too
SELECT incrload_unregister_view(v) FROM views ORDER BY v::text;
SELECT * FROM leftovers();

DROP EXTENSION incrload CASCADE;
DROP TABLE t, d, sd;
DROP AGGREGATE my_sum (int);
DROP AGGREGATE my_cat (text);
DROP AGGREGATE my_vol (int);
DROP FUNCTION my_cat_sf(text, text), my_cat_ff(text), my_vol_sf(int, int);
DROP FUNCTION exact(regclass, text);
\i sql/include/helpers_end.sql
