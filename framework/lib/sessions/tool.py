"""The ``sessions`` tool: create the request's session, lock, save, release, expire.

``tools.sessions.on`` attaches, once per path (``setup_plan``), the hooks of a
:class:`PathSessions` made from the path's settings:

===========================  ==================================================
``before_request_body`` 50   :meth:`~PathSessions.start`: read the id from the
                             cookie, make the session object, set the response
                             cookie (and lock, when ``locking = "early"``)
``before_handler`` 50        lock, when ``locking = "implicit"`` (the default)
``before_finalize`` 50       :func:`save`: store the data, release the lock
``on_end_resource`` 90       :meth:`~PathSessions.finish`: where the lock may
                             outlive the response (an error, a streamed body),
                             add :func:`close` at ``on_end_request`` 90, which
                             releases it whatever happens
===========================  ==================================================

With ``locking = "explicit"`` the application calls ``acquire_lock()`` itself. The
cookie defaults to ``HttpOnly`` and ``SameSite=Lax`` (CherryPy sets neither).

# PERF: CherryPy attaches ``close`` to every request's ``on_end_request``; a request
with end-of-request hooks makes the server call back after the body is sent, which
costs more than the whole lock. Here a request that saved (and so released) its
session and answered normally has nothing left to do, and ``close`` is attached only
to the requests that need it.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import TYPE_CHECKING, Any

from framework.context import current as current_pair
from framework.context import serving
from framework.core.response import http_date
from framework.core.tools import Tool
from framework.lib.sessions.cookie import CookieFormat, read_id, set_response_cookie

if TYPE_CHECKING:
    from framework.core.plan import Plan
    from framework.core.request import Request
    from framework.hooks import HookMap
    from framework.lib.sessions.base import Session

__all__ = [
    "PathSessions",
    "SessionTool",
    "close",
    "current",
    "expire",
    "init",
    "save",
    "set_response_cookie",
    "store_class",
]

#: ``storage_type`` names -> (module, class).
STORAGE_TYPES = {
    "ram": ("framework.lib.sessions.ram", "RamSession"),
    "file": ("framework.lib.sessions.file", "FileSession"),
    "memcached": ("framework.lib.sessions.memcached", "MemcachedSession"),
    "redis": ("framework.lib.sessions.redis", "RedisSession"),
}

#: The ``locking`` modes: when the session is locked.
LOCKING = ("implicit", "early", "explicit")

_setup_done: set[tuple[Any, ...]] = set()
_setup_lock = threading.Lock()


def store_class(storage_class: Any = None, storage_type: str | None = None) -> type[Session]:
    """Resolve ``storage_class`` (a class or dotted name) or ``storage_type`` to a class.

    Raises:
        ValueError: for an unknown ``storage_type``.
    """
    if isinstance(storage_class, str):
        module, _, name = storage_class.rpartition(".")
        storage_class = getattr(importlib.import_module(module), name)
    if storage_class is not None:
        return storage_class  # type: ignore[no-any-return]
    key = (storage_type or "ram").lower()
    if key not in STORAGE_TYPES:
        raise ValueError(
            f"Unknown tools.sessions.storage_type {storage_type!r}; "
            f"choose one of {', '.join(STORAGE_TYPES)} or set storage_class."
        )
    module, name = STORAGE_TYPES[key]
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _request() -> Request:
    request = serving.request
    assert request is not None
    return request


def current() -> Session:
    """Return the current request's session.

    Raises:
        RuntimeError: outside a request, or where ``tools.sessions`` is off.
    """
    request = serving.request
    session = request.session if request is not None else None
    if session is None:
        raise RuntimeError(
            "There is no session here: switch tools.sessions on for this path "
            "(config 'tools.sessions.on': True)."
        )
    return session


def _is_default(cls: type, key: str, value: Any) -> bool:
    """Whether ``cls`` already has ``value`` as the class attribute ``key``."""
    default = getattr(cls, key, _unset)
    if default is value:
        return True
    # Only plain immutable values compare by value (1 == True == 1.0 do not count).
    return type(default) is type(value) and type(value) in _SCALARS and default == value


_unset: Any = object()
_SCALARS = (int, float, str, bool, type(None))


class PathSessions:
    """One path's session settings, resolved once, and the hooks that use them.

    # PERF: the store class, its one-time ``setup`` and the cookie settings are worked
    out when the path's plan is built, not on every request; the hooks are this
    object's methods, called without keyword arguments.

    Args:
        locking: ``"implicit"`` (lock before the handler), ``"early"`` (lock when
            the session is made) or ``"explicit"`` (the application locks).
        kwargs: as :func:`init`.

    Raises:
        ValueError: for another ``locking`` mode.
    """

    def __init__(
        self,
        locking: str = "implicit",
        storage_type: str | None = None,
        path: str | None = None,
        path_header: str | None = None,
        name: str = "session_id",
        timeout: float = 60,
        domain: str | None = None,
        secure: bool = False,
        clean_freq: float = 5,
        persistent: bool = True,
        httponly: bool = True,
        samesite: str | None = "Lax",
        debug: bool = False,
        storage_class: Any = None,
        **kwargs: Any,
    ) -> None:
        if locking not in LOCKING:
            raise ValueError(
                f"tools.sessions.locking must be 'implicit', 'early' or 'explicit', not {locking!r}"
            )
        self.locking = locking
        self.cls = store_class(storage_class, storage_type)
        setup = getattr(self.cls, "setup", None)
        if setup is not None:
            key = (self.cls, *sorted((k, repr(v)) for k, v in kwargs.items()))
            with _setup_lock:
                if key not in _setup_done:
                    setup(**kwargs)
                    _setup_done.add(key)
        self.name = name
        self._follow = self._follow_id  # PERF: one bound method for every request
        settings = {"timeout": timeout, "clean_freq": clean_freq, "debug": debug, **kwargs}
        # PERF: a setting equal to the store class's own default changes nothing; left
        # out, most paths make their sessions without keyword arguments.
        self.settings = {k: v for k, v in settings.items() if not _is_default(self.cls, k, v)}
        self.cookie = CookieFormat(
            path,
            path_header,
            name,
            timeout if persistent else 0,
            domain,
            secure,
            httponly,
            samesite,
        )

    def attach(self, hooks: HookMap, priority: int) -> None:
        """Attach the hooks for this path's locking mode (see the module docstring)."""
        # With early locking the lock is always taken right after the session is made:
        # one hook does both.
        start = self.start_locked if self.locking == "early" else self.start
        hooks.attach("before_request_body", start, priority=priority)
        if self.locking == "implicit":
            hooks.attach("before_handler", self.lock, priority=50)
        hooks.attach("before_finalize", save)
        hooks.attach("on_end_resource", self.finish, failsafe=True, priority=90)

    def start(self) -> Session | None:
        """Make the current request's session and set its cookie (``before_request_body``).

        Returns:
            The new session, or None if the request already had one (the tool is on
            twice).
        """
        pair = current_pair()
        assert pair is not None
        request, response = pair
        if request.session is not None:
            return None
        raw_id = read_id(request.wsgi_environ.get("HTTP_COOKIE"), self.name)
        settings = self.settings
        # PERF: most paths have no settings to pass; ``**{}`` would still cost a dict.
        session = self.cls(raw_id, **settings) if settings else self.cls(raw_id)
        request.session = session
        session.id_observers.append(self._follow)
        self.cookie.send(request, response, session.id)
        return session

    def start_locked(self) -> None:
        """:meth:`start`, then lock the session (``locking = "early"``)."""
        session = self.start()
        if session is not None:
            session.acquire_lock()

    def lock(self) -> None:
        """Lock the current request's session (``before_handler``, implicit locking)."""
        pair = current_pair()
        assert pair is not None
        session = pair[0].session
        assert session is not None
        session.acquire_lock()

    def finish(self) -> None:
        """Make sure the lock is released once the response is sent (``on_end_resource``).

        After a normal answer, :func:`save` has released it and nothing is left to do.
        Where it is still held, or may be taken again before the request ends (an error
        response still to render, a streamed body still to send), :func:`close` is
        attached at ``on_end_request``, as CherryPy attaches it to every request.
        """
        pair = current_pair()
        assert pair is not None
        request, response = pair
        session = request.session
        if session is None:
            return
        if session.locked or response.stream or not response.output_status:
            request.hooks.attach("on_end_request", close)

    def _follow_id(self, new_id: str) -> None:
        """Send the new id when the session changes it (``regenerate``, ``delete``)."""
        response = serving.response
        if response is not None:
            response.cookie[self.name] = new_id


