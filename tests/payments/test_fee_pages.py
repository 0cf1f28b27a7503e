"""The resident's and the officer's application pages show the fee, how it was computed, and
the bills with their state, in Indonesian by default and in English; an expired bill is
reissued from the resident's page."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import select

from app.db import transaction
from app.models import Invoice
from tests.payments.test_invoices import AMOUNT, DATA
from tests.web.pages import post_form, sign_in, soup


def _text(response, testid: str) -> str:
    found = soup(response).find(attrs={"data-testid": testid})
    assert found is not None, f"no {testid} on the page"
    return " ".join(found.get_text(" ").split())


def test_the_resident_sees_the_fee_before_submitting_and_the_bill_after(fee_world):
    citizen = fee_world.user("citizen")
    draft = fee_world.create(citizen, "FEEPBG", DATA)
    client = fee_world.client
    assert sign_in(client, citizen.email).status_code == 303
    page = client.get(f"/my/applications/{draft['id']}")
    assert _text(page, "fee-amount") == "Rp1.206.000"
    assert "120.5 × 10000.5 = 1205060.25, dibulatkan ke atas ke Rp1.000" in _text(
        page, "fee-worked"
    )
    assert "Retribusi" in _text(page, "fee")

    assert fee_world.act(citizen, draft, "submit").status_code == 200
    page = client.get(f"/my/applications/{draft['id']}")
    bills = _text(page, "invoices")
    assert "Nomor virtual account" in bills and "Belum dibayar" in bills
    assert "Rp1.206.000" in bills
    client.get("/lang/en?next=/")
    english = client.get(f"/my/applications/{draft['id']}")
    assert "Unpaid" in _text(english, "invoices") and "Virtual account number" in _text(
        english, "invoices"
    )
    assert "rounded up to Rp1.000" in _text(english, "fee-worked")


def test_an_expired_bill_is_reissued_from_the_page(fee_world):
    citizen = fee_world.user("citizen")
    draft = fee_world.create(citizen, "FEEPBG", DATA)
    fee_world.act(citizen, draft, "submit")
    with transaction(fee_world.runtime.engine) as session:
        invoice = session.exec(
            select(Invoice).where(Invoice.case_id == uuid.UUID(draft["id"]))
        ).one()
        invoice.expires_at = invoice.created_at - timedelta(seconds=1)
        old = invoice.virtual_account
        invoice_id = invoice.id
    client = fee_world.client
    sign_in(client, citizen.email)
    path = f"/my/applications/{draft['id']}"
    assert "Kedaluwarsa" in _text(client.get(path), "invoices")
    answer = post_form(client, f"{path}/invoices/{invoice_id}/reissue", {}, csrf_from=path)
    assert answer.status_code == 303
    assert "Tagihan baru telah diterbitkan" in _text(
        client.get(answer.headers["location"]), "reissued"
    )
    bills = _text(client.get(path), "invoices")
    assert "Belum dibayar" in bills and old in bills and "Kedaluwarsa" in bills


def test_the_officer_sees_the_bill_and_its_state(fee_world):
    citizen, officer = fee_world.user("citizen"), fee_world.user("officer")
    draft = fee_world.create(citizen, "FEEPBG", DATA)
    fee_world.act(citizen, draft, "submit")
    client = fee_world.client
    assert sign_in(client, officer.email).status_code == 303
    page = client.get(f"/officer/applications/{draft['id']}")
    assert page.status_code == 200, page.text
    assert _text(page, "fee-amount") == f"Rp{AMOUNT:,}".replace(",", ".")
    assert "Belum dibayar" in _text(page, "invoices")
