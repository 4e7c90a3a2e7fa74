#!/usr/bin/env bash
# Set everything up and run the whole test suite: lint, types, tests with coverage.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -k dispatch     # extra arguments go to pytest (and skip the
#                                        # CherryPy suite, tests/cherrypy_suite)
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
if [ "$#" -eq 0 ]; then
    echo "==> CherryPy's own test suite against Cherry (tests/cherrypy_suite)"
    $PY tests/cherrypy_suite/run.py --check-ratchet
fi
echo "==> pytest (with coverage)"
rm -f .coverage .coverage.*
$PY -m coverage run -m pytest "$@"
$PY -m coverage combine -q
$PY -m coverage report
