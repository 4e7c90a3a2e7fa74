"""``cherry serve`` exit statuses: usage errors exit 2, failures of the app exit 1.

The same mistake exits the same way with and without ``--reload``. Usage errors are what
the command line (or a setting standing in for it) got wrong: a malformed TARGET, a file
or module that does not exist, a bad option or ``CHERRY_*`` / ``[tool.cherry]`` value.
Failures are found by importing and running the app: a missing attribute, something
that is not an app, a CherryPy app run without ``--compat``, a port already in use.
One deliberate difference: an app whose own code raises while importing exits 1 without
``--reload`` (tests/cli/test_serve.py), while the reload supervisor stays up and serves
the traceback page until the next save (tests/cli/test_reload.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from serve_harness import cherry, copy_asset

RELOAD = pytest.mark.parametrize("reload", [[], ["--reload"]], ids=["plain", "reload"])


def _run(
    app_dir: Path, args: list[str], env: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    with cherry(["serve", *args], app_dir, env) as proc:
        code = proc.finish()
    assert "Traceback" not in proc.output
    return code, [line for line in proc.lines if line.startswith("error: ")]


@pytest.mark.live
@RELOAD
@pytest.mark.parametrize(
    ("args", "env", "pyproject", "code", "message"),
    [
        (["nofile.py", "--port", "0"], {}, "", 2, "file 'nofile.py' not found"),
        (["not a target", "--port", "0"], {}, "", 2, "invalid TARGET 'not a target'"),
        (["no_such_module_xyz:Root", "--port", "0"], {}, "", 2, "module 'no_such_module_xyz'"),
        (["app.py", "--port", "0", "-c", "absent.conf"], {}, "", 2, "config file not found"),
        (["app.py"], {"CHERRY_PORT": "abc"}, "", 2, "from CHERRY_PORT must be an integer"),
        (["app.py"], {"CHERRY_PORT": "99999"}, "", 2, "port 99999 is out of range"),
        (["app.py", "--port", "0"], {"CHERRY_COMPAT": "maybe"}, "", 2, "must be a boolean"),
        (["app.py"], {}, "port = 'eighty'", 2, "pyproject.toml must be an integer"),
        (["app.py:Nope", "--port", "0"], {}, "", 1, "'app' has no attribute 'Nope'"),
        (["app.py:VERSION", "--port", "0"], {}, "", 1, "app:VERSION is a str, not a root"),
    ],
)
def test_exit_status_of_a_mistake(
    tmp_path: Path,
    reload: list[str],
    args: list[str],
    env: dict[str, str],
    pyproject: str,
    code: int,
    message: str,
) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    if pyproject:
        (app_dir / "pyproject.toml").write_text(f"[tool.cherry]\n{pyproject}\n")
    status, errors = _run(app_dir, [*args, *reload], env)
    assert status == code
    assert len(errors) == 1
    assert message in errors[0]


@pytest.mark.live
@RELOAD
def test_unknown_host_is_a_usage_error(tmp_path: Path, reload: list[str]) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    status, errors = _run(app_dir, ["app.py", "--host", "no-such-host.invalid", *reload])
    assert status == 2
    assert errors[0].startswith("error: cannot resolve host 'no-such-host.invalid'")


HINT = "(hint: this app imports cherrypy: add --compat (or compat = true in [tool.cherry]))"


@pytest.mark.live
@RELOAD
def test_cherrypy_app_without_compat_fails_with_the_hint(tmp_path: Path, reload: list[str]) -> None:
    if importlib.util.find_spec("cherrypy") is None:
        pytest.skip("needs the real CherryPy installed (the dev extra)")
    app_dir = copy_asset("serve_compat", tmp_path)
    status, errors = _run(app_dir, ["app.py", "--port", "0", *reload])
    assert status == 1
    assert errors == [
        f"error: 'app' runs on the real CherryPy, so Cherry would serve nothing {HINT}"
    ]


@pytest.mark.live
def test_routes_refuses_a_cherrypy_app_without_compat(tmp_path: Path) -> None:
    if importlib.util.find_spec("cherrypy") is None:
        pytest.skip("needs the real CherryPy installed (the dev extra)")
    app_dir = copy_asset("serve_compat", tmp_path)
    with cherry(["routes", "app.py"], app_dir) as proc:
        status = proc.finish()
    assert status == 1
    assert proc.lines[-1].endswith(HINT)


@pytest.mark.live
def test_routes_refuses_a_target_that_is_not_an_app(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    with cherry(["routes", "app.py:VERSION"], app_dir) as proc:
        status = proc.finish()
    assert status == 1
    assert proc.lines == [
        "error: app:VERSION is a str, not a root object, class, Application or WSGI callable"
    ]
