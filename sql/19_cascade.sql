-- Views over registered views: the inner view's storage table is captured
-- like a base table, so its applies feed the outer view; a row the inner
-- view shows several times counts that often.
CREATE EXTENSION incrload;
\i sql/include/helpers.sql
CREATE TABLE ord (oid int PRIMARY KEY, cid int, amt int);
CREATE TABLE cust (cid int PRIMARY KEY, region text);
INSERT INTO cust SELECT i, 'r' || (i % 3) FROM generate_series(1, 10) i;
INSERT INTO ord SELECT i, i % 12, i % 7 FROM generate_series(1, 60) i;
-- inner views of every kind
SELECT reg('per_cust', 'SELECT cid, count(*) AS n, sum(amt) AS total FROM ord GROUP BY cid');
SELECT reg('amts', 'SELECT cid, amt FROM ord WHERE amt > 2');
SELECT reg('big_cust', 'SELECT cid FROM ord GROUP BY cid HAVING sum(amt) > 15');
SELECT reg('cids', 'SELECT cid FROM ord UNION ALL SELECT cid FROM cust');
SELECT reg('totals', 'SELECT count(*) AS n, sum(amt) AS s FROM ord');
-- outer views over them: aggregates over an aggregate, joins, projections
SELECT reg('by_n', 'SELECT n, count(*) AS customers FROM per_cust GROUP BY n');
SELECT reg('region_total', 'SELECT c.region, sum(p.total) AS total FROM per_cust p JOIN cust c USING (cid) GROUP BY c.region');
SELECT reg('amt_hist', 'SELECT amt, count(*) AS n FROM amts GROUP BY amt');
SELECT reg('float_over_rows', 'SELECT cid, sum(amt::float8) AS f, avg(amt::float4) AS a, sum(amt) AS s FROM amts GROUP BY cid');
SELECT reg('big_regions', 'SELECT c.region, count(*) AS n FROM big_cust b JOIN cust c USING (cid) GROUP BY c.region');
SELECT reg('cid_counts', 'SELECT cid, count(*) AS n FROM cids GROUP BY cid');
SELECT reg('share', 'SELECT p.cid, p.total, t.s FROM per_cust p, totals t');
-- three levels
SELECT reg('top', 'SELECT max(customers) AS most FROM by_n');
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- changes reach the outer views through the inner ones, refreshed in order
INSERT INTO ord VALUES (100, 1, 6), (101, 11, 6), (102, NULL, 1);
DELETE FROM ord WHERE oid % 9 = 0;
UPDATE ord SET cid = 3 WHERE oid % 7 = 0;
INSERT INTO cust VALUES (11, 'r9');
UPDATE cust SET region = 'r1' WHERE cid = 2;
SELECT incrload_refresh(v) >= 0 FROM unnest('{per_cust,amts,big_cust,cids,totals}'::regclass[]) v;
SELECT incrload_refresh(v) >= 0 FROM unnest('{by_n,region_total,amt_hist,float_over_rows,big_regions,cid_counts,share}'::regclass[]) v;
SELECT incrload_refresh('top') >= 0;
SELECT v, diff(v, q) FROM views ORDER BY v::text;
-- an outer view shows what the inner view holds, not the base tables
INSERT INTO ord VALUES (200, 4, 5);
SELECT incrload_refresh('amt_hist');
SELECT diff('amt_hist', 'SELECT amt, count(*) AS n FROM amts GROUP BY amt');
SELECT incrload_refresh('amts'), incrload_refresh('amt_hist');
SELECT diff('amt_hist', 'SELECT amt, count(*) AS n FROM amts GROUP BY amt');
-- a full refresh of an inner view is a change like any other
SELECT incrload_full_refresh('per_cust');
SELECT incrload_refresh('by_n') >= 0, incrload_refresh('top') >= 0;
SELECT diff('by_n', 'SELECT n, count(*) AS customers FROM per_cust GROUP BY n');
TRUNCATE ord;
SELECT count(incrload_refresh(v)) FROM unnest('{per_cust,amts,big_cust,cids,totals,by_n,region_total,amt_hist,float_over_rows,big_regions,cid_counts,share,top}'::regclass[]) v;
SELECT v, diff(v, q) FROM views ORDER BY v::text;

-- the worker applies inner views before the views that read them
SELECT view_name, depth FROM incrload.apply_order ORDER BY depth, view_name::text;

-- an inner view others read cannot go first
SELECT incrload_unregister_view('per_cust');
DROP VIEW per_cust;
SELECT incrload_unregister_view('top');
SELECT incrload_unregister_view('by_n');
SELECT incrload_unregister_view('region_total');
SELECT incrload_unregister_view('share');
SELECT incrload_unregister_view('per_cust');

DROP EXTENSION incrload CASCADE;
DROP TABLE ord, cust;
\i sql/include/helpers_end.sql
