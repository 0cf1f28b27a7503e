"""What every HTTP request passes first: its request id (``X-Request-ID``, app/logs.py), the
default response headers, the body cap, and (except the probes) the measurement of its status
and duration (its metrics and its log line).

One pure ASGI middleware does both, with everything that does not depend on the request
(the headers to add, the 413 answers in each language) built once per process: two separate
middlewares each wrapped ``send`` (and ``receive``) per request, a measurable share of a
request that does little else (``/healthz``, bench/api.py). A request that declares its
length within the cap is not counted: the server delivers exactly the declared bytes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from time import perf_counter
from typing import Any

from app import logs
from app.errors import Msg, PayloadTooLarge
from app.files.uploads import format_mb
from app.i18n import SUPPORTED, pick_language

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = Sequence[tuple[bytes, bytes]]
# Called once per answered request with its scope (the matched route is in it), its status
# and its duration in seconds.
Observe = Callable[[Scope, int, float], None]

PROBLEM_TYPE = f"urn:loket:problem:{PayloadTooLarge.slug}"
# nosniff everywhere; no-store unless a response chose its own caching (API answers carry
# personal data; public ones set their own).
DEFAULT_HEADERS: Headers = (
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)
REQUEST_ID = b"x-request-id"


# In HTTP/1.x a request without Content-Length or Transfer-Encoding has no body (RFC 9112,
# 6.3); in HTTP/2 it may still send one.
_NO_LENGTH_NO_BODY = frozenset({"1.0", "1.1"})


class _BodyTooLarge(Exception):
    """Raised from the wrapped ``receive`` once the body has passed the cap."""


class HttpFront:
    """Add ``DEFAULT_HEADERS`` to every HTTP response that lacks them, and answer 413
    problem+json to any request whose body exceeds ``max_body_bytes``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        observe: Observe | None = None,
        untimed: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.observe = observe
        self.untimed = untimed
        self._too_large = {lang: _too_large_answer(lang, max_body_bytes) for lang in SUPPORTED}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        logs.begin_request(_header(scope, REQUEST_ID))
        if self.observe is None or scope["path"] in self.untimed:
            await self.serve(scope, receive, send)
        else:
            await self.timed(scope, receive, send)

    async def timed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``serve``, then ``observe(scope, status, seconds)``: 500 if the app raised before
        answering (the server's error middleware, outside this one, answers it)."""
        started = perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.serve(scope, receive, send_noting_status)
        finally:
            assert self.observe is not None
            self.observe(scope, status, perf_counter() - started)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The headers and the body cap."""
        declared = _declared_length(scope)
        if declared is None:  # chunked, or HTTP/2 without a length: count what arrives
            await _CountedRequest(self, scope, receive, send).run()
            return
        if declared > self.max_body_bytes:
            # Refuse on the header alone: the body is never read.
            await self.refuse(scope, send)
            return

        async def send_with_defaults(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = self.with_defaults(message)
            await send(message)

        await self.app(scope, receive, send_with_defaults)

    def with_defaults(self, start: Message) -> Message:
        """The response start ``start`` with the default headers it does not set itself."""
        headers = start.get("headers") or ()
        # ASGI: response header names must be lowercased (Starlette does).
        present = [name for name, _ in headers]
        missing = [header for header in DEFAULT_HEADERS if header[0] not in present]
        request_id = logs.current_request_id()
        if request_id is not None and REQUEST_ID not in present:
            missing.append((REQUEST_ID, request_id.encode("ascii")))
        return {**start, "headers": [*headers, *missing]} if missing else start

    async def refuse(self, scope: Scope, send: Send) -> None:
        """Send the complete 413 answer, in the caller's language."""
        headers, body = self._too_large[_lang(scope)]
        start = self.with_defaults(
            {"type": "http.response.start", "status": 413, "headers": headers}
        )
        await send(start)
        await send({"type": "http.response.body", "body": body})


class _CountedRequest:
    """One request of unknown length: counts body bytes and, past the cap, replaces the app's
    answer with 413."""

    __slots__ = ("front", "scope", "_receive", "_send", "received", "exceeded", "started")

    def __init__(self, front: HttpFront, scope: Scope, receive: Receive, send: Send) -> None:
        self.front, self.scope, self._receive, self._send = front, scope, receive, send
        self.received = 0
        self.exceeded = False
        self.started = False

    async def run(self) -> None:
        try:
            await self.front.app(self.scope, self.receive, self.send)
        except Exception:
            # The app may wrap or re-raise our exception (FastAPI turns errors while parsing a
            # body into a 400), so any error after the cap means 413.
            if not self.exceeded or self.started:
                raise
        if self.exceeded and not self.started:
            await self.front.refuse(self.scope, self._send)

    async def receive(self) -> Message:
        if self.exceeded:
            raise _BodyTooLarge
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.front.max_body_bytes:
                self.exceeded = True
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.started:
            # Whatever the app answers to the interrupted body (often a 400 or 500), 413 wins.
            return
        if message["type"] == "http.response.start":
            self.started = True
            message = self.front.with_defaults(message)
        await self._send(message)


def _declared_length(scope: Scope) -> int | None:
    """The body length the server holds the request to, if the headers say it; None if only
    counting can tell (chunked, HTTP/2 without a length, a repeated or malformed length)."""
    declared = None
    # ASGI servers lowercase header names; a name they did not lowercase is only counted.
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            if declared is not None or not value.isdigit():
                return None  # the server rejects it; otherwise counting still applies
            declared = int(value)
        elif name == b"transfer-encoding":
            return None  # the chunks decide the length, whatever Content-Length says
    if declared is None and scope.get("http_version") in _NO_LENGTH_NO_BODY:
        return 0
    return declared


def _lang(scope: Scope) -> str:
    value = _header(scope, b"accept-language")
    return pick_language(value)


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == wanted:
            return value.decode("latin-1")
    return None


def _too_large_answer(lang: str, max_body_bytes: int) -> tuple[Headers, bytes]:
    """The 413 application/problem+json answer naming the cap in MB: headers and body."""
    mb = format_mb(max_body_bytes)
    detail = Msg(
        f"Isi permintaan melebihi batas {mb.replace('.', ',')} MB.",
        f"The request body exceeds the {mb} MB limit.",
    )
    body = json.dumps(
        {
            "type": PROBLEM_TYPE,
            "title": PayloadTooLarge.title.in_lang(lang),
            "status": 413,
            "detail": detail.in_lang(lang),
        },
        ensure_ascii=False,
    ).encode()
    headers = (
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        # The unread rest of the body makes the connection unusable for another request.
        (b"connection", b"close"),
        *DEFAULT_HEADERS,
    )
    return headers, body
