"""docs/compat.md: every public CherryPy 18 name, generated and checked against CherryPy.

The document must equal what ``python -m framework.compat.table`` generates from the
installed CherryPy, and every CherryPy name must either resolve under the compat layer
or be listed with a reason: a name can't go missing silently. The classification
itself is tested on a small made-up surface, so each failure mode is seen to fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from framework.compat import surface
from framework.compat.table import BEGIN, END, Row, Table, cherrypy_surface, classify, render

DOC = Path(__file__).parents[2] / "docs" / "compat.md"


def test_the_document_is_up_to_date_and_nothing_is_missing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "framework.compat.table", "--check", "--output", str(DOC)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=DOC.parents[1],
    )
    assert done.returncode == 0, done.stderr


def test_the_surface_is_read_from_the_installed_cherrypy() -> None:
    modules, version = cherrypy_surface()
    assert version.startswith("18.")
    assert "HTTPRedirect" in modules["cherrypy"]
    assert "RoutesDispatcher" in modules["cherrypy.dispatch"]
    assert "basic_auth" in modules["cherrypy.lib.auth_basic"]
    assert {"proxy", "auth_digest", "cpstats", "sessions"} <= set(modules["cherrypy.tools"])
    # Imports are not names of the module: cptools imports md5 and re.
    assert "md5" not in modules["cherrypy.lib.cptools"]
    assert "re" not in modules["cherrypy.lib.cptools"]


def fake_surface() -> dict[str, list[str]]:
    return {"cherrypy": ["expose"], "cherrypy.process.win32": ["Win32Bus"]}


def test_a_name_that_does_not_resolve_without_a_reason_is_missing() -> None:
    table = classify({"cherrypy": ["expose", "gone"]}, "18", lambda m, n: n != "gone")
    assert table.missing == ["cherrypy.gone"]
    assert "cherrypy.gone: does not resolve" in table.problems[0]


def test_a_listed_name_that_resolves_is_stale() -> None:
    table = classify(fake_surface(), "18", lambda m, n: True)
    assert table.stale == ["cherrypy.process.win32"]
    assert "remove it from NOT_PROVIDED" in " ".join(table.problems)


def test_a_listed_name_cherrypy_lacks_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(surface.NOT_PROVIDED, "cherrypy.nothing_like_it", "why")
    table = classify(fake_surface(), "18", lambda m, n: m != "cherrypy.process.win32")
    assert "cherrypy.nothing_like_it" in table.unknown


def test_names_of_a_module_not_provided_take_its_reason() -> None:
    table = classify(fake_surface(), "18", lambda m, n: m == "cherrypy")
    (row,) = [row for row in table.rows if row.name == "Win32Bus"]
    assert row.status == "not provided"
    assert row.reason == surface.NOT_PROVIDED["cherrypy.process.win32"]
    assert table.missing == [] and table.stale == []


def test_render_keeps_the_hand_written_parts() -> None:
    table = Table("18.10.0", [Row("cherrypy", "expose", "works")])
    existing = (
        f"# Title\n\nintro by hand\n\n{BEGIN}\nold table\n{END}\n\n## Known differences\n\nmine\n"
    )
    text = render(table, existing)
    assert text.startswith("# Title\n\nintro by hand\n\n" + BEGIN)
    assert text.endswith(END + "\n\n## Known differences\n\nmine\n")
    assert "old table" not in text
    assert "`expose`" in text


def test_a_new_document_gets_a_known_differences_section() -> None:
    text = render(Table("18.10.0", [Row("cherrypy", "expose", "works")]))
    assert text.index(BEGIN) < text.index(END) < text.index("## Known differences")


def test_the_committed_document_has_a_known_differences_section() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text.index(END) < text.index("## Known differences")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("cherrypy.expose", "works"),
        ("cherrypy.process.win32", "not provided"),
        ("cherrypy.process.win32.Win32Bus", "not provided"),
        ("cherrypy.checker", "different"),
        ("cherrypy.checker.on", "works"),  # a difference of an object is not one of each name
    ],
)
def test_lookup(name: str, status: str) -> None:
    assert surface.lookup(name).status == status


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("tools.encode.on", "works"),
        ("request.body.bufsize", "not provided"),
        ("request.show_tracebacks", "works"),
    ],
)
def test_config_entry(key: str, status: str) -> None:
    assert surface.config_entry(key).status == status
