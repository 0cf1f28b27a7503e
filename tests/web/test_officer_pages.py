"""The officer workspace over HTTP (both databases): who may see what, the queue's counts and
filters, actions refused with a clear message, documents served safely, the counter flow."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import update

from app.models import Case
from tests.web.pages import csrf_of, sign_in, soup


@pytest.fixture
def people(world):
    return {
        "citizen": world.user("citizen", name="Siti Aminah"),
        "other_citizen": world.user("citizen", name="Joko Widodo"),
        "officer": world.user("officer", name="Petugas Ani"),
        "colleague": world.user("officer", name="Petugas Budi"),
        "outsider": world.user("officer", department="DINASB", name="Petugas Dinas B"),
    }


def make_overdue(db, application_id: str) -> None:
    with db() as session:
        session.execute(
            update(Case).where(Case.id == uuid.UUID(application_id)).values(due_at=date(2020, 1, 6))
        )


def submit_other(world, citizen) -> dict:
    """Department B's service needs no documents."""
    application = world.create(citizen, "OTHER")
    assert world.act(citizen, application, "submit").status_code == 200
    return application


def visible_text(response) -> str:
    return soup(response).get_text(" ", strip=True)


def act_form(response, action: str) -> dict:
    """The fields of the page's form for ``action`` (as the browser would send them)."""
    form = soup(response).find("form", attrs={"data-action": action})
    assert form is not None, f"no form for {action}"
    return {field["name"]: field.get("value", "") for field in form.find_all("input")}


def test_queue_counts_per_state_filters_and_overdue(client, world, db, people):
    citizen, officer = people["citizen"], people["officer"]
    first = world.submitted(citizen)
    world.submitted(people["other_citizen"])
    world.submitted(citizen, "TWO")
    world.in_state("in_review", citizen=citizen, officer=people["colleague"])
    world.create(citizen)  # a draft: not the office's yet
    submit_other(world, citizen)  # another department's
    make_overdue(db, first["id"])
    sign_in(client, officer.email)

    answer = client.get("/officer")
    assert answer.status_code == 200
    counts = {
        a["data-state"]: int(a.find("strong").get_text())
        for a in soup(answer).select("[data-testid=state-counts] a")
    }
    assert counts["submitted"] == 3 and counts["in_review"] == 1 and counts["overdue"] == 1
    assert "draft" not in counts and counts["approved"] == 0
    rows = soup(answer).select("table.queue tbody tr")
    assert len(rows) == 4  # neither the draft nor department B's file
    overdue = [row for row in rows if "overdue" in row.get("class", [])]
    assert [row["data-reference"] for row in overdue] == [first["reference"]]
    assert "Terlambat" in overdue[0].get_text()  # a word, not only a colour
    assert len(soup(answer).select("form[action$='/act'] button")) == 3  # claim the unclaimed

    reviewed = soup(client.get("/officer?state=in_review")).select("table.queue tbody tr")
    assert len(reviewed) == 1 and "Petugas Budi" in reviewed[0].get_text()
    by_name = soup(client.get("/officer?q=joko")).select("table.queue tbody tr")
    assert [row.find("td").get_text(strip=True) for row in by_name] != []
    assert all("Joko Widodo" in row.get_text() for row in by_name) and len(by_name) == 1
    late = soup(client.get("/officer?overdue=1")).select("table.queue tbody tr")
    assert [row["data-reference"] for row in late] == [first["reference"]]
    bad = client.get("/officer?state=nonsense")
    assert bad.status_code == 422 and "Status tidak dikenal" in visible_text(bad)


def test_queue_pages_with_a_next_link(client, world, people):
    for _ in range(26):
        world.submitted(people["citizen"], "TWO")
    sign_in(client, people["officer"].email)
    first = soup(client.get("/officer?service=TWO"))
    assert len(first.select("table.queue tbody tr")) == 25
    following = first.find("a", rel="next")["href"]
    assert "service=TWO" in following and "cursor=" in following
    assert len(soup(client.get(following)).select("table.queue tbody tr")) == 1


