"""No signed certificate can outlive an approval that did not commit, and one whose file a crash
lost is produced again; online verification accepts only the very file that was issued.

Before: the signed PDF was written to storage before the approval committed. An approval that
then rolled back (a crash, a conflict) left a genuinely signed PDF behind whose number was later
given to another application, and checking that PDF online said "authentic, valid", because the
lookup used the number only.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.applications.transitions import transition
from app.cases.schemas import TransitionRequest
from app.certificates import service as certificates
from app.certificates.facts import CertificateFacts
from app.models import Case, Certificate
from app.models.base import utcnow
from app.oauth.principals import principal_for
from tests.factories import World


def _stored_files(world: World) -> set:
    return {path for path in world.runtime.files.root.glob("??/*") if path.is_file()}


def _reviewed(world: World):
    citizen, officer = world.user("citizen"), world.user("officer")
    return world.in_state("in_review", citizen=citizen, officer=officer), officer


def _approve(world: World, officer, application: dict, *, then=None) -> None:
    """Approve through the service in a transaction of its own; ``then`` runs before commit."""
    runtime = world.runtime
    token, _ = runtime.tokens.issue_access_token(
        subject=str(officer.id), client_id="loket-app", scopes=frozenset({"applications:write"})
    )
    claims = runtime.tokens.verify_access_token(token)
    from app.db import transaction

    with transaction(runtime.engine) as session:
        principal = principal_for(session, claims=claims)
        transition(
            session,
            principal=principal,
            application_id=uuid.UUID(application["id"]),
            request=TransitionRequest(action="approve", version=application["version"]),
            certificates=lambda: runtime.certificates,
        )
        if then is not None:
            then()


def test_an_approval_that_rolls_back_leaves_no_signed_file(world, db):
    application, officer = _reviewed(world)
    before = _stored_files(world)

    def crash_before_commit():
        # The certificate is rendered, signed and recorded, the commit not yet done: a process
        # killed now runs no rollback hook, so anything on disk now would stay behind.
        assert _stored_files(world) == before
        raise RuntimeError("the process dies before the commit")

    with pytest.raises(RuntimeError):
        _approve(world, officer, application, then=crash_before_commit)
    assert _stored_files(world) == before  # nothing was signed to disk
    with db() as session:
        assert session.exec(select(Certificate)).all() == []
        assert session.get(Case, uuid.UUID(application["id"])).state == "in_review"

    # The number the rolled-back approval took is given to the next one, with its own file.
    _approve(world, officer, world.get(application["id"], officer))
    with db() as session:
        (certificate,) = session.exec(select(Certificate)).all()
    assert certificate.number.endswith("/000001") and certificate.stored_at is not None
    assert _stored_files(world) == before | {world.runtime.files.path(certificate.storage_key)}


def test_a_file_lost_between_commit_and_write_is_produced_again(world, db, monkeypatch):
    application, officer = _reviewed(world)
    citizen_headers = world.headers(world.user("citizen"))  # a stranger to the application
    lost = []

    def write_fails(data: bytes, *, key: str | None = None) -> str:
        lost.append(data)
        raise OSError("the process died before the write")

    monkeypatch.setattr(world.runtime.files, "put_bytes", write_fails)
    approved = world.act(officer, application, "approve")
    assert approved.status_code == 200  # the approval stands: it committed
    number = approved.json()["certificate_number"]
    monkeypatch.undo()

    # Until recovery, the certificate is "being prepared", never a broken download.
    pdf = world.client.get(f"/api/v1/certificates/{number}/pdf", headers=world.headers(officer))
    assert pdf.status_code == 503 and pdf.headers["retry-after"] == "5"
    read = world.client.get(f"/api/v1/certificates/{number}", headers=world.headers(officer))
    assert read.json()["ready"] is False
    stranger = world.client.get(f"/api/v1/certificates/{number}", headers=citizen_headers)
    assert stranger.status_code == 404

    def issuer():
        return world.runtime.certificates

    assert certificates.store_unstored(world.runtime.engine, issuer) == 0  # not yet overdue

    later = utcnow() + certificates.RECOVER_AFTER + timedelta(seconds=1)
    done = certificates.store_unstored(world.runtime.engine, issuer, now=later)
    assert done == 1
    pdf = world.client.get(f"/api/v1/certificates/{number}/pdf", headers=world.headers(officer))
    assert pdf.status_code == 200
    check = world.client.post("/api/v1/verify", files={"file": ("c.pdf", pdf.content)}).json()
    assert check["authentic"] is True and check["status"] == "valid"
    # The bytes lost with the process are genuinely signed, yet they are not what was issued.
    orphan = world.client.post("/api/v1/verify", files={"file": ("c.pdf", lost[0])}).json()
    assert orphan["authentic"] is False and orphan["reason"] == "unknown_certificate"
    with db() as session:
        (certificate,) = session.exec(select(Certificate)).all()
        assert certificate.stored_at is not None
        facts = CertificateFacts.from_stored(certificate.facts)
    assert facts.number == number and facts.approved_by == officer.full_name


def test_online_verification_accepts_only_the_file_that_was_issued(world, db):
    application, officer = _reviewed(world)
    number = world.act(officer, application, "approve").json()["certificate_number"]
    issued = world.client.get(f"/api/v1/certificates/{number}/pdf", headers=world.headers(officer))
    with db() as session:
        (certificate,) = session.exec(select(Certificate)).all()
        stored = certificate.facts
    # The same facts signed again by our own key: a genuine signature, another file.
    issuer = world.runtime.certificates
    again = issuer.signer.sign(
        issuer.renderer.render(CertificateFacts.from_stored(stored)),
        reason=f"Sertifikat {number}",
        location="Jakarta",
    )
    answer = world.client.post("/api/v1/verify", files={"file": ("c.pdf", again)}).json()
    assert answer["authentic"] is False and answer["reason"] == "unknown_certificate"
    genuine = world.client.post("/api/v1/verify", files={"file": ("c.pdf", issued.content)})
    assert genuine.json()["authentic"] is True
