"""Fees and invoices through the real API, on SQLite and PostgreSQL: the price shown before
submitting, the bill issued on submission, payment moving the workflow on, expiry and
reissue, and cancellation on withdrawal."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from app.db import transaction
from app.errors import ValidationFailed
from app.models import Invoice
from app.payments import service as payments
from app.payments.service import InvoiceNotPayable

DATA = {"floor_area_m2": 120.5, "building_use": "Hunian"}
# 120.5 x 10000.5 = 1,205,060.25, rounded up to the next Rp1.000.
AMOUNT = 1_206_000


def _submitted(world, citizen, data=DATA):
    application = world.create(citizen, "FEEPBG", data)
    response = world.act(citizen, application, "submit")
    assert response.status_code == 200, response.text
    return response.json()


def _invoices(world, user, application):
    response = world.client.get(
        f"/api/v1/applications/{application['id']}/invoices", headers=world.headers(user)
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _pay(world, invoice_id, amount=AMOUNT, reference="BANK-REF-1"):
    with transaction(world.runtime.engine) as session:
        invoice = session.get(Invoice, uuid.UUID(invoice_id))
        payments.record_payment(session, invoice=invoice, amount=amount, reference=reference)


def test_the_price_and_how_it_was_computed_show_before_submitting(fee_world):
    citizen = fee_world.user("citizen")
    partial = fee_world.create(citizen, "FEEPBG", {"floor_area_m2": 120.5})
    assert partial["fee"]["amount"] is None
    assert partial["fee"]["missing"] == {
        "id": "Retribusi dihitung setelah 'Fungsi bangunan' diisi",
        "en": "The fee is computed once 'Building use' is filled in",
    }

    draft = fee_world.create(citizen, "FEEPBG", DATA)
    fee = fee_world.get(draft["id"], citizen)["fee"]
    assert fee["amount"] == AMOUNT and fee["currency"] == "IDR"
    assert fee["formula"] == "floor_area_m2 * rate[building_use]"
    assert fee["worked"] == "120.5 × 10000.5"
    assert fee["unrounded"] == "1205060.25"
    assert fee["rounding_rule"]["en"] == "rounded up to Rp1.000"
    assert {i["field"]: i["rate"] for i in fee["inputs"]} == {
        "floor_area_m2": None,
        "building_use": "10000.5",
    }
    assert draft["fee"]["amount"] == AMOUNT  # the create answer already says it


def test_submitting_bills_the_fee_and_payment_moves_the_workflow_on(fee_world):
    citizen, officer = fee_world.user("citizen"), fee_world.user("officer")
    submitted = _submitted(fee_world, citizen)
    assert submitted["state"] == "awaiting_payment"
    assert submitted["sla"]["paused"] is True

    [invoice] = _invoices(fee_world, citizen, submitted)
    assert invoice["state"] == "unpaid" and invoice["amount"] == AMOUNT
    assert invoice["virtual_account"] == "8808" + invoice["number"]
    assert _invoices(fee_world, officer, submitted) == [invoice]  # officers see it too
    stranger = fee_world.user("citizen")
    hidden = fee_world.client.get(
        f"/api/v1/applications/{submitted['id']}/invoices", headers=fee_world.headers(stranger)
    )
    assert hidden.status_code == 404
    # The officer cannot start the review before the resident has paid.
    assert fee_world.act(officer, submitted, "start_review").status_code == 409

    _pay(fee_world, invoice["id"])
    paid = fee_world.get(submitted["id"], citizen)
    assert paid["state"] == "submitted" and paid["sla"]["paused"] is False
    [invoice] = _invoices(fee_world, citizen, submitted)
    assert invoice["state"] == "paid" and invoice["payment_reference"] == "BANK-REF-1"
    assert fee_world.act(officer, paid, "start_review").status_code == 200

    events = fee_world.client.get(
        f"/api/v1/applications/{submitted['id']}/events", headers=fee_world.headers(citizen)
    ).json()["items"]
    actions = [e["action"] for e in events]
    assert actions[-4:] == [
        "application.submitted",
        "application.payment_requested",
        "application.paid",
        "application.review_started",
    ]
    assert events[-3]["details"]["virtual_account"] == invoice["virtual_account"]


def test_a_payment_is_refused_twice_and_for_the_wrong_amount(fee_world):
    citizen = fee_world.user("citizen")
    [invoice] = _invoices(fee_world, citizen, _submitted(fee_world, citizen))
    with pytest.raises(ValidationFailed):
        _pay(fee_world, invoice["id"], amount=AMOUNT - 1)
    _pay(fee_world, invoice["id"])
    with pytest.raises(InvoiceNotPayable):
        _pay(fee_world, invoice["id"])


def test_virtual_account_numbers_are_never_reused(fee_world):
    citizen = fee_world.user("citizen")
    numbers = [
        _invoices(fee_world, citizen, _submitted(fee_world, citizen))[0]["number"] for _ in range(3)
    ]
    assert len(set(numbers)) == 3 and numbers == sorted(numbers)


def _expire(world, invoice_id):
    with transaction(world.runtime.engine) as session:
        invoice = session.get(Invoice, uuid.UUID(invoice_id))
        invoice.expires_at = invoice.created_at - timedelta(seconds=1)
        session.add(invoice)


def test_an_expired_bill_is_reissued_by_the_resident(fee_world):
    citizen, officer = fee_world.user("citizen"), fee_world.user("officer")
    submitted = _submitted(fee_world, citizen)
    [old] = _invoices(fee_world, citizen, submitted)
    reissue = f"/api/v1/applications/{submitted['id']}/invoices/{old['id']}/reissue"
    early = fee_world.client.post(reissue, headers=fee_world.headers(citizen))
    assert early.status_code == 409  # still payable
    _expire(fee_world, old["id"])
    assert _invoices(fee_world, citizen, submitted)[0]["state"] == "expired"
    with pytest.raises(InvoiceNotPayable):
        _pay(fee_world, old["id"])
    # Only the applicant reissues; an officer of the department is told it is not there.
    assert fee_world.client.post(reissue, headers=fee_world.headers(officer)).status_code == 404

    response = fee_world.client.post(reissue, headers=fee_world.headers(citizen))
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["state"] == "unpaid" and new["amount"] == AMOUNT
    assert new["virtual_account"] != old["virtual_account"]
    again = fee_world.client.post(reissue, headers=fee_world.headers(citizen))
    assert again.status_code == 409  # the old bill stays expired; its reissue is done
    _pay(fee_world, new["id"])
    assert fee_world.get(submitted["id"], citizen)["state"] == "submitted"
    events = fee_world.client.get(
        f"/api/v1/applications/{submitted['id']}/events", headers=fee_world.headers(citizen)
    ).json()["items"]
    assert [e["action"] for e in events][-3:] == [
        "invoice.expired",
        "invoice.reissued",
        "application.paid",
    ]


def test_withdrawing_cancels_the_unpaid_bill(fee_world):
    citizen = fee_world.user("citizen")
    submitted = _submitted(fee_world, citizen)
    response = fee_world.act(citizen, submitted, "withdraw")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "withdrawn"
    [invoice] = _invoices(fee_world, citizen, submitted)
    assert invoice["state"] == "cancelled"
    with pytest.raises(InvoiceNotPayable):
        _pay(fee_world, invoice["id"])


def test_a_free_service_bills_nothing(fee_world):
    citizen = fee_world.user("citizen")
    submitted = fee_world.submitted(citizen)
    assert submitted["state"] == "submitted" and submitted["fee"] is None
    assert _invoices(fee_world, citizen, submitted) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_same_payment_twice_at_once_is_recorded_once(fee_world):
    citizen = fee_world.user("citizen")
    submitted = _submitted(fee_world, citizen)
    [invoice] = _invoices(fee_world, citizen, submitted)
    workers = 6
    barrier = threading.Barrier(workers)

    def attempt(_):
        try:
            with transaction(fee_world.runtime.engine) as session:
                row = session.get(Invoice, uuid.UUID(invoice["id"]))  # loaded before the lock
                barrier.wait()
                payments.record_payment(session, invoice=row, amount=AMOUNT, reference="R")
            return "paid"
        except InvoiceNotPayable:
            return "refused"

    with ThreadPoolExecutor(workers) as pool:
        outcomes = sorted(pool.map(attempt, range(workers)))
    assert outcomes == ["paid"] + ["refused"] * (workers - 1)
    events = fee_world.client.get(
        f"/api/v1/applications/{submitted['id']}/events", headers=fee_world.headers(citizen)
    ).json()["items"]
    assert [e["action"] for e in events].count("application.paid") == 1
