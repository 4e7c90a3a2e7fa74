"""framework.compat.usage: the CherryPy names and config keys an app uses that don't just work.

The names come from the app's source (imports, from-imports, aliases, attribute
chains), the keys from the global and application config; each carries the
compatibility table's status and reason.
"""

from __future__ import annotations

import sys
import textwrap
import types
from pathlib import Path

import pytest

from framework import compat
from framework.compat import surface
from framework.compat.usage import app_modules, keys_in_config, names_in_source
from framework.core.tree import Tree

REASON = surface.NOT_PROVIDED["cherrypy.lib.covercp"]


def found(source: str) -> list[tuple[str, str, int]]:
    usages = names_in_source(textwrap.dedent(source), "app.py")
    return [(u.entry.name, u.entry.status, int(u.where.rpartition(":")[2])) for u in usages]


@pytest.mark.parametrize(
    "source",
    [
        "import cherrypy.lib.covercp",
        "from cherrypy.lib import covercp",
        "from cherrypy.lib.covercp import serve",
        "import cherrypy\ncherrypy.lib.covercp.serve()",
        "import cherrypy as cp\ncp.lib.covercp.serve()",
        "from cherrypy import lib\nlib.covercp.serve()",
    ],
)
def test_a_module_not_provided_is_found_however_it_is_named(source: str) -> None:
    (usage,) = [u for u in found(source) if u[0] == "cherrypy.lib.covercp"]
    assert usage[1] == "not provided"
    assert usage[2] == source.count("\n") + 1


def test_names_that_work_are_not_reported() -> None:
    assert found("import cherrypy\ncherrypy.expose\ncherrypy.request.headers.get('x')") == []


def test_a_different_name_is_reported_as_different() -> None:
    assert found("import cherrypy\ncherrypy.checker.on = False") == [
        ("cherrypy.checker", "different", 2)
    ]


def test_a_name_that_is_not_cherrypys_is_ignored() -> None:
    assert found("import covercp\ncovercp.lib.x\nfrom .cherrypy import lib") == []


def test_a_file_that_does_not_parse_yields_nothing() -> None:
    assert names_in_source("def broken(:", "bad.py") == []


def test_the_usage_line_names_the_place_and_the_reason() -> None:
    (usage,) = names_in_source("import cherrypy.lib.covercp\n", "app.py")
    assert str(usage) == f"app.py:1: cherrypy.lib.covercp is not provided: {REASON}"


def test_config_keys_are_read_flat_and_by_section() -> None:
    usages = keys_in_config(
        {
            "request.body.bufsize": 4096,
            "/": {"tools.encode.on": True, "server.wsgi_version": ("u", 0)},
        },
        "app '/'",
    )
    assert [(u.entry.name, u.where) for u in usages] == [
        ("request.body.bufsize", "app '/'"),
        ("server.wsgi_version", "app '/' [/]"),
    ]


def test_app_modules_are_those_holding_cherrypy(tmp_path: Path) -> None:
    compat.install()
    try:
        import cherrypy

        module = types.ModuleType("my_legacy_app")
        module.__file__ = str(tmp_path / "my_legacy_app.py")
        module.cherrypy = cherrypy  # type: ignore[attr-defined]
        plain = types.ModuleType("my_plain_module")
        plain.__file__ = str(tmp_path / "my_plain_module.py")
        sys.modules["my_legacy_app"] = module
        sys.modules["my_plain_module"] = plain
        try:
            names = [m.__name__ for m in app_modules()]
        finally:
            del sys.modules["my_legacy_app"], sys.modules["my_plain_module"]
    finally:
        compat.uninstall()
    assert "my_legacy_app" in names
    assert "my_plain_module" not in names


def test_unsupported_usage_reads_files_and_every_config(tmp_path: Path) -> None:
    app_file = tmp_path / "legacy.py"
    app_file.write_text("import cherrypy\nfrom cherrypy.process import win32\n")
    tree = Tree()
    tree.mount(None, "/api", {"/": {"request.body.bufsize": 4096}})
    usages = compat.unsupported_usage(tree, {"server.wsgi_version": ("u", 0)}, [app_file])
    assert [(u.entry.name, u.where) for u in usages] == [
        ("cherrypy.process.win32", f"{app_file}:2"),
        ("server.wsgi_version", "global config"),
        ("request.body.bufsize", "app '/api' [/]"),
    ]
