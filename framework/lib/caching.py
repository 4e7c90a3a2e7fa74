"""The ``caching`` tool: an in-process HTTP cache of whole responses.

Switched on with ``tools.caching.on``; CherryPy 18's settings apply (``delay``,
``maxobjects``, ``maxobj_size``, ``maxsize``, ``antistampede_timeout``,
``cache_class``, ``invalid_methods``, ``debug``)::

    [/news]
    tools.caching.on = True
    tools.caching.delay = 300

Responses are keyed by their full URL (with the query string) and varied by the
request headers the response's ``Vary`` names. A hit is served with an ``Age``
header and answers ``If-Modified-Since`` with 304; ``Cache-Control: no-cache`` or
``max-age`` and ``Pragma: no-cache`` from the client are honoured; POST, PUT, PATCH
and DELETE drop every stored variant of their URL.

What is never stored, so that one user's page never reaches another: responses that
set a cookie, responses to requests that used a session or carried
``Authorization``, ``Cache-Control: private``/``no-store``/``no-cache`` responses,
``Vary: *``, statuses that are not cacheable by default, and bodies over
``maxobj_size``. CherryPy stores the first three (a session page can be served to the
next visitor).

Anti-stampede: when many requests miss on the same URL at once, the first runs the
handler and the others wait for its result (up to ``antistampede_timeout``
seconds), so the handler runs once. If that response is not stored, the waiters run
the handler themselves, at once.

Each distinct ``tools.caching`` configuration gets its own cache instance, built when
the path's plan is built (:class:`CachingTool`); paths with the default settings share
:data:`default_cache` (``cherrypy._cache`` under the compat layer).
"""

from __future__ import annotations

import importlib
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from framework.context import serving
from framework.core.tools import Tool
from framework.errors import HTTPError, HTTPRedirect
from framework.httputil import HeaderMap
from framework.lib.conditional import validate_since
from framework.lib.cptools import expires  # COMPAT: CherryPy keeps expires() here too

if TYPE_CHECKING:
    from collections.abc import Iterator

    from framework.core.plan import Plan
    from framework.core.request import Request
    from framework.core.response import Response

__all__ = [
    "Cache",
    "CachingTool",
    "MemoryCache",
    "cache_for",
    "default_cache",
    "expires",
    "get",
    "tee_output",
]

#: Statuses a cache may store without explicit freshness (RFC 9110 section 15.1).
CACHEABLE_STATUSES = frozenset({200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501})

Variant = tuple[str, HeaderMap, bytes, float]


class Cache:
    """The interface of a ``cache_class``: each method works on the current request."""

    def get(self) -> Variant | None:
        """Return the stored ``(status, headers, body, created)`` for this request."""
        raise NotImplementedError

    def put(self, variant: Variant, size: int) -> None:
        """Store ``variant`` (of ``size`` bytes) for this request."""
        raise NotImplementedError

    def delete(self) -> None:
        """Drop every stored variant of this request's URL."""
        raise NotImplementedError

    def clear(self) -> None:
        """Drop everything."""
        raise NotImplementedError

    def release(self) -> None:
        """Let requests waiting on this request's result go (anti-stampede)."""


class _Pending:
    """A miss being computed by one request; others wait on ``event``."""

    __slots__ = ("event", "owner")

    def __init__(self, owner: Request) -> None:
        self.event = threading.Event()
        self.owner = owner


