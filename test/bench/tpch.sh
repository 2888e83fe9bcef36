#!/usr/bin/env bash
# incrload TPC-H benchmark (issue 17): the 22 TPC-H queries as incrload views
# and as materialized views over generated TPC-H data, rounds of RF1/RF2 and
# single-row updates, each view's incrload_refresh timed against REFRESH
# MATERIALIZED VIEW of the same query at the same data.  See
# test/bench/README.md, section "TPC-H".
#
#   bash test/bench/tpch.sh                    scale factor 0.1, 5 rounds
#   bash test/bench/tpch.sh --sf 1 --dir /var/tmp/tpch1 --keep
#   bash test/bench/tpch.sh --reuse /var/tmp/tpch1 --queries q05,q18 --explain
#
# Options:
#   --sf SF            scale factor: 0.01, 0.1 (default), 1 (any multiple of 0.01)
#   --rounds N         measured rounds (default 5), after --warmups N (default 1)
#   --queries LIST     only these queries, e.g. q05,q18 (default: all 22)
#   --timeout T        statement_timeout of each apply and REFRESH (default 120s;
#                      also 500ms, 2min): a runaway one is reported, not waited for
#   --check-timeout T  of each end check (default 300s)
#   --explain          one more round with auto_explain on: the plans of each
#                      apply and REFRESH in out/tpch-explain-<q>.log
#   --dir DIR          keep the cluster in DIR: generated there if DIR has none,
#                      reused (not generated again) if it has
#   --reuse DIR        the same, but DIR must hold a generated cluster
#   --keep             leave the server running at the end (prints how to connect)
#   --port N           port (default 5478; the socket is in the cluster's directory)
#   --set NAME=VALUE   a server setting for this run, both sides alike (repeatable;
#                      e.g. --set jit=off; no spaces in VALUE)
#   --seed N           generator seed (default 3: every query returns rows at
#                      scale factor 0.01 too; a new cluster only)
#
# Run as root (the server runs as user postgres) or as postgres; PG_CONFIG
# names another (relocated) PostgreSQL 15 as for scripts/test.sh.  Prints
# a markdown table and writes it to test/bench/out/tpch-sf<SF>.md, the raw
# timings to out/tpch-sf<SF>.csv.  Exit status: 0 when every accepted view
# equals its query at the end, 1 when one differs, 3 when none differs but
# one could not be verified (its apply timed out or failed).
set -euo pipefail
# one compound command: editing this file during a run does not break the run
{
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH/../.." && pwd)"
SQLDIR="$BENCH/tpch"
OUT="$BENCH/out"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"

SF=""
ROUNDS=5
WARMUPS=1
QUERIES=""
TIMEOUT=120s
CHECK_TIMEOUT=300s
EXPLAIN=0
DIR=""
REUSE=0
KEEP=0
PORT=5478
SEED=3
SETS=()

usage() { sed -n '2,36p' "$0" | sed -E 's/^# ?//'; }
need() { [ $# -ge 2 ] || { echo "tpch.sh: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case "$1" in
        --sf) need "$@"; SF="$2"; shift ;;
        --rounds) need "$@"; ROUNDS="$2"; shift ;;
        --warmups) need "$@"; WARMUPS="$2"; shift ;;
        --queries) need "$@"; QUERIES="$2"; shift ;;
        --timeout) need "$@"; TIMEOUT="$2"; shift ;;
        --check-timeout) need "$@"; CHECK_TIMEOUT="$2"; shift ;;
        --explain) EXPLAIN=1 ;;
        --dir) need "$@"; DIR="$2"; shift ;;
        --reuse) need "$@"; DIR="$2"; REUSE=1; shift ;;
        --keep) KEEP=1 ;;
        --port) need "$@"; PORT="$2"; shift ;;
        --seed) need "$@"; SEED="$2"; shift ;;
        --set) need "$@"; SETS+=("$2"); shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "tpch.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

