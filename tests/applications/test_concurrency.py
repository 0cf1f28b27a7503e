"""Many processes, one application: exactly one transition wins; reference numbers stay unique."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from app.accounts.principal import Principal
from app.applications import service as applications
from app.applications.schemas import ApplicationCreate
from app.applications.transitions import transition
from app.cases.schemas import TransitionRequest
from app.db import transaction
from app.errors import Conflict
from app.models import Event
from app.oauth.service import USER_SCOPES

ATTEMPTS = 20


def _principal(user) -> Principal:
    return Principal(user=user, client_id="loket-app", scopes=USER_SCOPES)


def _race(workers: int, attempt):
    barrier = threading.Barrier(workers)

    def run(i):
        barrier.wait()
        return attempt(i)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, range(workers)))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_twenty_concurrent_transitions_exactly_one_wins(world):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.submitted(citizen)
    application_id = uuid.UUID(application["id"])

    def attempt(_):
        try:
            with transaction(world.runtime.engine) as session:
                transition(
                    session,
                    principal=_principal(officer),
                    application_id=application_id,
                    request=TransitionRequest(
                        action="start_review", version=application["version"]
                    ),
                )
            return "ok"
        except Conflict:
            return "conflict"

    outcomes = _race(ATTEMPTS, attempt)
    assert outcomes.count("ok") == 1
    assert outcomes.count("conflict") == ATTEMPTS - 1
    with transaction(world.runtime.engine, write=False) as session:
        events = session.exec(
            select(Event).where(
                Event.case_id == application_id, Event.action == "application.review_started"
            )
        )
        assert len(events.all()) == 1
    assert world.get(application["id"], officer)["state"] == "in_review"


def test_concurrent_creates_get_unique_gap_free_reference_numbers(world):
    citizen = world.user("citizen")

    def attempt(_):
        with transaction(world.runtime.engine) as session:
            return applications.create_application(
                session,
                principal=_principal(citizen),
                request=ApplicationCreate(service_code="SIMPLE", data={}),
            ).reference

    references = _race(10, attempt)
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert numbers == list(range(1, 11))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_numbering_continues_from_the_counter_row(world, db):
    from datetime import UTC, datetime

    from app.models import ReferenceCounter

    # An installation that numbered with the counter row keeps counting from where it was.
    with db() as session:
        session.add(ReferenceCounter(service_code="SIMPLE", year=datetime.now(UTC).year, value=41))
    citizen = world.user("citizen")
    assert world.create(citizen)["reference"].endswith("-000042")
    assert world.create(citizen)["reference"].endswith("-000043")
