"""Static files: ``tools.staticdir``, ``tools.staticfile``, ``serve_file`` and friends.

``staticdir`` maps the URL section it is configured on to a directory; ``staticfile``
serves one file; :func:`serve_file`, :func:`serve_fileobj` and :func:`serve_download`
are for handlers. Every file response:

- answers only GET and HEAD from the tools (other methods fall through to handlers);
- sets ``Content-Type`` (from the extension or ``content_types``), ``Content-Length``,
  ``Last-Modified`` and ``Accept-Ranges``, and answers ``If-Modified-Since`` (304)
  and ``If-Unmodified-Since`` (412);
- honours ``Range`` on GET (one range: 206 with ``Content-Range``; several:
  ``multipart/byteranges``; none satisfiable: 416 with ``Content-Range: bytes */N``)
  under ``If-Range``, within the limits of :mod:`framework.lib.byteranges`;
- streams the file in chunks, through the server's ``wsgi.file_wrapper`` when it
  offers one, and never reads it whole.

A request path never names a file outside the configured directory: ``..`` segments
and symlinks leading out are 403, NUL bytes 400, missing files 404; nothing a client
sends turns into a 500.
"""

from __future__ import annotations

import mimetypes
import os
import re
import stat
import unicodedata
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from framework.context import serving
from framework.core.response import file_generator, http_date
from framework.core.tools import HandlerTool
from framework.errors import HTTPError, NotFound
from framework.lib import byteranges
from framework.lib.conditional import if_range_allows, validate_since

if TYPE_CHECKING:
    from framework.core.plan import Plan
    from framework.core.request import Request
    from framework.core.response import Response

__all__ = [
    "StaticDirTool",
    "content_disposition",
    "serve_download",
    "serve_file",
    "serve_fileobj",
    "staticdir",
    "staticfile",
]

# COMPAT: CherryPy adds these types to the mimetypes table.
mimetypes.add_type("image/x-dwg", ".dwg")
mimetypes.add_type("image/x-icon", ".ico")
mimetypes.add_type("application/x-bzip2", ".bz2")
mimetypes.add_type("application/x-gzip", ".gz")

_UNSAFE_IN_QUOTES = re.compile(r'[\x00-\x1f\x7f"\\]')


def content_disposition(disposition: str, name: str) -> str:
    """Return a ``Content-Disposition`` value naming ``name`` as RFC 6266 says.

    The plain ``filename`` is an ASCII fallback (accents stripped, quotes, backslashes
    and control characters dropped); a non-ASCII name is also sent as
    ``filename*=UTF-8''...``.
    """
    # NFKD splits "é" into "e" and an accent, so the ASCII fallback keeps the letter.
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = _UNSAFE_IN_QUOTES.sub("", fallback)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def serve_file(
    path: str,
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    debug: bool = False,
) -> Any:
    """Make the response serve the file at absolute ``path``.

    Args:
        path: an absolute file path.
        content_type: the ``Content-Type``; guessed from the extension if omitted.
        disposition: ``"attachment"`` or ``"inline"`` to send ``Content-Disposition``.
        name: the file name in that header (default: the path's base name).
        debug: log each decision to the error log.

    Returns:
        The response body (also set on the response).

    Raises:
        ValueError: if ``path`` is not absolute.
        NotFound: if there is no regular file at ``path``.
        HTTPError: 304, 412 or 416 from the conditional and range headers.
    """
    if not os.path.isabs(path):
        raise ValueError(f"serve_file needs an absolute path, got {path!r}")
    try:
        fileobj = open(path, "rb")  # noqa: SIM115 - the response body closes it
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        _log(debug, f"cannot open {path!r}")
        raise NotFound() from None
    try:
        info = os.fstat(fileobj.fileno())
        if not stat.S_ISREG(info.st_mode):
            _log(debug, f"{path!r} is not a regular file")
            raise NotFound()
        if content_type is None:
            # Never the default text/html: an unknown upload must not render as a page.
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if disposition is not None:
            disposition = content_disposition(disposition, name or os.path.basename(path))
        return _serve(fileobj, info.st_size, info.st_mtime, content_type, disposition, debug)
    except BaseException:
        fileobj.close()
        raise


