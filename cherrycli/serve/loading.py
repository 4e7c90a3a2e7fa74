"""Loading the app for ``cherry serve`` (and ``profile``), and reporting why it failed.

:func:`load_app` imports TARGET through :mod:`cherrycli.importer`, mounts it on
``framework.tree`` with the config file applied, and prints what ``cherry check``
would find (:func:`report_problems`: CherryPy names and config keys the compatibility
table lists, config-checker warnings, unreachable routes) before the first request.
When loading fails, the toolchain says why in one of two ways:

- one line (:func:`summarize_load_error`) for ``cherry serve`` without ``--reload``;
- a page (:func:`error_page_app`) with the traceback (:func:`format_load_error`) for a
  reload worker, which serves it until the next good save. The traceback leaves out
  the toolchain's and importlib's frames, so it starts in the app's code.

:func:`user_code_error` tells the two kinds of :class:`~cherrycli.errors.CliError` the
importer raises apart: TARGET is wrong (say so in one line), or TARGET's own code
raised (show that exception).
"""

from __future__ import annotations

import html
import importlib
import os
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cherrycli.errors import CliError

__all__ = [
    "WSGIApp",
    "error_page_app",
    "format_load_error",
    "load_app",
    "report_problems",
    "summarize_load_error",
    "user_code_error",
]

WSGIApp = Callable[..., Iterable[bytes]]

# Frames from these files are loading machinery, not the app: hidden from tracebacks.
_MACHINERY = (
    os.path.dirname(os.path.dirname(__file__)),  # the cherrycli package
    os.path.dirname(importlib.__file__),
    "<frozen importlib",
    "<frozen runpy",
)


def load_app(
    target: str | None,
    config: Path | None,
    *,
    compat: bool = False,
    development: bool = True,
    report: bool = True,
) -> WSGIApp:
    """Import TARGET, mount it on ``framework.tree`` and apply the config file.

    A root object or class is mounted with the file's path sections as app config, an
    ``Application`` is mounted as is (at its own script name), any other WSGI callable is
    grafted behind an :class:`~framework.core.log.AccessLogMiddleware`, so it writes the
    access log as mounted apps do. The file's ``[global]`` section updates
    ``framework.config``. The screen log is on by default (development), so the access
    log shows in the terminal.

    Args:
        target: ``pkg.mod:attr``, ``app.py[:attr]`` or None for the project default.
        config: path of an INI config file, or None.
        compat: install the ``cherrypy`` aliases before importing the app.
        development: turn the screen log on unless the config file says otherwise;
            False (``--workers``, production) keeps it off unless the file says so.
        report: print :func:`report_problems` once loaded.

    Returns:
        The WSGI callable to serve (``framework.tree``).

    Raises:
        CliError: TARGET or the config file cannot be found or read, TARGET is not an
            app, or a root class's instance publishes nothing.
    """
    if compat:
        from framework import compat as compat_layer

        compat_layer.install()
    import framework
    import framework.process.server  # the config's server.* keys are applied to it
    from cherrycli.appconfig import read_config
    from cherrycli.importer import load_target, require_app
    from framework.core.log import AccessLogMiddleware

    sections = read_config(config)
    # Defaults first, so the file can override them: development shows the access log
    # and tracebacks on the screen; production (--workers) is quiet unless configured.
    framework.config.update({"log.screen": development})
    framework.config.update(dict(sections.get("global", {})))
    # The supervisor reloads; the engine's own reloader would re-exec the worker.
    framework.config.update({"engine.autoreload.on": False})
    app_config = {path: values for path, values in sections.items() if path != "global"}

    loaded = load_target(target)
    # A script's own settings may have turned the engine's reloader on: the toolchain
    # reloads (and a reloader re-executing a worker would fight the supervisor). The
    # toolchain shows the config checker's findings itself (report_problems): the
    # engine's own run would repeat them as Python warnings.
    framework.config.update({"engine.autoreload.on": False, "checker.on": False})
    if loaded.notes:
        from cherrycli.console import say

        for note in loaded.notes:
            say(note, "hint")
    if loaded.kind == "tree":
        app: WSGIApp = loaded.obj
        if report:
            report_problems(app)
        return app
    if loaded.kind == "wsgi":
        framework.tree.graft(AccessLogMiddleware(loaded.obj, framework.log), "")
    elif loaded.kind == "application":
        framework.tree.mount(loaded.obj, "", app_config or None)
    else:
        root = loaded.obj
        if loaded.kind == "class":
            root = loaded.obj()
            require_app(root, f"{loaded.spec}()")
        framework.tree.mount(root, "", app_config or None)
    if report:
        report_problems(framework.tree)
    return framework.tree


