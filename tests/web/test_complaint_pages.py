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
    assert "Nomor tiang PJU-77" in text_of(shown)  # the category's extra question, in words
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


# --- handling -----------------------------------------------------------------------------------


def act_form(response, action: str) -> dict:
    form = soup(response).find("form", attrs={"data-action": action})
    assert form is not None, f"no form for {action}: {text_of(response)[:400]}"
    return {
        f["name"]: f.get("value", "") for f in form.find_all("input") if f.get("type") != "file"
    }


def act(client, page_url: str, action: str, *, files=None, **fields):
    shown = client.get(page_url)
    data = act_form(shown, action) | fields
    url = page_url.split("?")[0] + "/act"
    return client.post(url, data=data, files=files, follow_redirects=False)


@pytest.fixture
def lighting(world, reports):
    return {
        "first": world.user("officer", department="DBM", name="Petugas Rudi"),
        "second": world.user("officer", department="DBM", name="Petugas Wati"),
        "outsider": world.user("officer", department="DSDA", name="Petugas Air"),
    }


def test_the_street_lighting_officers_resolve_and_verify_and_the_resident_confirms(
    app, client, resident, reports, lighting, db
):
    report = reports.file(resident, phone="0812 3456 7890")
    reports.photo(resident, report, jpeg_with_gps())
    first = browser_of(app, lighting["first"])
    listed = soup(first.get("/officer/complaints"))
    rows = listed.select("table.queue tbody tr")
    assert [r["data-reference"] for r in rows] == [report["reference"]]
    assert "Lampu penerangan jalan mati" in rows[0].get_text()
    assert not soup(first.get("/officer/complaints?category=BANJIR")).select("tbody tr")
    assert soup(first.get("/officer/complaints?area=31.74")).select("tbody tr")
    assert not soup(first.get("/officer/complaints?area=31.71")).select("tbody tr")
    assert not soup(first.get("/officer/complaints?assigned=me")).select("tbody tr")
    assert first.get("/officer/complaints?area=99.99").status_code == 422

    url = f"/officer/complaints/{report['id']}"
    page = soup(first.get(url))
    assert "Siti Aminah" in page.find(attrs={"data-testid": "reporter"}).get_text()
    assert page.select("ul.photos img")
    for action in ("accept", "start_work"):
        assert act(first, url, action).status_code == 303
    resolved = act(
        first,
        url,
        "resolve",
        comment="Lampu diganti baru.",
        files=[("after_photo", ("sesudah.png", png_bytes(), "image/png"))],
    )
    assert resolved.status_code == 303
    # The officer who resolved is not offered "verify", and posting it anyway is refused.
    resolver_page = first.get(url)
    assert not soup(resolver_page).select("form[data-action=verify]")
    version = reports.get(lighting["first"], report)["version"]
    refused = first.post(
        url + "/act",
        data={"csrf_token": csrf_of(resolver_page), "action": "verify", "version": version},
    )
    assert refused.status_code in (403, 409)
    assert soup(refused).find(attrs={"data-testid": "action-message"}) is not None
    second = browser_of(app, lighting["second"])
    assert act(second, url, "verify").status_code == 303
    assert len(soup(second.get(url)).select("ul.photos img")) == 2

    mine = f"/my/complaints/{report['id']}"
    shown = soup(client.get(mine))
    assert {f["data-action"] for f in shown.select("form[data-action]")} == {"confirm", "reopen"}
    assert act(client, mine, "confirm").status_code == 303
    after = client.get(mine)
    assert soup(after).find(attrs={"data-testid": "state"}).get_text() == "Selesai"
    timeline = soup(after).find(attrs={"data-testid": "timeline"}).get_text(" ")
    assert "Lampu diganti baru." in timeline and "petugas kedua" in timeline
    token = csrf_of(after)
    rated = client.post(
        f"{mine}/rating", data={"csrf_token": token, "score": "5"}, follow_redirects=False
    )
    assert rated.status_code == 303
    again = client.post(f"{mine}/rating", data={"csrf_token": token, "score": "4"})
    assert again.status_code == 409
    assert soup(client.get(mine)).find(attrs={"data-testid": "rating"}).get_text() == "5 / 5"


def test_triage_refers_declines_and_joins_duplicates_with_their_reasons(
    app, client, resident, reports, lighting
):
    first = browser_of(app, lighting["first"])
    original, referred, declined, again = (reports.file(resident) for _ in range(4))

    def url(report):
        return f"/officer/complaints/{report['id']}"

    no_reason = act(first, url(referred), "refer", department_code="DSDA", comment="")
    assert no_reason.status_code in (400, 422)
    answer = act(first, url(referred), "refer", department_code="DSDA", comment="Saluran air.")
    assert answer.status_code == 303
    assert first.get(url(referred)).status_code == 404  # now the other department's
    water = browser_of(app, lighting["outsider"])
    assert soup(water.get("/officer/complaints")).select("tbody tr")
    assert act(first, url(declined), "decline", comment="Jalan tol.").status_code == 303
    unknown = act(first, url(again), "mark_duplicate", duplicate_of="LPR-1999-0000001")
    assert unknown.status_code == 422 or unknown.status_code == 400
    joined = act(first, url(again), "mark_duplicate", duplicate_of=original["reference"])
    assert joined.status_code == 303
    shown = soup(client.get(f"/my/complaints/{again['id']}"))
    assert original["reference"] in shown.get_text()


