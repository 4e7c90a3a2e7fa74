#!/usr/bin/env bash
# Set everything up and run the whole test suite: lint, types, tests with coverage.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -k dispatch     # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/services.sh
start_services
trap stop_services EXIT

PY=.venv/bin/python
echo "==> ruff"
$PY -m ruff check .
$PY -m ruff format --check .
echo "==> mypy"
$PY -m mypy
echo "==> pytest (with coverage)"
rm -f .coverage .coverage.*
$PY -m coverage run -m pytest "$@"
$PY -m coverage combine -q
$PY -m coverage report
