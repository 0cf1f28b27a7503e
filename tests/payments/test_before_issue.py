"""A fee due before the certificate: the approver approves subject to payment, Loket bills it,
and the bank's payment completes the approval and issues the certificate by itself."""

from __future__ import annotations

import uuid

from app.db import transaction
from app.models import Invoice
from app.payments import service as payments


def _actions(world, user, application) -> list[str]:
    response = world.client.get(
        f"/api/v1/applications/{application['id']}/actions", headers=world.headers(user)
    )
    return [item["action"] for item in response.json()["items"]]


def test_payment_completes_the_approval_and_issues_the_certificate(fee_world):
    citizen, officer = fee_world.user("citizen"), fee_world.user("officer")
    application = fee_world.create(citizen, "FEELATE", {"business_name": "Toko Maju"})
    assert application["fee"]["amount"] == 250000 and application["fee"]["due"] == "before_issue"
    submitted = fee_world.act(citizen, application, "submit").json()
    assert submitted["state"] == "submitted"  # nothing billed yet
    assert fee_world.act(officer, submitted, "start_review").status_code == 200

    offered = _actions(fee_world, officer, submitted)
    assert "approve_pending_payment" in offered and "approve" not in offered
    refused = fee_world.act(officer, submitted, "approve")
    assert refused.status_code == 422
    assert "approve_pending_payment" in refused.json()["errors"][0]["message"]

    pending = fee_world.act(officer, submitted, "approve_pending_payment")
    assert pending.status_code == 200, pending.text
    assert pending.json()["state"] == "approved_pending_payment"
    assert pending.json()["sla"]["paused"] is True
    [invoice] = fee_world.client.get(
        f"/api/v1/applications/{application['id']}/invoices", headers=fee_world.headers(citizen)
    ).json()["items"]
    assert (invoice["state"], invoice["amount"], invoice["due"]) == (
        "unpaid",
        250000,
        "before_issue",
    )
    assert fee_world.get(application["id"], citizen)["certificate_number"] is None

    runtime = fee_world.runtime
    with transaction(runtime.engine) as session:
        row = session.get(Invoice, uuid.UUID(invoice["id"]))
        payments.record_payment(
            session,
            invoice=row,
            amount=250000,
            reference="REF-77",
            certificates=lambda: runtime.certificates,
        )
    approved = fee_world.get(application["id"], citizen)
    assert approved["state"] == "approved" and approved["decided_at"] is not None
    assert approved["certificate_number"].startswith("DINASA/FEELATE/")
    pdf = fee_world.client.get(
        f"/api/v1/certificates/{approved['certificate_number']}/pdf",
        headers=fee_world.headers(citizen),
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_free_service_is_approved_as_before(fee_world):
    citizen, officer = fee_world.user("citizen"), fee_world.user("officer")
    application = fee_world.in_state("in_review", citizen=citizen, officer=officer)
    offered = _actions(fee_world, officer, application)
    assert "approve" in offered and "approve_pending_payment" not in offered
    refused = fee_world.act(officer, application, "approve_pending_payment")
    assert refused.status_code == 422
