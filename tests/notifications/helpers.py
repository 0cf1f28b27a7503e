"""Real parts for the delivery tests: an HTTP receiver on 127.0.0.1, subscriptions, a clock."""

from __future__ import annotations

import ssl
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import Engine, select
from standardwebhooks import Webhook

from app.db import transaction
from app.models import OAuthClient, OutboxMessage, WebhookSubscription
from app.models.base import utcnow
from app.notifications.webhooks import new_secret


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> dict:
        """The JSON body, after the standardwebhooks library checked the signature."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Answers POSTs with scripted statuses (then 204), optionally hanging on the first one."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, delay: float = 0.0):
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.always: int | None = None
        self.answer_body = b""
        self.extra_headers: dict[str, str] = {}
        self.hang_first = False
        self.release = threading.Event()
        self.delay = delay
        self._arrived = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if ssl_context is not None:
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if ssl_context else "http"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def _answer(self, received: Received) -> int:
        with self._arrived:
            self.requests.append(received)
            first = len(self.requests) == 1
            self._arrived.notify_all()
            status = self.statuses.pop(0) if self.statuses else (self.always or 204)
        if first and self.hang_first:
            self.release.wait(60)
        elif self.delay:
            self.release.wait(self.delay)
        return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver._answer(Received(self.path, headers, body))
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(receiver.answer_body)))
                self.end_headers()
                self.wfile.write(receiver.answer_body)

            def log_message(self, *_args) -> None:
                pass

        return Handler


def subscribe(
    engine: Engine,
    url: str,
    patterns: tuple[str, ...] = ("*",),
    *,
    active: bool = True,
    client_active: bool = True,
) -> WebhookSubscription:
    """An OAuth client and its subscription, inserted directly (the API is another module)."""
    with transaction(engine) as session:
        client = OAuthClient(
            client_id=f"sistem-{uuid.uuid4().hex[:8]}",
            name="Sistem uji",
            secret_hash="not-used-here",
            scopes="applications:read",
            is_active=client_active,
        )
        session.add(client)
        session.flush()
        subscription = WebhookSubscription(
            client_id=client.id,
            url=url,
            event_types=list(patterns),
            secret=new_secret(),
            is_active=active,
        )
        session.add(subscription)
    return subscription


def messages(engine: Engine, *, kind: str | None = None) -> list[OutboxMessage]:
    with transaction(engine, write=False) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.created_at)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.execute(query).scalars().all())


def put_messages(engine: Engine, subscription: WebhookSubscription, count: int) -> list[str]:
    """``count`` webhook messages straight into the outbox; returns their ids."""
    with transaction(engine) as session:
        rows = [
            OutboxMessage(
                kind="webhook",
                subscription_id=subscription.id,
                event_type="application.submitted",
                payload={"type": "application.submitted", "n": n},
            )
            for n in range(count)
        ]
        session.add_all(rows)
    return [str(row.id) for row in rows]


class Clock:
    """Now, plus however far a test has moved time forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)
