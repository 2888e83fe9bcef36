-- The results table, as markdown.  Variables: quick, pgb_seconds,
-- fresh_seconds, largest, catchup.
\pset tuples_only on
\pset format unaligned
\set QUIET on
CREATE TEMP TABLE rpt (ord numeric, fig text, figure text, measured float8,
					   unit text, target text, ok boolean, detail text);

CREATE FUNCTION pg_temp.fmt(x float8) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN x IS NULL THEN 'n/a' WHEN abs(x) >= 100 THEN round(x::numeric, 0)::text
			   WHEN abs(x) >= 10 THEN round(x::numeric, 1)::text
			   ELSE round(x::numeric, 2)::text END $$;
CREATE FUNCTION pg_temp.vlabel(v text) RETURNS text LANGUAGE sql AS
$$ SELECT CASE v WHEN 'agg' THEN 'aggregate' WHEN 'join' THEN 'join+aggregate'
			   ELSE 'outer-join+aggregate' END $$;
CREATE FUNCTION pg_temp.vord(v text) RETURNS numeric LANGUAGE sql AS
$$ SELECT CASE v WHEN 'agg' THEN 0 WHEN 'join' THEN 1 ELSE 2 END / 1e11 $$;
CREATE FUNCTION pg_temp.nfmt(n bigint) RETURNS text LANGUAGE sql AS
$$ SELECT to_char(n, 'FM999,999,999,999') $$;

-- 1. apply vs full refresh
INSERT INTO rpt
SELECT 1 + n / 1e9 + pg_temp.vord(v), '1', format('apply vs full refresh, %s view, N = %s',
		pg_temp.vlabel(v), pg_temp.nfmt(n)),
	   mv / ap, '×',
	   CASE WHEN v = 'outer' THEN '(info)' WHEN n = 1000000 THEN '≥ 15×' WHEN n = 10000000 THEN '≥ 100×' ELSE '(info)' END,
	   CASE WHEN v = 'outer' THEN NULL WHEN n = 1000000 THEN mv / ap >= 15 WHEN n = 10000000 THEN mv / ap >= 100 END,
	   format('REFRESH %s ms / incrload_refresh %s ms', pg_temp.fmt(mv), pg_temp.fmt(ap))
  FROM (SELECT n, v, bench.med('apply', 'mv_' || v, n, 1000) AS mv,
			   bench.med('apply', 'apply_' || v, n, 1000) AS ap
		  FROM (SELECT DISTINCT n FROM bench.results WHERE fig = 'apply') ns,
			   unnest(ARRAY['agg', 'join', 'outer']) v) s;

-- 2. apply vs the write
INSERT INTO rpt
SELECT 2 + n / 1e9 + pg_temp.vord(v), '2', format('apply / the write, %s view, N = %s',
		pg_temp.vlabel(v), pg_temp.nfmt(n)),
	   ap / w, '×', CASE WHEN n >= 1000000 AND v <> 'outer' THEN '≤ 1.0' ELSE '(info)' END,
	   CASE WHEN n >= 1000000 AND v <> 'outer' THEN ap / w <= 1.0 END,
	   format('incrload_refresh %s ms / UPDATE of %s rows %s ms', pg_temp.fmt(ap), 1000, pg_temp.fmt(w))
  FROM (SELECT n, v, bench.med('apply', 'apply_' || v, n, 1000) AS ap,
			   bench.med('apply', 'write_cap', n, 1000) AS w
		  FROM (SELECT DISTINCT n FROM bench.results WHERE fig = 'apply') ns,
			   unnest(ARRAY['agg', 'join', 'outer']) v) s;

-- 3. scaling with N, and with K
INSERT INTO rpt
SELECT 3.1 + pg_temp.vord(v), '3', format('apply at N = 1,000,000 / at N = 100,000, %s view',
		pg_temp.vlabel(v)),
	   a1m / a100k, '×', '≤ 1.3', a1m / a100k <= 1.3,
	   format('%s ms / %s ms', pg_temp.fmt(a1m), pg_temp.fmt(a100k))
  FROM (SELECT v, bench.med('apply', 'apply_' || v, 1000000, 1000) AS a1m,
			   bench.med('apply', 'apply_' || v, 100000, 1000) AS a100k
		  FROM unnest(ARRAY['agg', 'join', 'outer']) v) s;
