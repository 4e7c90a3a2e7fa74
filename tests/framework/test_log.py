"""LogManager: logger layout, screen and file switches, access-line format and escaping."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from framework.context import serving
from framework.core.log import AccessLogMiddleware, LogManager

FIXED_TIME = "[25/Nov/2026:22:05:13 +0000]"
_roots = itertools.count()


class FixedClockLog(LogManager):
    """A LogManager whose clock is frozen, so whole lines can be compared."""

    def time(self) -> str:
        return FIXED_TIME


class Collect(logging.Handler):
    """A real handler that keeps the formatted messages it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _cleanup(log: LogManager) -> None:
    log.screen = False
    log.error_file = ""
    log.access_file = ""


@pytest.fixture
def root() -> str:
    # Loggers are process-global: a fresh root per test keeps tests independent.
    return f"test_log_{next(_roots)}"


MakeLog = Callable[[], FixedClockLog]


@pytest.fixture
def make_log(root: str) -> Iterator[MakeLog]:
    # A factory, not an instance: pytest's log capture attaches its handlers to every
    # non-propagating logger that exists when a test starts, so ours are created inside it.
    made: list[FixedClockLog] = []

    def make() -> FixedClockLog:
        made.append(FixedClockLog(logger_root=root))
        return made[-1]

    yield make
    for manager in made:
        _cleanup(manager)


def make_exchange(**overrides: Any) -> tuple[SimpleNamespace, SimpleNamespace]:
    headers = {"Referer": "http://example.com/", "User-Agent": "curl/8.0", "Host": "h.test"}
    headers.update(overrides.pop("headers", {}))
    request = SimpleNamespace(
        remote=SimpleNamespace(ip="127.0.0.1", port=5555, name=""),
        login=None,
        request_line="GET /path?x=1 HTTP/1.1",
        headers=headers,
    )
    response = SimpleNamespace(
        output_status=b"200 OK", status="200 OK", headers={"Content-Length": "12"}
    )
    for key, value in overrides.items():
        target = response if key in ("output_status", "status", "response_headers") else request
        setattr(target, "headers" if key == "response_headers" else key, value)
    return request, response


def access_line(log: LogManager, **overrides: Any) -> str:
    sink = Collect()
    log.access_log.addHandler(sink)
    try:
        log.access(*make_exchange(**overrides))
    finally:
        log.access_log.removeHandler(sink)
    assert len(sink.messages) == 1
    return sink.messages[0]


# -- logger layout ----------------------------------------------------------------------


@pytest.mark.parametrize(("appid", "suffix"), [(None, ""), ("", ""), ("app1", ".app1")])
def test_logger_names_follow_root_and_appid(root: str, appid: str | None, suffix: str) -> None:
    manager = LogManager(appid, root)
    assert manager.error_log.name == f"{root}.error{suffix}"
    assert manager.access_log.name == f"{root}.access{suffix}"


def test_loggers_do_not_propagate_and_log_info(make_log: MakeLog) -> None:
    log = make_log()
    for logger in (log.error_log, log.access_log):
        assert logger.propagate is False
        assert logger.level == logging.INFO


def test_app_log_reaches_global_log_once(root: str) -> None:
    global_sink, app_sink = Collect(), Collect()
    LogManager(logger_root=root).error_log.addHandler(global_sink)
    LogManager("app1", root).error_log.addHandler(app_sink)
    LogManager("app1", root).error("from the app")
    assert len(app_sink.messages) == 1
    assert len(global_sink.messages) == 1


def test_global_log_does_not_propagate_to_root(root: str) -> None:
    assert LogManager(logger_root=root).error_log.propagate is False
    assert LogManager("app1", root).access_log.propagate is True


# -- error log ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "expected"),
    [("ENGINE", f"{FIXED_TIME} ENGINE Bus STARTED"), ("", f"{FIXED_TIME} Bus STARTED")],
)
def test_error_message_is_time_context_message(
    make_log: MakeLog, context: str, expected: str
) -> None:
    log = make_log()
    sink = Collect()
    log.error_log.addHandler(sink)
    log("Bus STARTED", context)
    assert sink.messages == [expected]


def test_error_below_info_is_dropped(make_log: MakeLog, tmp_path: Path) -> None:
    log = make_log()
    log.error_file = str(tmp_path / "error.log")
    log.error("hidden", severity=logging.DEBUG)
    log.error("shown", severity=logging.WARNING)
    assert (tmp_path / "error.log").read_text("utf-8") == f"{FIXED_TIME} shown\n"


