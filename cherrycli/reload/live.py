"""Error pages that refresh themselves after the next reload (``cherry serve --reload``).

A reload worker serves its app through :class:`LiveReload`, a WSGI middleware that
exists only there (never without ``--reload``, never under ``--workers``):

- ``GET`` :data:`EVENTS_PATH` is a Server-Sent Events stream that sends this worker's
  token once, then keeps the connection open until the worker stops;
- an HTML error page (status 400 or above) answering a ``GET`` gets a small script
  before ``</body>``: it listens to that stream and reloads the page when a token other
  than its own arrives.

When a save replaces the worker, the old one ends its streams as it stops (they must
not hold up its drain); the browser's ``EventSource`` reconnects after
:data:`RETRY_MS`, reaches the new worker, receives its token and reloads the page: the
fixed page (or the next error) shows without touching the browser. The same happens
after a failed load: the load-error page is served through the middleware too.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["EVENTS_PATH", "RETRY_MS", "LiveReload", "script"]

#: The event stream's path, outside any app's URL space.
EVENTS_PATH = "/__cherry__/reload"
#: How soon the browser reconnects after the stream ends (the worker being replaced).
RETRY_MS = 200
# Seconds between keep-alive comments on an idle stream.
_PING_EVERY = 15.0

WSGIApp = Callable[..., Iterable[bytes]]


def script(token: str) -> str:
    """The ``<script>`` an error page gets: reload when another worker answers.

    Args:
        token: the token of the worker that served the page.

    Returns:
        The element, ready to insert before ``</body>``.
    """
    return (
        "<script>(function(){var own=" + repr(token) + ";"
        f"var events=new EventSource({EVENTS_PATH!r});"
        "events.onmessage=function(e){if(e.data!==own){events.close();location.reload();}};"
        "})();</script>"
    )


class LiveReload:
    """WSGI middleware: the reload event stream, and the script on HTML error pages.

    Args:
        app: the WSGI app of the worker (the mounted tree, or the load-error page).
        token: what identifies this worker to the pages (random when None).
    """

    def __init__(self, app: WSGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token or secrets.token_hex(8)
        self.stopping = threading.Event()
        self._script = script(self.token).encode()

    def stop(self) -> None:
        """End every open stream (the worker is stopping: nothing may hold its drain)."""
        self.stopping.set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Serve the event stream, or the app (its HTML error pages with the script)."""
        if environ.get("PATH_INFO") == EVENTS_PATH and not environ.get("SCRIPT_NAME"):
            return self._events(start_response)
        if environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)  # reloading a POST would resend it
        held: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if _is_html_error(status, headers):
                held.update(status=status, headers=headers, exc_info=exc_info)
                return lambda data: held.setdefault("written", []).append(data)
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        if not held:
            return result
        try:
            body = b"".join([*held.get("written", []), *result])
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        body = _insert(body, self._script)
        headers = [(k, v) for k, v in held["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(held["status"], headers, held["exc_info"])
        return [body]

    def _events(self, start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/event-stream"),
                ("Cache-Control", "no-store"),
            ],
        )
        return self._stream()

    def _stream(self) -> Iterator[bytes]:
        yield f"retry: {RETRY_MS}\ndata: {self.token}\n\n".encode()
        while not self.stopping.wait(_PING_EVERY):
            yield b": ping\n\n"


def _is_html_error(status: str, headers: list[tuple[str, str]]) -> bool:
    if status[:1] not in ("4", "5"):
        return False
    kind = next((v for k, v in headers if k.lower() == "content-type"), "")
    return kind.split(";", 1)[0].strip().lower() == "text/html"


def _insert(body: bytes, snippet: bytes) -> bytes:
    """``snippet`` before the page's last ``</body>`` (or at its end)."""
    at = body.lower().rfind(b"</body>")
    return body + snippet if at == -1 else body[:at] + snippet + body[at:]