INSERT INTO rpt
SELECT 3.2 + kk / 1e6 + pg_temp.vord(v), '3', format('apply, K = %s / K = %s (N = 1,000,000), %s view',
		pg_temp.nfmt(kk), pg_temp.nfmt(kk / 10),
		pg_temp.vlabel(v)),
	   hi / lo, '×', '≤ 10 (linear)', hi / lo <= 10,
	   format('%s ms / %s ms', pg_temp.fmt(hi), pg_temp.fmt(lo))
  FROM (SELECT v, kk, bench.med('apply', 'apply_' || v, 1000000, kk) AS hi,
			   bench.med('apply', 'apply_' || v, 1000000, kk / 10) AS lo
		  FROM unnest(ARRAY['agg', 'join', 'outer']) v, unnest(ARRAY[1000, 10000]) kk) s;

-- 4. writer overhead
INSERT INTO rpt
SELECT 4.1, '4', 'UPDATE of K = 1,000 rows, captured / uncaptured table (N = 1,000,000)',
	   c / u, '×', '≤ 1.15', c / u <= 1.15,
	   format('%s ms / %s ms', pg_temp.fmt(c), pg_temp.fmt(u))
  FROM (SELECT bench.med('apply', 'write_w', 1000000, 1000) AS c,
			   bench.med('apply', 'write_nocap', 1000000, 1000) AS u) s;
INSERT INTO rpt
SELECT 4.2, '4', format('pgbench TPC-B TPS with 3 views + worker / without (scale 10, 4 clients, %s s)', :pgb_seconds),
	   w / b, '×', '≥ 0.85', w / b >= 0.85,
	   format('%s / %s tps (mean of %s runs each)', pg_temp.fmt(w), pg_temp.fmt(b), cnt)
  FROM (SELECT avg(value) FILTER (WHERE what = 'tps_views') AS w,
			   avg(value) FILTER (WHERE what = 'tps_base') AS b,
			   count(*) FILTER (WHERE what = 'tps_base') AS cnt
		  FROM bench.metrics) s;

-- 5. bulk writes
INSERT INTO rpt
SELECT 5 + (st = 'update')::int / 10.0, '5',
	   format('%s of 1,000,000 rows, captured / uncaptured', CASE st WHEN 'insert' THEN 'INSERT ... SELECT' ELSE 'UPDATE' END),
	   c / u, '×', '≤ 1.6', c / u <= 1.6,
	   format('%s ms / %s ms', pg_temp.fmt(c), pg_temp.fmt(u))
  FROM (SELECT st, bench.med('bulk', st || '_cap') AS c, bench.med('bulk', st || '_nocap') AS u
		  FROM unnest(ARRAY['insert', 'update']) st) s;

-- 6. registration
INSERT INTO rpt
SELECT 6 + pg_temp.vord(v) * 1e10, '6', format('incrload_register_view / CREATE MATERIALIZED VIEW, %s view, N = %s',
		pg_temp.vlabel(v), pg_temp.nfmt(:largest)),
	   r / m, '×', CASE WHEN v = 'outer' THEN '(info)' ELSE '≤ 1.3' END,
	   CASE WHEN v <> 'outer' THEN r / m <= 1.3 END,
	   format('%s ms / %s ms', pg_temp.fmt(r), pg_temp.fmt(m))
  FROM (SELECT v, bench.med('register', 'register_' || v, :largest) AS r,
			   bench.med('register', 'create_mv_' || v, :largest) AS m
		  FROM unnest(ARRAY['agg', 'join', 'outer']) v) s;

