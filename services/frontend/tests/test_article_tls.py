"""HTTPS through the pinned connection: the certificate is checked against the host name.

A local TLS server on 127.0.0.1 with a certificate for news.test, made by a test CA; a fake
resolver answers news.test and other.test with 127.0.0.1 (allowed through FETCH_ALLOW_HOSTS).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from frontend.articles.addresses import AllowedHost
from frontend.articles.errors import ArticleError
from frontend.articles.fetching import Fetcher, FetchPolicy, open_http_client

from testkit.servers import serving

LOOPBACK = ipaddress.ip_address("127.0.0.1")


def _certificate(subject: str, issuer_key, issuer: x509.Name, key, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class TlsSite:
    port: int
    ca_pem: bytes
    server_names: list[str]
    hosts: list[str]


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsSite]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = _certificate("Test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate("news.test", ca_key, ca_name, key, ca=False)
    folder: Path = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_names: list[str] = []
    hosts: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            hosts.append(self.headers["Host"])
            body = b"<html><body><article><p>Hallo Welt</p></article></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server) as port:
        yield TlsSite(port, ca.public_bytes(serialization.Encoding.PEM), server_names, hosts)


@pytest.fixture
async def fetcher(tls_site: TlsSite) -> AsyncIterator[Fetcher]:
    async def resolver(host: str, port: int) -> list:
        return [LOOPBACK] if host in {"news.test", "other.test"} else []

    policy = FetchPolicy(allow_hosts=(AllowedHost("news.test"), AllowedHost("other.test")))
    trusted = ssl.create_default_context(cadata=tls_site.ca_pem.decode())
    async with open_http_client(policy, verify=trusted) as http:
        yield Fetcher(http, policy, resolver=resolver)


async def test_https_sends_the_name_in_sni_and_host_while_connecting_to_the_address(
    fetcher, tls_site
):
    page = await fetcher.get(f"https://news.test:{tls_site.port}/a", accept="text/html")
    assert page.status == 200
    assert b"Hallo Welt" in page.body
    assert tls_site.server_names[-1] == "news.test"
    assert tls_site.hosts[-1] == f"news.test:{tls_site.port}"


async def test_a_certificate_for_another_name_is_refused(fetcher, tls_site):
    with pytest.raises(ArticleError) as refused:
        await fetcher.get(f"https://other.test:{tls_site.port}/", accept="text/html")
    assert refused.value.reason == "tls"
    assert "not valid for other.test" in refused.value.message
