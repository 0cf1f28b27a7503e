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