def test_error_with_traceback_appends_current_exception(make_log: MakeLog, tmp_path: Path) -> None:
    log = make_log()
    log.error_file = str(tmp_path / "error.log")
    try:
        raise ValueError("bad value")
    except ValueError:
        log.error("handler failed", context="HTTP", severity=logging.ERROR, traceback=True)
    text = (tmp_path / "error.log").read_text("utf-8")
    assert text.startswith(f"{FIXED_TIME} HTTP handler failed\nTraceback (most recent call last):")
    assert text.rstrip().endswith("ValueError: bad value")


def test_traceback_without_active_exception_adds_nothing(make_log: MakeLog, tmp_path: Path) -> None:
    log = make_log()
    log.error_file = str(tmp_path / "error.log")
    log.error("plain", traceback=True)
    assert (tmp_path / "error.log").read_text("utf-8") == f"{FIXED_TIME} plain\n"


def test_silent_log_prints_nothing_even_for_errors(
    make_log: MakeLog, capfd: pytest.CaptureFixture[str]
) -> None:
    log = make_log()
    log.error("nobody listens", severity=logging.CRITICAL)
    assert capfd.readouterr() == ("", "")


# -- screen and files -----------------------------------------------------------------


def test_screen_sends_errors_to_stderr_and_access_to_stdout(
    make_log: MakeLog, capsys: pytest.CaptureFixture[str]
) -> None:
    log = make_log()
    log.screen = True
    assert log.screen is True
    log.error("to stderr")
    log.access(*make_exchange())
    out, err = capsys.readouterr()
    assert err == f"{FIXED_TIME} to stderr\n"
    assert out.startswith("127.0.0.1 - - ")


def test_screen_off_removes_only_its_own_handlers(
    make_log: MakeLog, capsys: pytest.CaptureFixture[str]
) -> None:
    log = make_log()
    user = Collect()
    log.error_log.addHandler(user)
    log.screen = True
    log.screen = True  # idempotent: still one screen handler
    log.screen = False
    assert log.screen is False
    log.error("after")
    assert capsys.readouterr() == ("", "")
    assert user in log.error_log.handlers
    assert user.messages == [f"{FIXED_TIME} after"]


@pytest.mark.parametrize("attr", ["error_file", "access_file"])
def test_file_switch_reports_absolute_path_and_empty_removes(
    make_log: MakeLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, attr: str
) -> None:
    log = make_log()
    monkeypatch.chdir(tmp_path)
    assert getattr(log, attr) == ""
    setattr(log, attr, "relative.log")
    assert getattr(log, attr) == str(tmp_path / "relative.log")
    setattr(log, attr, "")
    assert getattr(log, attr) == ""


def test_error_file_is_utf8(make_log: MakeLog, tmp_path: Path) -> None:
    log = make_log()
    log.error_file = str(tmp_path / "error.log")
    log.error("café ☕")
    assert (tmp_path / "error.log").read_bytes() == f"{FIXED_TIME} café ☕\n".encode()


def test_changing_file_closes_old_one_and_keeps_user_handlers(
    make_log: MakeLog, tmp_path: Path
) -> None:
    log = make_log()
    user = Collect()
    log.access_log.addHandler(user)
    log.access_file = str(tmp_path / "a.log")
    first = log.access_log.handlers[-1]
    log.access_file = str(tmp_path / "a.log")  # same path: handler kept
    assert log.access_log.handlers[-1] is first
    log.access_file = str(tmp_path / "b.log")
    assert isinstance(first, logging.FileHandler)
    assert first.stream is None  # closed (an unclosed file would fail as ResourceWarning)
    assert log.access_log.handlers[:1] == [user]
    log.access(*make_exchange())
    assert (tmp_path / "a.log").read_text("utf-8") == ""
    assert (tmp_path / "b.log").read_text("utf-8").count("\n") == 1


def test_reopen_files_starts_new_file_after_rotation(make_log: MakeLog, tmp_path: Path) -> None:
    log = make_log()
    path = tmp_path / "error.log"
    log.error_file = str(path)
    log.error("before")
    path.rename(tmp_path / "error.log.1")
    log.reopen_files()
    log.error("after")
    assert (tmp_path / "error.log.1").read_text("utf-8") == f"{FIXED_TIME} before\n"
    assert path.read_text("utf-8") == f"{FIXED_TIME} after\n"


# -- access log ---------------------------------------------------------------------------


def test_access_line_is_apache_combined(make_log: MakeLog) -> None:
    log = make_log()
    assert access_line(log) == (
        '127.0.0.1 - - [25/Nov/2026:22:05:13 +0000] "GET /path?x=1 HTTP/1.1" 200 12 '
        '"http://example.com/" "curl/8.0"'
    )


@pytest.mark.parametrize(
    ("overrides", "expected_start"),
    [
        ({"login": "alice"}, "127.0.0.1 - alice "),
        ({"remote": SimpleNamespace(ip="10.0.0.1", name="client.test")}, "client.test - - "),
        ({"remote": SimpleNamespace(ip="10.0.0.1", name="")}, "10.0.0.1 - - "),
    ],
)
def test_access_host_and_user_fields(
    make_log: MakeLog, overrides: dict[str, Any], expected_start: str
) -> None:
    log = make_log()
    assert access_line(log, **overrides).startswith(expected_start)


