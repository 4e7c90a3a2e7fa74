"""Request statistics: ``tools.cpstats`` records them (``cherrypy.lib.cpstats``).

Statistics live where CherryPy and other libraries keep theirs: ``logging.statistics``,
a dict of namespaces. This module fills the ``"CherryPy Applications"`` namespace
(:data:`appstats`), as CherryPy does, and adds a breakdown per application and per URI::

    config = {"/": {"tools.cpstats.on": True}}
    root.stats = framework.lib.cpstats.StatsPage()   # /stats (HTML), /stats/data (JSON)

What is kept, updated under one lock:

- site totals: requests, bytes read and written, processing time, requests in
  progress; rates (per second, per request) are computed when read;
- ``"Applications"``: per mount point, and ``"URIs"``: per path (at most
  :data:`MAX_URIS` of them, then ``"(other)"``), each with requests, client errors
  (4xx), server errors (5xx), bytes read and written, total and average time;
- CherryPy's ``"Requests"`` (the request each thread serves or served last),
  ``"URI Set Tracking"`` (``tools.cpstats.uriset``: min/max/average time of a group of
  URLs) and ``"Slow Queries"`` (``tools.cpstats.slow_queries`` seconds, the last
  ``slow_queries_count`` of them).

Values that are functions are computed when the statistics are read
(:func:`~framework.lib.statspage.extrapolate_statistics`), so a snapshot is always
consistent with its time. The page is :mod:`framework.lib.statspage`; CherryPy keeps
both halves in this module, so its names are here too.
``appstats["Enabled"] = False`` (the page's Pause button) stops recording.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from framework._version import __version__
from framework.context import current
from framework.core.tools import Tool
from framework.lib.statspage import (
    StatsPage,
    extrapolate_statistics,
    iso_format,
    locale_date,
    pause_resume,
)

if TYPE_CHECKING:
    from framework.core.plan import Plan

__all__ = [
    "MAX_URIS",
    "ByteCountWrapper",
    "StatsPage",
    "StatsTool",
    "appstats",
    "average_uriset_time",
    "extrapolate_statistics",
    "iso_format",
    "locale_date",
    "missing",
    "pause_resume",
    "proc_time",
    "record_start",
    "record_stop",
    "thisdir",
]

#: Distinct paths tracked under "URIs" before the rest is counted as "(other)".
MAX_URIS = 1000
#: This module's directory (CherryPy's ``thisdir``).
thisdir = os.path.abspath(os.path.dirname(__file__))
#: A marker for "no format given" (CherryPy's name).
missing = object()

_lock = threading.Lock()

if not hasattr(logging, "statistics"):
    logging.statistics = {}  # type: ignore[attr-defined]


def _rate(numerator: str, denominator: str) -> Callable[[Mapping[str, Any]], float]:
    def rate(s: Mapping[str, Any]) -> float:
        divisor = s[denominator](s) if callable(s[denominator]) else s[denominator]
        return float(s[numerator]) / divisor if divisor else 0.0

    return rate


#: The ``"CherryPy Applications"`` namespace of ``logging.statistics``.
appstats: dict[str, Any] = logging.statistics.setdefault(  # type: ignore[attr-defined]
    "CherryPy Applications", {}
)
appstats.update(
    {
        "Enabled": True,
        "Bytes Read/Request": _rate("Total Bytes Read", "Total Requests"),
        "Bytes Read/Second": _rate("Total Bytes Read", "Uptime"),
        "Bytes Written/Request": _rate("Total Bytes Written", "Total Requests"),
        "Bytes Written/Second": _rate("Total Bytes Written", "Uptime"),
        "Current Time": lambda s: time.time(),
        "Current Requests": 0,
        "Requests/Second": _rate("Total Requests", "Uptime"),
        "Server Version": __version__,
        "Start Time": time.time(),
        "Total Bytes Read": 0,
        "Total Bytes Written": 0,
        "Total Requests": 0,
        "Total Time": 0,
        "Uptime": lambda s: time.time() - s["Start Time"],
        "Requests": {},
        "Applications": {},
        "URIs": {},
    }
)


def proc_time(s: Mapping[str, Any]) -> float:
    """Seconds since the record's ``Start Time`` (a request still in progress)."""
    return time.time() - float(s["Start Time"])


def average_uriset_time(s: Mapping[str, Any]) -> float:
    """The average time of a URI set (0 before its first request)."""
    return float(s["Sum"]) / s["Count"] if s["Count"] else 0.0


def _average_time(s: Mapping[str, Any]) -> float:
    return float(s["Total Time"]) / s["Requests"] if s["Requests"] else 0.0


class ByteCountWrapper:
    """A file-like wrapper counting the bytes read through it (``bytes_read``)."""

    def __init__(self, rfile: Any) -> None:
        self.rfile = rfile
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.rfile.read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data: bytes = self.rfile.readline(size)
        self.bytes_read += len(data)
        return data

    def readlines(self, sizehint: int = 0) -> list[bytes]:
        lines: list[bytes] = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < sizehint <= total:
                break
        return lines

    def close(self) -> None:
        self.rfile.close()

    def __iter__(self) -> ByteCountWrapper:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _new_totals() -> dict[str, Any]:
    return {
        "Requests": 0,
        "Client Errors": 0,
        "Server Errors": 0,
        "Bytes Read": 0,
        "Bytes Written": 0,
        "Total Time": 0.0,
        "Average Time": _average_time,
    }


