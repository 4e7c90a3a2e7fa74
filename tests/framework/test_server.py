"""The cheroot server adapter: settings, engine start/stop, ports, sockets, TLS, limits."""

from __future__ import annotations

import http.client
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from framework.process import bus as engine
from framework.process.server import Server, configure, serve_in_thread, server, servers
from framework.process.wspbus import Bus, ChannelFailures, states

pytestmark = pytest.mark.live


def hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = f"hello {environ['SERVER_PORT']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def get(host: str, port: int, path: str = "/", **kw: Any) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=10, **kw)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.fixture
def bus() -> Iterator[Bus]:
    b = Bus()
    yield b
    b.exit()


def make_server(b: Bus, app: Any = hello, port: int = 0, **settings: Any) -> Server:
    srv = Server(app, engine=b)
    srv.socket_port = port
    for name, value in settings.items():
        setattr(srv, name, value)
    srv.subscribe()
    return srv


def port_of(srv: Server) -> int:
    addr = srv.bound_addr
    assert isinstance(addr, tuple)
    return addr[1]


def test_serve_in_thread_serves_a_wsgi_callable() -> None:
    with serve_in_thread(hello) as url:
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        assert get("127.0.0.1", port) == (200, f"hello {port}".encode())


def test_serve_in_thread_rejects_unknown_setting() -> None:
    with pytest.raises(ValueError, match="Unknown server setting 'threads'"):
        with serve_in_thread(hello, threads=3):
            pass


def test_engine_start_returns_once_listening(bus: Bus) -> None:
    srv = make_server(bus)
    bus.start()
    assert srv.running
    port = port_of(srv)
    # No retry loop: the port must accept right away.
    assert get("127.0.0.1", port)[0] == 200


def test_engine_stop_closes_the_port(bus: Bus) -> None:
    srv = make_server(bus)
    bus.start()
    port = port_of(srv)
    bus.stop()
    assert not srv.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_engine_restarts_on_another_port(bus: Bus) -> None:
    srv = make_server(bus)
    bus.start()
    first = port_of(srv)
    bus.exit()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        second = probe.getsockname()[1]
    srv.socket_port = second
    bus.start()
    assert port_of(srv) == second != first
    assert get("127.0.0.1", second) == (200, f"hello {second}".encode())


def test_several_servers_start_with_one_engine(bus: Bus) -> None:
    one, two = make_server(bus), make_server(bus)
    bus.start()
    ports = {port_of(one), port_of(two)}
    assert len(ports) == 2
    for port in ports:
        assert get("127.0.0.1", port) == (200, f"hello {port}".encode())


def test_busy_port_fails_fast_names_host_and_port_and_stops_engine(bus: Bus) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        healthy = make_server(bus)
        make_server(bus, port=busy)
        began = time.monotonic()
        with pytest.raises(ChannelFailures) as info:
            bus.start()
        assert time.monotonic() - began < 5
        assert f"Cannot listen on 127.0.0.1:{busy}: Address already in use" in str(info.value)
        assert bus.state is states.EXITING
        assert not healthy.running


