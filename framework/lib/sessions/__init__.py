"""Sessions: per-user data kept between requests (``tools.sessions``, ``framework.session``).

Switch the tool on and use ``framework.session`` like a dict::

    class Root:
        _cp_config = {"tools.sessions.on": True}

        @framework.expose
        def index(self):
            count = framework.session.get("count", 0) + 1
            framework.session["count"] = count
            return f"Visit number {count}"

The package holds one module per concern: :mod:`.base` (the :class:`Session` class,
ids and security rules), one module per store (:mod:`.ram`, :mod:`.file`,
:mod:`.memcached`, :mod:`.redis`), and :mod:`.tool` (the hooks and the cookie).
CherryPy's names (``cherrypy.lib.sessions.RamSession``, ``init``, ``save``, ``close``,
``expire``...) are all here. The network stores import their client library only
when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framework.lib.sessions.base import ID_PATTERN, LockTimeout, Session, StoreUnavailable
from framework.lib.sessions.file import FileSession
from framework.lib.sessions.ram import RamSession
from framework.lib.sessions.tool import (
    SessionTool,
    close,
    current,
    expire,
    init,
    save,
    set_response_cookie,
    store_class,
)

if TYPE_CHECKING:
    from framework.lib.sessions.memcached import MemcachedSession
    from framework.lib.sessions.redis import RedisSession

__all__ = [
    "ID_PATTERN",
    "FileSession",
    "LockTimeout",
    "MemcachedSession",
    "RamSession",
    "RedisSession",
    "Session",
    "SessionTool",
    "StoreUnavailable",
    "close",
    "current",
    "expire",
    "init",
    "save",
    "set_response_cookie",
    "store_class",
]


def __getattr__(name: str) -> Any:
    # The network stores load on first use (their modules are light; their client
    # libraries load later still, on the first session).
    if name == "MemcachedSession":
        from framework.lib.sessions.memcached import MemcachedSession

        return MemcachedSession
    if name == "RedisSession":
        from framework.lib.sessions.redis import RedisSession

        return RedisSession
    raise AttributeError(f"module 'framework.lib.sessions' has no attribute {name!r}")