-- 7. freshness under load
INSERT INTO rpt
SELECT 7.1, '7', format('freshness_lag p95 / refresh_interval (1 s), pgbench %s s', :fresh_seconds),
	   p95, '×', '≤ 2', p95 <= 2,
	   format('p95 %s s, worst %s s, %s samples; per view p95: %s; after the writes stopped: %s',
			  pg_temp.fmt(p95), pg_temp.fmt(worst), cnt, per_view,
			  coalesce((SELECT 'caught up in ' || pg_temp.fmt(value) || ' s' FROM bench.metrics WHERE what = 'catchup_s' AND note = 'freshness'),
					   (SELECT 'NOT caught up in ' || :catchup || ' s, ' || value::bigint || ' changes pending' FROM bench.metrics WHERE what = 'catchup_pending' AND note = 'freshness'),
					   'n/a'))
  FROM (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_s) AS p95, max(lag_s) AS worst,
			   count(*) AS cnt FROM bench.lag_samples) a,
	   (SELECT string_agg(view_name || ' ' || pg_temp.fmt(p) || ' s (worst ' || pg_temp.fmt(w) || ')', ', ' ORDER BY view_name) AS per_view
		  FROM (SELECT view_name, percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_s) AS p, max(lag_s) AS w
				  FROM bench.lag_samples GROUP BY view_name) x) b;
INSERT INTO rpt
SELECT 7.2, '7', 'delta tables: size at the end / at half-time of the freshness run',
	   e::float8 / nullif(h, 0), '×', '≤ 1.5 (bounded)', e::float8 / nullif(h, 0) <= 1.5,
	   format('%s kB at half-time, %s kB at the end, max %s kB; rows at the end %s, after one GC round %s',
			  h / 1024, e / 1024, mx / 1024,
			  (SELECT sum(value)::bigint FROM bench.metrics WHERE what = 'delta_end_rows'),
			  (SELECT sum(value)::bigint FROM bench.metrics WHERE what = 'delta_after_gc_rows'))
  FROM (SELECT (SELECT delta_bytes FROM bench.lag_samples ORDER BY abs(extract(epoch FROM at - (SELECT min(at) + (max(at) - min(at)) / 2 FROM bench.lag_samples))) LIMIT 1) AS h,
			   (SELECT delta_bytes FROM bench.lag_samples ORDER BY at DESC LIMIT 1) AS e,
			   (SELECT max(delta_bytes) FROM bench.lag_samples) AS mx) s;

-- 8. memory: bounded means flat once the batch outgrows work_mem; each hash
-- node of the apply may use hash_mem (work_mem × hash_mem_multiplier)
INSERT INTO rpt
SELECT 8 + (v = 'join_mem')::int / 10.0, '8',
	   format('peak private memory (RssAnon) of one apply, 2,000,000-row batch / 1,000,000-row batch, %s view',
			  CASE v WHEN 'agg_mem' THEN 'aggregate' ELSE 'join+aggregate' END),
	   anon2m / anon1m, '×', '≤ 1.25 (flat in the batch)',
	   anon2m <= 1.25 * anon1m,
	   format('RssAnon %s MB (2M), %s MB (1M), %s MB (100k); VmHWM at 1M %s MB (includes shared buffers touched); apply of 1M %s ms',
			  pg_temp.fmt(anon2m / 1024.0), pg_temp.fmt(anon1m / 1024.0), pg_temp.fmt(anon100k / 1024.0),
			  pg_temp.fmt(hwm1m / 1024.0),
			  pg_temp.fmt((SELECT ms FROM bench.results WHERE fig = 'memory' AND what = v AND k = 1000000)))
  FROM (SELECT v,
			   (SELECT value FROM bench.metrics WHERE what = 'mem_peak_anon_kb' AND note = v || ' 2000000') AS anon2m,
			   (SELECT value FROM bench.metrics WHERE what = 'mem_peak_anon_kb' AND note = v || ' 1000000') AS anon1m,
			   (SELECT value FROM bench.metrics WHERE what = 'mem_peak_anon_kb' AND note = v || ' 100000') AS anon100k,
			   (SELECT value FROM bench.metrics WHERE what = 'mem_hwm_kb' AND note = v || ' 1000000') AS hwm1m
		  FROM unnest(ARRAY['agg_mem', 'join_mem']) v) s;

SELECT '| # | figure | measured | target | met | detail |';
SELECT '|---|---|---:|---|---|---|';
SELECT format('| %s | %s | %s%s | %s | %s | %s |', fig, figure,
			  pg_temp.fmt(measured), CASE unit WHEN '×' THEN '×' ELSE ' ' || unit END, target,
			  CASE ok WHEN true THEN 'yes' WHEN false THEN '**no**' ELSE '' END, detail)
  FROM rpt WHERE measured IS NOT NULL ORDER BY ord;
