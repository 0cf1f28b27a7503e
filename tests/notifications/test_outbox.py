"""What a change queues: which events, for which subscriptions, with which payload."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from app.applications.kind import APPLICATION
from app.cases.publishing import is_public
from app.notifications.dispatcher import Dispatcher
from app.notifications.outbox import matches
from app.workflow.definitions import get_workflow
from tests.notifications.helpers import messages, subscribe


@pytest.mark.parametrize(
    ("patterns", "action", "expected"),
    [
        (["*"], "certificate.issued", True),
        (["application.*"], "application.submitted", True),
        (["application.*"], "certificate.issued", False),
        (["certificate.issued"], "certificate.issued", True),
        (["certificate.issued"], "certificate.revoked", False),
        (["application.sub*"], "application.submitted", False),  # only whole-segment wildcards
        ([], "application.submitted", False),
    ],
)
def test_patterns(patterns, action, expected):
    assert matches(patterns, action) is expected


@pytest.mark.parametrize(
    ("action", "from_state", "to_state", "public"),
    [
        ("application.created", None, "draft", False),
        ("application.data_updated", None, None, False),
        ("application.withdrawn", "draft", "withdrawn", False),
        ("application.submitted", "draft", "submitted", True),
        ("application.withdrawn", "submitted", "withdrawn", True),
        ("application.rejected", "in_review", "rejected", True),
        ("document.uploaded", None, None, False),
        ("document.viewed", None, None, False),
        ("certificate.issued", None, None, True),
        ("certificate.revoked", None, None, True),
    ],
)
def test_which_events_leave_loket(action, from_state, to_state, public):
    event = {"action": action, "from_state": from_state, "to_state": to_state}
    assert is_public(APPLICATION, event, get_workflow("single_approval")) is public


def test_each_matching_active_subscription_gets_one_signed_message(world, receiver):
    engine = world.runtime.engine
    everything = subscribe(engine, receiver.url, ("*",))
    certificates = subscribe(engine, receiver.url, ("certificate.*",))
    submissions = subscribe(engine, receiver.url, ("application.submitted",))
    subscribe(engine, receiver.url, ("*",), active=False)
    subscribe(engine, receiver.url, ("*",), client_active=False)
    citizen, officer = world.user("citizen", name="Siti Rahma"), world.user("officer")
    approved = world.in_state("approved", citizen=citizen, officer=officer)

    queued = defaultdict(list)
    for message in messages(engine, kind="webhook"):
        queued[message.subscription_id].append(message)
    assert set(queued) == {everything.id, certificates.id, submissions.id}
    assert [m.event_type for m in queued[everything.id]] == [
        "application.submitted",
        "application.review_started",
        "application.approved",
        "certificate.issued",
    ]
    assert [m.event_type for m in queued[submissions.id]] == ["application.submitted"]
    [issued] = queued[certificates.id]
    assert issued.payload["type"] == "certificate.issued"
    assert issued.payload["timestamp"].endswith("Z")
    assert issued.payload["data"] == {
        "application_id": approved["id"],
        "reference": approved["reference"],
        "service_code": "SIMPLE",
        "department_code": "DINASA",
        "state": "approved",
        "from_state": None,
        "sequence": issued.payload["data"]["sequence"],
        "certificate_number": approved["certificate_number"],
    }
    _assert_no_personal_data(queued[everything.id], citizen)
    _deliver_all_and_verify(
        world, receiver, {s.id: s.secret for s in (everything, certificates, submissions)}
    )


def _assert_no_personal_data(queued, citizen) -> None:
    text = json.dumps([m.payload for m in queued])
    for personal in (citizen.full_name, citizen.email, citizen.nik, "Warung Sejahtera"):
        assert personal not in text


def _deliver_all_and_verify(world, receiver, secrets) -> None:
    dispatcher = Dispatcher(world.runtime.engine, world.runtime.settings)
    assert dispatcher.run_once() == 6
    by_id = {str(m.id): m for m in messages(world.runtime.engine)}
    assert {m.status for m in by_id.values()} == {"sent"}
    assert len(receiver.requests) == 6
    for received in receiver.requests:
        message = by_id[received.webhook_id]
        assert received.verified(secrets[message.subscription_id]) == message.payload


def test_drafts_documents_and_edits_stay_private(world, receiver):
    engine = world.runtime.engine
    subscribe(engine, receiver.url, ("*",))
    citizen = world.user("citizen")
    draft = world.create(citizen)
    edited = world.client.patch(
        f"/api/v1/applications/{draft['id']}",
        json={"data": {"employees": 4}, "version": draft["version"]},
        headers=world.headers(citizen),
    )
    assert edited.status_code == 200, edited.text
    assert world.upload(citizen, draft).status_code == 201
    other = world.create(citizen)
    assert world.act(citizen, other, "withdraw").status_code == 200
    assert messages(engine) == []

    assert world.act(citizen, draft, "submit").status_code == 200
    assert [m.event_type for m in messages(engine)] == ["application.submitted"]


def test_no_email_is_queued_without_an_smtp_server(world):
    assert world.runtime.settings.smtp_host is None
    world.submitted(world.user("citizen"))
    assert messages(world.runtime.engine, kind="email") == []
