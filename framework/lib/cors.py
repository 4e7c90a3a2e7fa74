"""``tools.cors``: Cross-Origin Resource Sharing, which CherryPy never had.

Let pages of other origins call the app from a browser::

    config = {"/api": {
        "tools.cors.on": True,
        "tools.cors.origins": ["https://app.example", "https://*.example.org"],
        "tools.cors.methods": ["GET", "POST", "PUT", "DELETE"],
        "tools.cors.headers": ["Content-Type", "Authorization"],
        "tools.cors.credentials": True,
        "tools.cors.max_age": 600,
        "tools.cors.expose_headers": ["X-Total-Count"],
    }}

Arguments:

- ``origins``: the allowed origins: exact (``https://app.example``), with ``*`` for
  any run of host characters (``https://*.example.org``), compiled regular expressions
  (matched whole), or ``"*"`` for every origin. ``null`` is allowed only when listed.
- ``methods``: what a preflight may ask for (default ``GET``, ``HEAD``, ``POST``).
- ``headers``: request headers a preflight may ask for besides the CORS-safelisted
  ones; ``"*"`` allows whatever is asked.
- ``credentials``: allow cookies and HTTP authentication (``Access-Control-Allow-
  Credentials: true``; the allowed origin is then echoed, never ``*``).
- ``max_age``: seconds a browser may cache a preflight answer.
- ``expose_headers``: response headers the page's script may read.

A request with an allowed ``Origin`` gets ``Access-Control-Allow-Origin`` (and the
other headers) before anything else runs, so error responses carry them too; every
response says ``Vary: Origin`` unless it is the same for all origins. A preflight
(``OPTIONS`` with ``Access-Control-Request-Method``) is answered by the tool itself,
without running the handler or the tools after it (no authentication: browsers send
none on a preflight): ``200`` with the allowed methods and headers, or ``403`` saying
what was refused. Origins, methods and headers are prepared once per path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from framework.context import current
from framework.core.tools import Tool
from framework.errors import HTTPRedirect
from framework.lib import set_vary_header

if TYPE_CHECKING:
    from framework.core.plan import Plan
    from framework.core.response import Response

__all__ = ["CorsPolicy", "CorsTool", "cors"]

DEFAULT_METHODS = ("GET", "HEAD", "POST")
#: Request headers a page may send without a preflight naming them (Fetch standard).
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})

OriginSpec = str | re.Pattern[str]


def _origin_pattern(spec: OriginSpec) -> re.Pattern[str] | str:
    """An exact origin (lower-cased text) or a pattern for one with ``*``."""
    if isinstance(spec, re.Pattern):
        return spec
    spec = spec.strip().rstrip("/").lower()
    if "*" not in spec:
        return spec
    parts = [re.escape(part) for part in spec.split("*")]
    return re.compile("[a-z0-9.-]+".join(parts))


class CorsPolicy:
    """One path's CORS settings, parsed once (see the module documentation)."""

    def __init__(
        self,
        origins: OriginSpec | Iterable[OriginSpec] = (),
        methods: Iterable[str] = DEFAULT_METHODS,
        headers: str | Iterable[str] = (),
        credentials: bool = False,
        max_age: int | None = None,
        expose_headers: Iterable[str] = (),
        debug: bool = False,
    ) -> None:
        specs = [origins] if isinstance(origins, str | re.Pattern) else list(origins)
        self.any_origin = "*" in specs
        self.exact = {spec for spec in map(_origin_pattern, specs) if isinstance(spec, str)}
        self.patterns = [p for p in map(_origin_pattern, specs) if isinstance(p, re.Pattern)]
        self.methods = [method.upper() for method in methods]
        self.any_header = headers == "*"
        self.headers = set() if isinstance(headers, str) else {header.lower() for header in headers}
        self.credentials = bool(credentials)
        self.max_age = max_age
        self.expose = ", ".join(expose_headers)
        # The response differs by origin unless every origin gets the same "*".
        self.varies = not (self.any_origin and not self.credentials)

    def allows(self, origin: str) -> bool:
        """True when ``origin`` may read responses."""
        if self.any_origin:
            return True
        lowered = origin.lower()
        if lowered in self.exact:
            return True
        return any(pattern.fullmatch(origin) for pattern in self.patterns)

    def allow_origin_header(self, origin: str) -> str:
        """The ``Access-Control-Allow-Origin`` value for an allowed ``origin``."""
        return "*" if self.any_origin and not self.credentials else origin

    def refused_headers(self, requested: str) -> list[str]:
        """The headers of ``Access-Control-Request-Headers`` this policy refuses."""
        if self.any_header:
            return []
        names = [name.strip().lower() for name in requested.split(",") if name.strip()]
        return [n for n in names if n not in self.headers and n not in SAFELISTED_HEADERS]

    def __call__(self) -> None:
        """Add the CORS headers; answer a preflight here (``on_start_resource``)."""
        pair = current()
        assert pair is not None
        request, response = pair
        if self.varies:
            set_vary_header(response, "Origin")
        origin = request.headers.get("Origin")
        if origin is None:
            return
        requested = request.headers.get("Access-Control-Request-Method")
        if request.method == "OPTIONS" and requested is not None:
            raise self.preflight(origin, requested, request.headers)
        if self.allows(origin):
            self._allow(response, origin)
            if self.expose:
                response.headers["Access-Control-Expose-Headers"] = self.expose

    def _allow(self, response: Response, origin: str) -> None:
        response.headers["Access-Control-Allow-Origin"] = self.allow_origin_header(origin)
        if self.credentials:
            response.headers["Access-Control-Allow-Credentials"] = "true"

    def preflight(self, origin: str, method: str, headers: Any) -> PreflightAnswer:
        """The answer to a preflight from ``origin`` asking for ``method``."""
        requested_headers = headers.get("Access-Control-Request-Headers", "")
        if not self.allows(origin):
            return PreflightAnswer(403, "CORS: this origin is not allowed.")
        if method.upper() not in self.methods:
            return PreflightAnswer(403, f"CORS: the method {method} is not allowed.")
        refused = self.refused_headers(requested_headers)
        if refused:
            return PreflightAnswer(403, f"CORS: headers not allowed: {', '.join(refused)}.")
        answer = PreflightAnswer(200, "")
        answer.headers.append(("Access-Control-Allow-Origin", self.allow_origin_header(origin)))
        if self.credentials:
            answer.headers.append(("Access-Control-Allow-Credentials", "true"))
        answer.headers.append(("Access-Control-Allow-Methods", ", ".join(self.methods)))
        if requested_headers:
            allowed = requested_headers if self.any_header else ", ".join(sorted(self.headers))
            answer.headers.append(("Access-Control-Allow-Headers", allowed))
        if self.max_age is not None:
            answer.headers.append(("Access-Control-Max-Age", str(int(self.max_age))))
        return answer


