"""``tools.proxy``: the request as the client made it, when a reverse proxy forwards it.

Behind nginx, Apache or a load balancer, the request reaching the app comes from the
proxy: its ``Host`` may be an internal name, its scheme plain HTTP, its peer address the
proxy's. The proxy says what the client sent in ``X-Forwarded-Host``,
``X-Forwarded-Proto`` and ``X-Forwarded-For`` (or RFC 7239 ``Forwarded: for=...;
proto=...; host=...``); with the tool on, ``request.base`` (so :func:`framework.url`,
redirects and the trailing-slash tool), ``request.scheme`` and ``request.remote`` (so the
access log) follow them::

    config = {"/": {"tools.proxy.on": True}}
    # behind a proxy on another host:
    config = {"/": {"tools.proxy.on": True, "tools.proxy.trusted": ["10.0.0.0/8"]}}

Forwarded headers are believed only from a trusted peer: the address the connection
comes from must be in ``trusted`` (addresses or networks; default: this host, i.e.
``127.0.0.1``, ``::1`` and Unix sockets). From any other peer they are ignored, so a
client talking to the app directly cannot choose the host of the links it is sent,
nor the address the log records. ``trusted = "*"`` believes every peer, as CherryPy
does.

Arguments, as CherryPy's ``tools.proxy``: ``base`` (a fixed ``scheme://host[:port]``,
used when no forwarded host is given), ``local`` (the host header to read, default
``X-Forwarded-Host``; ``""`` to keep ``base``), ``remote`` (the client-address header,
default ``X-Forwarded-For``; ``""`` to keep the peer) and ``scheme`` (the scheme header,
default ``X-Forwarded-Proto``; ``X-Forwarded-Ssl: on`` also means https). A
``Forwarded`` header, when present, is read first; its first element is the one closest
to the client. In a comma-separated ``X-Forwarded-*`` list the first value is used.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from framework.context import current
from framework.core.tools import Tool
from framework.headers import split_elements, unquote
from framework.httputil import Host

if TYPE_CHECKING:
    from framework.core.plan import Plan
    from framework.core.request import Request

__all__ = ["DEFAULT_TRUSTED", "ProxyTool", "TrustedPeers", "forwarded_pairs", "proxy"]

#: Peers trusted by default: this host (loopback; a Unix socket peer counts as local).
DEFAULT_TRUSTED = ("127.0.0.1", "::1")

# One ``name=value`` of a Forwarded element; the value a token or a quoted string.
_FORWARDED_PAIR = re.compile(r'([A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class TrustedPeers:
    """Which peer addresses may speak for the client (parsed once per path).

    Args:
        trusted: addresses or networks (``"10.0.0.0/8"``), or ``"*"`` for any peer.

    Raises:
        ValueError: an entry is not an address or a network.
    """

    def __init__(self, trusted: str | Iterable[str] = DEFAULT_TRUSTED) -> None:
        entries = [trusted] if isinstance(trusted, str) else list(trusted)
        self.anyone = "*" in entries
        self.networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
            ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry != "*"
        )
        self.local = any(net.is_loopback for net in self.networks)
        self._known: dict[str, bool] = {}

    def __contains__(self, peer: str) -> bool:
        if self.anyone:
            return True
        known = self._known.get(peer)
        if known is None:
            known = self._judge(peer)
            if len(self._known) < 1024:  # PERF: a site has few peers; never grow unbounded
                self._known[peer] = known
        return known

    def _judge(self, peer: str) -> bool:
        if not peer:
            return self.local  # a Unix socket: only processes of this host connect
        try:
            address = ipaddress.ip_address(peer.strip("[]").partition("%")[0])
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def forwarded_pairs(value: str) -> dict[str, str]:
    """The parameters of the first element of an RFC 7239 ``Forwarded`` header.

    Names are lower-cased; quoted values are unquoted. A malformed header gives what
    could be read (possibly ``{}``).
    """
    elements = split_elements(value) if value else []
    if not elements:
        return {}
    return {
        name.lower(): unquote(raw.strip()) for name, raw in _FORWARDED_PAIR.findall(elements[0])
    }


def _client_address(value: str) -> tuple[str, int | None] | None:
    """``(ip, port)`` from a ``for=`` value or an X-Forwarded-For entry; None if not an IP."""
    value = value.strip().strip('"')
    port: int | None = None
    if value.startswith("["):  # [2001:db8::1]:4711
        host, _, rest = value[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
        value = host
    elif value.count(":") == 1:  # 192.0.2.60:4711
        host, _, maybe_port = value.partition(":")
        if maybe_port.isdigit():
            value, port = host, int(maybe_port)
    try:
        return str(ipaddress.ip_address(value)), port
    except ValueError:
        return None


class _Proxy:
    """The rewrite of one path, with its settings and trusted peers prepared once."""

    def __init__(
        self,
        base: str | None = None,
        local: str | None = "X-Forwarded-Host",
        remote: str | None = "X-Forwarded-For",
        scheme: str | None = "X-Forwarded-Proto",
        debug: bool = False,
        trusted: str | Iterable[str] = DEFAULT_TRUSTED,
    ) -> None:
        self.base = base
        self.local = local
        self.remote = remote
        self.scheme = scheme
        self.debug = debug
        self.trusted = TrustedPeers(trusted)

    def __call__(self) -> None:
        pair = current()
        assert pair is not None
        request = pair[0]
        trusted = request.remote.ip in self.trusted
        if not trusted and self.debug:
            request.app.log.error(
                f"Ignoring forwarded headers from untrusted peer {request.remote.ip!r}",
                "TOOLS.PROXY",
            )
        headers = request.headers if trusted else {}
        forwarded = forwarded_pairs(headers.get("Forwarded", "")) if trusted else {}
        scheme = self._scheme(request, headers, forwarded)
        request.base = self._base(request, headers, forwarded, scheme)
        if self.remote:
            self._rewrite_remote(request, headers, forwarded)

    def _scheme(self, request: Request, headers: Any, forwarded: dict[str, str]) -> str:
        if self.scheme:
            value = forwarded.get("proto") or headers.get(self.scheme)
            if value:
                value = value.split(",")[0].strip().lower()
                if value == "on" and "ssl" in self.scheme.lower():
                    value = "https"  # X-Forwarded-Ssl: on
                if value in ("http", "https"):
                    request.scheme = value
                    return value
        return request.base.partition("://")[0] or request.scheme

    def _base(self, request: Request, headers: Any, forwarded: dict[str, str], scheme: str) -> str:
        base = self.base
        if self.local:
            value = forwarded.get("host") or headers.get(self.local)
            if value:
                base = value.split(",")[0].strip()
        if not base:
            base = request.headers.get("Host") or urlsplit(request.base).netloc
        if "://" not in base:
            base = f"{scheme}://{base}"
        return base.rstrip("/")

    def _rewrite_remote(self, request: Request, headers: Any, forwarded: dict[str, str]) -> None:
        assert self.remote is not None
        value = forwarded.get("for") or headers.get(self.remote)
        if not value:
            return
        found = _client_address(value.split(",")[0])
        if found is None:
            return  # "unknown", an obfuscated name or garbage: keep the peer
        ip, port = found
        old = request.remote
        request.remote = Host(ip, old.port if port is None else port, "")


def proxy(
    base: str | None = None,
    local: str | None = "X-Forwarded-Host",
    remote: str | None = "X-Forwarded-For",
    scheme: str | None = "X-Forwarded-Proto",
    debug: bool = False,
    trusted: str | Iterable[str] = DEFAULT_TRUSTED,
) -> None:
    """Rewrite ``request.base``, ``scheme`` and ``remote`` from a trusted proxy's headers.

    CherryPy's API; see the module documentation for the arguments.
    """
    _Proxy(base, local, remote, scheme, debug, trusted)()


class ProxyTool(Tool):
    """``tools.proxy``: the settings and the trusted networks are parsed once per path."""

    def __init__(self) -> None:
        super().__init__("before_request_body", proxy, priority=30)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the rewrite (a malformed ``trusted`` entry is a config error)."""
        priority = self.priority_for(conf)
        plan.hooks.attach(self._point, _Proxy(**conf), priority=priority)
