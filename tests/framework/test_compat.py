"""framework.compat: ``import cherrypy`` resolves to the framework, from one alias table.

The first half checks the import machinery (aliases, laziness, clear errors, install
and uninstall); the second serves an unchanged CherryPy-style application
(``compat_apps/sample_app.py``) on the framework and on the real CherryPy 18 and
compares the answers request by request.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from compat_apps.side_by_side import Req, assert_same_answers, real_cherrypy_answers, replay

import framework
from framework import compat
from framework.testing import Client

SAMPLE_APP = Path(__file__).parent / "compat_apps" / "sample_app.py"


@pytest.fixture
def aliases() -> Iterator[None]:
    """Install the ``cherrypy`` aliases for one test; remove them afterwards."""
    compat.install()
    try:
        yield
    finally:
        compat.uninstall()


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter; return its stdout (fail on error)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# -- the alias table ----------------------------------------------------------------------
@pytest.mark.usefixtures("aliases")
@pytest.mark.parametrize(
    "name", ["config", "tree", "request", "response", "serving", "tools", "log", "url"]
)
def test_cherrypy_attributes_are_the_frameworks_live_objects(name: str) -> None:
    import cherrypy

    assert getattr(cherrypy, name) is getattr(framework, name)


@pytest.mark.usefixtures("aliases")
@pytest.mark.parametrize(
    "name", ["expose", "popargs", "HTTPError", "HTTPRedirect", "NotFound", "Application"]
)
def test_cherrypy_api_names_are_the_frameworks(name: str) -> None:
    import cherrypy

    assert getattr(cherrypy, name) is getattr(framework, name)


@pytest.mark.usefixtures("aliases")
@pytest.mark.parametrize("name", ["Tool", "HandlerTool", "HandlerWrapperTool", "ErrorTool"])
def test_cherrypy_tool_classes_are_the_per_request_adapters(name: str) -> None:
    import cherrypy

    from framework.compat import tools as compat_tools

    assert getattr(cherrypy, name) is getattr(compat_tools, name)
    assert issubclass(getattr(cherrypy, name), framework.Tool)


@pytest.mark.usefixtures("aliases")
@pytest.mark.parametrize(
    ("alias", "target"),
    [
        ("cherrypy.dispatch", "framework.dispatch"),
        ("cherrypy._cpdispatch", "framework.dispatch"),
        ("cherrypy._cptools", "framework.compat.tools"),
        ("cherrypy._cperror", "framework.errors"),
        ("cherrypy._cpconfig", "framework.core.config"),
        ("cherrypy._cptree", "framework.compat.cptree"),
        ("cherrypy._cprequest", "framework.core.request"),
        ("cherrypy.lib.httputil", "framework.lib.httputil"),
        ("cherrypy.lib.cptools", "framework.lib.cptools"),
        ("cherrypy.lib.jsontools", "framework.lib.jsontools"),
        ("cherrypy.lib.encoding", "framework.lib.encoding"),
        ("cherrypy.process.plugins", "framework.process.plugins"),
        ("cherrypy.process.wspbus", "framework.process.wspbus"),
        ("cherrypy.process.servers", "framework.process.adapter"),
    ],
)
def test_a_module_alias_is_the_framework_module_itself(alias: str, target: str) -> None:
    assert importlib.import_module(alias) is importlib.import_module(target)


@pytest.mark.usefixtures("aliases")
def test_every_alias_in_the_table_names_its_target() -> None:
    for alias, (target, feature) in compat.ALIASES.items():
        assert alias == "cherrypy" or alias.startswith("cherrypy."), alias
        assert target == "framework" or target.startswith("framework."), target
        assert feature, alias


@pytest.mark.usefixtures("aliases")
def test_aliasing_keeps_the_framework_modules_own_spec() -> None:
    import cherrypy.lib.httputil

    spec = cherrypy.lib.httputil.__spec__
    assert spec is not None and spec.name == "framework.lib.httputil"


@pytest.mark.usefixtures("aliases")
def test_submodule_aliases_do_not_add_attributes_to_framework_modules() -> None:
    import cherrypy._cptools
    import cherrypy.process.servers

    assert cherrypy._cptools is importlib.import_module("framework.compat.tools")
    assert "_cptools" not in vars(framework)
    assert "servers" not in vars(importlib.import_module("framework.process"))


@pytest.mark.usefixtures("aliases")
def test_package_aliases_expose_children_without_an_import() -> None:
    import cherrypy

    # CherryPy makes its lib modules available after a bare `import cherrypy`.
    assert cherrypy.lib.jsontools is framework.lib.jsontools
    assert cherrypy.process.plugins is importlib.import_module("framework.process.plugins")


@pytest.mark.usefixtures("aliases")
def test_from_import_of_children_works() -> None:
    from cherrypy.lib import cptools, httputil
    from cherrypy.process import wspbus

    assert httputil.HeaderMap is framework.httputil.HeaderMap
    assert cptools.allow is framework.lib.cptools.allow
    assert isinstance(framework.engine, wspbus.Bus)


@pytest.mark.usefixtures("aliases")
def test_dir_of_a_package_alias_lists_its_aliased_children() -> None:
    import cherrypy

    assert {"sessions", "static", "httputil"} <= set(dir(cherrypy.lib))
    assert {"tree", "config", "engine"} <= set(dir(cherrypy))


@pytest.mark.usefixtures("aliases")
def test_version_is_the_cherrypy_release_matched_and_other_dunders_are_not_forwarded() -> None:
    import cherrypy

    assert cherrypy.__version__ == compat.CHERRYPY_VERSION == "18.10.0"
    assert framework.__version__ != cherrypy.__version__  # Cherry's own version stays
    assert cherrypy.__name__ == "cherrypy"
    assert not hasattr(cherrypy, "__file__")


@pytest.mark.usefixtures("aliases")
def test_repr_of_a_package_alias_says_what_it_stands_for() -> None:
    import cherrypy

    assert repr(cherrypy.lib) == "<module 'cherrypy.lib' (alias of 'framework.lib')>"


@pytest.mark.usefixtures("aliases")
def test_unknown_attribute_names_the_alias_and_its_target() -> None:
    import cherrypy

    with pytest.raises(AttributeError, match="'cherrypy' \\(an alias of 'framework'\\)"):
        cherrypy.no_such_thing


@pytest.mark.usefixtures("aliases")
def test_deleting_a_request_proxy_keeps_it_working() -> None:
    # COMPAT: code switching session stores runs ``del cherrypy.session``.
    import cherrypy

    class Root:
        _cp_config = {"tools.sessions.on": True}

        @cherrypy.expose
        def index(self) -> str:
            if hasattr(cherrypy, "session"):
                del cherrypy.session
            cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
            return str(cherrypy.session["n"])

    client = Client(Root())
    assert [client.get("/").text for _ in range(2)] == ["1", "2"]
    assert cherrypy.session is framework.session


@pytest.mark.usefixtures("aliases")
def test_cherrypys_process_wide_cache_is_the_default_cache() -> None:
    import cherrypy

    from framework.lib import caching

    assert cherrypy._cache is caching.default_cache


@pytest.mark.usefixtures("aliases")
def test_deleting_an_attribute_set_through_the_alias_removes_it() -> None:
    import cherrypy

    cherrypy._private_mark = 1
    cherrypy.public_mark = 2
    assert framework.public_mark == 2  # type: ignore[attr-defined]
    del cherrypy._private_mark
    del cherrypy.public_mark
    assert not hasattr(cherrypy, "_private_mark")
    assert not hasattr(framework, "public_mark")
    with pytest.raises(AttributeError):
        del cherrypy._never_set


# -- clear errors -------------------------------------------------------------------------
@pytest.mark.usefixtures("aliases")
def test_a_missing_feature_fails_with_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        compat.ALIASES, "cherrypy.lib.teleport", ("framework.lib.teleport", "teleportation")
    )
    with pytest.raises(ModuleNotFoundError, match="teleportation") as caught:
        importlib.import_module("cherrypy.lib.teleport")
    assert "framework.lib.teleport is missing" in str(caught.value)
    assert caught.value.name == "cherrypy.lib.teleport"


@pytest.mark.usefixtures("aliases")
def test_a_missing_feature_as_attribute_is_an_attribute_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cherrypy

    monkeypatch.setitem(
        compat.ALIASES, "cherrypy.lib.teleport", ("framework.lib.teleport", "teleportation")
    )
    with pytest.raises(AttributeError, match="teleportation"):
        cherrypy.lib.teleport


@pytest.mark.usefixtures("aliases")
def test_an_import_error_inside_an_existing_target_is_not_disguised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A framework module that exists but imports something missing keeps that error.
    (tmp_path / "compat_broken_target.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(compat.ALIASES, "cherrypy.broken", ("compat_broken_target", "x"))
    with pytest.raises(ModuleNotFoundError) as caught:
        importlib.import_module("cherrypy.broken")
    assert caught.value.name == "no_such_dependency_xyz"


@pytest.mark.usefixtures("aliases")
@pytest.mark.parametrize("name", ["cherrypy.test", "cherrypy.test.helper", "cherrypy.wsgiserver"])
def test_an_unmapped_cherrypy_module_fails_clearly(name: str) -> None:
    with pytest.raises(ModuleNotFoundError, match="compatibility layer"):
        importlib.import_module(name)


# -- install / uninstall ------------------------------------------------------------------
def test_install_is_idempotent() -> None:
    compat.install()
    compat.install()
    try:
        assert compat.installed()
        assert sum(1 for finder in sys.meta_path if finder is compat._FINDER) == 1
    finally:
        compat.uninstall()
    assert not compat.installed()


def test_install_imports_nothing() -> None:
    before = set(sys.modules)
    compat.install()
    try:
        assert set(sys.modules) == before
    finally:
        compat.uninstall()


def test_uninstall_without_install_does_nothing() -> None:
    before = dict(sys.modules)
    compat.uninstall()
    assert dict(sys.modules) == before


def test_uninstall_forgets_the_aliases() -> None:
    compat.install()
    import cherrypy.lib.httputil  # noqa: F401

    compat.uninstall()
    assert not [name for name in sys.modules if name.split(".")[0] == "cherrypy"]


def test_cherrypy_tools_register_makes_cherrypy_tools_until_uninstalled() -> None:
    from framework.compat import tools as compat_tools

    compat.install()
    try:
        import cherrypy

        @cherrypy.tools.register("on_start_resource")
        def compat_example() -> None: ...

        made_under_compat = cherrypy.tools.compat_example
        assert cherrypy.tools is framework.tools  # the same box, CherryPy's class
        assert isinstance(made_under_compat, cherrypy.Tool)
        assert made_under_compat._point == "on_start_resource"
    finally:
        compat.uninstall()
        vars(framework.tools).pop("compat_example", None)
    assert type(framework.tools) is framework.Toolbox
    assert not isinstance(framework.tools.tool_class("before_handler", len), compat_tools.Tool)


@pytest.mark.usefixtures("aliases")
def test_the_request_module_holds_the_hook_classes() -> None:
    import cherrypy

    from framework import hooks

    assert (cherrypy._cprequest.Hook, cherrypy._cprequest.HookMap) == (hooks.Hook, hooks.HookMap)
    ordered = sorted([hooks.Hook(len, priority=48), hooks.Hook(len), hooks.Hook(len, priority=49)])
    assert [hook.priority for hook in ordered] == [48, 49, 50]


def test_install_sets_aside_an_already_imported_cherrypy(monkeypatch: pytest.MonkeyPatch) -> None:
    earlier = types.ModuleType("cherrypy")
    monkeypatch.setitem(sys.modules, "cherrypy", earlier)
    compat.install()
    try:
        import cherrypy

        assert cherrypy is not earlier
        assert cherrypy.tree is framework.tree
    finally:
        compat.uninstall()
    assert sys.modules["cherrypy"] is earlier


def test_install_wins_over_the_real_cherrypy_imported_first() -> None:
    out = run_python(
        """
        import cherrypy as real
        from framework import compat
        compat.install()
        import cherrypy
        import cherrypy.lib.httputil
        import framework
        print(cherrypy.tree is framework.tree, cherrypy is not real)
        compat.uninstall()
        import cherrypy
        print(cherrypy is real)
        """
    )
    assert out.split() == ["True", "True", "True"]


def test_engine_and_server_load_only_when_used() -> None:
    out = run_python(
        """
        import sys
        from framework import compat
        compat.install()
        import cherrypy
        print("framework.process" in sys.modules, "cheroot" in sys.modules)
        from cherrypy.process.wspbus import Bus
        print(isinstance(cherrypy.engine, Bus), "framework.process" in sys.modules)
        """
    )
    assert out.split() == ["False", "False", "True", "True"]


# -- an unchanged CherryPy-style application ----------------------------------------------
SAMPLE_SESSION: tuple[Req, ...] = (
    Req("GET", "/", expect_body="Sample home"),
    Req("GET", "/archive/2024/05/", expect_body="archive 2024/05"),
    Req("GET", "/archive/2024/05/count", expect_body="count for 2024-05"),
    Req("GET", "/archive/2024/05", status=301),
    Req("GET", "/api/items", expect_body='[["1", "apple"], ["2", "pear"]]'),
    Req("GET", "/api/items/2", expect_body='{"id": "2", "name": "pear"}'),
    Req("GET", "/api/items/9", page="default", status=404, expect_in="No item 9"),
    Req("POST", "/api/items", body="name=plum", status=303),
    Req("GET", "/api/items/3", expect_body='{"id": "3", "name": "plum"}'),
    Req("PUT", "/api/items/3", page="default", status=405),
    Req("DELETE", "/api/items/3", status=202, expect_body="deleted 3"),
    Req("GET", "/api/items/3", page="default", status=404),
    Req("GET", "/stats", "verbose=1", expect_body='{"pages": 3, "verbose": true, "method": "GET"}'),
    Req("GET", "/old", status=301),
    Req("GET", "/back", status=302),
    Req("GET", "/status", "code=404", expect_body="404|Not Found|Nothing matches the given URI"),
    Req("GET", "/query", "a=1&a=2&b=3", expect_body="[('a', ['1', '2']), ('b', '3')]"),
    Req("GET", "/late", expect_body="hook attached"),
    Req("GET", "/fail", page="default", status=500),
)


@pytest.fixture
def sample_app_client(aliases: None) -> Iterator[Client]:
    """Load and mount compat_apps/sample_app.py under the aliases; return a client."""
    spec = importlib.util.spec_from_file_location("compat_sample_app", SAMPLE_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.mount()
    try:
        yield Client(framework.tree)
    finally:
        vars(framework.tools).pop("stamp", None)


def test_sample_app_answers_as_on_cherrypy(sample_app_client: Client) -> None:
    real = real_cherrypy_answers({"app": str(SAMPLE_APP)}, SAMPLE_SESSION)
    ours = replay(sample_app_client, SAMPLE_SESSION)
    assert_same_answers("sample_app", SAMPLE_SESSION, real, ours)


def test_sample_app_global_config_file_applies(sample_app_client: Client) -> None:
    response = sample_app_client.get("/")
    assert response.headers["X-Site"] == "sample"


def test_sample_app_tool_subclass_runs_its_own_setup(sample_app_client: Client) -> None:
    assert sample_app_client.post("/stats").headers["X-Stamp"] == "sample:POST"


def test_sample_app_hook_attached_at_run_time_runs(sample_app_client: Client) -> None:
    response = sample_app_client.get("/late")
    assert response.headers["X-Late"] == "yes"


def test_sample_app_hook_attached_at_run_time_stays_with_its_request(
    sample_app_client: Client,
) -> None:
    sample_app_client.get("/late")
    assert "X-Late" not in sample_app_client.get("/").headers


def test_sample_app_hides_exception_text_when_tracebacks_are_off(
    sample_app_client: Client,
) -> None:
    response = sample_app_client.get("/fail")
    assert response.status_code == 500
    assert "hidden detail" not in response.text


@pytest.mark.usefixtures("aliases")
def test_replacing_cherrypy_tree_replaces_the_tree_the_server_serves() -> None:
    import cherrypy

    from framework import _globals
    from framework.process import server

    old = _globals.tree
    try:
        cherrypy.tree = cherrypy._cptree.Tree()
        assert framework.tree is cherrypy.tree is _globals.tree is not old
        assert server._default_app() is cherrypy.tree
    finally:
        cherrypy.tree = old


@pytest.mark.usefixtures("aliases")
def test_private_and_module_attributes_stay_on_the_alias() -> None:
    import cherrypy

    cherrypy._app_private = 1
    try:
        assert cherrypy._app_private == 1
        assert not hasattr(framework, "_app_private")
    finally:
        del cherrypy._app_private


@pytest.mark.usefixtures("aliases")
def test_cherrypy_wsgi_modules_are_the_frameworks() -> None:
    import cherrypy

    from framework import wsgi

    assert cherrypy._cpwsgi.VirtualHost is wsgi.VirtualHost
    assert cherrypy._cpwsgi.CPWSGIApp is wsgi.Pipeline
    assert callable(cherrypy._cpwsgi_server.CPWSGIServer)


@pytest.mark.usefixtures("aliases")
def test_the_native_server_name_builds_the_default_server() -> None:
    import cherrypy._cpnative_server

    from framework.process.server import Server

    srv = Server(lambda environ, start_response: [b""])
    srv.socket_port = 0
    built = [cherrypy._cpnative_server.CPHTTPServer(srv), srv.build_cheroot()]
    try:
        assert type(built[0]) is type(built[1])
        assert built[0].bind_addr == ("127.0.0.1", 0)
    finally:
        # cheroot registers every server's statistics; these never start.
        for httpserver in built:
            logging.statistics.pop(f"Cheroot HTTPServer {id(httpserver)}", None)  # type: ignore[attr-defined]


@pytest.mark.usefixtures("aliases")
def test_cherrypy_only_names_of_the_package() -> None:
    import cherrypy

    from framework import checker, context, errors

    assert cherrypy.checker is checker.checker
    assert cherrypy.thread_data is context.thread_data
    assert cherrypy.CherryPyException is errors.CherryPyException
    assert issubclass(cherrypy.HTTPError, cherrypy.CherryPyException)
    assert issubclass(cherrypy.HTTPRedirect, cherrypy.CherryPyException)
    assert issubclass(cherrypy.InternalRedirect, cherrypy.CherryPyException)
    assert cherrypy.wsgi.CPWSGIApp is framework.wsgi.Pipeline


@pytest.mark.usefixtures("aliases")
def test_the_bus_module_holds_the_engine() -> None:
    import cherrypy.process.wspbus as wspbus

    assert wspbus.bus is framework.engine


@pytest.mark.usefixtures("aliases")
def test_reprconf_evaluates_and_resolves_as_cherrypy_does(tmp_path: Path) -> None:
    from cherrypy.lib import reprconf

    assert reprconf.unrepr("dict(a=1, **{'b': 2})") == {"a": 1, "b": 2}
    assert reprconf.unrepr("") == ""
    assert reprconf.attributes("os.path.join") is __import__("os").path.join
    conf = tmp_path / "app.conf"
    conf.write_text("[/]\nvalue: %(x)s + 1\nx: 41\n", encoding="utf-8")
    assert reprconf.Parser().dict_from_file(str(conf)) == {"/": {"value": 42, "x": 41}}