def test_claim_from_the_queue(client, world, people):
    application = world.submitted(people["citizen"])
    sign_in(client, people["officer"].email)
    queue = client.get("/officer")
    form = soup(queue).select_one("form[action$='/act']")
    fields = {f["name"]: f.get("value", "") for f in form.find_all("input")}
    answer = client.post(form["action"], data=fields, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/officer"
    reference = application["reference"]
    row = soup(client.get("/officer")).select_one(f"tr[data-reference='{reference}']")
    assert "Anda" in row.get_text() and row.find("form") is None


def test_citizens_cannot_open_the_officer_workspace(client, world, people):
    application = world.submitted(people["citizen"])
    sign_in(client, people["citizen"].email)
    for path in (
        "/officer",
        "/officer/stats",
        "/officer/assisted",
        f"/officer/applications/{application['id']}",
    ):
        assert client.get(path).status_code in (403, 404), path


def test_another_departments_officer_gets_404_on_the_file_and_its_documents(client, world, people):
    application = world.submitted(people["citizen"])
    document = world.client.get(
        f"/api/v1/applications/{application['id']}/documents",
        headers=world.headers(people["citizen"]),
    ).json()["items"][0]
    sign_in(client, people["outsider"].email)
    assert client.get(f"/officer/applications/{application['id']}").status_code == 404
    assert (
        client.get(
            f"/officer/applications/{application['id']}/documents/{document['id']}"
        ).status_code
        == 404
    )
    page = client.get("/officer")
    token = csrf_of(page)
    claim = client.post(
        f"/officer/applications/{application['id']}/act",
        data={"csrf_token": token, "action": "claim", "version": "2"},
    )
    assert claim.status_code == 404


def test_application_page_shows_labelled_data_documents_and_records_a_look(client, world, people):
    application = world.submitted(people["citizen"])
    sign_in(client, people["officer"].email)
    answer = client.get(f"/officer/applications/{application['id']}")
    assert answer.status_code == 200
    data = soup(answer).select_one("[data-testid=form-data]").get_text(" ", strip=True)
    assert "Nama usaha Warung Sejahtera" in data and "Jumlah pegawai 3" in data
    actions = {form["data-action"] for form in soup(answer).select("form[data-action]")}
    assert actions == {"start_review", "claim"}  # only what this officer may do now
    link = soup(answer).select_one("a[href*='/documents/']")
    document = client.get(link["href"])
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert document.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in document.headers["content-security-policy"]
    assert document.headers["x-content-type-options"] == "nosniff"
    again = visible_text(client.get(f"/officer/applications/{application['id']}"))
    assert "Dokumen dibuka petugas" in again


def test_a_stale_version_says_someone_acted_first_and_shows_the_current_state(
    client, world, people
):
    application = world.submitted(people["citizen"])
    sign_in(client, people["officer"].email)
    page = client.get(f"/officer/applications/{application['id']}")
    form = act_form(page, "start_review")
    assert world.act(people["colleague"], application, "start_review").status_code == 200

    answer = client.post(f"/officer/applications/{application['id']}/act", data=form)
    assert answer.status_code == 409
    message = soup(answer).select_one("[data-testid=action-message]").get_text(" ", strip=True)
    assert "Orang lain sudah menindaklanjuti" in message and "Sedang diperiksa" in message
    assert soup(answer).select_one("[data-testid=state]").get_text(strip=True) == "Sedang diperiksa"


def test_an_action_not_allowed_now_says_so(client, world, people):
    application = world.submitted(people["citizen"])
    sign_in(client, people["officer"].email)
    page = client.get(f"/officer/applications/{application['id']}")
    form = act_form(page, "start_review") | {"action": "approve"}
    answer = client.post(f"/officer/applications/{application['id']}/act", data=form)
    assert answer.status_code == 409
    assert soup(answer).select_one("[data-testid=action-message]").get_text(strip=True)


def test_reject_without_a_reason_keeps_the_form_with_an_error(client, world, people):
    application = world.in_state("in_review", citizen=people["citizen"], officer=people["officer"])
    sign_in(client, people["officer"].email)
    page = client.get(f"/officer/applications/{application['id']}")
    answer = client.post(
        f"/officer/applications/{application['id']}/act",
        data=act_form(page, "reject") | {"comment": "  "},
    )
    assert answer.status_code == 422
    form = soup(answer).find("form", attrs={"data-action": "reject"})
    assert "Komentar wajib diisi" in form.select_one(".field-error").get_text()
    assert form.find("textarea")["aria-invalid"] == "true"
    assert world.get(application["id"], people["officer"])["state"] == "in_review"

    done = client.post(
        f"/officer/applications/{application['id']}/act",
        data=act_form(page, "reject") | {"comment": "Data usaha\r\ntidak sah", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "Data usaha\ntidak sah" in soup(shown).select_one(".timeline").get_text()


def test_counter_application_for_a_new_resident(client, world, people):
    officer = people["officer"]
    sign_in(client, officer.email)
    created = client.post(
        "/officer/assisted/residents",
        data={
            "csrf_token": csrf_of(client.get("/officer/assisted")),
            "full_name": "Pak Slamet",
            "nik": "3171011503901234",
            "email": "slamet@example.id",
            "phone": "",
        },
    )
    assert created.status_code == 201
    password = soup(created).select_one("[data-testid=one-time-password]").get_text(strip=True)
    resident_page = soup(created).find("a", string=lambda s: s and "Lanjut" in s)["href"]
    form_page = client.get(f"{resident_page}?service=TWO")
    answer = client.post(
        f"{resident_page}/apply",
        data={
            "csrf_token": csrf_of(form_page),
            "service_code": "TWO",
            "data.business_name": "Bengkel Slamet",
        },
        files={"documents.ktp": ("ktp.pdf", _pdf(), "application/pdf")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, visible_text(answer)
    shown = client.get(answer.headers["location"])
    assert "Diajukan di loket oleh Petugas Ani" in visible_text(shown)

    client.post("/logout", data={"csrf_token": csrf_of(client.get("/"))})
    assert sign_in(client, "slamet@example.id", password).status_code == 303


def test_counter_application_errors_keep_the_input(client, world, people):
    resident = people["citizen"]
    sign_in(client, people["officer"].email)
    found = client.post(
        "/officer/assisted/find",
        data={"csrf_token": csrf_of(client.get("/officer/assisted")), "email": resident.email},
        follow_redirects=False,
    )
    assert found.status_code == 303
    form_page = client.get(f"{found.headers['location']}?service=SIMPLE")
    answer = client.post(
        f"{found.headers['location']}/apply",
        data={
            "csrf_token": csrf_of(form_page),
            "service_code": "SIMPLE",
            "data.business_name": "Toko <b>Siti</b>",
            "data.employees": "banyak",
        },
    )
    assert answer.status_code == 422
    page = soup(answer)
    assert page.select_one("#field-data\\.business_name")["value"] == "Toko <b>Siti</b>"
    assert page.select_one("#error-data\\.employees") is not None
    assert page.find("b") is None
    unknown = client.post(
        "/officer/assisted/find", data={"csrf_token": csrf_of(form_page), "nik": "3171011503909876"}
    )
    assert unknown.status_code == 404
    assert soup(unknown).select_one("[data-testid=not-found]") is not None


def test_department_figures_and_overdue_list(client, world, db, people):
    late = world.submitted(people["citizen"])
    submit_other(world, people["citizen"])
    make_overdue(db, late["id"])
    sign_in(client, people["officer"].email)
    answer = client.get("/officer/stats")
    assert answer.status_code == 200
    names = [
        th.get_text(" ", strip=True)
        for th in soup(answer).select("[data-testid=service-figures] tbody th")
    ]
    assert names == ["Layanan Sederhana SIMPLE", "Layanan Dua Tingkat TWO"]
    received = soup(answer).select_one("[data-testid=service-figures] tbody td")
    assert received.get_text(strip=True) == "<10"  # the public suppression applies here too
    overdue = soup(answer).select("[data-testid=overdue] tbody tr")
    assert [row.find("a").get_text() for row in overdue] == [late["reference"]]


def _pdf() -> bytes:
    from tests.factories import pdf_bytes

    return pdf_bytes()


def test_the_officer_downloads_the_certificate_of_an_approved_application(world, client):
    from tests.web.pages import sign_in, soup

    officer = world.user("officer")
    approved = world.in_state("approved", citizen=world.user("citizen"), officer=officer)
    sign_in(client, officer.email)
    review = soup(client.get(f"/officer/applications/{approved['id']}"))
    link = review.find("a", href=f"/officer/applications/{approved['id']}/certificate")
    assert link is not None
    pdf = client.get(link["href"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]

    stranger = world.user("officer", department="DINASB")
    client.cookies.clear()
    sign_in(client, stranger.email)
    assert client.get(link["href"]).status_code == 404
