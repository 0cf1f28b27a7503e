"""Webhooks the Standard Webhooks way (standardwebhooks.com): signing, safe targets, delivery.

Every request carries ``webhook-id`` (the outbox message id, stable across retries, so receivers
can drop repeats), ``webhook-timestamp`` (unix seconds of this attempt) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with the secret's bytes).

Target rules (server-side request forgery): https only; no user:password in the URL; every
address the host resolves to must be public (not private, loopback, link-local, multicast,
reserved, CGNAT, unspecified, nor an IPv6 form embedding such an IPv4 address) unless the
operator allows it in ``webhook_allowed_private`` (host names, or CIDR ranges such as
``10.20.0.0/16``). Plain http is accepted only for such allowed internal targets, where TLS is
often not deployed; the public internet always needs https. The rules are checked when a
subscription is made and again at every delivery, and the delivery connects to the very address
that was checked (the host name still goes in ``Host`` and in TLS SNI, and the certificate is
verified against it), so a DNS answer that changes in between (rebinding) gains nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from app.errors import Msg, invalid

SECRET_PREFIX = "whsec_"
USER_AGENT = "Loket-Webhooks/1"
ERROR_BODY_BYTES = 512  # kept from a failed response for last_error; the rest is never read
NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[IPAddress]]


class HasPayload(Protocol):
    id: Any
    payload: dict


class HasTarget(Protocol):
    url: str
    secret: str


class DeliveryError(Exception):
    """The receiver did not take the message; ``permanent`` means retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class UnsafeURL(Exception):
    """A target refused by the rules above; ``temporary`` for a host that did not resolve."""

    def __init__(self, message: Msg, *, temporary: bool = False) -> None:
        super().__init__(message.en)
        self.message = message
        self.temporary = temporary


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(*, secret: str, msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (the system resolver, as the connection would use)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: dict[IPAddress, None] = {}
    for info in infos:
        found[ipaddress.ip_address(str(info[4][0]).split("%")[0])] = None  # drop a scope id
    return list(found)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, Teredo client, NAT64)."""
    if ip.version == 4:
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None


def is_public_address(ip: IPAddress) -> bool:
    """Routable on the public internet, and not hiding a non-public IPv4 address."""
    inner = _embedded_ipv4(ip)
    if inner is not None and not is_public_address(inner):
        return False
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class AllowList:
    """``webhook_allowed_private``: host names (exact, case-insensitive) and CIDR ranges."""

    hosts: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    def permits(self, host: str, ip: IPAddress) -> bool:
        if host in self.hosts:
            return True
        candidates = [a for a in (ip, _embedded_ipv4(ip)) if a is not None]
        return any(
            a in net for a in candidates for net in self.networks if net.version == a.version
        )


@lru_cache(maxsize=32)
def allow_list(entries: tuple[str, ...]) -> AllowList:
    hosts, networks = set(), []
    for entry in (e.strip().lower() for e in entries if e.strip()):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.rstrip("."))
    return AllowList(frozenset(hosts), tuple(networks))


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress
    host_is_ip: bool

    def pinned_url(self) -> httpx.URL:
        return httpx.URL(self.url).copy_with(host=str(self.address), fragment=None)

    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def _refuse(id_text: str, en_text: str, *, temporary: bool = False) -> UnsafeURL:
    return UnsafeURL(Msg(id_text, en_text), temporary=temporary)


def _split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a well-formed http(s) URL without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("URL tidak valid", "Not a valid URL") from None
    if parts.scheme not in ("https", "http"):
        raise _refuse("URL harus memakai https://", "The URL must use https://")
    if "@" in parts.netloc:
        raise _refuse(
            "URL tidak boleh memuat nama pengguna atau sandi",
            "The URL must not contain a user name or password",
        )
    if not parts.hostname or len(url) > 2000 or re.search(r"[\s\x00-\x1f]", url):
        raise _refuse("URL tidak valid", "Not a valid URL")
    default_port = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.rstrip("."), port or default_port


def _addresses(host: str, port: int, resolver: Resolver) -> tuple[list[IPAddress], bool]:
    try:
        return [ipaddress.ip_address(host)], True
    except ValueError:
        pass
    try:
        found = resolver(host, port)
    except (OSError, UnicodeError):
        found = []
    if not found:
        raise _refuse(
            "Nama host tidak dapat di-resolve", "The host name does not resolve", temporary=True
        )
    return found, False


def check_target(
    url: str, *, allowed_private: Iterable[str], resolver: Resolver = resolve
) -> Target:
    """Apply the target rules (module docstring); raise UnsafeURL or return where to connect."""
    scheme, host, port = _split(url)
    addresses, host_is_ip = _addresses(host, port, resolver)
    allowed = allow_list(tuple(allowed_private))
    for ip in addresses:
        if not is_public_address(ip) and not allowed.permits(host, ip):
            raise _refuse(
                f"Alamat {ip} adalah jaringan internal yang tidak diizinkan",
                f"Address {ip} is an internal network that is not allowed",
            )
    if scheme == "http" and not all(allowed.permits(host, ip) for ip in addresses):
        raise _refuse("URL harus memakai https://", "The URL must use https://")
    return Target(url, scheme, host, port, addresses[0], host_is_ip)


def validate_webhook_url(
    url: str, *, allowed_private: Iterable[str], resolver: Resolver = resolve
) -> None:
    """Refuse (ValidationFailed on field ``url``) a subscription URL the rules forbid."""
    try:
        check_target(url, allowed_private=allowed_private, resolver=resolver)
    except UnsafeURL as error:
        raise invalid("url", error.message.id, error.message.en) from None


@lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """Built once: creating a context (loading the CA bundle) costs milliseconds."""
    return httpx.create_ssl_context()


def deliver(
    message: HasPayload,
    subscription: HasTarget,
    *,
    timeout: float,
    allowed_private: Iterable[str] = (),
    resolver: Resolver = resolve,
    verify: ssl.SSLContext | None = None,
) -> None:
    """POST one signed message; return on 2xx, raise DeliveryError otherwise (no redirects)."""
    try:
        target = check_target(subscription.url, allowed_private=allowed_private, resolver=resolver)
    except UnsafeURL as error:
        raise DeliveryError(str(error), permanent=not error.temporary) from None
    body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": target.host_header(),
        **signed_headers(
            secret=subscription.secret,
            msg_id=str(message.id),
            body=body,
            timestamp=int(time.time()),
        ),
    }
    _post(target, body=body, headers=headers, timeout=timeout, verify=verify)


def _post(
    target: Target, *, body: bytes, headers: dict, timeout: float, verify: ssl.SSLContext | None
) -> None:
    # One client per delivery: pooled connections are keyed by address, and a connection
    # opened (and its certificate checked) for one host name must never carry another's request.
    extensions = {} if target.host_is_ip else {"sni_hostname": target.host}
    with httpx.Client(
        verify=verify or default_ssl_context(),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    ) as client:
        try:
            with client.stream(
                "POST", target.pinned_url(), content=body, headers=headers, extensions=extensions
            ) as response:
                if 200 <= response.status_code < 300:
                    return
                raise DeliveryError(f"HTTP {response.status_code}: {_start_of(response)}")
        except httpx.HTTPError as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None


def _start_of(response: httpx.Response) -> str:
    """The first bytes of an error answer, as one printable line."""
    taken = b""
    try:
        for chunk in response.iter_raw():
            taken += chunk
            if len(taken) >= ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass
    text = taken[:ERROR_BODY_BYTES].decode("utf-8", "replace")
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
