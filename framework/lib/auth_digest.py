"""HTTP Digest authentication (RFC 7616): ``tools.auth_digest``, as ``cherrypy.lib.auth_digest``.

Switch it on with a realm, a way to find a user's HA1 and a secret key::

    get_ha1 = framework.lib.auth_digest.get_ha1_dict_plain({"alice": "s3cret"})
    config = {"/admin": {
        "tools.auth_digest.on": True,
        "tools.auth_digest.realm": "admin area",
        "tools.auth_digest.get_ha1": get_ha1,       # get_ha1(realm, username) -> HA1
        "tools.auth_digest.key": "a long random secret",
        "tools.auth_digest.algorithm": "SHA-256",   # default "MD5"; or a list, preferred first
    }}

How a request is judged:

- no ``Authorization`` header, or another scheme: ``401`` with the challenge
  (``WWW-Authenticate: Digest realm=..., nonce=..., algorithm=..., qop="auth"``; one
  challenge per configured algorithm, preferred first);
- a header that is not well-formed Digest credentials (missing parameters, ``qop``
  other than ``auth``, an unknown algorithm, a ``uri`` that is not this request's
  path): ``400``;
- a nonce this server did not sign, an unknown user, a wrong response digest, an
  algorithm not offered: ``401``;
- a correct digest on a nonce older than ten minutes: ``401`` with ``stale="true"`` (the
  client retries with the new nonce without asking the user);
- a nonce count (``nc``) not greater than the last one accepted for that nonce (a
  replayed request): ``401``.

Nonces are ``timestamp:salt:HMAC-SHA256(key, timestamp:salt:realm)`` with a random salt,
so they need no server-side storage to be validated; the nonce counts seen are kept in
memory, per process, for the nonce lifetime. On success ``request.login`` is the user
name. Digests and nonces are compared in constant time.

``get_ha1`` returns ``H(username:realm:password)`` in the algorithm's hash (MD5 by
CherryPy's convention); for SHA-256 it is called as ``get_ha1(realm, username,
algorithm="SHA-256")``, which the three helpers here accept.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from framework.context import current
from framework.core.tools import Tool
from framework.errors import HTTPError
from framework.lib.digest import (
    DEFAULT_CHARSET,
    FALLBACK_CHARSET,
    TRACE,
    H,
    HttpDigestAuthorization,
    hex_digest,
    md5_hex,
    nonce_counts,
    qop_auth,
    qop_auth_int,
    synthesize_nonce,
    valid_algorithms,
    valid_qops,
    www_authenticate,
)

if TYPE_CHECKING:
    from framework.core.plan import Plan
    from framework.core.request import Request

__all__ = [
    "DEFAULT_CHARSET",
    "FALLBACK_CHARSET",
    "TRACE",
    "DigestAuthTool",
    "H",
    "HttpDigestAuthorization",
    "digest_auth",
    "get_ha1_dict",
    "get_ha1_dict_plain",
    "get_ha1_file_htdigest",
    "md5_hex",
    "qop_auth",
    "qop_auth_int",
    "synthesize_nonce",
    "valid_algorithms",
    "valid_qops",
    "www_authenticate",
]
_UNAUTHORIZED = "You are not authorized to access that resource"
_MALFORMED = "The Authorization header could not be parsed."


# -- credential stores --------------------------------------------------------------------

GetHA1 = Callable[..., str | None]


def get_ha1_dict_plain(user_password_dict: Mapping[str, str]) -> GetHA1:
    """Return a ``get_ha1`` for a ``{username: password}`` dict (any algorithm)."""

    def get_ha1(realm: str, username: str, algorithm: str = "MD5") -> str | None:
        password = user_password_dict.get(username)
        if not password:
            return None
        return hex_digest(algorithm, f"{username}:{realm}:{password}")

    return get_ha1


def get_ha1_dict(user_ha1_dict: Mapping[str, str], algorithm: str = "MD5") -> GetHA1:
    """Return a ``get_ha1`` for a ``{username: HA1}`` dict of ``algorithm`` hashes."""
    stored = algorithm.removesuffix("-sess")

    def get_ha1(realm: str, username: str, algorithm: str = "MD5") -> str | None:
        if algorithm.removesuffix("-sess") != stored:
            return None
        return user_ha1_dict.get(username)

    return get_ha1


def get_ha1_file_htdigest(filename: str) -> GetHA1:
    """Return a ``get_ha1`` reading an Apache ``htdigest`` file (``user:realm:HA1`` lines).

    The file is read on each call, so edits take effect at once. htdigest files hold
    MD5 hashes only: other algorithms find nobody.
    """

    def get_ha1(realm: str, username: str, algorithm: str = "MD5") -> str | None:
        if algorithm.removesuffix("-sess") != "MD5":
            return None
        with open(filename, encoding="utf-8") as lines:
            for line in lines:
                user, _, rest = line.rstrip("\n").partition(":")
                line_realm, _, ha1 = rest.partition(":")
                if user == username and line_realm == realm:
                    return ha1
        return None

    return get_ha1


# -- the tool -----------------------------------------------------------------------------


class _DigestAuth:
    """The check of one path: its realm, key, algorithms and charset, prepared once."""

    def __init__(
        self,
        realm: str,
        get_ha1: GetHA1,
        key: str,
        algorithm: str | Iterable[str] = "MD5",
        accept_charset: str = "utf-8",
        debug: bool = False,
    ) -> None:
        if '"' in realm or "\n" in realm or "\r" in realm:
            raise ValueError('Realm cannot contain the " (quote) character or a line break.')
        if not key:
            raise ValueError("tools.auth_digest.key must be a non-empty secret.")
        self.algorithms = (algorithm,) if isinstance(algorithm, str) else tuple(algorithm)
        for name in self.algorithms:
            if name not in valid_algorithms:
                known = ", ".join(valid_algorithms)
                raise ValueError(f"Unsupported digest algorithm {name!r}; use one of {known}.")
        self.realm = realm
        self.get_ha1 = get_ha1
        self.key = key
        self.accept_charset = accept_charset
        self.debug = debug

    def challenges(self, stale: bool = False) -> str:
        """Every configured algorithm's challenge, preferred first, on one fresh nonce."""
        nonce = synthesize_nonce(self.realm, self.key)
        return ", ".join(
            www_authenticate(
                self.realm, self.key, name, nonce, qop_auth, stale, self.accept_charset
            )
            for name in self.algorithms
        )

    def refuse(self, stale: bool = False) -> HTTPError:
        """Set the challenge and return the 401 to raise."""
        pair = current()
        assert pair is not None
        header = self.challenges(stale)
        if self.debug:
            TRACE(header)
        pair[1].headers["WWW-Authenticate"] = header
        return HTTPError(401, _UNAUTHORIZED)

    def __call__(self) -> None:
        pair = current()
        assert pair is not None
        request = pair[0]
        header = request.headers.get("Authorization") or ""
        if not HttpDigestAuthorization.matches(header):
            raise self.refuse()
        auth = self.parse(header, request)
        if auth.algorithm not in self.algorithms or not auth.validate_nonce(self.realm, self.key):
            raise self.refuse()
        ha1 = self.ha1(auth)
        if ha1 is None or not hmac.compare_digest(
            auth.request_digest(ha1).encode(), (auth.response or "").encode("utf-8", "replace")
        ):
            raise self.refuse()
        if auth.is_nonce_stale():
            raise self.refuse(stale=True)
        assert auth.nonce is not None and auth.nc is not None
        if not nonce_counts.advance(auth.nonce, int(auth.nc, 16), time.time()):
            if self.debug:
                TRACE(f"replayed nonce count {auth.nc} for {auth.username!r}")
            raise self.refuse()
        request.login = auth.username
        if self.debug:
            TRACE(f"authentication of {auth.username} successful")

    def parse(self, header: str, request: Request) -> HttpDigestAuthorization:
        """The credentials, checked for what the challenge asked (``qop``, ``uri``).

        Raises:
            HTTPError: 400 when they are malformed or answer another request.
        """
        try:
            auth = HttpDigestAuthorization(header, request.method, self.debug, self.accept_charset)
            if auth.qop != qop_auth:
                raise ValueError(f"qop must be {qop_auth!r}")
            assert auth.nc is not None
            int(auth.nc, 16)
        except ValueError:
            raise HTTPError(400, _MALFORMED) from None
        assert auth.uri is not None
        if unquote(urlsplit(auth.uri).path) != request.script_name + request.path_info:
            raise HTTPError(400, "The Authorization header's uri is not this request's path.")
        return auth

    def ha1(self, auth: HttpDigestAuthorization) -> str | None:
        base = auth.algorithm.removesuffix("-sess")
        if base == "MD5":  # COMPAT: CherryPy's get_ha1(realm, username) takes no algorithm
            return self.get_ha1(self.realm, auth.username)
        return self.get_ha1(self.realm, auth.username, algorithm=base)


