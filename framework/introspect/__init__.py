"""The route model: which URLs an application serves, and what answers each.

One package answers "what does this application publish?" for everything that asks:
``cherry routes``, the CLI's app loader, the test client and handler coverage
(:mod:`.model`: the records; :mod:`.walk`: the object-tree walk; :mod:`.app`: one
application's routes; :mod:`.dispatchers`: Routes and virtual hosts). It is built on
the dispatcher itself, so a listing never disagrees with dispatch:

1. a walk proposes candidates, reading attributes exactly as the dispatcher does
   (``getattr``, so properties run; ``_hidden`` names publish, dunders never do;
   ``index``, ``default``, ``@popargs``, ``_cp_dispatch``, the ``MethodDispatcher``'s
   verb methods) and turning each into a URL template (``/users/{user_id}``,
   ``/files/{*parts}``, ``/blog/feed.xml`` for ``feed_xml``);
2. each candidate is then confirmed by asking the path's own dispatcher to resolve a
   concrete URL built from the template: a candidate that dispatches elsewhere (an
   ``index`` with a positional parameter, which only ever answers with that parameter
   in the query string) is listed the way it really answers, or not at all.

Static sections (``tools.staticdir`` / ``tools.staticfile`` in an app's config) are
routes too, and so are the patterns of a ``RoutesDispatcher``, the procedures of an
XML-RPC controller (``/api/#math.add``) and, behind a ``VirtualHost``, each route as
every host reaches it (``//blog.example.com/2024``). :func:`handler_identity` names a
handler the same way everywhere (``module.Class.method`` plus its ``def`` line), and
:func:`classify` says what kind of app object something is.

Iterating routes runs application code (properties, ``@popargs`` handler factories):
call it on apps you trust, as you would serve them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from framework.introspect.app import AppWalk
from framework.introspect.model import (
    ANY_METHOD,
    HANDLER_LOG_ENV,
    HandlerIdentity,
    Route,
    Unreachable,
    handler_identity,
)
from framework.introspect.walk import classify, publishes, url_segment

__all__ = [
    "ANY_METHOD",
    "HANDLER_LOG_ENV",
    "HandlerIdentity",
    "Route",
    "Unreachable",
    "classify",
    "handler_identity",
    "iter_routes",
    "publishes",
    "routes",
    "unreachable",
    "url_segment",
]


def routes(target: Any) -> list[Route]:
    """Every route of an Application, a Tree (each mounted Application) or a root.

    A root object is mounted (in memory, at ``""``) in a throwaway Application; a root
    class is instantiated without arguments first, as the test client does, since the
    dispatcher only ever walks instances (properties and attributes set in
    ``__init__`` exist only there).

    Returns:
        The routes sorted by path, then methods.

    Raises:
        Exception: whatever a root class's ``__init__`` raises.
    """
    return sorted(iter_routes(target), key=lambda r: (r.path, r.methods, r.identity.name))


def iter_routes(target: Any) -> Iterator[Route]:
    """Yield the routes of ``target`` (see :func:`routes`), unsorted."""
    for walk in _walks(target):
        yield from walk.routes()


def unreachable(target: Any) -> list[Unreachable]:
    """Exposed handlers of ``target`` (see :func:`routes`) that can never be reached.

    The walk proposes every exposed handler; one is unreachable when the dispatcher
    sends every URL proposed for it elsewhere: an ``index`` or handler whose segment
    a ``default`` or an earlier handler always catches, a plain handler inside a
    ``MethodDispatcher`` section, or a ``@popargs`` factory that raises.

    Returns:
        One entry per such handler, sorted by path.
    """
    found = [u for walk in _walks(target) for u in walk.unreachable()]
    return sorted(found, key=lambda u: (u.path, u.identity.name))


def _walks(target: Any) -> Iterator[AppWalk]:
    """One :class:`AppWalk` per application ``target`` holds (see :func:`routes`)."""
    from framework.core.application import Application

    kind = classify(target)
    if kind == "tree":
        for app in list(target.apps.values()):
            if classify(app) == "application":
                yield AppWalk(app)
    elif kind == "application":
        yield AppWalk(target)
    elif kind == "root":
        yield AppWalk(Application(target, ""))
    elif kind == "class":
        yield AppWalk(Application(target(), ""))
