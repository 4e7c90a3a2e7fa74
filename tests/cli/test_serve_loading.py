"""Loading the app and reporting why it failed (cherrycli.serve.loading)."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from cherrycli.check import unknown_tools
from cherrycli.errors import CliError
from cherrycli.serve.loading import (
    error_page_app,
    format_load_error,
    user_code_error,
)
from cli_support import cherry, load_module


def _raise_in_app_code() -> BaseException:
    namespace: dict[str, object] = {}
    code = compile("def handler():\n    return {}['<key>']\n", "/srv/app.py", "exec")
    exec(code, namespace)
    try:
        namespace["handler"]()  # type: ignore[operator]
    except KeyError as error:
        return error
    raise AssertionError("unreachable")


def test_error_page_is_a_500_with_the_escaped_traceback() -> None:
    app = validator(error_page_app(_raise_in_app_code()))
    environ: dict[str, object] = {"QUERY_STRING": ""}
    setup_testing_defaults(environ)
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    start = lambda status, headers: seen.append((status, headers))  # noqa: E731
    result = app(environ, start)  # type: ignore[arg-type]
    body = b"".join(result)
    result.close()  # type: ignore[attr-defined]
    status, headers = seen[0]
    page = body.decode()
    assert status == "500 Internal Server Error"
    assert ("Content-Type", "text/html; charset=utf-8") in headers
    assert 'File "/srv/app.py", line 2, in handler' in page.replace("&quot;", '"')
    assert "KeyError: &#x27;&lt;key&gt;&#x27;" in page
    assert "<key>" not in page


def test_load_error_traceback_hides_loader_frames() -> None:
    try:
        import_module("no_such_module_for_test")
    except ModuleNotFoundError as error:
        text = format_load_error(error)
    assert "importlib" not in text
    assert text.endswith("ModuleNotFoundError: No module named 'no_such_module_for_test'\n")


def test_user_code_error_finds_the_app_exception_behind_a_cli_error() -> None:
    cause = _raise_in_app_code()
    try:
        try:
            raise cause
        except KeyError:
            raise CliError("error while importing 'app'") from None
    except CliError as error:
        assert user_code_error(error) is cause


def test_user_code_error_is_none_when_the_target_is_missing(tmp_path: Path) -> None:
    from cherrycli.importer import load_target

    with pytest.raises(CliError) as info:
        load_target("no_such_module_for_test:Root")
    assert user_code_error(info.value) is None


# -- tools the config switches on but the toolbox lacks --------------------------------

UNKNOWN_TOOL_APP = """\
import framework


class Shop:
    @framework.expose
    def cart(self):
        return "cart"


class Root:
    _cp_config = {
        "tools.nonesuch.on": True,
        # The stateful tools exist: they never warn.
        "tools.sessions.on": True,
        "tools.caching.on": True,
        "tools.gzip.on": True,
        "tools.etags.on": True,
    }
    shop = Shop()

    @framework.expose
    def index(self):
        return "x"
"""


def test_unknown_tools_are_listed_with_their_paths(tmp_path: Path) -> None:
    from framework.core.tree import Tree

    (tmp_path / "sess_tree_app.py").write_text(UNKNOWN_TOOL_APP)
    module = load_module(tmp_path / "sess_tree_app.py")
    tree = Tree()
    tree.mount(module.Root(), "")
    assert unknown_tools(tree) == {"nonesuch": ["/", "/shop/cart"]}


def test_loading_an_app_warns_about_an_unknown_tool_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "sess_app.py").write_text(UNKNOWN_TOOL_APP)
    result = cherry("profile", "sess_app.py", "-n", "1", cwd=tmp_path)
    assert (
        "warning: tools.nonesuch: switched on for /, /shop/cart, but there is no such tool: "
        "those paths answer 500"
    ) in result.stderr
    for tool in ("sessions", "caching", "gzip", "etags"):
        assert f"tools.{tool}" not in result.stderr


LEGACY_APP = """
import cherrypy
from cherrypy.lib import profiler


class Root:
    @cherrypy.expose
    def index(self):
        return "legacy"


def main():
    cherrypy.quickstart(Root(), "/", {"/": {"request.body.bufsize": 4096}})
"""


def test_serve_compat_warns_once_about_what_the_table_lists(tmp_path: Path) -> None:
    (tmp_path / "legacy.py").write_text(LEGACY_APP)
    (tmp_path / "site.conf").write_text("[/]\nrequest.body.bufsize = 4096\n")
    result = cherry(
        "profile", "legacy.py:Root", "--compat", "--config", "site.conf", "-n", "1", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any(
        "legacy.py:3: cherrypy.lib.profiler is different: cProfile" in line for line in lines
    ), lines
    assert any("request.body.bufsize is not provided" in line for line in lines), lines
    assert len(lines) == len(set(lines))


def test_without_compat_nothing_is_said_about_cherrypy(tmp_path: Path) -> None:
    (tmp_path / "native.py").write_text(
        "import framework\nclass Root:\n    @framework.expose\n    def index(self):\n"
        "        return 'x'\n"
    )
    result = cherry("profile", "native.py:Root", "-n", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stderr