class MemoryCache(Cache):
    """A thread-safe in-memory cache with size limits and anti-stampede."""

    maxobjects = 1000
    """The most stored variants."""
    maxobj_size = 100_000
    """The largest stored body, in bytes."""
    maxsize = 10_000_000
    """The most bytes stored in all."""
    delay = 600
    """Seconds a stored response stays fresh."""
    antistampede_timeout: float | None = 5
    """Seconds a request waits for another computing the same page (None: never)."""
    debug = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Drop everything and reset the counters."""
        with self._lock:
            #: url -> the request headers its responses vary on.
            self._selecting: dict[str, tuple[str, ...]] = {}
            #: (url, header values) -> (variant, size, expires); oldest first.
            self._variants: OrderedDict[tuple[str, tuple[str, ...]], tuple[Variant, int, float]]
            self._variants = OrderedDict()
            self._pending: dict[str, _Pending] = {}
            self.cursize = 0
            self.tot_gets = self.tot_hist = self.tot_puts = 0
            self.tot_expires = self.tot_non_modified = 0

    # -- keys ----------------------------------------------------------------------------
    @staticmethod
    def _url(request: Request) -> str:
        url = request.base + request.script_name + request.path_info
        return url + "?" + request.query_string if request.query_string else url

    @staticmethod
    def _values(request: Request, names: tuple[str, ...]) -> tuple[str, ...]:
        if not names:
            return ()  # PERF: most pages vary on nothing; no header map is built
        headers = request.headers
        return tuple(headers.get(name, "") for name in names)

    # -- the Cache interface -------------------------------------------------------------
    def get(self) -> Variant | None:
        """Return this request's stored variant, waiting for a request computing it."""
        request = serving.request
        assert request is not None
        url = self._url(request)
        found = self._lookup(request, url, claim=True)
        if isinstance(found, _Pending):
            _log(self.debug, f"waiting up to {self.antistampede_timeout}s for {url}")
            found.event.wait(self.antistampede_timeout)
            hit = self._lookup(request, url, claim=False)
            return hit if not isinstance(hit, _Pending) else None
        return found

    def _lookup(self, request: Request, url: str, claim: bool) -> Variant | _Pending | None:
        now = time.time()
        with self._lock:
            self.tot_gets += 1
            names = self._selecting.get(url)
            if names is not None:
                key = (url, self._values(request, names))
                stored = self._variants.get(key)
                if stored is not None:
                    if stored[2] > now:
                        self.tot_hist += 1
                        return stored[0]
                    self._drop(key)
                    self.tot_expires += 1
            if not claim:
                return None
            pending = self._pending.get(url)
            if pending is not None and pending.owner is not request:
                if self.antistampede_timeout is None:
                    return None
                return pending
            self._pending[url] = _Pending(request)
            return None

    def put(self, variant: Variant, size: int) -> None:
        """Store ``variant`` for this request's URL and header values."""
        request, response = _pair()
        url = self._url(request)
        names = tuple(_vary(response))
        expires = variant[3] + self.delay
        with self._lock:
            if self._selecting.get(url, names) != names:
                self._remove_url(url)  # the resource changed what it varies on
            self._selecting[url] = names
            key = (url, self._values(request, names))
            if key in self._variants:
                self._drop(key)
            if size >= self.maxobj_size or size >= self.maxsize:
                return
            while self._variants and (
                len(self._variants) >= self.maxobjects or self.cursize + size > self.maxsize
            ):
                self._drop(next(iter(self._variants)))
            self._variants[key] = (variant, size, expires)
            self.cursize += size
            self.tot_puts += 1

    def delete(self) -> None:
        """Drop every stored variant of this request's URL."""
        request = serving.request
        assert request is not None
        with self._lock:
            self._remove_url(self._url(request))

    def release(self) -> None:
        """Wake the requests waiting for this request's page."""
        request = serving.request
        assert request is not None
        if not request.cacheable:
            return  # PERF: a hit or an invalidation never claimed the page
        url = self._url(request)
        with self._lock:
            pending = self._pending.get(url)
            if pending is None or pending.owner is not request:
                return
            del self._pending[url]
        pending.event.set()

    # -- bookkeeping (lock held) ------------------------------------------------------
    def _drop(self, key: tuple[str, tuple[str, ...]]) -> None:
        stored = self._variants.pop(key, None)
        if stored is not None:
            self.cursize -= stored[1]

    def _remove_url(self, url: str) -> None:
        for key in [key for key in self._variants if key[0] == url]:
            self._drop(key)
        self._selecting.pop(url, None)

    def __len__(self) -> int:
        return len(self._variants)

    @property
    def store(self) -> _Store:
        """The stored copies by URL: ``cache.store[url].clear()`` drops one URL's.

        CherryPy's ``MemoryCache.store`` shape, which CherryPy apps reach through
        ``cherrypy._cache`` to invalidate a page.
        """
        return _Store(self)


