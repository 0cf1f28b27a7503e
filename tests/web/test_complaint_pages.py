"""The complaint pages over HTTP (both databases): a resident reports a problem without
JavaScript (the place, the open reports like it nearby, the details and photos), follows their
report; officers handle it from their queue; anyone reads the public reports."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.catalogue.definitions import load_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction
from tests.complaints.conftest import CATEGORIES, TEBET_TIMUR, Reports, jpeg_with_gps
from tests.web.pages import csrf_of, sign_in, soup


@pytest.fixture
def reports(world) -> Reports:
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(CATEGORIES))
    return Reports(world)


@pytest.fixture
def resident(world, client, reports):
    citizen = world.user("citizen", name="Siti Aminah")
    sign_in(client, citizen.email)
    return citizen


def browser_of(app, user) -> TestClient:
    """Another person's browser: a client with its own cookies, signed in as ``user``."""
    other = TestClient(app, raise_server_exceptions=False)
    assert sign_in(other, user.email).status_code == 303
    return other


def text_of(response) -> str:
    return soup(response).get_text(" ", strip=True)


PLACE = {"category_code": "PJU", "area_code": TEBET_TIMUR, "lat": "-6.2330", "long": "106.8560"}


def file_report(client, *, photos=(), **fields) -> object:
    """Step 1 (GET with the place), then the details form as the browser sends it."""
    step_two = client.get("/lapor", params={**PLACE, **fields.pop("place", {})})
    form = soup(step_two).find("form", attrs={"data-testid": "report-form"})
    assert form is not None, text_of(step_two)
    data = {field["name"]: field.get("value", "") for field in form.find_all("input")}
    data = {k: v for k, v in data.items() if k != "photos"}
    data |= {"description": "Lampu jalan mati sejak tiga hari.", **fields}
    files = [("photos", (name, content, "image/jpeg")) for name, content in photos]
    return client.post("/lapor", data=data, files=files or None, follow_redirects=False)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 200, 10)).save(out, format="PNG")
    return out.getvalue()


# --- reporting ----------------------------------------------------------------------------------


def test_the_form_offers_categories_and_every_kelurahan_without_javascript(client, resident):
    answer = client.get("/lapor")
    assert answer.status_code == 200
    page = soup(answer)
    categories = [o["value"] for o in page.select("#field-category_code option") if o["value"]]
    assert categories == ["BANJIR", "PJU", "PKL"] or set(categories) == {"BANJIR", "PJU", "PKL"}
    kelurahan = [o["value"] for o in page.select("#field-area_code option") if o["value"]]
    assert TEBET_TIMUR in kelurahan and len(kelurahan) >= 260
    assert page.find("form", attrs={"data-testid": "place-form"})["method"] == "get"
    assert not page.select("script:not([src])")  # nothing inline; the page works without it


def test_a_report_with_photos_gets_a_reference_and_a_timeline(client, resident, db):
    answer = file_report(
        client,
        photos=[("lampu.jpg", jpeg_with_gps()), ("dekat.png", png_bytes())],
        description="<b>Lampu</b> mati",
        **{"data.pole_number": "PJU-77"},
    )
    assert answer.status_code == 303, text_of(answer)
    assert answer.headers["location"].endswith("?done=filed")
    shown = client.get(answer.headers["location"])
    page = soup(shown)
    reference = page.find(attrs={"data-testid": "reference"}).get_text()
    assert reference.startswith("LPR-")
    assert reference in page.find(attrs={"data-testid": "filed"}).get_text()
    # HTML in the description is shown as the characters typed, never as markup.
    assert page.find(attrs={"data-testid": "description"}).get_text() == "<b>Lampu</b> mati"
    assert not page.select("[data-testid=description] b")
    photos = page.select("ul.photos img")
    assert len(photos) == 2
    image = client.get(photos[0]["src"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert b"KameraPonsel" not in image.content  # the EXIF is gone
    timeline = page.find(attrs={"data-testid": "timeline"}).get_text(" ")
    assert "Laporan dikirim" in timeline
    mine = soup(client.get("/my/complaints"))
    assert [r["data-reference"] for r in mine.select("tbody tr")] == [reference]


def test_the_check_step_lists_open_reports_nearby_and_following_one_files_nothing(
    app, client, resident, reports, world
):
    neighbour = world.user("citizen", name="Budi Santoso")
    earlier = reports.file(neighbour)
    step_two = client.get("/lapor", params=PLACE)
    nearby = soup(step_two).select("[data-testid=nearby] li")
    assert [li["data-reference"] for li in nearby] == [earlier["reference"]]
    assert "Budi" not in text_of(step_two)  # never the reporter's name
    follow = soup(step_two).select_one("[data-testid=nearby] form")
    answer = client.post(
        follow["action"], data={"csrf_token": csrf_of(step_two)}, follow_redirects=False
    )
    assert answer.status_code == 303
    mine = client.get(answer.headers["location"])
    assert earlier["reference"] in soup(mine).find(attrs={"data-testid": "followed"}).get_text()
    assert not soup(mine).select("tbody tr")  # following is not a report of one's own
    elsewhere = client.get("/lapor", params={**PLACE, "lat": "-6.1500", "long": "106.8000"})
    assert not soup(elsewhere).select("[data-testid=nearby] li")


def test_bad_input_is_said_next_to_its_field_and_files_nothing(client, resident, db):
    outside = client.get("/lapor", params={**PLACE, "lat": "-7.5", "long": "110.4"})
    assert outside.status_code == 422
    assert "luar DKI Jakarta" in text_of(outside)
    nowhere = client.get("/lapor", params={"category_code": "PJU", "area_code": ""})
    assert nowhere.status_code == 422 and soup(nowhere).select("#error-summary")
    unknown = client.get("/lapor", params={**PLACE, "category_code": "NOPE"})
    assert unknown.status_code == 422
    too_long = file_report(client, description="x" * 4001)
    assert too_long.status_code == 422
    assert soup(too_long).select_one("#error-description")
    four = file_report(client, photos=[(f"{n}.jpg", jpeg_with_gps()) for n in range(4)])
    assert four.status_code == 409 or four.status_code == 422
    assert soup(four).select_one("#error-photos")
    not_image = file_report(client, photos=[("x.jpg", b"%PDF-1.4 not an image")])
    assert not_image.status_code in (415, 422) and soup(not_image).select_one("#error-photos")
    # Each refusal kept what was typed, and none of them left a report behind.
    assert soup(not_image).select_one("#field-description").get_text() == (
        "Lampu jalan mati sejak tiga hari."
    )
    assert not soup(client.get("/my/complaints")).select("tbody tr")


def test_another_residents_report_is_not_found(app, client, resident, reports, world):
    other = world.user("citizen")
    theirs = reports.file(other)
    assert client.get(f"/my/complaints/{theirs['id']}").status_code == 404


def test_signing_in_is_needed_to_report(app, reports):
    stranger = TestClient(app, raise_server_exceptions=False)
    answer = stranger.get("/lapor", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
