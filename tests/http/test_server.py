"""`loket serve` as a client meets it: a real server process on a free port, spoken to over raw
sockets, so what is tested is what uvicorn and its HTTP parser do, not what the app would do."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.config import Settings
from app.http.server import server_options
from tests.live import free_port

LOKET = Path(sys.executable).with_name("loket")


@contextmanager
def loket_serve(
    data_dir: Path, *, workers: int = 1, start_seconds: float = 60, **env: str
) -> Iterator[int]:
    """`loket serve` on SQLite in ``data_dir`` with ``env`` (LOKET_ settings); yields its port
    once a worker answers (``start_seconds`` at most)."""
    port = free_port()
    log = (data_dir.parent / f"serve-{port}.log").open("wb")
    settings = {
        "LOKET_DATA_DIR": str(data_dir),
        "LOKET_PASSWORD_MEMORY_KIB": "1024",
        "LOKET_PASSWORD_TIME_COST": "1",
        **env,
    }
    # The test's own environment may point at another database or trust other proxies.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOKET_", "FORWARDED_", "PROMETHEUS_"))
    }
    server = subprocess.Popen(
        [
            str(LOKET),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**clean, **settings},
        cwd=data_dir.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(port, server, data_dir.parent / f"serve-{port}.log", start_seconds)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait_until_up(port: int, server: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds  # migrations and keys on first start; CI may be busy
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"loket serve exited:\n{log.read_text()}")
        try:
            if exchange(port, request("/healthz")).startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"loket serve did not answer:\n{log.read_text()}")


def request(path: str, headers: list[tuple[str, str]] = (), method: str = "GET", body=b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        # The server may answer and close before it has read everything.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(data)
        return _read_all(conn)


def _read_all(conn: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := conn.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass  # unread request bytes make the kernel reset the connection after the answer
    return answer


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


# --- header limits (issue 11, item 3) ---------------------------------------------------------

MAX_HEADER_BYTES = 8192
MAX_HEADER_COUNT = 40


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory) -> Iterator[int]:
    data = tmp_path_factory.mktemp("serve") / "data"
    with loket_serve(
        data,
        LOKET_MAX_HEADER_BYTES=str(MAX_HEADER_BYTES),
        LOKET_MAX_HEADER_COUNT=str(MAX_HEADER_COUNT),
    ) as port:
        yield port


def test_headers_within_the_limits_are_served(limited_server):
    near_limit = [("X-Filler", "a" * (MAX_HEADER_BYTES - 500))]
    many = [(f"X-H{i}", "1") for i in range(MAX_HEADER_COUNT - 5)]
    assert status(exchange(limited_server, request("/healthz", near_limit))) == 200
    assert status(exchange(limited_server, request("/healthz", many))) == 200


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Big", "a" * (MAX_HEADER_BYTES + 1))],  # one large header
        [(f"X-H{i}", "b" * 200) for i in range(MAX_HEADER_COUNT - 1)],  # many, small, too large
        [(f"X-H{i}", "1") for i in range(MAX_HEADER_COUNT + 1)],  # too many, tiny
    ],
    ids=["one-large", "sum-too-large", "too-many"],
)
def test_oversized_headers_are_refused_with_431(limited_server, headers):
    answer = exchange(limited_server, request("/healthz", headers))
    assert status(answer) == 431, answer[:300]
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower()
    assert b"urn:loket:problem:request-header-fields-too-large" in body


def test_an_endless_header_is_refused_before_it_ends(limited_server):
    """The probe's 50 MB header: the server answers while the client is still sending, having
    read only about the limit (it never buffers the whole header)."""
    with socket.create_connection(("127.0.0.1", limited_server), timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
        answered = _send_until_answered(conn, lambda: b"a" * 65536, limit=64 * 1024 * 1024)
        assert answered, "64 MiB of one header were accepted without an answer"
        assert status(_read_all(conn)) == 431


def _send_until_answered(conn: socket.socket, chunk: Callable[[], bytes], *, limit: int) -> bool:
    """Send chunks until the server answers or closes (True) or ``limit`` bytes went (False)."""
    sent = 0
    while sent < limit:
        readable, _, _ = select.select([conn], [], [], 0)
        if readable:
            return True
        try:
            conn.sendall(chunk())
        except (BrokenPipeError, ConnectionResetError):
            return True
        sent += 65536
    return False


# --- client addresses and proxies (issue 11, item 9) ------------------------------------------

LIMITS = {"LOKET_PUBLIC_RATE_LIMIT_PER_MINUTE": "3", "LOKET_LOGIN_FREE_FAILURES": "1"}
# Enough requests that one fixed window holds more than the limit even if a minute turns.
ATTEMPTS = 8


def forwarded(i: int) -> list[tuple[str, str]]:
    return [("X-Forwarded-For", f"203.0.113.{i}")]


def verify_statuses(port: int) -> list[int]:
    return [
        status(exchange(port, request("/api/v1/verify/NOSUCHCODE", forwarded(i))))
        for i in range(ATTEMPTS)
    ]


def login_statuses(port: int) -> list[int]:
    """Failed password logins, each for another account and from another forwarded address."""
    statuses = []
    for i in range(ATTEMPTS):
        body = f"grant_type=password&username=nobody{i}@example.id&password=wrong".encode()
        headers = [*forwarded(i), ("Content-Type", "application/x-www-form-urlencoded")]
        statuses.append(status(exchange(port, request("/oauth/token", headers, "POST", body))))
    return statuses


def counted_addresses(data_dir: Path) -> set[str]:
    """The addresses the login throttle and the rate limits counted."""
    with sqlite3.connect(data_dir / "loket.db") as db:
        keys = [row[0] for row in db.execute("SELECT key FROM login_throttle")]
        keys += [row[0] for row in db.execute("SELECT key FROM rate_limits")]
    return {key.split(":", 1)[1] for key in keys if key.startswith(("ip:", "verify:"))}


def test_forwarded_addresses_are_not_believed_by_default(tmp_path):
    """From loopback with a new X-Forwarded-For on every request, the per-address limits of
    public verification and of logins still hold: the address is the socket's."""
    data = tmp_path / "data"
    with loket_serve(data, **LIMITS) as port:
        verify = verify_statuses(port)
        logins = login_statuses(port)
    assert verify[:3] == [404, 404, 404] and 429 in verify
    assert logins[0] == 400 and 429 in logins
    assert counted_addresses(data) == {"127.0.0.1"}


