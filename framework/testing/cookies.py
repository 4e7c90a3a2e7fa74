"""The test client's cookie jar: what a browser would store and send back.

:class:`CookieJar` keeps the cookies a response sets (``Set-Cookie``) and builds the
``Cookie`` header for the next request, honouring ``Path``, ``Max-Age``, ``Expires``
and ``Secure`` as RFC 6265 says. ``Domain`` is ignored on purpose: a test client talks
to exactly one host.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["CookieJar"]


@dataclass
class _Cookie:
    name: str
    value: str
    path: str
    secure: bool
    expires: float | None  # epoch seconds; None means a session cookie


class CookieJar(Mapping[str, str]):
    """The client's cookies, keyed by (name, path) inside, read as ``name -> value``.

    Honours the Path, Max-Age, Expires and Secure attributes of Set-Cookie. Domain is
    ignored on purpose: a test client talks to exactly one host.
    """

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str], _Cookie] = {}

    def __getitem__(self, name: str) -> str:
        for cookie in self._live():
            if cookie.name == name:
                return cookie.value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(cookie.name for cookie in self._live()))

    def __len__(self) -> int:
        return len({cookie.name for cookie in self._live()})

    def set(self, name: str, value: str, path: str = "/") -> None:
        """Store a cookie as if the application had set it (session cookie)."""
        self._cookies[name, path] = _Cookie(name, value, path, secure=False, expires=None)

    def clear(self) -> None:
        """Forget every cookie."""
        self._cookies.clear()

    def extract(self, set_cookie_headers: Iterable[str], request_path: str) -> None:
        """Update the jar from one response's Set-Cookie values for ``request_path``."""
        for header in set_cookie_headers:
            cookie = _parse_set_cookie(header, _default_cookie_path(request_path))
            if cookie is None:
                continue
            key = (cookie.name, cookie.path)
            if cookie.expires is not None and cookie.expires <= time.time():
                self._cookies.pop(key, None)
            else:
                self._cookies[key] = cookie

    def header_for(self, request_path: str, *, secure: bool) -> str:
        """Build the Cookie header value for a request to ``request_path``.

        Returns:
            ``"a=1; b=2"`` with longer paths first, or ``""`` when nothing matches.
        """
        matching = [
            cookie
            for cookie in self._live()
            if _path_matches(request_path, cookie.path) and (secure or not cookie.secure)
        ]
        matching.sort(key=lambda cookie: len(cookie.path), reverse=True)
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in matching)

    def _live(self) -> list[_Cookie]:
        now = time.time()
        for key, cookie in list(self._cookies.items()):
            if cookie.expires is not None and cookie.expires <= now:
                del self._cookies[key]
        return list(self._cookies.values())

    def __repr__(self) -> str:
        return f"CookieJar({dict(self)!r})"


def _parse_set_cookie(header: str, default_path: str) -> _Cookie | None:
    """Parse one Set-Cookie value; ``None`` when it has no ``name=value`` pair."""
    pair, *attributes = header.split(";")
    name, sep, value = pair.partition("=")
    if not sep or not name.strip():
        return None
    cookie = _Cookie(name.strip(), value.strip(), default_path, secure=False, expires=None)
    max_age: int | None = None
    for attribute in attributes:
        key, _, attr_value = attribute.partition("=")
        key, attr_value = key.strip().lower(), attr_value.strip()
        if key == "path" and attr_value.startswith("/"):
            cookie.path = attr_value
        elif key == "secure":
            cookie.secure = True
        elif key == "max-age":
            max_age = int(attr_value) if attr_value.lstrip("-").isdigit() else max_age
        elif key == "expires":
            cookie.expires = _parse_http_date(attr_value)
    if max_age is not None:  # Max-Age wins over Expires (RFC 6265 section 5.3)
        cookie.expires = time.time() + max_age
    return cookie


def _parse_http_date(value: str) -> float | None:
    # Old Netscape-style dates use dashes ("Wed, 09-Jun-2021 10:18:14 GMT").
    for candidate in (value, value.replace("-", " ")):
        try:
            return parsedate_to_datetime(candidate).timestamp()
        except (TypeError, ValueError, IndexError):
            continue
    return None


def _default_cookie_path(request_path: str) -> str:
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def _path_matches(request_path: str, cookie_path: str) -> bool:
    # RFC 6265 path-match: "/admin" covers "/admin" and "/admin/x", not "/administrator".
    if not request_path.startswith(cookie_path):
        return False
    return len(request_path) == len(cookie_path) or "/" in (
        cookie_path[-1],
        request_path[len(cookie_path)],
    )