class PreflightAnswer(HTTPRedirect):
    """A preflight's complete answer, raised to end the request right there.

    # NOTE: an HTTPRedirect subclass because the pipeline renders an HTTPRedirect or
    HTTPError raised by any stage and then finalizes the response, skipping the rest
    (body, tools, handler): exactly how a preflight must end. It is never a redirect.
    """

    def __init__(self, status: int, message: str) -> None:
        Exception.__init__(self, status, message)
        self.urls: list[str] = []
        self.code = self.status = status
        self.message = message
        self.headers: list[tuple[str, str]] = []

    def set_response(self) -> None:
        """Write the status, the CORS headers and the (short, plain-text) body."""
        pair = current()
        assert pair is not None
        response = pair[1]
        response.status = self.status
        for name, value in self.headers:
            response.headers[name] = value
        body = self.message.encode("utf-8")
        response.headers["Content-Type"] = "text/plain;charset=utf-8"
        response.headers["Content-Length"] = str(len(body))
        response.body = body


def cors(
    origins: OriginSpec | Iterable[OriginSpec] = (),
    methods: Iterable[str] = DEFAULT_METHODS,
    headers: str | Iterable[str] = (),
    credentials: bool = False,
    max_age: int | None = None,
    expose_headers: Iterable[str] = (),
    debug: bool = False,
) -> None:
    """Apply a CORS policy to the current request (see the module documentation).

    Raises:
        PreflightAnswer: for a preflight, the answer that ends the request.
    """
    CorsPolicy(origins, methods, headers, credentials, max_age, expose_headers, debug)()


class CorsTool(Tool):
    """``tools.cors``: the policy is parsed once per path; it runs before other tools."""

    def __init__(self) -> None:
        super().__init__("on_start_resource", cors, priority=0)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the parsed policy (a malformed pattern is a config error)."""
        priority = self.priority_for(conf)
        plan.hooks.attach(self._point, CorsPolicy(**conf), priority=priority)
