"""``cherry serve`` messages: config errors, the announced address, unmatched paths, notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from serve_harness import SUB_APP, cherry, copy_asset, free_port, poll, try_get

# -- 1. one reader for config files: same message and exit status everywhere ----------


@pytest.mark.live
@pytest.mark.parametrize(
    "command",
    [["routes"], ["serve"], ["serve", "--reload"], ["profile"]],
    ids=["routes", "serve", "serve-reload", "profile"],
)
def test_missing_config_file_is_one_usage_error_line(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "sub.py").write_text(SUB_APP)
    with cherry([*command, "sub.py", "--config", "nope.conf"], tmp_path) as proc:
        status = proc.finish()
    assert status == 2
    assert proc.lines == ["error: config file not found: nope.conf"]


@pytest.mark.live
def test_malformed_config_file_stays_a_failure_for_routes(tmp_path: Path) -> None:
    (tmp_path / "sub.py").write_text(SUB_APP)
    (tmp_path / "bad.conf").write_text("[/]\ntools.x.on = not_a_literal(\n")
    with cherry(["routes", "sub.py", "--config", "bad.conf"], tmp_path) as proc:
        status = proc.finish()
    assert status == 1
    assert len(proc.lines) == 1
    assert proc.lines[0].startswith("error: ") and "bad.conf" in proc.lines[0]


# -- 2. the announced address on a wildcard host --------------------------------------


# (announced_url itself: tests/cli/test_serve_listen.py)


@pytest.mark.live
@pytest.mark.parametrize("reload", [[], ["--reload"]])
def test_serve_on_all_interfaces_says_so(tmp_path: Path, reload: list[str]) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    port = free_port()
    conf = f'[global]\nserver.socket_host = "0.0.0.0"\nserver.socket_port = {port}\n'
    (app_dir / "prod.conf").write_text(conf)
    with cherry(["serve", "app.py", "--config", "prod.conf", *reload], app_dir) as proc:
        line = proc.wait_for(r"^Serving on .*").group(0)
        assert line.startswith(
            f"Serving on http://0.0.0.0:{port} (all interfaces; open http://127.0.0.1:{port}/)"
        )
        assert poll(lambda: try_get(f"http://127.0.0.1:{port}/")) == (200, "v1")


# -- 3. a request outside every mount point is logged ---------------------------------


@pytest.mark.live
@pytest.mark.parametrize("reload", [[], ["--reload"]])
def test_unmounted_paths_are_logged_once_and_mounted_ones_too(
    tmp_path: Path, reload: list[str]
) -> None:
    (tmp_path / "sub.py").write_text(SUB_APP)
    with cherry(["serve", "sub.py", "--port", "0", *reload], tmp_path) as proc:
        url = proc.url()
        root = url.removesuffix("/sub/")
        assert poll(lambda: try_get(url)) == (200, "under /sub")
        proc.wait_for(r'"GET /sub/ HTTP/1\.1" 200')
        assert try_get(root + "/x")[0] == 404
        proc.wait_for(r'"GET /x HTTP/1\.1" 404 \d+')
        # Both requests are done and logged: a second line for either would show by now.
        assert sum('"GET /sub/ ' in line for line in proc.lines) == 1
        assert sum('"GET /x ' in line for line in proc.lines) == 1


# -- 4. --reload cannot move the address: say so ---------------------------------------


# The notes themselves: tests/cli/test_serve_address.py.


@pytest.mark.live
def test_reload_notes_a_port_changed_in_the_config_file(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    first, second = free_port(), free_port()
    (app_dir / "dev.conf").write_text(f"[global]\nserver.socket_port = {first}\n")
    with cherry(["serve", "app.py", "--config", "dev.conf", "--reload"], app_dir) as proc:
        url = proc.url()
        assert url == f"http://127.0.0.1:{first}"
        proc.wait_watching()
        assert not any(line.startswith("note:") for line in proc.lines)
        mark = len(proc.lines)
        (app_dir / "dev.conf").write_text(f"[global]\nserver.socket_port = {second}\n")
        proc.wait_for(
            rf"^note: server\.socket_port changed to {second} in dev\.conf; the address is "
            r"fixed while cherry serve runs: restart it to move$",
            after=mark,
        )
        assert poll(lambda: try_get(url)) == (200, "v1")


@pytest.mark.live
def test_reload_with_a_port_option_notes_nothing(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    (app_dir / "dev.conf").write_text(f"[global]\nserver.socket_port = {free_port()}\n")
    args = ["serve", "app.py", "--config", "dev.conf", "--port", "0", "--reload"]
    with cherry(args, app_dir) as proc:
        proc.url()  # the worker writes any note before it reports ready
        assert not any(line.startswith("note:") for line in proc.lines)


# -- 5. reload-only options without --reload -------------------------------------------


@pytest.mark.live
@pytest.mark.parametrize("option", ["--reload-include", "--reload-exclude"])
def test_reload_options_without_reload_warn(tmp_path: Path, option: str) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    with cherry(["serve", "app.py", "--port", "0", option, "*.md"], app_dir) as proc:
        proc.url()
        assert f"warning: {option} has no effect without --reload" in proc.lines


@pytest.mark.live
def test_reload_options_with_reload_do_not_warn(tmp_path: Path) -> None:
    app_dir = copy_asset("serve_wsgi", tmp_path)
    args = ["serve", "app.py", "--port", "0", "--reload", "--reload-include", "*.md"]
    with cherry(args, app_dir) as proc:
        proc.url()
        assert not any(line.startswith("warning:") for line in proc.lines)