def serve_fileobj(
    fileobj: IO[bytes],
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    debug: bool = False,
) -> Any:
    """Make the response serve an open binary file object.

    ``Content-Length`` and ranges are available when the object has a real file
    descriptor or can seek (``io.BytesIO``), ``Last-Modified`` with a descriptor;
    otherwise it is streamed as it reads. Ranges seek in the file, so serve it from
    its start.

    Args:
        fileobj: the file; the response closes it when done.
        content_type: the ``Content-Type`` (not guessed).
        disposition: ``"attachment"`` or ``"inline"`` for ``Content-Disposition``.
        name: the file name in that header (no name: the disposition alone).
        debug: log each decision to the error log.

    Returns:
        The response body (also set on the response).
    """
    try:
        info = os.fstat(fileobj.fileno())
    except (AttributeError, OSError, ValueError):
        size: int | None = _seekable_size(fileobj)
        mtime: float | None = None
    else:
        size, mtime = info.st_size, info.st_mtime
    if disposition is not None and name is not None:
        disposition = content_disposition(disposition, name)
    return _serve(fileobj, size, mtime, content_type, disposition, debug)


def _seekable_size(fileobj: IO[bytes]) -> int | None:
    """The size of a file object without a descriptor, if it can seek; else None."""
    try:
        if not fileobj.seekable():
            return None
        here = fileobj.tell()
        size = fileobj.seek(0, os.SEEK_END)
        fileobj.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return size


def serve_download(path: str, name: str | None = None) -> Any:
    """Serve ``path`` as an ``application/x-download`` attachment (the browser saves it)."""
    return serve_file(path, "application/x-download", "attachment", name)


def _serve(
    fileobj: IO[bytes],
    size: int | None,
    mtime: float | None,
    content_type: str | None,
    disposition: str | None,
    debug: bool,
) -> Any:
    try:
        return _respond(fileobj, size, mtime, content_type, disposition, debug)
    except BaseException:
        fileobj.close()
        raise


def _respond(
    fileobj: IO[bytes],
    size: int | None,
    mtime: float | None,
    content_type: str | None,
    disposition: str | None,
    debug: bool,
) -> Any:
    pair = serving.get()
    assert pair is not None
    request, response = pair
    headers = response.headers
    if mtime is not None:
        headers["Last-Modified"] = http_date(mtime)
        validate_since()
    if content_type is not None:
        headers["Content-Type"] = content_type
    if disposition is not None:
        headers["Content-Disposition"] = disposition
    if size is None:
        response.stream = True
        headers.pop("Content-Length", None)
        response.body = file_generator(fileobj, byteranges.CHUNK_SIZE)
        return response.body
    if request.protocol >= (1, 1):
        headers["Accept-Ranges"] = "bytes"
        if _send_ranges(request, response, fileobj, size, content_type, debug):
            return response.body
    headers["Content-Length"] = str(size)
    response.stream = True
    if request.method == "HEAD":
        fileobj.close()
        response.body = []
        return response.body
    wrapper = request.wsgi_environ.get("wsgi.file_wrapper")
    if wrapper is not None:
        response.body = wrapper(fileobj, byteranges.CHUNK_SIZE)
    else:
        response.body = file_generator(fileobj, byteranges.CHUNK_SIZE)
    return response.body


def _send_ranges(
    request: Request,
    response: Response,
    fileobj: IO[bytes],
    size: int,
    content_type: str | None,
    debug: bool,
) -> bool:
    """Make a 206 response if the request asks for ranges that may be honoured.

    Raises:
        HTTPError: 416 when no asked range is within the file.
    """
    headers = response.headers
    if request.method != "GET" or not if_range_allows(
        request.headers.get("If-Range"), headers.get("ETag"), headers.get("Last-Modified")
    ):
        return False
    ranges = byteranges.plan_ranges(request.headers.get("Range"), size)
    if ranges == []:
        headers["Content-Range"] = f"bytes */{size}"
        raise HTTPError(416, "None of the requested ranges is within the file.")
    if not ranges:
        return False
    _log(debug, f"ranges {ranges!r}")
    response.stream = True
    response.status = 206
    if len(ranges) == 1:
        start, stop = ranges[0]
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        headers["Content-Length"] = str(stop - start)
        response.body = _closing(byteranges.read_range(fileobj, start, stop), fileobj)
    else:
        body = byteranges.MultipartRanges(
            fileobj, ranges, size, content_type or "application/octet-stream"
        )
        headers["Content-Type"] = body.content_type
        headers["Content-Length"] = str(body.content_length)
        response.body = iter(body)
    return True


