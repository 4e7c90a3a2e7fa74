"""Profiling an app in process: drive requests, time them, run cProfile.

``cherry profile`` is a thin command over this module and
:mod:`cherrycli.profile_report`. It loads the app exactly as ``cherry serve`` does
(:func:`cherrycli.serve.loading.load_app`), then :func:`run_profile` calls the WSGI callable
directly, in the calling thread, with no socket::

    specs = make_specs(["/", "/search?q=x"], method="GET", data=None)
    run = run_profile(app, specs, requests=200)
    print_report(run, stdout(), sort="cumulative", limit=20)  # profile_report
    run.combined_stats().dump_stats("out.prof")  # pstats / snakeviz format

Each PATH goes through three passes:

1. **warm-up**: ``min(10, N)`` requests, neither timed nor profiled, so caches (the
   framework's request plans, imports done on first use) are filled;
2. **timed**: N requests, each measured with :func:`time.perf_counter_ns` and no profiler
   running. The latency table (mean, p50, p95, requests/s) comes from this pass only,
   because cProfile's per-call overhead inflates every time it sees;
3. **profiled**: N more requests inside one ``cProfile.Profile`` per path, which gives
   the function statistics and the call graph of the flame graph.

A path whose every response is 4xx/5xx (or whose app raises) is timed and reported with
its status but left out of pass 3: profiling a 404 page says nothing about the route.
Requests are strictly sequential in one thread: since Python 3.12 cProfile sits on
``sys.monitoring`` and refuses to start while another profiler is active, which
:func:`run_profile` turns into a one-line :class:`~cherrycli.errors.CliError`.
"""

from __future__ import annotations

import cProfile
import inspect
import io
import math
import os
import pstats
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from cherrycli.errors import USAGE_EXIT, CliError

__all__ = [
    "BODY_METHODS",
    "DEFAULT_REQUESTS",
    "DRIVER_FILE",
    "FuncKey",
    "PathResult",
    "ProfileRun",
    "RequestSpec",
    "default_paths",
    "make_specs",
    "parse_body",
    "parse_method",
    "run_profile",
]

WSGIApp = Callable[..., Iterable[bytes]]
FuncKey = tuple[str, int, str]

DEFAULT_REQUESTS = 200
# Methods whose requests carry a body: sent with ``Content-Length: 0`` when there is no data.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_WARMUP = 10
_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_SAFE = "/%:@!$&'()*+,;=~?"
_OPTIONAL_TAIL = re.compile(r"(?:/\{(?:\w+\?|\*\w+)\})+$")
# Frames of this file are the request driver, not the app (see profile_report.is_noise).
DRIVER_FILE = os.path.normcase(os.path.abspath(__file__))


@dataclass(frozen=True)
class RequestSpec:
    """One synthetic request: method, path with optional query, optional body.

    Attributes:
        method: HTTP method in upper case.
        target: path as given, e.g. ``/search?q=cherry``.
        body: request body bytes, or None for no body.
        content_type: Content-Type of the body, or None.
    """

    method: str
    target: str
    body: bytes | None = None
    content_type: str | None = None

    @property
    def label(self) -> str:
        """``METHOD /path?query``, as shown in reports."""
        return f"{self.method} {self.target}"


@dataclass
class PathResult:
    """What driving one :class:`RequestSpec` gave.

    Attributes:
        spec: the request sent.
        statuses: status code -> how many timed responses had it (0: no start_response).
        timings_ns: wall time of each timed (un-profiled) request, in nanoseconds.
        error: one line describing an exception the app raised, or None.
        profiler: the cProfile profile of the profiled pass, None when not profiled.
    """

    spec: RequestSpec
    statuses: Counter[int] = field(default_factory=Counter)
    timings_ns: list[int] = field(default_factory=list)
    error: str | None = None
    profiler: cProfile.Profile | None = None

    @property
    def failed(self) -> bool:
        """True when the app raised or every timed response was an error (>= 400)."""
        if self.error is not None or not self.statuses:
            return True
        return all(code >= 400 or code == 0 for code in self.statuses)

    @property
    def status_text(self) -> str:
        """The status codes seen, most frequent first (``"200"``, ``"200/500"``, ``"error"``)."""
        if self.error is not None:
            return "error"
        return "/".join(str(code) for code, _ in self.statuses.most_common()) or "-"

    @property
    def reason(self) -> str:
        """The most frequent status with its phrase, e.g. ``404 Not Found``."""
        if self.error is not None:
            return self.error
        code = self.statuses.most_common(1)[0][0] if self.statuses else 0
        if code == 0:
            return "no response (start_response was never called)"
        try:
            return f"{code} {HTTPStatus(code).phrase}"
        except ValueError:
            return str(code)

    def percentile_ms(self, fraction: float) -> float:
        """Nearest-rank percentile of the timed requests, in milliseconds."""
        if not self.timings_ns:
            return 0.0
        ordered = sorted(self.timings_ns)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] / 1e6

    @property
    def mean_ms(self) -> float:
        """Mean latency of the timed requests, in milliseconds."""
        return sum(self.timings_ns) / len(self.timings_ns) / 1e6 if self.timings_ns else 0.0

    @property
    def requests_per_second(self) -> float:
        """Sequential throughput of the timed pass (one thread, no network)."""
        total = sum(self.timings_ns)
        return len(self.timings_ns) * 1e9 / total if total else 0.0