def test_forwarded_addresses_from_a_configured_proxy_are_used(tmp_path):
    data = tmp_path / "data"
    with loket_serve(data, **LIMITS, LOKET_FORWARDED_ALLOW_IPS="127.0.0.1") as port:
        verify = verify_statuses(port)
        logins = login_statuses(port)
    assert verify == [404] * ATTEMPTS
    assert logins == [400] * ATTEMPTS
    assert counted_addresses(data) == {f"203.0.113.{i}" for i in range(ATTEMPTS)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("10.0.0.5", ["10.0.0.5"]),
        (" 10.0.0.5 , 10.1.0.0/16 ", ["10.0.0.5", "10.1.0.0/16"]),
        ('["10.0.0.5", "fd00::/8"]', ["10.0.0.5", "fd00::/8"]),
    ],
)
def test_trusted_proxies_are_read_as_a_list(monkeypatch, raw, expected):
    monkeypatch.setenv("LOKET_FORWARDED_ALLOW_IPS", raw)
    settings = Settings(_env_file=None)
    options = server_options(settings, host="127.0.0.1", port=8000, workers=1)
    assert options["forwarded_allow_ips"] == expected
    assert options["proxy_headers"] is bool(expected)


def test_a_misspelt_proxy_address_stops_the_start(monkeypatch):
    monkeypatch.setenv("LOKET_FORWARDED_ALLOW_IPS", "10.0.0.5,balancer.local")
    with pytest.raises(ValueError, match="balancer.local"):
        Settings(_env_file=None)
