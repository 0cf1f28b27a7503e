"""Uploading and downloading documents through the API."""

from __future__ import annotations

import hashlib

from tests.factories import pdf_bytes


def test_upload_reupload_keeps_history_and_download_is_a_safe_attachment(world):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.create(citizen)
    first_bytes, second_bytes = pdf_bytes("pertama"), pdf_bytes("kedua")
    first = world.upload(
        citizen, application, content=first_bytes, filename="../../KTP Siti<script>.pdf"
    )
    assert first.status_code == 201, first.text
    assert first.json()["sha256"] == hashlib.sha256(first_bytes).hexdigest()
    assert "/" not in first.json()["original_name"] and "<" not in first.json()["original_name"]
    second = world.upload(citizen, application, content=second_bytes)
    assert second.json()["version"] == 2
    assert world.act(citizen, application, "submit").status_code == 200

    listing = world.client.get(
        f"/api/v1/applications/{application['id']}/documents", headers=world.headers(officer)
    ).json()["items"]
    assert [(d["version"], d["is_current"]) for d in listing] == [(1, False), (2, True)]

    download = world.client.get(
        f"/api/v1/applications/{application['id']}/documents/{second.json()['id']}",
        headers=world.headers(officer),
    )
    assert download.status_code == 200
    assert download.content == second_bytes
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]


def test_no_upload_once_submitted(world):
    citizen = world.user("citizen")
    application = world.submitted(citizen)
    refused = world.upload(citizen, application)
    assert refused.status_code == 409


def test_an_officer_reading_a_document_is_recorded_in_the_timeline(world):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.create(citizen)
    document = world.upload(citizen, application).json()
    assert world.act(citizen, application, "submit").status_code == 200
    path = f"/api/v1/applications/{application['id']}/documents/{document['id']}"
    assert world.client.get(path, headers=world.headers(citizen)).status_code == 200
    assert world.client.get(path, headers=world.headers(officer)).status_code == 200
    events = world.client.get(
        f"/api/v1/applications/{application['id']}/events", headers=world.headers(citizen)
    ).json()["items"]
    viewed = [e for e in events if e["action"] == "document.viewed"]
    assert len(viewed) == 1  # the citizen's own download is not a sensitive read
    assert viewed[0]["actor_id"] == str(officer.id)
    assert viewed[0]["details"]["requirement"] == "ktp"


# --- issue 11, items 4 and 7: hostile uploads through the API ---------------------------------


def _stored_files(world) -> list:
    return sorted(p for p in world.runtime.files.root.rglob("*") if p.is_file())


def _documents(world, citizen, application) -> list:
    return world.client.get(
        f"/api/v1/applications/{application['id']}/documents", headers=world.headers(citizen)
    ).json()["items"]


def test_uploads_beyond_the_decode_slots_get_503_with_retry_after(world):
    from app.files.slots import process_slots
    from tests.files.test_uploads import image_bytes

    citizen = world.user("citizen")
    application = world.create(citizen)
    settings = world.runtime.settings
    settings.upload_decode_wait_seconds = 0  # the slots are held below: no wait is needed
    slots = process_slots(settings.upload_decode_slots)
    png = image_bytes("PNG")
    with slots.held(wait_seconds=0), slots.held(wait_seconds=0):
        busy = world.upload(citizen, application, content=png, filename="ktp.png")
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "1"
    assert busy.headers["content-type"] == "application/problem+json"
    assert "upload again" in busy.json()["detail"] or "unggah ulang" in busy.json()["detail"]
    assert _stored_files(world) == [] and _documents(world, citizen, application) == []
    again = world.upload(citizen, application, content=png, filename="ktp.png")
    assert again.status_code == 201, again.text


def test_an_oversized_photo_is_refused_by_its_header_while_every_slot_is_busy(world):
    from app.files.slots import process_slots
    from tests.files.test_uploads import bomb_png

    citizen = world.user("citizen")
    application = world.create(citizen)
    settings = world.runtime.settings
    settings.upload_decode_wait_seconds = 0
    slots = process_slots(settings.upload_decode_slots)
    with slots.held(wait_seconds=0), slots.held(wait_seconds=0):
        refused = world.upload(
            citizen, application, content=bomb_png(6300, 6300), filename="ktp.png"
        )
    assert refused.status_code == 415, refused.text  # not 503: nothing was decoded
    assert "6300 x 6300" in refused.json()["detail"]
    assert _stored_files(world) == [] and _documents(world, citizen, application) == []


def test_hostile_files_are_refused_with_a_message_and_nothing_stored(world):
    from tests.files.test_upload_attacks import (
        flate_of_zeros,
        multi_object_pdf,
        pdf_with_stream,
        zip_bytes,
    )
    from tests.files.test_uploads import image_bytes

    citizen = world.user("citizen")
    application = world.create(citizen)
    whole = multi_object_pdf()
    tail_at = whole.rindex(b"\nxref") + 1
    attacks = {
        "ktp.png": image_bytes("PNG") + zip_bytes(comment=b"IEND\xaeB`\x82"),
        "ktp.jpg": image_bytes("JPEG") + zip_bytes(comment=b"\xff\xd9"),
        "bomb.pdf": pdf_with_stream(flate_of_zeros(300)),
        "cut.pdf": whole[: tail_at // 2] + whole[tail_at:],
    }
    for name, content in attacks.items():
        for language in ("id", "en"):
            refused = world.client.post(
                f"/api/v1/applications/{application['id']}/documents",
                data={"requirement": "ktp"},
                files={"file": (name, content, "application/octet-stream")},
                headers={**world.headers(citizen), "Accept-Language": language},
            )
            assert refused.status_code == 415, (name, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["detail"]
    assert _stored_files(world) == [] and _documents(world, citizen, application) == []


def test_a_loket_certificate_passes_the_structure_and_inflation_checks(world):
    # WeasyPrint's PDF with pyHanko's signing revisions appended: incremental updates. It is
    # PDF/A-3 with its facts attached, which the active-content rule refuses (as before issue
    # 11); that rule runs last, so its answer shows the xref and inflation checks passed.
    citizen, officer = world.user("citizen"), world.user("officer")
    approved = world.in_state("approved", citizen=citizen, officer=officer)
    number = approved["certificate_number"]
    pdf = world.client.get(
        f"/api/v1/certificates/{number}/pdf", headers=world.headers(citizen)
    ).content
    assert pdf.startswith(b"%PDF-") and pdf.count(b"%%EOF") >= 2
    application = world.create(citizen)
    uploaded = world.upload(citizen, application, content=pdf, filename="izin.pdf")
    assert uploaded.status_code == 415
    assert "active content (/EF, /EmbeddedFile, /EmbeddedFiles)" in uploaded.json()["detail"]
