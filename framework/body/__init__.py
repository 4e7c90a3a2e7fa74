"""Request bodies: framing, size limits, and parsing into request parameters.

Three modules: :mod:`~framework.body.reader` (the length-limited stream),
:mod:`~framework.body.entity` (``request.body``: media type, parts, limits) and
:mod:`~framework.body.forms` (the urlencoded and multipart processors).

The request pipeline builds one :class:`RequestBody` per request over the raw input
stream (``wsgi.input``) and the request headers, then calls :meth:`RequestBody.process`
for methods that carry a body. ``process()`` picks a processor by media type from
``body.processors`` (urlencoded forms, ``multipart/form-data`` and other
``multipart/*`` types by default; tools such as ``json_in`` register more), fills
``body.params`` and merges them into the request parameters the handler receives.
For any other media type the body is left unread, and handlers call
``request.body.read()`` themselves.

All reads go through :class:`BodyReader`, which enforces ``Content-Length`` and
``maxbytes`` and turns bad framing into a 4xx :class:`~framework.errors.HTTPError`.
Multipart parsing uses the maintained ``multipart`` package, imported on first use;
parts larger than :data:`SPOOL_LIMIT` are spooled to temporary files. Call
:meth:`RequestBody.close` when the request ends to release those files.

Nothing is parsed until ``process()``, ``read()`` or ``fp`` is first used, so a
request whose handler ignores its body pays only for the constructor.
"""

from __future__ import annotations

from framework.body.entity import (
    MEMORY_LIMIT,
    PART_LIMIT,
    SPOOL_LIMIT,
    MediaType,
    Part,
    Processor,
    RequestBody,
)
from framework.body.forms import (
    process_multipart,
    process_multipart_form_data,
    process_urlencoded,
)
from framework.body.reader import BUFSIZE, TRUNCATED, BodyReader

__all__ = [
    "BUFSIZE",
    "MEMORY_LIMIT",
    "PART_LIMIT",
    "SPOOL_LIMIT",
    "TRUNCATED",
    "BodyReader",
    "MediaType",
    "Part",
    "Processor",
    "RequestBody",
    "process_multipart",
    "process_multipart_form_data",
    "process_urlencoded",
]
