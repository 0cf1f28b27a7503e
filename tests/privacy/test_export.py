"""A resident's copy of everything held about them: JSON and a readable PDF, from the API and
the account pages; each export is recorded, and nobody else can take it."""

from __future__ import annotations

import subprocess

from tests.oauth.apps import register_app
from tests.oauth.test_clients import bearer, make_client, token_for
from tests.oauth.test_openid_connect import _tokens
from tests.web.pages import sign_in, soup


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "export.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _resident_with_a_history(world):
    citizen, officer = world.user("citizen", name="Siti Aminah"), world.user("officer")
    application = world.submitted(citizen)
    world.get(application["id"], officer)
    app = register_app(world.runtime, name="JAKI Contoh", scopes=("openid", "profile"))
    _tokens(world, app, citizen, scope="openid profile")
    return citizen, officer, application


def test_the_json_export_holds_everything_and_is_recorded(world):
    citizen, officer, application = _resident_with_a_history(world)
    response = world.client.get("/api/v1/me/export", headers=world.headers(citizen))
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    held = response.json()
    assert held["account"]["nik"] == citizen.nik
    assert held["account"]["full_name"] == "Siti Aminah"
    (mine,) = held["applications"]
    assert mine["reference"] == application["reference"]
    assert mine["data"] == world.default_data("SIMPLE")
    assert [d["requirement"] for d in mine["documents"]] == ["ktp"]
    assert [a["name"] for a in held["connected_apps"]] == ["JAKI Contoh"]
    assert [(a["accessor"]["name"], a["what"]) for a in held["data_access"]] == [
        (officer.full_name, "application")
    ]
    assert held["complaints"] == []
    log = world.client.get("/api/v1/me/data-access", headers=world.headers(citizen)).json()
    assert log["items"][0]["what"] == "export"
    assert log["items"][0]["accessor"]["name"] == "Siti Aminah"


def test_the_pdf_export_reads_like_a_document_in_the_residents_language(world, tmp_path):
    citizen, officer, application = _resident_with_a_history(world)
    response = world.client.get(
        "/api/v1/me/export", params={"format": "pdf"}, headers=world.headers(citizen, lang="id")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert "Data Anda yang disimpan Loket" in text
    for expected in (citizen.nik, "Siti Aminah", application["reference"], "Warung Sejahtera"):
        assert expected in text
    assert officer.full_name in text and "JAKI Contoh" in text
    bad = world.client.get(
        "/api/v1/me/export", params={"format": "docx"}, headers=world.headers(citizen)
    )
    assert bad.status_code == 422


def test_nobody_but_the_resident_takes_the_export(world):
    citizen, _, _ = _resident_with_a_history(world)
    client_id, secret = make_client(world.runtime, "applications:read")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    assert world.client.get("/api/v1/me/export", headers=bearer(token)).status_code == 403
    assert world.client.get("/api/v1/me/export").status_code == 401
    app = register_app(world.runtime, scopes=("openid", "applications:read"))
    tokens = _tokens(world, app, citizen, scope="openid applications:read")
    as_app = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert world.client.get("/api/v1/me/export", headers=as_app).status_code == 403


def test_the_my_data_page_offers_both_downloads_and_the_access_log(world, tmp_path):
    citizen, officer, _ = _resident_with_a_history(world)
    sign_in(world.client, citizen.email)
    world.client.get("/lang/en?next=/")
    page = soup(world.client.get("/my/data"))
    links = {a.get_text(strip=True): a["href"] for a in page.select("main a")}
    assert links["Download as PDF (to read)"] == "/my/data/export.pdf"
    pdf = world.client.get(links["Download as PDF (to read)"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "Your data held by Loket" in _pdf_text(pdf.content, tmp_path)
    as_json = world.client.get(links["Download as JSON (for another system)"])
    assert as_json.json()["account"]["email"] == citizen.email
    rows = soup(world.client.get("/my/data/access")).select("table.access-log tbody tr")
    cells = [[td.get_text(" ", strip=True) for td in row.find_all("td")] for row in rows]
    assert [c[1] for c in cells] == [
        "Siti Aminah (you)",
        "Siti Aminah (you)",
        f"{officer.full_name} (officer)",
    ]
    assert cells[2][2].startswith("application and its form")
    assert world.client.get("/my/data/export.exe").status_code == 404
