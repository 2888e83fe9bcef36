#!/usr/bin/env bash
# The test command of incrload:  bash scripts/test.sh
#
# Builds and installs the extension (scripts/setup.sh), then runs
#   regress  pg_regress (sql/) and isolation (test/specs/) tests through PGXS
#            "make installcheck", in a throw-away cluster made by pg_virtualenv
#            with incrload in shared_preload_libraries;
#   tap      the TAP tests in test/t/*.pl (PostgreSQL::Test::Cluster), as the
#            postgres user in a copy of the repository;
# and ends with one line "N passed, N failed".  Exits non-zero when a test
# failed or when no test ran.
#
# Environment:
#   INCRLOAD_TEST_ONLY=regress|tap   run one suite only
#   INCRLOAD_SKIP_SETUP=1            don't run scripts/setup.sh (already built and installed)
#   INCRLOAD_SEED, INCRLOAD_SEEDS, INCRLOAD_ROUNDS   passed on to test/t/001_randomized.pl
#   PROVE_TESTS='test/t/001_*.pl'    which TAP files to run (default test/t/*.pl)
#   INCRLOAD_KEEP_LOGS=1             keep the test directories (logs) also when all passed
#   PG_CONFIG=/path/to/pg_config     another (relocated) PostgreSQL 15 installation
#                                    to build against and test with; default Debian's
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
ONLY="${INCRLOAD_TEST_ONLY:-}"

case "$ONLY" in
    ''|regress|tap) ;;
    *) echo "test.sh: INCRLOAD_TEST_ONLY must be regress or tap, not '$ONLY'" >&2; exit 2 ;;
esac

TOTAL_PASSED=0
TOTAL_FAILED=0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/incrload-test.XXXXXX")"
TAPDIR=""
REGDIR=""
KEEP_DIRS=0
[ "${INCRLOAD_KEEP_LOGS:-0}" = 1 ] && KEEP_DIRS=1

cleanup() {
    rm -rf "$WORK"
    if [ "$KEEP_DIRS" -eq 0 ]; then
        [ -n "$TAPDIR" ] && rm -rf "$TAPDIR"
        [ -n "$REGDIR" ] && rm -rf "$REGDIR"
    fi
    return 0
}
trap cleanup EXIT

summary_and_exit() {
    echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
    if [ "$TOTAL_FAILED" -gt 0 ] || [ $((TOTAL_PASSED + TOTAL_FAILED)) -eq 0 ]; then
        exit 1
    fi
    exit 0
}

section() { printf '\n===== %s =====\n' "$*"; }

# PostgreSQL refuses to run as root: root runs the servers as postgres.
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# --- build and install -------------------------------------------------------
if [ "${INCRLOAD_SKIP_SETUP:-0}" != 1 ]; then
    section "setup: build and install"
    if ! bash "$REPO/scripts/setup.sh"; then
        echo "test.sh: scripts/setup.sh failed (see above)"
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        summary_and_exit
    fi
fi
PGBIN="$("$PG_CONFIG" --bindir)"
PGXS_DIR="$(dirname "$(dirname "$(dirname "$("$PG_CONFIG" --pgxs)")")")"

# A copy of the repository that the user running the servers owns: initdb
# refuses root, and pg_regress writes its results into the tree.
copy_tree() {
    local dir
    dir="$(mktemp -d "${TMPDIR:-/tmp}/incrload-$1.XXXXXX")"
    tar -C "$REPO" --exclude=./.git --exclude=./tmp_check --exclude=./results \
        --exclude=./output_iso --exclude=./test/bench/out -cf - . | tar -C "$dir" -xf -
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres:postgres "$dir"
    fi
    echo "$dir"
}

# --- suite a: pg_regress + isolation ---------------------------------------
# Counts the per-test result lines of pg_regress / pg_isolation_regress, in the
# formats of PostgreSQL 15 ("test foo ... ok 12 ms", "     foo ... FAILED")
# and of later releases ("ok 1 - foo  12 ms", "not ok 2 - foo").
count_regress() {
    local logfile=$1
    awk '
        /^[[:space:]]*(test[[:space:]]+)?[^[:space:]]+[[:space:]]+\.\.\.[[:space:]]+/ {
            line = $0
            sub(/^.*\.\.\.[[:space:]]+/, "", line)
            if (line ~ /^ok/ || line ~ /^failed \(ignored\)/) passed++
            else if (line ~ /^FAILED/ || line ~ /^failed/) failed++
            next
        }
        /^[[:space:]]*not ok[[:space:]]+[0-9]+[[:space:]]+[-+]/ { failed++; next }
        /^[[:space:]]*ok[[:space:]]+[0-9]+[[:space:]]+[-+]/     { passed++; next }
        END { printf "%d %d\n", passed, failed }
    ' "$logfile"
}

