"""The listening socket and the announced URL (cherrycli.serve.listen)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from cherrycli.errors import CliError
from cherrycli.serve.listen import announced_url, bind_listener, mount_path, server_url
from cherrycli.serve.loading import error_page_app


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = bind_listener("127.0.0.1", 0)
    yield sock
    sock.close()


@pytest.fixture
def wildcard() -> Iterator[socket.socket]:
    sock = bind_listener("0.0.0.0", 0)
    yield sock
    sock.close()


def test_bind_listener_listens_with_reuseaddr(listener: socket.socket) -> None:
    assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    with socket.create_connection(listener.getsockname()[:2], timeout=2):
        pass


def test_bind_listener_refuses_a_port_in_use(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with pytest.raises(CliError, match=f"port {port} on 127.0.0.1 is already in use") as info:
        bind_listener("127.0.0.1", port)
    assert info.value.exit_code == 1
    assert info.value.hint is not None


@pytest.mark.parametrize("port", [-1, 65536])
def test_bind_listener_refuses_an_out_of_range_port(port: int) -> None:
    with pytest.raises(CliError, match="out of range") as info:
        bind_listener("127.0.0.1", port)
    assert info.value.exit_code == 2


def test_bind_listener_refuses_an_unknown_host() -> None:
    with pytest.raises(CliError, match="cannot resolve host"):
        bind_listener("no-such-host.invalid", 0)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "http://127.0.0.1:"), ("0.0.0.0", "http://127.0.0.1:")],
)
def test_server_url_shows_an_address_to_open(host: str, expected: str) -> None:
    sock = bind_listener(host, 0)
    try:
        assert server_url(sock) == f"{expected}{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.mark.parametrize(
    ("apps", "path"),
    [({"": 1}, "/"), ({"/sub": 1}, "/sub/"), ({"/a/b": 1, "/z": 1}, "/z/"), ({}, "/")],
)
def test_mount_path_is_where_the_app_answers(apps: dict[str, int], path: str) -> None:
    assert mount_path(SimpleNamespace(apps=apps)) == path  # type: ignore[arg-type]


def test_mount_path_of_a_plain_callable_is_the_root() -> None:
    assert mount_path(error_page_app(ValueError("x"))) == "/"


@pytest.mark.parametrize(("path", "shown"), [("/", ""), ("/sub/", "/sub/")])
def test_announced_url_names_the_wildcard_and_the_url_to_open(
    wildcard: socket.socket, path: str, shown: str
) -> None:
    port = wildcard.getsockname()[1]
    assert announced_url(wildcard, path) == (
        f"http://0.0.0.0:{port}{shown} (all interfaces; open http://127.0.0.1:{port}{path})"
    )


def test_announced_url_names_the_ipv6_wildcard() -> None:
    try:
        sock = bind_listener("::", 0)
    except CliError:
        pytest.skip("no IPv6 on this machine")
    try:
        port = sock.getsockname()[1]
        expected = f"http://[::]:{port} (all interfaces; open http://[::1]:{port}/)"
        assert announced_url(sock) == expected
    finally:
        sock.close()


@pytest.mark.parametrize(("path", "shown"), [("/", ""), ("/sub/", "/sub/")])
def test_announced_url_of_one_interface_is_just_the_url(path: str, shown: str) -> None:
    sock = bind_listener("127.0.0.1", 0)
    try:
        assert announced_url(sock, path) == f"http://127.0.0.1:{sock.getsockname()[1]}{shown}"
    finally:
        sock.close()
