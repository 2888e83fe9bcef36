-- The TPC-H results as markdown: one row per query, the median ratio and
-- the targets of issue 17.  Variables: rounds (measured rounds 1..rounds),
-- timeout_ms (the per-apply statement_timeout).
\pset tuples_only on
\pset format unaligned
\set QUIET on
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.fmt(x float8) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN x IS NULL THEN '' WHEN abs(x) >= 1000 THEN to_char(round(x), 'FM999,999,999')
			   WHEN abs(x) >= 100 THEN round(x::numeric, 0)::text
			   WHEN abs(x) >= 10 THEN round(x::numeric, 1)::text
			   ELSE round(x::numeric, 2)::text END $$;
-- a ratio as the targets list it
CREATE FUNCTION pg_temp.rtxt(ratio float8, bound boolean, bad text) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN ratio IS NOT NULL THEN CASE WHEN bound THEN '< ' ELSE '' END || pg_temp.fmt(ratio) || '×'
			   WHEN bad = 'timeout' THEN 'timed out' WHEN bad IS NOT NULL THEN 'failed' ELSE 'not measured' END $$;
CREATE FUNCTION pg_temp.n(x float8) RETURNS text LANGUAGE sql AS
$$ SELECT coalesce(to_char(round(x), 'FM999,999,999,999'), '') $$;

-- per query and side: median of the measured rounds, and the first round
-- (warm-ups included) that timed out or failed
CREATE TEMP TABLE r AS
SELECT q.name, q.status, q.error,
	   a.med AS apply_ms, a.consumed, a.bad_round AS apply_bad_round, a.bad AS apply_bad,
	   m.med AS refresh_ms, m.bad_round AS refresh_bad_round, m.bad AS refresh_bad,
	   c.view_rows, c.filled_rows, c.status AS check_status, c.missing, c.extra, c.diff, c.error AS check_error
  FROM bench.queries q
  LEFT JOIN LATERAL (
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE status = 'ok' AND round BETWEEN 1 AND :rounds) AS med,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY consumed) FILTER (WHERE status = 'ok' AND round BETWEEN 1 AND :rounds) AS consumed,
			   min(round) FILTER (WHERE status IN ('timeout', 'error', 'running')) AS bad_round,
			   (array_agg(status ORDER BY round) FILTER (WHERE status IN ('timeout', 'error', 'running')))[1] AS bad
		  FROM bench.timings t WHERE t.query = q.name AND t.side = 'apply') a ON true
  LEFT JOIN LATERAL (
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE status = 'ok' AND round BETWEEN 1 AND :rounds) AS med,
			   min(round) FILTER (WHERE status IN ('timeout', 'error', 'running')) AS bad_round,
			   (array_agg(status ORDER BY round) FILTER (WHERE status IN ('timeout', 'error', 'running')))[1] AS bad
		  FROM bench.timings t WHERE t.query = q.name AND t.side = 'refresh') m ON true
  LEFT JOIN bench.checks c ON c.query = q.name
 WHERE q.selected;

/*
 * The ratio REFRESH / apply of each accepted query; an apply that timed
 * out counts with its bound (REFRESH / timeout: the real ratio is lower),
 * one that failed with none.
 */
ALTER TABLE r ADD ratio float8, ADD bound boolean NOT NULL DEFAULT false;
UPDATE r SET ratio = refresh_ms / apply_ms WHERE status = 'accepted' AND apply_bad IS NULL;
UPDATE r SET ratio = refresh_ms / :timeout_ms, bound = true
 WHERE status = 'accepted' AND apply_bad = 'timeout';

\echo '| query | incrload | apply ms | REFRESH ms | REFRESH / apply | delta rows / round | rows | exact |'
\echo '|---|---|---:|---:|---:|---:|---:|---|'
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s |', name,
			  coalesce(status, 'not registered'),
			  CASE WHEN apply_bad IS NOT NULL
				   THEN format('**%s** (round %s)', CASE apply_bad WHEN 'timeout' THEN '> ' || pg_temp.fmt(:timeout_ms) ELSE apply_bad END, apply_bad_round)
				   ELSE pg_temp.fmt(apply_ms) END,
			  CASE WHEN refresh_bad IS NOT NULL
				   THEN format('**%s** (round %s)', CASE refresh_bad WHEN 'timeout' THEN '> ' || pg_temp.fmt(:timeout_ms) ELSE refresh_bad END, refresh_bad_round)
				   ELSE pg_temp.fmt(refresh_ms) END,
			  CASE WHEN ratio IS NULL THEN ''
				   WHEN ratio < 1 / 1.2 OR name IN ('q02', 'q05', 'q07', 'q08', 'q09', 'q18', 'q21') AND ratio < 10
				   THEN '**' || CASE WHEN bound THEN '< ' ELSE '' END || pg_temp.fmt(ratio) || '×**'
				   ELSE CASE WHEN bound THEN '< ' ELSE '' END || pg_temp.fmt(ratio) || '×' END,
			  pg_temp.n(consumed),
			  pg_temp.n(view_rows),
			  CASE check_status WHEN 'exact' THEN 'yes'
				   WHEN 'differs' THEN format('**NO** (missing %s, extra %s, EXCEPT ALL %s)', missing, extra, diff)
				   WHEN 'not verified' THEN '**not verified**: ' || check_error
				   WHEN 'refused' THEN ''
				   ELSE '**not checked**' END)
  FROM r ORDER BY name;