@pytest.mark.parametrize(
    ("overrides", "status_and_size"),
    [
        ({"output_status": b"404 Not Found"}, " 404 12 "),
        ({"output_status": None, "status": "302 Found"}, " 302 12 "),
        ({"output_status": None, "status": None}, " - 12 "),
        ({"response_headers": {}}, " 200 - "),
    ],
)
def test_access_status_and_size_fields(
    make_log: MakeLog, overrides: dict[str, Any], status_and_size: str
) -> None:
    log = make_log()
    assert status_and_size in access_line(log, **overrides)


@pytest.mark.parametrize(
    ("agent", "logged"),
    [
        ('evil" "forged', 'evil\\" \\"forged'),
        ("a\r\n127.0.0.1 - - fake", "a\\r\\n127.0.0.1 - - fake"),
        ("tab\tnul\x00del\x7f", "tab\\tnul\\x00del\\x7f"),
        ("back\\slash", "back\\\\slash"),
        ("café", "caf\\xc3\\xa9"),
    ],
)
def test_access_fields_are_escaped(make_log: MakeLog, agent: str, logged: str) -> None:
    log = make_log()
    line = access_line(log, headers={"User-Agent": agent})
    assert "\n" not in line and "\r" not in line
    assert line.endswith(f' "{logged}"')


def test_a_missing_referer_or_user_agent_is_a_dash(make_log: MakeLog) -> None:
    log = make_log()
    sink = Collect()
    log.access_log.addHandler(sink)
    request, response = make_exchange()
    request.headers = {"Host": "h.test"}
    log.access(request, response)
    request.headers = {"Host": "h.test", "User-Agent": ""}  # sent empty: written empty
    log.access(request, response)
    log.access_log.removeHandler(sink)
    assert sink.messages[0].endswith(' "-" "-"')
    assert sink.messages[1].endswith(' "-" ""')


def test_access_request_line_cannot_forge_fields(make_log: MakeLog) -> None:
    log = make_log()
    line = access_line(log, request_line='GET /" 200 1 "x HTTP/1.1')
    assert '"GET /\\" 200 1 \\"x HTTP/1.1" 200 12 ' in line


def test_access_without_handlers_touches_nothing(make_log: MakeLog) -> None:
    log = make_log()
    # PERF contract: the objects are not even read when nobody listens.
    assert log.access_log.handlers == []
    log.access(object(), object())
    log.access()


def test_access_reads_current_exchange_by_default(make_log: MakeLog) -> None:
    log = make_log()
    sink = Collect()
    log.access_log.addHandler(sink)
    request, response = make_exchange(login="bob")
    serving.load(request, response)  # type: ignore[arg-type]
    try:
        log.access()
    finally:
        serving.clear()
    log.access()  # outside a request: nothing to describe
    assert len(sink.messages) == 1
    assert sink.messages[0].startswith("127.0.0.1 - bob ")


def test_custom_format_extra_fields(make_log: MakeLog) -> None:
    log = make_log()
    log.access_log_format = "{o} {i} {z}"
    line = access_line(log, unique_id="abc123")
    assert re.fullmatch(r"h\.test abc123 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line)


def test_broken_format_logs_an_error_instead_of_raising(make_log: MakeLog) -> None:
    log = make_log()
    errors = Collect()
    log.error_log.addHandler(errors)
    log.access_log_format = "{nope}"
    log.access_log.addHandler(Collect())
    log.access(*make_exchange())
    assert errors.messages == [f"{FIXED_TIME} HTTP Could not write the access log line"]


# -- access lines for bare WSGI exchanges --------------------------------------------------


def wsgi_line(
    log: LogManager,
    status: str = "201 Created",
    headers: list[tuple[str, str]] | None = None,
    **environ: str,
) -> str:
    base = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/items",
        "QUERY_STRING": "q=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": "http://example.com/",
        "HTTP_USER_AGENT": "curl/8.0",
    }
    sink = Collect()
    log.access_log.addHandler(sink)
    try:
        log.access_wsgi({**base, **environ}, status, headers or [("Content-Length", "2")])
    finally:
        log.access_log.removeHandler(sink)
    assert len(sink.messages) == 1
    return sink.messages[0]


def test_access_wsgi_line_is_the_same_combined_format(make_log: MakeLog) -> None:
    assert wsgi_line(make_log()) == (
        '10.0.0.7 - - [25/Nov/2026:22:05:13 +0000] "POST /items?q=1 HTTP/1.1" 201 2 '
        '"http://example.com/" "curl/8.0"'
    )


