"""``RedisSession``: sessions in Redis, shared by every process on every host.

Needs the ``redis`` extra (``pip install "cherrycli[redis]"``). Settings
(``tools.sessions.*``): ``url`` (``redis://[:password@]host:port/db``) or ``host``,
``port``, ``db``, ``password``; ``socket_timeout`` and ``socket_connect_timeout``
(seconds, default 3: a frozen server costs a request at most this, then a 503);
``max_connections`` per process; ``prefix`` for the keys (default ``session:``);
``lock_expiry``, the seconds after which a lock left by a crashed process frees itself.

Each session is one key holding a pickle of ``(data, expires)`` with a matching TTL,
so Redis itself drops expired sessions. Locking spans processes and hosts:

1. threads of one process queue on a thread lock per id (no polling among them);
2. the process then takes ``<prefix>lock:<id>`` with ``SET NX PX lock_expiry`` and a
   random token, retrying with a short back-off until ``lock_timeout``;
3. the save is a script that writes the data only while the token still owns the lock,
   so even a request that outlived ``lock_expiry`` can never overwrite a newer save
   (it gets a 503 instead); the release deletes the lock only if the token matches.

If Redis freezes while a lock request is in flight, the command may still run once
Redis resumes; the process remembers such tokens and removes those locks as soon as it
can talk to Redis again, so service resumes without waiting for ``lock_expiry``.
"""

from __future__ import annotations

import datetime
import pickle
import secrets
import threading
import time
from typing import Any, ClassVar

from framework.lib.sessions.base import LockTable, LockTimeout, Session, StoreUnavailable

__all__ = ["RedisSession"]

_SAVE_IF_OWNER = """
if redis.call('get', KEYS[2]) == ARGV[1] then
    redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
    return 1
end
return 0
"""

_RELEASE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:
        raise ImportError(
            "RedisSession needs the redis package: pip install 'cherrycli[redis]'"
        ) from None
    return redis


