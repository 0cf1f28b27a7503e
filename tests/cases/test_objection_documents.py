"""Documents of an objection (keberatan, issue 14 item 5): up to five files through the API,
checked like every application document, only while the objection awaits its answer, and
read by the head who answers it."""

from __future__ import annotations

import hashlib

from tests.cases.test_objections import _object, _rejected, ob  # noqa: F401
from tests.factories import pdf_bytes
from tests.web.pages import post_form, sign_in, soup


def _docs(world, application, user):
    answer = world.client.get(
        f"/api/v1/applications/{application['id']}/documents", headers=world.headers(user)
    )
    assert answer.status_code == 200, answer.text
    return [d for d in answer.json()["items"] if d["requirement"] == "objection"]


def test_an_objection_carries_up_to_five_documents(ob):  # noqa: F811
    citizen, head = ob.users["citizen"], ob.users["head"]
    application = _rejected(ob)
    early = ob.upload(citizen, application, requirement="objection")
    assert early.status_code == 409, early.text  # no objection filed yet
    assert _object(ob, application).status_code == 200
    for n in range(5):
        answer = ob.upload(citizen, application, "objection", filename=f"bukti-{n}.pdf")
        assert answer.status_code == 201, answer.text
        assert answer.json()["version"] == n + 1
    sixth = ob.upload(citizen, application, "objection", filename="bukti-5.pdf")
    assert sixth.status_code == 409
    assert sixth.headers["content-type"].startswith("application/problem+json")
    # Each is current (none supersedes another), and the head who answers sees them all.
    found = _docs(ob, application, head)
    assert sorted(d["original_name"] for d in found) == [f"bukti-{n}.pdf" for n in range(5)]
    assert all(d["is_current"] for d in found)
    opened = ob.client.get(
        f"/api/v1/applications/{application['id']}/documents/{found[0]['id']}",
        headers=ob.headers(head),
    )
    assert opened.status_code == 200
    assert hashlib.sha256(opened.content).hexdigest() == found[0]["sha256"]


def test_objection_documents_are_checked_like_any_upload(ob):  # noqa: F811
    citizen, officer = ob.users["citizen"], ob.users["officer"]
    application = _rejected(ob)
    assert _object(ob, application).status_code == 200
    text = ob.upload(citizen, application, "objection", content=b"just text", filename="a.pdf")
    assert text.status_code == 415, text.text  # the content, not the name, decides
    empty = ob.client.post(
        f"/api/v1/applications/{application['id']}/documents",
        data={"requirement": "objection"},
        files={"file": ("a.pdf", b"", "application/pdf")},
        headers=ob.headers(citizen),
    )
    assert empty.status_code == 422
    big = ob.upload(citizen, application, "objection", content=b"%PDF-1.4\n" + b"0" * (6 << 20))
    assert big.status_code == 413
    by_officer = ob.upload(officer, application, "objection")
    assert by_officer.status_code == 404  # only the resident objects
    assert _docs(ob, application, citizen) == []  # nothing half-written
    answered = ob.act(ob.users["head"], application, "uphold_objection", comment="Tetap ditolak")
    assert answered.status_code == 200
    late = ob.upload(citizen, application, "objection")
    assert late.status_code == 409  # the objection was answered


def test_the_resident_objects_with_documents_on_their_page(ob):  # noqa: F811
    citizen = ob.users["citizen"]
    application = _rejected(ob)
    sign_in(ob.client, citizen.email)
    path = f"/my/applications/{application['id']}"
    page = soup(ob.client.get(path))
    form = page.select_one("#objection form")
    assert form is not None and form["action"] == f"{path}/objection"
    version = form.select_one("input[name=version]")["value"]

    def send(*files):
        return post_form(
            ob.client,
            f"{path}/objection",
            {"comment": "Izin lingkungan sudah ada", "version": version},
            csrf_from=path,
            files=[("objection_files", f) for f in files],
        )

    # One file that is not what it claims: nothing is filed, the page says why.
    refused = send(("izin.pdf", pdf_bytes(), "application/pdf"), ("a.pdf", b"teks", "text/plain"))
    assert refused.status_code in (415, 422), refused.text
    assert soup(refused).select_one("#objection form") is not None
    assert ob.get(application["id"], citizen)["state"] == "rejected"
    assert _docs(ob, application, citizen) == []

    answer = send(
        ("izin.pdf", pdf_bytes(), "application/pdf"), ("foto.pdf", pdf_bytes(), "application/pdf")
    )
    assert answer.status_code == 303, answer.text
    after = soup(ob.client.get(answer.headers["location"]))
    assert "Keberatan Anda sudah diajukan" in after.select_one("[role=status]").get_text()
    assert after.select_one("#objection") is None  # once only
    assert ob.get(application["id"], citizen)["state"] == "objected"
    names = sorted(d["original_name"] for d in _docs(ob, application, citizen))
    assert names == ["foto.pdf", "izin.pdf"]
