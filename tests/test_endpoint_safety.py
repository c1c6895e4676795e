"""Tier 5: where the token may be sent.

- TLS certificates are verified by default: a local HTTPS server with a self-signed certificate
  (made at test time with the `openssl` CLI) is refused, and no request reaches it;
- plain http works only to loopback hosts (127.0.0.1, localhost, [::1]); to any other host it is
  refused when the client is built, before any network I/O;
- an endpoint with a path, query, fragment or user-info is refused with an exact message, and a
  trailing slash is normalized away.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import Config

from conftest import TOKEN, start_plugin
from plugin import PluginError
from pulumi_qboxmail import ConfigurationError, QboxClient, RetryPolicy, TransportError
from pulumi_qboxmail.provider import build_client
from pulumi_qboxmail.tools.emulator import Emulator

CODE = "D900000001"
PREFIX = "qboxmail configuration qboxmail:endpoint: "
TRUST_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CA bundle or proxy from the developer's environment may decide these tests."""
    for name in TRUST_ENV + PROXY_ENV:
        monkeypatch.delenv(name, raising=False)


# ---- a local HTTPS server with a self-signed certificate ---------------------------------------
class _Handler(BaseHTTPRequestHandler):
    server: TLSServer
    protocol_version = "HTTP/1.1"

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.bodies.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class TLSServer(ThreadingHTTPServer):
    """Serves HTTPS on 127.0.0.1; records request bodies and refused TLS handshakes."""

    daemon_threads = True

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.lock = threading.Lock()
        self.bodies: list[bytes] = []
        self.refused_handshakes = 0

    def server_bind(self) -> None:  # no reverse DNS lookup of the bound address
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        self.server_port = self.server_address[1]

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with self.lock:
                self.refused_handshakes += 1
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_port}"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl CLI to make a self-signed certificate")
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[TLSServer]:
    server = TLSServer(*certificate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _no_sleep(_: float) -> None:
    pass


def refused(server: TLSServer) -> TransportError:
    client = QboxClient(TOKEN, server.url, sleep=_no_sleep)  # default verification and retries
    with pytest.raises(TransportError) as failure:
        client.update_domain(CODE, {"antispam_level": 1})
    return failure.value


def settled_handshakes(server: TLSServer) -> int:
    """Refused handshakes, once counted: the server counts on its own thread, a moment late."""
    deadline = time.monotonic() + 2.0
    while server.refused_handshakes < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    return server.refused_handshakes


def test_a_self_signed_certificate_is_refused_and_no_request_reaches_the_server(
    tls_server: TLSServer,
) -> None:
    error = refused(tls_server)
    assert tls_server.bodies == []
    assert settled_handshakes(tls_server) >= 1  # TLS was tried, and the client hung up
    assert str(error).startswith(f"QboxDomainSettings {CODE}: no answer from {tls_server.url} (")


def test_the_same_server_is_accepted_once_its_certificate_is_trusted(
    tls_server: TLSServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the refusal above is certificate verification, not a broken server."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    QboxClient(TOKEN, tls_server.url).update_domain(CODE, {"antispam_level": 1})
    assert tls_server.bodies == [b'{"antispam_level": 1}']


def test_a_certificate_failure_says_so(tls_server: TLSServer) -> None:
    assert "certificate" in refused(tls_server).reason


def test_a_certificate_failure_is_not_retried(tls_server: TLSServer) -> None:
    error = refused(tls_server)
    assert error.attempts == 1
    assert settled_handshakes(tls_server) == 1


# ---- the environment's proxy settings --------------------------------------------------------------
def test_the_environments_proxy_and_no_proxy_still_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client settles proxies once per session instead of on every request: they still
    apply, and so does NO_PROXY."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    once = RetryPolicy(max_attempts=1)
    emu = Emulator(token=TOKEN, domains=[CODE])
    with emu, socket.socket() as unserved:
        unserved.bind(("127.0.0.1", 0))  # bound, never listening: a proxy that refuses
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{unserved.getsockname()[1]}")
        with pytest.raises(TransportError):
            QboxClient(TOKEN, emu.url, retry=once).update_domain(CODE, {"antispam_level": 1})
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        QboxClient(TOKEN, emu.url, retry=once).update_domain(CODE, {"antispam_level": 2})
    assert [r.body for r in emu.requests] == [{"antispam_level": 2}]


# ---- plain http: loopback only -----------------------------------------------------------------
def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("bind", "host"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "localhost"),
        pytest.param(
            "::1",
            "[::1]",
            marks=pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here"),
        ),
    ],
    ids=["127.0.0.1", "localhost", "ipv6-loopback"],
)
def test_plain_http_to_a_loopback_host_works(bind: str, host: str) -> None:
    emu = Emulator(token=TOKEN, domains=[CODE], host=bind)
    with emu:
        port = emu.url.rsplit(":", 1)[1]
        client = QboxClient(TOKEN, f"http://{host}:{port}")
        assert client.endpoint == f"http://{host}:{port}"
        client.update_domain(CODE, {"antispam_level": 3})
        assert client.get_domain(CODE)["antispam_level"] == 3
    assert [(r.method, r.path, r.token) for r in emu.requests] == [
        ("PUT", f"/api/domains/{CODE}", "***"),
        ("GET", f"/api/domains/{CODE}", "***"),
    ]


