"""``cherry profile``: time and profile requests against an app, in process.

A thin click command over :mod:`cherrycli.profiling` (driving requests, timing,
cProfile), :mod:`cherrycli.profile_report` (the terminal report) and
:mod:`cherrycli.flamegraph` (the ``--html`` page).
The app is loaded by :func:`cherrycli.serve.loading.load_app`, the function ``cherry serve``
uses, so TARGET forms, ``--config`` and ``[tool.cherry] config`` / ``compat`` (or
``CHERRY_CONFIG`` / ``CHERRY_COMPAT``) mean the same here.

The first positional argument is TARGET unless it starts with ``/`` and does not name a
``.py`` file: ``cherry profile / /about`` profiles two paths of the configured app.
Without PATH, every route of TARGET itself (what ``cherry routes TARGET`` lists, not
other apps its module mounts) answering the method and needing no argument is profiled;
a plain WSGI callable gets ``/``. ``-d`` without ``-X`` means POST, as in curl, and a
POST/PUT/PATCH without data is sent with ``Content-Length: 0``. Exit status: 0 when at
least one path was profiled, 1 when every path answered an error (or none qualifies), 2
for bad options. Only click and the standard library are imported at module level so
``cherry --help`` stays quick (cProfile is not loaded).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from cherrycli.options import Command, argument, compat_option, config_option, target_argument

__all__ = ["SORT_KEYS", "profile_command"]

_FILE_TARGET = re.compile(r"\.py(?::[\w.]+)?$")

#: Orders of the top-functions table (pstats sort keys), first the default.
SORT_KEYS = ("cumulative", "tottime", "calls", "percall")


@click.command("profile", cls=Command)
@target_argument
@argument(
    "paths",
    metavar="[PATH...]",
    nargs=-1,
    help="Paths to request, query string allowed (/search?q=x). Default: every route "
    "'cherry routes TARGET' lists that needs no argument (/ for a plain WSGI callable).",
)
@click.option(
    "--requests",
    "-n",
    metavar="N",
    type=click.IntRange(min=1),
    default=200,
    help="Timed requests per path (as many profiled).",
)
@click.option(
    "--method", "-X", metavar="METHOD", help="HTTP method. [default: GET, or POST with --data]"
)
@click.option(
    "--data",
    "-d",
    metavar="DATA",
    help="Request body: a=1&b=2 (form), {...} or [...] (JSON), @FILE to read it. "
    "Implies -X POST, like curl.",
)
@click.option(
    "--sort",
    metavar="KEY",
    type=click.Choice(SORT_KEYS),
    default=SORT_KEYS[0],
    help=f"Order of the top-functions table: {', '.join(SORT_KEYS)}.",
)
@click.option(
    "--limit",
    metavar="N",
    type=click.IntRange(min=0),
    default=20,
    help="Rows of the top-functions table (0 hides it).",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE.prof",
    type=click.Path(path_type=Path),
    help="Write the profile for pstats or snakeviz.",
)
@click.option(
    "--html",
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Write a self-contained HTML report with a flame graph.",
)
@config_option
@compat_option
def profile_command(
    target: str | None,
    paths: tuple[str, ...],
    *,
    requests: int,
    method: str | None,
    data: str | None,
    sort: str,
    limit: int,
    output: Path | None,
    html: Path | None,
    config: Path | None,
    compat: bool,
) -> None:
    """Time and profile requests against an app in process, then report.

    Each path gets a warm-up, N requests timed without the profiler (the latency table)
    and N more under cProfile (the function table, --output and --html). Paths that
    answer 4xx/5xx are reported but not profiled.

    Examples:

    \b
        cherry profile            # every GET route of [tool.cherry] app
        cherry profile app.py / /about -n 500
        cherry profile shop.app:Root /cart -X POST -d 'item=3&qty=1'
        cherry profile --sort tottime --output run.prof --html report.html
    """
    from cherrycli.errors import USAGE_EXIT, CliError
    from cherrycli.settings import load_settings

    requested = list(paths)
    if target is not None and target.startswith("/") and not _FILE_TARGET.search(target):
        requested, target = [target, *requested], None
    # Checked before the run: a bad output path must not cost a full profile first.
    for option, path in (("--output", output), ("--html", html)):
        if path is None:
            continue
        if path.is_dir():
            raise CliError(f"{option}: {str(path)!r} is a directory", exit_code=USAGE_EXIT)
        if not path.resolve().parent.is_dir():
            raise CliError(
                f"{option}: directory {str(path.parent)!r} does not exist", exit_code=USAGE_EXIT
            )
    # Like curl: a body without an explicit method is a POST.
    method = method or ("POST" if data is not None else "GET")

    from cherrycli import profiling

    # Validate the request options before the (slow) app import.
    profiling.make_specs(["/"], method, data)
    settings = load_settings()
    config = config or settings.path("config")
    compat = compat or bool(settings.get_bool("compat"))
    app = _load(target, config, compat)
    with _engine_started():
        _profile(
            app, requested, method, data, requests, sort, limit, output, html, target, settings
        )


def _profile(
    app: Any,
    paths: list[str],
    method: str,
    data: str | None,
    requests: int,
    sort: str,
    limit: int,
    output: Path | None,
    html: Path | None,
    target: str | None,
    settings: object,
) -> None:
    """Pick the paths, drive and profile them, print the report and write the files."""
    from cherrycli import profiling
    from cherrycli.console import escape, stderr, stdout
    from cherrycli.errors import CliError
    from cherrycli.profile_report import print_report

    method = method.upper()
    if not paths:
        routed = _routed_object(target, app)
        if routed is None:
            paths = ["/"]
            stderr().print(
                f"[muted]{escape(_title(target, settings))} is a plain WSGI callable with no "
                "routes to list: profiling / only (name PATHs to profile others)[/muted]",
                soft_wrap=True,
            )
        else:
            paths = profiling.default_paths(routed, method)
        if not paths:
            raise CliError(
                f"no route to profile: the app publishes no {method} route without arguments",
                hint="name the paths, e.g. cherry profile app.py /users/1 /search?q=x",
            )
    specs = profiling.make_specs(paths, method, data)

    count = len(specs)
    stderr().print(
        f"[muted]Profiling {count} path{'s' if count != 1 else ''} x {requests} requests "
        f"(+ warm-up and a profiled pass)...[/muted]",
        soft_wrap=True,
    )
    run = profiling.run_profile(app, specs, requests)
    print_report(run, stdout(), sort, limit)
    stats = run.combined_stats()
    if stats is None:
        raise CliError("every path answered an error status: nothing was profiled")
    if output is not None:
        try:
            stats.dump_stats(output)
        except OSError as error:
            raise CliError(f"cannot write {str(output)!r}: {error.strerror or error}") from None
        stdout().print(f"[ok]Wrote {escape(str(output))}[/ok] (pstats / snakeviz format)")
    if html is not None:
        from cherrycli.flamegraph import render_html

        page = render_html(run, title=_title(target, settings), sort=sort, limit=limit)
        try:
            html.write_text(page, encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot write {str(html)!r}: {error.strerror or error}") from None
        stdout().print(f"[ok]Wrote {escape(str(html))}[/ok] (open it in a browser)")


@contextlib.contextmanager
def _engine_started() -> Iterator[None]:
    """Run the app's engine plugins (``start`` listeners) without any HTTP server.

    Apps open database pools and start background tasks in ``engine`` start listeners,
    as under gunicorn; the profile must see the app in that state. The engine exits
    (stop and exit listeners run) when profiling ends, even on an error.
    """
    import framework
    from cherrycli.errors import CliError
    from framework.process.server import embed

    try:
        embed()
    except (Exception, SystemExit) as exc:
        framework.engine.exit()
        raise CliError(f"the app's engine failed to start: {exc}") from None
    try:
        yield
    finally:
        framework.engine.exit()


def _load(target: str | None, config: Path | None, compat: bool) -> Any:
    """Load the app like ``cherry serve``, quietly: profiling output is not a log."""
    from cherrycli.errors import CliError
    from cherrycli.serve.loading import load_app, summarize_load_error

    try:
        app = load_app(target, config, compat=compat)
    except CliError:
        raise
    except (Exception, SystemExit) as exc:
        raise CliError(f"the app failed to load: {summarize_load_error(exc)}") from None
    import framework

    # load_app turns the screen log on for development; N access lines would bury the report.
    framework.config.update({"log.screen": False})
    return app


def _routed_object(target: str | None, app: Any) -> Any:
    """What ``cherry routes TARGET`` reads: the target's routes, not the whole tree's.

    A module may mount more apps on ``framework.tree`` at import; their routes are not
    TARGET's and must not be profiled by default. TARGET is resolved again (its module
    is cached in ``sys.modules``, so nothing is imported twice): a root object or class
    is read from the Application ``load_app`` mounted at ``""`` (with the config file's
    sections), an Application or Tree as is.

    Returns:
        The object to list routes of, or None for a plain WSGI callable.
    """
    import framework
    from cherrycli.errors import CliError
    from cherrycli.importer import load_target

    try:
        loaded = load_target(target)
    except CliError:
        # load_app resolved it a moment ago; if that cannot be repeated, list what it served.
        return app
    if loaded.kind == "wsgi":
        return None
    if loaded.kind in ("root", "class"):
        return framework.tree.apps.get("", loaded.obj)
    return loaded.obj


def _title(target: str | None, settings: object) -> str:
    """What the report is about: TARGET as given, else the configured app."""
    from cherrycli.settings import Settings

    if target:
        return target
    configured = settings.get_str("app") if isinstance(settings, Settings) else None
    return configured or "app"
