"""Static files: ``tools.staticdir``, ``tools.staticfile`` and :func:`serve_file`.

``staticdir`` maps the URL section it is configured on to a directory; ``staticfile``
serves one file. Both answer only GET and HEAD, refuse paths that escape their root
(403), set ``Content-Type``, ``Content-Length`` and ``Last-Modified``, and answer 304 to
a matching ``If-Modified-Since``. Files are streamed in chunks, never read whole.
"""

from __future__ import annotations

import mimetypes
import os
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from framework.context import serving
from framework.core.response import file_generator, http_date
from framework.core.tools import HandlerTool
from framework.errors import HTTPError, NotFound

if TYPE_CHECKING:
    from framework.core.plan import Plan

__all__ = ["StaticDirTool", "serve_download", "serve_file", "staticdir", "staticfile"]


def serve_file(
    path: str,
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
) -> bytes | Any:
    """Set the response to stream the file at absolute ``path``.

    Raises:
        ValueError: if ``path`` is not absolute.
        NotFound: if the file does not exist or is a directory.
    """
    if not os.path.isabs(path):
        raise ValueError(f"serve_file needs an absolute path, got {path!r}")
    response = serving.response
    request = serving.request
    assert response is not None and request is not None
    try:
        stat = os.stat(path)
    except OSError:
        raise NotFound() from None
    if not os.path.isfile(path):
        raise NotFound()
    last_modified = http_date(stat.st_mtime)
    response.headers["Last-Modified"] = last_modified
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            if int(parsedate_to_datetime(since).timestamp()) >= int(stat.st_mtime):
                response.status = 304
                response.body = None
                return []
        except (TypeError, ValueError):
            pass
    if content_type is None:
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response.headers["Content-Type"] = content_type
    if disposition is not None:
        response.headers["Content-Disposition"] = (
            f'{disposition}; filename="{name or os.path.basename(path)}"'
        )
    response.headers["Content-Length"] = str(stat.st_size)
    response.stream = True
    return file_generator(open(path, "rb"))


def serve_download(path: str, name: str | None = None) -> Any:
    """Serve ``path`` as an attachment (the browser saves it)."""
    return serve_file(path, "application/x-download", "attachment", name)


def _attempt(filename: str) -> bool:
    if not os.path.isfile(filename):
        return False
    response = serving.response
    assert response is not None
    response.body = serve_file(filename)
    return True


def staticdir(
    section: str = "",
    dir: str = "",
    root: str = "",
    match: str = "",
    index: str = "",
) -> bool:
    """Serve the file under ``dir`` that the rest of the URL (after ``section``) names.

    Returns:
        True when a file was served (the page handler is then skipped).

    Raises:
        HTTPError: 403 for a path that escapes ``dir``.
    """
    request = serving.request
    assert request is not None
    if request.method not in ("GET", "HEAD"):
        return False
    if match:
        import re

        if not re.search(match, request.path_info):
            return False
    if not os.path.isabs(dir):
        if not root:
            raise ValueError("tools.staticdir.dir is relative: set tools.staticdir.root.")
        dir = os.path.join(root, dir)
    base = os.path.realpath(dir)
    section = section.rstrip("/") if section not in ("", "global") else ""
    branch = request.path_info[len(section) :].lstrip("/")
    filename = os.path.realpath(os.path.join(base, branch))
    if filename != base and not filename.startswith(base + os.sep):
        raise HTTPError(403)
    if os.path.isdir(filename):
        return bool(index) and _attempt(os.path.join(filename, index))
    return _attempt(filename)


def staticfile(filename: str, root: str | None = None) -> bool:
    """Serve one file (relative names are joined to ``root``)."""
    request = serving.request
    assert request is not None
    if request.method not in ("GET", "HEAD"):
        return False
    if not os.path.isabs(filename):
        if not root:
            raise ValueError("tools.staticfile.filename is relative: set tools.staticfile.root.")
        filename = os.path.join(root, filename)
    return _attempt(filename)


class StaticDirTool(HandlerTool):
    """``tools.staticdir``: the URL section it serves is where its config was set."""

    def __init__(self) -> None:
        super().__init__(staticdir)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach with ``section`` defaulting to the config section that set ``dir``."""
        conf.setdefault("section", plan.config.get("tools.staticdir.section", ""))
        super().setup_plan(plan, conf)
