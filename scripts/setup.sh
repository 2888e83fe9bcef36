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
# prometheus-postgres-exporter and prometheus (for promtool) run the tests of
# monitoring/; libyaml-libyaml-perl lets those tests read its YAML files.
PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-common
          libipc-run-perl build-essential
          prometheus-postgres-exporter prometheus libyaml-libyaml-perl)

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
COMMANDS=(gcc make pg_virtualenv prove runuser prometheus-postgres-exporter promtool)
for cmd in "${COMMANDS[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
[ -x "$PG_CONFIG" ] || missing+=("$PG_CONFIG")
[ -x "$PGBIN/postgres" ] || missing+=("$PGBIN/postgres")
[ -f "$PGXS_MK" ] || missing+=("$PGXS_MK")
perl -MIPC::Run -e 1 >/dev/null 2>&1 || missing+=("perl IPC::Run")
perl -MYAML::XS -e 1 >/dev/null 2>&1 || missing+=("perl YAML::XS")

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
    # The exporter and prometheus packages would start their services (on
    # ports 9187 and 9090, the exporter against a "main" cluster that does not
    # exist): the tests start their own exporter on a free port and need
    # neither.  Without systemd running (containers, CI) their init scripts
    # would run through invoke-rc.d; a policy-rc.d that denies every start
    # stops that, and is removed again unless it was already there.
    # With systemd running, the services of packages installed now are
    # disabled too, so that they do not start at the next boot either.
    SERVICES=(prometheus prometheus-postgres-exporter)
    new_services=()
    for pkg in "${SERVICES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' ||
            new_services+=("$pkg")
    done
    policy=/usr/sbin/policy-rc.d
    added_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# scripts/setup.sh: start no service while installing\nexit 101\n' |
            as_root tee "$policy" >/dev/null
        as_root chmod 755 "$policy"
        added_policy=1
    fi
    rc=0
    as_root apt-get install -y --no-install-recommends "${PACKAGES[@]}" || rc=$?
    if [ "$added_policy" -eq 1 ]; then
        as_root rm -f "$policy"
    fi
    if [ "$rc" -ne 0 ]; then
        log "apt-get install failed (status $rc)"
        exit "$rc"
    fi
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        for svc in "${new_services[@]}"; do
            as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
        done
    fi
fi

# Check again: fail here, not halfway through the tests.
for cmd in "${COMMANDS[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || { log "still missing: $cmd"; exit 1; }
done
[ -x "$PG_CONFIG" ] || { log "still missing: $PG_CONFIG"; exit 1; }
[ -f "$PGXS_MK" ] || { log "still missing: $PGXS_MK"; exit 1; }
perl -MIPC::Run -e 1 || { log "still missing: perl module IPC::Run"; exit 1; }
perl -MYAML::XS -e 1 || { log "still missing: perl module YAML::XS"; exit 1; }

if [ "${INCRLOAD_SETUP_NO_BUILD:-0}" = 1 ]; then
    exit 0
fi
log "building $REPO with $("$PG_CONFIG" --version)"
make -C "$REPO" PG_CONFIG="$PG_CONFIG"
as_root make -C "$REPO" PG_CONFIG="$PG_CONFIG" install
log "installed incrload into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension"