REMOTE = [
    ("http://example.com", "example.com"),
    ("http://10.0.0.1", "10.0.0.1"),
    ("http://192.168.1.10:8080", "192.168.1.10:8080"),
    ("http://[2001:db8::1]:8080", "[2001:db8::1]:8080"),
    ("http://0.0.0.0:80", "0.0.0.0:80"),
    ("http://localhost.example.com", "localhost.example.com"),
    ("http://127.0.0.1.nip.io", "127.0.0.1.nip.io"),
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name lookup or connection attempt fails the test."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network I/O attempted: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden)


@pytest.mark.parametrize(("endpoint", "netloc"), REMOTE, ids=[e for e, _ in REMOTE])
@pytest.mark.usefixtures("no_network")
def test_plain_http_to_any_other_host_is_refused_before_any_network_io(
    endpoint: str, netloc: str
) -> None:
    message = f"{PREFIX}plain http is allowed only to loopback hosts; use https://{netloc}"
    with pytest.raises(ConfigurationError) as failure:
        QboxClient(TOKEN, endpoint)
    assert str(failure.value) == message
    with pytest.raises(ConfigurationError) as failure:
        build_client(Config({"qboxmail:apiToken": TOKEN, "qboxmail:endpoint": endpoint}, "p"), {})
    assert str(failure.value) == message


def test_a_plugin_configured_with_plain_http_to_a_remote_host_fails_its_first_call(
    tmp_path: Path,
) -> None:
    config = {"qboxmail:apiToken": TOKEN, "qboxmail:endpoint": "http://10.0.0.1"}
    with start_plugin(tmp_path, config) as plugin, pytest.raises(PluginError) as failure:
        plugin.check({}, {"domain_code": CODE})
    assert failure.value.last_line == (
        f"pulumi_qboxmail.errors.ConfigurationError: {PREFIX}plain http is allowed only to "
        "loopback hosts; use https://10.0.0.1"
    )


# ---- only a bare base URL ----------------------------------------------------------------------
BASE_ONLY = "must be a base URL such as https://api.qboxmail.com, without path or query"
NO_CREDENTIALS = "must not contain credentials; the token goes in apiToken"
MALFORMED = [
    ("https://api.qboxmail.com/api", BASE_ONLY),
    ("https://api.qboxmail.com/api/domains/", BASE_ONLY),
    ("http://127.0.0.1:8080/prefix", BASE_ONLY),
    ("https://api.qboxmail.com?x=1", BASE_ONLY),
    ("https://api.qboxmail.com/?token=abc", BASE_ONLY),
    ("https://api.qboxmail.com#top", BASE_ONLY),
    ("https://user:pass@api.qboxmail.com", NO_CREDENTIALS),
    ("https://user@api.qboxmail.com", NO_CREDENTIALS),
    ("http://user:pass@127.0.0.1:8080", NO_CREDENTIALS),
    ("ftp://api.qboxmail.com", "'ftp://api.qboxmail.com' is not an http(s) URL"),
    ("api.qboxmail.com", "'api.qboxmail.com' is not an http(s) URL"),
    ("https://", "'https://' is not an http(s) URL"),
    ("", "'' is not an http(s) URL"),
]


@pytest.mark.parametrize(
    ("endpoint", "problem"), MALFORMED, ids=[e or "empty" for e, _ in MALFORMED]
)
@pytest.mark.usefixtures("no_network")
def test_an_endpoint_that_is_not_a_bare_base_url_is_refused(endpoint: str, problem: str) -> None:
    with pytest.raises(ConfigurationError) as failure:
        QboxClient(TOKEN, endpoint)
    assert str(failure.value) == PREFIX + problem


@pytest.mark.parametrize("endpoint", ["ftp://user:s3cret@api.qboxmail.com", "https://user:s3cret@"])
def test_credentials_in_an_endpoint_are_never_echoed(endpoint: str) -> None:
    with pytest.raises(ConfigurationError) as failure:
        QboxClient(TOKEN, endpoint)
    assert "s3cret" not in str(failure.value)


NORMALIZED = [
    ("https://api.qboxmail.com/", "https://api.qboxmail.com"),
    ("https://api.qboxmail.com//", "https://api.qboxmail.com"),
    (" https://sandbox.qboxmail.com/ ", "https://sandbox.qboxmail.com"),
    ("HTTPS://api.qboxmail.com:443/", "https://api.qboxmail.com:443"),
    ("http://localhost:8080/", "http://localhost:8080"),
    ("http://[::1]:8080/", "http://[::1]:8080"),
]


@pytest.mark.parametrize(("endpoint", "normalized"), NORMALIZED, ids=[e for e, _ in NORMALIZED])
@pytest.mark.usefixtures("no_network")
def test_a_trailing_slash_is_normalized_away(endpoint: str, normalized: str) -> None:
    assert QboxClient(TOKEN, endpoint).endpoint == normalized


def test_requests_to_a_normalized_endpoint_have_no_double_slash() -> None:
    emu = Emulator(token=TOKEN, domains=[CODE])
    with emu:
        QboxClient(TOKEN, emu.url + "/").update_domain(CODE, {"antispam_level": 2})
    assert [r.path for r in emu.requests] == [f"/api/domains/{CODE}"]