run_regress() {
    section "regress + isolation (make installcheck, temporary instance)"
    local logfile="$WORK/regress.log" rc=0 counts passed failed
    REGDIR="$(copy_tree regress)"
    # Every server setting the tests assume; the worker is off so that
    # only the tests' own incrload_refresh() calls apply anything.
    cat >"$REGDIR/test/regress.conf" <<'CONF'
shared_preload_libraries = 'incrload'
incrload.enabled = off
max_prepared_transactions = 4
CONF
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$REGDIR/test/regress.conf"
    (
        cd "$REGDIR"
        unset PGHOST PGPORT PGDATABASE PGUSER PGSERVICE PGOPTIONS
        # pg_regress, then the isolation tests, each in a temporary instance
        # of its own; the second also when the first fails.  TAP_TESTS= :
        # the TAP suite runs below.
        tmpopts="--temp-instance=$REGDIR/tmp_check_regress --temp-config=$REGDIR/test/regress.conf"
        as_postgres bash -c '
            rc=0
            make installcheck PG_CONFIG="$1" ENCODING=UTF8 NO_LOCALE=1 TAP_TESTS= ISOLATION= EXTRA_REGRESS_OPTS="$2" || rc=$?
            make installcheck PG_CONFIG="$1" ENCODING=UTF8 NO_LOCALE=1 TAP_TESTS= REGRESS= EXTRA_REGRESS_OPTS="$2" || rc=$?
            exit $rc' bash "$PG_CONFIG" "$tmpopts" 2>&1
    ) | tee "$logfile" || rc=$?

    counts=$(count_regress "$logfile")
    passed=${counts% *}
    failed=${counts#* }
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "test.sh: make installcheck exited with status $rc without a failed test line; counting it as one failure"
        failed=1
    fi
    if [ "$failed" -gt 0 ]; then
        local diffs
        for diffs in $(find "$REGDIR" -maxdepth 3 -name regression.diffs 2>/dev/null | sort); do
            if [ -s "$diffs" ]; then
                echo "----- $diffs (first 300 lines) -----"
                head -n 300 "$diffs"
            fi
        done
        KEEP_DIRS=1
        echo "regress results kept in $REGDIR"
    fi
    echo "regress + isolation: $passed passed, $failed failed"
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
}

# --- suite b: TAP --------------------------------------------------------------
run_tap() {
    section "TAP (prove test/t/*.pl as postgres)"
    local pattern="${PROVE_TESTS:-test/t/*.pl}"
    TAPDIR="$(copy_tree tap)"

    local files=() f
    # shellcheck disable=SC2206  # the pattern is meant to be globbed
    files=( $(cd "$TAPDIR" && ls -1 $pattern 2>/dev/null || true) )
    if [ "${#files[@]}" -eq 0 ]; then
        echo "test.sh: no TAP test matches $pattern"
        return
    fi

    local passed=0 failed=0
    for f in "${files[@]}"; do
        local name logfile rc=0 p n
        name=$(basename "$f" .pl)
        logfile="$WORK/tap-$name.log"
        echo "--- $f"
        (
            cd "$TAPDIR"
            # What PGXS's prove_installcheck sets, plus the knobs of our tests.
            tapenv=(PATH="$PGBIN:$PATH" TESTDIR="$TAPDIR"
                    PG_REGRESS="$PGXS_DIR/src/test/regress/pg_regress")
            for v in INCRLOAD_SEED INCRLOAD_SEEDS INCRLOAD_ROUNDS \
                     PG_TEST_TIMEOUT_DEFAULT PG_TEST_NOCLEAN PG_TEST_EXTRA; do
                if [ -n "${!v+x}" ]; then tapenv+=("$v=${!v}"); fi
            done
            as_postgres env "${tapenv[@]}" \
                prove -v -I "$PGXS_DIR/src/test/perl" -I . "$f" 2>&1
        ) | tee "$logfile" || rc=$?
        # Assertions of this file: "ok N" / "not ok N" (subtests are indented).
        p=$(grep -Ec '^[[:space:]]*ok [0-9]+' "$logfile" || true)
        n=$(grep -Ec '^[[:space:]]*not ok [0-9]+' "$logfile" || true)
        if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
            echo "test.sh: $f failed (status $rc) without a failed assertion (died, or wrong plan); counting it as one failure"
            n=1
        fi
        if [ "$n" -gt 0 ]; then
            KEEP_DIRS=1
            local l
            for l in "$TAPDIR/tmp_check/log/regress_log_$name" "$TAPDIR"/tmp_check/log/"${name}"_*.log; do
                [ -f "$l" ] || continue
                echo "----- $l (last 150 lines) -----"
                tail -n 150 "$l"
            done
        fi
        echo "$f: $p passed, $n failed"
        passed=$((passed + p))
        failed=$((failed + n))
    done
    if [ "$KEEP_DIRS" -eq 1 ]; then
        echo "TAP logs kept in $TAPDIR/tmp_check/log (remove $TAPDIR when done)"
    fi
    echo "TAP: $passed passed, $failed failed"
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
}

if [ -z "$ONLY" ] || [ "$ONLY" = regress ]; then
    run_regress
fi
if [ -z "$ONLY" ] || [ "$ONLY" = tap ]; then
    run_tap
fi

echo
summary_and_exit
