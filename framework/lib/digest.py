"""The HTTP Digest protocol (RFC 7616): hashes, nonces, the Authorization header, challenges.

The parts of :mod:`framework.lib.auth_digest` that do not depend on a request: making
and validating nonces (``timestamp:salt:HMAC-SHA256(key, timestamp:salt:realm)``, so no
storage is needed to validate one), remembering the nonce counts already accepted (replays are
refused), parsing a Digest ``Authorization`` header and computing the digest it should
carry, and writing a ``WWW-Authenticate`` challenge. MD5 and SHA-256 are supported,
with their ``-sess`` variants.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from framework._globals import log as site_log

__all__ = [
    "DEFAULT_CHARSET",
    "FALLBACK_CHARSET",
    "NONCE_LIFETIME",
    "TRACE",
    "H",
    "HttpDigestAuthorization",
    "hex_digest",
    "md5_hex",
    "nonce_counts",
    "qop_auth",
    "qop_auth_int",
    "synthesize_nonce",
    "valid_algorithms",
    "valid_qops",
    "www_authenticate",
]

qop_auth = "auth"
qop_auth_int = "auth-int"
#: The qop values the header parser accepts; the tool only offers and accepts "auth".
valid_qops = (qop_auth, qop_auth_int)

_HASHES: dict[str, Callable[[bytes], Any]] = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
#: The algorithms understood (RFC 7616 section 3.2; "-sess" variants included).
valid_algorithms = ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess")

# Algorithm names are case-insensitive; RFC 7616 spells them like this.
_ALGORITHM_SPELLING = {name.upper(): name for name in valid_algorithms}

FALLBACK_CHARSET = "ISO-8859-1"
DEFAULT_CHARSET = "UTF-8"
#: How long a nonce is fresh, in seconds (then a correct answer gets ``stale="true"``).
NONCE_LIFETIME = 600


def TRACE(msg: str) -> None:
    """Write a debug line about digest authentication to the error log."""
    site_log.error(msg, "TOOLS.AUTH_DIGEST")


def hex_digest(algorithm: str, text: str) -> str:
    """The hex digest of ``text`` (UTF-8) in ``algorithm``'s hash ("-sess" ignored)."""
    return str(_HASHES[algorithm.removesuffix("-sess")](text.encode("utf-8")).hexdigest())


def md5_hex(s: str) -> str:
    """The MD5 hex digest of ``s`` (UTF-8)."""
    return hex_digest("MD5", s)


def H(s: str) -> str:
    """The MD5 hash function of RFC 2617 (``H``)."""
    return md5_hex(s)


# -- nonces -------------------------------------------------------------------------------


def synthesize_nonce(
    s: str, key: str, timestamp: int | str | None = None, salt: str | None = None
) -> str:
    """A fresh nonce for ``s`` (the realm) signed with ``key``: ``timestamp:salt:signature``.

    The random ``salt`` makes every challenge's nonce unique, so the nonce counts of two
    clients challenged in the same second never collide.
    """
    if timestamp is None:
        timestamp = int(time.time())
    if salt is None:
        salt = secrets.token_hex(8)
    message = f"{timestamp}:{salt}:{s}".encode("utf-8", "replace")
    signature = hmac.new(key.encode("utf-8"), message, hashlib.sha256)
    return f"{timestamp}:{salt}:{signature.hexdigest()}"


class _NonceCounts:
    """The highest nonce count accepted per nonce, kept for the nonce lifetime.

    # PERF: bounded; expired nonces are dropped whenever the table is full.
    """

    limit = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, float]] = {}

    def advance(self, nonce: str, count: int, now: float) -> bool:
        """Record ``count`` for ``nonce``; False if it is not above the last one seen."""
        with self._lock:
            last = self._seen.get(nonce)
            if last is not None and count <= last[0]:
                return False
            if last is None and len(self._seen) >= self.limit:
                self._prune(now)
            self._seen[nonce] = (count, now)
            return True

    def _prune(self, now: float) -> None:
        oldest = now - NONCE_LIFETIME
        for nonce, (_, seen) in list(self._seen.items()):
            if seen < oldest:
                del self._seen[nonce]
        while len(self._seen) >= self.limit:  # still full of live nonces: drop the oldest
            del self._seen[next(iter(self._seen))]

    def clear(self) -> None:
        """Forget every count (for tests)."""
        with self._lock:
            self._seen.clear()


nonce_counts = _NonceCounts()


# -- the Authorization header -------------------------------------------------------------


def _decode_header(header: str, charset: str) -> str:
    # WSGI hands header values over as latin-1; the client wrote them in ``charset``.
    raw = header.encode("latin-1", "replace")
    for encoding in (charset, FALLBACK_CHARSET):
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return header  # pragma: no cover - latin-1 decodes every byte


