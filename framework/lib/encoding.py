"""Charsets: the ``encode`` tool (response text to bytes) and the ``decode`` tool (requests).

``tools.encode`` (on by default) wraps the page handler, as CherryPy's does: the text
the handler returns is encoded before any ``before_finalize`` hook runs, in the first
charset of the client's ``Accept-Charset`` (best first; UTF-8 without the header)
that can encode it, else 406. ``text/*`` content types get a ``;charset=`` parameter.
Streamed bodies are encoded chunk by chunk in the first usable charset. What a tool
answers in the handler's place is left as the tool made it. ``tools.decode`` chooses
the charsets that decode a request's form data.

Content codings (the ``gzip`` tool) live in :mod:`framework.lib.compression`; their
names are re-exported here, where CherryPy keeps them.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from framework.context import current
from framework.core.tools import Tool
from framework.errors import HTTPError
from framework.headers import HeaderElement, header_elements, sane_charset
from framework.lib.compression import compress, decompress, gzip

if TYPE_CHECKING:
    from framework.core.plan import Plan

__all__ = [
    "EncodeTool",
    "charset_candidates",
    "compress",
    "decode",
    "decompress",
    "encode",
    "find_acceptable_charset",
    "gzip",
]


def charset_candidates(
    header: str | None, preferred: str, encoding: str | None = None
) -> list[str]:
    """The charsets to try for a text response, best first, given ``Accept-Charset``.

    As CherryPy: the client's charsets by quality (``*`` standing for ``preferred``),
    then ISO-8859-1 unless the header names it or ``*``; without the header, only
    ``preferred``. A forced ``encoding`` is the one candidate if the client accepts it.

    Args:
        header: the ``Accept-Charset`` value, or ``None``.
        preferred: the server's preferred charset (``tools.encode.default_encoding``).
        encoding: the charset forced by config (``tools.encode.encoding``), if any.

    Returns:
        Charset names as the client spelled them (``preferred`` for a name of the
        same codec), without repeats; empty when the client accepts none we may use.

    Raises:
        HTTPError: 400 for a malformed quality value.
    """
    if not header:
        return [encoding or preferred]
    elements = header_elements("Accept-Charset", header)
    qualities = [_quality(element, header) for element in elements]
    named = {element.value.lower() for element in elements}
    if encoding is not None:
        return [encoding] if "*" in named or encoding.lower() in named else []
    names = [
        preferred if element.value == "*" else element.value
        for element, quality in zip(elements, qualities, strict=True)
        if quality > 0
    ]
    if "*" not in named and "iso-8859-1" not in named:
        names.append("iso-8859-1")
    candidates: list[str] = []
    codecs_seen: set[str | None] = set()
    preferred_codec = _codec(preferred)
    for name in names:
        codec = _codec(name)
        if codec is not None and codec == preferred_codec:
            name = preferred
        if codec is None or codec not in codecs_seen:
            codecs_seen.add(codec)
            candidates.append(name)
    return candidates


def find_acceptable_charset(header: str | None, preferred: str) -> str:
    """The charset a text response is sent in when its text fits the client's first choice.

    Raises:
        HTTPError: 406 if the client accepts no charset we can produce; 400 for a
            malformed quality value.
    """
    candidates = charset_candidates(header, preferred)
    for name in candidates:
        if sane_charset(name) is not None:
            return name
    raise _not_acceptable(header, candidates)


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _quality(element: HeaderElement, header: str) -> float:
    try:
        return float(element.params.get("q", "1"))
    except ValueError:
        # COMPAT: as CherryPy, a quality that is not a number is a bad request.
        raise HTTPError(
            400, f"Malformed HTTP header: Accept-Charset: {header}", echoes_input=True
        ) from None


def _not_acceptable(header: str | None, attempted: Iterable[str]) -> HTTPError:
    if header is None:
        told = "Your client did not send an Accept-Charset header."
    else:
        told = f"Your client sent this Accept-Charset header: {header}."
    tried = ", ".join(sorted(set(attempted)))
    return HTTPError(406, f"{told} We tried these charsets: {tried}.", echoes_input=True)


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


class _Encoder:
    """The ``encode`` tool's arguments for one path, applied to each handler result."""

    __slots__ = ("add_charset", "default_encoding", "encoding", "errors", "text_only")

    def __init__(
        self,
        encoding: str | None = None,
        text_only: bool = True,
        add_charset: bool = True,
        errors: str = "strict",
        default_encoding: str = "utf-8",
        debug: bool = False,
    ) -> None:
        self.encoding = encoding
        self.text_only = text_only
        self.add_charset = add_charset
        self.errors = errors
        self.default_encoding = default_encoding

    def __call__(self, body: Any) -> Any:
        """Encode a handler's result for the current response; return the new body.

        A buffered body is tried in each charset the client accepts, best first; a
        streamed one (``response.stream``) is encoded lazily in the first usable one.

        Raises:
            HTTPError: 406 when no charset the client accepts encodes the text, 500
                when the server's own charset (declared, forced or default) does not.
        """
        pair = current()
        assert pair is not None
        request, response = pair
        headers = response.headers
        ctype: str = dict.get(headers, "Content-Type") or ""
        declared, is_text = _content_type_info(ctype)
        if self.text_only and ctype and not is_text and not declared:
            # COMPAT: as CherryPy, a body that is not text is left alone (a file stays the
            # server's file wrapper, which can sendfile(); str chunks go out as UTF-8).
            return body
        accept: str | None = request.wsgi_environ.get("HTTP_ACCEPT_CHARSET")
        if declared:
            candidates = [declared]
        elif accept or self.encoding:
            candidates = charset_candidates(accept, self.default_encoding, self.encoding)
        else:
            candidates = [self.default_encoding]
        if type(body) is str and (declared or not accept or self.encoding) and candidates:
            # PERF: the common case, one text and the server's own (trusted) charset.
            charset: str | None = candidates[0]
            try:
                body = [body.encode(candidates[0], self.errors)]
            except (UnicodeError, LookupError):
                charset = None
        else:
            trusted = {declared, self.encoding, self.default_encoding}
            charset, body = self._encode_body(body, candidates, trusted, response.stream)
        if charset is None:
            if declared or not accept:
                raise HTTPError(500, f"The response could not be encoded with {candidates[0]}.")
            raise _not_acceptable(accept, candidates)
        if self.add_charset and not declared and ctype and (is_text or not self.text_only):
            dict.__setitem__(headers, "Content-Type", f"{ctype};charset={charset}")
        return body

    def _encode_body(
        self, body: Any, candidates: list[str], trusted: set[str | None], stream: bool
    ) -> tuple[str | None, Any]:
        """The charset chosen and the body encoded in it, for each shape of body."""
        if type(body) is str:
            return self._encode_list([body], candidates, trusted)
        if type(body) is list:
            return self._encode_list(body, candidates, trusted)
        if body is None or isinstance(body, bytes | str) or hasattr(body, "read"):
            return self._first_usable(candidates, trusted), body  # no text to encode
        if not isinstance(body, Iterable):
            return self._first_usable(candidates, trusted), body
        if stream:
            charset = self._first_usable(candidates, trusted)
            if charset is not None:
                body = _encode_iter(body, charset, self.errors)
            return charset, body
        # Buffered anyway (finalize joins it): read it now, so every charset can be
        # tried, and an error in a generator is the handler's, not finalize's.
        return self._encode_list(list(body), candidates, trusted)

    @staticmethod
    def _first_usable(candidates: list[str], trusted: set[str | None]) -> str | None:
        for charset in candidates:
            if charset in trusted or sane_charset(charset) is not None:
                return charset
        return None

    def _encode_list(
        self, body: list[Any], candidates: list[str], trusted: set[str | None]
    ) -> tuple[str | None, list[Any]]:
        """The first candidate charset the text chunks encode in, and the encoded body."""
        errors = self.errors
        for charset in candidates:
            if charset not in trusted and sane_charset(charset) is None:
                continue  # unknown, or one a client must never choose (utf-7...)
            try:
                # PERF: the common case, one chunk of text, is encoded in place.
                if len(body) == 1 and type(body[0]) is str:
                    return charset, [body[0].encode(charset, errors)]
                return charset, [
                    chunk.encode(charset, errors) if isinstance(chunk, str) else chunk
                    for chunk in body
                ]
            except (UnicodeError, LookupError):
                continue
        return None, body


