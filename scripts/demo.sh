#!/usr/bin/env bash
# The quick start's first command: install what is needed, build and
# install incrload, then run a demo on a throwaway cluster: views are
# registered, writes run in the background, the worker keeps the views
# fresh, and incrload_stats shows it.
#
#   bash scripts/demo.sh          (as root on Debian 12)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/scripts/setup.sh"
exec pg_virtualenv -o shared_preload_libraries=incrload \
    -o incrload.naptime=200 -o incrload.launcher_naptime=500 \
    bash "$REPO/scripts/demo-session.sh"