# 120, 120s, 500ms, 2min -> milliseconds
to_ms() {
    case "$1" in
        *ms) echo "${1%ms}" ;;
        *min) echo $(( ${1%min} * 60000 )) ;;
        *s) echo $(( ${1%s} * 1000 )) ;;
        *) echo $(( $1 * 1000 )) ;;
    esac
}
for v in "${SETS[@]}"; do
    [[ "$v" =~ ^[a-z_.]+=[^[:space:]\'\"]+$ ]] || die "--set '$v': use NAME=VALUE without spaces or quotes"
done
for v in "$ROUNDS" "$WARMUPS" "$PORT" "$SEED"; do
    [[ "$v" =~ ^[0-9]+$ ]] || die "'$v' is not a number"
done
[[ "$TIMEOUT" =~ ^[0-9]+(ms|s|min)?$ ]] || die "--timeout '$TIMEOUT': use e.g. 120s, 500ms, 2min"
[[ "$CHECK_TIMEOUT" =~ ^[0-9]+(ms|s|min)?$ ]] || die "--check-timeout '$CHECK_TIMEOUT': use e.g. 300s"
TIMEOUT_MS=$(to_ms "$TIMEOUT")
CHECK_TIMEOUT_MS=$(to_ms "$CHECK_TIMEOUT")
if [ -n "$QUERIES" ]; then
    QUERIES="${QUERIES//,/ }"
    for q in $QUERIES; do
        [[ "$q" =~ ^q(0[1-9]|1[0-9]|2[0-2])$ ]] || die "--queries: '$q' is not one of q01 .. q22"
    done
fi

# ---------------------------------------------------------------- checks
[ -x "$PG_CONFIG" ] || die "$PG_CONFIG not found; run: bash scripts/setup.sh"
PGBIN="$("$PG_CONFIG" --bindir)"
"$PGBIN/postgres" --version | grep -q ' 15\.' || die "$PGBIN/postgres is not PostgreSQL 15"
PKGLIB="$("$PG_CONFIG" --pkglibdir)"
[ -f "$PKGLIB/incrload.so" ] && [ -f "$("$PG_CONFIG" --sharedir)/extension/incrload.control" ] ||
    die "incrload is not installed in $PKGLIB; run: make install PG_CONFIG=$PG_CONFIG"
[ "$EXPLAIN" -eq 0 ] || [ -f "$PKGLIB/auto_explain.so" ] || die "auto_explain is missing from $PKGLIB"
if [ -f "$REPO/incrload.so" ] && ! cmp -s "$REPO/incrload.so" "$PKGLIB/incrload.so"; then
    log "WARNING: $REPO/incrload.so differs from the installed $PKGLIB/incrload.so;"
    log "         the benchmark measures the installed one (make install to update it)"
fi
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "user postgres does not exist; run: bash scripts/setup.sh"
    AS=(runuser -u postgres --)
else
    AS=()
fi

# ---------------------------------------------------------------- directory
TMPWORK=0
if [ -n "$DIR" ]; then
    mkdir -p "$DIR"
    WORK="$(cd "$DIR" && pwd)"
    if [ -f "$WORK/tpch.conf" ]; then
        # shellcheck disable=SC1091
        . "$WORK/tpch.conf"      # GEN_SF, GEN_SEED
        [ -z "$SF" ] || awk -v a="$SF" -v b="$GEN_SF" 'BEGIN { exit !(a + 0 == b + 0) }' ||
            die "$WORK holds scale factor $GEN_SF, not $SF"
        SF="$GEN_SF"
        SEED="$GEN_SEED"
        GENERATE=0
    else
        [ "$REUSE" -eq 0 ] || die "--reuse $WORK: no generated cluster there (tpch.conf is missing)"
        [ ! -e "$WORK/data" ] || die "$WORK/data exists but its generation did not finish; remove it"
        GENERATE=1
    fi
else
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/incrload-tpch.XXXXXX")"
    TMPWORK=1
    GENERATE=1
fi
SF="${SF:-0.1}"
awk -v s="$SF" 'BEGIN { x = s * 100; d = x - int(x + 0.5); exit !(s ~ /^[0-9]+(\.[0-9]+)?$/ && x >= 0.999 && d * d < 1e-12) }' ||
    die "--sf '$SF': use a multiple of 0.01 (0.01, 0.1, 1, ...)"
SF=$(awk -v s="$SF" 'BEGIN { printf "%g", s }')
FRACTION=$(awk -v s="$SF" 'BEGIN { printf "%.10f", 0.0001 / s }')
chmod 700 "$WORK"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"
DATA="$WORK/data"
SERVERLOG="$WORK/server.log"
MD="$OUT/tpch-sf$SF.md"
CSV="$OUT/tpch-sf$SF.csv"
mkdir -p "$OUT"

cleanup() {
    local rc=$?
    if [ "$KEEP" -eq 1 ] && [ -f "$DATA/postmaster.pid" ]; then
        log "kept: the server runs on socket $WORK port $PORT, database tpch (tpch_gen: the generated data)"
        log "      ${AS[*]} $PGBIN/psql -h $WORK -p $PORT tpch"
        log "      again, after make install: bash test/bench/tpch.sh --reuse $WORK [--queries ...] [--explain]"
        log "      stop: ${AS[*]} $PGBIN/pg_ctl -D $DATA stop$([ "$TMPWORK" -eq 1 ] && echo " ; rm -rf $WORK")"
    else
        if [ -f "$DATA/postmaster.pid" ]; then
            "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
        fi
        [ -f "$SERVERLOG" ] && cp "$SERVERLOG" "$OUT/tpch-sf$SF-server.log" 2>/dev/null || true
        if [ "$TMPWORK" -eq 1 ]; then
            rm -rf "$WORK"
        else
            log "cluster stopped; its directory stays: $WORK (--reuse $WORK to run again)"
        fi
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$WORK"

psql_() { "${AS[@]}" env PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -h "$WORK" -p "$PORT" -X -q -v ON_ERROR_STOP=1 "$@"; }
sql() { psql_ -d "${DB:-tpch}" -At -c "$1"; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- cluster
start_server() {
    local opts="-p $PORT -k $WORK" v
    for v in "${SETS[@]}"; do opts+=" -c $v"; done
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$SERVERLOG" -o "$opts" -w start >/dev/null ||
        { tail -20 "$SERVERLOG" >&2; die "server did not start"; }
}
if [ "$GENERATE" -eq 1 ]; then
    log "new cluster in $WORK (port $PORT, unix socket only); scale factor $SF, seed $SEED"
    "${AS[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
        { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
    cat >> "$DATA/postgresql.conf" <<EOF

# ---- incrload TPC-H benchmark (test/bench/tpch.sh); port and socket: pg_ctl -o
listen_addresses = ''
shared_preload_libraries = 'incrload'
incrload.enabled = off          # no worker: tpch.sh applies with incrload_refresh
shared_buffers = 2GB
work_mem = 64MB
maintenance_work_mem = 1GB
effective_cache_size = 16GB
max_parallel_workers_per_gather = 2
max_wal_size = 8GB
checkpoint_timeout = 30min
log_line_prefix = '%m [%p] '
EOF
    start_server
    DB=postgres sql "CREATE DATABASE tpch_gen" >/dev/null
    t0=$(date +%s)
    log "generating TPC-H data at scale factor $SF (database tpch_gen)"
    psql_ -d tpch_gen -f "$SQLDIR/00_generator.sql"
    psql_ -d tpch_gen -v sf="$SF" -v seed="$SEED" -f "$SQLDIR/10_load.sql"
    GEN_S=$(( $(date +%s) - t0 ))
    log "generated in ${GEN_S}s: $(DB=tpch_gen sql "SELECT format('%s lineitems, %s orders, %s', (SELECT count(*) FROM lineitem), (SELECT count(*) FROM orders), pg_size_pretty(pg_database_size('tpch_gen')))")"
    printf 'GEN_SF=%s\nGEN_SEED=%s\nGEN_SECONDS=%s\n' "$SF" "$SEED" "$GEN_S" > "$WORK/tpch.conf"
else
    if [ -f "$DATA/postmaster.pid" ]; then
        log "restarting the server in $WORK (picks up the installed incrload.so)"
        "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    else
        log "starting the server in $WORK"
    fi
    start_server
    log "reusing the data generated at scale factor $SF, seed $SEED"
fi

# a fresh copy of the generated data for this run: the rounds change it
log "database tpch: a copy of tpch_gen; 22 queries; registering$([ -n "$QUERIES" ] && echo " $QUERIES")"
DB=postgres sql "DROP DATABASE IF EXISTS tpch WITH (FORCE)" >/dev/null
DB=postgres sql "CREATE DATABASE tpch TEMPLATE tpch_gen STRATEGY FILE_COPY" >/dev/null
psql_ -d tpch -f "$SQLDIR/00_generator.sql"
psql_ -d tpch -f "$SQLDIR/20_harness.sql"
psql_ -d tpch -v fraction="$FRACTION" -f "$SQLDIR/30_queries.sql"
if [ -n "$QUERIES" ]; then
    sql "UPDATE bench.queries SET selected = name = ANY (string_to_array('$QUERIES', ' '))" >/dev/null
fi
sql "CALL bench.register()" >/dev/null
SELECTED=$(sql "SELECT string_agg(name, ' ' ORDER BY name) FROM bench.queries WHERE selected")
ACCEPTED=" $(sql "SELECT string_agg(name, ' ' ORDER BY name) FROM bench.queries WHERE selected AND status = 'accepted'") "
log "accepted:$ACCEPTED"
sql "SELECT name || ' refused: ' || error FROM bench.queries WHERE selected AND status = 'refused' ORDER BY name" |
    while IFS= read -r line; do log "  $line"; done

# ---------------------------------------------------------------- rounds
# One psql session for all rounds (incrload keeps its prepared statements
# per backend, as the worker does).  Each timed statement is a CALL under
# statement_timeout; when it fails, bench.failed records why.
timed_call() {   # q side round explain
    cat <<EOF
CALL bench.timed('$1', '$2', $3, $4);
\\if :ERROR
SET statement_timeout = 0;
CALL bench.failed('$1', '$2', $3, :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE');
SET statement_timeout = ${TIMEOUT_MS};
\\endif
EOF
}
round_script() {   # round explain
    local r="$1" ex="$2" q sides
    printf '%s\n' '\set ON_ERROR_STOP 1' 'SET statement_timeout = 0;' "CALL bench.writes($r);" \
        '\set ON_ERROR_STOP 0' "SET statement_timeout = ${TIMEOUT_MS};"
    for q in $SELECTED; do
        # the order of the two sides alternates between rounds
        if [ $(( (r + 100) % 2 )) -eq 1 ]; then sides="apply refresh"; else sides="refresh apply"; fi
        for side in $sides; do
            [ "$side" = apply ] && [[ "$ACCEPTED" != *" $q "* ]] && continue
            timed_call "$q" "$side" "$r" "$ex"
        done
    done
    echo "\\echo round $r done"
}
RSCRIPT="$WORK/rounds.sql"
{
    echo '\set QUIET on'
    echo 'SET client_min_messages = warning;'
    for r in $(seq $((1 - WARMUPS)) "$ROUNDS"); do round_script "$r" false; done
    if [ "$EXPLAIN" -eq 1 ]; then
        cat <<'EOF'
LOAD 'auto_explain';
SET auto_explain.log_min_duration = -1;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_timing = on;
SET auto_explain.log_nested_statements = on;
EOF
        round_script $((ROUNDS + 1)) true
    fi
} > "$RSCRIPT"
[ "$(id -u)" -eq 0 ] && chown postgres: "$RSCRIPT"

log "$WARMUPS warm-up + $ROUNDS measured rounds$([ "$EXPLAIN" -eq 1 ] && echo ' + 1 with auto_explain'): RF1, RF2, 20 updates, then per query incrload_refresh and REFRESH MATERIALIZED VIEW (timeout $TIMEOUT each)"
LOGOFF=$(stat -c %s "$SERVERLOG")
T_ROUNDS=$(date +%s)
if ! psql_ -d tpch -f "$RSCRIPT" 2> "$WORK/rounds.err" | while IFS= read -r line; do log "  $line"; done; then
    tail -5 "$WORK/rounds.err" >&2
    die "the rounds failed (see above)"
fi
sql "SELECT format('%s %s in round %s: %s', query, side, round, status)
       FROM bench.timings WHERE status IN ('timeout', 'error') ORDER BY id" |
    while IFS= read -r line; do log "  $line"; done
log "rounds took $(( $(date +%s) - T_ROUNDS ))s"

if [ "$EXPLAIN" -eq 1 ]; then
    rm -f "$OUT"/tpch-explain-*.log
    tail -c +"$((LOGOFF + 1))" "$SERVERLOG" | awk -v dir="$OUT" '
        /incrload-tpch: begin / { s = $0; sub(/.*incrload-tpch: begin /, "", s); split(s, w, " ");
                                  f = dir "/tpch-explain-" w[1] ".log"; on = 1;
                                  print "======== " w[2] " of " w[1] >> f }
        on { print >> f }
        /incrload-tpch: end / { on = 0; close(f) }'
    log "plans of one apply and one REFRESH per query: $OUT/tpch-explain-<q>.log"
fi

# ---------------------------------------------------------------- checks
log "checking every view (incrload_verify, and EXCEPT ALL both ways against its query; timeout $CHECK_TIMEOUT each)"
{
    echo '\set QUIET on'
    echo 'SET client_min_messages = warning;'
    echo "SET statement_timeout = ${CHECK_TIMEOUT_MS};"
    for q in $SELECTED; do
        cat <<EOF
CALL bench.check('$q');
\\if :ERROR
SET statement_timeout = 0;
CALL bench.check_failed('$q', :'LAST_ERROR_MESSAGE');
SET statement_timeout = ${CHECK_TIMEOUT_MS};
\\endif
EOF
    done
} > "$WORK/checks.sql"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK/checks.sql"
psql_ -d tpch -v ON_ERROR_STOP=0 -f "$WORK/checks.sql" 2>> "$WORK/rounds.err"

# ---------------------------------------------------------------- report
. "$WORK/tpch.conf"
{
    echo "# TPC-H at scale factor $SF: incrload_refresh vs REFRESH MATERIALIZED VIEW"
    echo
    echo "\`$(printf '%s' "bash test/bench/tpch.sh --sf $SF --rounds $ROUNDS$([ -n "$QUERIES" ] && echo " --queries ${QUERIES// /,}")$(for v in "${SETS[@]}"; do printf ' --set %s' "$v"; done)")\`"
    echo "on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM,"
    echo "$("$PGBIN/postgres" --version), incrload $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?') (src/ last changed in $(git -C "$REPO" log -1 --format=%h -- src 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ', + local changes'))."
    echo "$(sql "SELECT format('%s lineitems, %s orders, database %s', (SELECT count(*) FROM lineitem), (SELECT count(*) FROM orders), pg_size_pretty(pg_database_size('tpch')))"), generated in ${GEN_SECONDS}s (seed $SEED)."
    echo "shared_buffers 2GB, work_mem 64MB, max_parallel_workers_per_gather 2, jit $(sql "SHOW jit")$([ ${#SETS[@]} -gt 0 ] && echo " (--set ${SETS[*]})"); the worker off."
    echo "Load average (1, 5, 15 min) at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Times: medians of $ROUNDS rounds after $WARMUPS warm-up round(s); each round RF1 + RF2 ($(awk -v s="$SF" 'BEGIN { printf "%d", s * 1500 }') orders each) and 20 single-row UPDATEs, then per view incrload_refresh and REFRESH, each in its own transaction, order alternating."
    echo
    psql_ -d tpch -v rounds="$ROUNDS" -v timeout_ms="$TIMEOUT_MS" -f "$SQLDIR/90_report.sql"
} > "$MD"
cat "$MD"
psql_ -d tpch -c "\\copy (SELECT query, side, round, round(ms::numeric, 3) AS ms, consumed, status, error FROM bench.timings ORDER BY id) TO STDOUT WITH CSV HEADER" > "$CSV"
log "results: $MD, raw timings: $CSV"

differ=$(sql "SELECT count(*) FROM bench.checks WHERE status = 'differs'")
unverified=$(sql "SELECT count(*) FROM bench.queries q LEFT JOIN bench.checks c ON c.query = q.name
                   WHERE q.selected AND q.status = 'accepted' AND c.status IS DISTINCT FROM 'exact' AND c.status IS DISTINCT FROM 'differs'")
if [ "$differ" -ne 0 ]; then
    log "FAILED: $differ view(s) differ from their query"
    exit 1
fi
if [ "$unverified" -ne 0 ]; then
    log "$unverified view(s) could not be verified (apply timed out or failed); none differs"
    exit 3
fi
log "every accepted view equals its query"
exit 0
}
