"""Tools that act on request headers: ``referer``, ``accept``, ``autovary``, ``ignore_headers``.

- ``tools.referer``: refuse a request whose ``Referer`` does (or does not) match a
  pattern, with 403 by default;
- ``tools.accept``: 406 unless the client accepts one of the media types the resource
  emits (:func:`accept`, called from a handler, also tells which one to send);
- ``tools.autovary``: set ``Vary`` to the request headers the handler read, so caches
  keep one copy per variant;
- ``tools.ignore_headers``: drop request headers before anything reads them (``Range``
  by default: a front-end server may have applied it already).

All four behave as CherryPy's (``cherrypy.lib.cptools`` re-exports them); patterns and
lists are prepared once per path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from framework.context import current, serving
from framework.core.tools import Tool
from framework.errors import HTTPError
from framework.httputil import HeaderMap

if TYPE_CHECKING:
    from framework.core.plan import Plan

__all__ = [
    "AcceptTool",
    "AutovaryTool",
    "MonitoredHeaderMap",
    "RefererTool",
    "accept",
    "autovary",
    "ignore_headers",
    "referer",
]

#: Response-describing headers never listed in ``Vary`` by ``autovary``.
AUTOVARY_IGNORED = frozenset({"Content-Disposition", "Content-Length", "Content-Type"})


# -- referer -----------------------------------------------------------------------------


def referer(
    pattern: str | re.Pattern[str],
    accept: bool = True,
    accept_missing: bool = False,
    error: int = 403,
    message: str = "Forbidden Referer header.",
    debug: bool = False,
) -> None:
    """Refuse the request unless its ``Referer`` matches ``pattern`` (or must not).

    Args:
        pattern: a regular expression matched at the start of the header.
        accept: True: the Referer must match; False: it must not.
        accept_missing: let requests without a Referer through.
        error: the status to answer with.
        message: the text of the error page.
        debug: accepted for CherryPy compatibility.

    Raises:
        HTTPError: ``error`` when the request is refused.
    """
    request = serving.request
    assert request is not None
    value = request.headers.get("Referer")
    if value is None:
        if accept_missing:
            return
    elif bool(re.match(pattern, value)) == accept:
        return
    raise HTTPError(error, message)


class RefererTool(Tool):
    """``tools.referer``: the pattern is compiled once per path."""

    def __init__(self) -> None:
        super().__init__("before_request_body", referer)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the check with ``pattern`` compiled.

        Raises:
            re.error: the pattern is not a valid regular expression.
        """
        if isinstance(conf.get("pattern"), str):
            conf["pattern"] = re.compile(conf["pattern"])
        super().setup_plan(plan, conf)


# -- accept ------------------------------------------------------------------------------


def accept(media: str | Iterable[str] | None = None, debug: bool = False) -> str | None:
    """The client's preferred media type among ``media`` (406 if it accepts none).

    The client's ``Accept`` ranges are tried best first (``q=0`` never matches); for each,
    the first of ``media`` that fits is chosen. Without an ``Accept`` header any type
    does: the first of ``media``. With no ``media`` nothing is checked (None).

    Raises:
        HTTPError: 406 when no media type is acceptable.
    """
    if not media:
        return None
    offered = [media] if isinstance(media, str) else list(media)
    request = serving.request
    assert request is not None
    ranges = request.headers.elements("Accept")
    if not ranges:
        return offered[0]
    for element in ranges:
        if getattr(element, "qvalue", 1.0) <= 0:  # Accept elements carry a quality
            continue
        value = element.value
        if value == "*/*":
            return offered[0]
        if value.endswith("/*"):
            for candidate in offered:
                if candidate.startswith(value[:-1]):
                    return candidate
        elif value in offered:
            return value
    header = request.headers.get("Accept")
    said = (
        "Your client did not send an Accept header."
        if header is None
        else f"Your client sent this Accept header: {header}."
    )
    raise HTTPError(
        406, f"{said} But this resource only emits these media types: {', '.join(offered)}."
    )


