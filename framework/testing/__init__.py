"""Testing Cherry applications: the in-process client and what it is made of.

- :mod:`framework.testing.client`: :class:`Client`, :class:`TestResponse`,
  :class:`Headers`, :func:`resolve_app`;
- :mod:`framework.testing.cookies`: the client's :class:`CookieJar`;
- :mod:`framework.testing.forms`: request bodies (urlencoded, multipart, JSON).

The pytest fixtures live in :mod:`framework.testing_plugin`, loaded by pytest through
the package's entry point.
"""

from __future__ import annotations

from framework.testing.client import Client, Headers, TestResponse, TooManyRedirects, resolve_app
from framework.testing.cookies import CookieJar
from framework.testing.forms import FileSpec, encode_multipart

__all__ = [
    "Client",
    "CookieJar",
    "FileSpec",
    "Headers",
    "TestResponse",
    "TooManyRedirects",
    "encode_multipart",
    "resolve_app",
]
