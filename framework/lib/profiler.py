"""Profile handlers and browse the results: CherryPy's ``cherrypy.lib.profiler``.

Profile one page by calling its work through a :class:`Profiler`, and mount the same
object to browse the runs (``index`` frames ``menu`` and ``report``)::

    class Root:
        profiler = framework.lib.profiler.Profiler("/tmp/profiles")

        @framework.expose
        def index(self):
            return self.profiler.run(self._index)

Or profile every request of a WSGI app with :class:`make_app`, and browse a directory
of runs with :func:`serve`. Each run is a ``cp_NNNN.prof`` file (``pstats`` format);
``report`` reads only those files, never a path taken from the query string. For a
whole-app profile with a flame graph, ``cherry profile`` does more.
"""

from __future__ import annotations

import cProfile
import html
import io
import itertools
import os
import pstats
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from framework.context import current
from framework.errors import NotFound
from framework.helpers import expose

__all__ = ["ProfileAggregator", "Profiler", "make_app", "new_func_strip_path", "serve"]

_counter = itertools.count(1)
_counter_lock = threading.Lock()


def _next_number() -> int:
    with _counter_lock:
        return next(_counter)


def new_func_strip_path(func_name: tuple[str, int, str]) -> tuple[str, int, str]:
    """A pstats function key with its file's directory dropped (``pkg/__init__.py`` kept)."""
    filename, line, name = func_name
    if filename.endswith("__init__.py"):
        return os.path.basename(filename[:-12]) + filename[-12:], line, name
    return os.path.basename(filename), line, name


class Profiler:
    """Profile calls into ``path`` and show the runs as pages.

    Args:
        path: the directory for ``cp_NNNN.prof`` files (created; default: a
            ``cherry-profile`` directory in the system's temporary directory).
    """

    def __init__(self, path: str | None = None) -> None:
        if not path:
            path = os.path.join(tempfile.gettempdir(), "cherry-profile")
        self.path = path
        os.makedirs(path, exist_ok=True)

    def run(self, func: Callable[..., Any], *args: Any, **params: Any) -> Any:
        """Call ``func`` under the profiler; its profile goes to a new file."""
        path = os.path.join(self.path, f"cp_{_next_number():04d}.prof")
        profiler = cProfile.Profile()
        try:
            return profiler.runcall(func, *args, **params)
        finally:
            profiler.dump_stats(path)

    def statfiles(self) -> list[str]:
        """The profile files in :attr:`path`."""
        return sorted(
            name
            for name in os.listdir(self.path)
            if name.startswith("cp_") and name.endswith(".prof")
        )

    def stats(self, filename: str, sortby: str = "cumulative") -> str:
        """The ``pstats`` report of one profile file.

        Raises:
            NotFound: ``filename`` is not one of :meth:`statfiles`.
        """
        if filename not in self.statfiles():
            raise NotFound()
        out = io.StringIO()
        report = pstats.Stats(os.path.join(self.path, filename), stream=out)
        report.strip_dirs().sort_stats(sortby).print_stats()
        return out.getvalue()

    @expose
    def index(self) -> str:
        """The menu of runs beside the selected report."""
        return (
            "<html><head><title>Profile data</title></head>"
            "<frameset cols='200, 1*'><frame src='menu' /><frame name='main' src='' />"
            "</frameset></html>"
        )

    @expose
    def menu(self) -> Iterator[str]:
        """Links to every run."""
        yield "<h2>Profiling runs</h2>"
        yield "<p>Click on one of the runs below to see profiling data.</p>"
        for name in self.statfiles():
            shown = html.escape(name, quote=True)
            yield f"<a href='report?filename={shown}' target='main'>{shown}</a><br />"

    @expose
    def report(self, filename: str) -> str:
        """One run's report, as plain text."""
        pair = current()
        assert pair is not None
        pair[1].headers["Content-Type"] = "text/plain"
        return self.stats(filename)


class ProfileAggregator(Profiler):
    """A profiler adding every call to one profile file."""

    def __init__(self, path: str | None = None) -> None:
        super().__init__(path)
        self.count = _next_number()
        self.profiler = cProfile.Profile()
        self._lock = threading.Lock()

    def run(self, func: Callable[..., Any], *args: Any, **params: Any) -> Any:
        """Call ``func`` under the shared profiler; rewrite the one file."""
        path = os.path.join(self.path, f"cp_{self.count:04d}.prof")
        with self._lock:  # one cProfile.Profile cannot profile two threads at once
            try:
                return self.profiler.runcall(func, *args, **params)
            finally:
                self.profiler.dump_stats(path)


class make_app:
    """WSGI middleware profiling each request of ``nextapp``.

    Args:
        nextapp: the WSGI application to profile.
        path: where the profile files go.
        aggregate: one file for every request instead of one per request.
    """

    def __init__(
        self,
        nextapp: Callable[..., Iterable[bytes]],
        path: str | None = None,
        aggregate: bool = False,
    ) -> None:
        self.nextapp = nextapp
        self.aggregate = aggregate
        self.profiler = ProfileAggregator(path) if aggregate else Profiler(path)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        def gather() -> list[bytes]:
            result = self.nextapp(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

        body: list[bytes] = self.profiler.run(gather)
        return body


def serve(path: str | None = None, port: int = 8080) -> None:
    """Serve the profile files of ``path`` on ``port`` until stopped (blocks)."""
    from framework._globals import config
    from framework.process.server import quickstart

    config.update({"server.socket_port": int(port), "environment": "production"})
    quickstart(Profiler(path))