class AcceptTool(Tool):
    """``tools.accept``: 406 before the handler runs when no offered type is acceptable."""

    def __init__(self) -> None:
        super().__init__("on_start_resource", accept)


# -- autovary ----------------------------------------------------------------------------


class MonitoredHeaderMap(HeaderMap):
    """Request headers that remember which names were read (``accessed_headers``)."""

    __slots__ = ("accessed_headers",)

    def __init__(self, *args: Any) -> None:
        self.accessed_headers: set[str] = set()
        super().__init__(*args)

    def _note(self, key: str | bytes) -> None:
        name = key.decode("latin-1") if isinstance(key, bytes) else key
        self.accessed_headers.add(name.title())

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str | bytes):
            self._note(key)
        return super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Read ``key``, noting that it was read."""
        self._note(key)
        return super().get(key, default)

    def copy(self) -> HeaderMap:
        """An unmonitored copy."""
        return HeaderMap(dict.items(self))


def _start_monitoring() -> None:
    pair = current()
    assert pair is not None
    request = pair[0]
    request.headers = MonitoredHeaderMap(dict.items(request.headers))


def _negotiates_charset(config: dict[str, Any]) -> bool:
    """True when the encode tool picks the charset from ``Accept-Charset``.

    # PERF: the encode tool reads that header from the environ, not through
    ``request.headers``, so the monitored map cannot see it; the config tells instead.
    """
    return bool(config.get("tools.encode.on")) and not config.get("tools.encode.encoding")


def _set_vary(ignore: frozenset[str] = AUTOVARY_IGNORED, charset: bool = False) -> None:
    pair = current()
    assert pair is not None
    request, response = pair
    headers = request.headers
    if not isinstance(headers, MonitoredHeaderMap):
        return
    varies = {element.value for element in response.headers.elements("Vary")}
    varies |= headers.accessed_headers
    if charset and "charset=" in response.headers.get("Content-Type", ""):
        varies.add("Accept-Charset")  # the encode tool chose the charset of this text
    response.headers["Vary"] = ", ".join(sorted(varies - ignore))


def autovary(ignore: Iterable[str] | None = None, debug: bool = False) -> None:
    """Record the request headers read from now on, and list them in ``Vary`` at the end.

    Args:
        ignore: header names never listed (default: Content-Disposition,
            Content-Length, Content-Type).
        debug: accepted for CherryPy compatibility.
    """
    request = serving.request
    assert request is not None
    _start_monitoring()
    ignored = AUTOVARY_IGNORED if ignore is None else frozenset(name.title() for name in ignore)
    charset = _negotiates_charset(request.config)
    request.hooks.attach("before_finalize", _set_vary, priority=95, ignore=ignored, charset=charset)


class AutovaryTool(Tool):
    """``tools.autovary``: both halves attached once per path, no per-request hook copy."""

    def __init__(self) -> None:
        super().__init__("on_start_resource", autovary, priority=0)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Monitor from ``on_start_resource``; set ``Vary`` at ``before_finalize``."""
        priority = self.priority_for(conf)
        ignore = conf.get("ignore")
        ignored = AUTOVARY_IGNORED if ignore is None else frozenset(name.title() for name in ignore)
        plan.hooks.attach("on_start_resource", _start_monitoring, priority=priority)
        charset = _negotiates_charset(plan.config)
        plan.hooks.attach(
            "before_finalize", _set_vary, priority=95, ignore=ignored, charset=charset
        )


# -- ignore_headers ----------------------------------------------------------------------


def ignore_headers(headers: Iterable[str] = ("Range",), debug: bool = False) -> None:
    """Remove the named request headers (``Range`` by default) before they are used."""
    request = serving.request
    assert request is not None
    for name in headers:
        request.headers.pop(name, None)
