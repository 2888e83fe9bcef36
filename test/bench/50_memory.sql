-- Figure 8: one incrload_refresh of :view in this fresh backend; run.sh
-- samples /proc/<pid>/status meanwhile, this file records VmHWM after.
-- Variables: view, batch, pidfile, statfile.
\set QUIET on
SELECT pg_backend_pid() AS pid \gset
\setenv BENCH_PID :pid
\setenv BENCH_PIDFILE :pidfile
\setenv BENCH_STATFILE :statfile
\! echo "$BENCH_PID" > "$BENCH_PIDFILE"
SELECT pg_sleep(0.3) \g /dev/null
CALL bench.timed_refresh(:'view', 'memory', :'view', :batch);
\! cat "/proc/$BENCH_PID/status" > "$BENCH_STATFILE"
