"""Who reads certificates through the API: a system with certificates:read sees every one (as
one with applications:read sees every submitted application); residents and officers only
their own and their department's."""

from __future__ import annotations

import pytest

from tests.oauth.test_clients import bearer, make_client, token_for


@pytest.fixture
def approved(world):
    citizen = world.user("citizen")
    officer = world.user("officer")
    application = world.in_state("approved", citizen=citizen, officer=officer)
    return {"application": application, "number": application["certificate_number"]}


def test_certificates_read_alone_reads_metadata_and_pdf_of_every_certificate(world, approved):
    client_id, secret = make_client(world.runtime, "certificates:read")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    number = approved["number"]

    metadata = world.client.get(f"/api/v1/certificates/{number}", headers=bearer(token))
    assert metadata.status_code == 200, metadata.text
    assert metadata.json()["number"] == number and metadata.json()["status"] == "valid"
    pdf = world.client.get(f"/api/v1/certificates/{number}/pdf", headers=bearer(token))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # The scope opens certificates, nothing else: the application itself stays closed.
    application = world.client.get(
        f"/api/v1/applications/{approved['application']['id']}", headers=bearer(token)
    )
    assert application.status_code == 403
    missing = world.client.get(f"/api/v1/certificates/{number[:-6]}999999", headers=bearer(token))
    assert missing.status_code == 404


def test_people_still_see_only_their_own_and_their_departments_certificates(world, approved):
    number = approved["number"]
    for stranger in (world.user("citizen"), world.user("officer", department="DINASB")):
        answer = world.client.get(f"/api/v1/certificates/{number}", headers=world.headers(stranger))
        assert answer.status_code == 404
    colleague = world.user("officer", officer_roles=("verifier",))
    answer = world.client.get(f"/api/v1/certificates/{number}", headers=world.headers(colleague))
    assert answer.status_code == 200
