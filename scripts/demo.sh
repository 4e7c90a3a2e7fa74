#!/usr/bin/env bash
# Set everything up, scaffold a demo project and serve it with autoreload.
#   bash scripts/demo.sh            # http://127.0.0.1:8080/
#   PORT=9000 bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
root=$(pwd)
demo="${DEMO_DIR:-$root/build/demo}"
if [ ! -f "$demo/pyproject.toml" ]; then
    "$root/.venv/bin/cherry" new demo --template jinja --dir "$demo" --no-git
fi
cd "$demo"
exec "$root/.venv/bin/cherry" serve --reload --host "${HOST:-127.0.0.1}" --port "${PORT:-8080}"
