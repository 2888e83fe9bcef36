#!/usr/bin/env bash
# incrload benchmark: every figure of issue 7, measured side by side in one
# run on one throwaway cluster.  See test/bench/README.md.
#
#   bash test/bench/run.sh            full run (N up to 10,000,000; ~20-25 min on 2 cores)
#   bash test/bench/run.sh --quick    N up to 1,000,000, short pgbench runs (~6 min)
#
# Options:  --keep   leave the cluster running and its directory in place
#                    (prints how to connect; stop it with pg_ctl -D DIR/data stop)
#           --tpch   also run the TPC-H benchmark at scale factor 0.1 at the end
#                    (bash test/bench/tpch.sh --sf 0.1, its own cluster, ~15 min;
#                    out/tpch-sf0.1.md); the run fails if it does
#
# Run as root (the server runs as user postgres) or as postgres, after
# `bash scripts/setup.sh`.  Prints a markdown table of the figures and writes
# it to test/bench/out/results.md, with the raw timings (out/raw.csv), the
# plans of one apply per data size (out/explain-*.log) and pgbench output.
# Exits non-zero when a view differs from its query at the end.
set -euo pipefail
# The whole script is one compound command: bash reads all of it before
# running any, so editing this file during a run does not break the run.
{
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH/../.." && pwd)"
OUT="$BENCH/out"
# PG_CONFIG may name another (relocated) PostgreSQL 15, as for scripts/test.sh
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
[ -x "$PG_CONFIG" ] || { echo "run.sh: $PG_CONFIG not found; run: bash scripts/setup.sh" >&2; exit 1; }
PGBIN="$("$PG_CONFIG" --bindir)"
PORT=5477
DB=bench

QUICK=0
KEEP=0
TPCH=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        --keep) KEEP=1 ;;
        --tpch) TPCH=1 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$arg' (use --quick, --keep, --tpch)" >&2; exit 2 ;;
    esac
done

if [ "$QUICK" -eq 1 ]; then
    MODE=quick
    NS=(100000 1000000)          # fact table sizes of figures 1-3
    PGB_SECONDS=10               # figure 4: each pgbench run
    PGB_PAIRS=1                  # figure 4: (without, with) pairs
    FRESH_SECONDS=60             # figure 7
    CATCHUP=60                   # figures 4b, 7: how long the worker may take to catch up
    CHECK_TIMEOUT=120            # longest refresh + check of one view
    BULK_REPS=1                  # figure 5
    REG_REPS=2                   # figure 6
else
    MODE=full
    NS=(100000 1000000 10000000)
    PGB_SECONDS=30
    PGB_PAIRS=2
    FRESH_SECONDS=300
    CATCHUP=120
    CHECK_TIMEOUT=180
    BULK_REPS=3
    REG_REPS=3
