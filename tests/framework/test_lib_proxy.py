"""tools.proxy: request.base, scheme and remote from a trusted reverse proxy's headers.

Forwarded headers from a trusted peer change what url(), redirects and the access log
use; the same headers from an untrusted peer (spoofed by a client talking to the app
directly) change nothing, in process and over a real server. RFC 7239 ``Forwarded`` is
read too. A session is replayed against the real CherryPy 18 for the shared behaviour.
"""

from __future__ import annotations

import http.client
import logging
from pathlib import Path
from typing import Any

import pytest
from compat_apps.side_by_side import Req, assert_app_answers_as_cherrypy

import framework
from framework.lib.proxy import TrustedPeers, forwarded_pairs
from framework.testing import Client

TOOLS_APP = Path(__file__).parent / "compat_apps" / "tools_app.py"


class Root:
    @framework.expose
    def base(self) -> str:
        return framework.request.base

    @framework.expose
    def link(self) -> str:
        return framework.url("/next")

    @framework.expose
    def scheme(self) -> str:
        return framework.request.scheme

    @framework.expose
    def remote(self) -> str:
        return framework.request.remote.ip

    @framework.expose
    def go(self) -> None:
        raise framework.HTTPRedirect("/there")


def client(**options: Any) -> Client:
    conf = {"tools.proxy.on": True}
    conf.update({f"tools.proxy.{key}": value for key, value in options.items()})
    return Client(Root(), config={"/": conf})


def test_without_headers_nothing_changes() -> None:
    assert client().get("/base").text == "http://127.0.0.1"


def test_forwarded_host_and_proto_make_links_and_redirects() -> None:
    headers = {"X-Forwarded-Host": "www.example.org", "X-Forwarded-Proto": "https"}
    proxied = client()
    assert proxied.get("/base", headers=headers).text == "https://www.example.org"
    assert proxied.get("/link", headers=headers).text == "https://www.example.org/next"
    assert proxied.get("/scheme", headers=headers).text == "https"
    page = proxied.get("/go", headers=headers)
    assert page.headers["Location"] == "https://www.example.org/there"


def test_forwarded_for_becomes_the_remote_address_and_is_logged(
    access_records: list[logging.LogRecord],
) -> None:
    headers = {"X-Forwarded-For": "203.0.113.7, 10.0.0.2"}
    assert client().get("/remote", headers=headers).text == "203.0.113.7"
    access = [r.getMessage() for r in access_records]
    assert access and access[-1].startswith("203.0.113.7 ")


@pytest.mark.parametrize("value", ["unknown", "_hidden", "<script>", "999.1.1.1", ""])
def test_a_forwarded_for_that_is_not_an_address_keeps_the_peer(value: str) -> None:
    assert client().get("/remote", headers={"X-Forwarded-For": value}).text == "127.0.0.1"


def test_headers_from_an_untrusted_peer_are_ignored() -> None:
    spoofed = {
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "6.6.6.6",
        "Forwarded": "for=6.6.6.6;host=evil.example;proto=https",
    }
    # The test client connects from 127.0.0.1: trust only a proxy on another host.
    untrusted = client(trusted=["10.0.0.0/8"])
    assert untrusted.get("/base", headers=spoofed).text == "http://127.0.0.1"
    assert untrusted.get("/remote", headers=spoofed).text == "127.0.0.1"
    assert untrusted.get("/scheme", headers=spoofed).text == "http"
    assert untrusted.get("/go", headers=spoofed).headers["Location"] == "http://127.0.0.1/there"
    # The configured base still applies: it is config, not something a client sent.
    fixed = client(trusted=["10.0.0.0/8"], base="https://app.example")
    assert fixed.get("/base", headers=spoofed).text == "https://app.example"


def test_spoofed_headers_over_a_real_server_are_ignored_from_an_untrusted_peer() -> None:
    from framework.process.server import serve_in_thread

    spoofed = {"X-Forwarded-Host": "evil.example", "X-Forwarded-For": "6.6.6.6"}
    answers = {}
    ports = {}
    for trusted in (["192.0.2.1"], ["127.0.0.1"]):
        app = client(trusted=trusted).app
        with serve_in_thread(app) as url:
            port = ports[trusted[0]] = int(url.rsplit(":", 1)[1])
            for path in ("/go", "/remote"):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    conn.request("GET", path, headers=spoofed)
                    response = conn.getresponse()
                    answers[trusted[0], path] = (
                        response.getheader("Location"),
                        response.read().decode(),
                    )
                finally:
                    conn.close()
    assert answers["192.0.2.1", "/go"][0] == f"http://127.0.0.1:{ports['192.0.2.1']}/there"
    assert answers["192.0.2.1", "/remote"][1] == "127.0.0.1"
    assert answers["127.0.0.1", "/go"][0] == "http://evil.example/there"
    assert answers["127.0.0.1", "/remote"][1] == "6.6.6.6"


