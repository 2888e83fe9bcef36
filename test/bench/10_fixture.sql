-- A fact table fact_<tag> of :n rows (and, with :nocap, the identical
-- uncaptured fact_<tag>_nocap), then its views: incrload views agg_<tag> and
-- join_<tag> and materialized views mv_agg_<tag>, mv_join_<tag>, created
-- :reg_reps times each with timing (figure 6).
-- Variables: tag, n, nocap (true|false), reg_reps.
\set QUIET on
SELECT 'fact_' || :'tag' AS fact, 'fact_' || :'tag' || '_nocap' AS fact_nocap \gset
CALL bench.make_fact(:'fact', :n);
VACUUM (FREEZE, ANALYZE) :"fact";
\if :nocap
CALL bench.make_fact(:'fact_nocap', :n);
VACUUM (FREEZE, ANALYZE) :"fact_nocap";
\endif
-- read once, so that the first timed statement finds it in memory too
SELECT count(*) FROM :"fact" \g /dev/null
CALL bench.register(:'tag', :reg_reps);
