"""Property tests of the parsers that read input (hypothesis): never a 500, never slow.

Query strings, cookies, multipart bodies, ``Range`` headers, redirect targets, config
files and dispatch on arbitrary paths, fed arbitrary input: each either answers (a
2xx, 3xx or 4xx) or raises its documented error, within a bounded time. The head
grammar's own properties are in test_head.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framework
from framework.configfile import ConfigError, load
from framework.headers import cookie_pairs
from framework.httputil import parse_query_string
from framework.lib.static import serve_file
from framework.origins import redirect_target
from framework.testing import Client

#: A generous bound per example: the machine is shared, the parsers are linear.
SECONDS = 2.0
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

CONTENT = b"0123456789" * 100


@pytest.fixture(scope="module")
def static_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("static") / "data.bin"
    path.write_bytes(CONTENT)
    return path


class Root:
    def __init__(self, static_file: Path | None = None) -> None:
        self.static_file = static_file

    @framework.expose
    def index(self, *args: Any, **params: Any) -> str:
        return f"{len(args)} {len(params)} {len(framework.request.cookie)}"

    @framework.expose
    def go(self, to: str = "/") -> None:
        raise framework.HTTPRedirect(to)

    @framework.expose
    def data(self) -> Any:
        assert self.static_file is not None
        return serve_file(str(self.static_file))

    @framework.expose
    def default(self, *args: Any, **params: Any) -> str:
        return "default"


class Blog:
    @framework.expose
    def index(self, post_id: str = "") -> str:
        return post_id

    @framework.expose
    def feed_xml(self) -> str:
        return "<feed/>"


@pytest.fixture(scope="module")
def client(static_file: Path) -> Client:
    root = Root(static_file)
    root.blog = Blog()  # type: ignore[attr-defined]
    return Client(root)


def _timed(call: Any, *args: Any, **kwargs: Any) -> Any:
    began = time.monotonic()
    result = call(*args, **kwargs)
    assert time.monotonic() - began < SECONDS
    return result


@FAST
@given(st.text(max_size=400))
def test_query_strings_parse_or_are_400(client: Client, text: str) -> None:
    try:
        parse_query_string(text)
    except UnicodeDecodeError:
        pass
    response = _timed(client.get, "/?" + quote(text, safe="=&;%+,"))
    assert response.status_code in (200, 400, 404)


@FAST
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=400))
def test_any_cookie_header_is_read_without_failing(client: Client, header: str) -> None:
    pairs = cookie_pairs(header)
    assert len(pairs) <= 300 and all(name and ";" not in name for name, _ in pairs)
    assert _timed(client.get, "/", headers={"Cookie": header}).status_code == 200


@FAST
@given(st.binary(max_size=600), st.sampled_from(["b", "x-y", "----WebKitFormBoundary"]))
def test_any_multipart_body_is_parsed_or_refused(
    client: Client, body: bytes, boundary: str
) -> None:
    framed = b"--" + boundary.encode() + b"\r\n" + body
    response = _timed(
        client.post, "/", data=framed, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code in (200, 400, 413)


@FAST
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(
            st.tuples(st.integers(-5, 2000) | st.none(), st.integers(-5, 2000) | st.none()),
            max_size=40,
        ).map(
            lambda pairs: (
                "bytes="
                + ",".join(f"{'' if a is None else a}-{'' if b is None else b}" for a, b in pairs)
            )
        ),
    )
)
def test_any_range_header_answers_200_206_or_416_and_stays_small(
    client: Client, header: str
) -> None:
    response = _timed(client.get, "/data", headers={"Range": header})
    assert response.status_code in (200, 206, 416)
    # Overlapping or many ranges never make a response much larger than the file.
    assert len(response.body) <= 2 * len(CONTENT) + 4096


_URLS = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, sep, host, path: f"{scheme}{sep}{host}{path}",
        st.sampled_from(["", "http:", "https:", "javascript:", "HTTP:", " http:", "\thttp:"]),
        st.sampled_from(["//", "/", "\\\\", "/\\", "\\/", "", "/\t/", "//\n"]),
        st.sampled_from(["127.0.0.1", "evil.test", "127.0.0.1@evil.test", "evil.test\\@127.0.0.1"]),
        st.text(max_size=20),
    ),
)


@FAST
@given(_URLS)
def test_redirect_targets_never_leave_the_host(url: str) -> None:
    current = "http://127.0.0.1/a/b"
    target = redirect_target(url, current)
    if target is not None:
        parts = urlsplit(target)
        assert parts.hostname == "127.0.0.1" and parts.scheme in ("http", "https")
        assert not any(c in target for c in "\t\r\n\\")


@FAST
@given(_URLS)
def test_redirects_answer_3xx_on_the_host_or_400(client: Client, url: str) -> None:
    response = _timed(client.get, "/go", params={"to": url})
    assert response.status_code in (301, 302, 303, 307, 400)
    if response.status_code != 400:
        assert urlsplit(response.headers["Location"]).hostname == "127.0.0.1"


@FAST
@given(st.text(max_size=300))
def test_any_config_text_loads_or_is_a_config_error(tmp_path_factory: Any, text: str) -> None:
    path = tmp_path_factory.mktemp("conf") / "app.conf"
    path.write_text(text, encoding="utf-8")
    try:
        result = _timed(load, str(path))
    except ConfigError:
        return
    assert isinstance(result, dict)


@FAST
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
        max_size=8,
    ),
    st.booleans(),
)
def test_dispatch_of_any_path_is_never_a_500(
    client: Client, segments: list[str], slash: bool
) -> None:
    path = "/" + "/".join(quote(s, safe="") for s in segments) + ("/" if slash else "")
    response = _timed(client.get, path)
    assert response.status_code in (200, 301, 302, 303, 307, 400, 404)
