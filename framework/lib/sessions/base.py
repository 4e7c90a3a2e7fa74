"""The :class:`Session` base class: ids, the mapping API, loading, saving and locking.

A session object lives for one request. It holds the client's session id and, once
touched, a private copy of the stored data; the ``sessions`` tool saves it before
the response is finalized and releases its lock after the response is sent. A store
is a subclass implementing five storage methods, as in CherryPy::

    _exists() -> bool                 # stored and not expired
    _load() -> (data, expires) | None
    _save(expires: datetime) -> None
    _delete() -> None
    acquire_lock() / release_lock()   # exclusive access to one id

Security rules every store inherits:

- ids are 40 lowercase hex characters from :mod:`secrets` (160 bits);
- an id from a request is checked against :data:`ID_PATTERN` before it names a file
  or a key, and is adopted only if the store holds a live session for it; otherwise a
  fresh id is issued (no session fixation, no expired session revived);
- :meth:`Session.regenerate` keeps the data under a new id and deletes the old one;
  :meth:`Session.delete` ends the session for good: the stored data goes, and any
  data written afterwards starts a new session under a new id. (CherryPy keeps the
  id, and re-saves the data at the end of the request if it had been read.)

A store that cannot be reached raises :class:`StoreUnavailable`, a 503 with a short
message; the full error goes to the error log.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
import secrets
import threading
from collections.abc import Callable, ItemsView, Iterator, KeysView, ValuesView
from typing import Any, ClassVar

from framework.context import serving
from framework.errors import HTTPError
from framework.lib.sessions.locks import LockTable

__all__ = ["ID_PATTERN", "LenNotImplementedError", "LockTable", "Session", "StoreUnavailable"]

#: What a session id must look like before any store sees it.
ID_PATTERN = re.compile(r"[0-9a-f]{40,128}")

_missing: Any = object()


class StoreUnavailable(HTTPError):
    """503: the session store failed (down, frozen, full); the request may be retried."""

    def __init__(self, what: str, error: BaseException | None = None) -> None:
        super().__init__(503, "The session store is unavailable; please try again shortly.")
        _log_error(f"Session store failure: {what}", error)


class LenNotImplementedError(NotImplementedError, TypeError):
    """``len()`` of a session whose store cannot count its sessions.

    A ``NotImplementedError`` as CherryPy raises, and a ``TypeError`` as Python expects
    from an object without a length, so ``list(session)`` still iterates the keys.
    """


class LockTimeout(HTTPError):
    """503: another request held the session longer than ``lock_timeout`` seconds."""

    def __init__(self, session_id: str, timeout: float | None) -> None:
        super().__init__(503, "The session is busy with another request; please try again.")
        _log_error(f"Session {session_id[:8]}... still locked after {timeout}s", None)


def _log_error(message: str, error: BaseException | None) -> None:
    detail = f"{message}: {error!r}" if error is not None else message
    request = serving.request
    if request is not None and request.app is not None:
        request.app.log.error(detail, "TOOLS.SESSIONS", logging.ERROR)
    else:
        logging.getLogger("cherry.error").error(detail)


class Session:
    """One request's view of a session (``framework.session`` while it is served).

    Args:
        id: the id the client sent (``None``: start a new session).
        kwargs: settings from ``tools.sessions.*``, set as attributes.
    """

    timeout: float = 60
    """Minutes of inactivity after which the stored data expires."""
    clean_freq: float = 5
    """Minutes between sweeps of expired sessions (0: no sweeping)."""
    lock_timeout: float | None = 30
    """Seconds to wait for another request's lock before answering 503 (None: forever)."""
    debug = False
    locked = False
    """True while this request holds the session's lock."""
    loaded = False
    """True once the stored data has been read (on first access)."""
    originalid: str | None = None
    """The id the client sent (possibly invalid or unknown)."""
    missing = False
    """True if the client sent an id the store did not know."""
    regenerated = False
    """True if the application called :meth:`regenerate`."""
    clean_thread: ClassVar[Any] = None
    """The background sweep (one per store class)."""
    _id: str | None = None
    _tool_saved = False  # set by the sessions tool's save(), which saves once a request

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:
        self.id_observers: list[Callable[[str], None]] = []
        self._data: dict[Any, Any] = {}
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.originalid = id
        if id is not None and self.valid_id(id) and self._adoptable(id):
            if self.debug:
                self._debug(f"adopted session {id[:8]}...")
        else:
            self.missing = id is not None
            if self.missing and self.debug:
                self._debug("unknown, expired or malformed id: issuing a new one")
            self._id = self._new_id()

    # -- ids ------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The current session id."""
        assert self._id is not None
        return self._id

    @id.setter
    def id(self, value: str) -> None:
        self._id = value
        for observer in self.id_observers:
            observer(value)

    @staticmethod
    def valid_id(value: str) -> bool:
        """Return True if ``value`` has the shape of an id this server issues."""
        return ID_PATTERN.fullmatch(value) is not None

    def generate_id(self) -> str:
        """Return a new random id (40 hex characters)."""
        return secrets.token_hex(20)

    def _adoptable(self, id: str) -> bool:
        """Whether the store holds a live session for ``id`` (which is left as ``_id``).

        Raises:
            StoreUnavailable: 503 when the store failed.
        """
        self._id = id
        # PERF: the try statements on the hot paths (here, load, save) are written out;
        # _safe() would add a call and a bound method to each.
        try:
            return self._exists()
        except HTTPError:
            raise
        except self.store_errors() as exc:
            raise StoreUnavailable(f"{type(self).__name__} lookup", exc) from exc

    def _new_id(self) -> str:
        while True:
            candidate = self.generate_id()
            if not self._adoptable(candidate):
                return candidate

    #: The store's idea of "now": local time, as CherryPy (a store may override it).
    #: PERF: the C function itself, called without a Python frame (three times a request).
    now: Callable[[], datetime.datetime] = staticmethod(datetime.datetime.now)

    # -- life cycle -------------------------------------------------------------------------
    def regenerate(self) -> None:
        """Move the data to a new id and delete the old one (call after a login)."""
        self.regenerated = True
        if not self.loaded:
            self.load()
        data = self._data
        was_locked = self.locked
        self._safe("delete", self._delete)
        if was_locked:
            self.release_lock()
        self.id = self._new_id()
        if was_locked:
            self.acquire_lock()
        self._data = data
        self.loaded = True

    def delete(self) -> None:
        """End this session: drop the stored data; later writes start a new session."""
        was_locked = self.locked
        self._safe("delete", self._delete)
        if was_locked:
            self.release_lock()
        self.id = self._new_id()
        if was_locked:
            self.acquire_lock()
        self._data = {}
        self.loaded = False

    def load(self) -> None:
        """Read the stored data (once; called on first access)."""
        try:
            stored = self._load()
        except HTTPError:
            raise
        except self.store_errors() as exc:
            raise StoreUnavailable(f"{type(self).__name__} load", exc) from exc
        if stored is None or stored[1] < self.now():
            self._data = {}
        else:
            self._data = dict(stored[0])
        self.loaded = True
        if self.clean_thread is None:  # PERF: the sweep starts once per store class
            self._start_cleanup()

    def save(self) -> None:
        """Store the data (if it was read) with a fresh expiry, then release the lock."""
        try:
            if self.loaded:
                self._save(self.now() + _minutes(self.timeout))
        except HTTPError:
            raise
        except self.store_errors() as exc:
            raise StoreUnavailable(f"{type(self).__name__} save", exc) from exc
        finally:
            if self.locked:
                self.release_lock()

    def clean_up(self) -> None:
        """Remove expired sessions (run by the background sweep)."""

    def _start_cleanup(self) -> None:
        cls = type(self)
        if not self.clean_freq or cls.clean_thread is not None:
            return
        from framework.process import bus
        from framework.process.plugins import Monitor

        with _cleanup_lock:
            if cls.clean_thread is None:
                monitor = Monitor(bus, self.clean_up, self.clean_freq * 60, "Session cleanup")
                monitor.subscribe()
                monitor.start()
                cls.clean_thread = monitor

    def _safe(self, what: str, operation: Callable[..., Any], *args: Any) -> Any:
        """Run a store operation; turn store failures into :class:`StoreUnavailable`."""
        try:
            return operation(*args)
        except HTTPError:
            raise
        except self.store_errors() as exc:
            raise StoreUnavailable(f"{type(self).__name__} {what}", exc) from exc

    def store_errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions that mean "the store failed" (503 rather than 500)."""
        return (OSError,)

    # -- storage (subclasses) ------------------------------------------------------------
    def _exists(self) -> bool:
        raise NotImplementedError

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        raise NotImplementedError

    def _save(self, expiration_time: datetime.datetime) -> None:
        raise NotImplementedError

    def _delete(self) -> None:
        raise NotImplementedError

    def acquire_lock(self) -> None:
        """Take exclusive access to this session's data."""
        raise NotImplementedError

    def release_lock(self) -> None:
        """Give exclusive access back."""
        raise NotImplementedError

    # -- the mapping API ---------------------------------------------------------------------
    def _loaded(self) -> dict[Any, Any]:
        if not self.loaded:
            self.load()
        return self._data

    # PERF: the most used methods test ``loaded`` themselves rather than call _loaded().
    def __getitem__(self, key: Any) -> Any:
        return (self._data if self.loaded else self._loaded())[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        (self._data if self.loaded else self._loaded())[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._loaded()[key]

    def __contains__(self, key: Any) -> bool:
        return key in (self._data if self.loaded else self._loaded())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._loaded())

    def __len__(self) -> int:
        """The number of sessions in the store (CherryPy's meaning of ``len(session)``).

        Raises:
            LenNotImplementedError: for a store that cannot count them (memcached, as
                in CherryPy; Redis).
        """
        raise LenNotImplementedError(f"{type(self).__name__} cannot count its sessions")

    def __bool__(self) -> bool:
        # COMPAT: stores define len() as the number of live sessions, as CherryPy
        # does, so truth must not depend on it.
        return True

    def get(self, key: Any, default: Any = None) -> Any:
        """Return the value for ``key``, or ``default``."""
        return (self._data if self.loaded else self._loaded()).get(key, default)

    def pop(self, key: Any, default: Any = _missing) -> Any:
        """Remove ``key`` and return its value (or ``default``; KeyError without one)."""
        if default is _missing:
            return self._loaded().pop(key)
        return self._loaded().pop(key, default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """Return the value for ``key``, storing ``default`` first if absent."""
        return self._loaded().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Update the data as :meth:`dict.update` does."""
        self._loaded().update(*args, **kwargs)

    def clear(self) -> None:
        """Remove every key (the session itself stays)."""
        self._loaded().clear()

    def keys(self) -> KeysView[Any]:
        """The keys."""
        return self._loaded().keys()

    def values(self) -> ValuesView[Any]:
        """The values."""
        return self._loaded().values()

    def items(self) -> ItemsView[Any, Any]:
        """The ``(key, value)`` pairs."""
        return self._loaded().items()

    def _debug(self, message: str) -> None:
        if self.debug:
            request = serving.request
            if request is not None and request.app is not None:
                request.app.log.error(message, "TOOLS.SESSIONS")

    def __repr__(self) -> str:
        state = "locked" if self.locked else "unlocked"
        return f"<{type(self).__name__} {self.id[:8]}... {state}>"


_cleanup_lock = threading.Lock()


@functools.lru_cache(maxsize=64)
def _minutes(minutes: float) -> datetime.timedelta:
    """``timedelta(minutes=minutes)``, made once per value.

    # PERF: making a timedelta from keyword arguments costs more than the rest of a
    RAM session's save; the timeouts in use are a handful of config values.
    """
    return datetime.timedelta(minutes=minutes)
