"""Serve one CherryPy tutorial with the REAL CherryPy 18 and print its answers as JSON.

Run in a subprocess by ``tests/framework/test_tutorials.py`` so that the real
``cherrypy`` and the compatibility alias never share ``sys.modules``. It reads a job
from stdin::

    {"tutorial": "tut10_http_errors", "root": "HTTPErrorDemo",
     "traceback_setting": true,
     "requests": [{"method": "GET", "path": "/error", "query": "code=403", "body": ""}]}

mounts the tutorial the way CherryPy's own ``test_tutorials.py`` does (or, for a job
with ``"app": "<file>"`` instead of a tutorial, runs that file's ``mount()``), calls
``cherrypy.tree`` as a WSGI application in process for each request (no server, no
engine start) and prints ``[{"status", "headers", "body"}, ...]`` on stdout.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import sys
from typing import Any


def build_environ(request: dict[str, str], cookies: dict[str, str]) -> dict[str, Any]:
    """Return the WSGI environ the test client builds for the same request.

    ``cookies`` are sent back as the test client's cookie jar would (name=value).
    """
    body = request.get("body", "").encode("utf-8")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": request["path"],
        "QUERY_STRING": request.get("query", ""),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "ACTUAL_SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "54321",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.get("headers", []):
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if request["method"] in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    return environ


def call(app: Any, request: dict[str, str], cookies: dict[str, str]) -> dict[str, Any]:
    """Run one request through ``app`` and collect what it answered.

    Cookies the answer sets are kept in ``cookies`` for the next request.
    """
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    result = app(build_environ(request, cookies), start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    for name, value in captured["headers"]:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            cookies[key.strip()] = val.strip()
    return {
        "status": captured["status"],
        "headers": captured["headers"],
        "body": body.decode("utf-8"),
    }


def main() -> None:
    """Read the job from stdin, serve it with real CherryPy, print the answers."""
    job = json.load(sys.stdin)
    import cherrypy

    # Keep stdout for the JSON: CherryPy logs to the screen by default.
    cherrypy.config.update({"log.screen": False})
    cherrypy.config.reset()
    cherrypy.config.update({"log.screen": False})
    if "app" in job:
        spec = importlib.util.spec_from_file_location("sample_app", job["app"])
        assert spec is not None and spec.loader is not None
        app_module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app_module)
        app_module.mount()
    else:
        module = importlib.import_module("cherrypy.tutorial." + job["tutorial"])
        root = getattr(module, job["root"])
        if isinstance(root, type):
            root = root()
        cherrypy.tree.mount(root, config=module.tutconf)
    if job.get("traceback_setting"):

        def traceback_setting() -> str:
            return repr(cherrypy.request.show_tracebacks)

        cherrypy.tree.mount(cherrypy.expose(traceback_setting), "/traceback_setting")
    cookies: dict[str, str] = {}
    answers = [call(cherrypy.tree, request, cookies) for request in job["requests"]]
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
