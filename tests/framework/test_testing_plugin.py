"""Tests for framework.testing_plugin: the cherry_app, cherry_client and cherry_live_server
fixtures, their short names (app, client, live_server) and how they give way to
pytest-flask's and pytest-django's fixtures of the same names (both installed in the dev
venv, loaded here explicitly with -p).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A generated test project loading only our plugin, whether or not it is installed."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def run_project(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest("-p", "framework.testing_plugin", "-p", "no:cacheprovider", *args)


HELLO_CONFTEST = """
    import pytest

    def hello(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello " + environ["PATH_INFO"].encode("latin-1")]

    @pytest.fixture
    def app():
        return hello
"""


def test_plugin_client_drives_the_project_app_fixture(project: pytest.Pytester) -> None:
    project.makeconftest(HELLO_CONFTEST)
    project.makepyfile(
        """
        def test_hello(client):
            assert client.get("/x").text == "hello /x"
        """
    )
    run_project(project).assert_outcomes(passed=1)


def test_plugin_explains_a_missing_app_fixture(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        def test_needs_app(client):
            pass
        """
    )
    result = run_project(project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*define an `app` (or `cherry_app`) fixture returning your root object*"]
    )


CHERRY_APP_CONFTEST = """
    import pytest

    def hello(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"cherry " + environ["PATH_INFO"].encode("latin-1")]

    @pytest.fixture
    def cherry_app():
        return hello
"""

NAMESPACED_TESTS = """
    import urllib.request

    def test_client(cherry_client):
        assert cherry_client.get("/x").text == "cherry /x"

    def test_live_server(cherry_live_server):
        with urllib.request.urlopen(cherry_live_server + "/s", timeout=10) as reply:
            assert reply.read() == b"cherry /s"
"""


def test_namespaced_fixtures_drive_the_cherry_app_fixture(project: pytest.Pytester) -> None:
    project.makeconftest(CHERRY_APP_CONFTEST)
    project.makepyfile(
        NAMESPACED_TESTS
        + """
    def test_the_short_client_drives_cherry_app_too(client):
        assert client.get("/y").text == "cherry /y"
    """
    )
    run_project(project).assert_outcomes(passed=3)


def test_an_app_fixture_is_the_app_of_the_namespaced_fixtures(project: pytest.Pytester) -> None:
    project.makeconftest(HELLO_CONFTEST)
    project.makepyfile(
        """
        def test_client(cherry_client):
            assert cherry_client.get("/x").text == "hello /x"
        """
    )
    run_project(project).assert_outcomes(passed=1)


def fixture_owners(result: pytest.RunResult) -> dict[str, str]:
    """``pytest --fixtures`` output as fixture name -> the file defining it."""
    owners = {}
    for line in result.stdout.lines:
        name, sep, where = line.partition(" -- ")
        if sep and not line.startswith(" "):
            owners[name.split()[0]] = where
    return owners


def test_without_a_clash_the_short_names_are_cherrys(project: pytest.Pytester) -> None:
    owners = fixture_owners(run_project(project, "--fixtures"))
    for name in ("app", "client", "live_server"):
        assert "framework/testing_shortnames.py" in owners[name]
    for name in ("cherry_app", "cherry_client", "cherry_live_server"):
        assert "framework/testing" in owners[name]


@pytest.mark.parametrize("plugin", ["pytest_flask.plugin", "pytest_django.plugin"])
def test_a_clashing_plugin_keeps_its_short_names(project: pytest.Pytester, plugin: str) -> None:
    owners = fixture_owners(run_project(project, "-p", plugin, "--fixtures"))
    owner_project = plugin.split(".", maxsplit=1)[0]
    for name in ("client", "live_server"):
        assert f"{owner_project}/" in owners[name], owners[name]
    assert not any("testing_shortnames" in where for where in owners.values())
    for name in ("cherry_app", "cherry_client", "cherry_live_server"):
        assert "framework/testing_plugin.py" in owners[name]


