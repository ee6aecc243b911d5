#!/usr/bin/env bash
# Set up the peer (django-helpdesk) from ../shared/bench/peer-django-helpdesk in a writable copy
# under bench/out/peer (its own venv and seeded SQLite database), once. Prints the copy's path.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC="${PEER_SRC:-$HERE/../../shared/bench/peer-django-helpdesk}"
DST="$HERE/out/peer"
if [ ! -d "$SRC" ]; then echo "no peer at $SRC" >&2; exit 1; fi
if [ ! -f "$DST/site/seed_truth_sqlite.json" ]; then
  rm -rf "$DST"; mkdir -p "$HERE/out"
  cp -r "$SRC" "$DST"; chmod -R u+w "$DST"
  (cd "$DST" && bash setup.sh >setup.log 2>&1 && .venv/bin/python seed.py >seed.log 2>&1)
fi
echo "$DST"
