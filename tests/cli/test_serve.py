"""``cherry serve``: the serving path, user mistakes, and the helpers behind them."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from cherrycli.errors import CliError
from cherrycli.serving import (
    bind_listener,
    error_page_app,
    format_load_error,
    mount_path,
    server_url,
    user_code_error,
)
from serve_harness import (
    SUB_APP,
    cherry,
    copy_asset,
    get,
    poll,
    port_is_free,
    try_get,
)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = bind_listener("127.0.0.1", 0)
    yield sock
    sock.close()


# -- helpers, in process ---------------------------------------------------------------


def test_bind_listener_listens_with_reuseaddr(listener: socket.socket) -> None:
    assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    with socket.create_connection(listener.getsockname()[:2], timeout=2):
        pass


def test_bind_listener_refuses_a_port_in_use(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with pytest.raises(CliError, match=f"port {port} on 127.0.0.1 is already in use") as info:
        bind_listener("127.0.0.1", port)
    assert info.value.exit_code == 1
    assert info.value.hint is not None


@pytest.mark.parametrize("port", [-1, 65536])
def test_bind_listener_refuses_an_out_of_range_port(port: int) -> None:
    with pytest.raises(CliError, match="out of range") as info:
        bind_listener("127.0.0.1", port)
    assert info.value.exit_code == 2


def test_bind_listener_refuses_an_unknown_host() -> None:
    with pytest.raises(CliError, match="cannot resolve host"):
        bind_listener("no-such-host.invalid", 0)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "http://127.0.0.1:"), ("0.0.0.0", "http://127.0.0.1:")],
)
def test_server_url_shows_an_address_to_open(host: str, expected: str) -> None:
    sock = bind_listener(host, 0)
    try:
        assert server_url(sock) == f"{expected}{sock.getsockname()[1]}"
    finally:
        sock.close()


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
    result = app(environ, lambda status, headers: seen.append((status, headers)))  # type: ignore[arg-type]
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


# -- live: `cherry serve` as a user runs it ---------------------------------------------


@pytest.mark.live
def test_serve_prints_the_url_and_answers(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    with cherry(["serve", "app.py", "--port", "0"], app_dir) as proc:
        url = proc.url()
        assert url.startswith("http://127.0.0.1:")
        assert poll(lambda: try_get(url)) == (200, "v1")
        assert proc.stop(signal.SIGINT) == 0


@pytest.mark.live
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_and_frees_the_port(tmp_path: Path, signum: int) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    with cherry(["serve", "app.py", "--port", "0"], app_dir) as proc:
        url = proc.url()
        poll(lambda: try_get(url))
        assert proc.stop(signum) == 0
        assert port_is_free("127.0.0.1", int(url.rsplit(":", 1)[1]))
        assert "Traceback" not in proc.output


@pytest.mark.live
def test_serve_mounts_a_root_class_with_the_config_file(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_root", tmp_path)
    args = ["serve", "app:Root", "--port", "0", "--config", "dev.conf"]
    with cherry(args, app_dir) as proc:
        url = proc.url()
        assert poll(lambda: try_get(url)) == (200, "v1")
        assert get(url + "/setting") == (200, "hello from dev.conf")
        proc.wait_for(r'"GET /setting HTTP/1\.1" 200')


@pytest.mark.live
def test_serve_compat_runs_an_unchanged_cherrypy_app(tmp_path: Path) -> None:
    pytest.importorskip("framework.compat")
    app_dir = copy_asset("serve_compat", tmp_path)
    with cherry(["serve", "app.py:Root", "--port", "0", "--compat"], app_dir) as proc:
        url = proc.url()
        assert poll(lambda: try_get(url)) == (200, "compat GET")


@pytest.mark.live
@pytest.mark.parametrize("reload", [[], ["--reload"]])
def test_port_in_use_is_one_line_and_exit_1(
    tmp_path: Path, listener: socket.socket, reload: list[str]
) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    port = str(listener.getsockname()[1])
    with cherry(["serve", "app.py", "--port", port, *reload], app_dir) as proc:
        code = proc.finish()
    assert code == 1
    assert proc.lines == [
        f"error: port {port} on 127.0.0.1 is already in use "
        "(hint: stop the other server or pick another port with --port)"
    ]


@pytest.mark.live
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["missing.py"], 2, "missing.py"),
        (["app.py:Nope"], 1, "Nope"),
        (["app.py", "--config", "absent.conf"], 2, "config file not found: absent.conf"),
        (["app.py", "--config", "absent.conf", "--reload"], 2, "config file not found"),
    ],
)
def test_user_mistakes_are_one_line(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    with cherry(["serve", *args, "--port", "0"], app_dir) as proc:
        status = proc.finish()
    assert status == code
    assert len(proc.lines) == 1
    assert message in proc.lines[0]
    assert proc.lines[0].startswith("error: ")


@pytest.mark.live
def test_out_of_range_port_is_a_usage_error(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    with cherry(["serve", "app.py", "--port", "70000"], app_dir) as proc:
        status = proc.finish()
    assert status == 2
    assert "--port" in proc.output and "65535" in proc.output
    assert "Traceback" not in proc.output


@pytest.mark.live
def test_broken_app_without_reload_is_one_line_with_its_location(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    (app_dir / "app.py").write_text("x = (\n")
    with cherry(["serve", "app.py", "--port", "0"], app_dir) as proc:
        status = proc.finish()
    assert status == 1
    assert len(proc.lines) == 1
    assert "SyntaxError" in proc.lines[0]
    assert "app.py:1" in proc.lines[0]


@pytest.mark.live
def test_serve_reads_the_target_from_pyproject_and_the_port_from_env(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    (app_dir / "pyproject.toml").write_text('[tool.cherry]\napp = "app:application"\n')
    with cherry(["serve"], app_dir, env={"CHERRY_PORT": "0"}) as proc:
        assert poll(lambda: try_get(proc.url())) == (200, "v1")


@pytest.mark.live
def test_serve_takes_the_address_from_the_config_file(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    probe = bind_listener("127.0.0.1", 0)
    port = probe.getsockname()[1]
    probe.close()
    (app_dir / "site.conf").write_text(f"[global]\nserver.socket_port = {port}\n")
    with cherry(["serve", "app.py", "--config", "site.conf"], app_dir) as proc:
        assert proc.url() == f"http://127.0.0.1:{port}"
        assert poll(lambda: try_get(proc.url())) == (200, "v1")


@pytest.mark.live
def test_exception_at_mount_without_reload_is_one_line(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_failing", tmp_path)
    with cherry(["serve", "mount.py:Root", "--port", "0"], app_dir) as proc:
        status = proc.finish()
    assert status == 1
    assert len(proc.lines) == 1
    assert "mount.py:6: RuntimeError: database is not configured" in proc.lines[0]


@pytest.mark.live
def test_failing_start_listener_without_reload_is_an_error(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_failing", tmp_path)
    with cherry(["serve", "start.py:Root", "--port", "0"], app_dir) as proc:
        status = proc.finish()
    assert status == 1
    assert proc.lines[-1] == "error: the app failed to start: cannot reach the <cache> server"


@pytest.mark.live
def test_malformed_config_file_is_one_line(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    (app_dir / "bad.conf").write_text("[global]\nserver.thread_pool = os.system('x')\n")
    with cherry(["serve", "app.py", "--config", "bad.conf", "--port", "0"], app_dir) as proc:
        status = proc.finish()
    assert status == 1
    assert len(proc.lines) == 1
    assert proc.lines[0].startswith("error: ")
    assert "bad.conf" in proc.lines[0]


def test_engine_messages_below_warning_are_dropped() -> None:
    from cherrycli.serving import _warnings_only

    seen: list[tuple[str, int]] = []
    forward = _warnings_only(lambda msg, level: seen.append((msg, level)))
    forward("Bus STARTING", 20)
    forward("Port is slow to free", 30)
    assert seen == [("Port is slow to free", 30)]


def test_stale_modules_notices_an_edited_loaded_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cherrycli.reloader import _stale_modules

    (tmp_path / "edited_after_preload.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import_module("edited_after_preload")  # forgotten after the test (conftest.py)
    since = time.time()
    assert not _stale_modules(since + 3600)
    os.utime(tmp_path / "edited_after_preload.py", (since + 60, since + 60))
    assert _stale_modules(since + 30)


# -- what serve prints: access lines for plain WSGI, the mount point in the URL -------


def test_access_logged_writes_one_framework_access_line() -> None:
    import logging

    from cherrycli.serving import access_logged

    def wsgi(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        start_response("201 Created", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    access = logging.getLogger("cherry.access")
    access.addHandler(handler)
    try:
        environ: dict[str, object] = {"QUERY_STRING": "q=1", "PATH_INFO": "/items"}
        environ["SCRIPT_NAME"] = ""
        setup_testing_defaults(environ)
        result = validator(access_logged(wsgi))(environ, lambda status, headers: None)  # type: ignore[arg-type]
        assert b"".join(result) == b"ok"
        result.close()  # type: ignore[attr-defined]
    finally:
        access.removeHandler(handler)
    assert len(lines) == 1
    assert '"GET /items?q=1 HTTP/1.0" 201 2' in lines[0]


@pytest.mark.parametrize(
    ("apps", "path"),
    [({"": 1}, "/"), ({"/sub": 1}, "/sub/"), ({"/a/b": 1, "/z": 1}, "/z/"), ({}, "/")],
)
def test_mount_path_is_where_the_app_answers(apps: dict[str, int], path: str) -> None:
    assert mount_path(SimpleNamespace(apps=apps)) == path  # type: ignore[arg-type]


def test_mount_path_of_a_plain_callable_is_the_root() -> None:
    assert mount_path(error_page_app(ValueError("x"))) == "/"


@pytest.mark.live
def test_serve_prints_access_lines_for_a_plain_wsgi_callable(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    with cherry(["serve", "app.py", "--port", "0"], app_dir) as proc:
        url = proc.url()
        assert poll(lambda: try_get(url + "/hello")) == (200, "v1")
        proc.wait_for(r'"GET /hello HTTP/1\.1" 200 2 ')


@pytest.mark.live
@pytest.mark.parametrize("reload", [[], ["--reload"]])
def test_serve_prints_the_url_of_an_application_with_its_script_name(
    tmp_path: Path, reload: list[str]
) -> None:
    (tmp_path / "sub_app.py").write_text(SUB_APP)
    with cherry(["serve", "sub_app.py", "--port", "0", *reload], tmp_path) as proc:
        url = proc.url()
        assert url.endswith("/sub/")
        assert poll(lambda: try_get(url)) == (200, "under /sub")


# -- the address an unchanged CherryPy app sets itself (--compat, without --reload) ----


def _free_port() -> int:
    probe = bind_listener("127.0.0.1", 0)
    try:
        port: int = probe.getsockname()[1]
        return port
    finally:
        probe.close()


OWN_PORT_APP = """
import cherrypy

