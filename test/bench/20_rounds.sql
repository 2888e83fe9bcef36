-- Figures 1-4a: rounds of a K-row UPDATE, incrload_refresh of each view,
-- REFRESH MATERIALIZED VIEW of each matview (see bench.rounds).
-- Variables: tag, k, reps, warmups, mv (true|false), nocap (true|false),
-- kinds (the views to apply, e.g. '{agg,join}').
CALL bench.rounds(:'tag', :k, :reps, :warmups, :mv, :nocap, :'kinds');