def _closing(chunks: Any, fileobj: IO[bytes]) -> Any:
    try:
        yield from chunks
    finally:
        fileobj.close()


def _attempt(filename: str, content_types: dict[str, str] | None, debug: bool) -> bool:
    content_type = None
    if content_types:
        content_type = content_types.get(os.path.splitext(filename)[1][1:])
    try:
        serve_file(filename, content_type=content_type, debug=debug)
    except NotFound:
        return False
    return True


def _matches(match: str, debug: bool) -> bool:
    request = serving.request
    assert request is not None
    if request.method not in ("GET", "HEAD"):
        _log(debug, "not GET or HEAD")
        return False
    if match and not re.search(match, request.path_info):
        _log(debug, f"{request.path_info!r} does not match {match!r}")
        return False
    return True


def staticdir(
    section: str,
    dir: str,
    root: str = "",
    match: str = "",
    content_types: dict[str, str] | None = None,
    index: str = "",
    debug: bool = False,
) -> bool:
    """Serve the file under ``dir`` that the rest of the URL (after ``section``) names.

    Args:
        section: the URL section the tool was configured on (set automatically).
        dir: the directory (``~`` expanded; relative to ``root`` unless absolute).
        root: the base for a relative ``dir``.
        match: a regular expression the path must contain.
        content_types: ``{"ext": "type/subtype"}`` overriding guessed types.
        index: the file served for a directory URL (e.g. ``index.html``).
        debug: log each decision to the error log.

    Returns:
        True when a file was served (the page handler is then skipped).

    Raises:
        ValueError: if ``dir`` is relative and no ``root`` is set.
        HTTPError: 400 for a NUL byte in the path, 403 for a path leaving ``dir``.
    """
    if not _matches(match, debug):
        return False
    request = serving.request
    assert request is not None
    dir = os.path.expanduser(dir)
    if not os.path.isabs(dir):
        if not root:
            raise ValueError("tools.staticdir.dir is relative: set tools.staticdir.root.")
        dir = os.path.join(root, dir)
    section = "" if section in ("", "global", "/") else section.rstrip("/")
    branch = request.path_info[len(section) :].lstrip("/")
    if "\x00" in branch:
        raise HTTPError(400, "The path contains a NUL byte.")
    base = os.path.realpath(dir)
    filename = os.path.realpath(os.path.join(base, branch))
    if filename != base and not filename.startswith(base + os.sep):
        _log(debug, f"{request.path_info!r} resolves outside {base!r}")
        raise HTTPError(403)
    if _attempt(filename, content_types, debug):
        return True
    if (
        index
        and os.path.isdir(filename)
        and _attempt(os.path.join(filename, index), content_types, debug)
    ):
        # COMPAT: as CherryPy's, the section's own URL (and any URL ending in "/") is
        # an index, so tools.trailing_slash sends "/static" to "/static/".
        request.is_index = branch == "" or branch.endswith("/")
        return True
    return False


def staticfile(
    filename: str,
    root: str | None = None,
    match: str = "",
    content_types: dict[str, str] | None = None,
    debug: bool = False,
) -> bool:
    """Serve one file (a relative ``filename`` is joined to ``root``).

    Returns:
        True when the file was served.

    Raises:
        ValueError: if ``filename`` is relative and no ``root`` is set.
    """
    if not _matches(match, debug):
        return False
    if not os.path.isabs(filename):
        if not root:
            raise ValueError("tools.staticfile.filename is relative: set tools.staticfile.root.")
        filename = os.path.join(root, filename)
    return _attempt(filename, content_types, debug)


def _log(debug: bool, message: str) -> None:
    if not debug:
        return
    request = serving.request
    if request is not None and request.app is not None:
        request.app.log.error(message, "TOOLS.STATIC")


class StaticDirTool(HandlerTool):
    """``tools.staticdir``: the URL section it serves is where its config was set."""

    def __init__(self) -> None:
        super().__init__(staticdir)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach with ``section`` defaulting to the config section that set ``dir``.

        Without ``dir`` the tool fails on every request with a ``TypeError`` naming
        the missing arguments, as CherryPy's does.
        """
        if "dir" in conf:
            conf.setdefault("section", plan.config.get("tools.staticdir.section", ""))
        super().setup_plan(plan, conf)