fi
REPS=5                           # measured rounds per figure (median reported)
WARMUPS=6                        # unreported rounds first: plans built, plan cache settled
K=1000
LARGEST=${NS[${#NS[@]}-1]}
BULK_ROWS=1000000
MEM_N=1000000
PGB_SCALE=10
PGB_CLIENTS=4

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- checks
[ -x "$PGBIN/postgres" ] || die "PostgreSQL 15 is not installed in $PGBIN; run: bash scripts/setup.sh"
"$PGBIN/postgres" --version | grep -q ' 15\.' || die "$PGBIN/postgres is not PostgreSQL 15"
PKGLIB="$("$PG_CONFIG" --pkglibdir)"
SHAREDIR="$("$PG_CONFIG" --sharedir)"
[ -f "$PKGLIB/incrload.so" ] && [ -f "$SHAREDIR/extension/incrload.control" ] ||
    die "incrload is not installed; run: bash scripts/setup.sh"
[ -f "$PKGLIB/auto_explain.so" ] || die "auto_explain is missing from $PKGLIB"
if [ -f "$REPO/incrload.so" ] && ! cmp -s "$REPO/incrload.so" "$PKGLIB/incrload.so"; then
    log "WARNING: $REPO/incrload.so differs from the installed $PKGLIB/incrload.so;"
    log "         the benchmark measures the installed one (make install to update it)"
fi

if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "user postgres does not exist; run: bash scripts/setup.sh"
    AS=(runuser -u postgres --)
    RUNAS=postgres
else
    AS=()
    RUNAS="$(id -un)"
fi

mkdir -p "$OUT"
# this run's outputs (tpch.sh's, tpch-*, are its own)
for f in "$OUT"/*.log "$OUT"/*.csv "$OUT"/results.md; do
    case "${f##*/}" in tpch-*) ;; *) rm -f "$f" ;; esac
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/incrload-bench.XXXXXX")"
chmod 700 "$WORK"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"
DATA="$WORK/data"
SERVERLOG="$WORK/server.log"
BGPIDS=()

cleanup() {
    local rc=$?
    for p in "${BGPIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    if [ "$KEEP" -eq 1 ] && [ -d "$DATA" ]; then
        log "kept: cluster in $DATA, running on socket $WORK port $PORT"
        log "      psql -h $WORK -p $PORT $DB ;  ${AS[*]} $PGBIN/pg_ctl -D $DATA stop ; rm -rf $WORK"
    else
        if [ -f "$DATA/postmaster.pid" ]; then
            "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
        fi
        [ -f "$SERVERLOG" ] && cp "$SERVERLOG" "$OUT/server.log" 2>/dev/null || true
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$WORK"

psql_() { "${AS[@]}" env PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -h "$WORK" -p "$PORT" -X -q -v ON_ERROR_STOP=1 "$@"; }
sql() { psql_ -d "$DB" -At -c "$1"; }
# run test/bench/FILE.sql with psql variables (name=value ...)
sqlfile() {
    local f="$1"; shift
    local vars=()
    for v in "$@"; do vars+=(-v "$v"); done
    psql_ -d "$DB" "${vars[@]}" -f - < "$BENCH/$f"
}
worker() {   # on|off
    sql "ALTER SYSTEM SET incrload.enabled = $1" >/dev/null
    sql "SELECT pg_reload_conf()" >/dev/null
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- cluster
log "mode $MODE; cluster in $WORK (port $PORT, unix socket only)"
"${AS[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
cat >> "$DATA/postgresql.conf" <<EOF

# ---- incrload benchmark (test/bench/run.sh)
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORK'
shared_preload_libraries = 'incrload'
shared_buffers = 1GB
work_mem = 64MB
max_wal_size = 4GB
# durability as shipped: fsync, full_page_writes, synchronous_commit stay on
incrload.enabled = off          # run.sh turns the worker on for figures 4b and 7
incrload.launcher_naptime = 1000
log_line_prefix = '%m [%p] '
log_autovacuum_min_duration = -1
EOF
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$SERVERLOG" -w start >/dev/null ||
    { tail -20 "$SERVERLOG" >&2; die "server did not start"; }
psql_ -d postgres -c "CREATE DATABASE $DB" >/dev/null
sqlfile 00_setup.sql

# check_view VIEW PHASE: refresh VIEW, compare it with its query; an apply
# that takes longer than CHECK_TIMEOUT is recorded as "not verified"
check_view() {
    local v="$1" phase="$2" err
    if ! err=$(printf '%s\n' "SET statement_timeout = '${CHECK_TIMEOUT}s';" \
                   "CALL bench.check_view(:'v', :'phase');" |
               psql_ -d "$DB" -v v="$v" -v phase="$phase" -f - 2>&1 >/dev/null); then
        err=$(printf '%s' "$err" | grep -m1 ERROR || printf '%s' "$err" | head -1)
        log "  $v: NOT VERIFIED: $err"
        printf '%s\n' "INSERT INTO bench.checks (name, phase, note) VALUES (:'v', :'phase', :'note');" |
            psql_ -d "$DB" -v v="$v" -v phase="$phase" -v note="not verified: $err" -f - >/dev/null
    fi
}
# ---------------------------------------------------------------- figures 1, 2, 3, 4a, 6
# (the worker is off: incrload_refresh alone applies the batches)
tag_of() { case "$1" in 100000) echo 100k ;; 1000000) echo 1m ;; 10000000) echo 10m ;; *) echo "n$1" ;; esac; }

explain_round() {   # tag outname: plans of one steady-state round, from auto_explain
    local tag="$1" off
    off=$(stat -c %s "$SERVERLOG")
    sqlfile 25_explain.sql tag="$tag" k="$K" >/dev/null
    sleep 0.5
    tail -c +"$((off + 1))" "$SERVERLOG" > "$OUT/explain-$2.log"
}

