"""HTTPS end to end: ``cello run tls_app:app --ssl-...`` in a subprocess with
certificates made by ``trustme``, driven by httpx (HTTP/1.1 and HTTP/2), curl,
``openssl s_client`` and the ``websockets`` client."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from cello import App
from conftest import APPS, free_port, wait_until

CELLO = [sys.executable, "-m", "cello"]


class Files:
    """A CA, and the server's certificate chain and key written to files."""

    def __init__(self, tmp: Path, name: str = "server") -> None:
        self.ca = trustme.CA()
        self.leaf = self.ca.issue_cert("localhost", "127.0.0.1")
        self.cert = tmp / f"{name}-chain.pem"
        self.key = tmp / f"{name}-key.pem"
        self.ca_file = tmp / f"{name}-ca.pem"
        self.write(self.leaf)
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def write(self, leaf: trustme.LeafCert) -> None:
        self.cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        self.key.write_bytes(leaf.private_key_pem.bytes())

    def context(self, client_cert: trustme.LeafCert | None = None) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        if client_cert is not None:
            client_cert.configure_cert(ctx)
        return ctx


class Served:
    """``cello run tls_app:app`` with the given flags, on a free port."""

    def __init__(self, args: list[str], log: Path, probe: ssl.SSLContext | None) -> None:
        self.port = free_port()
        self._log = open(log, "wb")
        self.log_path = log
        self.proc = subprocess.Popen(
            [*CELLO, "run", "tls_app:app", "--port", str(self.port), *args],
            cwd=APPS,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.url = f"https://127.0.0.1:{self.port}"
        if probe is not None:
            assert wait_until(self._listening, timeout=20), f"not serving:\n{self.log()}"

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"cello run exited with {self.proc.returncode}:\n{self.log()}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def run(*args: str, probe: bool = True) -> Served:
        s = Served(list(args), tmp_path / f"serve-{len(started)}.log", ssl.create_default_context() if probe else None)
        started.append(s)
        return s

    yield run
    for s in started:
        s.stop()


def tls_flags(files: Files) -> list[str]:
    return ["--ssl-certfile", str(files.cert), "--ssl-keyfile", str(files.key)]


def openssl(port: int, *args: str, brief: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *(["-brief"] if brief else []), *args],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_httpx_over_http1_sees_https_scheme_and_url(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*tls_flags(files))
    r = httpx.get(s.url + "/who", verify=files.context())
    assert r.status_code == 200
    assert r.http_version == "HTTP/1.1"
    body = r.json()
    assert body["scheme"] == "https"
    assert body["url"] == f"https://127.0.0.1:{s.port}/who"
    assert body["alpn"] == "http/1.1"
    assert body["tls_version"] == "TLSv1.3"
    assert body["client_cert_sha256"] is None


def test_httpx_over_http2_is_served_by_alpn_h2(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*tls_flags(files))
    with httpx.Client(http2=True, verify=files.context()) as client:
        responses = [client.get(s.url + "/who") for _ in range(3)]
    assert [r.http_version for r in responses] == ["HTTP/2"] * 3
    assert responses[0].json()["alpn"] == "h2"
    assert responses[0].json()["scheme"] == "https"


@pytest.mark.skipif(
    shutil.which("curl") is None,
    reason="curl is not installed here (the CPython 3.13/3.14 roots); CI's 3.11 run has it (.ci/run installs it)",
)
def test_curl_with_http2_gets_an_http2_answer(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*tls_flags(files))
    out = subprocess.run(
        ["curl", "-sS", "--http2", "--cacert", str(files.ca_file), "-w", "\n%{http_version}", s.url + "/who"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    body, version = out.stdout.rsplit("\n", 1)
    assert version == "2"
    assert '"scheme":"https"' in body.replace(" ", "")


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_openssl_connects_with_tls_1_2_and_1_3(files: Files, serve: Callable[..., Served], version: str) -> None:
    s = serve(*tls_flags(files))
    out = openssl(s.port, version, "-CAfile", str(files.ca_file))
    assert out.returncode == 0, out.stderr
    expected = "TLSv1.2" if version == "-tls1_2" else "TLSv1.3"
    assert f"Protocol version: {expected}" in out.stderr


def test_openssl_with_tls_1_1_is_refused(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*tls_flags(files))
    # SECLEVEL=0 so that the client itself is willing to speak TLS 1.1.
    out = openssl(s.port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert out.returncode != 0
    assert "Protocol version: TLSv1.1" not in out.stderr


@pytest.mark.parametrize(
    ("http", "offered", "chosen"),
    [
        ("auto", "h2,http/1.1", "h2"),
        ("auto", "http/1.1", "http/1.1"),
        ("1", "h2,http/1.1", "http/1.1"),
        ("2", "h2,http/1.1", "h2"),
    ],
)
def test_alpn_chooses_the_protocol_http_allows(
    files: Files, serve: Callable[..., Served], http: str, offered: str, chosen: str
) -> None:
    s = serve(*tls_flags(files), "--http", http)
    out = openssl(s.port, "-alpn", offered, "-CAfile", str(files.ca_file), brief=False)
    assert out.returncode == 0, out.stderr
    assert f"ALPN protocol: {chosen}\n" in out.stdout


def test_http_2_only_refuses_a_client_that_offers_only_http1_by_alpn(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*tls_flags(files), "--http", "2")
    out = openssl(s.port, "-alpn", "http/1.1", "-CAfile", str(files.ca_file))
    assert out.returncode != 0
    assert "no application protocol" in out.stderr.lower()


def test_plain_http_to_the_tls_port_is_answered_400_not_left_hanging(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*tls_flags(files))
    r = httpx.get(f"http://127.0.0.1:{s.port}/who", timeout=10)
    assert r.status_code == 400
    assert "This port speaks HTTPS" in r.text


def test_wss_echoes_over_tls(files: Files, serve: Callable[..., Served]) -> None:
    from websockets.sync.client import connect

    s = serve(*tls_flags(files))
    with connect(f"wss://127.0.0.1:{s.port}/ws/echo", ssl=files.context()) as ws:
        ws.send("over tls")
        assert ws.recv(timeout=10) == "over tls"


def client_auth_flags(files: Files, reqs: str) -> list[str]:
    return [*tls_flags(files), "--ssl-ca-certs", str(files.ca_file), "--ssl-cert-reqs", reqs]


def test_required_client_cert_refuses_a_client_without_one(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*client_auth_flags(files, "required"))
    with pytest.raises(httpx.TransportError):
        httpx.get(s.url + "/who", verify=files.context())


def test_required_client_cert_refuses_one_from_another_ca(tmp_path: Path, files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*client_auth_flags(files, "required"))
    stranger = trustme.CA().issue_cert("client@example.org")
    with pytest.raises(httpx.TransportError):
        httpx.get(s.url + "/who", verify=files.context(client_cert=stranger))


def test_a_good_client_cert_is_served_and_shown_as_client_cert(files: Files, serve: Callable[..., Served]) -> None:
    import hashlib

    s = serve(*client_auth_flags(files, "required"))
    mine = files.ca.issue_cert("client@example.org")
    r = httpx.get(s.url + "/who", verify=files.context(client_cert=mine))
    assert r.status_code == 200
    der = ssl.PEM_cert_to_DER_cert(mine.cert_chain_pems[0].bytes().decode())
    assert r.json()["client_cert_sha256"] == hashlib.sha256(der).hexdigest()


def test_optional_client_cert_serves_clients_without_one(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*client_auth_flags(files, "optional"))
    r = httpx.get(s.url + "/who", verify=files.context())
    assert r.status_code == 200
    assert r.json()["client_cert_sha256"] is None


def encrypt_key(files: Files, password: bytes) -> None:
    key = serialization.load_pem_private_key(files.leaf.private_key_pem.bytes(), None)
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
    )


def test_a_password_protected_key_works_with_its_password(files: Files, serve: Callable[..., Served]) -> None:
    encrypt_key(files, b"s3cret")
    assert b"ENCRYPTED PRIVATE KEY" in files.key.read_bytes()
    s = serve(*tls_flags(files), "--ssl-keyfile-password", "s3cret")
    assert httpx.get(s.url + "/who", verify=files.context()).status_code == 200


def run_to_exit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CELLO, "run", "tls_app:app", "--port", str(free_port()), *args],
        cwd=APPS,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_password_protected_key_without_its_password_is_one_clear_error(files: Files) -> None:
    encrypt_key(files, b"s3cret")
    out = run_to_exit(*tls_flags(files))
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        f"Error: {files.key}: the key is encrypted; give its password (ssl_keyfile_password)"
    ]


def test_a_wrong_password_is_one_clear_error(files: Files) -> None:
    encrypt_key(files, b"s3cret")
    out = run_to_exit(*tls_flags(files), "--ssl-keyfile-password", "wrong")
    assert out.returncode == 1
    [line] = out.stderr.strip().splitlines()
    assert line.startswith(f"Error: {files.key}: cannot decrypt the key")


def test_an_unreadable_certificate_is_one_line_and_exit_1(tmp_path: Path, files: Files) -> None:
    missing = tmp_path / "missing.pem"
    out = run_to_exit("--ssl-certfile", str(missing), "--ssl-keyfile", str(files.key))
    assert out.returncode == 1
    [line] = out.stderr.strip().splitlines()
    assert line.startswith(f"Error: {missing}: cannot read it")


def test_app_run_raises_oserror_naming_an_unreadable_key(tmp_path: Path, files: Files) -> None:
    missing = tmp_path / "nokey.pem"
    with pytest.raises(OSError, match="nokey.pem: cannot read it"):
        App().run(port=free_port(), ssl_certfile=str(files.cert), ssl_keyfile=str(missing))


def test_app_run_raises_valueerror_for_a_file_that_is_not_a_key(tmp_path: Path, files: Files) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key\n")
    with pytest.raises(ValueError, match="bad.pem: no usable private key"):
        App().run(port=free_port(), ssl_certfile=str(files.cert), ssl_keyfile=str(bad))


def test_environment_variables_configure_tls(files: Files, tmp_path: Path) -> None:
    port = free_port()
    log = open(tmp_path / "env.log", "wb")
    proc = subprocess.Popen(
        [*CELLO, "run", "tls_app:app", "--port", str(port)],
        cwd=APPS,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "CELLO_SSL_CERTFILE": str(files.cert), "CELLO_SSL_KEYFILE": str(files.key)},
    )
    try:

        def answers() -> bool:
            try:
                return httpx.get(f"https://127.0.0.1:{port}/who", verify=files.context(), timeout=2).status_code == 200
            except httpx.TransportError:
                assert proc.poll() is None, (tmp_path / "env.log").read_text()
                return False

        assert wait_until(answers, timeout=20)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        log.close()