@pytest.mark.parametrize(
    ("environ", "request_line"),
    [
        ({"REQUEST_URI": "/raw%20uri?a=b"}, "POST /raw%20uri?a=b HTTP/1.1"),
        ({"SCRIPT_NAME": "/app", "QUERY_STRING": ""}, "POST /app/items HTTP/1.1"),
        ({"PATH_INFO": "/caf\xc3\xa9"}, "POST /caf%C3%A9?q=1 HTTP/1.1"),
    ],
    ids=["request-uri-wins", "script-name-no-query", "latin1-path-quoted"],
)
def test_access_wsgi_request_line(
    make_log: MakeLog, environ: dict[str, str], request_line: str
) -> None:
    assert f'"{request_line}"' in wsgi_line(make_log(), **environ)


@pytest.mark.parametrize(
    ("headers", "size"),
    [
        ([("content-length", "7")], " 7 "),
        ([("Content-Length", "1"), ("Content-Length", "9")], " 9 "),
        ([("Content-Type", "text/plain")], " - "),
    ],
)
def test_access_wsgi_size_is_the_content_length_header(
    make_log: MakeLog, headers: list[tuple[str, str]], size: str
) -> None:
    assert f" 404{size}" in wsgi_line(make_log(), "404 Not Found", headers)


def test_access_wsgi_fills_the_extra_fields_from_the_environ(make_log: MakeLog) -> None:
    log = make_log()
    log.access_log_format = "{u}|{o}|{i}"
    assert wsgi_line(log, REMOTE_USER="alice", HTTP_HOST="h.test") == "alice|h.test|-"
    assert wsgi_line(log) == "-|-|-"


def test_access_wsgi_escapes_fields(make_log: MakeLog) -> None:
    line = wsgi_line(make_log(), HTTP_USER_AGENT='evil" "forged\r\n')
    assert line.endswith(' "evil\\" \\"forged\\r\\n"')


def test_access_wsgi_without_handlers_builds_nothing(make_log: MakeLog) -> None:
    log = make_log()
    read: list[str] = []

    def headers() -> Iterator[tuple[str, str]]:
        read.append("headers")
        yield ("Content-Length", "1")

    # PERF contract: nobody listens, so the exchange is not even read.
    assert log.access_log.handlers == []
    log.access_wsgi({}, "200 OK", headers())
    assert read == []


def test_access_wsgi_broken_format_logs_an_error(make_log: MakeLog) -> None:
    log = make_log()
    errors = Collect()
    log.error_log.addHandler(errors)
    log.access_log_format = "{nope}"
    log.access_log.addHandler(Collect())
    log.access_wsgi({}, "200 OK", [])
    assert errors.messages == [f"{FIXED_TIME} HTTP Could not write the access log line"]


def test_access_log_middleware_writes_one_line_per_response(make_log: MakeLog) -> None:
    log = make_log()
    sink = Collect()
    log.access_log.addHandler(sink)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("202 Accepted", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"done"]

    wrapped = validator(AccessLogMiddleware(app, log))
    environ: dict[str, Any] = {"SCRIPT_NAME": "", "PATH_INFO": "/jobs", "QUERY_STRING": ""}
    setup_testing_defaults(environ)
    started: list[str] = []
    result = wrapped(environ, lambda status, headers, exc_info=None: started.append(status))
    try:
        body = b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    assert (started, body) == (["202 Accepted"], b"done")
    assert len(sink.messages) == 1
    assert '"GET /jobs HTTP/1.0" 202 4 ' in sink.messages[0]


def test_time_is_apache_format_with_offset() -> None:
    assert re.fullmatch(
        r"\[\d\d/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}"
        r":\d\d:\d\d:\d\d [+-]\d{4}\]",
        LogManager().time(),
    )


def test_reopen_files_leaves_unopened_delayed_handlers_alone(tmp_path: Path) -> None:
    log = LogManager(logger_root=f"test_log_{next(_roots)}")
    delayed = logging.FileHandler(tmp_path / "delayed.log", delay=True)
    log.error_log.addHandler(delayed)
    try:
        log.reopen_files()
        assert delayed.stream is None
        assert not (tmp_path / "delayed.log").exists()
    finally:
        log.error_log.removeHandler(delayed)
        delayed.close()


def test_rfc3339_utc_time_reads_the_clock_when_made_a_string(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datetime

    from framework.core.log import LazyRfc3339UtcTime

    fixed = datetime.datetime(2020, 1, 1, 1, 23, 45, tzinfo=datetime.UTC)

    class Clock:
        @classmethod
        def now(cls, tz: datetime.tzinfo) -> datetime.datetime:
            return fixed

    stamp = LazyRfc3339UtcTime()
    monkeypatch.setattr("datetime.datetime", Clock)
    assert str(stamp) == "2020-01-01T01:23:45Z"
