"""Delivering the outbox: claim with a lease, deliver outside any transaction, record the result.

A claim is one short transaction that leases due messages to this worker (``locked_until``) and
counts the attempt; on PostgreSQL it uses ``FOR UPDATE SKIP LOCKED``, so concurrent workers
never claim the same message, and on SQLite the write transaction (``BEGIN IMMEDIATE``)
serialises claims. Delivery then happens with no transaction open; each result is recorded in
its own short transaction. A worker that dies mid-delivery holds its messages only until the
lease ends; another worker then delivers them again (at least once: receivers deduplicate on
``webhook-id``). Nothing here runs in a request, so a slow or failing receiver never slows one.

A message is only started while its lease has at least ``webhook_timeout_seconds`` left (the
rest of the batch is handed back), and once a subscription fails, its other messages in the
batch are put off instead of each waiting for the same timeout.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

from app import logs
from app.config import Settings
from app.db import Engine, Row, transaction
from app.models.base import utcnow
from app.notifications import email, repository, webhooks

log = logging.getLogger("loket.outbox")

MAX_ERROR_CHARS = 1000  # the column's size
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Outcome:
    error: str | None = None
    permanent: bool = False


class Dispatcher:
    """Delivers due outbox messages; safe to run in several threads and processes at once."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        jitter: float = 0.1,
        resolver: webhooks.Resolver = webhooks.resolve,
        send_mail: Callable[[EmailMessage], None] | None = None,
    ) -> None:
        self.engine, self.settings, self.clock, self.jitter = engine, settings, clock, jitter
        self.timeout = settings.webhook_timeout_seconds
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        self.resolver = resolver
        self.send_mail = send_mail or partial(email.send, settings=settings, timeout=self.timeout)
        if self.lease.total_seconds() < 2 * self.timeout:
            log.warning(
                "outbox lease (%ss) under twice the delivery timeout (%ss): slow "
                "receivers will see repeats",
                self.lease.total_seconds(),
                self.timeout,
            )

    def run_once(self, batch: int = 50, *, stop: threading.Event | None = None) -> int:
        """Claim up to ``batch`` due messages and try each once; returns how many were tried."""
        claimed, targets = self._claim(batch)
        failing: set[uuid.UUID] = set()
        tried = 0
        for index, message in enumerate(claimed):
            if (stop is not None and stop.is_set()) or self._lease_left(message) < self.timeout:
                self._release(claimed[index:], retry_at=self.clock())
                break
            if message.subscription_id in failing:
                self._release([message], retry_at=self._retry_at(1))
                continue
            with logs.job_context():  # the id of this delivery's log lines
                started = time.perf_counter()
                outcome = self._attempt(message, targets)
                if outcome.error and message.subscription_id:
                    failing.add(message.subscription_id)
                self._record(message, outcome, seconds=time.perf_counter() - started)
            tried += 1
        return tried

    def run_forever(
        self,
        stop: threading.Event,
        idle_sleep: float = 1.0,
        *,
        batch: int = 50,
        between_rounds: Callable[[], None] = lambda: None,
    ) -> None:
        """Deliver until ``stop`` is set, polling every ``idle_sleep`` seconds when idle, and
        calling ``between_rounds`` after each round (the process's background jobs)."""
        while not stop.is_set():
            try:
                tried = self.run_once(batch, stop=stop)
            except Exception:  # e.g. the database restarting: keep the worker alive, try again
                log.exception("outbox: a delivery round failed")
                tried = 0
            between_rounds()
            if tried == 0:
                stop.wait(idle_sleep)

    def _claim(self, batch: int) -> tuple[list[Row], dict[uuid.UUID, Row]]:
        now = self.clock()
        with transaction(self.engine, write=False) as session:
            if not repository.any_due(session, now=now):
                return [], {}
        with transaction(self.engine) as session:
            claimed = repository.claim_due(
                session, now=now, lease_until=now + self.lease, batch=batch
            )
            ids = {m.subscription_id for m in claimed if m.subscription_id}
            return claimed, repository.delivery_targets(session, ids)

    def _lease_left(self, message: Row) -> float:
        return (message.locked_until - self.clock()).total_seconds()

    def _attempt(self, message: Row, targets: dict[uuid.UUID, Row]) -> Outcome:
        try:
            if message.kind == "webhook":
                self._deliver_webhook(message, targets.get(message.subscription_id))
            elif message.kind == "email":
                self.send_mail(
                    email.build_message(
                        message.payload,
                        recipient=message.recipient,
                        message_id=str(message.id),
                        settings=self.settings,
                    )
                )
            else:
                return Outcome(f"unknown message kind {message.kind!r}", permanent=True)
        except webhooks.DeliveryError as error:
            return Outcome(str(error), permanent=error.permanent)
        except email.PermanentMailError as error:
            return Outcome(str(error), permanent=True)
        except Exception as error:  # one broken message must not stop the others
            return Outcome(f"{type(error).__name__}: {error}")
        return Outcome()

    def _deliver_webhook(self, message: Row, target: Row | None) -> None:
        if target is None or not target.active:
            raise webhooks.DeliveryError("subscription or client no longer active", permanent=True)
        webhooks.deliver(
            message,
            target,
            timeout=self.timeout,
            allowed_private=self.settings.webhook_allowed_private,
            resolver=self.resolver,
        )

    def _record(self, message: Row, outcome: Outcome, *, seconds: float) -> None:
        fields = {
            "job": "outbox",
            "kind": message.kind,
            "message_id": str(message.id),
            "attempt": message.attempts,
            "duration_ms": round(seconds * 1000, 2),
        }
        with transaction(self.engine) as session:
            if outcome.error is None:
                repository.mark_sent(session, message_id=message.id, now=self.clock())
                if message.kind == "email" and email.SECRET_FIELDS & message.payload.keys():
                    repository.forget_payload_fields(
                        session,
                        message_id=message.id,
                        payload=message.payload,
                        fields=email.SECRET_FIELDS,
                    )
            else:
                give_up = outcome.permanent or message.attempts >= self.settings.outbox_max_attempts
                repository.mark_failed(
                    session,
                    message_id=message.id,
                    attempts=message.attempts,
                    error=outcome.error[:MAX_ERROR_CHARS],
                    retry_at=None if give_up else self._retry_at(message.attempts),
                )
        if outcome.error is None:
            log.info(
                "outbox: %s %s sent", message.kind, message.id, extra={**fields, "status": "sent"}
            )
            return
        # E-mail server answers may quote the recipient's address: only last_error keeps them.
        shown = outcome.error if message.kind == "webhook" else "see last_error"
        log.warning(
            "outbox: %s %s attempt %d failed%s: %s",
            message.kind,
            message.id,
            message.attempts,
            " (dead)" if give_up else "",
            shown,
            extra={**fields, "status": "dead" if give_up else "failed"},
        )

    def _retry_at(self, attempts: int) -> datetime:
        delay = self.settings.outbox_backoff_seconds * 2 ** min(attempts - 1, 30)
        delay *= 1 + random.uniform(0, self.jitter)  # spread retries of a burst apart
        return self.clock() + min(timedelta(seconds=delay), MAX_BACKOFF)

    def _release(self, messages: list[Row], *, retry_at: datetime) -> None:
        with transaction(self.engine) as session:
            for message in messages:
                repository.release(
                    session, message_id=message.id, attempts=message.attempts, retry_at=retry_at
                )


@contextmanager
def embedded(
    engine: Engine,
    settings: Settings,
    *,
    between_rounds: Callable[[], None] = lambda: None,
    **options: Any,
) -> Iterator[threading.Thread | None]:
    """Deliver from a thread of this process while the block runs (embedded deployments), and
    run ``between_rounds`` (the background jobs) in the same thread."""
    if not settings.dispatcher_in_process:
        yield None
        return
    stop = threading.Event()
    dispatcher = Dispatcher(engine, settings, **options)
    thread = threading.Thread(
        target=dispatcher.run_forever,
        args=(stop,),
        kwargs={"between_rounds": between_rounds},
        name="loket-outbox",
        daemon=True,
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=settings.webhook_timeout_seconds + 5)
