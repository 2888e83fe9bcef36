#!/usr/bin/env bash
# Makes a private, relocated copy of Debian's PostgreSQL 15 in DIR, so that
# several working trees can build, install and test incrload side by side
# without overwriting each other's installed incrload.so:
#
#   bash scripts/private-pg.sh /opt/pg-mine
#   PG_CONFIG=/opt/pg-mine/usr/lib/postgresql/15/bin/pg_config bash scripts/test.sh
#
# PostgreSQL finds its share and lib directories relative to its binaries,
# so the copy is a complete installation (server, PGXS, headers, TAP modules).
set -euo pipefail
DIR=${1:?usage: private-pg.sh DIR}
# packages only: building here would install into the system copy
INCRLOAD_SETUP_NO_BUILD=1 bash "$(dirname "${BASH_SOURCE[0]}")/setup.sh" >/dev/null
mkdir -p "$DIR/usr/lib/postgresql" "$DIR/usr/share/postgresql" "$DIR/usr/include"
cp -a /usr/lib/postgresql/15 "$DIR/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$DIR/usr/share/postgresql/"
cp -a /usr/include/postgresql "$DIR/usr/include/"
rm -f "$DIR/usr/lib/postgresql/15/lib/incrload.so" "$DIR"/usr/share/postgresql/15/extension/incrload*
echo "PG_CONFIG=$DIR/usr/lib/postgresql/15/bin/pg_config"
