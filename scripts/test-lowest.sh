#!/usr/bin/env bash
# Prove pyproject.toml's lower bounds: run the test suite against the lowest version of
# each direct dependency it allows (runtime, and the test, jinja, mako, routes, redis and
# memcached extras).
#   bash scripts/test-lowest.sh               # the whole suite, no coverage
#   bash scripts/test-lowest.sh -k dispatch   # extra arguments go to pytest
#
# The venv is new each time, in a temporary directory, so nothing from .venv leaks in.
# pip cannot resolve to lowest versions, so uv (installed from PyPI into that venv) does:
# `--resolution lowest-direct` takes the lowest allowed version of every direct
# requirement and the newest of everything they pull in, as a user's fresh install could.
# The dev extra's tools (CherryPy, gunicorn, the plugins whose fixture names Cherry's
# must not clash with...) come next at their newest, constrained to leave that set as is.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
start_services
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'stop_services; rm -rf "$work"' EXIT
VENV="$work/venv"
PY="$VENV/bin/python"

# From pyproject.toml: the direct requirements under test, and the dev extra's tools.
read_pyproject() {
    "$PYTHON" - "$1" <<'EOF'
import re
import sys
import tomllib

with open("pyproject.toml", "rb") as handle:
    project = tomllib.load(handle)["project"]
extras = project["optional-dependencies"]
if sys.argv[1] == "floors":  # names of the requirements installed at their lowest
    requirements = project["dependencies"]
    for extra in ("test", "jinja", "mako", "routes", "redis", "memcached"):
        requirements += extras[extra]
    print("|".join(re.match(r"[A-Za-z0-9_.-]+", req)[0] for req in requirements))
else:  # the dev extra's own tools, one per line (not its cherrycli[...] line)
    print("\n".join(req for req in extras["dev"] if not req.startswith("cherrycli")))
EOF
}

echo "==> lowest direct dependencies: creating a venv in $work"
"$PYTHON" -m venv "$VENV"
"$PY" -m pip install --quiet uv
uv_pip() { "$PY" -m uv pip "$@" --python "$PY" --quiet --compile-bytecode; }
uv_pip install --resolution lowest-direct -e ".[test,jinja,mako,routes,redis,memcached]"
"$PY" -m uv pip freeze --python "$PY" --quiet --exclude-editable >"$work/lowest.txt"
read_pyproject tools >"$work/tools.txt"
# werkzeug<3: with click at its floor, the newest Flask that fits is 2.2, whose metadata
# lets in Werkzeug 3, which it cannot run with.
echo "werkzeug<3" >>"$work/tools.txt"
uv_pip install --constraint "$work/lowest.txt" -r "$work/tools.txt"
echo "==> installed (the floors under test):"
"$PY" -m pip list --format=freeze 2>/dev/null | grep -iE "^($(read_pyproject floors))==" \
    | tr '\n' ' '
echo
echo "==> pytest (lowest direct dependencies)"
"$PY" -m pytest -p no:cacheprovider "$@"