for n in "${NS[@]}"; do
    tag=$(tag_of "$n")
    nocap=false
    [ "$n" -eq 1000000 ] && nocap=true
    reg_reps=1
    [ "$n" -eq "$LARGEST" ] && reg_reps=$REG_REPS
    # the outer-join view (issue 9) is measured at 100k and 1M: its target is
    # the 1M / 100k scaling ratio
    kinds='{agg,join,outer}'
    [ "$n" -gt 1000000 ] && kinds='{agg,join}'
    log "N=$n: loading fact_$tag$([ "$nocap" = true ] && echo ' and, for figure 4a, a captured and an uncaptured copy'); views $kinds registered $reg_reps time(s)"
    sqlfile 10_fixture.sql tag="$tag" n="$n" nocap="$nocap" reg_reps="$reg_reps" kinds="$kinds"
    log "N=$n: $WARMUPS warm-up + $REPS measured rounds of K=$K (write, apply and REFRESH of each view)"
    sqlfile 20_rounds.sql tag="$tag" k="$K" reps="$REPS" warmups="$WARMUPS" mv=true nocap="$nocap" kinds="$kinds"
    log "N=$n: plans of one apply round (auto_explain) -> out/explain-$tag.log"
    explain_round "$tag" "$tag"
    if [ "$n" -eq 1000000 ]; then
        for k in 100 10000; do
            log "N=$n: rounds of K=$k"
            sqlfile 20_rounds.sql tag="$tag" k="$k" reps="$REPS" warmups=1 mv=false nocap=false kinds='{agg,join,outer}'
        done
        # the outer-join view is not needed by the figures after these
        log "N=$n: checking outer_$tag, then unregistering it"
        check_view "outer_$tag" "k10000"
        sql "SELECT incrload_unregister_view('outer_$tag')" >/dev/null
        log "N=$n: plans again, after the K=10000 rounds (a larger delta table) -> out/explain-$tag-later.log"
        explain_round "$tag" "$tag-later"
    fi
done

# ---------------------------------------------------------------- figure 8
log "memory: fact_mem ($MEM_N rows), applies of 100,000-, 1,000,000- and 2,000,000-row batches in fresh backends"
sqlfile 10_fixture.sql tag=mem n="$MEM_N" nocap=false reg_reps=1 kinds='{agg,join}'

mem_apply() {   # view batch: one incrload_refresh in a fresh backend; sample its memory
    local view="$1" batch="$2" pid="" peak_anon=0 peak_rss=0 k v rest
    local pidfile="$WORK/mem.pid" statfile="$WORK/mem.status"
    rm -f "$pidfile" "$statfile"
    psql_ -d "$DB" -v view="$view" -v batch="$batch" -v pidfile="$pidfile" \
          -v statfile="$statfile" -f - < "$BENCH/50_memory.sql" &
    local job=$!
    for _ in $(seq 1 200); do [ -s "$pidfile" ] && break; sleep 0.05; done
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] || die "memory: no backend pid"
    while kill -0 "$job" 2>/dev/null; do
        if [ -r "/proc/$pid/status" ]; then
            while read -r k v rest; do
                case "$k" in
                    RssAnon:) [ "$v" -gt "$peak_anon" ] && peak_anon=$v ;;
                    VmRSS:) [ "$v" -gt "$peak_rss" ] && peak_rss=$v ;;
                esac
            done < "/proc/$pid/status" 2>/dev/null || true
        fi
        sleep 0.01
    done
    wait "$job" || die "memory: apply of $view failed"
    local hwm
    hwm=$(awk '/^VmHWM:/ {print $2}' "$statfile")
    sql "INSERT INTO bench.metrics (what, value, note) VALUES
         ('mem_hwm_kb', $hwm, '$view $batch'),
         ('mem_peak_anon_kb', $peak_anon, '$view $batch'),
         ('mem_peak_rss_kb', $peak_rss, '$view $batch')" >/dev/null
    log "  $view, batch of $batch delta rows: VmHWM ${hwm} kB, peak RssAnon ${peak_anon} kB"
}
for batch in 100000 1000000 2000000; do
    sql "CALL bench.write_k('fact_mem', $((batch / 2)))" >/dev/null   # an UPDATE: 2 delta rows a row
    sql "CHECKPOINT" >/dev/null
    mem_apply agg_mem "$batch"
    mem_apply join_mem "$batch"
done

# ---------------------------------------------------------------- figure 5
for r in $(seq 1 "$BULK_REPS"); do
    log "bulk writes: INSERT ... SELECT and UPDATE of $BULK_ROWS rows, captured vs not (rep $r/$BULK_REPS)"
    check=false
    [ "$r" -eq "$BULK_REPS" ] && check=true
    sql "CALL bench.bulk_round($BULK_ROWS, $r, $check)" >/dev/null