def init(**kwargs: Any) -> None:
    """Make the current request's session and set its cookie (CherryPy's ``init``).

    Args:
        storage_type: ``"ram"``, ``"file"``, ``"memcached"`` or ``"redis"``.
        storage_class: a :class:`Session` subclass (or its dotted name).
        path: the cookie's path (default: the ``path_header`` request header, or /).
        path_header: a request header holding the cookie path.
        name: the cookie's name (default ``session_id``).
        timeout: minutes of inactivity before the data expires (and the cookie).
        domain: the cookie's domain.
        secure: send the cookie over HTTPS only.
        clean_freq: minutes between sweeps of expired sessions.
        persistent: give the cookie an expiry (False: it ends with the browser).
        httponly: hide the cookie from scripts (default True).
        samesite: the cookie's SameSite attribute (default "Lax"; None: unset).
        debug: log each decision to the error log.
        kwargs: store settings (``storage_path``, ``url``, ``servers``...).
    """
    PathSessions(**kwargs).start()


def save() -> None:
    """Store the session's data and release its lock (``before_finalize``).

    A streamed body is produced after this point, so its session is saved once the
    body has been sent; any other lazy body is produced now, while the lock is held.
    """
    pair = current_pair()
    assert pair is not None
    request, response = pair
    session = request.session
    if session is None or session._tool_saved:
        return
    # Once: before_finalize runs again after an HTTPError raised by a later hook, and a
    # second save, without the lock, could overwrite another request's.
    session._tool_saved = True
    if response.stream:
        request.hooks.attach("on_end_request", session.save, priority=50)
        return
    if not isinstance(response.body, list):
        response.collapse_body()
    session.save()


