"""https receivers: the certificate is verified (an untrusted one fails the attempt, nothing is sent);
one the trust store accepts receives the signed delivery."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from governance.notifications.delivery import webhook_delivery_attempt
from tests.governance.notifications.conftest import Receiver, _handler, emit, independently_verified

pytestmark = pytest.mark.django_db


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP SAN) and its key, PEM files."""
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_receiver(tmp_path):
    cert_path, key_path = self_signed(tmp_path)
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    state.url = f"https://127.0.0.1:{server.server_address[1]}/hooks/governance"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, cert_path
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_fails_the_attempt(tls_receiver, make_webhook, team_a, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    receiver, _ = tls_receiver
    make_webhook(team_a, receiver.url)
    (delivery,) = emit(team_a)
    delivery = webhook_delivery_attempt(delivery_pk=delivery.pk, attempt=1)
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert receiver.requests == []


def test_a_trusted_https_receiver_gets_the_signed_delivery(
    tls_receiver, make_webhook, team_a, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_HTTP = False
    receiver, cert_path = tls_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # the trust store the default context loads
    _, secret = make_webhook(team_a, receiver.url)
    (delivery,) = emit(team_a)
    delivery = webhook_delivery_attempt(delivery_pk=delivery.pk, attempt=1)
    assert delivery.status == "delivered", delivery.last_error
    (request,) = receiver.requests
    assert independently_verified(secret, request.headers, request.body)
