#!/usr/bin/env bash
# Builds (once) and mounts a Debian chroot holding another PostgreSQL major:
#
#   bash scripts/pg-chroot.sh MAJOR        # prints the chroot's directory
#   bash scripts/pg-chroot.sh MAJOR umount # unmounts its /proc and /dev
#
#   MAJOR  suite         PostgreSQL packages from
#   17     trixie        trixie
#   18     sid           sid
#   19     sid           experimental (PostgreSQL packages only)
#
# The chroots are cached under ${INCRLOAD_CHROOT_CACHE:-/var/cache/incrload}/pgMAJOR
# and reused while their stamp file .incrload-ready matches this script's
# package list (a changed list installs what is missing); a missing or
# half-built one is removed and built again (debootstrap from the Debian
# mirror apt uses here: minutes each).
# Idempotent: running it again on a ready chroot only makes sure /proc and
# /dev are mounted.  Needs root.  Exits non-zero (and says why) when the
# chroot cannot be built, e.g. when the mirror is unreachable.
#
# Environment:
#   INCRLOAD_CHROOT_CACHE  where the chroots live (default /var/cache/incrload)
#   INCRLOAD_MIRROR        Debian mirror (default: the one in /etc/apt/sources.list*)
set -euo pipefail

MAJOR="${1:-}"
ACTION="${2:-mount}"
CACHE="${INCRLOAD_CHROOT_CACHE:-/var/cache/incrload}"

die() { echo "pg-chroot.sh: $*" >&2; exit 1; }

case "$MAJOR" in
    17) SUITE=trixie; PGSUITE="" ;;
    18) SUITE=sid; PGSUITE="" ;;
    19) SUITE=sid; PGSUITE=experimental ;;
    *) die "usage: pg-chroot.sh 17|18|19 [mount|umount] (15 is the host's; 16 is not on Debian's mirror)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, mount, chroot)"

DIR="$CACHE/pg$MAJOR"
STAMP="$DIR/.incrload-ready"

# What the chroot holds; a change here rebuilds cached chroots.
if [ -n "$PGSUITE" ]; then
    PGPKGS="postgresql-$MAJOR/$PGSUITE postgresql-server-dev-$MAJOR/$PGSUITE"
    PGPKGS="$PGPKGS postgresql-client-$MAJOR/$PGSUITE libpq-dev/$PGSUITE libpq5/$PGSUITE"
else
    PGPKGS="postgresql-$MAJOR postgresql-server-dev-$MAJOR"
fi
# prometheus (promtool), the exporter and YAML::XS: the monitoring tests
OTHERPKGS="build-essential libipc-run-perl ca-certificates locales"
OTHERPKGS="$OTHERPKGS prometheus prometheus-postgres-exporter libyaml-libyaml-perl"
WANT="suite=$SUITE pgsuite=$PGSUITE pg=$PGPKGS other=$OTHERPKGS v=2"

# Mounts below DIR, deepest first.
mounts_below() {
    awk -v d="$DIR" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

do_umount() {
    local m
    for m in $(mounts_below); do
        umount -l "$m" 2>/dev/null || true
    done
    [ -z "$(mounts_below)" ] || die "cannot unmount everything below $DIR"
}

do_mount() {
    mountpoint -q "$DIR/proc" || mount -t proc proc "$DIR/proc"
    if ! mountpoint -q "$DIR/dev"; then
        mount --rbind /dev "$DIR/dev"
        # unmounting inside must never reach the host's /dev
        mount --make-rslave "$DIR/dev"
    fi
}

# one build or mount at a time per chroot
mkdir -p "$CACHE"
exec 9>"$CACHE/pg$MAJOR.lock"
flock 9

if [ "$ACTION" = umount ]; then
    [ -d "$DIR" ] && do_umount
    exit 0
fi
[ "$ACTION" = mount ] || die "unknown action '$ACTION' (mount or umount)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    do_mount
    echo "$DIR"
    exit 0
fi

# --- (re)build ---------------------------------------------------------------
mirror() {
    if [ -n "${INCRLOAD_MIRROR:-}" ]; then
        echo "$INCRLOAD_MIRROR"
        return
    fi
    local m
    m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')"
    if [ -z "$m" ]; then
        m="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }')"
    fi
    echo "${m:-http://deb.debian.org/debian}"
}
MIRROR="$(mirror)"

if ! command -v debootstrap >/dev/null; then
    apt-get install -y -q debootstrap >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q debootstrap >/dev/null; } ||
        die "cannot install debootstrap"
fi

mkdir -p "$CACHE"
LOG="$CACHE/pg$MAJOR.log"
BASE="$DIR/.incrload-base"
if [ -e "$DIR" ] && [ ! -f "$BASE" ] && [ ! -f "$STAMP" ]; then
    echo "pg-chroot.sh: removing the half-built $DIR" >&2
    do_umount
    rm -rf --one-file-system "$DIR"
fi
if [ ! -e "$DIR" ]; then
    echo "pg-chroot.sh: building $DIR (debootstrap $SUITE from $MIRROR; log in $LOG)" >&2
    : >"$LOG"
    debootstrap --variant=minbase "$SUITE" "$DIR" "$MIRROR" >>"$LOG" 2>&1 ||
        { tail -20 "$LOG" >&2; die "debootstrap $SUITE from $MIRROR failed"; }
    {
        echo "deb $MIRROR $SUITE main"
        [ -n "$PGSUITE" ] && echo "deb $MIRROR $PGSUITE main"
    } >"$DIR/etc/apt/sources.list"
    # no services started by package scripts inside the chroot
    printf '#!/bin/sh\nexit 101\n' >"$DIR/usr/sbin/policy-rc.d"
    chmod +x "$DIR/usr/sbin/policy-rc.d"
    # Debian's packages create a cluster "main" on install: not wanted
    mkdir -p "$DIR/etc/postgresql-common/createcluster.d"
    echo "create_main_cluster = false" >"$DIR/etc/postgresql-common/createcluster.d/incrload.conf"
    echo "$SUITE" >"$BASE"
else
    echo "pg-chroot.sh: installing the packages $DIR lacks (log in $LOG)" >&2
fi
cp /etc/resolv.conf "$DIR/etc/resolv.conf" 2>/dev/null || true

do_mount
in_chroot() { chroot "$DIR" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C "$@"; }
# sid and experimental on a frozen mirror have Release files past Valid-Until
in_chroot apt-get -o Acquire::Check-Valid-Until=false -q update >>"$LOG" 2>&1 ||
    { tail -20 "$LOG" >&2; die "apt-get update in the $SUITE chroot failed"; }
# shellcheck disable=SC2086
in_chroot apt-get -o Acquire::Check-Valid-Until=false install -y -q --no-install-recommends \
    $OTHERPKGS $PGPKGS >>"$LOG" 2>&1 ||
    { tail -20 "$LOG" >&2; die "installing PostgreSQL $MAJOR in the $SUITE chroot failed"; }
in_chroot sh -c 'sed -i "s/^# *en_US.UTF-8/en_US.UTF-8/" /etc/locale.gen && locale-gen' >>"$LOG" 2>&1 || true
[ -x "$DIR/usr/lib/postgresql/$MAJOR/bin/pg_config" ] ||
    die "the $SUITE chroot has no /usr/lib/postgresql/$MAJOR/bin/pg_config after the install"
in_chroot apt-get clean >>"$LOG" 2>&1 || true

echo "$WANT" >"$STAMP"
echo "pg-chroot.sh: $DIR ready ($(in_chroot /usr/lib/postgresql/$MAJOR/bin/pg_config --version))" >&2
echo "$DIR"
