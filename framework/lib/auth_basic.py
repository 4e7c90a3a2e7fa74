"""HTTP Basic authentication (RFC 7617): ``tools.auth_basic``, as ``cherrypy.lib.auth_basic``.

Switch it on for a path with a realm and a password check::

    check = framework.lib.auth_basic.checkpassword_dict({"alice": "s3cret"})
    config = {"/admin": {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "admin area",
        "tools.auth_basic.checkpassword": check,    # check(realm, username, password)
    }}

A request without credentials, with another scheme or with a wrong password gets
``401`` and ``WWW-Authenticate: Basic realm="admin area", charset="UTF-8"``; a malformed
``Authorization`` header (bad base64, no colon, undecodable text) gets ``400``. On
success ``request.login`` is the user name. Passwords are compared in constant time by
:func:`checkpassword_dict`, also for unknown users.

Basic authentication sends the password with every request: use it over HTTPS only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import unicodedata
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from framework.context import current
from framework.core.tools import Tool
from framework.errors import HTTPError

if TYPE_CHECKING:
    from framework.core.plan import Plan

__all__ = ["BasicAuthTool", "basic_auth", "checkpassword_dict", "compare_secrets"]

CheckPassword = Callable[[str, str, str], Any]

#: The charset RFC 7617 falls back to (and the one a challenge need not name).
FALLBACK_CHARSET = "ISO-8859-1"
_UNAUTHORIZED = "You are not authorized to access that resource"
# COMPAT: CherryPy's message for malformed Basic credentials.
_MALFORMED = "Bad Request"


def compare_secrets(given: str | bytes, expected: str | bytes) -> bool:
    """Compare two secrets in time that depends only on the length of ``given``."""
    if isinstance(given, str):
        given = given.encode("utf-8")
    if isinstance(expected, str):
        expected = expected.encode("utf-8")
    return hmac.compare_digest(given, expected)


def checkpassword_dict(user_password_dict: Mapping[str, str]) -> CheckPassword:
    """Return a ``checkpassword(realm, username, password)`` reading ``{user: password}``.

    The comparison takes the same time whether the user exists or not, and whatever
    the password, so timing reveals neither.
    """

    def checkpassword(realm: str, username: str, password: str) -> bool:
        expected = user_password_dict.get(username)
        if expected is None:
            compare_secrets(password, password)  # spend the same time as a real check
            return False
        return compare_secrets(password, expected)

    return checkpassword


def challenge(realm: str, accept_charset: str = "utf-8") -> str:
    """The ``WWW-Authenticate`` value for ``realm``.

    Raises:
        ValueError: ``realm`` holds a double quote (it could not be quoted).
    """
    if '"' in realm or "\r" in realm or "\n" in realm:
        raise ValueError('Realm cannot contain the " (quote) character or a line break.')
    charset = accept_charset.upper()
    declaration = f', charset="{charset}"' if charset != FALLBACK_CHARSET else ""
    return f'Basic realm="{realm}"{declaration}'


def _decode(raw: bytes, accept_charset: str) -> str:
    for charset in (accept_charset, FALLBACK_CHARSET):
        try:
            return raw.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    raise ValueError("undecodable credentials")  # pragma: no cover - latin-1 decodes all


def credentials(header: str, accept_charset: str = "utf-8") -> tuple[str, str] | None:
    """``(username, password)`` from a Basic ``Authorization`` value; None for another scheme.

    Raises:
        HTTPError: 400 when the value is not well-formed Basic credentials.
    """
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    token = token.strip()
    try:
        raw = base64.b64decode(token.encode("ascii"), validate=True)
        text = unicodedata.normalize("NFC", _decode(raw, accept_charset))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise HTTPError(400, _MALFORMED) from None
    username, colon, password = text.partition(":")
    if not colon or not token:
        raise HTTPError(400, _MALFORMED)
    return username, password


class _BasicAuth:
    """The check of one path, with its challenge computed once."""

    __slots__ = ("accept_charset", "checkpassword", "header", "realm")

    def __init__(self, realm: str, checkpassword: CheckPassword, accept_charset: str) -> None:
        self.realm = realm
        self.checkpassword = checkpassword
        self.accept_charset = accept_charset
        self.header = challenge(realm, accept_charset)

    def __call__(self) -> None:
        pair = current()
        assert pair is not None
        request, response = pair
        header = request.headers.get("Authorization")
        if header is not None:
            found = credentials(header, self.accept_charset)
            if found is not None and self.checkpassword(self.realm, *found):
                request.login = found[0]
                return
        response.headers["WWW-Authenticate"] = self.header
        raise HTTPError(401, _UNAUTHORIZED)


def basic_auth(
    realm: str, checkpassword: CheckPassword, debug: bool = False, accept_charset: str = "utf-8"
) -> None:
    """Authenticate the current request with HTTP Basic credentials (CherryPy's API).

    Args:
        realm: the protection space named in the challenge.
        checkpassword: ``checkpassword(realm, username, password)``, true when they match.
        debug: accepted for CherryPy compatibility.
        accept_charset: how credentials are decoded (ISO-8859-1 is the fallback).

    Raises:
        HTTPError: 401 with a challenge, or 400 for a malformed header.
    """
    _BasicAuth(realm, checkpassword, accept_charset)()


class BasicAuthTool(Tool):
    """``tools.auth_basic``: the challenge and the realm check are prepared per path."""

    def __init__(self) -> None:
        super().__init__("before_handler", basic_auth, priority=1)

    def setup_plan(self, plan: Plan, conf: dict[str, Any]) -> None:
        """Attach the check; a missing realm or check is a config error (500).

        Raises:
            TypeError: ``realm`` or ``checkpassword`` is not configured.
        """
        priority = self.priority_for(conf)
        try:
            check = _BasicAuth(
                conf["realm"], conf["checkpassword"], conf.get("accept_charset", "utf-8")
            )
        except KeyError as missing:
            raise TypeError(f"tools.auth_basic needs {missing.args[0]!r} in config") from None
        plan.hooks.attach(self._point, check, priority=priority)
