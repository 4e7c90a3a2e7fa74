#!/usr/bin/env bash
# Prove pyproject.toml's lower bounds: run the test suite against the lowest version of
# each direct dependency that pyproject.toml allows (runtime, `test`, `jinja`, `mako`).
#   bash scripts/test-lowest.sh               # the whole suite, no coverage
#   bash scripts/test-lowest.sh -k dispatch   # extra arguments go to pytest
#
# The venv is new each time, in a temporary directory, so nothing from .venv leaks in.
# pip cannot resolve to lowest versions, so uv (installed from PyPI into that venv) does:
# `--resolution lowest-direct` takes the lowest allowed version of every direct
# requirement and the newest of everything they pull in, as a user's fresh install could.
# Tools only the tests use (CherryPy, gunicorn, the plugins whose fixture names Cherry's
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

echo "==> lowest direct dependencies: creating a venv in $work"
"$PYTHON" -m venv "$VENV"
"$PY" -m pip install --quiet uv
uv_pip() { "$PY" -m uv pip "$@" --python "$PY" --quiet --compile-bytecode; }
uv_pip install --resolution lowest-direct -e ".[test,jinja,mako]"
"$PY" -m uv pip freeze --python "$PY" --quiet --exclude-editable >"$work/lowest.txt"
# werkzeug<3: with click at its floor, the newest Flask that fits is 2.2, whose metadata
# lets in Werkzeug 3, which it cannot run with.
uv_pip install --constraint "$work/lowest.txt" \
    gunicorn hatchling "cherrypy==18.*" selenium ruff pytest-flask pytest-django "werkzeug<3"
echo "==> installed (the floors under test):"
names="$("$PY" - <<'EOF'
import re
import tomllib

with open("pyproject.toml", "rb") as handle:
    project = tomllib.load(handle)["project"]
extras = project["optional-dependencies"]
requirements = project["dependencies"] + extras["test"] + extras["jinja"] + extras["mako"]
print(" ".join(re.match(r"[A-Za-z0-9_.-]+", requirement)[0] for requirement in requirements))
EOF
)"
"$PY" -m pip list --format=freeze 2>/dev/null | grep -iE "^($(echo "$names" | tr ' ' '|'))==" \
    | tr '\n' ' '
echo
echo "==> pytest (lowest direct dependencies)"
"$PY" -m pytest -p no:cacheprovider "$@"
