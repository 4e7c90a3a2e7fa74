"""Shared pieces of the profiling tests: an app file that records what reached it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}

# An app file for the command tests: every hit of a handler is appended to hits.log so a
# test can see what reached it.
APP = textwrap.dedent(
    """
    from pathlib import Path

    import framework

    HITS = Path(__file__).with_name("hits.log")


    def record(line):
        with HITS.open("a") as handle:
            handle.write(line + "\\n")


    class Api:
        @framework.expose
        def status(self):
            return "ok"


    class Root:
        api = Api()

        @framework.expose
        def index(self):
            return "home"

        @framework.expose
        def unique_profiled_handler(self):
            return str(sum(range(500)))

        @framework.expose
        def item(self, item_id):
            return item_id

        @framework.expose
        def search(self, *, q):
            return q

        @framework.expose
        def echo(self, **kwargs):
            record(repr(sorted(kwargs.items())))
            return "echoed"

        @framework.expose
        def kind(self):
            record(framework.request.headers.get("Content-Type", ""))
            record(str(framework.request.config.get("greeting")))
            return "kind"
    """
)
DEFAULT_PATHS = ("/", "/api/status", "/echo", "/kind", "/unique_profiled_handler")


def write_app(directory: Path, name: str = "prof_app.py") -> Path:
    path = directory / name
    path.write_text(APP)
    return path


def hits(directory: Path) -> list[str]:
    log = directory / "hits.log"
    return log.read_text().splitlines() if log.exists() else []


def row(stdout: str, label: str) -> list[str]:
    """The cells of the table row for ``label`` (``GET /about``)."""
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│|]", line) if cell.strip()]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row for {label!r} in:\n{stdout}")