cherrypy.config.update({{"server.socket_port": {port}}})


class Root:
    @cherrypy.expose
    def index(self):
        return "legacy2"
"""


@pytest.mark.live
@pytest.mark.parametrize("override", ["none", "option", "env", "pyproject", "config"])
def test_compat_app_port_ranks_below_options_settings_and_config(
    tmp_path: Path, override: str
) -> None:
    pytest.importorskip("framework.compat")
    own, chosen = _free_port(), _free_port()
    (tmp_path / "legacy2.py").write_text(OWN_PORT_APP.format(port=own))
    args, env = ["serve", "legacy2.py", "--compat"], {}
    if override == "option":
        args += ["--port", str(chosen)]
    elif override == "env":
        env["CHERRY_PORT"] = str(chosen)
    elif override == "pyproject":
        (tmp_path / "pyproject.toml").write_text(f"[tool.cherry]\nport = {chosen}\n")
    elif override == "config":
        (tmp_path / "site.conf").write_text(f"[global]\nserver.socket_port = {chosen}\n")
        args += ["--config", "site.conf"]
    expected = own if override == "none" else chosen
    with cherry(args, tmp_path, env) as proc:
        assert proc.url() == f"http://127.0.0.1:{expected}"
        assert poll(lambda: try_get(proc.url())) == (200, "legacy2")
