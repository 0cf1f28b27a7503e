"""The whole path of a report, through the real API on SQLite and PostgreSQL: a resident
reports a broken street light with a photo, the street-lighting department's officer sees it
in the queue and resolves it, a second officer verifies, the resident confirms and rates."""

from __future__ import annotations

import hashlib
import io
import re
import uuid

from PIL import Image
from sqlalchemy import select

from app.cases import timeline
from app.models import Case, Complaint, Event
from tests.complaints.conftest import jpeg_with_gps
from tests.notifications.helpers import messages, subscribe

REFERENCE = re.compile(r"^LPR-\d{4}-\d{7}$")


def subscribe_everything(world) -> None:
    """A webhook subscription that hears every complaint event (as an integrating system)."""
    subscribe(world.runtime.engine, "https://sistem.example.id/hook", ("complaint.*",))


def test_a_broken_street_light_from_report_to_confirmation(reports, world, db):
    resident = world.user("citizen")
    lighting = world.user("officer", department="DBM", officer_roles=("verifier",))
    second = world.user("officer", department="DBM", officer_roles=("verifier",))
    water = world.user("officer", department="DSDA")

    report = reports.file(resident, data={"pole_number": "PJU-TB-0412"})
    assert REFERENCE.match(report["reference"])
    assert (report["state"], report["department_code"]) == ("submitted", "DBM")
    assert report["unit"] == "Suku Dinas Bina Marga Jakarta Selatan"  # routed by its kelurahan
    assert report["area_name"] == "Tebet Timur"
    assert report["reporter"]["id"] == str(resident.id)
    assert report["response_due_at"] > report["created_at"]
    assert report["sla"]["due_at"] is not None and not report["sla"]["overdue"]

    photo = reports.photo(resident, report, jpeg_with_gps())
    assert photo["requirement"] == "photo_1" and photo["content_type"] == "image/jpeg"

    # The street-lighting department sees it; the water department does not.
    assert reports.queue(lighting) == [report["reference"]]
    assert reports.queue(lighting, state="submitted", category="PJU", area="31.74") == [
        report["reference"]
    ]
    assert reports.queue(lighting, area="31.71") == []
    assert reports.queue(water) == []
    reports.get(water, report, expect=404)

    actions = world.client.get(
        f"/api/v1/complaints/{report['id']}/actions", headers=world.headers(lighting)
    ).json()
    assert {item["action"] for item in actions["items"]} == {
        "accept",
        "refer",
        "mark_duplicate",
        "decline",
    }
    accepted = reports.act(lighting, report, "accept")
    assert accepted["state"] == "accepted" and accepted["first_response_at"] is not None
    reports.act(lighting, report, "start_work")
    reports.act(lighting, report, "resolve", expect=422)  # a note is required
    resolved = reports.act(lighting, report, "resolve", comment="Lampu dan fitting diganti.")
    assert resolved["state"] == "resolved"
    after = reports.photo(lighting, report, jpeg_with_gps())
    assert after["requirement"] == "after_1"

    # The officer who resolved may not verify; a second officer does.
    refused = reports.act(lighting, report, "verify", expect=403)
    assert "resolved" in refused["detail"]
    verified = reports.act(second, report, "verify")
    assert verified["state"] == "verified" and verified["reopen_until"] is not None

    # Officers cannot confirm for the resident; the resident confirms and rates once.
    reports.act(lighting, report, "confirm", expect=403)
    closed = reports.act(resident, report, "confirm")
    assert closed["state"] == "closed"
    rated = world.client.post(
        f"/api/v1/complaints/{report['id']}/rating",
        json={"score": 5, "comment": "Cepat sekali, terima kasih"},
        headers=world.headers(resident),
    )
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    again = world.client.post(
        f"/api/v1/complaints/{report['id']}/rating",
        json={"score": 1},
        headers=world.headers(resident),
    )
    assert again.status_code == 409

    events = world.client.get(
        f"/api/v1/complaints/{report['id']}/events", headers=world.headers(resident)
    ).json()["items"]
    assert [event["action"] for event in events] == [
        "complaint.created",
        "document.uploaded",
        "complaint.accepted",
        "complaint.work_started",
        "complaint.resolved",
        "document.uploaded",
        "complaint.verified",
        "complaint.confirmed",
    ]
    with db() as session:
        case = session.get(Case, uuid.UUID(report["id"]))
        assert timeline.verify_chain(session, case) == []
        complaint = session.get(Complaint, case.id)
        assert complaint.open is False and complaint.rating == 5
        assert case.first_officer_id == lighting.id


def test_stored_photos_carry_no_exif_and_keep_their_orientation(reports, world):
    resident = world.user("citizen")
    report = reports.file(resident)
    original = jpeg_with_gps(size=(40, 20), orientation=6)  # "rotate 90 degrees to show"
    assert b"KameraPonsel" in original and Image.open(io.BytesIO(original)).getexif()
    stored = reports.photo(resident, report, original)
    answer = world.client.get(
        f"/api/v1/complaints/{report['id']}/photos/{stored['id']}",
        headers=world.headers(resident),
    )
    assert answer.status_code == 200
    data = answer.content
    assert data != original and stored["size"] == len(data)
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert image.size == (20, 40)  # the orientation applied to the pixels
    assert b"Exif" not in data and b"KameraPonsel" not in data
    assert hashlib.sha256(data).hexdigest() == stored["sha256"]


def test_routing_sends_a_report_to_the_first_matching_rule(reports, world):
    resident = world.user("citizen")
    islands = reports.file(
        resident, area_code="31.01.01.1001", lat=-5.7448, long=106.6152
    )  # Pulau Panggang, Kepulauan Seribu
    assert (islands["department_code"], islands["unit"]) == ("DSDA", "Unit Kepulauan Seribu")
    central = reports.file(resident, area_code="31.71.01.1001", lat=-6.1754, long=106.8272)
    assert (central["department_code"], central["unit"]) == ("DBM", None)
    point_only = reports.file(resident, area_code=None)
    assert point_only["department_code"] == "DBM" and point_only["area_code"] is None


def test_events_reach_the_outbox_as_complaint_webhooks(reports, world, db):
    subscribe_everything(world)
    resident = world.user("citizen")
    officer = world.user("officer", department="DBM")
    report = reports.file(resident)
    reports.act(officer, report, "refer", department_code="DSDA", comment="Saluran, bukan PJU")
    payloads = [row.payload for row in messages(world.runtime.engine, kind="webhook")]
    assert [p["type"] for p in payloads] == ["complaint.created", "complaint.referred"]
    assert payloads[0]["data"]["reference"] == report["reference"]
    assert payloads[0]["data"]["category_code"] == "PJU"
    assert payloads[1]["data"]["department_code"] == "DSDA"
    assert "description" not in payloads[0]["data"]
    reports.get(officer, report, expect=404)  # it left the department
    water = world.user("officer", department="DSDA")
    assert reports.queue(water) == [report["reference"]]
    with db() as session:
        referred = session.execute(
            select(Event).where(Event.action == "complaint.referred")
        ).scalar_one()
        assert referred.details == {"department_code": "DSDA"}
