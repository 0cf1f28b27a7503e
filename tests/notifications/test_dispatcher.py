"""Delivery: retries with backoff, dead messages, leases, concurrent and killed workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from app.cli import cli
from app.db import transaction
from app.main import create_app
from app.models import OutboxMessage, WebhookSubscription
from app.notifications.dispatcher import Dispatcher
from tests.live import free_port
from tests.notifications.helpers import Receiver, messages, put_messages, subscribe
from tests.test_logs import captured_logs, parsed

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def loket(settings, monkeypatch):
    """Run `loket ...` against this test's database."""
    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LOKET_WEBHOOK_ALLOWED_PRIVATE", '["127.0.0.1"]')
    return lambda *args: runner.invoke(cli, list(args))


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/hook"


def test_a_receiver_failing_twice_gets_the_message_later(world, receiver, clock):
    engine, settings = world.runtime.engine, world.runtime.settings
    subscription = subscribe(engine, receiver.url, ("application.submitted",))
    receiver.statuses = [500, 500]
    world.submitted(world.user("citizen"))
    dispatcher = Dispatcher(engine, settings, clock=clock)

    assert dispatcher.run_once() == 1
    [message] = messages(engine)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error.startswith("HTTP 500")
    assert dispatcher.run_once() == 0  # not due before its backoff
    for attempt, backoff in ((2, 1), (3, 2)):
        clock.advance(settings.outbox_backoff_seconds * backoff * 1.11)
        assert dispatcher.run_once() == 1
        [message] = messages(engine)
        assert message.attempts == attempt
    assert message.status == "sent" and message.sent_at is not None
    assert message.last_error is None and message.locked_until is None
    assert len(receiver.requests) == 3
    assert {r.webhook_id for r in receiver.requests} == {str(message.id)}
    for received in receiver.requests:
        assert received.verified(subscription.secret)["type"] == "application.submitted"


@pytest.fixture
def log_lines():
    yield from captured_logs()


def test_each_delivery_logs_one_structured_line(world, receiver, clock, log_lines):
    engine, settings = world.runtime.engine, world.runtime.settings
    subscribe(engine, receiver.url, ("application.submitted",))
    receiver.statuses = [500]
    world.submitted(world.user("citizen"))
    dispatcher = Dispatcher(engine, settings, clock=clock)
    assert dispatcher.run_once() == 1
    clock.advance(settings.outbox_backoff_seconds * 1.11)
    assert dispatcher.run_once() == 1

    [message] = messages(engine)
    failed, sent = [line for line in parsed(log_lines) if line["logger"] == "loket.outbox"]
    assert (failed["status"], failed["attempt"], failed["level"]) == ("failed", 1, "warning")
    assert (sent["status"], sent["attempt"], sent["level"]) == ("sent", 2, "info")
    for line in (failed, sent):
        assert (line["job"], line["kind"], line["message_id"]) == (
            "outbox",
            "webhook",
            str(message.id),
        )
        assert line["duration_ms"] >= 0
    assert failed["request_id"] != sent["request_id"]


def test_dead_after_max_attempts_listed_and_resent_by_the_cli(world, receiver, clock, loket):
    engine = world.runtime.engine
    receiver.always = 503
    subscription = subscribe(engine, receiver.url)
    ids = put_messages(engine, subscription, 2)
    settings = world.runtime.settings.model_copy(update={"outbox_max_attempts": 3})
    dispatcher = Dispatcher(engine, settings, clock=clock)
    for _ in range(10):
        dispatcher.run_once()
        clock.advance(3600)
    assert {(m.status, m.attempts) for m in messages(engine)} == {("dead", 3)}

    listed = loket("outbox", "dead")
    assert listed.exit_code == 0, listed.output
    assert all(i in listed.output for i in ids)
    assert "HTTP 503" in listed.output and "2 dead messages" in listed.output
    receiver.always = None
    assert loket("outbox", "resend", ids[0]).exit_code == 0
    assert {str(m.id): (m.status, m.attempts) for m in messages(engine)}[ids[0]] == ("pending", 0)
    assert loket("outbox", "resend", ids[0]).exit_code == 1  # no longer dead
    assert loket("outbox", "resend", str(uuid.uuid4())).exit_code == 1
    assert loket("outbox", "resend", "nonsense").exit_code == 1
    assert loket("outbox", "resend").exit_code == 1
    resent = loket("outbox", "resend", "--all-dead")
    assert resent.exit_code == 0 and "1 dead messages queued again" in resent.output
    worked = loket("worker", "--once")
    assert worked.exit_code == 0 and "tried 2 messages" in worked.output
    assert {m.status for m in messages(engine)} == {"sent"}
    assert loket("outbox", "dead").output.strip().endswith("0 dead messages")


def test_a_failing_receiver_does_not_hold_up_the_others(world, receiver):
    engine = world.runtime.engine
    down = subscribe(engine, _closed_port_url())
    up = subscribe(engine, receiver.url)
    put_messages(engine, down, 3)
    put_messages(engine, up, 2)
    assert Dispatcher(engine, world.runtime.settings).run_once() == 3
    by_subscription = {
        subscription: sorted(
            (m.status, m.attempts) for m in messages(engine) if m.subscription_id == subscription
        )
        for subscription in (down.id, up.id)
    }
    # One connection refused is enough: the other two wait, their attempt not counted.
    assert by_subscription[down.id] == [("pending", 0), ("pending", 0), ("pending", 1)]
    assert by_subscription[up.id] == [("sent", 1), ("sent", 1)]