def test_rfc_7239_forwarded_is_read_first() -> None:
    headers = {
        "Forwarded": 'for="[2001:db8::17]:4711";proto=https;host=app.example, for=10.0.0.1',
        "X-Forwarded-Host": "other.example",
    }
    proxied = client()
    assert proxied.get("/base", headers=headers).text == "https://app.example"
    assert proxied.get("/remote", headers=headers).text == "2001:db8::17"


def test_x_forwarded_ssl_on_means_https() -> None:
    proxied = client(scheme="X-Forwarded-Ssl")
    assert proxied.get("/base", headers={"X-Forwarded-Ssl": "on"}).text == "https://127.0.0.1"


def test_base_and_local_settings() -> None:
    assert client(base="https://fixed.example").get("/base").text == "https://fixed.example"
    # local="" keeps the configured base even when the proxy names a host.
    keep = client(base="https://fixed.example/app", local="")
    headers = {"X-Forwarded-Host": "other.example"}
    assert keep.get("/base", headers=headers).text == "https://fixed.example/app"
    host_header = client(local="X-Host")
    assert host_header.get("/base", headers={"X-Host": "lighttpd.example"}).text == (
        "http://lighttpd.example"
    )
    no_remote = client(remote="")
    assert no_remote.get("/remote", headers={"X-Forwarded-For": "1.2.3.4"}).text == "127.0.0.1"


def test_trusting_everyone_is_cherrypys_behaviour() -> None:
    anyone = client(trusted="*")
    assert anyone.get("/remote", headers={"X-Forwarded-For": "1.2.3.4"}).text == "1.2.3.4"


def test_a_bad_trusted_entry_is_a_config_error(error_records: list[Any]) -> None:
    assert client(trusted=["not-an-address"]).get("/base").status_code == 500


@pytest.mark.parametrize(
    ("peer", "trusted"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("", True),  # a Unix socket
        ("10.1.2.3", False),
        ("garbage", False),
    ],
)
def test_default_trusted_peers(peer: str, trusted: bool) -> None:
    assert (peer in TrustedPeers()) is trusted


def test_networks_and_addresses() -> None:
    peers = TrustedPeers(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"])
    assert "10.9.8.7" in peers and "2001:db8::5" in peers and "192.0.2.1" in peers
    assert "192.0.2.2" not in peers and "" not in peers


@pytest.mark.parametrize(
    ("value", "pairs"),
    [
        (
            "for=192.0.2.60;proto=http;by=203.0.113.43",
            {"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"},
        ),
        ('For="[2001:db8:cafe::17]:4711", for=198.51.100.17', {"for": "[2001:db8:cafe::17]:4711"}),
        ('host="example.com:8080";proto=https', {"host": "example.com:8080", "proto": "https"}),
        ("", {}),
        (";;;", {}),
    ],
)
def test_forwarded_pairs(value: str, pairs: dict[str, str]) -> None:
    assert forwarded_pairs(value) == pairs


PROXY_SESSION = (
    Req("GET", "/proxy/", page="redirect", compare=("location",)),
    Req("GET", "/proxy/", headers=(("X-Forwarded-Host", "www.example.test"),), page="redirect"),
    Req("GET", "/proxy/remoteip", headers=(("X-Forwarded-For", "192.168.0.20"),)),
    Req("GET", "/proxy/remoteip", headers=(("X-Forwarded-For", "67.15.36.43, 192.168.0.20"),)),
    Req("GET", "/proxy/base", headers=(("X-Forwarded-Proto", "https"),)),
    Req("GET", "/proxy/newurl", headers=(("X-Forwarded-Host", "http://www.example.test"),)),
    Req("GET", "/proxy/base", headers=(("Host", "localhost:8080"),)),
)


def test_same_answers_as_cherrypy() -> None:
    assert_app_answers_as_cherrypy(TOOLS_APP, PROXY_SESSION)
