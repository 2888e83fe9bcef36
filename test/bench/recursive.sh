#!/usr/bin/env bash
# incrload benchmark of recursive WITH views: one apply of a small change
# against REFRESH MATERIALIZED VIEW of the same query, side by side in one
# run on one throwaway cluster.
#
#   bash test/bench/recursive.sh            200,000 employees, a 20,000-node graph (~2 min)
#   bash test/bench/recursive.sh --quick    50,000 and 5,000 (~1 min)
#
# Views: an org chart (each employee with the root above it and the depth,
# from the roots down; with UNION, delete-and-rederive, and with UNION ALL,
# counting) and the reachability of a graph with cycles
# from one node.  Changes, each applied alone, REPS times: a subtree moved
# to another boss, an employee added, one removed, a column the query does
# not read updated; an edge added, one removed.  Prints a markdown table of
# medians (ms) and ratios and writes it to test/bench/out/recursive.md.
# Exits non-zero when a view differs from its query at the end.
# Run as root (the server runs as user postgres) or as postgres, after
# `bash scripts/setup.sh`.
set -euo pipefail
{
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$BENCH/out"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
[ -x "$PG_CONFIG" ] || { echo "recursive.sh: $PG_CONFIG not found; run: bash scripts/setup.sh" >&2; exit 1; }
PGBIN="$("$PG_CONFIG" --bindir)"
PORT="${PORT:-5478}"
EMPS=200000
NODES=20000
REPS=5
case "${1:-}" in
    --quick) EMPS=50000; NODES=5000; REPS=3 ;;
    "") ;;
    *) echo "recursive.sh: unknown argument '$1' (use --quick)" >&2; exit 2 ;;
esac

AS=()
[ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
WORK="$(mktemp -d /tmp/incrload-rbench.XXXXXX)"
chmod 755 "$WORK"
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK"
DATA="$WORK/data"
cleanup() {
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
"${AS[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log" >&2; exit 1; }
cat >> "$DATA/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORK'
shared_preload_libraries = 'incrload'
shared_buffers = 512MB
work_mem = 64MB
incrload.enabled = off
EOF
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w start >/dev/null ||
    { tail -20 "$WORK/server.log" >&2; exit 1; }
psql_() { "${AS[@]}" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d postgres "$@"; }

ORG="WITH RECURSIVE c(id, top, depth) AS (SELECT id, id, 0 FROM emp WHERE boss IS NULL
  UNION SELECT e.id, c.top, c.depth + 1 FROM c JOIN emp e ON e.boss = c.id) SELECT * FROM c"
ORGALL="${ORG/UNION SELECT/UNION ALL SELECT}"
REACH="WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT g.dst FROM r JOIN edge g ON g.src = r.n) SELECT n FROM r"
psql_ <<EOF
CREATE EXTENSION incrload;
CREATE TABLE emp (id int PRIMARY KEY, boss int, name text);
CREATE INDEX ON emp (boss);
INSERT INTO emp SELECT i, CASE WHEN i <= 10 THEN NULL ELSE i / 10 END, 'e' || i
  FROM generate_series(1, $EMPS) i;
CREATE TABLE edge (src int, dst int, note text);
CREATE INDEX ON edge (src);
INSERT INTO edge SELECT i, (i * 7919) % $NODES + 1, NULL FROM generate_series(1, $NODES) i;
INSERT INTO edge SELECT i, i % $NODES + 1, NULL FROM generate_series(1, $NODES, 10) i;
ANALYZE emp, edge;
SELECT incrload_register_view('org', \$q\$$ORG\$q\$);
SELECT incrload_register_view('reach', \$q\$$REACH\$q\$);
SELECT incrload_register_view('orgall', \$q\$$ORGALL\$q\$);
SELECT incrload_alter_view('org', strategy => 'incremental');
SELECT incrload_alter_view('reach', strategy => 'incremental');
SELECT incrload_alter_view('orgall', strategy => 'incremental');
CREATE MATERIALIZED VIEW org_mv AS $ORG;
CREATE MATERIALIZED VIEW reach_mv AS $REACH;
CREATE MATERIALIZED VIEW orgall_mv AS $ORGALL;
EOF

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# bench_case NAME VIEW CHANGE (@ stands for the repetition's number): the
# change, then the view's apply and REFRESH MATERIALIZED VIEW of the same
# query, REPS times, in one session as the worker applies (its plans kept;
# the first apply, which plans, is run and not counted)
RESULTS=()
bench_case() {
    local name="$1" view="$2" change="$3" script times mi mf
    script="${change//@/0}; SELECT incrload_refresh('$view');"$'\n''\timing on'$'\n'
    for i in $(seq 1 "$REPS"); do
        script+="\\timing off"$'\n'"${change//@/$i};"$'\n''\timing on'$'\n'
        script+="SELECT incrload_refresh('$view');"$'\n'"REFRESH MATERIALIZED VIEW ${view}_mv;"$'\n'
    done
    times="$(printf '%s\n' "$script" | psql_ -o /dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')"
    mi="$(printf '%s\n' "$times" | awk 'NR % 2 == 1' | median)"
    mf="$(printf '%s\n' "$times" | awk 'NR % 2 == 0' | median)"
    RESULTS+=("| $name | $mi | $mf | $(awk -v a="$mi" -v b="$mf" 'BEGIN { printf "%.1f", b / a }')× |")
}

bench_case "org: move a subtree (an employee and those below) to another boss" org \
    "UPDATE emp SET boss = 3 + @ % 5 WHERE id = 1234 + @"
bench_case "org: add an employee" org \
    "INSERT INTO emp VALUES ($EMPS + 1 + @, 77 + @, 'new')"
bench_case "org: remove an employee" org \
    "DELETE FROM emp WHERE id = $EMPS + 1 + @"
bench_case "org: update a column the query does not read" org \
    "UPDATE emp SET name = 'x@' WHERE id = 2"
bench_case "org, UNION ALL (counting): move a subtree" orgall \
    "UPDATE emp SET boss = 4 + @ % 5 WHERE id = 1234 + @"
bench_case "org, UNION ALL (counting): add an employee" orgall \
    "INSERT INTO emp VALUES ($EMPS + 101 + @, 88 + @, 'new')"
bench_case "org, UNION ALL (counting): remove an employee" orgall \
    "DELETE FROM emp WHERE id = $EMPS + 101 + @"
bench_case "reach: add an edge" reach \
    "INSERT INTO edge VALUES (7 + @, 100 + @, 'b')"
bench_case "reach: remove an edge" reach \
    "DELETE FROM edge WHERE note = 'b' AND src = 7 + @"

bad="$(psql_ -At -c "SELECT count(*) FROM (SELECT (incrload_verify(v)).* FROM unnest(ARRAY['org', 'reach', 'orgall']::regclass[]) v) x WHERE missing + extra > 0")"
mkdir -p "$OUT"
{
    echo "Recursive views, $EMPS employees, $NODES graph nodes; median of $REPS applies (ms)"
    echo
    echo "| change | incrload apply | REFRESH MATERIALIZED VIEW | ratio |"
    echo "| --- | ---: | ---: | ---: |"
    printf '%s\n' "${RESULTS[@]}"
} | tee "$OUT/recursive.md"
[ "$bad" = "0" ] || { echo "recursive.sh: $bad views differ from their queries" >&2; exit 1; }
exit 0
}
