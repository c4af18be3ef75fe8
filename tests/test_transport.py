"""The fetcher's connections on real sockets: kept alive while the server keeps them, replaced at
once when the server closed or spoiled them, and TLS checked against the trust roots under the
host's name, though the address dialled is a ``--connect-to`` one."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hostile import HostileServer, Reply

from scoarchive.capture.egress import EgressPolicy
from scoarchive.capture.states import Outcome
from scoarchive.capture.transport import Fetcher, FetchResult
from scoarchive.core.profile import load_profile
from scoarchive.core.urls import ConnectTo

SCO = load_profile("sco")
PAGE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


def fetcher_for(server: HostileServer, tls: ssl.SSLContext | None = None) -> Fetcher:
    policy = EgressPolicy(SCO, [ConnectTo.parse(f"::127.0.0.1:{server.port}")])
    return Fetcher("test", policy, timeout=5.0, tls=tls)


def fetch_all(fetcher: Fetcher, urls: list[str]) -> list[FetchResult]:
    """One after the other, as a host gate of one would; bodies read and closed."""

    async def run() -> list[FetchResult]:
        results = []
        try:
            for url in urls:
                result = await fetcher.fetch(url)
                if result.exchange is not None:
                    result.exchange.body.read()
                    result.exchange.body.close()
                results.append(result)
        finally:
            await fetcher.aclose()
        return results

    return asyncio.run(run())


def urls(*paths: str, scheme: str = "http") -> list[str]:
    return [f"{scheme}://eng.sectsco.org{path}" for path in paths]


def test_a_kept_alive_connection_serves_the_next_requests() -> None:
    with HostileServer({"/a": PAGE, "/b": PAGE, "/c": PAGE}, keep_alive=True) as server:
        fetcher = fetcher_for(server)
        results = fetch_all(fetcher, urls("/a", "/b", "/c"))
    assert [result.status for result in results] == [200, 200, 200]
    assert server.seen.connections == 1 and fetcher.requests_sent == 3


def test_a_connection_the_server_closed_is_replaced_at_once() -> None:
    """The server closes after each answer without saying so: every fetch still succeeds, on a
    new connection, and a request that went nowhere is not counted."""
    with HostileServer({"/a": PAGE, "/b": PAGE, "/c": PAGE}) as server:
        fetcher = fetcher_for(server)
        results = fetch_all(fetcher, urls("/a", "/b", "/c"))
    assert [result.status for result in results] == [200, 200, 200]
    assert server.seen.connections == 3 and fetcher.requests_sent == 3
    assert [line.split(" ")[1] for line in server.seen.requests] == ["/a", "/b", "/c"]


@pytest.mark.parametrize("after", [b"HTTP/1.1 200 OK\r\nX-Unasked: yes\r\n\r\n", b"garbage"])
def test_bytes_after_a_response_spoil_the_connection(after: bytes) -> None:
    replies: dict[str, Reply] = {"/a": PAGE + after, "/b": PAGE}
    with HostileServer(replies, keep_alive=True) as server:
        results = fetch_all(fetcher_for(server), urls("/a", "/b"))
    assert [result.status for result in results] == [200, 200]
    assert server.seen.connections == 2  # /b did not take the unasked answer for its own


def certificate(tmp_path: Path, host: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``host`` signed by a new CA, and a client
    context that trusts that CA (and nothing else)."""
    now = datetime.datetime.now(datetime.UTC)

    def issue(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
        )
        if issuer is None:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(ca_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = issue("test CA", ca_key, None)
    cert = issue(host, server_key, ca.subject)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return server, ssl.create_default_context(cafile=tmp_path / "ca.pem")


def test_tls_is_checked_against_the_trust_roots_under_the_hosts_name(tmp_path: Path) -> None:
    server_tls, trusting = certificate(tmp_path, "eng.sectsco.org")
    with HostileServer({"/a": PAGE}, keep_alive=True, tls=server_tls) as server:
        [trusted] = fetch_all(fetcher_for(server, tls=trusting), urls("/a", scheme="https"))
        [default] = fetch_all(fetcher_for(server), urls("/a", scheme="https"))
    assert trusted.status == 200 and trusted.exchange is not None
    assert default.exchange is None and default.failure is Outcome.NO_RESPONSE
    assert default.error is not None and "CERTIFICATE_VERIFY_FAILED" in default.error, default.error


def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    server_tls, trusting = certificate(tmp_path, "other.example.org")
    with HostileServer({"/a": PAGE}, tls=server_tls) as server:
        [result] = fetch_all(fetcher_for(server, tls=trusting), urls("/a", scheme="https"))
    assert result.exchange is None and result.error is not None
    assert result.error.startswith("connection failed") and "eng.sectsco.org" in result.error, result.error