class _Store:
    """A read-only view of a :class:`MemoryCache` by URL (see :attr:`MemoryCache.store`)."""

    __slots__ = ("_cache",)

    def __init__(self, cache: MemoryCache) -> None:
        self._cache = cache

    def _urls(self) -> list[str]:
        with self._cache._lock:
            return list(self._cache._selecting)

    def __getitem__(self, url: str) -> _URLCopies:
        if url not in self._urls():
            raise KeyError(url)
        return _URLCopies(self._cache, url)

    def __contains__(self, url: object) -> bool:
        return url in self._urls()

    def __iter__(self) -> Iterator[str]:
        return iter(self._urls())

    def __len__(self) -> int:
        return len(self._urls())


class _URLCopies:
    """The stored copies of one URL (one per combination of its ``Vary`` headers)."""

    __slots__ = ("_cache", "url")

    def __init__(self, cache: MemoryCache, url: str) -> None:
        self._cache = cache
        self.url = url

    def __len__(self) -> int:
        with self._cache._lock:
            return sum(1 for key in self._cache._variants if key[0] == self.url)

    def clear(self) -> None:
        """Drop every copy of this URL."""
        with self._cache._lock:
            self._cache._remove_url(self.url)


def _pair() -> tuple[Request, Response]:
    pair = serving.get()
    assert pair is not None
    return pair


def _vary(response: Response) -> list[str]:
    vary = response.headers.get("Vary", "")
    return [name.strip() for name in vary.split(",") if name.strip()]


def _directives(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    result: dict[str, str] = {}
    for item in (value or "").split(","):
        name, _, arg = item.strip().partition("=")
        if name:
            result[name.lower()] = arg.strip().strip('"')
    return result


# -- the tool ------------------------------------------------------------------------
#: The cache of every ``tools.caching`` path without settings of its own (CherryPy's
#: process-wide ``cherrypy._cache``; other settings get caches of their own).
default_cache = MemoryCache()

_caches: dict[tuple[Any, ...], Cache] = {}
_caches_lock = threading.Lock()


def cache_for(cache_class: Any = None, **settings: Any) -> Cache:
    """Return the process-wide cache for this class and these settings (made once).

    Args:
        cache_class: a :class:`Cache` subclass or its dotted name (default
            :class:`MemoryCache`).
        settings: attributes set on the new instance (``delay``, ``maxobjects``...).
    """
    if isinstance(cache_class, str):
        module, _, name = cache_class.rpartition(".")
        cache_class = getattr(importlib.import_module(module), name)
    cls = cache_class or MemoryCache
    if cls is MemoryCache and not settings:
        return default_cache
    key = (cls, *sorted((k, repr(v)) for k, v in settings.items()))
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:
            cache = cls()
            for name, value in settings.items():
                setattr(cache, name, value)
            _caches[key] = cache
    return cache


DEFAULT_INVALID_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def get(
    invalid_methods: tuple[str, ...] | list[str] = DEFAULT_INVALID_METHODS,
    debug: bool = False,
    **kwargs: Any,
) -> bool:
    """Serve the request from the cache if possible (CherryPy's ``caching.get``).

    Sets ``request.cached`` and ``request.cacheable``. PATCH invalidates too
    (CherryPy's default list leaves it out). Other keywords select the cache
    (see :func:`cache_for`).

    Returns:
        True when the response came from the cache (the handler is skipped).

    Raises:
        HTTPRedirect: 304 when the cached copy satisfies ``If-Modified-Since``.
        HTTPError: 400 for a malformed ``Cache-Control: max-age``.
    """
    return serve_cached(cache_for(debug=debug, **kwargs), tuple(invalid_methods), debug)


def serve_cached(cache: Cache, invalid_methods: tuple[str, ...], debug: bool) -> bool:
    """Serve the request from ``cache`` if possible; see :func:`get`."""
    request, response = _pair()
    request.cached = request.cacheable = False
    if request.method in invalid_methods:
        _log(debug, f"{request.method} invalidates the cached copies")
        cache.delete()
        return False
    environ = request.wsgi_environ
    # PERF: read the few request headers that matter straight from the environ.
    directives = _directives(environ.get("HTTP_CACHE_CONTROL"))
    if "no-cache" in directives or "no-cache" in _directives(environ.get("HTTP_PRAGMA")):
        request.cacheable = True
        return False
    variant = cache.get()
    if variant is None:
        request.cacheable = True
        return False
    status, headers, body, created = variant
    age = int(response.time - created)
    max_age = directives.get("max-age")
    if max_age is not None:
        if not max_age.isdigit():
            raise HTTPError(400, "Invalid Cache-Control header")
        if age > int(max_age):
            request.cacheable = True
            return False
    _log(debug, "serving the cached copy")
    request.cached = True
    response.headers = copy = HeaderMap()
    dict.update(copy, headers)
    dict.__setitem__(copy, "Age", str(age))
    if "HTTP_IF_MODIFIED_SINCE" in environ or "HTTP_IF_UNMODIFIED_SINCE" in environ:
        try:
            validate_since()
        except HTTPRedirect as exc:
            if exc.code == 304 and isinstance(cache, MemoryCache):
                cache.tot_non_modified += 1
            raise
    response.status = status
    _send_whole(response, body)
    return True


def _send_whole(response: Response, body: bytes) -> None:
    """Make ``body`` the response's, sent with its length (never streamed).

    A tool before the lookup (``staticdir``) may have opened a file for the body:
    it is closed.
    """
    close = getattr(response.body, "close", None)
    if close is not None:
        close()
    response.stream = False
    response.body = [body]


def _storable(request: Request, response: Response) -> bool:
    if request.method != "GET" or int(str(response.status)[:3]) not in CACHEABLE_STATUSES:
        return False
    if response.sets_cookies or request.session is not None:
        return False
    if "Authorization" in request.headers or "no-store" in _directives(
        request.headers.get("Cache-Control")
    ):
        return False
    control = _directives(response.headers.get("Cache-Control"))
    if control.keys() & {"no-store", "private", "no-cache"}:
        return False
    if "no-cache" in _directives(response.headers.get("Pragma")):
        return False
    return "*" not in _vary(response)


def tee_output(debug: bool = False, **kwargs: Any) -> None:
    """Store the response as it is sent, if it may be (CherryPy's ``caching.tee_output``)."""
    store_response(cache_for(debug=debug, **kwargs), debug)


def store_response(cache: Cache, debug: bool) -> None:
    """Store the current response in ``cache`` as it is sent, if it may be stored."""
    request, response = _pair()
    if not request.cacheable or not _storable(request, response):
        _log(debug, "response not stored")
        return
    status, headers, created = str(response.status), response.headers.copy(), response.time
    body = response.body
    if isinstance(body, list):
        content = b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in body)
        response.body = [content]
        cache.put((status, headers, content, created), len(content))
        return
    response.body = _tee(cache, body, (status, headers, created))


