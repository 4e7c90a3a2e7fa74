"""In-process HTTP test client for Cherry applications and any WSGI callable.

`Client` builds a PEP 3333 environ per call, runs the application through
`wsgiref.validate.validator` (so every test also checks the framework's WSGI
compliance), always closes the response iterable and returns a `TestResponse`. Cookies
are kept in a jar across calls (:mod:`framework.testing.cookies`); bodies are encoded
by :mod:`framework.testing.forms`; redirects can be followed on the same app::

    client = Client(Root)      # root class or object, Application, any WSGI callable
    client.get("/hello", params={"name": "ann"}).assert_status(200)

`framework.testing_plugin` wraps this in the pytest fixtures.
"""

from __future__ import annotations

import io
import json as jsonlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, unquote_to_bytes, urlencode, urljoin, urlsplit
from wsgiref.validate import validator

from framework.headers import parse_header
from framework.testing.cookies import CookieJar
from framework.testing.forms import FileSpec, encode_body, form_pairs

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["Client", "Headers", "TestResponse", "TooManyRedirects", "resolve_app"]

# Characters left alone when percent-encoding a request path. '%' is among them so that a
# test can send pre-encoded or deliberately malformed escapes ("/a%2Fb", "/%zz") verbatim.
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_SAFE = "/%:@!$&'()*+,;=~?"
_HeaderList = list[tuple[str, str]]
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 10
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class TooManyRedirects(Exception):
    """Raised when following redirects takes more than ten hops."""


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only view of response headers that keeps repeats.

    ``headers["set-cookie"]`` gives the first value; ``get_all`` gives every value in the
    order the application sent them; ``raw`` is the original list of pairs.
    """

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self.raw: list[tuple[str, str]] = list(items)

    def __getitem__(self, name: str) -> str:
        wanted = name.lower()
        for key, value in self.raw:
            if key.lower() == wanted:
                return value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for key, _ in self.raw:
            if key.lower() not in seen:
                seen.add(key.lower())
                yield key

    def __len__(self) -> int:
        return len({key.lower() for key, _ in self.raw})

    def get_all(self, name: str) -> list[str]:
        """Return every value sent for ``name`` (case-insensitive), possibly empty."""
        wanted = name.lower()
        return [value for key, value in self.raw if key.lower() == wanted]

    def __repr__(self) -> str:
        return f"Headers({self.raw!r})"


class TestResponse:
    """What the application answered: status, headers and the fully collected body."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(
        self, status: str, headers: _HeaderList, body: bytes, *, url: str, errors: str = ""
    ) -> None:
        self.status = status
        self.headers = Headers(headers)
        self.body = body
        self.url = url
        self.errors = errors  # what the application wrote to wsgi.errors
        self.history: list[TestResponse] = []  # redirects followed to get here

    @property
    def status_code(self) -> int:
        """The numeric status, e.g. ``404``."""
        return int(self.status.split(None, 1)[0])

    @property
    def charset(self) -> str:
        """The charset named in Content-Type, or ``utf-8`` when there is none."""
        _, params = parse_header(self.headers.get("Content-Type", ""))
        return params.get("charset") or "utf-8"

    @property
    def text(self) -> str:
        """The body decoded with the response charset."""
        return self.body.decode(self.charset)

    def json(self) -> Any:
        """Parse the body as JSON (raises json.JSONDecodeError when it is not)."""
        return jsonlib.loads(self.body)

    def assert_status(self, code: int) -> TestResponse:
        """Return self if the status is ``code``, else raise AssertionError showing the body."""
        if self.status_code != code:
            raise AssertionError(
                f"expected status {code}, got {self.status!r}; body starts: {self.body[:300]!r}"
            )
        return self

    def __repr__(self) -> str:
        return f"<TestResponse {self.status!r} {self.url}>"


