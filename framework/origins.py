"""Same-origin rules: which hosts a request may name and a redirect may send a browser to.

Redirect targets often come from user input (``?next=...``), and browsers read URLs
more loosely than Python does: they drop tabs and newlines, take ``\\`` for ``/``, and
treat ``//host`` as another site. :func:`redirect_target` reads a target the way a
browser will, then allows it only if it stays on the request's own host (any port,
``http`` or ``https``) or names a host in ``request.allowed_hosts`` (config
``request.allowed_hosts``, e.g. ``["example.com", ".example.org"]``, a leading dot
allowing every subdomain). Only
``http`` and ``https`` are allowed, never userinfo (``https://good@evil.test``).

The same setting, when not empty, limits the ``Host`` a request may carry
(:func:`host_allowed`): an unexpected ``Host`` gets a 400 before it can reach a
``Location`` header or an absolute URL built by ``url()``.

# COMPAT: CherryPy redirects anywhere it is told to; this is a deliberate difference
# (docs/compat.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

__all__ = ["host_allowed", "plain_host", "redirect_target", "valid_host", "without_authority"]

# A Host value: reg-name or IP literal and an optional port; no userinfo, path or space.
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")
# What a browser removes from a URL before parsing it (WHATWG URL: tab and newlines).
_INVISIBLE = str.maketrans("", "", "\t\r\n")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_DEFAULT_PORTS = {"http": 80, "https": 443}


def valid_host(host: str) -> bool:
    """True if ``host`` is a syntactically valid ``Host`` value (``name[:port]``)."""
    return _HOST.fullmatch(host) is not None


def plain_host(host: str) -> str:
    """``host`` lowercased, without its port (``Example.com:80`` gives ``example.com``)."""
    host = host.lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rpartition(":")[0] if ":" in host else host


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """True if ``host`` (with or without a port) matches an entry of ``allowed``.

    An entry ``example.com`` matches that host; ``.example.com`` matches it and every
    subdomain; ``*`` matches any host.
    """
    name = plain_host(host)
    for entry in allowed:
        entry = entry.lower()
        if entry == "*" or entry == name:
            return True
        if entry.startswith(".") and (name == entry[1:] or name.endswith(entry)):
            return True
    return False


def redirect_target(url: str, current: str, allowed: Iterable[str] = ()) -> str | None:
    """Resolve a redirect target against the current URL; None if it leaves the origin.

    Args:
        url: the target as given (absolute, ``/path``, ``path``, ``//host/path``...).
        current: the absolute URL of the current request.
        allowed: hosts that targets may name besides the current one.

    Returns:
        The absolute target as a browser would read it (tabs and newlines removed,
        backslashes as slashes), or None if it names another host that is not
        allowed, another scheme than http(s), or userinfo.
    """
    try:
        target = urljoin(current, url.strip(_C0_AND_SPACE).translate(_INVISIBLE))
        target = target.replace("\\", "/")
        parts = urlsplit(target)
    except ValueError:  # "//[": an IPv6 literal that never ends
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc or "@" in parts.netloc:
        return None
    try:
        host, _ = parts.hostname, parts.port  # .port validates the port
    except ValueError:
        return None
    if host is not None and host == urlsplit(current).hostname:
        return target  # the same host (a scheme or port change, http -> https, is fine)
    if allowed and host_allowed(parts.netloc, allowed):
        return target
    return None


def without_authority(path: str) -> str:
    """Make a host-relative path that a browser can never read as ``//host``."""
    if path[:2] in ("//", "/\\"):
        return "/%2F" + path[2:].lstrip("/\\")
    return path
