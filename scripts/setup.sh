#!/usr/bin/env bash
# Install what building and testing incrload needs (Debian 12, PostgreSQL 15),
# then build and install the extension.  Safe to run again: packages are only
# installed when something is missing.
#
#   bash scripts/setup.sh          (as root, or with sudo available)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# PG_CONFIG may name another (relocated) copy of PostgreSQL 15 to build
# against and install into; Debian's is the default and what apt installs.
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
PGBIN="$(dirname "$PG_CONFIG")"
PGXS_MK="$(dirname "$PGBIN")/lib/pgxs/src/makefiles/pgxs.mk"
PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-common
          libipc-run-perl build-essential)

log() { echo "setup.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root for: $*"
        exit 1
    fi
}

missing=()
for cmd in gcc make pg_virtualenv prove runuser; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
[ -x "$PG_CONFIG" ] || missing+=("$PG_CONFIG")
[ -x "$PGBIN/postgres" ] || missing+=("$PGBIN/postgres")
[ -f "$PGXS_MK" ] || missing+=("$PGXS_MK")
perl -MIPC::Run -e 1 >/dev/null 2>&1 || missing+=("perl IPC::Run")

if [ "${#missing[@]}" -gt 0 ]; then
    log "missing: ${missing[*]}; installing ${PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update
    # Debian's postgresql-common would create and start a "main" cluster;
    # the tests make their own throw-away clusters and need none.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        as_root mkdir -p /etc/postgresql-common/createcluster.d
        echo 'create_main_cluster = false' |
            as_root tee /etc/postgresql-common/createcluster.d/incrload-no-main.conf >/dev/null
    fi
    as_root apt-get install -y --no-install-recommends "${PACKAGES[@]}"
fi

# Check again: fail here, not halfway through the tests.
for cmd in gcc make pg_virtualenv prove runuser; do
    command -v "$cmd" >/dev/null 2>&1 || { log "still missing: $cmd"; exit 1; }
done
[ -x "$PG_CONFIG" ] || { log "still missing: $PG_CONFIG"; exit 1; }
[ -f "$PGXS_MK" ] || { log "still missing: $PGXS_MK"; exit 1; }
perl -MIPC::Run -e 1 || { log "still missing: perl module IPC::Run"; exit 1; }

log "building $REPO with $("$PG_CONFIG" --version)"
make -C "$REPO" PG_CONFIG="$PG_CONFIG"
as_root make -C "$REPO" PG_CONFIG="$PG_CONFIG" install
log "installed incrload into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension"
