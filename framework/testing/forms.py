"""Request bodies for the test client: urlencoded forms, multipart uploads and JSON.

:func:`encode_body` turns the body keywords of :meth:`framework.testing.Client.request`
(``data=``, ``json=``, ``files=``) into the bytes sent and their ``Content-Type``;
:func:`encode_multipart` builds a ``multipart/form-data`` body as a browser would.
"""

from __future__ import annotations

import io
import json as jsonlib
import mimetypes
import secrets
from collections.abc import Mapping
from typing import IO, Any
from urllib.parse import urlencode

__all__ = ["FileContent", "FileSpec", "encode_body", "encode_multipart", "form_pairs"]

FileContent = bytes | IO[bytes]
FileSpec = tuple[str, FileContent] | tuple[str, FileContent, str]
"""One uploaded file: ``(filename, content)`` or ``(filename, content, content_type)``."""


def form_pairs(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten a form mapping; list or tuple values become repeated fields."""
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((name, str(item)) for item in values)
    return pairs


def _quote_param(value: str) -> str:
    # HTML's multipart/form-data rules: escape quotes and line breaks in names/filenames.
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def encode_multipart(
    fields: Mapping[str, Any], files: Mapping[str, FileSpec | list[FileSpec]]
) -> tuple[bytes, str]:
    """Encode form fields and files as a multipart/form-data body.

    Args:
        fields: plain form fields; list values become repeated parts.
        files: ``{field: (filename, bytes | binary file[, content_type])}`` or a list of
            such tuples for several files under one field. Without a content type it is
            guessed from the filename, falling back to application/octet-stream.

    Returns:
        ``(body, content_type)`` where content_type carries the boundary.
    """
    boundary = f"----CherryTestBoundary{secrets.token_hex(12)}"
    out = io.BytesIO()
    parts = [(name, "", value.encode("utf-8")) for name, value in form_pairs(fields)]
    for name, spec in files.items():
        for filename, content, *rest in spec if isinstance(spec, list) else [spec]:
            guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            content_type = rest[0] if rest else guessed
            head = f'; filename="{_quote_param(filename)}"\r\nContent-Type: {content_type}'
            parts.append((name, head, content if isinstance(content, bytes) else content.read()))
    for name, head, data in parts:
        disposition = f'Content-Disposition: form-data; name="{_quote_param(name)}"{head}'
        out.write(f"--{boundary}\r\n{disposition}\r\n\r\n".encode() + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def encode_body(
    data: Mapping[str, Any] | str | bytes | None,
    json: Any,
    files: Mapping[str, FileSpec | list[FileSpec]] | None,
) -> tuple[bytes | None, str | None]:
    """Turn the body keywords of `Client.request` into ``(body, content_type)``."""
    if json is not None:
        if data is not None or files is not None:
            raise ValueError("pass either json= or data=/files=, not both")
        return jsonlib.dumps(json).encode("utf-8"), "application/json"
    if files is not None:
        if isinstance(data, str | bytes):
            raise ValueError("files= needs data= to be a mapping of form fields")
        return encode_multipart(data or {}, files)
    if isinstance(data, str):
        return data.encode("utf-8"), None
    if isinstance(data, bytes):
        return data, None
    if data is not None:
        return urlencode(form_pairs(data)).encode("ascii"), "application/x-www-form-urlencoded"
    return None, None
