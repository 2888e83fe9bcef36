-- Figures 1-4a: rounds of a K-row UPDATE, incrload_refresh of both views,
-- REFRESH MATERIALIZED VIEW of both matviews (see bench.rounds).
-- Variables: tag, k, reps, warmups, mv (true|false), nocap (true|false).
CALL bench.rounds(:'tag', :k, :reps, :warmups, :mv, :nocap);