class RedisSession(Session):
    """Sessions in Redis (``storage_type = "redis"``)."""

    url: str | None = None
    host = "localhost"
    port = 6379
    db = 0
    password: str | None = None
    socket_timeout: float = 3.0
    socket_connect_timeout: float | None = None
    max_connections: int | None = None
    prefix = "session:"
    lock_expiry: float = 30

    locks: ClassVar[LockTable] = LockTable()
    _clients: ClassVar[dict[tuple[Any, ...], Any]] = {}
    _clients_lock: ClassVar[threading.Lock] = threading.Lock()
    #: Lock tokens whose acquisition or release failed mid-flight: key -> token -> when.
    _orphans: ClassVar[dict[str, dict[str, float]]] = {}

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:
        self._token: str | None = None
        self._client: Any = None
        super().__init__(id, **kwargs)

    # -- the connection ---------------------------------------------------------------------
    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        """Check that redis-py is installed (the pool is made on first use).

        Raises:
            ImportError: naming the extra to install.
        """
        _import_redis()

    def _settings(self) -> tuple[Any, ...]:
        return (
            self.url,
            self.host,
            self.port,
            self.db,
            self.password,
            self.socket_timeout,
            self.socket_connect_timeout,
            self.max_connections,
        )

    @property
    def client(self) -> Any:
        """The ``redis.Redis`` client for this session's settings (one pool per process)."""
        if self._client is not None:
            return self._client
        key = self._settings()
        client = self._clients.get(key)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = self._connect()
        self._client = client
        return client

    def _connect(self) -> Any:
        redis = _import_redis()
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options: dict[str, Any] = {
            "socket_timeout": self.socket_timeout,
            "socket_connect_timeout": self.socket_connect_timeout or self.socket_timeout,
            # One attempt: a retry would multiply the time a frozen server costs.
            "retry": Retry(NoBackoff(), 0),
        }
        if self.max_connections is not None:
            options["max_connections"] = self.max_connections
        if self.url:
            pool = redis.ConnectionPool.from_url(self.url, **options)
        else:
            pool = redis.ConnectionPool(
                host=self.host, port=self.port, db=self.db, password=self.password, **options
            )
        client = redis.Redis(connection_pool=pool)
        client.save_if_owner = client.register_script(_SAVE_IF_OWNER)
        client.release_if_owner = client.register_script(_RELEASE_IF_OWNER)
        return client

    def store_errors(self) -> tuple[type[BaseException], ...]:
        """Redis errors and socket errors are store failures (503)."""
        redis = _import_redis()
        return (redis.RedisError, OSError)

    # -- storage ------------------------------------------------------------------------------
    def _key(self) -> str:
        if not self.valid_id(self.id):
            raise ValueError("invalid session id")
        return self.prefix + self.id

    def _lock_key(self) -> str:
        return self.prefix + "lock:" + self.id

    def _exists(self) -> bool:
        return bool(self.client.exists(self._key()))

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        raw = self.client.get(self._key())
        if raw is None:
            return None
        stored: tuple[dict[Any, Any], datetime.datetime] = pickle.loads(raw)
        return stored

    def _save(self, expiration_time: datetime.datetime) -> None:
        payload = pickle.dumps((self._data, expiration_time), pickle.HIGHEST_PROTOCOL)
        ttl = max(int((expiration_time - self.now()).total_seconds() * 1000), 1)
        if self._token is None:
            self.client.set(self._key(), payload, px=ttl)
            return
        saved = self.client.save_if_owner(
            keys=[self._key(), self._lock_key()], args=[self._token, payload, ttl]
        )
        if not saved:
            raise StoreUnavailable(
                f"RedisSession lock on {self.id[:8]}... expired before the save "
                f"(the request took over lock_expiry={self.lock_expiry}s)"
            )

    def _delete(self) -> None:
        self.client.delete(self._key())

    # -- locking ------------------------------------------------------------------------------
    def acquire_lock(self) -> None:
        """Lock this session across threads, processes and hosts.

        Raises:
            LockTimeout: 503 after ``lock_timeout`` seconds.
            StoreUnavailable: 503 when Redis fails or does not answer in time.
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
        expiry = int(self.lock_expiry * 1000)
        pause = 0.001
        self._release_orphans()
        tried_orphans = False
        while True:
            try:
                taken = self.client.set(key, token, nx=True, px=expiry)
            except self.store_errors():
                self._remember(key, token)
                raise
            if taken:
                return token
            if not tried_orphans and key in self._orphans:
                tried_orphans = True
                self._release_orphans(key)
                continue
            if deadline is not None and time.monotonic() >= deadline:
                raise LockTimeout(self.id, self.lock_timeout)
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _remember(self, key: str, token: str) -> None:
        self._orphans.setdefault(key, {})[token] = time.monotonic()

    def _release_orphans(self, only: str | None = None) -> None:
        """Delete locks this process may hold without knowing; forget expired ones."""
        if not self._orphans:
            return
        now = time.monotonic()
        for key in [only] if only else list(self._orphans):
            tokens = self._orphans.get(key, {})
            for token, since in list(tokens.items()):
                self.client.release_if_owner(keys=[key], args=[token])
                # A command sent before a freeze may still run after it: keep trying
                # until the lock would have expired anyway.
                if now - since > self.lock_expiry:
                    tokens.pop(token, None)
            if not tokens:
                self._orphans.pop(key, None)

    def release_lock(self) -> None:
        """Release the lock (remembering its token if Redis cannot be reached now)."""
        if not self.locked:
            return
        self.locked = False
        token, self._token = self._token, None
        key = self._lock_key()
        try:
            if token is not None:
                self.client.release_if_owner(keys=[key], args=[token])
        except self.store_errors():
            if token is not None:
                self._remember(key, token)
        finally:
            self.locks.release(self.id)
