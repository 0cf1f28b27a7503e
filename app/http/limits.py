"""A request-body size limit enforced while the body streams in, before any parser sees it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.errors import Msg, PayloadTooLarge
from app.files.uploads import format_mb
from app.i18n import pick_language

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PROBLEM_TYPE = f"urn:loket:problem:{PayloadTooLarge.slug}"


class _BodyTooLarge(Exception):
    """Raised from the wrapped ``receive`` once the body has passed the limit."""


class BodySizeLimitMiddleware:
    """Answer 413 problem+json to any HTTP request whose body exceeds ``max_body_bytes``."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            # Refuse on the header alone: the body is never read.
            await send_payload_too_large(scope, send, max_body_bytes=self.max_body_bytes)
            return
        await _LimitedRequest(self, scope, receive, send).run()


class _LimitedRequest:
    """One request: counts body bytes and, past the limit, replaces the app's answer with 413."""

    def __init__(self, owner: BodySizeLimitMiddleware, scope: Scope, receive: Receive, send: Send):
        self.owner, self.scope, self._receive, self._send = owner, scope, receive, send
        self.received = 0
        self.exceeded = False
        self.response_started = False

    async def run(self) -> None:
        try:
            await self.owner.app(self.scope, self.receive, self.send)
        except Exception:
            # The app may wrap or re-raise our exception (Starlette's ServerErrorMiddleware
            # re-raises after trying to send a 500), so any error after the limit means 413.
            if not self.exceeded or self.response_started:
                raise
        if self.exceeded and not self.response_started:
            await send_payload_too_large(
                self.scope, self._send, max_body_bytes=self.owner.max_body_bytes
            )

    async def receive(self) -> Message:
        if self.exceeded:
            raise _BodyTooLarge
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.owner.max_body_bytes:
                self.exceeded = True
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.response_started:
            # Whatever the app answers to the interrupted body (often a 500), the 413 wins.
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                # Malformed: the server rejects it; otherwise counting still applies.
                return None
    return None


def _lang(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == b"accept-language":
            return pick_language(value.decode("latin-1"))
    return pick_language(None)


async def send_payload_too_large(scope: Scope, send: Send, *, max_body_bytes: int) -> None:
    """Send a complete 413 application/problem+json response naming the limit in MB."""
    mb = format_mb(max_body_bytes)
    detail = Msg(
        f"Isi permintaan melebihi batas {mb.replace('.', ',')} MB.",
        f"The request body exceeds the {mb} MB limit.",
    )
    lang = _lang(scope)
    body = json.dumps(
        {
            "type": PROBLEM_TYPE,
            "title": PayloadTooLarge.title.in_lang(lang),
            "status": 413,
            "detail": detail.in_lang(lang),
        },
        ensure_ascii=False,
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        # The unread rest of the body makes the connection unusable for another request.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
