"""How `loket serve` runs uvicorn: the options it passes, and a bound on request heads.

uvicorn[standard] parses HTTP/1.1 with httptools (llhttp), which has no limit on the request
line and headers: it joins the pieces of one header value as they arrive and uvicorn keeps
every header in a list, so a client could make a worker buffer 50 MB before any route or
authentication ran. uvicorn bounds only its pure-Python h11 parser
(``h11_max_incomplete_event_size``, answered with a 400), several times slower than httptools
on every request. ``BoundedHttpTools`` keeps httptools and counts the head itself:

- while a head is incomplete, the bytes received for it; past ``LOKET_MAX_HEADER_BYTES`` the
  connection is refused before the rest arrives, so a worker holds at most the limit plus one
  read (256 KiB) per connection;
- once each header is parsed, the head's exact size and ``LOKET_MAX_HEADER_COUNT``.

Either refusal is a 431 problem+json answer and the connection is closed.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from app.config import Settings
from app.errors import Msg
from app.http.front import DEFAULT_HEADERS
from app.i18n import pick_language
from app.logs import logging_config

log = logging.getLogger("loket")

APP = "app.main:create_app"
# Each header costs its name, its value and ": " plus CRLF on the wire.
HEADER_OVERHEAD = 4
WORKER_PING_SECONDS = 30
TOO_LARGE_TYPE = "urn:loket:problem:request-header-fields-too-large"


def server_options(settings: Settings, *, host: str, port: int, workers: int) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` for `loket serve`."""
    trusted = settings.forwarded_allow_ips
    return {
        "app": APP,
        "factory": True,  # each worker builds its app from Settings()
        "host": host,
        "port": port,
        "workers": workers,
        "http": BoundedHttpTools,
        # X-Forwarded-For and -Proto only from the configured proxies; with none, the client
        # address is the socket's peer (uvicorn's own default trusts 127.0.0.1).
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": list(trusted),
        "log_level": "info",
        # Loket's own format in every worker; its per-request lines replace the access log.
        "log_config": logging_config(settings.log_format),
        "access_log": False,
        # uvicorn kills a worker that does not answer its supervisor's ping within this time;
        # the default 5 s is less than a worker's start-up (imports, keys) on a busy machine.
        "timeout_worker_healthcheck": WORKER_PING_SECONDS,
    }


@cache
def _limits() -> tuple[int, int]:
    """(bytes, count), read once per worker process, from the settings the app reads."""
    settings = Settings()
    return settings.max_header_bytes, settings.max_header_count


class _HeadTooLarge(Exception):
    """Raised from a parser callback: httptools stops parsing and uvicorn answers 400, which
    ``send_400_response`` turns into our 431."""


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on each request's line and headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes, self.max_header_count = _limits()
        self.in_head = True  # between requests, or reading a request line and headers
        self.head_bytes = 0  # received while in_head: an upper bound of the head's size
        self.header_bytes = 0  # of the headers parsed so far: exact
        self.too_large: str | None = None

    def data_received(self, data: bytes) -> None:
        if self.too_large is not None:
            return
        # A read that completes the head may also hold body bytes; the count restarts when the
        # head completes, so only a head that is still incomplete is judged by it.
        if self.in_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.in_head and self.head_bytes > self.max_head_bytes and self.too_large is None:
            self.too_large = "size"
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_head_bytes:
            self._stop("size")

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self.header_bytes += len(name) + len(value) + HEADER_OVERHEAD
        if len(self.headers) > self.max_header_count:
            self._stop("count")
        if len(self.url) + self.header_bytes > self.max_head_bytes:
            self._stop("size")

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_head = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self.too_large is None:
            super().send_400_response(msg)
        else:
            self._refuse()

    def _stop(self, reason: str) -> None:
        self.too_large = reason
        raise _HeadTooLarge(reason)

    def _refuse(self) -> None:
        host, port = self.client or ("client", 0)
        log.warning("%s:%d - request head refused (too many or too large headers)", host, port)
        self.transport.write(_answer_431(self.server_state.default_headers))
        self.transport.close()


def _answer_431(server_headers: list[tuple[bytes, bytes]]) -> bytes:
    """The whole 431 response. In the default language: the head was not read to the end,
    so its Accept-Language is unknown."""
    lang = pick_language(None)
    body = json.dumps(
        {
            "type": TOO_LARGE_TYPE,
            "title": Msg(
                "Kolom header permintaan terlalu besar", "Request header fields too large"
            ).in_lang(lang),
            "status": 431,
            "detail": Msg(
                "Header permintaan terlalu banyak atau terlalu besar.",
                "The request has too many or too large header fields.",
            ).in_lang(lang),
        },
        ensure_ascii=True,
    ).encode()
    headers = [
        *server_headers,
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *DEFAULT_HEADERS,
    ]
    head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    return STATUS_LINE[431] + head + b"\r\n" + body
