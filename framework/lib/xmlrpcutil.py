"""XML-RPC: a controller whose exposed methods are remote procedures (``cherrypy.lib.xmlrpcutil``).

Subclass :class:`XMLRPCController` (``cherrypy._cptools.XMLRPCController`` under the
compat layer) and mount it; its exposed methods answer XML-RPC calls made to its URL::

    class Api(framework.lib.xmlrpcutil.XMLRPCController):
        @framework.expose
        def add(self, a, b):
            return a + b

    root.api = Api()
    # xmlrpc.client.ServerProxy("http://host/api/").add(1, 2) == 3

The URL picks the controller, the method name in the body picks the method (dots walk
down: ``math.add`` calls ``api.math.add``), the body's values are its arguments. Every
answer is ``200 OK`` with ``text/xml``, as the XML-RPC spec asks: a result, or a
``<fault>`` for an unknown method, a ``Fault`` the method raised or returned, an
``HTTPError`` it raised (code and message), and any other exception (its message in
development; "Internal error" when ``request.show_tracebacks`` is off, so production
never leaks exception text). ``tools.xmlrpc.encoding`` and ``tools.xmlrpc.allow_none``
set how results are written. ``cherrypy.dispatch.XMLRPCDispatcher`` strips a leading
``/RPC2`` from the URL (:func:`patched_path`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from framework.context import current
from framework.dispatch import patched_path
from framework.errors import HTTPError
from framework.helpers import expose

if TYPE_CHECKING:
    from xmlrpc.client import Fault

# xmlrpc.client (with http.client, decimal and expat) loads on the first call:
# `import framework` stays light for the many apps that never speak XML-RPC.

__all__ = [
    "XMLRPCController",
    "on_error",
    "patched_path",
    "process_body",
    "respond",
]

_INTERNAL = "Internal error"


def process_body() -> tuple[tuple[Any, ...], str]:
    """``(params, method)`` of the XML-RPC call in the request body.

    A body that is not an XML-RPC call gives ``(("ERROR PARAMS",), "ERRORMETHOD")``, as
    CherryPy's does, so the call fails with a fault naming no real method.
    """
    from xmlrpc.client import loads

    pair = current()
    assert pair is not None
    try:
        params, method = loads(pair[0].body.read())
    except Exception:
        return ("ERROR PARAMS",), "ERRORMETHOD"
    return params, str(method)


def _set_response(body: str) -> None:
    pair = current()
    assert pair is not None
    response = pair[1]
    data = body.encode("utf-8")
    response.status = "200 OK"
    response.body = data
    response.headers["Content-Type"] = "text/xml"
    response.headers["Content-Length"] = str(len(data))


def respond(body: Any, encoding: str = "utf-8", allow_none: int | bool = 0) -> None:
    """Make ``body`` (a result or a :class:`~xmlrpc.client.Fault`) the XML-RPC answer."""
    from xmlrpc.client import Fault, dumps

    values = body if isinstance(body, Fault) else (body,)
    _set_response(
        dumps(values, methodresponse=True, encoding=encoding, allow_none=bool(allow_none))
    )


def on_error(*args: Any, **kwargs: Any) -> None:
    """The ``tools.xmlrpc`` error response: the exception being handled, as a fault."""
    from xmlrpc.client import dumps

    exc = sys.exc_info()[1]
    pair = current()
    shown = pair is not None and pair[0].show_tracebacks
    _set_response(dumps(_fault(exc, shown), methodresponse=True))


def _fault(exc: BaseException | None, shown: bool) -> Fault:
    from xmlrpc.client import Fault

    if isinstance(exc, Fault):
        return exc
    if isinstance(exc, HTTPError):
        return Fault(exc.code, exc._message)
    return Fault(1, str(exc) if shown else _INTERNAL)


class XMLRPCController:
    """A controller whose exposed methods are called by XML-RPC (see the module docs)."""

    # The tools namespace is fixed here, as in CherryPy: errors become faults.
    _cp_config = {"tools.xmlrpc.on": True}

    @expose
    def default(self, *vpath: Any, **params: Any) -> Any:
        """Read the call from the body, run the method it names, answer with its result."""
        from xmlrpc.client import Fault

        rpcparams, rpcmethod = process_body()
        subhandler: Any = self
        for attr in rpcmethod.split("."):
            subhandler = getattr(subhandler, attr, None) if not attr.startswith("_") else None
        if not (subhandler is not None and getattr(subhandler, "exposed", False)):
            # COMPAT: CherryPy's message; an unknown method is a fault, not a 404.
            raise Fault(1, f'method "{attr}" is not supported')
        try:
            body = subhandler(*(vpath + rpcparams), **params)
        except HTTPError as error:
            body = Fault(error.code, error._message)
        pair = current()
        assert pair is not None
        conf = pair[0].toolmaps.get("tools", {}).get("xmlrpc", {})
        respond(body, conf.get("encoding", "utf-8"), conf.get("allow_none", 0))
        return pair[1].body
