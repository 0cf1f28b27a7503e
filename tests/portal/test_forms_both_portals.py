"""One service form, two portals: a resident filling it in at home and an officer keying it in
at the counter store the same answers, and every page that shows the form (the public service
page, the resident's form, the counter's form, the officer's review) agrees on its questions.

The forms are filled in the way a browser does it: read from the page, by label; an unticked
box is not sent at all, an empty text input is sent empty.
"""

from __future__ import annotations

import re
import uuid

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.models import Case
from tests.web.pages import csrf_of, sign_in, soup

SERVICE = "OTHER"  # tests/fixtures/catalogue.yaml: one field of every input kind
# What a person types or picks, by the label they read (Indonesian, the default language).
ANSWERS = {
    "Nama usaha": "Warung Bu Tini",
    "Sektor usaha": "jasa",
    "Jumlah pegawai": "4",
    "Tanggal buka": "2026-03-02",
    "Luas lantai (m²)": "12,5",  # a decimal comma, as Indonesians write it
    "Buka hari Minggu": True,
    "Menjual minuman beralkohol": False,  # left unticked
    "Catatan": "",  # left empty
}
LABELS = list(ANSWERS)
# What both portals must store: typed values, nothing for the unticked box or the empty text.
STORED = {
    "business_name": "Warung Bu Tini",
    "sector": "jasa",
    "employees": 4,
    "opened_on": "2026-03-02",
    "floor_area": 12.5,
    "open_on_sundays": True,
}
# The officer's review, in words.
SHOWN = [
    ("Nama usaha", "Warung Bu Tini"),
    ("Sektor usaha", "jasa"),
    ("Jumlah pegawai", "4"),
    ("Tanggal buka", "2 Maret 2026"),
    ("Luas lantai (m²)", "12,5"),  # a decimal comma in Indonesian
    ("Buka hari Minggu", "Ya"),
    # An unticked box is not stored (app/catalogue/forms.py): it reads as "no".
    ("Menjual minuman beralkohol", "Tidak"),
    ("Catatan", "–"),
]


def label_of(form: BeautifulSoup, control) -> str:
    label = form.find("label", attrs={"for": control["id"]})
    return label.get_text(" ", strip=True).removesuffix("*").strip()


def service_controls(form: BeautifulSoup) -> list:
    """The form's service fields (inputs named ``data.<key>``), in page order."""
    return form.find_all(["input", "select", "textarea"], attrs={"name": re.compile(r"^data\.")})


def fill_in(form: BeautifulSoup, answers: dict) -> dict:
    """What a browser posts for ``form`` once a person has given ``answers`` by label."""
    posted = {
        hidden["name"]: hidden.get("value", "")
        for hidden in form.find_all("input", attrs={"type": "hidden"})
    }
    for control in service_controls(form):
        answer = answers[label_of(form, control)]
        if control.get("type") == "checkbox":
            if answer:
                posted[control["name"]] = control.get("value", "on")
        else:
            posted[control["name"]] = answer
    return posted


def form_posting_to(response, action: str) -> BeautifulSoup:
    form = soup(response).find("form", attrs={"action": action})
    assert form is not None, f"no form posting to {action}"
    return form


def page_form(response, action: str) -> dict:
    """The resident's form for a workflow action: where it posts and what it sends."""
    for form in soup(response).find_all("form"):
        fields = {f["name"]: f.get("value", "") for f in form.find_all("input") if f.get("name")}
        if fields.get("action") == action:
            return {"action": form["action"], "fields": fields}
    raise AssertionError(f"no form for {action}")


@pytest.fixture
def officer_client(app):
    with TestClient(app, raise_server_exceptions=False) as second:
        yield second


@pytest.fixture
def people(world):
    return {
        "resident": world.user("citizen", name="Tini Suryani"),
        "walk_in": world.user("citizen", name="Slamet Riyadi"),
        "officer": world.user("officer", department="DINASB", name="Petugas Dinas B"),
    }


def resident_fills_in(client: TestClient, resident) -> tuple[uuid.UUID, object]:
    """The resident starts a draft from the service page and saves the form; returns the
    application's id and the form page as the resident saw it."""
    sign_in(client, resident.email)
    started = client.post(
        f"/services/{SERVICE}/apply",
        data={"csrf_token": csrf_of(client.get(f"/services/{SERVICE}"))},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    application_id = uuid.UUID(started.headers["location"].split("/")[3])
    edit = client.get(f"/my/applications/{application_id}/edit")
    action = f"/my/applications/{application_id}/data"
    saved = client.post(
        action, data=fill_in(form_posting_to(edit, action), ANSWERS), follow_redirects=False
    )
    assert saved.status_code == 303, soup(saved).get_text(" ", strip=True)
    return application_id, edit


def officer_keys_in(client: TestClient, officer, walk_in) -> tuple[uuid.UUID, object]:
    """The officer finds the walk-in resident, chooses the service and submits the form for
    them; returns the application's id and the counter's form page."""
    sign_in(client, officer.email)
    found = client.post(
        "/officer/assisted/find",
        data={"csrf_token": csrf_of(client.get("/officer/assisted")), "email": walk_in.email},
        follow_redirects=False,
    )
    assert found.status_code == 303, found.text
    page = client.get(f"{found.headers['location']}?service={SERVICE}")
    action = f"{found.headers['location']}/apply"
    answer = client.post(
        action, data=fill_in(form_posting_to(page, action), ANSWERS), follow_redirects=False
    )
    assert answer.status_code == 303, soup(answer).get_text(" ", strip=True)
    return uuid.UUID(answer.headers["location"].split("/")[3].split("?")[0]), page


def stored_data(db, application_id: uuid.UUID) -> dict:
    with db() as session:
        return session.get(Case, application_id).data


def test_both_portals_store_the_same_answers(client, officer_client, db, people):
    at_home, _ = resident_fills_in(client, people["resident"])
    at_counter, _ = officer_keys_in(officer_client, people["officer"], people["walk_in"])

    assert stored_data(db, at_home) == stored_data(db, at_counter)
    assert stored_data(db, at_home) == STORED


def test_every_page_asks_the_same_questions_and_the_review_shows_the_answers(
    client, officer_client, people
):
    at_home, edit = resident_fills_in(client, people["resident"])
    at_counter, counter = officer_keys_in(officer_client, people["officer"], people["walk_in"])

    service_page = soup(client.get(f"/services/{SERVICE}"))
    questions = service_page.find("h2", string="Yang Anda isi").find_next_sibling("ul")
    listed = [item.find("strong").get_text(strip=True) for item in questions.find_all("li")]
    resident_form = form_posting_to(edit, f"/my/applications/{at_home}/data")
    counter_form = form_posting_to(counter, f"/officer/assisted/{people['walk_in'].id}/apply")
    assert listed == LABELS
    assert [label_of(resident_form, c) for c in service_controls(resident_form)] == LABELS
    assert [label_of(counter_form, c) for c in service_controls(counter_form)] == LABELS

    # The resident submits too, so that the office sees both applications.
    page = client.get(f"/my/applications/{at_home}")
    submit = page_form(page, "submit")
    assert client.post(submit["action"], data=submit["fields"]).status_code == 200

    for application_id in (at_home, at_counter):
        review = soup(officer_client.get(f"/officer/applications/{application_id}"))
        answers = review.select_one("[data-testid=form-data]")
        terms = [dt.get_text(strip=True) for dt in answers.find_all("dt")]
        values = [dd.get_text(strip=True) for dd in answers.find_all("dd")]
        assert list(zip(terms, values, strict=True)) == SHOWN
