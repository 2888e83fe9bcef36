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
#   PG_MAJOR=17|18|19                run the same suites against that major in a
#                                    Debian chroot (scripts/pg-chroot.sh builds it
#                                    once): first PostgreSQL 15 (PG_CONFIG) builds,
#                                    installs and makes a dump (test/major/make_dump.pl)
#                                    that test/t/021_dump_restore_major.pl restores
#                                    there; then a copy of the tree runs this script
#                                    in the chroot, its counts added to ours
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
MAJOR="${PG_MAJOR:-15}"
# inside a chroot this script runs the suites of the chroot's major itself
IN_CHROOT="${INCRLOAD_IN_CHROOT:-0}"
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

case "$MAJOR" in
    15|17|18|19) ;;
    *) echo "test.sh: PG_MAJOR must be 15, 17, 18 or 19, not '$MAJOR' (16 is not on Debian's mirror)" >&2; exit 2 ;;
esac

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
incrload.adaptive = off
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
    local pattern="${1:-${PROVE_TESTS:-test/t/*.pl}}"
    section "TAP (prove $pattern as postgres)"
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
                     INCRLOAD_OLD_DUMP INCRLOAD_DUMP_OUT \
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

# --- another major: the same suites in its chroot ---------------------------
# The tree is copied into the chroot (without build products) and this
# script runs there as root, as it runs here; its closing line
# "N passed, N failed" is added to ours, a missing one counts as a failure.
CHROOT=""
run_in_chroot() {
    local inner rc=0 logfile="$WORK/chroot.log" counts v
    local -a cenv
    section "PostgreSQL $MAJOR: the chroot (scripts/pg-chroot.sh $MAJOR)"
    if ! CHROOT="$(bash "$REPO/scripts/pg-chroot.sh" "$MAJOR")"; then
        echo "test.sh: no chroot for PostgreSQL $MAJOR (see above); counting it as one failure"
        CHROOT=""
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        return
    fi
    inner="$(mktemp -d "$CHROOT/tmp/incrload-test.XXXXXX")"
    tar -C "$REPO" --exclude=./.git --exclude=./tmp_check --exclude=./results \
        --exclude=./output_iso --exclude=./test/bench/out --exclude='*.o' \
        --exclude='*.so' --exclude='*.bc' -cf - . | tar -C "$inner" -xf -
    cenv=(PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
          INCRLOAD_IN_CHROOT=1 PG_MAJOR="$MAJOR"
          PG_CONFIG="/usr/lib/postgresql/$MAJOR/bin/pg_config")
    if [ -n "$OLD_DUMP" ]; then
        cp "$OLD_DUMP" "$inner/pg15.dump"
        cenv+=(INCRLOAD_OLD_DUMP="/tmp/$(basename "$inner")/pg15.dump")
    fi
    for v in INCRLOAD_TEST_ONLY INCRLOAD_SEED INCRLOAD_SEEDS INCRLOAD_ROUNDS \
             INCRLOAD_KEEP_LOGS PROVE_TESTS PG_TEST_TIMEOUT_DEFAULT PG_TEST_NOCLEAN PG_TEST_EXTRA; do
        if [ -n "${!v+x}" ]; then cenv+=("$v=${!v}"); fi
    done
    section "PostgreSQL $MAJOR: scripts/test.sh in the chroot"
    chroot "$CHROOT" /usr/bin/env -i "${cenv[@]}" \
        bash "/tmp/$(basename "$inner")/scripts/test.sh" 2>&1 | tee "$logfile" || rc=$?
    counts="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logfile" | tail -n 1 || true)"
    if [ -z "$counts" ]; then
        echo "test.sh: the run in the PostgreSQL $MAJOR chroot ended (status $rc) without its closing line; counting it as one failure"
        TOTAL_FAILED=$((TOTAL_FAILED + 1))
        KEEP_DIRS=1
    else
        TOTAL_PASSED=$((TOTAL_PASSED + ${counts%% *}))
        counts="${counts#* passed, }"
        TOTAL_FAILED=$((TOTAL_FAILED + ${counts%% *}))
        if [ "${counts%% *}" -gt 0 ]; then KEEP_DIRS=1; fi
    fi
    if [ "$KEEP_DIRS" -eq 1 ]; then
        echo "the chroot's copy of the tree (and its kept logs) is $inner"
    else
        rm -rf "$inner"
    fi
}

if [ "$MAJOR" != 15 ] && [ "$IN_CHROOT" != 1 ]; then
    # PostgreSQL 15 makes the dump that the other major restores
    OLD_DUMP=""
    if [ -z "$ONLY" ] || [ "$ONLY" = tap ]; then
        mkdir -p "$WORK/dump"
        chmod 755 "$WORK"
        if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$WORK/dump"; fi
        export INCRLOAD_DUMP_OUT="$WORK/dump/pg15.dump"
        run_tap 'test/major/make_dump.pl'
        unset INCRLOAD_DUMP_OUT
        if [ -s "$WORK/dump/pg15.dump" ]; then OLD_DUMP="$WORK/dump/pg15.dump"; fi
    fi
    run_in_chroot
    if [ -n "$CHROOT" ]; then bash "$REPO/scripts/pg-chroot.sh" "$MAJOR" umount || true; fi
    echo
    summary_and_exit
fi

if [ -z "$ONLY" ] || [ "$ONLY" = regress ]; then
    run_regress
fi
if [ -z "$ONLY" ] || [ "$ONLY" = tap ]; then
    run_tap
fi

echo
summary_and_exit