def test_sighup_reloads_the_certificate_for_new_connections(tmp_path: Path, files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*tls_flags(files))
    assert httpx.get(s.url + "/who", verify=files.context()).status_code == 200
    renewed = Files(tmp_path, "renewed")  # another CA: only the new chain verifies with it
    files.write(renewed.leaf)
    s.proc.send_signal(signal.SIGHUP)

    def new_cert_served() -> bool:
        try:
            return httpx.get(s.url + "/who", verify=renewed.context(), timeout=2).status_code == 200
        except httpx.ConnectError:
            return False

    assert wait_until(new_cert_served, timeout=20), s.log()
    with pytest.raises(httpx.ConnectError):
        httpx.get(s.url + "/who", verify=files.context())
    assert s.proc.poll() is None


def test_sighup_with_a_broken_certificate_keeps_serving_the_old_one(files: Files, serve: Callable[..., Served]) -> None:
    s = serve(*tls_flags(files))
    # Served once first: the listener is bound before the worker handles SIGHUP.
    assert httpx.get(s.url + "/who", verify=files.context()).status_code == 200
    files.cert.write_text("garbage\n")
    s.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "TLS certificates not reloaded" in s.log(), timeout=20), s.log()
    assert httpx.get(s.url + "/who", verify=files.context()).status_code == 200


def test_plain_http_2_only_serves_h2c_and_refuses_http1(serve: Callable[..., Served]) -> None:
    s = serve("--http", "2")
    base = f"http://127.0.0.1:{s.port}"
    assert httpx.get(base + "/who").status_code == 505
    with httpx.Client(http1=False, http2=True) as client:
        r = client.get(base + "/who")
    assert r.http_version == "HTTP/2"
    assert r.json()["scheme"] == "http"
