"""``cherrycli.script``: a script's ``__main__`` block, run with the engine captured."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import framework
from cherrycli.script import main_block, run_main_block, serves
from cli_support import load_module
from serve_harness import cherry, copy_asset, get, poll


@pytest.fixture(autouse=True)
def _restore_tree() -> object:
    saved = dict(framework.tree.apps)
    yield
    framework.tree.apps.clear()
    framework.tree.apps.update(saved)
    framework.config.reset()


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('if __name__ == "__main__":\n    run()\n', True),
        ("if '__main__' == __name__:\n    run()\n", True),
        ('if __name__ != "__main__":\n    run()\n', False),
        ("def f():\n    if __name__ == '__main__':\n        run()\n", False),
        ("x = 1\n", False),
    ],
)
def test_main_block_is_the_top_level_name_test(source: str, found: bool) -> None:
    assert (main_block(source) is not None) is found


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("cherrypy.quickstart(Root())", True),
        ("framework.quickstart(Root())", True),
        ("cherrypy.tree.mount(Root(), '/')", True),
        ("cp.engine.start()", True),
        ("engine.block()", True),
        ("argparse.ArgumentParser().parse_args()", False),
        ("main()", False),
    ],
)
def test_serves_looks_for_a_call_that_serves(call: str, expected: bool) -> None:
    assert serves(f"def go():\n    {call}\n") is expected


def _script(tmp_path: Path, body: str) -> ModuleType:
    path = tmp_path / "script_app.py"
    path.write_text(textwrap.dedent(body))
    return load_module(path)


def test_the_block_mounts_with_its_config_and_never_serves(tmp_path: Path) -> None:
    module = _script(
        tmp_path,
        """
        import sys
        import framework

        argv_seen = []

        class Root:
            @framework.expose
            def index(self):
                return "home"

        if __name__ == "__main__":
            argv_seen.extend(sys.argv)
            framework.config.update({"server.socket_port": 9123})
            framework.quickstart(Root(), "/shop", {"/": {"tools.encode.encoding": "latin-1"}})
            framework.engine.exit()
        """,
    )
    argv = list(sys.argv)
    block = run_main_block(module)
    assert block is not None
    assert (block.mounted, block.started) == (["/shop"], True)
    assert module.argv_seen == [str(tmp_path / "script_app.py")]
    assert sys.argv == argv
    app = framework.tree.apps["/shop"]
    assert app.config["/"]["tools.encode.encoding"] == "latin-1"
    assert framework.server.socket_port == 9123
    assert not framework.server.running
    assert framework.engine.state == framework.process.states.STOPPED
    # The engine is itself again afterwards.
    assert "start" not in vars(framework.engine)
    assert "subscribe" not in vars(framework.engine.signals)


def test_a_block_that_does_not_serve_is_never_run(tmp_path: Path) -> None:
    module = _script(
        tmp_path,
        """
        RAN = []
        if __name__ == "__main__":
            RAN.append(True)
        """,
    )
    assert run_main_block(module) is None
    assert module.RAN == []


def test_an_error_in_the_block_propagates(tmp_path: Path) -> None:
    module = _script(
        tmp_path,
        """
        import framework
        if __name__ == "__main__":
            framework.tree.mount(None, "/x")
            raise LookupError("missing setting")
        """,
    )
    with pytest.raises(LookupError, match="missing setting"):
        run_main_block(module)
    assert "start" not in vars(framework.engine)


# -- live: cherry serve and routes on a CherryPy script ------------------------------------


@pytest.mark.live
@pytest.mark.parametrize("reload", [[], ["--reload"]], ids=["plain", "reload"])
def test_serve_honours_every_mount_and_config_of_the_main_block(
    tmp_path: Path, reload: list[str]
) -> None:
    app_dir = copy_asset("serve_script", tmp_path)
    args = ["serve", "legacy.py:Root", "--compat", "--port", "0", *reload]
    with cherry(args, app_dir) as proc:
        url = proc.url()
        assert get(url + "/") == (200, "legacy home")
        assert get(url + "/api/ping") == (200, "pong")
        assert get(url + "/static/site.css") == (200, "body { color: #c00; }\n")
        proc.wait_for(
            r"^note: ran the __main__ block of legacy\.py: serving what it mounts \(/, /api\)"
        )
        proc.wait_for(
            r"^note: the app sets server\.socket_port = 9099; cherry serve uses the port it "
            r"was given \(0\)"
        )


@pytest.mark.live
def test_without_a_port_the_scripts_own_port_is_used(tmp_path: Path) -> None:
    from serve_harness import free_port

    app_dir = copy_asset("serve_script", tmp_path)
    port = free_port()
    script = app_dir / "legacy.py"
    script.write_text(script.read_text().replace("9099", str(port)))
    with cherry(["serve", "legacy.py", "--compat"], app_dir) as proc:
        assert proc.url() == f"http://127.0.0.1:{port}"
        poll(lambda: get(proc.url() + "/static/site.css")[0] == 200, message="static")


def test_routes_lists_what_the_main_block_mounts(tmp_path: Path) -> None:
    from cli_support import cherry as run_cherry

    app_dir = copy_asset("serve_script", tmp_path)
    result = run_cherry("routes", "legacy.py", "--compat", "--json", cwd=app_dir)
    assert result.returncode == 0, result.stderr
    import json

    paths = {route["path"] for route in json.loads(result.stdout)}
    assert paths == {"/", "/api/ping", "/static/{*path}"}


@pytest.mark.parametrize("command", ["serve", "routes"])
def test_a_script_that_mounts_nothing_is_one_clear_line(tmp_path: Path, command: str) -> None:
    from cli_support import cherry as run_cherry

    app_dir = copy_asset("serve_script", tmp_path)
    result = (
        run_cherry(command, "nomount.py", "--compat", "--port", "0", cwd=app_dir)
        if (command == "serve")
        else run_cherry(command, "nomount.py", "--compat", cwd=app_dir)
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: nomount.py mounts no app: its __main__ block ran without quickstart(root) "
        "or tree.mount(root) (hint: mount the root object in the block, or name it: "
        "nomount.py:Root)"
    )