def _count(totals: dict[str, Any], status: int, read: int, written: int, spent: float) -> None:
    totals["Requests"] += 1
    if 400 <= status < 500:
        totals["Client Errors"] += 1
    elif status >= 500:
        totals["Server Errors"] += 1
    totals["Bytes Read"] += read
    totals["Bytes Written"] += written
    totals["Total Time"] += spent


def record_start() -> None:
    """Start recording the current request (``on_start_resource``)."""
    if not appstats.get("Enabled", False):
        return
    pair = current()
    assert pair is not None
    request = pair[0]
    environ = request.wsgi_environ
    if "body" not in request.__dict__ and not isinstance(environ["wsgi.input"], ByteCountWrapper):
        environ["wsgi.input"] = ByteCountWrapper(environ["wsgi.input"])
        request.__dict__.pop("rfile", None)
    remote = request.remote
    record = {
        "Bytes Read": None,
        "Bytes Written": None,
        # A function: tools.proxy may still change the client address.
        "Client": lambda s: f"{remote.ip}:{remote.port}",
        "End Time": None,
        "Processing Time": proc_time,
        "Request-Line": request.request_line,
        "Response Status": None,
        "Start Time": time.time(),
    }
    request.__dict__["_cpstats_record"] = record
    with _lock:
        appstats["Current Requests"] += 1
        appstats["Total Requests"] += 1
        appstats["Requests"][threading.get_ident()] = record


def record_stop(
    uriset: str | None = None,
    slow_queries: float = 1.0,
    slow_queries_count: int = 100,
    debug: bool = False,
    **kwargs: Any,
) -> None:
    """Finish the current request's record and add it to the totals (``on_end_request``).

    Args:
        uriset: a name grouping this path with others for "URI Set Tracking".
        slow_queries: requests slower than this many seconds are kept ("Slow Queries").
        slow_queries_count: how many slow requests are kept.
        debug: log the record.
    """
    pair = current()
    assert pair is not None
    request, response = pair
    record = request.__dict__.get("_cpstats_record")
    if record is None:  # recording was paused when the request started
        return
    wrapper = request.wsgi_environ.get("wsgi.input")
    read = wrapper.bytes_read if isinstance(wrapper, ByteCountWrapper) else 0
    written = 0 if response.stream else int(response.headers.get("Content-Length", 0) or 0)
    status_line = response.output_status or str(response.status)
    status = int(status_line.split(" ", 1)[0]) if status_line[:3].isdigit() else 500
    end = time.time()
    spent = end - record["Start Time"]
    record.update(
        {
            "Bytes Read": read,
            "Bytes Written": "chunked" if response.stream else written,
            "Response Status": status_line,
            "End Time": end,
            "Processing Time": spent,
        }
    )
    with _lock:
        appstats["Total Bytes Read"] += read
        appstats["Total Bytes Written"] += written
        appstats["Total Time"] += spent
        appstats["Current Requests"] -= 1
        app_key = request.script_name or "/"
        app_totals = appstats["Applications"].setdefault(app_key, _new_totals())
        _count(app_totals, status, read, written, spent)
        uris = appstats["URIs"]
        uri = request.script_name + request.path_info
        if uri not in uris and len(uris) >= MAX_URIS:
            uri = "(other)"
        _count(uris.setdefault(uri, _new_totals()), status, read, written, spent)
        if uriset:
            _track_uriset(uriset, spent)
        if slow_queries and spent > slow_queries:
            slow = appstats.setdefault("Slow Queries", [])
            slow.append(dict(record))
            del slow[:-slow_queries_count]
    if debug:
        request.app.log.error(f"Stats recorded: {record!r}", "TOOLS.CPSTATS")


def _track_uriset(uriset: str, spent: float) -> None:
    tracked = appstats.setdefault("URI Set Tracking", {}).setdefault(
        uriset, {"Min": None, "Max": None, "Count": 0, "Sum": 0.0, "Avg": average_uriset_time}
    )
    if tracked["Min"] is None or spent < tracked["Min"]:
        tracked["Min"] = spent
    if tracked["Max"] is None or spent > tracked["Max"]:
        tracked["Max"] = spent
    tracked["Count"] += 1
    tracked["Sum"] += spent


class StatsTool(Tool):
    """``tools.cpstats``: record each request of the path (on by config)."""

    def __init__(self) -> None:
        super().__init__("on_end_request", record_stop)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Start the record first thing, finish it after the response was sent."""
        priority = self.priority_for(conf)
        plan.hooks.attach("on_start_resource", record_start, priority=0)
        plan.hooks.attach("on_end_request", record_stop, priority=priority, **conf)