def test_inactive_subscriptions_are_not_delivered(world, receiver):
    engine = world.runtime.engine
    subscription = subscribe(engine, receiver.url)
    put_messages(engine, subscription, 1)
    with transaction(engine) as session:
        session.execute(update(WebhookSubscription).values(is_active=False))
    Dispatcher(engine, world.runtime.settings).run_once()
    [message] = messages(engine)
    assert message.status == "dead" and "no longer active" in message.last_error
    assert receiver.requests == []


def test_messages_near_the_end_of_their_lease_are_handed_back(world, receiver):
    engine = world.runtime.engine
    put_messages(engine, subscribe(engine, receiver.url), 2)
    short = world.runtime.settings.model_copy(
        update={"outbox_lease_seconds": 4, "webhook_timeout_seconds": 5.0}
    )
    assert Dispatcher(engine, short).run_once() == 0
    assert {(m.attempts, m.locked_until) for m in messages(engine)} == {(0, None)}
    assert receiver.requests == []


def test_two_dispatchers_deliver_each_message_exactly_once(world):
    receiver = Receiver(delay=0.005).start()
    try:
        engine = world.runtime.engine
        ids = put_messages(engine, subscribe(engine, receiver.url), 60)
        dispatchers = [Dispatcher(engine, world.runtime.settings) for _ in range(2)]
        tried = [0, 0]
        barrier = threading.Barrier(2)

        def work(index: int) -> None:
            barrier.wait()
            while (n := dispatchers[index].run_once(batch=5)) > 0:
                tried[index] += n

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert Counter(r.webhook_id for r in receiver.requests) == Counter(ids)
        assert {(m.status, m.attempts) for m in messages(engine)} == {("sent", 1)}
        assert min(tried) > 0 and sum(tried) == 60
    finally:
        receiver.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_killed_worker_loses_nothing(world, receiver, settings):
    engine = world.runtime.engine
    subscription = subscribe(engine, receiver.url)
    [message_id] = put_messages(engine, subscription, 1)
    receiver.hang_first = True
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "loket"), "worker"],
        cwd=ROOT,
        env=_worker_env(settings, lease=4, timeout=2),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert receiver.wait_for(1, timeout=30), "the worker never delivered"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
    receiver.release.set()
    [claimed] = messages(engine)
    assert (claimed.status, claimed.attempts) == ("pending", 1)
    assert claimed.locked_until is not None

    dispatcher = Dispatcher(engine, settings.model_copy(update={"webhook_timeout_seconds": 2.0}))
    deadline = time.monotonic() + 15
    while dispatcher.run_once() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # the lease of the dead worker has to run out first
    [delivered] = messages(engine)
    assert (delivered.status, delivered.attempts) == ("sent", 2)
    assert [r.webhook_id for r in receiver.requests] == [message_id, message_id]
    assert receiver.requests[1].verified(subscription.secret)["n"] == 0


def _worker_env(settings, *, lease: int, timeout: int) -> dict[str, str]:
    return {
        **os.environ,
        "LOKET_DATABASE_URL": settings.effective_database_url,
        "LOKET_DATA_DIR": str(settings.data_dir),
        "LOKET_WEBHOOK_ALLOWED_PRIVATE": '["127.0.0.1"]',
        "LOKET_OUTBOX_LEASE_SECONDS": str(lease),
        "LOKET_WEBHOOK_TIMEOUT_SECONDS": str(timeout),
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_embedded_dispatcher_delivers_and_stops(runtime, receiver):
    runtime.settings = runtime.settings.model_copy(update={"embedded_dispatcher": True})
    subscription = subscribe(runtime.engine, receiver.url)
    app = create_app(runtime=runtime)
    with TestClient(app):
        thread = app.state.dispatcher_thread
        assert thread is not None and thread.is_alive()
        [message_id] = put_messages(runtime.engine, subscription, 1)
        assert receiver.wait_for(1, timeout=10)
    assert not thread.is_alive()
    assert receiver.requests[0].webhook_id == message_id
    assert [m.status for m in messages(runtime.engine)] == ["sent"]


def test_the_embedded_dispatcher_is_off_when_configured_so(app):
    with TestClient(app):
        assert app.state.dispatcher_thread is None


def test_outbox_rows_are_never_touched_by_a_request(world, receiver):
    """A receiver that hangs does not slow the request whose change it reports."""
    receiver.hang_first = True
    subscribe(world.runtime.engine, receiver.url)
    started = time.monotonic()
    world.submitted(world.user("citizen"))
    assert time.monotonic() - started < 5
    assert receiver.requests == []
    assert [m.status for m in messages(world.runtime.engine)] == ["pending"]


def test_unknown_kinds_go_dead(world):
    engine = world.runtime.engine
    with transaction(engine) as session:
        session.add(OutboxMessage(kind="sms", event_type="application.submitted", payload={}))
    Dispatcher(engine, world.runtime.settings).run_once()
    [message] = messages(engine)
    assert message.status == "dead" and "unknown message kind" in message.last_error
