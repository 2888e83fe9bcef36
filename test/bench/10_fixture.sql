-- A fact table fact_<tag> of :n rows (and, with :nocap, the identical
-- fact_<tag>_w, captured, and fact_<tag>_nocap, not captured), then its views: incrload views <kind>_<tag>
-- and materialized views mv_<kind>_<tag> of the same queries, created
-- :reg_reps times each with timing (figure 6), for each kind in :kinds.
-- Variables: tag, n, nocap (true|false), reg_reps, kinds ('{agg,join,outer}').
\set QUIET on
SELECT 'fact_' || :'tag' AS fact, 'fact_' || :'tag' || '_nocap' AS fact_nocap \gset
CALL bench.make_fact(:'fact', :n);
VACUUM (FREEZE, ANALYZE) :"fact";
\if :nocap
-- figure 4a: fact_<tag>_w, captured (a view over it that nobody applies),
-- and fact_<tag>_nocap, uncaptured, written alike and never read
SELECT 'fact_' || :'tag' || '_w' AS fact_w, 'wcap_' || :'tag' AS wcap,
       bench.agg_query('fact_' || :'tag' || '_w') AS wcap_query \gset
CALL bench.make_fact(:'fact_nocap', :n);
VACUUM (FREEZE, ANALYZE) :"fact_nocap";
CALL bench.make_fact(:'fact_w', :n);
VACUUM (FREEZE, ANALYZE) :"fact_w";
SELECT incrload_register_view(:'wcap', :'wcap_query', '1 day') \g /dev/null
INSERT INTO bench.views VALUES (:'wcap', :'wcap_query');
\endif
-- read once, so that the first timed statement finds it in memory too
SELECT count(*) FROM :"fact" \g /dev/null
CALL bench.register(:'tag', :reg_reps, :'kinds');