save.failsafe = True  # type: ignore[attr-defined]


def close() -> None:
    """Release the session's lock if the request still holds it (``on_end_request``)."""
    request = serving.request
    session = request.session if request is not None else None
    if session is not None and session.locked:
        session.release_lock()


close.failsafe = True  # type: ignore[attr-defined]
close.priority = 90  # type: ignore[attr-defined]


def expire() -> None:
    """End the current session: delete its data and expire its cookie in the browser.

    CherryPy only expires the cookie, so a copied cookie keeps working until the
    session times out; here the server-side data goes too.
    """
    request = _request()
    response = serving.response
    assert response is not None
    name = request.config.get("tools.sessions.name", "session_id")
    session = request.session
    if session is not None:
        session.delete()
    cookie = response.cookie
    if name not in cookie:
        cookie[name] = ""
    morsel = cookie[name]
    morsel["expires"] = http_date(time.time() - 365 * 24 * 3600)
    morsel["max-age"] = 0


class SessionTool(Tool):
    """``tools.sessions`` (see the module docstring for its hooks)."""

    def __init__(self) -> None:
        super().__init__("before_request_body", init)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the path's session hooks to the plan.

        Raises:
            ValueError: for a ``locking`` mode other than implicit, early or explicit.
        """
        priority = self.priority_for(conf)
        PathSessions(**conf).attach(plan.hooks, priority)

    def regenerate(self) -> None:
        """Give the current session a new id (keeping its data) and send the new cookie."""
        current().regenerate()
        relevant = {"path", "path_header", "name", "timeout", "domain", "secure"}
        relevant |= {"httponly", "samesite"}
        settings = _request().toolmaps.get(self.namespace, {}).get(self._name, {})
        conf = {k: v for k, v in settings.items() if k in relevant}
        if settings.get("persistent") is False:
            conf["timeout"] = 0
        set_response_cookie(**conf)
