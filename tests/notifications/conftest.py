"""Delivery tests: webhooks may reach 127.0.0.1 (allow-listed), and a receiver runs per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import Settings
from tests.notifications.helpers import Clock, Receiver


@pytest.fixture
def settings(settings) -> Settings:
    return settings.model_copy(
        update={"webhook_allowed_private": ["127.0.0.1"], "webhook_timeout_seconds": 5.0}
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()
