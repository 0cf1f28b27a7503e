"""Notifications in the portal, over HTTP on both databases: an officer's act reaches the
resident's header count and notifications page, opening one marks it read and leads to the
case, nobody sees another person's, and pages promise e-mail only where mail is sent."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.catalogue.definitions import parse_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction
from app.models import Notification
from tests.web.pages import csrf_of, sign_in, soup


@pytest.fixture
def other_client(app):
    with TestClient(app, raise_server_exceptions=False) as second:
        yield second


def signed_in(client: TestClient, user) -> None:
    assert sign_in(client, user.email).status_code == 303


def unread_count(client: TestClient) -> int:
    """The number in the header's notifications link (none shown means 0)."""
    page = soup(client.get("/services"))
    link = page.find(attrs={"data-testid": "notifications-link"})
    assert link is not None and link["href"] == "/notifications"
    count = link.find(attrs={"data-testid": "unread-count"})
    return int(count.get_text()) if count else 0


def test_a_revision_request_reaches_the_residents_notifications(world, client):
    citizen, officer = world.user("citizen"), world.user("officer")
    signed_in(client, citizen)
    assert unread_count(client) == 0
    application = world.in_state("revision_requested", citizen=citizen, officer=officer)
    assert unread_count(client) == 1

    page = soup(client.get("/notifications"))
    items = page.find_all(attrs={"data-testid": "notification"})
    assert len(items) == 1 and "unread" in items[0]["class"]
    assert "Petugas meminta Anda memperbaiki permohonan" in items[0].get_text()
    assert application["reference"] in items[0].get_text()
    assert items[0].find(attrs={"data-testid": "notification-reason"}).get_text() == (
        "Mohon dilengkapi"
    )
    form = items[0].find("form")
    assert re.fullmatch(r"/notifications/[0-9a-f-]{36}/open", form["action"])

    opened = client.post(
        form["action"],
        data={"csrf_token": csrf_of(client.get("/notifications"))},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/my/applications/{application['id']}"
    assert unread_count(client) == 0
    again = soup(client.get("/notifications")).find(attrs={"data-testid": "notification"})
    assert "read" in again["class"] and "unread" not in again["class"]


def test_opening_needs_the_csrf_token(world, client):
    citizen, officer = world.user("citizen"), world.user("officer")
    signed_in(client, citizen)
    world.in_state("revision_requested", citizen=citizen, officer=officer)
    form = soup(client.get("/notifications")).find(attrs={"data-testid": "notification"}).form
    refused = client.post(form["action"], data={"csrf_token": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403
    assert unread_count(client) == 1


def test_rejection_with_its_reason_and_mark_all_read(world, client):
    citizen, officer = world.user("citizen"), world.user("officer")
    signed_in(client, citizen)
    first = world.in_state("rejected", citizen=citizen, officer=officer)
    world.in_state("revision_requested", citizen=citizen, officer=officer)
    assert unread_count(client) == 2
    items = soup(client.get("/notifications")).find_all(attrs={"data-testid": "notification"})
    assert "memperbaiki" in items[0].get_text()  # newest first
    assert "ditolak" in items[1].get_text() and first["reference"] in items[1].get_text()

    done = client.post(
        "/notifications/read",
        data={"csrf_token": csrf_of(client.get("/notifications"))},
        follow_redirects=False,
    )
    assert done.status_code == 303 and unread_count(client) == 0

    page = soup(client.get(f"/my/applications/{first['id']}"))
    rejection = page.find(attrs={"data-testid": "rejection"})
    assert rejection is not None
    assert rejection.find(attrs={"data-testid": "rejection-reason"}).get_text() == (
        "Mohon dilengkapi"
    )
    # At the top: before the timeline and everything else of the page.
    sections = page.main.find_all("section")
    assert sections[0] is rejection


def test_an_officer_hears_of_a_case_assigned_to_them(world, client, db):
    citizen = world.user("citizen")
    head = world.user("officer", officer_roles=("verifier", "approver", "head"))
    officer = world.user("officer")
    application = world.in_state("in_review", citizen=citizen, officer=head)
    current = world.get(application["id"], head)
    answer = client.post(
        f"/api/v1/applications/{application['id']}/transitions",
        json={"action": "reassign", "version": current["version"], "assignee_id": str(officer.id)},
        headers=world.headers(head),
    )
    assert answer.status_code == 200, answer.text
    signed_in(client, officer)
    assert unread_count(client) == 1
    item = soup(client.get("/notifications")).find(attrs={"data-testid": "notification"})
    assert "ditugaskan kepada Anda" in item.get_text()
    opened = client.post(
        item.form["action"],
        data={"csrf_token": csrf_of(client.get("/notifications"))},
        follow_redirects=False,
    )
    assert opened.headers["location"] == f"/officer/applications/{application['id']}"
    with db() as session:
        kinds = {n.kind for n in session.exec(select(Notification)).all()}
    assert "application.assigned" in kinds


def test_nobody_sees_or_opens_another_persons_notification(world, client, other_client, db):
    owner, stranger, officer = world.user("citizen"), world.user("citizen"), world.user("officer")
    world.in_state("revision_requested", citizen=owner, officer=officer)
    with db() as session:
        mine = session.exec(select(Notification)).one()
    signed_in(other_client, stranger)
    assert unread_count(other_client) == 0
    listed = soup(other_client.get("/notifications"))
    assert listed.find(attrs={"data-testid": "notification"}) is None
    assert listed.find(attrs={"data-testid": "no-notifications"}) is not None
    answer = other_client.post(
        f"/notifications/{mine.id}/open",
        data={"csrf_token": csrf_of(other_client.get("/notifications"))},
        follow_redirects=False,
    )
    assert answer.status_code == 404
    with db() as session:
        assert session.get(Notification, mine.id).read_at is None


def test_the_page_needs_an_account(client):
    answer = client.get("/notifications", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/notifications"


def test_without_mail_no_page_promises_an_email(world, client):
    citizen = world.user("citizen")
    signed_in(client, citizen)
    application = world.submitted(citizen)
    page = client.get(f"/my/applications/{application['id']}?done=submit")
    notice = soup(page).find(attrs={"data-testid": "submitted-notice"}).get_text()
    assert "Pemberitahuan" in notice
    assert "surel" not in notice.lower() and "e-mail" not in notice.lower()


def test_officers_hear_of_a_warning_and_heads_of_an_escalation(world, client, other_client):
    from tests.cases.test_deadlines import DEADLINE_SERVICES, _case, _instants, _sweep

    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=parse_catalogue(DEADLINE_SERVICES))
    citizen, officer = world.user("citizen"), world.user("officer")
    head = world.user("officer", officer_roles=("head",))
    application = world.submitted(citizen, "BOUND")
    assert world.act(officer, application, "start_review").status_code == 200
    warning, deadline = _instants(_case(world, application["id"]), sla_days=4, share=0.5)

    _sweep(world, warning)
    signed_in(client, officer)
    assert unread_count(client) == 1
    item = soup(client.get("/notifications")).find(attrs={"data-testid": "notification"})
    assert "Batas waktu berkas" in item.get_text()

    _sweep(world, deadline + timedelta(minutes=1))
    signed_in(other_client, head)
    assert unread_count(other_client) == 1
    item = soup(other_client.get("/notifications")).find(attrs={"data-testid": "notification"})
    assert "dieskalasi kepada Anda" in item.get_text()
    assert unread_count(client) == 1  # the escalation goes to the heads only


def test_a_reporter_hears_of_their_complaint(world, client):
    from app.catalogue.definitions import load_catalogue
    from tests.complaints.conftest import CATEGORIES, Reports

    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(CATEGORIES))
    reports = Reports(world)
    resident = world.user("citizen")
    officer = world.user("officer", department="DBM", officer_roles=("verifier",))
    report = reports.file(resident)
    signed_in(client, resident)
    assert unread_count(client) == 0  # filing it is their own act
    reports.act(officer, report, "accept")
    assert unread_count(client) == 1
    item = soup(client.get("/notifications")).find(attrs={"data-testid": "notification"})
    assert "diterima petugas" in item.get_text() and report["reference"] in item.get_text()
    opened = client.post(
        item.form["action"],
        data={"csrf_token": csrf_of(client.get("/notifications"))},
        follow_redirects=False,
    )
    assert opened.headers["location"] == f"/my/complaints/{report['id']}"


def test_the_page_is_paged_newest_first_and_speaks_english_too(world, client, db):
    from app.notifications import inbox

    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.in_state("revision_requested", citizen=citizen, officer=officer)
    with db() as session:
        for n in range(inbox.PAGE_SIZE):
            inbox.add(
                session,
                case_id=uuid.UUID(application["id"]),
                reference=f"OLD-{n}",
                drafts=[inbox.NoticeDraft(citizen.id, "application.rejected", {})],
            )
    signed_in(client, citizen)
    assert unread_count(client) == inbox.PAGE_SIZE + 1
    first = soup(client.get("/notifications"))
    assert len(first.find_all(attrs={"data-testid": "notification"})) == inbox.PAGE_SIZE
    older = first.find("a", rel="next")
    assert older["href"] == "/notifications?page=2"
    second = soup(client.get(older["href"])).find_all(attrs={"data-testid": "notification"})
    assert len(second) == 1
    assert client.get("/notifications?page=0").status_code == 422

    client.get("/lang/en?next=/notifications")
    english = soup(client.get("/notifications")).find(attrs={"data-testid": "notification"})
    assert "was rejected" in english.get_text() or "asks you to correct" in english.get_text()
