"""``cherry serve``'s library: the address, the socket, the app, the server.

- :mod:`~cherrycli.serve.address`: where the address comes from (options, settings,
  the config file, the app itself, the defaults) and the notes when it cannot follow;
- :mod:`~cherrycli.serve.listen`: binding the listening socket and the URL to announce;
- :mod:`~cherrycli.serve.loading`: importing and mounting the app, and what to show
  when that fails (one line, or the traceback page);
- :mod:`~cherrycli.serve.server`: serving on the bound socket, through the engine or a
  bare cheroot server, and :func:`~cherrycli.serve.server.serve`, the whole
  ``cherry serve`` without ``--reload``.

:mod:`cherrycli.reload` builds ``--reload`` from the same pieces. This package imports
nothing itself, so a caller pays only for the modules it uses; the framework is imported
inside functions, which keeps the reload supervisor free of it. It holds only the
defaults ``cherry serve --help`` shows (the address, the grace period) without loading
any module.
"""

__all__ = ["DEFAULT_GRACE", "DEFAULT_HOST", "DEFAULT_PORT"]

#: The address when nothing else chooses one: ``framework.server``'s own defaults.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080

#: Seconds requests in flight get to finish when a server or a reload worker stops.
DEFAULT_GRACE = 10.0
