"""Charsets: the ``encode`` tool (response text to bytes) and the ``decode`` tool (requests).

Text chunks are encoded with the first charset the client accepts
(``Accept-Charset``), preferring ``encoding`` (default UTF-8); ``text/*`` content
types get a ``;charset=`` parameter. Streamed bodies are encoded chunk by chunk.
``tools.decode`` chooses the charsets that decode a request's form data.

Content codings (the ``gzip`` tool) live in :mod:`framework.lib.compression`; their
names are re-exported here, where CherryPy keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from framework.context import current
from framework.errors import HTTPError
from framework.headers import sane_charset
from framework.httputil import AcceptElement
from framework.lib.compression import compress, decompress, gzip

__all__ = [
    "compress",
    "decode",
    "decompress",
    "encode",
    "find_acceptable_charset",
    "gzip",
]


def find_acceptable_charset(header: str | None, preferred: str) -> str:
    """Pick the charset to encode with, given an ``Accept-Charset`` header.

    Raises:
        HTTPError: 406 if the client accepts no charset we can produce.
    """
    if not header:
        return preferred
    elements = sorted(
        (AcceptElement.from_str(part) for part in header.split(",") if part.strip()),
        reverse=True,
    )
    accepted: dict[str, float] = {}
    for element in elements:
        accepted[element.value.lower()] = element.qvalue
    star = accepted.get("*")
    pref = preferred.lower()
    if accepted.get(pref, star if star is not None else 0.0) > 0:
        return preferred
    if pref == "utf-8" and accepted.get("utf8", 0.0) > 0:
        return preferred
    for element in elements:
        name = element.value
        if name == "*" or element.qvalue <= 0:
            continue
        if sane_charset(name) is None:
            continue  # unknown, or one a client must never choose (utf-7...)
        return name
    if "iso-8859-1" not in accepted and star is None:
        # RFC 2616: ISO-8859-1 is acceptable unless explicitly excluded.
        return "iso-8859-1"
    raise HTTPError(
        406, f"Your client did not send an acceptable Accept-Charset. We can send {preferred}."
    )


_CTYPE_CACHE: dict[str, tuple[str | None, bool]] = {}


def _content_type_info(ctype: str) -> tuple[str | None, bool]:
    """``(declared charset or None, is text/*)`` for a Content-Type value."""
    # PERF: responses reuse a few content types; parse each once.
    info = _CTYPE_CACHE.get(ctype)
    if info is None:
        lowered = ctype.lower()
        declared = None
        if "charset=" in lowered:
            start = lowered.index("charset=") + 8
            declared = ctype[start:].split(";", maxsplit=1)[0].strip().strip('"') or None
        info = (declared, lowered.startswith("text/"))
        if len(_CTYPE_CACHE) < 256:
            _CTYPE_CACHE[ctype] = info
    return info


def _encode_iter(chunks: Iterable[object], charset: str, errors: str) -> Iterator[bytes]:
    try:
        for chunk in chunks:
            if isinstance(chunk, str):
                yield chunk.encode(charset, errors)
            else:
                yield chunk  # type: ignore[misc]
    finally:
        # Closing the response closes this generator: pass it on (open files).
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def encode(
    encoding: str | None = None,
    text_only: bool = True,
    add_charset: bool = True,
    errors: str = "strict",
    default_encoding: str = "utf-8",
    debug: bool = False,
) -> None:
    """Encode the response body (the ``encode`` tool, on by default).

    Args:
        encoding: force this charset instead of negotiating.
        text_only: only encode (and add a charset to) ``text/*`` content types, and
            bodies whose Content-Type declares a charset.
        add_charset: add ``;charset=...`` to the Content-Type.
        errors: the codec error handler.
        default_encoding: the preferred charset when negotiating.
        debug: accepted for CherryPy compatibility.
    """
    pair = current()
    assert pair is not None
    request, response = pair
    if request.handler is None:
        # COMPAT: CherryPy's encoder wraps the page handler: what a tool answered in its
        # place (a static file, a login form) goes out as the tool made it.
        return
    headers = response.headers
    ctype: str = dict.get(headers, "Content-Type") or ""
    declared, is_text = _content_type_info(ctype)
    if text_only and ctype and not is_text and not declared:
        # COMPAT: as CherryPy, a body that is not text is left alone (a file stays the
        # server's file wrapper, which can sendfile(); str chunks go out as UTF-8).
        return
    charset = declared or encoding or _negotiate(request, default_encoding)
    if add_charset and not declared and ctype and (is_text or not text_only):
        dict.__setitem__(headers, "Content-Type", f"{ctype};charset={charset}")
    _encode_body(response, charset, errors)


def _negotiate(request: Any, preferred: str) -> str:
    """The charset to use given the request's Accept-Charset (``preferred`` if none)."""
    accept = request.wsgi_environ.get("HTTP_ACCEPT_CHARSET")
    # PERF: without Accept-Charset there is nothing to negotiate.
    return find_acceptable_charset(accept, preferred) if accept else preferred


def _encode_body(response: Any, charset: str, errors: str) -> None:
    """Encode the text chunks of the response body with ``charset``.

    Raises:
        HTTPError: 500 if the text cannot be encoded with ``charset``.
    """
    body = response.body
    if type(body) is not list:
        response.body = _encode_iter(body, charset, errors)
        return
    try:
        # PERF: the common case, one chunk of text, is encoded in place.
        if len(body) == 1 and type(body[0]) is str:
            body[0] = body[0].encode(charset, errors)
        elif any(isinstance(chunk, str) for chunk in body):
            response.body = [
                chunk.encode(charset, errors) if isinstance(chunk, str) else chunk for chunk in body
            ]
    except UnicodeEncodeError:
        raise HTTPError(500, f"The response could not be encoded with {charset}.") from None


def decode(
    encoding: str | list[str] | None = None, default_encoding: str | list[str] = "utf-8"
) -> None:
    """Set the charsets used to decode the request body's form data (``tools.decode``).

    Args:
        encoding: the only charset(s) to try; the request's own ``charset`` is still
            tried first.
        default_encoding: charset(s) tried after the default ones when ``encoding`` is
            not given.
    """
    pair = current()
    assert pair is not None
    body = pair[0].body
    if encoding is not None:
        body.attempt_charsets = [encoding] if isinstance(encoding, str) else list(encoding)
    elif default_encoding:
        extra = [default_encoding] if isinstance(default_encoding, str) else list(default_encoding)
        body.attempt_charsets = [*body.attempt_charsets, *extra]
