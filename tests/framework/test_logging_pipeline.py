"""Access and error logs written by real requests, globally and per application.

Each test points a log at a file in ``tmp_path`` through config (``log.*`` keys, in
the global config or in an app's ``[/]`` section), serves requests in process, and
reads the file back. Files are detached again after each test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import framework
from framework.core.log import LogManager
from framework.testing import Client

COMBINED = re.compile(
    r"(?P<host>\S+) - (?P<user>\S+) \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-) "(?P<referer>[^"]*)" '
    r'"(?P<agent>[^"]*)"'
)


class Root:
    @framework.expose
    def index(self, **params: str) -> str:
        return "home"

    @framework.expose
    def boom(self) -> str:
        raise RuntimeError("kaboom")

    @framework.expose
    def secret(self) -> str:
        framework.request.login = "ann"
        return "s3cret"

    @framework.expose
    def stream(self) -> Iterator[bytes]:
        framework.response.stream = True
        return iter([b"a", b"b"])


@pytest.fixture
def global_files() -> Iterator[None]:
    """Detach whatever the test pointed the global log files at."""
    yield
    framework.log.access_file = ""
    framework.log.error_file = ""


@pytest.fixture
def app_logs() -> Iterator[list[LogManager]]:
    """Logs of apps created by a test; their files are detached afterwards."""
    logs: list[LogManager] = []
    yield logs
    for log in logs:
        log.access_file = ""
        log.error_file = ""


def app_client(app_logs: list[LogManager], conf: dict[str, Any]) -> Client:
    app = framework.Application(Root(), "", {"/": conf})
    app_logs.append(app.log)
    return Client(app)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def parse(line: str) -> dict[str, str]:
    match = COMBINED.fullmatch(line)
    assert match is not None, f"not an Apache combined line: {line!r}"
    return match.groupdict()


# -- access log ----------------------------------------------------------------------------
def test_app_access_log_writes_one_combined_line_per_request(
    app_logs: list[LogManager], tmp_path: Path
) -> None:
    access = tmp_path / "access.log"
    client = app_client(app_logs, {"log.access_file": str(access)})
    client.get("/?x=1", headers={"Referer": "http://ref.example/", "User-Agent": "probe/1.0"})
    assert [parse(line) for line in lines(access)] == [
        {
            "host": "127.0.0.1",
            "user": "-",
            "request": "GET /?x=1 HTTP/1.1",
            "status": "200",
            "size": "4",
            "referer": "http://ref.example/",
            "agent": "probe/1.0",
        }
    ]


@pytest.mark.parametrize(
    ("path", "field", "expected"),
    [
        ("/nowhere", "status", "404"),
        ("/boom", "status", "500"),
        ("/secret", "user", "ann"),
        ("/stream", "size", "-"),
        ("/sub", "request", "GET /sub HTTP/1.1"),
    ],
)
def test_access_line_fields(
    app_logs: list[LogManager], tmp_path: Path, path: str, field: str, expected: str
) -> None:
    access = tmp_path / "access.log"
    app_client(app_logs, {"log.access_file": str(access)}).get(path)
    assert parse(lines(access)[0])[field] == expected


def test_access_line_for_head_has_the_get_size(app_logs: list[LogManager], tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    app_client(app_logs, {"log.access_file": str(access)}).head("/")
    assert (parse(lines(access)[0])["request"], parse(lines(access)[0])["size"]) == (
        "HEAD / HTTP/1.1",
        "4",
    )


def test_access_line_escapes_quotes_in_headers(app_logs: list[LogManager], tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    app_client(app_logs, {"log.access_file": str(access)}).get("/", headers={"User-Agent": 'x"y'})
    assert lines(access)[0].endswith('"x\\"y"')


def test_global_access_file_gets_every_app(global_files: None, tmp_path: Path) -> None:
    access = tmp_path / "global-access.log"
    framework.config.update({"log.access_file": str(access)})
    framework.tree.mount(Root(), "/one")
    framework.tree.mount(Root(), "/two")
    client = Client(framework.tree)
    client.get("/one/")
    client.get("/two/")
    assert [parse(line)["request"] for line in lines(access)] == [
        "GET /one/ HTTP/1.1",
        "GET /two/ HTTP/1.1",
    ]


def test_app_access_file_only_gets_its_own_app(app_logs: list[LogManager], tmp_path: Path) -> None:
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    app_client(app_logs, {"log.access_file": str(first)}).get("/")
    app_client(app_logs, {"log.access_file": str(second)}).get("/nowhere")
    assert (
        [parse(x)["status"] for x in lines(first)],
        [parse(x)["status"] for x in lines(second)],
    ) == (
        ["200"],
        ["404"],
    )


def test_app_access_lines_also_reach_the_global_file(
    global_files: None, app_logs: list[LogManager], tmp_path: Path
) -> None:
    own, site = tmp_path / "own.log", tmp_path / "site.log"
    framework.config.update({"log.access_file": str(site)})
    app_client(app_logs, {"log.access_file": str(own)}).get("/")
    assert (len(lines(own)), len(lines(site))) == (1, 1)


def test_no_access_file_writes_nothing(app_logs: list[LogManager], tmp_path: Path) -> None:
    app_client(app_logs, {}).get("/")
    assert list(tmp_path.iterdir()) == []


# -- error log -------------------------------------------------------------------------
def test_app_error_log_gets_the_traceback(app_logs: list[LogManager], tmp_path: Path) -> None:
    errors = tmp_path / "error.log"
    app_client(app_logs, {"log.error_file": str(errors)}).get("/boom").assert_status(500)
    text = errors.read_text(encoding="utf-8")
    assert "Error while serving GET /boom HTTP/1.1" in text
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: kaboom" in text


def test_global_error_log_gets_app_tracebacks(global_files: None, tmp_path: Path) -> None:
    errors = tmp_path / "site-error.log"
    framework.config.update({"log.error_file": str(errors)})
    Client(Root()).get("/boom")
    assert "RuntimeError: kaboom" in errors.read_text(encoding="utf-8")


def test_error_log_line_starts_with_time_and_context(
    app_logs: list[LogManager], tmp_path: Path
) -> None:
    errors = tmp_path / "error.log"
    app_client(app_logs, {"log.error_file": str(errors)}).get("/boom")
    first = lines(errors)[0]
    assert re.match(r"\[\d\d/[A-Z][a-z]{2}/\d{4}:[\d:]{8} [+-]\d{4}\] HTTP ", first), first


def test_successful_request_writes_no_error(app_logs: list[LogManager], tmp_path: Path) -> None:
    errors = tmp_path / "error.log"
    app_client(app_logs, {"log.error_file": str(errors)}).get("/")
    assert lines(errors) == []


def test_http_errors_are_not_logged_as_errors(app_logs: list[LogManager], tmp_path: Path) -> None:
    errors = tmp_path / "error.log"
    app_client(app_logs, {"log.error_file": str(errors)}).get("/nowhere").assert_status(404)
    assert lines(errors) == []


def test_production_hides_the_traceback_from_the_client_but_logs_it(
    app_logs: list[LogManager], tmp_path: Path
) -> None:
    errors = tmp_path / "error.log"
    framework.config.update({"environment": "production"})
    response = app_client(app_logs, {"log.error_file": str(errors)}).get("/boom")
    assert (b"kaboom" in response.body, "RuntimeError: kaboom" in errors.read_text()) == (
        False,
        True,
    )


def test_broken_access_format_still_serves_and_logs_an_error(
    app_logs: list[LogManager], tmp_path: Path
) -> None:
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    client = app_client(app_logs, {"log.access_file": str(access), "log.error_file": str(errors)})
    app_logs[0].access_log_format = "{nope}"
    response = client.get("/")
    assert (response.text, "Could not write the access log line" in errors.read_text()) == (
        "home",
        True,
    )