done

# ---------------------------------------------------------------- figures 4b and 7
PGB=("${AS[@]}" "$PGBIN/pgbench" -h "$WORK" -p "$PORT")
PGB_VIEWS=(pgb_accounts pgb_history pgb_tellers)

pgb_unregister() {
    for v in "${PGB_VIEWS[@]}"; do
        sql "SELECT incrload_unregister_view(r) FROM (SELECT to_regclass('$v') r) x WHERE r IS NOT NULL" >/dev/null
    done
}
pgb_init() {   # fresh pgbench tables (the views over the old ones are dropped first)
    pgb_unregister
    "${PGB[@]}" -i -q -s "$PGB_SCALE" "$DB" >>"$OUT/pgbench.log" 2>&1 || die "pgbench -i failed (out/pgbench.log)"
    sql "VACUUM ANALYZE" >/dev/null
}
pgb_run() {   # label seconds -> prints TPS
    local label="$1" secs="$2" f="$WORK/pgbench-$1.out"
    sql "CHECKPOINT" >/dev/null
    "${PGB[@]}" -n -c "$PGB_CLIENTS" -j 2 -T "$secs" -P 5 "$DB" >"$f" 2>&1 ||
        { cat "$f" >&2; die "pgbench failed"; }
    { echo "== $label"; cat "$f"; } >> "$OUT/pgbench.log"
    awk '/^tps = / {print $3; exit}' "$f"
}
# after a pgbench run with views: let the worker catch up (at most
# CATCHUP seconds), then stop it (cancelling an apply still running) and
# check the views
pgb_drain_and_check() {
    local label="$1" t0 pend ms=0 caught=0 secs
    t0=$(date +%s%N)
    while :; do
        pend=$(sql "SELECT coalesce(sum(pending_changes), 0) FROM incrload_stats WHERE view_name::text LIKE 'pgb\_%'")
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        if [ "$pend" -eq 0 ]; then caught=1; break; fi
        if [ "$ms" -gt $((CATCHUP * 1000)) ]; then break; fi
        sleep 0.5
    done
    secs=$(awk -v ms="$ms" 'BEGIN { printf "%.1f", ms / 1000 }')
    if [ "$caught" -eq 1 ]; then
        log "  $label: the worker caught up ${secs}s after the writes stopped"
        sql "INSERT INTO bench.metrics (what, value, note) VALUES ('catchup_s', $secs, '$label')" >/dev/null
    else
        log "  $label: the worker did NOT catch up within ${CATCHUP}s ($pend changes pending); stopping it"
        sql "INSERT INTO bench.metrics (what, value, note) VALUES ('catchup_pending', $pend, '$label')" >/dev/null
    fi
    if [ "$label" = freshness ] && [ "$caught" -eq 1 ]; then
        sleep 11   # one garbage collection round of the worker
        sql "CALL bench.delta_sizes('delta_after_gc')" >/dev/null
    fi
    worker off
    sleep 1
    if [ "$caught" -eq 0 ]; then
        sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
             WHERE backend_type = 'incrload worker' AND state = 'active'" >/dev/null
    fi
    for v in "${PGB_VIEWS[@]}"; do check_view "$v" "$label"; done
}

for p in $(seq 1 "$PGB_PAIRS"); do
    worker on
    log "pgbench TPC-B scale $PGB_SCALE, $PGB_CLIENTS clients, ${PGB_SECONDS}s without views (pair $p/$PGB_PAIRS)"
    pgb_init
    tps=$(pgb_run "base-$p" "$PGB_SECONDS")
    sql "INSERT INTO bench.metrics (what, rep, value) VALUES ('tps_base', $p, $tps)" >/dev/null
    log "  $tps tps"
    log "pgbench ${PGB_SECONDS}s with 3 views registered, worker applying every second (pair $p/$PGB_PAIRS)"
    pgb_init
    sqlfile 40_pgbench_views.sql >/dev/null
    sleep 3
    tps=$(pgb_run "views-$p" "$PGB_SECONDS")
    sql "INSERT INTO bench.metrics (what, rep, value) VALUES ('tps_views', $p, $tps)" >/dev/null
    log "  $tps tps"
    pgb_drain_and_check "pair-$p"
done

