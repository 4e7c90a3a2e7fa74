"""``MemcachedSession``: sessions in memcached, shared by every process on every host.

Needs the ``memcached`` extra (``pip install "cherrycli[memcached]"``, pymemcache).
Settings (``tools.sessions.*``): ``servers`` (``["host:port", ...]``, as CherryPy),
``connect_timeout`` and ``socket_timeout`` (seconds, default 3: a frozen server costs a
request at most this, then a 503), ``prefix`` for the keys (default ``session:``),
``lock_expiry`` (seconds after which a lock left by a crashed process frees itself).

Each session is one key holding a pickle of ``(data, expires)`` with a matching
expiry. Locking spans processes and hosts: threads queue on a thread lock per id,
then the process ``add``s ``<prefix>lock:<id>`` (atomic: only one ``add`` succeeds).
Saves use compare-and-set against the value read at load time, so a request that
outlived its lock can never overwrite a newer save: it gets a 503 instead.

Memcached may evict sessions under memory pressure; use Redis where that matters.
"""

from __future__ import annotations

import datetime
import math
import pickle
import secrets
import threading
import time
from typing import Any, ClassVar

from framework.lib.sessions.base import LockTable, LockTimeout, Session, StoreUnavailable

__all__ = ["MemcachedSession"]

#: memcached reads an expiry above 30 days as a Unix time stamp.
_RELATIVE_LIMIT = 30 * 24 * 3600


def _import_pymemcache() -> Any:
    try:
        import pymemcache.client.base
        import pymemcache.client.hash
    except ImportError:
        raise ImportError(
            "MemcachedSession needs the pymemcache package: pip install 'cherrycli[memcached]'"
        ) from None
    return pymemcache


def _address(server: str) -> tuple[str, int]:
    host, _, port = server.rpartition(":")
    return (host or "localhost", int(port or 11211))