@dataclass
class ProfileRun:
    """The outcome of :func:`run_profile` for every path.

    Attributes:
        results: one :class:`PathResult` per spec, in order.
        requests: timed (and profiled) requests per path.
        warmup: warm-up requests per path.
    """

    results: list[PathResult]
    requests: int
    warmup: int

    @property
    def profiled(self) -> list[PathResult]:
        """The results that were profiled (not failed)."""
        return [result for result in self.results if result.profiler is not None]

    def combined_stats(self) -> pstats.Stats | None:
        """The profiles of every profiled path merged, or None when none was profiled."""
        profilers = [result.profiler for result in self.profiled]
        return pstats.Stats(*profilers) if profilers else None


def parse_method(method: str) -> str:
    """Validate an HTTP method token and return it in upper case.

    Raises:
        CliError: (exit 2) when ``method`` is not a token such as GET or POST.
    """
    if not _TOKEN.match(method):
        raise CliError(
            f"invalid HTTP method {method!r}", hint="e.g. GET or POST", exit_code=USAGE_EXIT
        )
    return method.upper()


def parse_body(data: str | None) -> tuple[bytes | None, str | None]:
    """Turn ``--data`` into a body and its Content-Type.

    ``@file`` reads the body from a file. A body starting with ``{`` or ``[`` is sent as
    ``application/json``; anything else as ``application/x-www-form-urlencoded``.

    Args:
        data: the option's value, or None.

    Returns:
        ``(body, content_type)``, both None without data.

    Raises:
        CliError: (exit 2) when an ``@file`` cannot be read.
    """
    if data is None:
        return None, None
    if data.startswith("@"):
        path = Path(data[1:]).expanduser()
        try:
            body = path.read_bytes()
        except OSError as error:
            raise CliError(
                f"cannot read --data file {str(path)!r}: {error.strerror or error}",
                exit_code=USAGE_EXIT,
            ) from None
    else:
        body = data.encode("utf-8")
    if body.lstrip()[:1] in (b"{", b"["):
        return body, "application/json"
    return body, "application/x-www-form-urlencoded"


def make_specs(paths: Sequence[str], method: str, data: str | None) -> list[RequestSpec]:
    """Build one :class:`RequestSpec` per PATH (a leading ``/`` is added when missing).

    Raises:
        CliError: (exit 2) for a bad method or an unreadable ``@file``.
    """
    method = parse_method(method)
    body, content_type = parse_body(data)
    specs: list[RequestSpec] = []
    for path in paths:
        target = path if path.startswith("/") else f"/{path}"
        spec = RequestSpec(method, target, body, content_type)
        if spec not in specs:
            specs.append(spec)
    return specs


def default_paths(app: Any, method: str = "GET") -> list[str]:
    """Every published path of ``app`` answering ``method`` that needs no argument.

    ``cherry profile`` passes the TARGET as ``cherry routes TARGET`` reads it, so apps
    that the target's module mounts elsewhere on ``framework.tree`` are not included.
    A route qualifies when it answers ``method`` (or any method) and needs no argument:
    trailing optional placeholders (``/page/{number?}``, ``/files/{*rest}``) are dropped
    (the route is requested as ``/page``), any other placeholder or a required parameter
    (a keyword-only one without default, say) rules it out.

    Args:
        app: what :func:`cherrycli.routes.collect_routes` accepts (a mounted
            Application, a root object or a Tree).
        method: the HTTP method the requests will use.

    Returns:
        The paths, sorted and without duplicates; empty for a plain WSGI callable.
    """
    from cherrycli.routes import ANY_METHOD, collect_routes
    from framework.introspect import classify

    if classify(app) == "wsgi":
        return []
    paths: list[str] = []
    for route in collect_routes(app):
        if method not in route.methods and ANY_METHOD not in route.methods:
            continue
        path = _OPTIONAL_TAIL.sub("", route.path) or "/"
        if "{" in path or any(_required(param) for param in route.source.params):
            continue
        if path not in paths:
            paths.append(path)
    return sorted(paths)