def digest_auth(
    realm: str,
    get_ha1: GetHA1,
    key: str,
    debug: bool = False,
    accept_charset: str = "utf-8",
    algorithm: str | Iterable[str] = "MD5",
) -> None:
    """Authenticate the current request with HTTP Digest credentials (CherryPy's API).

    Args:
        realm: the protection space named in the challenge.
        get_ha1: ``get_ha1(realm, username)`` returns the user's HA1 or None.
        key: the secret that signs nonces.
        debug: log each step to the error log.
        accept_charset: how the header's text is decoded.
        algorithm: "MD5", "SHA-256" (or a "-sess" variant), or several, preferred first.

    Raises:
        HTTPError: 401 with a challenge, or 400 for malformed credentials.
    """
    _DigestAuth(realm, get_ha1, key, algorithm, accept_charset, debug)()


class DigestAuthTool(Tool):
    """``tools.auth_digest``: realm, key and algorithms are checked once per path."""

    def __init__(self) -> None:
        super().__init__("before_handler", digest_auth, priority=1)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the check (a bad realm, key or algorithm is a config error).

        Raises:
            TypeError: ``realm``, ``get_ha1`` or ``key`` is not configured.
        """
        priority = self.priority_for(conf)
        try:
            check = _DigestAuth(conf.pop("realm"), conf.pop("get_ha1"), conf.pop("key"), **conf)
        except KeyError as missing:
            raise TypeError(f"tools.auth_digest needs {missing.args[0]!r} in config") from None
        plan.hooks.attach(self._point, check, priority=priority)
