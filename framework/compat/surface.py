"""CherryPy's public surface, as Cherry provides it: what is missing or different, and why.

This module is the data behind the compatibility table (``docs/compat.md``, generated
by :mod:`framework.compat.table`) and behind ``cherry check`` / ``cherry serve --compat``
(:mod:`framework.compat.usage`). Every public name of CherryPy 18's ``cherrypy``,
``cherrypy.lib.*``, ``cherrypy.dispatch``, ``cherrypy.process.*`` and every tool of
``cherrypy.tools`` works under :mod:`framework.compat`, except the names listed here:

- :data:`NOT_PROVIDED`: names the compat layer does not provide, each with the reason
  (and what to use instead);
- :data:`DIFFERENT`: names that work but behave differently from CherryPy 18, each with
  what differs and why.

Names are written as they are imported: ``cherrypy.lib.covercp`` (a whole module),
``cherrypy.lib.httputil.SanitizedHost``, ``cherrypy.tools.proxy`` (a tool). Config keys
map onto these names (``tools.proxy.on`` is ``cherrypy.tools.proxy``); keys that do not
name a tool are in :data:`CONFIG`.

To change what the table says, edit the dicts here and regenerate the document
(``python -m framework.compat.table``); a test fails when the document, these dicts
and the installed CherryPy disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONFIG", "DIFFERENT", "NOT_PROVIDED", "Entry", "config_entry", "lookup"]

#: ``"not provided"``: the compat layer lacks the name.
NOT_PROVIDED_STATUS = "not provided"
#: ``"different"``: the name works, with a documented difference.
DIFFERENT_STATUS = "different"
#: ``"works"``: the name works as in CherryPy 18.
WORKS_STATUS = "works"

#: CherryPy names the compat layer does not provide -> why (and what to use instead).
NOT_PROVIDED: dict[str, str] = {
    # -- out of scope: platform-specific or superseded -----------------------------------
    "cherrypy.process.win32": (
        "Windows service helpers (pywin32): run Cherry under a service manager "
        "(systemd, NSSM) or `cherry serve --workers` instead"
    ),
    "cherrypy.process.servers.FlupCGIServer": (
        "the flup servers (CGI/FastCGI/SCGI) are unmaintained: serve over HTTP "
        "(cheroot, gunicorn) behind the front-end server"
    ),
    "cherrypy.process.servers.FlupFCGIServer": "the flup servers are unmaintained: serve over HTTP",
    "cherrypy.process.servers.FlupSCGIServer": "the flup servers are unmaintained: serve over HTTP",
    "cherrypy.lib.covercp": (
        "CherryPy's coverage browser for its own test runs: `cherry test` reports "
        "coverage per handler"
    ),
    "cherrypy.lib.gctools": (
        "CherryPy's leak hunter for its own test suite (needs objgraph): use tracemalloc "
        "or objgraph directly"
    ),
    # -- CherryPy internals that have no role here ----------------------------------------
    "cherrypy.dispatch.classtype": "a Python 2 shim (it is `type`)",
    "cherrypy.dispatch.getargspec": "a Python 2 shim: use inspect.signature",
    "cherrypy.lib.httputil.header_translate_table": (
        "an internal of CherryPy's HeaderMap: Cherry's HeaderMap validates header text itself"
    ),
    "cherrypy.lib.httputil.header_translate_deletechars": (
        "an internal of CherryPy's HeaderMap: Cherry's HeaderMap validates header text itself"
    ),
    "cherrypy.process.wspbus.max_files": (
        "an internal of CherryPy's re-exec: not needed, Python 3 does not pass "
        "descriptors across exec (PEP 446)"
    ),
    "cherrypy.lib.caching.AntiStampedeCache": (
        "an internal of CherryPy's MemoryCache: Cherry's MemoryCache runs the handler "
        "once for concurrent misses itself (tools.caching.antistampede_timeout)"
    ),
    "cherrypy.lib.sessions.missing": "a private sentinel of CherryPy's session code",
    "cherrypy.lib.reprconf.Config": (
        "the class behind CherryPy's global config: use cherrypy.config (framework.config)"
    ),
    "cherrypy.lib.reprconf.NamespaceSet": (
        "CherryPy's namespace registry: config.namespaces, app.namespaces and "
        "app.request_class.namespaces are plain dicts of handlers"
    ),
    "cherrypy.lib.encoding.ResponseEncoder": (
        "the class behind CherryPy's encode tool: use tools.encode (or "
        "cherrypy.lib.encoding.encode)"
    ),
    "cherrypy.lib.encoding.UTF8StreamEncoder": "an internal of CherryPy's encode tool",
    "cherrypy.lib.encoding.prepare_iter": "an internal of CherryPy's encode tool",
}

#: CherryPy names that work differently -> what differs, and why.
DIFFERENT: dict[str, str] = {
    "cherrypy.tools.session_auth": (
        "without check_username_and_password every login is refused (CherryPy accepts "
        "any); the session id is regenerated at login and logout; form values are "
        "escaped; from_page cannot redirect off the site"
    ),
    "cherrypy.lib.cptools.SessionAuth": "as tools.session_auth",
    "cherrypy.lib.profiler": (
        "cProfile instead of profile; report() serves only the profile files of its "
        "directory; the default directory is in the system's temporary directory"
    ),
    "cherrypy.lib.locking.LockTimeout": (
        "the session lock timeout (a 503 HTTPError) rather than a plain Exception"
    ),
    "cherrypy.dispatch.MethodDispatcher": (
        "OPTIONS is answered (200, Allow) when the resource has no OPTIONS method, where "
        "CherryPy answers 405; a verb the resource lacks is a 405 before the body is read"
    ),
    "cherrypy.tools.xmlrpc": (
        "an HTTPError raised by a method is a fault with its code and message; with "
        "request.show_tracebacks off (production) an unexpected exception is the fault "
        "'Internal error' instead of its message"
    ),
    "cherrypy.lib.cpstats": (
        "also counts per application and per URI (requests, 4xx, 5xx, bytes, times); "
        "the page escapes every value; the tool is in the default toolbox"
    ),
    "cherrypy.tools.proxy": (
        "forwarded headers are believed only from trusted peers (tools.proxy.trusted, "
        "default: this host); RFC 7239 Forwarded is read too; request.scheme follows "
        "the forwarded scheme; trusted = '*' is CherryPy's behaviour"
    ),
    "cherrypy.lib.cptools.proxy": "as tools.proxy",
    "cherrypy.tools.auth_digest": (
        "RFC 7616: SHA-256 as well as MD5 (tools.auth_digest.algorithm), qop=auth "
        "required (no RFC 2069 mode, no auth-int), replayed nonce counts refused, the "
        "uri parameter must be the request's path (400 otherwise)"
    ),
    "cherrypy.lib.auth_digest.synthesize_nonce": (
        "nonces are timestamp:salt:HMAC-SHA256, not timestamp:MD5; any nonce from "
        "CherryPy's function would not validate"
    ),
    "cherrypy.checker": (
        "also reports unknown keys in known namespaces, unknown tool arguments and "
        "relative static paths; an application mounted without config is not a warning"
    ),
    "cherrypy.HTTPRedirect": (
        "a target on another host than the request's answers 400 unless "
        "request.allowed_hosts names that host (open redirects); //host, backslash, "
        "userinfo and javascript: targets are read as a browser reads them"
    ),
    "cherrypy.url": (
        "a server-relative or page-relative result never starts with // (a browser would "
        "read another host)"
    ),
    "cherrypy.NotFound": (
        "where tracebacks are hidden (production), the page says 'Nothing matches the given "
        "URI' instead of showing the path back"
    ),
    "cherrypy.lib.encoding.decompress": (
        "inflates at most max_size bytes (64 MB by default; a gzip bomb is a ValueError)"
    ),
}

#: Config keys (or key prefixes ending in ``.``) that do not name a tool -> status, reason.
CONFIG: dict[str, tuple[str, str]] = {
    "request.body.bufsize": (NOT_PROVIDED_STATUS, "the body reader sizes its own reads"),
    "request.body.part_class": (
        NOT_PROVIDED_STATUS,
        "multipart parts are parsed by the `multipart` library",
    ),
    "server.wsgi_version": (NOT_PROVIDED_STATUS, "Cherry speaks WSGI 1.0 only (PEP 3333)"),
    "server.max_request_header_size": (
        DIFFERENT_STATUS,
        "64 KB by default (CherryPy: 500 KB); past it the answer is 431, not 413",
    ),
    "server.accepted_queue_size": (
        DIFFERENT_STATUS,
        "100 by default (CherryPy: no bound): past it a new request gets a quick 503",
    ),
    "server.accepted_queue_timeout": (
        DIFFERENT_STATUS,
        "0 by default (CherryPy: 10 s, during which its acceptor blocks)",
    ),
}


@dataclass(frozen=True)
class Entry:
    """What the compat table says about one CherryPy name or config key.

    Attributes:
        name: the name as imported (``cherrypy.lib.covercp``) or the config key.
        status: ``"works"``, ``"different"`` or ``"not provided"``.
        reason: why it is not provided, or what differs ("" when it works).
    """

    name: str
    status: str
    reason: str = ""

    @property
    def works(self) -> bool:
        """True unless the name is not provided."""
        return self.status != NOT_PROVIDED_STATUS


def lookup(name: str) -> Entry:
    """What the table says about ``name`` (``cherrypy.x.y``), or about its module.

    A name inside a module that is not provided (``cherrypy.lib.covercp.serve``) is not
    provided for the module's reason. A name the table does not list works.
    """
    for table, status in ((NOT_PROVIDED, NOT_PROVIDED_STATUS), (DIFFERENT, DIFFERENT_STATUS)):
        candidate = name
        while candidate:
            if candidate in table:
                return Entry(name, status, table[candidate])
            candidate = candidate.rpartition(".")[0]
            if status == DIFFERENT_STATUS:
                break  # a difference of a module is not a difference of each name in it
    return Entry(name, WORKS_STATUS)


def config_entry(key: str) -> Entry:
    """What the table says about config key ``key`` (``tools.proxy.on``, ``server.x``)."""
    namespace, _, rest = key.partition(".")
    if namespace == "tools" and rest:
        entry = lookup("cherrypy.tools." + rest.partition(".")[0])
        return Entry(key, entry.status, entry.reason)
    candidate = key
    while candidate:
        found = CONFIG.get(candidate) or CONFIG.get(candidate + ".")
        if found is not None:
            return Entry(key, found[0], found[1])
        candidate = candidate.rpartition(".")[0]
    return Entry(key, WORKS_STATUS)
