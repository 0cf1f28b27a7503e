"""The citizen portal and the public catalogue over HTTP, on both databases: what a person sees,
who may see it, and what happens to refused forms."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, pdf_bytes


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def text(response) -> str:
    return soup(response).main.get_text(" ", strip=True)


def csrf(response) -> str:
    return soup(response).find("input", {"name": "csrf_token"})["value"]


def signed_in(client: TestClient, user) -> str:
    """Sign ``user`` in through the login form; returns the session's CSRF token."""
    token = csrf(client.get("/login"))
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf(client.get("/my/applications"))


@pytest.fixture
def other_client(app):
    with TestClient(app, raise_server_exceptions=False) as second:
        yield second


def start_draft(client: TestClient, token: str, code: str = "SIMPLE") -> str:
    response = client.post(
        f"/services/{code}/apply", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/my/applications/[0-9a-f-]{36}/edit", location)
    return location.removesuffix("/edit")


def version_of(client: TestClient, url: str) -> str:
    return soup(client.get(url)).find("input", {"name": "version"})["value"]


def test_catalogue_lists_services_by_department_with_their_sla(world, client):
    response = client.get("/services?welcome=1")
    assert response.status_code == 200
    page = soup(response)
    headings = [h.get_text(strip=True) for h in page.main.find_all("h2")]
    assert headings == ["Dinas A", "Dinas B"]
    assert "Layanan Sederhana" in text(response)
    assert "Keputusan dalam 3 hari kerja" in text(response)
    assert "Selamat datang" in text(response)
    assert "Selamat datang" not in text(client.get("/services"))


def test_service_page_says_what_it_takes_and_sends_anonymous_visitors_to_sign_in(world, client):
    response = client.get("/services/SIMPLE")
    words = text(response)
    for expected in (
        "Nama usaha",
        "Jumlah pegawai",
        "KTP pemohon",
        "PDF, JPEG, PNG",
        "maksimal 1 MB",
        "3 hari kerja",
        "berlaku 12 bulan",
    ):
        assert expected in words
    login = soup(response).find("a", href=re.compile(r"^/login\?next="))
    assert login["href"] == "/login?next=/services/SIMPLE"
    assert soup(response).find("form", action="/services/SIMPLE/apply") is None
    assert client.get("/services/NOPE").status_code == 404


def test_a_citizen_applies_fills_in_uploads_and_submits(world, client):
    token = signed_in(client, world.user("citizen"))
    assert soup(client.get("/services/SIMPLE")).find("form", action="/services/SIMPLE/apply")
    url = start_draft(client, token)
    edit = client.get(url + "/edit")
    assert "Draf" in text(edit) and "Belum ada" in text(edit)

    refused = client.post(
        url + "/data",
        data={
            "csrf_token": token,
            "version": version_of(client, url + "/edit"),
            "data.business_name": "Warung <b>Kita</b>",
            "data.employees": "tiga",
        },
    )
    assert refused.status_code == 422
    page = soup(refused)
    assert "bilangan bulat" in page.find(id="error-data.employees").get_text()
    assert page.find(id="field-data.employees")["value"] == "tiga"  # input kept
    assert page.find(id="field-data.business_name")["value"] == "Warung <b>Kita</b>"
    assert page.main.find("b") is None  # shown as text

    saved = client.post(
        url + "/data",
        data={
            "csrf_token": token,
            "version": version_of(client, url + "/edit"),
            "data.business_name": "Warung Kita",
            "data.employees": "3",
        },
        follow_redirects=True,
    )
    assert "Isian Anda telah disimpan" in text(saved)
    uploaded = client.post(
        url + "/documents",
        data={"csrf_token": token, "requirement": "ktp"},
        files={"file": ("ktp saya.pdf", pdf_bytes(), "application/pdf")},
        follow_redirects=True,
    )
    checklist = soup(uploaded).find(attrs={"data-testid": "checklist"}).get_text(" ", strip=True)
    assert "Sudah diunggah" in checklist and "ktp saya.pdf" in checklist

    submitted = client.post(
        url + "/actions",
        data={"csrf_token": token, "action": "submit", "version": version_of(client, url)},
        follow_redirects=True,
    )
    assert soup(submitted).find(attrs={"data-testid": "state"}).get_text() == "Diajukan"
    assert "Permohonan diajukan" in text(submitted)
    listing = text(client.get("/my/applications"))
    assert "Layanan Sederhana" in listing and "Diajukan" in listing


def test_submitting_an_incomplete_application_says_what_is_missing(world, client):
    token = signed_in(client, world.user("citizen"))
    url = start_draft(client, token)
    response = client.post(
        url + "/actions",
        data={"csrf_token": token, "action": "submit", "version": version_of(client, url)},
    )
    assert response.status_code == 422
    assert "Dokumen wajib belum diunggah: KTP pemohon" in text(response)
    assert soup(response).find(attrs={"data-testid": "state"}).get_text() == "Draf"


def test_a_rejected_upload_is_explained_next_to_its_document(world, client):
    token = signed_in(client, world.user("citizen"))
    url = start_draft(client, token)
    response = client.post(
        url + "/documents",
        data={"csrf_token": token, "requirement": "foto"},
        files={"file": ("foto.pdf", pdf_bytes(), "application/pdf")},
    )
    assert response.status_code in (415, 422)
    assert soup(response).find(id="error-upload-foto") is not None


def test_a_stale_version_shows_a_clear_message_and_the_current_state(world, client):
    citizen = world.user("citizen")
    token = signed_in(client, citizen)
    url = start_draft(client, token)
    old_version = version_of(client, url + "/edit")
    client.post(
        url + "/data",
        data={"csrf_token": token, "version": old_version, "data.business_name": "Warung Satu"},
    )
    response = client.post(
        url + "/actions", data={"csrf_token": token, "action": "withdraw", "version": old_version}
    )
    assert response.status_code == 409
    assert soup(response).find(attrs={"data-testid": "stale"}) is not None
    assert soup(response).find(attrs={"data-testid": "state"}).get_text() == "Draf"
    assert "Warung Satu" in text(response)


def test_another_citizen_gets_404_for_every_page_of_the_application(world, client, other_client):
    owner, stranger = world.user("citizen"), world.user("citizen")
    application = world.submitted(owner)
    document = world.client.get(
        f"/api/v1/applications/{application['id']}/documents", headers=world.headers(owner)
    ).json()["items"][0]
    token = signed_in(other_client, stranger)
    base = f"/my/applications/{application['id']}"
    for path in ("", "/edit", "/withdraw", "/certificate", f"/documents/{document['id']}"):
        assert other_client.get(base + path).status_code == 404, path
    for path, data in (
        ("/data", {"data.business_name": "Bukan milik saya"}),
        ("/actions", {"action": "withdraw"}),
        ("/documents", {"requirement": "ktp"}),
    ):
        response = other_client.post(
            base + path, data={"csrf_token": token, "version": "2", **data}
        )
        assert response.status_code == 404, path
    assert application["reference"] not in text(other_client.get("/my/applications"))


def test_posts_need_the_csrf_token_and_our_own_origin(world, client):
    token = signed_in(client, world.user("citizen"))
    assert client.post("/services/SIMPLE/apply", data={}).status_code == 403
    assert client.post("/services/SIMPLE/apply", data={"csrf_token": "guess"}).status_code == 403
    cross_site = client.post(
        "/services/SIMPLE/apply",
        data={"csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross_site.status_code == 403
    assert "Belum ada" not in text(client.get("/my/applications"))  # still nothing created
    assert "Anda belum memiliki permohonan" in text(client.get("/my/applications"))


def test_pages_need_a_signed_in_citizen(world, client):
    response = client.get("/my/applications", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/my/applications"


def test_a_revision_request_is_shown_and_answered_by_resubmitting(world, client):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.in_state("revision_requested", citizen=citizen, officer=officer)
    token = signed_in(client, citizen)
    url = f"/my/applications/{application['id']}"
    page = client.get(url)
    assert page.status_code == 200
    assert (
        soup(page).find(attrs={"data-testid": "revision-comment"}).get_text() == "Mohon dilengkapi"
    )
    assert "Perlu perbaikan" in text(page) and "dihentikan sementara" in text(page)
    assert client.get(url + "/edit").status_code == 200  # editable again
    response = client.post(
        url + "/actions",
        data={
            "csrf_token": token,
            "action": "resubmit",
            "version": version_of(client, url),
            "comment": "Sudah saya lengkapi",
        },
        follow_redirects=True,
    )
    assert soup(response).find(attrs={"data-testid": "state"}).get_text() == "Diajukan"
    assert "Sudah saya lengkapi" in text(response)
    assert "Permohonan diajukan ulang" in text(response)


def test_an_approved_application_offers_its_signed_certificate(world, client):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.in_state("approved", citizen=citizen, officer=officer)
    signed_in(client, citizen)
    url = f"/my/applications/{application['id']}"
    page = soup(client.get(url))
    assert "Disetujui" in page.main.get_text()
    verify = page.find("a", href=re.compile(r"/verify/"))
    assert verify is not None
    pdf = client.get(url + "/certificate")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")


def test_withdrawing_asks_for_confirmation_first(world, client):
    citizen = world.user("citizen")
    application = world.submitted(citizen)
    token = signed_in(client, citizen)
    url = f"/my/applications/{application['id']}"
    confirm = client.get(url + "/withdraw")
    form = soup(confirm).find("form", action=url + "/actions")
    assert form.find("input", {"name": "action"})["value"] == "withdraw"
    assert soup(client.get(url)).find(attrs={"data-testid": "state"}).get_text() == "Diajukan"
    done = client.post(
        url + "/actions",
        data={
            "csrf_token": token,
            "action": "withdraw",
            "version": form.find("input", {"name": "version"})["value"],
        },
        follow_redirects=True,
    )
    assert soup(done).find(attrs={"data-testid": "state"}).get_text() == "Ditarik kembali"
    # Nothing left to withdraw: the confirmation page sends the person back.
    assert client.get(url + "/withdraw", follow_redirects=False).status_code == 303


def test_own_documents_download_as_attachments(world, client):
    citizen = world.user("citizen")
    application = world.submitted(citizen)
    signed_in(client, citizen)
    page = soup(client.get(f"/my/applications/{application['id']}"))
    link = page.find("a", href=re.compile(r"/documents/"))
    response = client.get(link["href"])
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


def test_every_state_and_workflow_event_has_words_in_both_languages():
    from app.applications.kind import APPLICATION
    from app.web.wording import EVENTS
    from app.workflow.definitions import get_workflow

    for workflow in map(get_workflow, APPLICATION.workflows):
        for state in workflow.states:
            for words in (state.label, state.officer_label, state.short_label):
                assert words is None or (words.id.strip() and words.en.strip())
        for step in workflow.transitions:
            assert APPLICATION.event_name(step) in EVENTS
