#!/usr/bin/env bash
# What capturing replicated rows costs (issue 21); see test/bench/README.md.
#
#   bash test/bench/replica.sh            both parts (~10 min on 2 cores)
#   bash test/bench/replica.sh --counts   part 1 only
#
# 1. Instructions (valgrind callgrind, a single-user backend; load does not
#    change them) of one transaction per variant, K = 1,000 rows:
#      - the ordinary writer (origin role) on a captured table, with and
#        without the replica row trigger present (not fired): what having it
#        costs every writer;
#      - capture per row through the statement triggers (origin role) and
#        through the row trigger (replica role, as the apply worker writes),
#        each against the same write to a table nobody captures.
#    Each figure is (a session running the transaction R + W times minus a
#    session running it W times) / R, so start-up and warm-up cancel out.
# 2. A publisher and a subscriber: the apply worker's CPU time (utime +
#    stime of the process) for N replicated UPDATEs, into a table a view
#    reads and into one nobody captures, both in one transaction and in
#    one-row transactions.
#
# Run as root (servers run as postgres) or as postgres.  Writes
# test/bench/out/replica.md.
set -euo pipefail
{
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$BENCH/out"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
PGBIN="$("$PG_CONFIG" --bindir)"
K=1000
R=${R:-4}
W=2
N=${N:-100000}
SMALL=${SMALL:-5000}
ONLY_COUNTS=0
[ "${1:-}" = "--counts" ] && ONLY_COUNTS=1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/incrload-replica-bench.XXXXXX")"
chmod 755 "$WORK"
mkdir -p "$OUT"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK"
cleanup() {
    for d in "$WORK"/pub "$WORK"/sub "$WORK"/single; do
        [ -f "$d/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

newcluster() {  # dir port
    as_pg "$PGBIN/initdb" -D "$1" -A trust -N >/dev/null
    cat >>"$1/postgresql.conf" <<CONF
port = $2
listen_addresses = ''
unix_socket_directories = '$WORK'
shared_preload_libraries = 'incrload'
incrload.enabled = off
wal_level = logical
max_wal_size = 4GB
shared_buffers = 256MB
jit = off
CONF
}
psql_at() { as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$1" -d postgres "${@:2}"; }

# ---- part 1 ------------------------------------------------------------
newcluster "$WORK/single" 5491
as_pg "$PGBIN/pg_ctl" -D "$WORK/single" -l "$WORK/single.log" start >/dev/null
psql_at 5491 <<SQL
CREATE EXTENSION incrload;
CREATE TABLE plain (id int PRIMARY KEY, g int, v int);
CREATE TABLE cap (LIKE plain INCLUDING ALL);
CREATE TABLE cap_norow (LIKE plain INCLUDING ALL);
INSERT INTO plain SELECT i, i % 100, i FROM generate_series(1, 100000) i;
INSERT INTO cap SELECT * FROM plain;
INSERT INTO cap_norow SELECT * FROM plain;
SELECT incrload_register_view('cap_v', 'SELECT g, count(*) AS n, sum(v) AS s FROM cap GROUP BY g');
SELECT incrload_register_view('cap_norow_v', 'SELECT g, count(*) AS n, sum(v) AS s FROM cap_norow GROUP BY g');
VACUUM ANALYZE;
SQL
as_pg "$PGBIN/pg_ctl" -D "$WORK/single" -m fast stop >/dev/null
# event triggers do not fire in single-user mode: the only way to take
# the row trigger away, leaving the statement triggers as main has them
echo "DROP TRIGGER incrload_capture_row ON cap_norow;" |
    as_pg "$PGBIN/postgres" --single -D "$WORK/single" postgres >/dev/null

# instructions of a single-user session running $2 ($1 times after $W warm-ups)
session_ir() {  # reps sql
    local f="$WORK/cg.$RANDOM$RANDOM" i
    {
        for ((i = 0; i < W + $1; i++)); do printf '%s\n' "$2"; done
    } >"$f.sql"
    as_pg valgrind --tool=callgrind --callgrind-out-file="$f.out" --dump-instr=no \
        "$PGBIN/postgres" --single -D "$WORK/single" postgres <"$f.sql" >/dev/null 2>&1
    awk '/^summary:/ {print $2}' "$f.out"
    rm -f "$f.out" "$f.sql"
}
# instructions of one run of a transaction ($1: sql, ends with a newline per statement)
per_txn() { local a b; a=$(session_ir 0 "$1"); b=$(session_ir "$R" "$1"); echo $(( (b - a) / R )); }

upd() { printf 'BEGIN;\nUPDATE %s SET v = v + 1 WHERE id <= %d;\nCOMMIT;\n' "$1" "$K"; }
upd1() { printf 'BEGIN;\nUPDATE %s SET v = v + 1 WHERE id = 7;\nCOMMIT;\n' "$1"; }
ins() { printf 'BEGIN;\nINSERT INTO %s SELECT i, i %% 100, i FROM generate_series(200001, 200000 + %d) i;\nCOMMIT;\nBEGIN;\nDELETE FROM %s WHERE id > 200000;\nCOMMIT;\n' "$1" "$K" "$1"; }
replica() { printf 'SET session_replication_role = replica;\n%sRESET session_replication_role;\n' "$1"; }

declare -A IR
for t in plain cap cap_norow; do
    IR[upd_$t]=$(per_txn "$(upd $t)")
    IR[upd1_$t]=$(per_txn "$(upd1 $t)")
    IR[ins_$t]=$(per_txn "$(ins $t)")
done
for t in plain cap; do
    IR[rupd_$t]=$(per_txn "$(replica "$(upd $t)")")
    IR[rins_$t]=$(per_txn "$(replica "$(ins $t)")")
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
perrow() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%d", (a - b) / n }'; }

{
    echo "## Capture of replicated rows ($(date -u '+%Y-%m-%d %H:%M UTC'), K = $K, R = $R)"
    echo
    echo "### 1. Instructions per transaction (callgrind, single-user backend)"
    echo
    echo "| transaction | not captured | captured, row trigger present | captured, no row trigger | present / absent |"
    echo "|---|---:|---:|---:|---:|"
    echo "| UPDATE of $K rows, origin role | ${IR[upd_plain]} | ${IR[upd_cap]} | ${IR[upd_cap_norow]} | $(ratio "${IR[upd_cap]}" "${IR[upd_cap_norow]}") |"
    echo "| UPDATE of 1 row, origin role | ${IR[upd1_plain]} | ${IR[upd1_cap]} | ${IR[upd1_cap_norow]} | $(ratio "${IR[upd1_cap]}" "${IR[upd1_cap_norow]}") |"
    echo "| INSERT of $K rows + DELETE of them, origin role | ${IR[ins_plain]} | ${IR[ins_cap]} | ${IR[ins_cap_norow]} | $(ratio "${IR[ins_cap]}" "${IR[ins_cap_norow]}") |"
    echo
    echo "| capture per delta row | statement triggers (origin) | row trigger (replica) | row / statement |"
    echo "|---|---:|---:|---:|"
    s=$(perrow "${IR[upd_cap]}" "${IR[upd_plain]}" $((2 * K)))
    r=$(perrow "${IR[rupd_cap]}" "${IR[rupd_plain]}" $((2 * K)))
    echo "| UPDATE of $K rows (2 delta rows each) | $s | $r | $(ratio "$r" "$s") |"
    s=$(perrow "${IR[ins_cap]}" "${IR[ins_plain]}" $((2 * K)))
    r=$(perrow "${IR[rins_cap]}" "${IR[rins_plain]}" $((2 * K)))
    echo "| INSERT + DELETE of $K rows | $s | $r | $(ratio "$r" "$s") |"
} >"$OUT/replica.md"
cat "$OUT/replica.md"
[ "$ONLY_COUNTS" -eq 1 ] && exit 0

# ---- part 2 ------------------------------------------------------------
newcluster "$WORK/pub" 5492
newcluster "$WORK/sub" 5493
for n in pub sub; do as_pg "$PGBIN/pg_ctl" -D "$WORK/$n" -l "$WORK/$n.log" start >/dev/null; done
for port in 5492 5493; do
    psql_at $port -c "CREATE TABLE plain (id int PRIMARY KEY, g int, v int); CREATE TABLE cap (LIKE plain INCLUDING ALL)"
done
psql_at 5492 -c "INSERT INTO plain SELECT i, i % 100, i FROM generate_series(1, $N) i; INSERT INTO cap SELECT * FROM plain; CREATE PUBLICATION p FOR TABLE plain, cap"
psql_at 5493 -c "CREATE EXTENSION incrload" \
    -c "SELECT incrload_register_view('cap_v', 'SELECT g, count(*) AS n, sum(v) AS s FROM cap GROUP BY g')" \
    -c "CREATE SUBSCRIPTION s CONNECTION 'host=$WORK port=5492 dbname=postgres' PUBLICATION p"
caught_up() {  # the subscriber has applied the publisher's WAL up to $1
    psql_at 5492 -At -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = 's' AND replay_lsn >= '$1'"
}
wait_sync() {
    local target
    target=$(psql_at 5492 -At -c "SELECT pg_current_wal_lsn()")
    until [ "$(psql_at 5493 -At -c "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")" = 0 ] &&
          [ "$(caught_up "$target")" = 1 ]; do sleep 0.2; done
}
apply_cpu() {  # clock ticks of the apply worker so far
    local pid
    pid=$(psql_at 5493 -At -c "SELECT pid FROM pg_stat_subscription WHERE subname = 's' AND relid IS NULL")
    awk '{print $14 + $15}' "/proc/$pid/stat"
}
measure() {  # sql on the publisher; prints the apply worker's CPU seconds for it
    local a b
    wait_sync
    a=$(apply_cpu)
    psql_at 5492 -c "$1"
    wait_sync
    b=$(apply_cpu)
    awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }'
}
wait_sync
declare -A CPU
for rep in 1 2 3; do
    for t in plain cap; do
        CPU[big_${t}_$rep]=$(measure "UPDATE $t SET v = v + 1")
        CPU[small_${t}_$rep]=$(measure "DO \$\$BEGIN FOR i IN 1 .. $SMALL LOOP UPDATE $t SET v = v + 1 WHERE id = i; COMMIT; END LOOP; END\$\$")
    done
done
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
{
    echo
    echo "### 2. The apply worker's CPU seconds (median of 3)"
    echo
    echo "| replicated | into a table nobody captures | into a captured table | captured / not | capture per row |"
    echo "|---|---:|---:|---:|---:|"
    for kind in big small; do
        p=$(median3 "${CPU[${kind}_plain_1]}" "${CPU[${kind}_plain_2]}" "${CPU[${kind}_plain_3]}")
        c=$(median3 "${CPU[${kind}_cap_1]}" "${CPU[${kind}_cap_2]}" "${CPU[${kind}_cap_3]}")
        rows=$N; label="UPDATE of $N rows in one transaction"
        [ "$kind" = small ] && { rows=$SMALL; label="$SMALL one-row UPDATE transactions"; }
        echo "| $label | $p | $c | $(ratio "$c" "$p") | $(awk -v a="$c" -v b="$p" -v n="$rows" 'BEGIN { printf "%.1f µs", (a - b) * 1e6 / n }') |"
    done
    echo
    echo "The view over cap equals its query: $(psql_at 5493 -At -c "SELECT missing + extra = 0 FROM incrload_verify('cap_v')")"
} | tee -a "$OUT/replica.md"
exit 0
}
