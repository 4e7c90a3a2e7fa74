"""``cherrypy.lib.gctools`` for the suite: the suite's helper mounts ``GCRoot`` at ``/gc``
in every test class for the refleak ``test_gc`` tests, which the runner leaves out."""

from __future__ import annotations

__all__ = ["GCRoot"]


class GCRoot:
    """An empty root: nothing under ``/gc`` is published."""
