"""Conditional requests: ETags, ``If-Match``/``If-None-Match``, ``If-(Un)Modified-Since``.

:func:`validate_etags` is the ``tools.etags`` callable: with ``autotags`` it tags a
200 response with a hash of its body, then answers ``If-None-Match`` with 304 (GET and
HEAD) or 412 (other methods) and a failed ``If-Match`` with 412. :func:`validate_since`
does the same for ``Last-Modified``; :func:`if_range_allows` decides whether a
``Range`` may be honoured under ``If-Range``.

Comparison follows RFC 9110: ``If-None-Match`` compares weakly (``W/"x"`` matches
``"x"``), ``If-Match`` and ``If-Range`` strongly (a weak tag never matches).
CherryPy compares the raw strings, so a ``W/`` tag never gets a 304 there, and its
``If-Modified-Since`` must equal ``Last-Modified`` to the character; here dates are
compared as dates.
"""

from __future__ import annotations

import hashlib
from email.utils import parsedate_to_datetime

from framework.context import serving
from framework.errors import HTTPError, HTTPRedirect
from framework.httputil import valid_status

__all__ = [
    "etag_matches",
    "if_range_allows",
    "parse_etags",
    "validate_etags",
    "validate_since",
]


def parse_etags(header: str) -> list[str]:
    """Split an ``If-Match``/``If-None-Match`` value into entity tags (``*`` kept).

    Commas inside a quoted tag do not split it.
    """
    tags: list[str] = []
    current: list[str] = []
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            tag = "".join(current).strip()
            if tag:
                tags.append(tag)
            current = []
        else:
            current.append(char)
    tag = "".join(current).strip()
    if tag:
        tags.append(tag)
    return tags


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith(("W/", "w/")) else tag


def etag_matches(etag: str | None, candidates: list[str], *, weak: bool) -> bool:
    """Return True if ``etag`` matches one of ``candidates`` (or they hold ``*``).

    Args:
        etag: the response's current tag (``None``: the resource has none).
        candidates: tags from the request header.
        weak: compare weakly (``If-None-Match``) rather than strongly.
    """
    if "*" in candidates:
        return True  # callers only ask for a resource that exists (a 2xx response)
    if etag is None:
        return False
    if weak:
        mine = _opaque(etag)
        return any(_opaque(tag) == mine for tag in candidates)
    if etag.startswith(("W/", "w/")):
        return False
    return etag in candidates


def validate_etags(autotags: bool = False, debug: bool = False) -> None:
    """Tag the response and evaluate ``If-Match``/``If-None-Match`` (``tools.etags``).

    Args:
        autotags: set a strong ``ETag`` from the body's hash on 200 responses that
            have none (the body is read whole to hash it).
        debug: log each decision to the error log.

    Raises:
        HTTPRedirect: 304 when ``If-None-Match`` matches on GET or HEAD.
        HTTPError: 412 when ``If-Match`` fails, or ``If-None-Match`` matches on
            another method.
    """
    pair = serving.get()
    assert pair is not None
    request, response = pair
    if getattr(response, "ETag", None) is not None:
        return  # already validated (hooks run again after a 304 or an HTTPError)
    status = valid_status(response.status)[0]
    etag: str | None = response.headers.get("ETag")
    if not etag and autotags and status == 200:
        body = response.collapse_body()
        etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
        response.headers["ETag"] = etag
    # COMPAT: CherryPy records the validated tag as response.ETag.
    setattr(response, "ETag", etag or "")  # noqa: B010
    if debug:
        _log(f"ETag: {etag!r}, status {status}")
    if not 200 <= status <= 299:
        return
    headers = request.headers
    if_match = headers.get("If-Match")
    if if_match and not etag_matches(etag, parse_etags(if_match), weak=False):
        raise HTTPError(412, "If-Match failed: the resource's ETag did not match.")
    if_none_match = headers.get("If-None-Match")
    if if_none_match and etag_matches(etag, parse_etags(if_none_match), weak=True):
        if request.method in ("GET", "HEAD"):
            raise HTTPRedirect([], 304)
        raise HTTPError(412, "If-None-Match failed: the resource's ETag matched.")


def _timestamp(value: str) -> int | None:
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _not_after(lastmod: str, since: str) -> bool | None:
    """Is ``lastmod`` at or before ``since``? ``None`` if either is not a date."""
    if lastmod == since:
        return True
    last, limit = _timestamp(lastmod), _timestamp(since)
    if last is None or limit is None:
        return None
    return last <= limit


def validate_since() -> None:
    """Evaluate ``If-Unmodified-Since`` and ``If-Modified-Since`` against ``Last-Modified``.

    Does nothing when no ``Last-Modified`` header was set. ``If-Modified-Since`` is
    skipped when the request has ``If-None-Match`` (RFC 9110 section 13.2.2).

    Raises:
        HTTPRedirect: 304 for an unmodified resource on GET or HEAD.
        HTTPError: 412 for a failed precondition.
    """
    pair = serving.get()
    assert pair is not None
    request, response = pair
    lastmod = response.headers.get("Last-Modified")
    if not lastmod:
        return
    status = valid_status(response.status)[0]
    headers = request.headers
    since = headers.get("If-Unmodified-Since")
    if since and (200 <= status <= 299 or status == 412):
        unmodified = _not_after(lastmod, since)
        if unmodified is False:
            raise HTTPError(412, "The resource was modified since the given date.")
    since = headers.get("If-Modified-Since")
    if (
        since
        and "If-None-Match" not in headers
        and (200 <= status <= 299 or status == 304)
        and request.method in ("GET", "HEAD")
        and _not_after(lastmod, since)
    ):
        raise HTTPRedirect([], 304)


def if_range_allows(header: str | None, etag: str | None, last_modified: str | None) -> bool:
    """Return True if a ``Range`` may be honoured given the request's ``If-Range``.

    Args:
        header: the ``If-Range`` value (``None``: no condition).
        etag: the representation's current ``ETag``, if any.
        last_modified: its ``Last-Modified`` header, if any.
    """
    if not header:
        return True
    header = header.strip()
    if header.startswith(('"', "W/", "w/")):
        return etag_matches(etag, [header], weak=False)
    # A date validator matches only an exact Last-Modified (RFC 9110 section 13.1.5).
    return last_modified is not None and header == last_modified


def _log(message: str) -> None:
    request = serving.request
    if request is not None and request.app is not None:
        request.app.log.error(message, "TOOLS.ETAGS")
