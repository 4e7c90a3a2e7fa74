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
``expire``...) are all here. The stores load with the first session, and the network
stores import their client library only then.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    from framework.lib.sessions.base import ID_PATTERN, LockTimeout, Session, StoreUnavailable
    from framework.lib.sessions.file import FileSession
    from framework.lib.sessions.memcached import MemcachedSession
    from framework.lib.sessions.ram import RamSession
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

#: Names loaded on first use, so ``import framework`` (which registers the tool) stays
#: cheap: the stores load with the first session.
_LAZY = {
    "ID_PATTERN": "base",
    "LockTimeout": "base",
    "Session": "base",
    "StoreUnavailable": "base",
    "FileSession": "file",
    "RamSession": "ram",
    "MemcachedSession": "memcached",
    "RedisSession": "redis",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'framework.lib.sessions' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"framework.lib.sessions.{module}"), name)
    globals()[name] = value
    return value