class HttpDigestAuthorization:
    """A parsed Digest ``Authorization`` header, and the digest it should carry.

    Args:
        auth_header: the header value (``Digest username="...", ...``).
        http_method: the request method (part of the digest).
        debug: log what happens.
        accept_charset: how the header's text is decoded.

    Raises:
        ValueError: the header is not well-formed Digest credentials.
    """

    scheme = "digest"

    def __init__(
        self,
        auth_header: str,
        http_method: str,
        debug: bool = False,
        accept_charset: str = DEFAULT_CHARSET,
    ) -> None:
        self.http_method = http_method
        self.debug = debug
        if not self.matches(auth_header):
            raise ValueError('Authorization scheme is not "Digest"')
        self.auth_header = _decode_header(auth_header, accept_charset)
        # Loaded here: urllib.request pulls in http.client, which `import framework` avoids.
        from urllib.request import parse_http_list, parse_keqv_list

        _, _, params = self.auth_header.partition(" ")
        fields = parse_keqv_list(parse_http_list(params))
        self.realm = fields.get("realm")
        self.username = _username(fields)
        self.nonce = fields.get("nonce")
        self.uri = fields.get("uri")
        self.method = fields.get("method")
        self.response = fields.get("response")
        raw_algorithm = fields.get("algorithm", "MD5")
        self.algorithm = _ALGORITHM_SPELLING.get(raw_algorithm.upper(), raw_algorithm)
        self.cnonce = fields.get("cnonce")
        self.opaque = fields.get("opaque")
        self.qop = fields.get("qop")
        self.nc = fields.get("nc")
        self._check_fields()

    def _check_fields(self) -> None:
        if self.algorithm not in valid_algorithms:
            raise ValueError(self.errmsg(f"Unsupported value for algorithm: {self.algorithm!r}"))
        if not (self.username and self.realm and self.nonce and self.uri and self.response):
            raise ValueError(self.errmsg("Not all required parameters are present."))
        if self.qop:
            if self.qop not in valid_qops:
                raise ValueError(self.errmsg(f"Unsupported value for qop: {self.qop!r}"))
            if not (self.cnonce and self.nc):
                raise ValueError(self.errmsg("If qop is sent then cnonce and nc MUST be present"))
        elif self.cnonce or self.nc:
            raise ValueError(
                self.errmsg("If qop is not sent, neither cnonce nor nc can be present")
            )

    def errmsg(self, s: str) -> str:
        """Prefix an error message with the header's name."""
        return f"Digest Authorization header: {s}"

    @classmethod
    def matches(cls, header: str) -> bool:
        """True if ``header`` uses the Digest scheme."""
        scheme, _, _ = header.partition(" ")
        return scheme.lower() == cls.scheme

    def __str__(self) -> str:
        return f"authorization : {self.auth_header}"

    def validate_nonce(self, s: str, key: str) -> bool:
        """True if the nonce was made by :func:`synthesize_nonce` with ``s`` and ``key``."""
        assert self.nonce is not None
        timestamp, salt, signature = [*self.nonce.split(":", 2), "", ""][:3]
        if not timestamp.isdigit() or not salt or not signature:
            return False
        expected = synthesize_nonce(s, key, timestamp, salt)
        valid = hmac.compare_digest(expected.encode(), self.nonce.encode("utf-8", "replace"))
        if self.debug:
            TRACE(f"validate_nonce: {valid}")
        return valid

    def is_nonce_stale(self, max_age_seconds: int = NONCE_LIFETIME) -> bool:
        """True if the (validated) nonce is older than ``max_age_seconds``."""
        assert self.nonce is not None
        timestamp = self.nonce.partition(":")[0]
        stale = not timestamp.isdigit() or int(timestamp) + max_age_seconds <= time.time()
        if stale and self.debug:
            TRACE("nonce is stale")
        return stale

    def HA2(self, entity_body: str = "") -> str:
        """``H(A2)``: the hash of method and URI (and body, for ``auth-int``)."""
        if self.qop is None or self.qop == qop_auth:
            a2 = f"{self.http_method}:{self.uri}"
        else:
            a2 = f"{self.http_method}:{self.uri}:{hex_digest(self.algorithm, entity_body)}"
        return hex_digest(self.algorithm, a2)

    def request_digest(self, ha1: str, entity_body: str = "") -> str:
        """The ``response`` value a client knowing ``ha1`` sends (RFC 7616 section 3.4.1)."""
        ha2 = self.HA2(entity_body)
        if self.qop:
            data = f"{self.nonce}:{self.nc}:{self.cnonce}:{self.qop}:{ha2}"
        else:
            data = f"{self.nonce}:{ha2}"
        if self.algorithm.endswith("-sess"):
            ha1 = hex_digest(self.algorithm, f"{ha1}:{self.nonce}:{self.cnonce}")
        return hex_digest(self.algorithm, f"{ha1}:{data}")


def _username(fields: Mapping[str, str]) -> str | None:
    """``username``, or RFC 7616's ``username*`` (``UTF-8''%E2%98%83``) decoded."""
    extended = fields.get("username*")
    if extended is None:
        return fields.get("username")
    charset, _, rest = extended.partition("'")
    _, _, encoded = rest.partition("'")
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="strict")
    except (UnicodeDecodeError, LookupError):
        raise ValueError("Digest Authorization header: undecodable username*") from None


def www_authenticate(
    realm: str,
    key: str,
    algorithm: str = "MD5",
    nonce: str | None = None,
    qop: str = qop_auth,
    stale: bool = False,
    accept_charset: str = DEFAULT_CHARSET,
) -> str:
    """One Digest challenge (a ``WWW-Authenticate`` value).

    Raises:
        ValueError: an unknown ``qop`` or ``algorithm``.
    """
    if qop not in valid_qops:
        raise ValueError(f"Unsupported value for qop: {qop!r}")
    if algorithm not in valid_algorithms:
        raise ValueError(f"Unsupported value for algorithm: {algorithm!r}")
    if nonce is None:
        nonce = synthesize_nonce(realm, key)
    stale_param = ', stale="true"' if stale else ""
    charset = accept_charset.upper()
    declaration = f', charset="{charset}"' if charset != FALLBACK_CHARSET else ""
    return (
        f'Digest realm="{realm}", nonce="{nonce}", algorithm="{algorithm}", qop="{qop}"'
        f"{stale_param}{declaration}"
    )
