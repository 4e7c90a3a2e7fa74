#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv and install Cherry
# with its development extras. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Cherry needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" -V 2>&1)." >&2
    echo "Set PYTHON=/path/to/python3.11 and run again." >&2
    exit 1
fi
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV with $("$PYTHON" -V)"
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.cherry-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "==> installing Cherry and its development tools into $VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[dev,bench]"
    touch "$stamp"
fi