def test_officer_forms_need_their_csrf_token_and_the_department(app, reports, lighting, resident):
    report = reports.file(resident)
    first = browser_of(app, lighting["first"])
    url = f"/officer/complaints/{report['id']}"
    data = act_form(first.get(url), "accept")
    forged = first.post(url + "/act", data=data | {"csrf_token": "forged"})
    assert forged.status_code == 403
    water = browser_of(app, lighting["outsider"])
    assert water.get(url).status_code == 404
    assert (
        water.post(
            url + "/act", data=data | {"csrf_token": csrf_of(water.get("/officer/complaints"))}
        ).status_code
        == 404
    )


def test_reopening_after_the_window_is_refused(app, client, resident, reports, lighting, db):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from app.models import Case

    report = reports.file(resident)
    first, second = lighting["first"], lighting["second"]
    for action in ("accept", "start_work"):
        reports.act(first, report, action)
    reports.act(first, report, "resolve", comment="Sudah.")
    reports.act(second, report, "verify")
    with db() as session:
        session.execute(
            update(Case)
            .where(Case.reference == report["reference"])
            .values(decided_at=datetime.now(UTC) - timedelta(days=8))
        )
    mine = f"/my/complaints/{report['id']}"
    answer = act(client, mine, "reopen", comment="Mati lagi.")
    assert answer.status_code == 409
    assert "7 hari" in text_of(answer)


# --- public -------------------------------------------------------------------------------------


def test_public_reports_show_no_person_and_exact_points_only_where_allowed(
    app, reports, world, monkeypatch
):
    from app.portal.complaints import public_pages

    siti = world.user("citizen", name="Siti Rahayu")
    light = reports.file(siti, email="siti@example.id", phone="0812 1111 2222")
    reports.photo(siti, light, jpeg_with_gps(), name="rumah-siti-rahayu.jpg")
    flood = reports.file(
        siti, category_code="BANJIR", data={"depth": "low"}, lat=-6.23456, long=106.85678
    )
    vendors = reports.file(siti, category_code="PKL")
    anyone = TestClient(app, raise_server_exceptions=False)
    listed = anyone.get("/laporan")
    assert listed.status_code == 200
    rows = soup(listed).select("[data-testid=public-reports] tbody tr")
    assert {r["data-reference"] for r in rows} == {light["reference"], flood["reference"]}
    words = text_of(listed)
    assert "Siti" not in words and "0812" not in words and "siti@" not in words
    dots = soup(listed).select("[data-testid=map] a")
    assert {a["data-reference"] for a in dots} == {light["reference"], flood["reference"]}

    shown = anyone.get(f"/laporan/{light['reference']}")
    assert soup(shown).find(attrs={"data-testid": "point"}).get_text() == "-6.233, 106.856"
    rounded = soup(anyone.get(f"/laporan/{flood['reference']}"))
    assert rounded.find(attrs={"data-testid": "point"}).get_text() != "-6.23456, 106.85678"
    assert "Siti" not in text_of(shown)
    image = anyone.get(soup(shown).select_one("ul.photos img")["src"])
    assert image.status_code == 200 and b"KameraPonsel" not in image.content
    assert "siti" not in image.headers["content-disposition"].lower()
    assert anyone.get(f"/laporan/{light['reference']}/foto/2").status_code == 404
    assert anyone.get(f"/laporan/{vendors['reference']}").status_code == 404

    only_floods = soup(anyone.get("/laporan?category=BANJIR")).select("tbody tr")
    assert [r["data-reference"] for r in only_floods] == [flood["reference"]]
    assert anyone.get("/laporan?area=99.99").status_code == 422
    monkeypatch.setattr(public_pages, "PAGE_SIZE", 1)
    first_page = soup(anyone.get("/laporan"))
    older = first_page.find("a", attrs={"rel": "next"})
    second_page = soup(anyone.get(older["href"]))
    seen = [
        r["data-reference"]
        for p in (first_page, second_page)
        for r in p.select("[data-testid=public-reports] tbody tr")
    ]
    assert seen == [flood["reference"], light["reference"]]


def test_the_pages_speak_english_by_the_switch(app, client, resident, reports):
    client.get("/lang/en?next=/")
    report = soup(client.get("/lapor"))
    assert report.find("h1").get_text() == "Report a problem"
    assert "Street light out" in report.select_one("#field-category_code").get_text()
    links = {a.get_text() for a in report.select("header nav a")}
    assert {"Report a problem", "My reports", "Public reports"} <= links
    assert soup(client.get("/laporan")).find("h1").get_text() == "Public reports"


def test_a_declined_report_is_objected_to_and_a_head_takes_it_on(
    app, client, resident, reports, lighting, world
):
    report = reports.file(resident)
    first = browser_of(app, lighting["first"])
    url = f"/officer/complaints/{report['id']}"
    assert act(first, url, "decline", comment="Jalan nasional.").status_code == 303

    mine = f"/my/complaints/{report['id']}"
    shown = soup(client.get(mine))
    assert shown.find(id="objection-title").get_text() == "Ajukan keberatan atas keputusan"
    assert act(client, mine, "object", comment="").status_code in (400, 422)
    assert act(client, mine, "object", comment="Ini jalan kota.").status_code == 303
    objected = soup(client.get(mine))
    assert "Keberatan diajukan" in objected.find(attrs={"data-testid": "timeline"}).get_text()
    assert not objected.select("form[data-action=object]")  # one objection

    # The officer who declined is no head: the head of the department answers.
    assert not soup(first.get(url)).select("form[data-action=grant_objection]")
    head = browser_of(app, world.user("officer", department="DBM", officer_roles=("head",)))
    assert act(head, url, "grant_objection", comment="Benar, kami tangani.").status_code == 303
    # This category allows no extension, so none is offered.
    assert not soup(head.get(url)).select("form[data-action=extend]")
    answer = soup(client.get(mine))
    assert "Keberatan diterima" in answer.find(attrs={"data-testid": "timeline"}).get_text()