def _required(param: inspect.Parameter) -> bool:
    """True for a parameter without default that is not ``*args`` or ``**kwargs``."""
    return param.default is param.empty and param.kind not in (
        param.VAR_POSITIONAL,
        param.VAR_KEYWORD,
    )


def _environ_template(spec: RequestSpec) -> dict[str, Any]:
    """The PEP 3333 environ every request of ``spec`` starts from (copied per request)."""
    path, _, query = spec.target.partition("#")[0].partition("?")
    raw_path = quote(path, safe=_PATH_SAFE)
    query = quote(query, safe=_QUERY_SAFE)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": spec.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": query,
        "REQUEST_URI": raw_path + (f"?{query}" if query else ""),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        # COMPAT: cheroot sets this and CherryPy-style code reads it.
        "ACTUAL_SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "cherry-profile",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "cherry-profile",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if spec.body is not None:
        environ["CONTENT_LENGTH"] = str(len(spec.body))
    elif spec.method in BODY_METHODS:
        # An HTTP/1.1 client announces an empty body; without the header a strict server
        # (and the framework, like cheroot) answers 411 Length Required.
        environ["CONTENT_LENGTH"] = "0"
    if spec.content_type is not None:
        environ["CONTENT_TYPE"] = spec.content_type
    return environ


def _discard(data: bytes) -> None:
    """The ``write`` callable handed back by start_response: output is not kept."""


def _one_request(app: WSGIApp, template: dict[str, Any], body: bytes) -> int:
    """Run one WSGI exchange to the end (body drained, iterable closed).

    Returns:
        The response status code, 0 if the app never called start_response.
    """
    environ = template.copy()
    environ["wsgi.input"] = io.BytesIO(body)
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        status.append(line)
        return _discard

    result = app(environ, start_response)
    try:
        for _ in result:
            pass
    finally:
        # Closing is what lets the framework clear its per-request context.
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return int(status[-1][:3]) if status else 0


def _drive_path(app: WSGIApp, spec: RequestSpec, requests: int, warmup: int) -> PathResult:
    """Warm up, time and (unless every answer failed) profile one path."""
    result = PathResult(spec)
    template = _environ_template(spec)
    body = spec.body or b""
    try:
        for _ in range(warmup):
            _one_request(app, template, body)
        timings = [0] * requests
        clock = time.perf_counter_ns
        for index in range(requests):
            started = clock()
            code = _one_request(app, template, body)
            timings[index] = clock() - started
            result.statuses[code] += 1
        result.timings_ns = timings
    except Exception as error:
        result.error = f"the app raised {type(error).__name__}: {error}"
        return result
    if result.failed:
        return result
    profiler = cProfile.Profile()
    try:
        profiler.enable()
    except ValueError as error:
        # Python 3.12+: cProfile sits on sys.monitoring and allows one profiler at a time.
        raise CliError(
            f"cannot start cProfile: {error}",
            hint="run cherry profile outside debuggers, IDE profilers or another profile",
        ) from None
    try:
        for _ in range(requests):
            _one_request(app, template, body)
    except Exception as error:
        result.error = f"the app raised {type(error).__name__} while profiled: {error}"
        return result
    finally:
        profiler.disable()
    result.profiler = profiler
    return result


def run_profile(
    app: WSGIApp, specs: Sequence[RequestSpec], requests: int, warmup: int | None = None
) -> ProfileRun:
    """Drive every spec through ``app``: warm-up, timed pass, profiled pass.

    Args:
        app: the WSGI callable (``framework.tree`` as ``cherry serve`` mounts it).
        specs: the requests, one per path.
        requests: timed requests per path (and as many profiled ones).
        warmup: warm-up requests per path; ``min(10, requests)`` when None.

    Returns:
        The :class:`ProfileRun`.

    Raises:
        CliError: cProfile cannot start because another profiler is active.
    """
    warmup = min(MAX_WARMUP, requests) if warmup is None else warmup
    results = [_drive_path(app, spec, requests, warmup) for spec in specs]
    return ProfileRun(results, requests, warmup)
