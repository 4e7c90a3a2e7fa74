"""The response object: status, headers, cookies and body, then finalization.

Handlers return a body (str, bytes, a list or any iterable, a generator, a file, or
``None``); the ``encode`` tool turns text into bytes; :meth:`Response.finalize`
validates the status, sets ``Content-Length`` (collapsing the body) unless
``response.stream`` is true, and produces the WSGI status line and header list.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from http.cookies import Morsel, SimpleCookie
from typing import Any

from framework.errors import HTTPError
from framework.httputil import HeaderMap, UnsafeHeader, valid_status

__all__ = ["Response", "http_date"]

_new_headers = dict.__new__
_new_cookie = dict.__new__
#: The status a response starts with (identity-compared: it needs no validation).
_OK = "200 OK"

_date_cache: tuple[int, str] = (0, "")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(now: float | None = None) -> str:
    """Return an RFC 7231 date for ``now`` (cached per second)."""
    global _date_cache
    if now is None:
        now = time.time()
    second = int(now)
    if _date_cache[0] != second:
        t = time.gmtime(second)
        _date_cache = (
            second,
            f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT",
        )
    return _date_cache[1]


class file_generator:
    """Iterate over a file in chunks, closing it after the last one (or on :meth:`close`).

    A class rather than a generator so that :meth:`close` closes the file even when
    no chunk was read (a response body replaced by an error page or a redirect).

    Args:
        input: a file opened for reading.
        chunkSize: bytes per chunk (CherryPy's spelling).
    """

    def __init__(self, input: Any, chunkSize: int = 65536) -> None:
        self.input = input
        self.chunkSize = chunkSize

    def __iter__(self) -> file_generator:
        return self

    def __next__(self) -> Any:
        chunk = self.input.read(self.chunkSize)
        if chunk:
            return chunk
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Close the file (also done after the last chunk)."""
        close = getattr(self.input, "close", None)
        if close is not None:
            close()


class Response:
    """The response being built for the current request.

    Attributes:
        status: ``"200 OK"``-style string (an int may be assigned).
        headers: a case-insensitive :class:`~framework.httputil.HeaderMap`.
        cookie: a :class:`http.cookies.SimpleCookie` sent as ``Set-Cookie``.
        body: the body as an iterable of bytes (or text before encoding).
        stream: if true, the body is sent as produced (no ``Content-Length``
            unless set), and the request context stays valid while it is iterated.
        time: when the request started (seconds since the epoch).
        output_status / header_list: the WSGI status line and headers, set by
            :meth:`finalize`.
    """

    timeout = 300.0
    stream = False
    output_status = ""
    _cookie: SimpleCookie | None = None
    #: Cookies set by :meth:`preset_cookie` while :attr:`cookie` was never read:
    #: name -> (Set-Cookie value, Morsel factory).
    _preset_cookies: dict[str, tuple[str, Callable[[], Morsel[str]]]] | None = None

    def __init__(self) -> None:
        self.status: Any = _OK
        self.time = now = time.time()
        # PERF: an empty map straight from dict.__new__ (no Python-level __init__).
        self.headers = headers = _new_headers(HeaderMap)
        dict.__setitem__(headers, "Content-Type", "text/html")
        dict.__setitem__(headers, "Server", "Cherry")
        dict.__setitem__(headers, "Date", http_date(now))
        self._body: Any = []
        self.header_list: list[tuple[str, str]] = []
        #: How many ``header_list`` entries finalize() produced (all ``str``); entries
        #: appended after it (an ``on_end_resource`` tool) are checked when sent.
        self.finalized_headers = 0

    @property
    def cookie(self) -> SimpleCookie:
        """Cookies to set on the client."""
        cookie = self._cookie
        if cookie is None:
            # PERF: an empty SimpleCookie straight from dict.__new__ (its __init__ only
            # parses an optional input).
            cookie = self._cookie = _new_cookie(SimpleCookie)
            preset = self._preset_cookies
            if preset is not None:
                self._preset_cookies = None
                for name, (_, make_morsel) in preset.items():
                    dict.__setitem__(cookie, name, make_morsel())
        return cookie

    @cookie.setter
    def cookie(self, value: SimpleCookie) -> None:
        self._cookie = value
        self._preset_cookies = None

    def preset_cookie(
        self, name: str, header_value: str, make_morsel: Callable[[], Morsel[str]]
    ) -> None:
        """Set the cookie ``name`` from its ready-made ``Set-Cookie`` value.

        # PERF: a tool that sets the same kind of cookie on every request (the session
        id) formats it once; the ``Morsel`` that :attr:`cookie` holds for it costs more to
        build than the rest, so it is built only if something reads :attr:`cookie`.

        Args:
            name: the cookie's name.
            header_value: the ``Set-Cookie`` value, sent as is if nobody reads
                :attr:`cookie`.
            make_morsel: returns the equivalent ``Morsel`` (called at most once).
        """
        cookie = self._cookie
        if cookie is not None:
            dict.__setitem__(cookie, name, make_morsel())
            return
        preset = self._preset_cookies
        if preset is None:
            preset = self._preset_cookies = {}
        preset[name] = (header_value, make_morsel)

    @property
    def sets_cookies(self) -> bool:
        """Whether the response sends any ``Set-Cookie`` header."""
        return bool(self._cookie or self._preset_cookies)

    @property
    def body(self) -> Any:
        """The body, normalized to an iterable (a list for fixed content)."""
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        if value is None:
            self._body = []
        elif isinstance(value, bytes | str):
            self._body = [value]
        elif isinstance(value, list):
            self._body = value
        elif hasattr(value, "read"):
            self._body = file_generator(value)
        elif isinstance(value, Iterable):
            self._body = value
        else:
            self._body = [str(value)]

    def collapse_body(self) -> bytes:
        """Join the body into one bytes value (and keep it as the body)."""
        body = self._body
        if type(body) is list and len(body) == 1 and type(body[0]) is bytes:
            return body[0]  # PERF: already collapsed (the encode tool's usual result)
        parts = []
        for chunk in self._body:
            parts.append(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        content = b"".join(parts)
        self._body = [content]
        return content

    def finalize(self) -> None:
        """Validate the status and compute the WSGI status line and headers.

        Raises:
            HTTPError: 500 if the status set by the application is invalid.
        """
        status = self.status
        if status is _OK:  # PERF: the default status needs no validation
            code = 200
        else:
            try:
                code, reason, _ = valid_status(status)
            except ValueError as exc:
                # The status is the application's own value, not the request's: its
                # message is shown, in production too (as CherryPy).
                raise HTTPError(500, str(exc)) from None
            self.status = status = f"{code} {reason}"
        headers = self.headers
        self.output_status = status
        if self.stream:
            if dict.get(headers, "Content-Length") is None:
                dict.pop(headers, "Content-Length", None)
        elif code < 200 or code in (204, 205, 304):
            dict.pop(headers, "Content-Length", None)
            # PEP 3333 validators reject a Content-Type on a response without content.
            dict.pop(headers, "Content-Type", None)
            self._body = []
        elif dict.get(headers, "Content-Length") is None:
            dict.__setitem__(headers, "Content-Length", str(len(self.collapse_body())))
        try:
            self.header_list = header_list = headers.output(strict=True)
        except UnsafeHeader as exc:
            # Refused, never rewritten: the header is dropped and the response is a 500.
            dict.pop(headers, exc.name, None)
            raise HTTPError(500, str(exc), echoes_input=True) from None
        if self._cookie or self._preset_cookies:
            header_list += self._set_cookie_headers()
        self.finalized_headers = len(header_list)

    def _set_cookie_headers(self) -> list[tuple[str, str]]:
        """One ``Set-Cookie`` header per cookie (preset ones as they were formatted)."""
        if self._cookie:
            return [("Set-Cookie", morsel.OutputString()) for morsel in self._cookie.values()]
        preset = self._preset_cookies or {}
        return [("Set-Cookie", header_value) for header_value, _ in preset.values()]

    def iter_body(self) -> Iterator[bytes]:
        """Yield the body as bytes (text chunks are encoded as UTF-8)."""
        for chunk in self._body:
            yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk

    def __repr__(self) -> str:
        return f"<Response {self.status}>"