@pytest.mark.parametrize("plugin", ["pytest_flask.plugin", "pytest_django.plugin"])
def test_namespaced_fixtures_work_beside_a_clashing_plugin(
    project: pytest.Pytester, plugin: str
) -> None:
    project.makeconftest(CHERRY_APP_CONFTEST)
    project.makepyfile(NAMESPACED_TESTS)
    run_project(project, "-p", plugin).assert_outcomes(passed=2)


def test_flask_and_cherry_apps_are_tested_side_by_side(project: pytest.Pytester) -> None:
    project.makeconftest(
        CHERRY_APP_CONFTEST
        + """
    import flask

    @pytest.fixture
    def app():
        flask_app = flask.Flask("side")
        flask_app.add_url_rule("/", "index", lambda: "flask")
        return flask_app
    """
    )
    project.makepyfile(
        """
        def test_both(client, cherry_client):
            assert client.get("/").data == b"flask"
            assert cherry_client.get("/").text == "cherry /"
        """
    )
    run_project(project, "-p", "pytest_flask.plugin").assert_outcomes(passed=1)


def test_beside_a_clashing_plugin_a_missing_cherry_app_is_explained(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        """
        def test_needs_app(cherry_client):
            pass
        """
    )
    result = run_project(project, "-p", "pytest_django.plugin")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*define a `cherry_app` fixture returning your root object*"])


def test_plugin_client_undoes_mounts_and_config(project: pytest.Pytester) -> None:
    import framework

    before = dict(framework.tree.apps)
    project.makepyfile(
        roots="""
        import framework

        class Extra:
            @framework.expose
            def index(self):
                return "extra"
        """,
        test_isolation="""
        import framework
        from roots import Extra

        def test_a_changes_globals(client):
            framework.tree.mount(Extra(), "/from-test")
            framework.config.update({"testing.marker": True})

        def test_b_sees_a_clean_state(client):
            assert "/from-test" not in framework.tree.apps
            assert "testing.marker" not in framework.config
        """,
    )
    project.makeconftest(
        HELLO_CONFTEST
        + """
    import framework
    from roots import Extra

    @pytest.fixture
    def app():
        framework.tree.mount(Extra(), "/from-fixture")
        return hello
    """
    )
    run_project(project).assert_outcomes(passed=2)
    assert framework.tree.apps == before


