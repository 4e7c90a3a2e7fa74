"""The ``sessions`` tool: create the request's session, lock, save, release, expire.

``tools.sessions.on`` attaches, once per path (``setup_plan``):

===========================  ==================================================
``before_request_body`` 50   :func:`init`: read the id from the cookie, make the
                             session object, set the response cookie
``before_request_body`` 60   lock, when ``locking = "early"``
``before_handler`` 50        lock, when ``locking = "implicit"`` (the default)
``before_finalize`` 50       :func:`save`: store the data, release the lock
``on_end_request`` 90        :func:`close`: release the lock whatever happened
===========================  ==================================================

With ``locking = "explicit"`` the application calls ``acquire_lock()`` itself. The
cookie defaults to ``HttpOnly`` and ``SameSite=Lax`` (CherryPy sets neither).
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import TYPE_CHECKING, Any

from framework.context import serving
from framework.core.response import http_date
from framework.core.tools import Tool
from framework.lib.sessions.cookie import CookieFormat, read_id, set_response_cookie

if TYPE_CHECKING:
    from framework.core.plan import Plan
    from framework.core.request import Request
    from framework.lib.sessions.base import Session

__all__ = [
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


class Starter:
    """Makes each request's session, with settings resolved once (``init``'s body).

    # PERF: the store class, its one-time ``setup`` and the cookie settings are worked
    out when the path's plan is built, not on every request.

    Args: as :func:`init`.
    """

    def __init__(
        self,
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
        self.cls = store_class(storage_class, storage_type)
        setup = getattr(self.cls, "setup", None)
        if setup is not None:
            key = (self.cls, *sorted((k, repr(v)) for k, v in kwargs.items()))
            with _setup_lock:
                if key not in _setup_done:
                    setup(**kwargs)
                    _setup_done.add(key)
        self.name = name
        self.settings = {"timeout": timeout, "clean_freq": clean_freq, "debug": debug, **kwargs}
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

    def __call__(self) -> None:
        """Make the current request's session and set its cookie."""
        pair = serving.get()
        assert pair is not None
        request, response = pair
        if request.session is not None:
            return  # already made (the tool is on twice, or an internal redirect)
        name = self.name
        session = self.cls(read_id(request.wsgi_environ.get("HTTP_COOKIE"), name), **self.settings)
        request.session = session

        def update_cookie(new_id: str) -> None:
            response = serving.response
            if response is not None:
                response.cookie[name] = new_id

        session.id_observers.append(update_cookie)
        self.cookie.send(request, response, session.id)


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
    Starter(**kwargs)()


def _lock_session() -> None:
    session = _request().session
    assert session is not None
    session.acquire_lock()


def save() -> None:
    """Store the session's data and release its lock (``before_finalize``).

    A streamed body is produced after this point, so its session is saved once the
    body has been sent; any other lazy body is produced now, while the lock is held.
    """
    request = _request()
    session = request.session
    if session is None or request.__dict__.get("_session_saved"):
        return
    request.__dict__["_session_saved"] = True
    response = serving.response
    assert response is not None
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
        """Attach init, the lock, save and close to the plan.

        Raises:
            ValueError: for a ``locking`` mode other than implicit, early or explicit.
        """
        priority = self.priority_for(conf)
        locking = conf.pop("locking", "implicit")
        if locking not in ("implicit", "early", "explicit"):
            raise ValueError(
                f"tools.sessions.locking must be 'implicit', 'early' or 'explicit', not {locking!r}"
            )
        plan.hooks.attach("before_request_body", Starter(**conf), priority=priority)
        if locking == "implicit":
            plan.hooks.attach("before_handler", _lock_session, priority=50)
        elif locking == "early":
            plan.hooks.attach("before_request_body", _lock_session, priority=60)
        plan.hooks.attach("before_finalize", save)
        plan.hooks.attach("on_end_request", close)

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