def _tee(cache: Cache, chunks: Any, meta: tuple[str, HeaderMap, float]) -> Any:
    limit = getattr(cache, "maxobj_size", None)
    kept: list[bytes] | None = []
    size = 0
    try:
        for chunk in chunks:
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            if kept is not None:
                size += len(data)
                if limit is not None and size >= limit:
                    kept = None
                else:
                    kept.append(data)
            yield data
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if kept is not None:
        status, headers, created = meta
        cache.put((status, headers, b"".join(kept), created), size)


class CachingTool(Tool):
    """``tools.caching``: serve hits before the handler, store misses after it.

    # PERF: the cache is looked up once, when the path's plan is built. Three hooks:
    the lookup at ``before_handler`` (priority 90, after the session lock and
    authentication), the store at ``before_finalize`` (priority 100, after ``encode``
    and ``gzip``, so the stored body is what was sent) and the anti-stampede release
    at ``on_end_request`` (failsafe: it runs whatever happened before).
    """

    def __init__(self) -> None:
        super().__init__("before_handler", get, priority=90)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the lookup, the store and the release hooks to the plan."""
        priority = self.priority_for(conf)
        invalid = tuple(conf.pop("invalid_methods", DEFAULT_INVALID_METHODS))
        debug = bool(conf.get("debug", False))
        cache = cache_for(**conf)

        def lookup() -> None:
            if serve_cached(cache, invalid, debug):
                request = serving.request
                assert request is not None
                request.handler = None

        plan.hooks.attach("before_handler", lookup, priority=priority)
        plan.hooks.attach("before_finalize", store_response, priority=100, cache=cache, debug=debug)
        plan.hooks.attach("on_end_request", cache.release, failsafe=True, priority=10)


def _log(debug: bool, message: str) -> None:
    if not debug:
        return
    request = serving.request
    if request is not None and request.app is not None:
        request.app.log.error(message, "TOOLS.CACHING")