def resolve_app(app: object, config: Mapping[str, Any] | None = None) -> WSGIApplication:
    """Turn a root class/object, an Application, a Tree or a WSGI callable into WSGI.

    Roots are wrapped in a fresh `framework.Application` mounted at "" so the global
    `framework.tree` is never touched.

    Raises:
        TypeError: ``app`` is none of these.
        ValueError: ``config`` given for something that is not a root.
    """
    from framework.core.application import Application
    from framework.introspect import classify

    kind = classify(app)
    if kind in ("class", "root"):
        root = app() if isinstance(app, type) else app
        return cast("WSGIApplication", Application(root, "", dict(config or {})))
    if kind in ("application", "tree", "wsgi"):
        if config is not None:
            raise ValueError("config= only applies to a root object, not a WSGI callable")
        return cast("WSGIApplication", app)
    raise TypeError(
        f"cannot test {app!r}: pass a root object or class, an Application or a WSGI callable"
    )


class _Exchange:
    """start_response/write bookkeeping for one in-process WSGI call (PEP 3333 rules)."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: _HeaderList = []
        self.chunks: list[bytes] = []  # only non-empty chunks, so truthy == headers sent

    def start_response(
        self, status: str, headers: _HeaderList, exc_info: OptExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        if exc_info is not None and exc_info[1] is not None:
            if self.chunks:  # too late to change the status: re-raise as a server would
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise AssertionError("start_response() called twice without exc_info")
        self.status, self.headers = status, list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        # Only reachable after start_response: the validator checks the iteration path.
        if data:
            self.chunks.append(data)


class Client:
    """Drive a WSGI application in process, keeping cookies between calls.

    Args:
        app: a root class (instantiated) or root object, mounted in a private
            `framework.Application` at ""; or a `framework.Application`, a `Tree`, or
            any other WSGI callable, used as is.
        base_url: scheme, host and port the requests pretend to target.
        environ_overrides: keys merged into every environ last (values must be str
            unless the key contains a dot, as the validator demands).
        config: app config (``{path: {key: value}}``) for a root being mounted.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: object,
        *,
        base_url: str = "http://127.0.0.1",
        environ_overrides: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        base = urlsplit(base_url)
        if base.scheme not in ("http", "https") or not base.hostname:
            raise ValueError(f"base_url must look like http://host[:port], got {base_url!r}")
        self.app = resolve_app(app, config)
        self.scheme = base.scheme
        self.host = base.netloc
        self.server_name = base.hostname
        self.server_port = str(base.port or (443 if base.scheme == "https" else 80))
        self.environ_overrides: dict[str, Any] = dict(environ_overrides or {})
        self.cookies = CookieJar()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | str | bytes | None = None,
        json: Any = None,
        files: Mapping[str, FileSpec | list[FileSpec]] | None = None,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        content_type: str | None = None,
        follow_redirects: bool = False,
    ) -> TestResponse:
        """Send one request (plus redirect hops when asked) and return the response.

        Args:
            method: HTTP method, any case.
            path: ``/path?query`` or an absolute URL. Unsafe characters are percent-encoded;
                existing ``%XX`` escapes, even malformed ones, are sent as is.
            params: query parameters, appended to any query already in ``path``.
            data: a mapping (urlencoded, or the form fields next to ``files``) or raw bytes/str.
            json: a value sent as an application/json body.
            files: uploads, sent as multipart/form-data together with ``data``.
            headers: extra request headers; Content-Type/Content-Length given here win.
            content_type: overrides the Content-Type derived from the body.
            follow_redirects: follow up to ten 3xx hops; 303 (and 301/302 after a non-GET)
                switch to a body-less GET. ``response.history`` lists the hops.

        Raises:
            ValueError: conflicting body keywords.
            TooManyRedirects: more than ten hops.
            AssertionError: the application broke the WSGI protocol.
        """
        body, body_type = encode_body(data, json, files)
        if content_type is not None:
            body_type = content_type
        if params:
            path += ("&" if "?" in path else "?") + urlencode(form_pairs(params))
        method = method.upper()
        extra_headers = list(headers.items() if isinstance(headers, Mapping) else headers or ())
        response = self._send(method, path, body, body_type, extra_headers)
        history: list[TestResponse] = []
        while (
            follow_redirects
            and response.status_code in _REDIRECT_CODES
            and "Location" in response.headers
        ):
            if len(history) == _MAX_REDIRECTS:
                raise TooManyRedirects(f"more than {_MAX_REDIRECTS} redirects from {path!r}")
            history.append(response)
            code = response.status_code
            if code == 303 or (code in (301, 302) and method not in ("GET", "HEAD")):
                method, body, body_type = ("HEAD" if method == "HEAD" else "GET"), None, None
            target = urljoin(response.url, response.headers["Location"])
            response = self._send(method, target, body, body_type, extra_headers)
        response.history = history
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """Send a GET request; keywords as for `request`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        """Send a POST request; keywords as for `request`."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        """Send a PUT request; keywords as for `request`."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        """Send a PATCH request; keywords as for `request`."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        """Send a DELETE request; keywords as for `request`."""
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> TestResponse:
        """Send a HEAD request; the body is whatever the application produced."""
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> TestResponse:
        """Send an OPTIONS request; keywords as for `request`."""
        return self.request("OPTIONS", path, **kwargs)

    def _send(
        self,
        method: str,
        target: str,
        body: bytes | None,
        body_type: str | None,
        extra_headers: list[tuple[str, str]],
    ) -> TestResponse:
        """Run one exchange through the validator and update the cookie jar."""
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            path, query = parts.path, parts.query
        else:
            path, _, query = target.partition("#")[0].partition("?")
        raw_path = quote(path if path.startswith("/") else "/" + path, safe=_PATH_SAFE)
        query = quote(query, safe=_QUERY_SAFE)
        request_uri = raw_path + ("?" + query if query else "")
        if body is None and method in _BODY_METHODS:
            body = b""  # real clients send Content-Length: 0 rather than nothing
        errors = io.StringIO()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            # PEP 3333: PATH_INFO is the URL-decoded bytes seen as latin-1 text.
            "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": request_uri,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": self.server_port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            # COMPAT: cheroot sets this and CherryPy-style code reads it.
            "ACTUAL_SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "Cherry-TestClient",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "54321",
            "HTTP_HOST": self.host,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": io.BytesIO(body or b""),
            "wsgi.errors": errors,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if body is not None:
            environ["CONTENT_LENGTH"] = str(len(body))
        if body_type is not None:
            environ["CONTENT_TYPE"] = body_type
        cookie_header = self.cookies.header_for(raw_path, secure=self.scheme == "https")
        header_pairs = extra_headers + ([("Cookie", cookie_header)] if cookie_header else [])
        seen: set[str] = set()
        for name, value in header_pairs:
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if key in seen:  # repeated header: fold into one value as a server does
                separator = "; " if key == "HTTP_COOKIE" else ", "
                environ[key] = f"{environ[key]}{separator}{value}"
            else:
                environ[key] = value
                seen.add(key)
        environ.update(self.environ_overrides)
        status, headers, content = _run(self.app, environ)
        self.cookies.extract(Headers(headers).get_all("Set-Cookie"), raw_path)
        url = f"{self.scheme}://{self.host}{request_uri}"
        return TestResponse(status, headers, content, url=url, errors=errors.getvalue())


def _run(app: WSGIApplication, environ: WSGIEnvironment) -> tuple[str, _HeaderList, bytes]:
    """Call ``app`` through the WSGI validator, collect the body, always close.

    Raises:
        AssertionError: a WSGI protocol violation (from the validator or our checks).
    """
    exchange = _Exchange()
    result = validator(app)(environ, exchange.start_response)
    try:
        for chunk in result:
            exchange.write(chunk)
    finally:
        # The validator asserts that the iterable is closed, and closing is what lets
        # the framework clear its per-request context.
        getattr(result, "close", lambda: None)()
    if exchange.status is None:
        raise AssertionError("the application returned without calling start_response()")
    return exchange.status, exchange.headers, b"".join(exchange.chunks)
