"""Signing (checked with the standardwebhooks library), target URL rules, and one delivery."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import ssl
import uuid
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.errors import ValidationFailed
from app.notifications.webhooks import (
    DeliveryError,
    deliver,
    new_secret,
    sign,
    validate_webhook_url,
)
from tests.notifications.helpers import Receiver

PUBLIC = "93.184.216.34"
DNS = {
    "hooks.example.id": [PUBLIC],
    "internal.example.id": ["10.1.2.3"],
    "metadata.example.id": ["169.254.169.254"],
    "split.example.id": [PUBLIC, "10.0.0.7"],
    "erp.internal": ["10.9.9.9"],
    "hooks.loket.test": ["127.0.0.1"],
}


def fake_resolver(host: str, _port: int):
    if host not in DNS:
        raise OSError("no such host")
    return [ipaddress.ip_address(a) for a in DNS[host]]


@dataclass
class Message:
    id: uuid.UUID
    payload: dict


@dataclass
class Subscription:
    url: str
    secret: str


def test_new_secret_is_standard_webhooks_format():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_signature_verifies_with_the_reference_library():
    secret, body = new_secret(), b'{"type":"application.submitted"}'
    now = int(dt.datetime.now().timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(secret=secret, msg_id="msg_1", timestamp=now, body=body),
    }
    assert Webhook(secret).verify(body, headers) == {"type": "application.submitted"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


REFUSED = [
    ("http://hooks.example.id/x", "https"),  # public internet needs TLS
    ("ftp://hooks.example.id/x", "https"),
    ("javascript:alert(1)", "https"),
    ("https:///no-host", "valid"),
    ("https://hooks.example.id:99999/x", "valid"),
    ("https://user:secret@hooks.example.id/x", "user name"),
    ("https://user@hooks.example.id/x", "user name"),
    ("https://10.0.0.5/x", "internal"),
    ("https://172.16.3.4/x", "internal"),
    ("https://192.168.1.1/x", "internal"),
    ("https://127.0.0.1/x", "internal"),
    ("https://169.254.169.254/latest/meta-data/", "internal"),
    ("https://0.0.0.0/x", "internal"),
    ("https://100.64.0.1/x", "internal"),  # carrier-grade NAT
    ("https://224.0.0.1/x", "internal"),  # multicast
    ("https://240.0.0.1/x", "internal"),  # reserved
    ("https://[::1]/x", "internal"),
    ("https://[fd00::1]/x", "internal"),
    ("https://[fe80::1]/x", "internal"),
    ("https://[::ffff:10.0.0.1]/x", "internal"),  # IPv4-mapped
    ("https://[2002:a00:1::1]/x", "internal"),  # 6to4 around 10.0.0.1
    ("https://[64:ff9b::a00:1]/x", "internal"),  # NAT64 around 10.0.0.1
    ("https://internal.example.id/x", "internal"),  # a name resolving to a private address
    ("https://metadata.example.id/x", "internal"),
    ("https://split.example.id/x", "internal"),  # one bad address is enough
    ("https://nowhere.example.id/x", "resolve"),
    ("http://10.21.0.1/x", "internal"),  # outside the allowed range below
    ("http://10.20.0.1\r\nX-Evil: 1/x", "valid"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused_urls(url, reason):
    with pytest.raises(ValidationFailed) as refused:
        validate_webhook_url(url, allowed_private=["10.20.0.0/16"], resolver=fake_resolver)
    [error] = refused.value.errors
    assert error.field == "url"
    assert reason in error.message.en


ACCEPTED = [
    ("https://hooks.example.id/loket?x=1", []),
    ("https://hooks.example.id:8443/loket", []),
    ("https://93.184.216.34/loket", []),
    ("http://10.20.1.5:8080/hook", ["10.20.0.0/16"]),  # allowed by CIDR, plain http inside
    ("https://[::ffff:10.20.0.5]/hook", ["10.20.0.0/16"]),
    ("http://erp.internal/hook", ["erp.internal"]),  # allowed by host name
    ("http://127.0.0.1:8123/hook", ["127.0.0.1"]),
    ("https://[fd00::5]/hook", ["fd00::/8"]),
]


@pytest.mark.parametrize(("url", "allowed"), ACCEPTED)
def test_accepted_urls(url, allowed):
    validate_webhook_url(url, allowed_private=allowed, resolver=fake_resolver)


def test_real_resolver_sees_localhost_as_loopback():
    with pytest.raises(ValidationFailed):
        validate_webhook_url("https://localhost/x", allowed_private=[])
    validate_webhook_url("http://localhost:9/x", allowed_private=["localhost"])


def test_delivery_connects_to_the_checked_address_and_sends_the_host_name(receiver):
    """``hooks.loket.test`` exists only in the test resolver: the request can only have reached
    the receiver through the address that was checked, with the name in the Host header."""
    secret = new_secret()
    message = Message(uuid.uuid4(), {"type": "application.submitted", "data": {"x": 1}})
    url = f"http://hooks.loket.test:{receiver.port}/hook"
    deliver(
        message,
        Subscription(url, secret),
        timeout=5,
        allowed_private=["127.0.0.1"],
        resolver=fake_resolver,
    )
    [received] = receiver.requests
    assert received.headers["host"] == f"hooks.loket.test:{receiver.port}"
    assert received.webhook_id == str(message.id)
    assert received.verified(secret) == message.payload


def test_delivery_refuses_a_name_that_now_resolves_inside(receiver):
    subscription = Subscription("https://hooks.example.id/hook", new_secret())
    validate_webhook_url(subscription.url, allowed_private=[], resolver=fake_resolver)

    def rebound(host, port):
        return [ipaddress.ip_address("127.0.0.1")]

    with pytest.raises(DeliveryError) as refused:
        deliver(Message(uuid.uuid4(), {}), subscription, timeout=5, resolver=rebound)
    assert refused.value.permanent and "internal network" in str(refused.value)
    assert receiver.requests == []


def test_redirects_are_not_followed_and_error_bodies_are_capped(receiver):
    receiver.statuses = [302, 500]
    receiver.extra_headers = {"location": "http://169.254.169.254/latest/meta-data/"}
    receiver.answer_body = b"x" * 100_000
    subscription = Subscription(receiver.url, new_secret())
    with pytest.raises(DeliveryError) as redirected:
        deliver(Message(uuid.uuid4(), {}), subscription, timeout=5, allowed_private=["127.0.0.1"])
    assert str(redirected.value).startswith("HTTP 302")
    with pytest.raises(DeliveryError) as failed:
        deliver(Message(uuid.uuid4(), {}), subscription, timeout=5, allowed_private=["127.0.0.1"])
    assert str(failed.value).startswith("HTTP 500") and len(str(failed.value)) < 600
    assert len(receiver.requests) == 2


def _tls_pair(tmp_path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed certificate for ``name``, and a client trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


@pytest.mark.parametrize(
    ("cert_name", "delivered"), [("hooks.loket.test", True), ("other.loket.test", False)]
)
def test_tls_is_verified_against_the_host_name_while_pinned(tmp_path, cert_name, delivered):
    server_context, client_context = _tls_pair(tmp_path, cert_name)
    receiver = Receiver(ssl_context=server_context).start()
    try:
        subscription = Subscription(f"https://hooks.loket.test:{receiver.port}/hook", new_secret())
        attempt = lambda: deliver(  # noqa: E731
            Message(uuid.uuid4(), {"type": "t"}),
            subscription,
            timeout=5,
            allowed_private=["127.0.0.1"],
            resolver=fake_resolver,
            verify=client_context,
        )
        if delivered:
            attempt()
            assert receiver.requests[0].verified(subscription.secret) == {"type": "t"}
        else:
            with pytest.raises(DeliveryError, match="ConnectError"):
                attempt()
            assert receiver.requests == []
    finally:
        receiver.stop()