def test_plugin_module_imports_no_framework_code_eagerly() -> None:
    code = (
        "import sys, framework.testing_plugin; "
        "print(sorted(m for m in ('framework.testing', 'cheroot', 'click', 'rich', 'jinja2') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_plugin_live_server_serves_the_app_on_a_real_socket(project: pytest.Pytester) -> None:
    project.makeconftest(HELLO_CONFTEST)
    project.makepyfile(
        """
        import urllib.request

        def test_hello(live_server):
            assert live_server.startswith("http://127.0.0.1:")
            with urllib.request.urlopen(live_server + "/sock", timeout=10) as reply:
                assert reply.read() == b"hello /sock"
        """
    )
    run_project(project).assert_outcomes(passed=1)


def test_plugin_live_server_accepts_a_root_object_and_stops_after_the_test(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(
        """
        import pytest
        import framework

        class Root:
            @framework.expose
            def index(self):
                return "root over http"

        @pytest.fixture
        def app():
            return Root()
        """
    )
    project.makepyfile(
        """
        import socket
        import urllib.parse
        import urllib.request

        seen = []

        def test_serves(live_server):
            seen.append(urllib.parse.urlsplit(live_server).port)
            with urllib.request.urlopen(live_server + "/", timeout=10) as reply:
                assert reply.read() == b"root over http"

        def test_port_is_closed_afterwards():
            with socket.socket() as sock:
                assert sock.connect_ex(("127.0.0.1", seen[0])) != 0
        """
    )
    run_project(project).assert_outcomes(passed=2)


# -- the dispatch log (CHERRY_HANDLER_LOG) --------------------------------------------------

DISPATCH_CONFTEST = """
    import pytest
    import framework

    class Root:
        @framework.expose
        def index(self):
            return "home"

        @framework.expose
        def hidden(self, word):
            return "hidden " + word

    @pytest.fixture
    def app():
        return Root()
"""


def read_log(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def dispatch_log(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The log file the plugin is told to write, for a project with two handlers."""
    log = tmp_path / "dispatched.jsonl"
    monkeypatch.setenv("CHERRY_HANDLER_LOG", str(log))
    project.makeconftest(DISPATCH_CONFTEST)
    return log


def test_plugin_logs_each_dispatched_handler_once(
    project: pytest.Pytester, dispatch_log: Path
) -> None:
    project.makepyfile(
        """
        def test_pages(client):
            assert client.get("/").text == "home"
            assert client.get("/").text == "home"
            assert client.get("/missing").status_code == 404
        """
    )
    run_project(project).assert_outcomes(passed=1)
    (entry,) = read_log(dispatch_log)
    assert entry["handler"] == "conftest.Root.index"
    conftest = Path(str(entry["file"]))
    assert conftest.name == "conftest.py"
    # The first decorator's line, as `cherry routes` shows the location.
    assert entry["line"] == conftest.read_text().splitlines().index("    @framework.expose") + 1


def test_plugin_does_not_log_a_direct_call(project: pytest.Pytester, dispatch_log: Path) -> None:
    project.makepyfile(
        """
        from conftest import Root

        def test_direct(client):
            assert Root().hidden("z") == "hidden z"
        """
    )
    run_project(project).assert_outcomes(passed=1)
    assert dispatch_log.read_text() == ""  # written (the plugin ran), but empty


def test_plugin_logs_requests_to_the_live_server(
    project: pytest.Pytester, dispatch_log: Path
) -> None:
    project.makepyfile(
        """
        import urllib.request

        def test_hidden(live_server):
            with urllib.request.urlopen(live_server + "/hidden/z", timeout=10) as reply:
                assert reply.read() == b"hidden z"
        """
    )
    run_project(project).assert_outcomes(passed=1)
    assert [entry["handler"] for entry in read_log(dispatch_log)] == ["conftest.Root.hidden"]


def test_plugin_names_the_handler_behind_a_cherrypy_style_dispatcher(
    project: pytest.Pytester, dispatch_log: Path
) -> None:
    project.makepyfile(
        """
        import framework
        from framework.dispatch import Dispatcher
        from conftest import Root

        def legacy_dispatch(path_info):
            Dispatcher()(path_info)  # sets request.handler, as CherryPy dispatchers do

        def test_legacy(client):
            app = framework.Application(Root(), "", {"/": {"request.dispatch": legacy_dispatch}})
            from framework.testing import Client

            assert Client(app).get("/").text == "home"
        """
    )
    run_project(project).assert_outcomes(passed=1)
    assert [entry["handler"] for entry in read_log(dispatch_log)] == ["conftest.Root.index"]


def test_plugin_stops_observing_after_the_session(
    project: pytest.Pytester, dispatch_log: Path
) -> None:
    from framework.core.application import Application

    before = list(Application.observers)
    project.makepyfile(
        """
        from framework.core.application import Application

        def test_observed():
            assert "_DispatchRecorder.observe" in [o.__qualname__ for o in Application.observers]
        """
    )
    run_project(project).assert_outcomes(passed=1)
    assert Application.observers == before


def test_plugin_observes_nothing_without_the_variable(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHERRY_HANDLER_LOG", raising=False)
    project.makepyfile(
        """
        from framework.core.application import Application

        def test_unobserved():
            assert not [o for o in Application.observers if "_DispatchRecorder" in repr(o)]
        """
    )
    run_project(project).assert_outcomes(passed=1)
