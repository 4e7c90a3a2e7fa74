"""The session cookie: reading the id from a request, sending it on the response.

# PERF: the sessions tool runs on every request of its paths, and the stdlib cookie
classes cost more than the rest of the session (parsing the whole ``Cookie`` header,
building a ``Morsel`` attribute by attribute, formatting it again). Here the id is
read with one split of the raw header, and the ``Set-Cookie`` value is formatted once
per settings, path and second. The response sends that value as is
(:meth:`~framework.core.response.Response.preset_cookie`) unless something reads
``response.cookie``: only then is a :class:`SessionMorsel` made, which behaves as a
normal ``Morsel`` (and formats itself afresh) as soon as anyone changes it.
"""

from __future__ import annotations

from collections.abc import Container
from email.utils import formatdate
from functools import partial
from http.cookies import Morsel
from typing import Any

from framework.context import serving

__all__ = ["CookieFormat", "SessionMorsel", "read_id", "set_response_cookie"]


def read_id(raw: str | None, name: str) -> str | None:
    """Return the value of the first ``name`` cookie in a raw ``Cookie`` header."""
    if not raw or name not in raw:
        return None
    for pair in raw.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip('"')
    return None


_BLANK = dict.fromkeys(Morsel._reserved, "")  # type: ignore[attr-defined]


class SessionMorsel(Morsel[str]):
    """A ``Morsel`` that carries its ready-made ``Set-Cookie`` value until changed.

    Args:
        name: the cookie's name.
        value: its value (the session id: no quoting needed).
        attributes: every reserved attribute (blank where unset), as a ``Morsel`` has.
        output: the ``Set-Cookie`` value for all of the above.
    """

    def __init__(self, name: str, value: str, attributes: dict[str, Any], output: str) -> None:
        # PERF: what Morsel.__init__ does, in one C-level dict update.
        dict.update(self, attributes)
        self._key, self._value, self._coded_value = name, value, value
        self._output: str | None = output

    def __setitem__(self, key: str, value: Any) -> None:
        self._output = None
        super().__setitem__(key, value)

    def set(self, key: str, val: str, coded_val: str) -> None:
        """Change the value (the ready-made output is dropped)."""
        self._output = None
        super().set(key, val, coded_val)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Change attributes (the ready-made output is dropped)."""
        self._output = None
        super().update(*args, **kwargs)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """As ``Morsel.setdefault`` (the ready-made output is dropped)."""
        self._output = None
        return super().setdefault(key, default)

    def OutputString(self, attrs: Container[str] | None = None) -> str:
        """The ``Set-Cookie`` value."""
        if self._output is not None and attrs is None:
            return self._output
        return super().OutputString(attrs)


class CookieFormat:
    """The session cookie's attributes, formatted once; :meth:`send` adds id and expiry.

    Args: as :func:`set_response_cookie`.
    """

    def __init__(
        self,
        path: str | None = None,
        path_header: str | None = None,
        name: str = "session_id",
        timeout: float = 60,
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: str | None = "Lax",
    ) -> None:
        self.name = name
        self.path = path
        self.path_header = path_header
        self.seconds = max(int(timeout * 60), 1) if timeout else 0
        self.attributes: dict[str, Any] = {}
        if self.seconds:
            self.attributes["max-age"] = self.seconds
        if domain is not None:
            self.attributes["domain"] = domain
        if secure:
            self.attributes["secure"] = True
        if httponly:
            self.attributes["httponly"] = True
        if samesite:
            self.attributes["samesite"] = samesite
        #: (path, second) -> (every attribute, the Set-Cookie value after the id).
        self._tails: dict[tuple[str, int], tuple[dict[str, Any], str]] = {}

    def send(self, request: Any, response: Any, session_id: str) -> None:
        """Put the cookie for ``session_id`` on ``response``.

        The expiry counts from the start of the request (``response.time``).
        """
        path = self.path or (self.path_header and request.headers.get(self.path_header)) or "/"
        second = int(response.time) if self.seconds else 0
        found = self._tails.get((path, second))
        if found is None:
            found = self._format(path, second)
        attributes, tail = found
        output = f"{self.name}={session_id}{tail}"
        make_morsel = partial(SessionMorsel, self.name, session_id, attributes, output)
        response.preset_cookie(self.name, output, make_morsel)

    def _format(self, path: str, second: int) -> tuple[dict[str, Any], str]:
        """Format the attributes for one path and second (a new second: a new expiry)."""
        attributes = {**_BLANK, **self.attributes, "path": path}
        if self.seconds:
            attributes["expires"] = formatdate(second + self.seconds, usegmt=True)
        probe: Morsel[str] = Morsel()
        probe.set(self.name, "", "")
        probe.update(attributes)
        tail = probe.OutputString()[len(self.name) + 1 :]
        if len(self._tails) > 16:
            self._tails.clear()  # earlier seconds are done with
        found = self._tails[(path, second)] = (attributes, tail)
        return found


def set_response_cookie(
    path: str | None = None,
    path_header: str | None = None,
    name: str = "session_id",
    timeout: float = 60,
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = True,
    samesite: str | None = "Lax",
) -> None:
    """Send the current session's id in a cookie with these attributes.

    Args:
        path: the cookie's path (default: the ``path_header`` request header, or /).
        path_header: a request header holding the cookie path.
        name: the cookie's name.
        timeout: minutes until the cookie expires (0: a browser-session cookie).
        domain: the cookie's domain.
        secure: send it over HTTPS only.
        httponly: hide it from scripts.
        samesite: its SameSite attribute (None: unset).
    """
    pair = serving.get()
    assert pair is not None
    request, response = pair
    assert request.session is not None
    cookie = CookieFormat(path, path_header, name, timeout, domain, secure, httponly, samesite)
    cookie.send(request, response, request.session.id)