class MemcachedSession(Session):
    """Sessions in memcached (``storage_type = "memcached"``)."""

    servers: list[str] = ["localhost:11211"]
    connect_timeout: float = 3.0
    socket_timeout: float = 3.0
    prefix = "session:"
    lock_expiry: float = 30

    locks: ClassVar[LockTable] = LockTable()
    _clients: ClassVar[dict[tuple[Any, ...], Any]] = {}
    _clients_lock: ClassVar[threading.Lock] = threading.Lock()
    #: Lock tokens whose acquisition or release failed mid-flight: key -> token -> when.
    _orphans: ClassVar[dict[str, dict[str, float]]] = {}

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:
        self._token: str | None = None
        self._cas: Any = None
        self._client: Any = None
        super().__init__(id, **kwargs)

    # -- the connection ---------------------------------------------------------------------
    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        """Check that pymemcache is installed (clients are made on first use).

        Raises:
            ImportError: naming the extra to install.
        """
        _import_pymemcache()

    @property
    def client(self) -> Any:
        """The pymemcache client for this session's settings (pooled, one per process)."""
        if self._client is not None:
            return self._client
        key = (tuple(self.servers), self.connect_timeout, self.socket_timeout)
        client = self._clients.get(key)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = self._connect()
        self._client = client
        return client

    def _connect(self) -> Any:
        pymemcache = _import_pymemcache()
        options = {
            "connect_timeout": self.connect_timeout,
            "timeout": self.socket_timeout,
            "no_delay": True,
            "default_noreply": False,
        }
        addresses = [_address(server) for server in self.servers]
        if len(addresses) == 1:
            return pymemcache.client.base.PooledClient(addresses[0], **options)
        return pymemcache.client.hash.HashClient(
            addresses, use_pooling=True, dead_timeout=1, retry_attempts=1, **options
        )

    def store_errors(self) -> tuple[type[BaseException], ...]:
        """memcached errors and socket errors are store failures (503)."""
        from pymemcache.exceptions import MemcacheError

        return (MemcacheError, OSError)

    # -- storage ------------------------------------------------------------------------------
    def _key(self) -> str:
        if not self.valid_id(self.id):
            raise ValueError("invalid session id")
        return self.prefix + self.id

    def _lock_key(self) -> str:
        return self.prefix + "lock:" + self.id

    def _expire(self, expiration_time: datetime.datetime) -> int:
        # memcached's clock ticks once a second, so an item given n seconds may go
        # after n - 1: it gets one more. The expiry stored with the data (checked on
        # load and before an id is adopted) is the exact one.
        seconds = max(math.ceil((expiration_time - self.now()).total_seconds()), 1) + 1
        return seconds if seconds <= _RELATIVE_LIMIT else int(time.time()) + seconds

    def _exists(self) -> bool:
        raw = self.client.get(self._key())
        if raw is None:
            return False
        stored: tuple[dict[Any, Any], datetime.datetime] = pickle.loads(raw)
        return stored[1] > self.now()

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        raw, self._cas = self.client.gets(self._key())
        if raw is None:
            return None
        stored: tuple[dict[Any, Any], datetime.datetime] = pickle.loads(raw)
        return stored

    def _save(self, expiration_time: datetime.datetime) -> None:
        key = self._key()
        payload = pickle.dumps((self._data, expiration_time), pickle.HIGHEST_PROTOCOL)
        expire = self._expire(expiration_time)
        if self._cas is not None:
            stored = self.client.cas(key, payload, self._cas, expire=expire)
            if stored is None:  # expired or deleted since it was read: write it anew
                stored = self.client.add(key, payload, expire=expire)
        else:
            stored = self.client.add(key, payload, expire=expire)
        if not stored:
            raise StoreUnavailable(
                f"MemcachedSession {self.id[:8]}... was written by another request since it "
                f"was read (a lock outlived lock_expiry={self.lock_expiry}s?)"
            )
        _, self._cas = self.client.gets(key)

    def _delete(self) -> None:
        self.client.delete(self._key())
        self._cas = None

    # -- locking ------------------------------------------------------------------------------
    def acquire_lock(self) -> None:
        """Lock this session across threads, processes and hosts.

        Raises:
            LockTimeout: 503 after ``lock_timeout`` seconds.
            StoreUnavailable: 503 when memcached fails or does not answer in time.
        """
        if self.locked:
            return
        timeout = self.lock_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.locks.acquire(self.id, timeout):
            raise LockTimeout(self.id, timeout)
        try:
            self._token = self._safe("lock", self._take_lock, deadline)
        except BaseException:
            self.locks.release(self.id)
            raise
        self.locked = True

    def _take_lock(self, deadline: float | None) -> str:
        key = self._lock_key()
        token = secrets.token_hex(16)
        expire = max(int(self.lock_expiry), 1)
        pause = 0.001
        tried_orphans = False
        while True:
            try:
                if self.client.add(key, token, expire=expire):
                    return token
            except self.store_errors():
                self._remember(key, token)
                raise
            if not tried_orphans and key in self._orphans:
                tried_orphans = True
                self._release_orphan(key)
                continue
            if deadline is not None and time.monotonic() >= deadline:
                raise LockTimeout(self.id, self.lock_timeout)
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _remember(self, key: str, token: str) -> None:
        # A command sent before a freeze may still run after it: such a lock is ours.
        self._orphans.setdefault(key, {})[token] = time.monotonic()

    def _release_orphan(self, key: str) -> None:
        tokens = self._orphans.get(key, {})
        held = self.client.get(key)
        if held is not None and held.decode("ascii", "replace") in tokens:
            self.client.delete(key)
        now = time.monotonic()
        for token, since in list(tokens.items()):
            if now - since > self.lock_expiry:
                tokens.pop(token, None)
        if not tokens:
            self._orphans.pop(key, None)

    def release_lock(self) -> None:
        """Release the lock if this request still owns it."""
        if not self.locked:
            return
        self.locked = False
        token, self._token = self._token, None
        key = self._lock_key()
        try:
            held = self.client.get(key)
            if held is not None and held.decode("ascii", "replace") == token:
                self.client.delete(key)
        except self.store_errors():
            if token is not None:
                self._remember(key, token)
        finally:
            self.locks.release(self.id)