class EncodeTool(Tool):
    """``tools.encode``: text the page handler returns goes out as bytes.

    # COMPAT: CherryPy's encode tool wraps ``request.handler`` at ``before_handler``;
    this one is the plan's :attr:`~framework.core.plan.Plan.result_filter`, which has
    the same effect: what ``request.handler`` returns (wrappers a tool or a request
    namespace put around it included) is encoded before any ``before_finalize`` hook,
    and what a tool answers in the handler's place goes out as the tool made it.
    """

    def __init__(self) -> None:
        super().__init__("before_handler", _Encoder, priority=70)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Make the path's handler results go through an encoder with these arguments."""
        conf.pop("priority", None)
        # PERF: the arguments become one _Encoder per path, not a hook per request.
        plan.result_filter = _Encoder(**conf)


def encode(body: Any, **options: Any) -> Any:
    """Encode ``body`` for the current response as ``tools.encode`` does; return it.

    For a handler wrapper of your own that turns the tool off (``tools.encode.on``).

    Args:
        body: what a page handler returned.
        options: the tool's arguments (``encoding``, ``text_only``, ``add_charset``,
            ``errors``, ``default_encoding``).

    Returns:
        The body, its text encoded; ``Content-Type`` gets the charset.

    Raises:
        HTTPError: 406 if no charset the client accepts can encode the text; 400 for a
            malformed ``Accept-Charset``.
    """
    return _Encoder(**options)(body)


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