def report_problems(tree: Any) -> None:
    """Print one warning line per :func:`cherrycli.check.find_problems` finding.

    The engine's own config checker is off once :func:`load_app` ran: its findings are
    among these.

    Args:
        tree: the mount tree that was loaded.
    """
    from cherrycli.check import find_problems, print_findings

    try:
        findings = find_problems(tree)
    except Exception as exc:  # checking must never stop the app from serving
        from cherrycli.console import say

        say(f"warning: the app could not be checked: {type(exc).__name__}: {exc}", "hint")
        return
    print_findings(findings)


def user_code_error(exc: CliError) -> BaseException | None:
    """The exception from the app's own code behind ``exc``, if that is what it was.

    The importer reports both "TARGET does not exist" and "TARGET's code raised" as a
    :class:`CliError` whose context is the original exception; only the second carries a
    frame of the app's code (or is a SyntaxError).

    Args:
        exc: an error from loading the app.

    Returns:
        The original exception, or None when TARGET itself is wrong.
    """
    cause = exc.__context__
    if cause is None:
        return None
    if isinstance(cause, SyntaxError):
        return cause
    for frame in traceback.extract_tb(cause.__traceback__):
        if not frame.filename.startswith(_MACHINERY):
            return cause
    return None


def error_page_app(exc: BaseException) -> WSGIApp:
    """A WSGI app answering every request with a 500 page showing ``exc``'s traceback.

    Args:
        exc: the exception that stopped the app from loading.

    Returns:
        The WSGI callable.
    """
    text = format_load_error(exc)
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        "<title>500 - the app failed to load</title>"
        "<style>body{font-family:sans-serif;margin:2em}"
        "#traceback{background:#f6f6f6;padding:1em;overflow:auto}</style></head>"
        "<body><h1>The app failed to load</h1>"
        "<p>Fix the error and save: the server reloads by itself.</p>"
        f"<div id='traceback'>{_traceback_html(exc, text)}</div></body></html>\n"
    ).encode()
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", f"{len(page)}"),
        ("Cache-Control", "no-store"),
    ]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("500 Internal Server Error", list(headers))
        return [page]

    return app


def _traceback_html(exc: BaseException, text: str) -> str:
    """The development page's view of ``exc`` from the app's first frame on, or the
    plain text when the framework itself cannot be imported."""
    try:
        from framework.devpage import render
    except Exception:
        return f"<pre>{html.escape(text)}</pre>"
    exc_info = (type(exc), exc, exc.__traceback__)
    return render(exc_info, hidden=lambda filename: filename.startswith(_MACHINERY), plain=text)


def format_load_error(exc: BaseException) -> str:
    """The traceback of ``exc`` without the toolchain's and importlib's frames.

    Args:
        exc: an exception raised while loading the app.

    Returns:
        The traceback text, ending with a newline.
    """
    info = traceback.TracebackException.from_exception(exc)
    kept = [frame for frame in info.stack if not frame.filename.startswith(_MACHINERY)]
    info.stack = traceback.StackSummary.from_list(kept)
    return "".join(info.format())


def summarize_load_error(exc: BaseException) -> str:
    """One line for ``exc``: the innermost app location, the type and the message.

    Args:
        exc: an exception raised while loading the app.

    Returns:
        ``file:line: Type: message`` (without the location when there is none).
    """
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{exc.filename}:{exc.lineno}: "
    else:
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            where = f"{frames[-1].filename}:{frames[-1].lineno}: "
    message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    return f"{where}{type(exc).__name__}: {message}"
