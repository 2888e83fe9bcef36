-- The plans of one steady-state apply round over fact_<tag>, written to
-- the server log by auto_explain (run.sh copies them to out/explain-<tag>.log).
-- Warm-up rounds first, in this session, so that the kept plans are the
-- ones a long-running worker uses (past the plan cache's five custom plans).
-- Variables: tag, k.
LOAD 'auto_explain';
SET auto_explain.log_min_duration = -1;
CALL bench.rounds(:'tag', :k, 0, 6, false, false);
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_triggers = on;
CALL bench.rounds(:'tag', :k, 0, 1, false, false);
SET auto_explain.log_min_duration = -1;