\echo
SELECT format('Refused (%s): ', count(*)) || string_agg(format('%s: %s', name, error), '; ' ORDER BY name)
  FROM r WHERE status = 'refused' HAVING count(*) > 0;
SELECT 'Failed: ' || string_agg(format('%s %s in round %s: %s', query, side, round, error), '; ' ORDER BY query, side)
  FROM (SELECT DISTINCT ON (query, side) query, side, round, error FROM bench.timings
		 WHERE status IN ('timeout', 'error') ORDER BY query, side, round) f
HAVING count(*) > 0;
SELECT 'Queries without a row (or with only NULLs) at the end: ' || string_agg(name, ', ' ORDER BY name)
  FROM r WHERE filled_rows = 0 HAVING count(*) > 0;
SELECT format('Accepted %s of %s; exact %s of %s.', count(*) FILTER (WHERE status = 'accepted'), count(*),
			  count(*) FILTER (WHERE check_status = 'exact'), count(*) FILTER (WHERE status = 'accepted'))
  FROM r;
SELECT format('Writes per round (median ms): RF1 %s (%s rows), RF2 %s (%s rows), 20 single-row UPDATEs %s.',
			  pg_temp.fmt(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE side = 'rf1')),
			  pg_temp.n(percentile_cont(0.5) WITHIN GROUP (ORDER BY consumed) FILTER (WHERE side = 'rf1')),
			  pg_temp.fmt(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE side = 'rf2')),
			  pg_temp.n(percentile_cont(0.5) WITHIN GROUP (ORDER BY consumed) FILTER (WHERE side = 'rf2')),
			  pg_temp.fmt(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE side = 'updates')))
  FROM bench.timings WHERE query = '-' AND round BETWEEN 1 AND :rounds;
SELECT format('Registration: incrload_register_view %s ms in all, CREATE MATERIALIZED VIEW %s ms in all (accepted queries).',
			  pg_temp.n(sum(register_ms)), pg_temp.n(sum(create_mv_ms)))
  FROM bench.queries WHERE selected AND status = 'accepted';

\echo
\echo '| target (issue 17, for scale factor 1) | measured | met |'
\echo '|---|---|---|'
SELECT format('| no accepted query''s apply over 1.2× its REFRESH | %s | %s |',
			  coalesce(string_agg(name || ' ' || pg_temp.rtxt(ratio, bound, apply_bad), ', ' ORDER BY ratio)
						   FILTER (WHERE ratio IS NULL OR ratio < 1 / 1.2), 'none')
				|| format(' (%s of %s over)', count(*) FILTER (WHERE ratio IS NULL OR ratio < 1 / 1.2), count(*)),
			  CASE WHEN count(*) FILTER (WHERE ratio IS NULL OR ratio < 1 / 1.2) = 0 THEN 'yes' ELSE '**no**' END)
  FROM r WHERE status = 'accepted';
SELECT format('| median REFRESH / apply ≥ 20× | %s over %s accepted queries%s | %s |',
			  coalesce(nullif(pg_temp.fmt(percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio)), '') || '×', 'n/a'), count(ratio),
			  CASE WHEN bool_or(bound AND ratio IS NOT NULL) THEN ' (timeouts at their bound)' ELSE '' END,
			  CASE WHEN percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) >= 20 THEN 'yes' ELSE '**no**' END)
  FROM r WHERE status = 'accepted';
SELECT format('| q02, q05, q07, q08, q09, q21, q18 each ≥ 10× | %s | %s |',
			  string_agg(format('%s %s', t.name,
								CASE WHEN r.name IS NULL THEN 'not run' WHEN r.status <> 'accepted' THEN r.status
									 ELSE pg_temp.rtxt(r.ratio, r.bound, r.apply_bad) END), ', ' ORDER BY t.o),
			  CASE WHEN bool_and(coalesce(r.ratio >= 10 AND NOT r.bound, false)) THEN 'yes' ELSE '**no**' END)
  FROM unnest(ARRAY['q02', 'q05', 'q07', 'q08', 'q09', 'q21', 'q18']) WITH ORDINALITY t(name, o)
  LEFT JOIN r ON r.name = t.name;
