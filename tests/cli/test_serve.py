"""``cherry serve`` as a user runs it (cherrycli.commands.serve, cherrycli.serve.server).

The library modules have their own tests: test_serve_address.py (where it listens),
test_serve_listen.py (the socket and the URL), test_serve_loading.py (the app and its
load errors); test_reload.py covers ``--reload``.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from cherrycli.serve.listen import bind_listener
from serve_harness import (
    SUB_APP,
    cherry,
    copy_asset,
    free_port,
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
    port = free_port()
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
    from cherrycli.serve.server import _warnings_only

    seen: list[tuple[str, int]] = []
    forward = _warnings_only(lambda msg, level: seen.append((msg, level)))
    forward("Bus STARTING", 20)
    forward("Port is slow to free", 30)
    assert seen == [("Port is slow to free", 30)]


# -- what serve prints: access lines for plain WSGI, the mount point in the URL -------


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
    own, chosen = free_port(), free_port()
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
