"""The issue's "bad input and abuse" list, each a clear 4xx with nothing half-written, and who
may see what: a resident sees other people's reports only through the public listing."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.complaints.handling import close_unanswered
from app.models import Case, Complaint, Document, Event
from app.models.base import utcnow
from tests.complaints.conftest import TEBET_TIMUR, jpeg_with_gps


def counts(db) -> tuple[int, int, int, int]:
    with db() as session:
        return tuple(
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Case, Complaint, Event, Document)
        )


def fields(answer) -> list[str]:
    return [error["field"] for error in answer.json().get("errors", [])]


def post(world, user, **body):
    payload = {
        "category_code": "PJU",
        "description": "Lampu mati",
        "area_code": TEBET_TIMUR,
        **body,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    headers = world.headers(user) if user is not None else {}
    return world.client.post("/api/v1/complaints", json=payload, headers=headers)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"lat": -6.5950, "long": 106.8166}, 422, "lat"),  # Bogor, outside Jakarta
        ({"lat": 95.0, "long": 106.8}, 422, "lat"),  # not a latitude
        ({"lat": "minus six", "long": 106.8}, 422, "lat"),
        ({"lat": -6.2}, 422, "lat"),  # half a point
        ({"area_code": "31.74.01.9999"}, 422, "area_code"),  # no such kelurahan
        ({"area_code": "31.74.01"}, 422, "area_code"),  # a kecamatan, not a kelurahan
        ({"area_code": "32.76.01.1001"}, 422, "area_code"),  # Depok
        ({"area_code": None}, 422, "area_code"),  # neither a point nor a kelurahan
        ({"category_code": "NOPE"}, 422, "category_code"),
        ({"description": "x" * 4001}, 422, "description"),
        ({"description": "   "}, 422, "description"),
        ({"description": "nul\x00byte"}, 422, "description"),
        ({"data": {"pole_number": "x" * 31}}, 422, "data.pole_number"),
        ({"data": {"colour": "red"}}, 422, "data.colour"),
        ({"state": "closed"}, 422, "state"),  # no smuggling a state in
        ({"category_code": "BANJIR"}, 422, "data.depth"),  # a required extra question
    ],
)
def test_a_bad_report_is_refused_and_nothing_is_written(reports, world, db, body, status, field):
    resident = world.user("citizen")
    before = counts(db)
    answer = post(world, resident, **body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in fields(answer), answer.json()
    assert counts(db) == before


def test_html_in_a_description_is_kept_as_text(reports, world):
    resident = world.user("citizen")
    html = '<script>alert("x")</script><b>Lampu</b> mati & gelap'
    report = reports.file(resident, description=html)
    assert report["description"] == html
    assert reports.get(resident, report)["description"] == html


def test_anonymous_reports_only_where_the_category_allows_and_with_an_e_mail(reports, world, db):
    before = counts(db)
    no_mail = post(world, None)
    assert no_mail.status_code == 422 and fields(no_mail) == ["email"]
    closed_category = post(world, None, category_code="PKL", email="warga@example.id")
    assert closed_category.status_code == 401
    assert counts(db) == before

    anonymous = post(world, None, email="warga@example.id", lat=-6.2330, long=106.8560)
    assert anonymous.status_code == 201, anonymous.text
    report = anonymous.json()
    assert report["reporter"] is None and report["contact"]["email"] == "warga@example.id"
    officer = world.user("officer", department="DBM")
    assert reports.queue(officer) == [report["reference"]]
    with db() as session:
        created = session.execute(
            select(Event).where(Event.case_id == uuid.UUID(report["id"]))
        ).scalar_one()
        assert (created.actor_type, created.actor_id) == ("anonymous", None)
    # Staff do not file reports.
    assert post(world, officer).status_code == 403


def test_photos_that_are_not_images_and_a_fourth_photo_are_refused(reports, world, db, runtime):
    resident = world.user("citizen")
    report = reports.file(resident)
    stored_files = lambda: sorted(p for p in runtime.files.root.rglob("*") if p.is_file())  # noqa: E731
    before = (counts(db), stored_files())
    reports.photo(resident, report, b"%PDF-1.7 not a photo", name="x.jpg", expect=415)
    reports.photo(resident, report, b"<html><body>hi</body></html>", name="x.jpg", expect=415)
    reports.photo(resident, report, jpeg_with_gps()[:200], name="x.jpg", expect=415)
    reports.photo(resident, report, b"", name="x.jpg", expect=422)
    assert (counts(db), stored_files()) == before

    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    for data in (jpeg_with_gps(), png.getvalue(), jpeg_with_gps()):
        reports.photo(resident, report, data)
    before = (counts(db), stored_files())
    fourth = reports.photo(resident, report, jpeg_with_gps(), expect=409)
    assert "3" in fourth["detail"]
    assert (counts(db), stored_files()) == before

    # Once answered, the reporter adds no more photos; another resident adds none at all.
    officer = world.user("officer", department="DBM")
    reports.act(officer, report, "accept")
    other = reports.file(resident)
    reports.photo(resident, report, jpeg_with_gps(), expect=409)
    reports.photo(world.user("citizen"), other, jpeg_with_gps(), expect=404)


def test_a_flood_of_reports_from_one_account_or_address_is_stopped(reports, world, db, runtime):
    runtime.settings.complaints_per_hour = 3
    resident = world.user("citizen")
    for _ in range(3):
        reports.file(resident)
    before = counts(db)
    flood = post(world, resident, lat=-6.2330, long=106.8560)
    assert flood.status_code == 429 and "Retry-After" in flood.headers
    assert counts(db) == before
    for _ in range(3):
        assert post(world, None, email="a@example.id").status_code == 201
    assert post(world, None, email="b@example.id").status_code == 429  # the same address


def test_reopening_after_the_window_and_rating_twice_are_refused(reports, world, db):
    resident = world.user("citizen")
    first, second = (world.user("officer", department="DBM") for _ in range(2))
    report = reports.file(resident)
    reports.act(resident, report, "accept", expect=403)  # the reporter does not triage
    for officer, action in ((first, "accept"), (first, "start_work")):
        reports.act(officer, report, action)
    reports.act(first, report, "resolve", comment="Diganti")
    reports.act(second, report, "verify")
    early = world.client.post(
        f"/api/v1/complaints/{report['id']}/rating",
        json={"score": 6},
        headers=world.headers(resident),
    )
    assert early.status_code == 422 and fields(early) == ["score"]
    reports.act(resident, report, "reopen", expect=422)  # a reason is needed
    reopened = reports.act(resident, report, "reopen", comment="Masih mati malam ini")
    assert reopened["state"] == "in_progress" and reopened["reopen_until"] is None
    reports.act(first, report, "resolve", comment="Kabel diganti")
    reports.act(second, report, "verify")

    # Eight days later the window has passed: no reopening, and the sweep closes it.
    with db() as session:
        case = session.get(Case, uuid.UUID(report["id"]))
        case.decided_at = utcnow() - timedelta(days=8)
    late = reports.act(resident, report, "reopen", comment="Mati lagi", expect=409)
    assert "7" in late["detail"]
    with db() as session:
        assert close_unanswered(session) == [report["reference"]]
    closed = reports.get(resident, report)
    assert closed["state"] == "closed"
    with db() as session:
        assert close_unanswered(session) == []
        last = (
            session.execute(
                select(Event)
                .where(Event.case_id == uuid.UUID(report["id"]))
                .order_by(Event.seq.desc())
            )
            .scalars()
            .first()
        )
        assert (last.action, last.actor_type) == ("complaint.closed_unanswered", "system")
    reports.act(resident, report, "reopen", comment="Mati lagi", expect=409)


def test_triage_refer_duplicate_and_decline_check_what_they_name(reports, world):
    resident = world.user("citizen")
    officer = world.user("officer", department="DBM")
    original, repeat, other = (reports.file(resident) for _ in range(3))
    reports.act(officer, repeat, "refer", comment="x", expect=422)  # no department named
    reports.act(officer, repeat, "refer", comment="x", department_code="NOPE", expect=422)
    reports.act(officer, repeat, "refer", comment="x", department_code="DBM", expect=422)
    reports.act(officer, repeat, "refer", department_code="DSDA", expect=422)  # no reason
    reports.act(officer, repeat, "accept", department_code="DSDA", expect=422)
    reports.act(officer, repeat, "mark_duplicate", expect=422)
    reports.act(officer, repeat, "mark_duplicate", duplicate_of=repeat["reference"], expect=422)
    reports.act(officer, repeat, "mark_duplicate", duplicate_of="LPR-1999-0000001", expect=422)
    marked = reports.act(officer, repeat, "mark_duplicate", duplicate_of=original["reference"])
    assert (marked["state"], marked["duplicate_of"]) == ("duplicate", original["reference"])
    # A duplicate is no original for a third report.
    third = reports.file(resident)
    reports.act(officer, third, "mark_duplicate", duplicate_of=repeat["reference"], expect=422)
    reports.act(officer, other, "decline", expect=422)
    declined = reports.act(officer, other, "decline", comment="Jalan tol: kewenangan BUJT")
    assert declined["state"] == "declined"
    reports.act(officer, other, "accept", expect=409)  # final
    stale = reports.act(officer, third, "accept", version=99, expect=409)
    assert stale["status"] == 409


def test_a_resident_sees_other_reports_only_through_the_public_listing(reports, world):
    owner, neighbour = world.user("citizen"), world.user("citizen")
    street_light = reports.file(owner, phone="0812-3456-7890")
    vendors = reports.file(owner, category_code="PKL")
    flooding = reports.file(owner, category_code="BANJIR", data={"depth": "high"})
    for report in (street_light, vendors, flooding):
        reports.get(neighbour, report, expect=404)
    assert reports.queue(neighbour) == []
    listing = world.client.get("/api/v1/public/complaints").json()["items"]
    listed = {item["reference"]: item for item in listing}
    assert set(listed) == {street_light["reference"], flooding["reference"]}  # PKL is private
    text = str(listing)
    assert "0812" not in text and str(owner.id) not in text and owner.full_name not in text
    assert listed[street_light["reference"]]["lat"] == street_light["lat"]
    # Flooding keeps exact places private: rounded to three decimals.
    assert listed[flooding["reference"]]["lat"] == round(flooding["lat"], 3)
    assert all("contact" not in item and "reporter" not in item for item in listing)
    in_area = world.client.get("/api/v1/public/complaints", params={"area": "31.74"}).json()
    assert len(in_area["items"]) == 2
    elsewhere = world.client.get("/api/v1/public/complaints", params={"area": "31.71"}).json()
    assert elsewhere["items"] == []
    bad = world.client.get("/api/v1/public/complaints", params={"area": "99"})
    assert bad.status_code == 422
    point = f"{street_light['lat']},{street_light['long']}"
    near = world.client.get("/api/v1/public/complaints", params={"near": point, "radius_m": 50})
    assert {item["reference"] for item in near.json()["items"]} >= {street_light["reference"]}
    far = world.client.get("/api/v1/public/complaints", params={"near": "-6.1754,106.8272"})
    assert far.json()["items"] == []
    for nonsense in ("north", "-6.2,nan", "-7.5,106.8"):
        answer = world.client.get("/api/v1/public/complaints", params={"near": nonsense})
        assert answer.status_code == 422, nonsense

    # Following a public report is how a neighbour hears of it; a private one stays unknown.
    follow = world.client.post(
        f"/api/v1/complaints/{street_light['reference']}/follow", headers=world.headers(neighbour)
    )
    assert follow.status_code == 200 and follow.json()["following"] is True
    hidden = world.client.post(
        f"/api/v1/complaints/{vendors['reference']}/follow", headers=world.headers(neighbour)
    )
    assert hidden.status_code == 404
    reports.get(neighbour, street_light, expect=404)  # following does not open the file