def test_unix_socket_file(bus: Bus, tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    srv = make_server(bus, socket_file=path)
    bus.start()
    assert srv.base() == path
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(path)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK")


def test_use_socket_serves_a_handed_over_socket(bus: Bus) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = make_server(bus, port=1)  # ignored: the handed-over socket wins
    srv.use_socket(sock)
    bus.start()
    assert port_of(srv) == port
    assert get("127.0.0.1", port)[0] == 200


def test_socket_fd_serves_and_survives_a_restart(bus: Bus) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    try:
        srv = make_server(bus, socket_fd=listener.fileno())
        bus.start()
        assert get("127.0.0.1", port)[0] == 200
        bus.exit()
        bus.start()  # the server closed only its duplicate of the descriptor
        assert srv.running
        assert get("127.0.0.1", port)[0] == 200
    finally:
        bus.exit()
        listener.close()


def test_https(bus: Bus, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    srv = make_server(bus, ssl_certificate=str(cert), ssl_private_key=str(key))
    bus.start()
    port = port_of(srv)
    assert srv.base() == f"https://127.0.0.1:{port}"
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    conn.request("GET", "/")
    resp = conn.getresponse()
    assert (resp.status, resp.read()) == (200, f"hello {port}".encode())
    conn.close()


def test_max_request_body_size_gives_413(bus: Bus) -> None:
    srv = make_server(bus, max_request_body_size=10)
    bus.start()
    conn = http.client.HTTPConnection("127.0.0.1", port_of(srv), timeout=10)
    conn.request("POST", "/", body=b"x" * 100)
    assert conn.getresponse().status == 413
    conn.close()


def test_max_request_header_size_rejects_huge_headers(bus: Bus) -> None:
    srv = make_server(bus, max_request_header_size=200)
    bus.start()
    conn = http.client.HTTPConnection("127.0.0.1", port_of(srv), timeout=10)
    conn.request("GET", "/", headers={"X-Big": "y" * 1000})
    assert conn.getresponse().status in (413, 431)
    conn.close()


def test_statistics_setting_enables_cheroot_stats(bus: Bus) -> None:
    srv = make_server(bus, statistics=True)
    bus.start()
    assert srv.httpserver.stats["Enabled"] is True


def test_stop_lets_an_in_flight_request_finish(bus: Bus) -> None:
    entered = threading.Event()

    def slow(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        entered.set()
        for i in range(5):
            time.sleep(0.1)
            yield f"part{i};".encode()

    srv = make_server(bus, app=slow)
    bus.start()
    port = port_of(srv)
    result: list[tuple[int, bytes]] = []
    client = threading.Thread(target=lambda: result.append(get("127.0.0.1", port)))
    client.start()
    assert entered.wait(5)
    bus.exit()
    client.join(10)
    assert result == [(200, b"part0;part1;part2;part3;part4;")]


def test_many_idle_keepalive_clients_do_not_starve_a_small_pool(bus: Bus) -> None:
    srv = make_server(bus, thread_pool=4)
    bus.start()
    port = port_of(srv)
    idle = []
    for _ in range(40):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/")
        conn.getresponse().read()  # keep-alive: the connection stays open
        idle.append(conn)
    try:
        began = time.monotonic()
        assert get("127.0.0.1", port)[0] == 200
        assert time.monotonic() - began < 1.0
    finally:
        for conn in idle:
            conn.close()


def test_burst_of_new_connections_is_served_without_syn_retry_stalls(bus: Bus) -> None:
    srv = make_server(bus, thread_pool=4)
    bus.start()
    port = port_of(srv)
    durations: list[float] = []

    def one() -> None:
        began = time.monotonic()
        get("127.0.0.1", port)
        durations.append(time.monotonic() - began)

    clients = [threading.Thread(target=one) for _ in range(100)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(30)
    assert len(durations) == 100
    # A dropped SYN is retried after 1 s: anything near that means the backlog overflowed.
    assert max(durations) < 0.9


def test_empty_socket_host_is_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.0\.0\.0"):
        Server().socket_host = ""


@pytest.mark.parametrize(
    ("value", "host", "port", "file"),
    [
        (("0.0.0.0", 9000), "0.0.0.0", 9000, None),
        (("::1", "81"), "::1", 81, None),
        ("/tmp/x.sock", "127.0.0.1", 8080, "/tmp/x.sock"),
    ],
)
def test_bind_addr_round_trip(value: Any, host: str, port: int, file: str | None) -> None:
    srv = Server()
    srv.bind_addr = value
    assert (srv.socket_host, srv.socket_port, srv.socket_file) == (host, port, file)
    assert srv.bind_addr == (file or (host, port))


def test_bind_addr_rejects_other_values() -> None:
    with pytest.raises(ValueError, match="bind_addr"):
        Server().bind_addr = 8080  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("host", "port", "cert", "expected"),
    [
        ("127.0.0.1", 8080, None, "http://127.0.0.1:8080"),
        ("127.0.0.1", 80, None, "http://127.0.0.1"),
        ("example.org", 443, "c.pem", "https://example.org"),
        ("example.org", 8443, "c.pem", "https://example.org:8443"),
        ("::1", 8080, None, "http://[::1]:8080"),
        ("0.0.0.0", 8080, None, f"http://{socket.gethostname()}:8080"),
    ],
)
def test_base(host: str, port: int, cert: str | None, expected: str) -> None:
    srv = Server()
    srv.socket_host, srv.socket_port, srv.ssl_certificate = host, port, cert
    assert srv.base() == expected


def test_default_server_is_subscribed_to_the_engine() -> None:
    assert server.bus is engine
    assert server.start in engine.listeners["start"]
    assert server.stop in engine.listeners["stop"]


def test_configure_sets_default_server_setting() -> None:
    old = server.socket_port
    try:
        configure("socket_port", 9123)
        assert server.socket_port == 9123
    finally:
        server.socket_port = old


def test_configure_named_server_is_created_and_subscribed() -> None:
    try:
        configure("second.socket_port", 9124)
        configure("second.socket_host", "0.0.0.0")
        extra = servers["second"]
        assert (extra.socket_host, extra.socket_port) == ("0.0.0.0", 9124)
        assert extra.start in engine.listeners["start"]
        configure("second.on", False)
        assert extra.start not in engine.listeners["start"]
        configure("second.on", True)
        assert extra.start in engine.listeners["start"]
    finally:
        servers.pop("second").unsubscribe()


def test_configure_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown server setting 'sokcet_port'"):
        configure("sokcet_port", 1)


def test_configure_on_false_detaches_default_server() -> None:
    try:
        configure("on", False)
        assert server.start not in engine.listeners["start"]
    finally:
        configure("on", True)
    assert server.start in engine.listeners["start"]


def test_second_start_of_a_running_server_is_a_no_op(bus: Bus) -> None:
    srv = make_server(bus)
    bus.start()
    first = srv.httpserver
    srv.start()
    assert srv.httpserver is first


def test_failing_serve_thread_exits_the_engine(bus: Bus) -> None:
    srv = make_server(bus)
    bus.start()

    class Broken:
        def serve(self) -> None:
            raise RuntimeError("listener died")

    srv._serve(Broken())
    assert bus.state is states.EXITING


def test_instance_setting_runs_the_given_http_server(bus: Bus) -> None:
    made: list[Server] = []

    def factory(srv: Server) -> Any:
        made.append(srv)
        return srv.build_cheroot()

    srv = make_server(bus, instance=factory)
    bus.start()
    assert made == [srv]
    assert get("127.0.0.1", port_of(srv))[0] == 200


def test_instance_setting_takes_a_dotted_name(bus: Bus) -> None:
    srv = make_server(bus, instance="framework.compat.cpwsgi_server.CPWSGIServer")
    bus.start()
    assert get("127.0.0.1", port_of(srv)) == (200, f"hello {port_of(srv)}".encode())


def test_an_assigned_httpserver_is_the_one_started_and_restarted(bus: Bus) -> None:
    # COMPAT: CherryPy apps (and its test suite) set server.httpserver before starting.
    srv = make_server(bus)
    other = Server(lambda environ, start_response: [b""], engine=Bus())
    other.socket_port = 0
    assigned = srv.httpserver = other.build_cheroot()
    assigned.wsgi_app = hello
    bus.start()
    assert srv.httpserver is assigned
    assert get("127.0.0.1", port_of(srv))[0] == 200
    bus.stop()
    bus.start()
    assert srv.httpserver is assigned


def test_a_built_httpserver_is_rebuilt_with_new_settings_at_the_next_start(bus: Bus) -> None:
    srv = make_server(bus)
    bus.start()
    first = srv.httpserver
    bus.stop()
    srv.socket_timeout = 3
    bus.start()
    assert srv.httpserver is not first
    assert srv.httpserver.timeout == 3


def test_a_dotted_name_assigned_as_httpserver_is_built(bus: Bus) -> None:
    srv = make_server(bus)
    srv.httpserver = "framework.compat.cpwsgi_server.CPHTTPServer"
    bus.start()
    assert get("127.0.0.1", port_of(srv)) == (200, f"hello {port_of(srv)}".encode())


def test_server_instance_is_a_known_config_key() -> None:
    configure("extra.instance", None)
    try:
        assert servers["extra"].instance is None
    finally:
        servers.pop("extra").unsubscribe()


def raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def echo_target(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Length", str(len(body))), ("Connection", "close")])
    return [body]


def test_connect_and_absolute_form_targets_reach_the_app(bus: Bus) -> None:
    # COMPAT: cheroot in "proxy mode", as CherryPy runs it.
    srv = make_server(bus, echo_target)
    bus.start()
    port = port_of(srv)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("CONNECT", "a.example:3128")
        response = conn.response_class(conn.sock, method="CONNECT")  # type: ignore[arg-type]
        response.begin()
        assert (response.status, response.read()) == (200, b"CONNECT /a.example:3128")
    finally:
        conn.close()
    request = b"GET http://localhost/p/q HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    absolute = raw_exchange(port, request)
    assert absolute.endswith(b"GET /p/q")


@pytest.mark.parametrize("target", [b"a.example", b"/path/", b"http://a.example:33"])
def test_connect_to_a_target_not_in_authority_form_is_400(bus: Bus, target: bytes) -> None:
    srv = make_server(bus, echo_target)
    bus.start()
    answer = raw_exchange(port_of(srv), b"CONNECT " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")


def test_bound_addr_is_the_real_port_while_listening_else_the_configured_one(bus: Bus) -> None:
    srv = make_server(bus)
    assert srv.bound_addr == ("127.0.0.1", 0)
    bus.start()
    assert port_of(srv) > 0
    bus.stop()
    assert srv.bound_addr == srv.bind_addr == ("127.0.0.1", 0)