log "freshness: pgbench for ${FRESH_SECONDS}s, worker on, incrload_stats sampled every second"
pgb_init
sqlfile 40_pgbench_views.sql >/dev/null
worker on
sleep 3
sql "CALL bench.delta_sizes('delta_start')" >/dev/null
psql_ -d "$DB" -c "CALL bench.sample_lag($FRESH_SECONDS)" >/dev/null &
SAMPLER=$!
BGPIDS+=("$SAMPLER")
tps=$(pgb_run freshness "$FRESH_SECONDS")
wait "$SAMPLER" || die "lag sampler failed"
BGPIDS=()
sql "INSERT INTO bench.metrics (what, value) VALUES ('tps_freshness', $tps)" >/dev/null
sql "CALL bench.delta_sizes('delta_end')" >/dev/null
log "  $tps tps during the freshness run"
pgb_drain_and_check freshness

# ---------------------------------------------------------------- checks and report
log "checking every other view against its query (EXCEPT ALL both ways)"
for v in $(sql "SELECT name FROM bench.views WHERE to_regclass(name) IS NOT NULL AND name NOT LIKE 'pgb\_%' ORDER BY name"); do
    check_view "$v" final
done

{
    echo "# incrload benchmark results ($MODE run)"
    echo
    echo "\`bash test/bench/run.sh$([ "$QUICK" -eq 1 ] && echo ' --quick')\` on $(date -u '+%Y-%m-%d %H:%M UTC'),"
    echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM,"
    echo "$("$PGBIN/postgres" --version), incrload $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (+ local changes)')."
    echo "shared_buffers 1GB, work_mem 64MB, max_wal_size 4GB, fsync/synchronous_commit on."
    echo "Load average (1, 5, 15 min) at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "(anything else running on the machine shows up in every figure)."
    echo "Times are medians of $REPS rounds after $WARMUPS warm-up rounds; K = $K unless stated."
    echo
    sqlfile 90_report.sql quick="$QUICK" pgb_seconds="$PGB_SECONDS" fresh_seconds="$FRESH_SECONDS" \
        largest="$LARGEST" catchup="$CATCHUP"
    echo
    echo "View checks (incrload_refresh, then the view EXCEPT ALL its query both ways, in one snapshot):"
    echo
    echo "| view | after | rows | mismatches | refresh + check ms | note |"
    echo "|---|---|---:|---:|---:|---|"
    sql "SELECT '| ' || name || ' | ' || coalesce(phase, '') || ' | ' || coalesce(view_rows::text, '') || ' | '
                || coalesce(mismatches::text, '**not verified**') || ' | ' || coalesce(round(ms)::text, '') || ' | '
                || coalesce(note, '') || ' |' FROM bench.checks ORDER BY at"
} > "$OUT/results.md"
cat "$OUT/results.md"

psql_ -d "$DB" -c "\\copy (SELECT fig, what, n, k, rep, round(ms::numeric, 3) AS ms, consumed FROM bench.results ORDER BY at) TO STDOUT WITH CSV HEADER" > "$OUT/raw.csv"
psql_ -d "$DB" -c "\\copy (SELECT * FROM bench.metrics) TO STDOUT WITH CSV HEADER" > "$OUT/metrics.csv"
psql_ -d "$DB" -c "\\copy (SELECT * FROM bench.lag_samples ORDER BY at) TO STDOUT WITH CSV HEADER" > "$OUT/lag_samples.csv"

TPCH_RC=0
if [ "$TPCH" -eq 1 ]; then
    log "TPC-H at scale factor 0.1: test/bench/tpch.sh (its own cluster) -> out/tpch-sf0.1.md"
    PG_CONFIG="$PG_CONFIG" bash "$BENCH/tpch.sh" --sf 0.1 || TPCH_RC=$?
fi

bad=$(sql "SELECT count(*) FROM bench.checks WHERE mismatches <> 0")
unverified=$(sql "SELECT count(*) FROM bench.checks WHERE mismatches IS NULL")
nviews=$(sql "SELECT count(DISTINCT name) FROM bench.checks WHERE mismatches IS NOT NULL")
if [ "$bad" -ne 0 ] || [ "$unverified" -ne 0 ] || [ "$nviews" -eq 0 ]; then
    log "FAILED: $bad check(s) found a view that differs from its query, $unverified could not be verified in time"
    exit 1
fi
if [ "$TPCH_RC" -ne 0 ]; then
    log "FAILED: the TPC-H benchmark exited $TPCH_RC (out/tpch-sf0.1.md)"
    exit 1
fi
log "all $nviews views equal their queries; results in $OUT/results.md"
exit 0
}
