"""Read a route template the way a test needs: does this URL belong to it?

Shared by the route-model tests of the framework (``framework.introspect``) and of the
CLI (``cherry routes``), which both check that every path the dispatcher serves is
listed.
"""

from __future__ import annotations

import re


def matches(template: str, path: str) -> bool:
    """True if ``path`` is one of the URLs ``template`` names.

    ``{name}`` is one segment, ``{name?}`` an optional one, ``{*name}`` any number.
    A listing names each handler by its canonical URL, so the dispatcher's aliases of
    it match too: ``.`` and ``_`` are the same character (``feed.xml`` is
    ``feed_xml``), and a last segment ``index`` is the trailing ``/`` it is listed as.

    Args:
        template: a listed route path, e.g. ``/users/{user_id}/``.
        path: a request path without the query string.

    Returns:
        Whether the template names the path.
    """
    if path.endswith("/index"):
        path = path[: -len("index")]
    pattern = ""
    for segment in template.strip("/").split("/"):
        if segment.startswith("{*"):
            pattern += r"(?:/[^/]*)*"
        elif segment.endswith("?}"):
            pattern += r"(?:/[^/]+)?"
        elif segment.startswith("{"):
            pattern += r"/[^/]+"
        elif segment:
            pattern += "/" + re.escape(segment.replace(".", "_"))
    if template.endswith("/") and pattern:
        pattern += "/"
    return re.fullmatch(pattern or "/", path.replace(".", "_")) is not None
