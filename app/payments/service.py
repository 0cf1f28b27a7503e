"""Invoices for fees (retribusi): issued when a fee falls due, paid through a bank's virtual
account, reissued when they expire, cancelled when the application ends without a decision.

A virtual account number is the biller's prefix (``LOKET_PAYMENT_BILLER_PREFIX``, SNAP's
``partnerServiceId``) and a customer number from a sequence that only ever goes up, so no
number is ever given to a second bill. The amount is fixed when the bill is issued. Moving the
application on is the workflow's ``record_payment`` step, taken by Loket itself. Nothing here
commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.cases import actions, numbering, timeline
from app.cases import repository as cases_repo
from app.cases.kinds import workflow_of
from app.cases.timeline import EventDraft
from app.catalogue import fees
from app.db import Session
from app.errors import Conflict, FieldError, Msg, NotFound, ValidationFailed, field_error
from app.models import Case, Invoice
from app.models.base import utcnow
from app.payments import repository

UNPAID, PAID, EXPIRED, CANCELLED = "unpaid", "paid", "expired", "cancelled"
STATE_WORDS = {
    UNPAID: Msg("Belum dibayar", "Unpaid"),
    PAID: Msg("Lunas", "Paid"),
    EXPIRED: Msg("Kedaluwarsa", "Expired"),
    CANCELLED: Msg("Dibatalkan", "Cancelled"),
}
CUSTOMER_DIGITS = 12
# One series for every bill, all years: a PostgreSQL sequence (a counter row on SQLite), so
# numbers are never reused and concurrent bills do not queue behind one row lock.
_COUNTER_SERIES = "VA"
_config = {"biller_prefix": "8808"}


def configure(*, biller_prefix: str) -> None:
    """The process's biller prefix (set from the settings when the runtime is built)."""
    _config["biller_prefix"] = biller_prefix


class InvoiceNotPayable(Conflict):
    slug = "invoice-not-payable"
    title = Msg("Tagihan tidak dapat dibayar", "The bill cannot be paid")


@dataclass(frozen=True)
class Priced:
    """A fee priced on a form: the amount and the breakdown the invoice keeps."""

    amount: int
    breakdown: dict[str, Any]


def price(fee: dict, data: dict, *, labels: dict[str, Msg]) -> Priced:
    """The fee on this data, or ValidationFailed naming what the form still lacks."""
    try:
        quoted = fees.quote(fee, data)
    except fees.FormulaError as exc:
        if exc.field is None:
            message = Msg(
                f"Retribusi tidak dapat dihitung: {exc}", f"The fee cannot be computed: {exc}"
            )
        else:
            label = labels.get(exc.field, Msg(exc.field, exc.field))
            message = Msg(
                f"Retribusi dihitung setelah '{label.id}' diisi",
                f"The fee is computed once '{label.en}' is filled in",
            )
        raise ValidationFailed(errors=[FieldError(f"data.{exc.field or 'fee'}", message)]) from None
    return Priced(quoted.amount, fees.breakdown(fee, quoted, labels=labels))


def issue(session: Session, *, case: Case, fee: dict, priced: Priced, now: datetime) -> Invoice:
    """A new unpaid bill for ``priced``, payable for the fee's ``payable_days``."""
    number = numbering.next_number(session, series=_COUNTER_SERIES, year=0)
    customer = f"{number:0{CUSTOMER_DIGITS}d}"
    invoice = Invoice(
        case_id=case.id,
        virtual_account=_config["biller_prefix"] + customer,
        customer_no=customer,
        amount=priced.amount,
        state=UNPAID,
        due=fee.get("due", "on_submit"),
        breakdown=priced.breakdown | {"payable_days": fee.get("payable_days", 7)},
        created_at=now,
        expires_at=now + timedelta(days=fee.get("payable_days", 7)),
    )
    repository.insert_invoice(session, invoice)
    return invoice


def invoice_details(invoice: Invoice) -> dict[str, Any]:
    """What a timeline event says about a bill."""
    return {
        "invoice_id": str(invoice.id),
        "virtual_account": invoice.virtual_account,
        "amount": invoice.amount,
        "expires_at": invoice.expires_at.isoformat(),
    }


def cancel_unpaid(session: Session, *, case_id: uuid.UUID, now: datetime) -> list[str]:
    """Cancel a case's unpaid bills (it was withdrawn or rejected); their account numbers."""
    cancelled = []
    for invoice in repository.invoices_of(session, case_id):
        if invoice.state == UNPAID:
            invoice.state, invoice.closed_at = CANCELLED, now
            repository.save(session, invoice)
            cancelled.append(invoice.virtual_account)
    return cancelled


def shown_state(invoice: Invoice, *, now: datetime) -> str:
    """The bill's state as of ``now``: an unpaid bill past its expiry reads as expired even
    before anything wrote that down."""
    if invoice.state == UNPAID and invoice.expires_at <= now:
        return EXPIRED
    return invoice.state


def expire_overdue(session: Session, *, case: Case, now: datetime) -> None:
    """Write down the expiry of the case's unpaid bills past their time, each on the timeline."""
    for invoice in repository.unpaid_past(session, case.id, now):
        invoice.state, invoice.closed_at = EXPIRED, now
        repository.save(session, invoice)
        timeline.append(
            session,
            case=case,
            draft=EventDraft("invoice.expired", "system", None, details=invoice_details(invoice)),
        )


def reissue(
    session: Session, *, case: Case, invoice_id: uuid.UUID, actor: tuple[str, str | None]
) -> Invoice:
    """A new bill, same amount, for an expired one, while the case still waits for payment."""
    now = utcnow()
    expire_overdue(session, case=case, now=now)
    old = repository.invoice_for_update(session, invoice_id)
    if old is None or old.case_id != case.id:
        raise NotFound(Msg("Tagihan tidak ditemukan", "Bill not found"))
    waiting = workflow_of(case).transition("record_payment", state=case.state) is not None
    open_bill = any(i.state == UNPAID for i in repository.invoices_of(session, case.id))
    if old.state != EXPIRED or not waiting or open_bill:
        raise InvoiceNotPayable(
            Msg(
                "Hanya tagihan kedaluwarsa yang belum dibayar dapat diterbitkan ulang",
                "Only an expired bill that is still due can be reissued",
            )
        )
    fee = {"due": old.due, "payable_days": old.breakdown.get("payable_days", 7)}
    new = issue(session, case=case, fee=fee, priced=Priced(old.amount, old.breakdown), now=now)
    timeline.append(
        session,
        case=case,
        expected_version=case.version,
        draft=EventDraft(
            "invoice.reissued",
            actor[0],
            actor[1],
            details=invoice_details(new) | {"replaces": old.virtual_account},
        ),
    )
    return new


def record_payment(
    session: Session,
    *,
    invoice: Invoice,
    amount: int,
    reference: str,
    now: datetime | None = None,
    certificates: object = None,
) -> Invoice:
    """The bank paid ``invoice``: mark it paid and let the workflow move on by itself (for a
    fee due before the certificate, to the approval: ``certificates`` lends it the issuer).

    Refuses (409) a bill that is paid, expired or cancelled, and (422) an amount other than
    the bill's; the SNAP endpoints turn those into their own response codes."""
    now = now or utcnow()
    locked = repository.invoice_for_update(session, invoice.id)
    if locked is None:
        raise NotFound(Msg("Tagihan tidak ditemukan", "Bill not found"))
    case = cases_repo.get_case(session, locked.case_id)
    assert case is not None  # the foreign key
    expire_overdue(session, case=case, now=now)
    state = locked.state
    if state != UNPAID:
        words = STATE_WORDS[state]
        raise InvoiceNotPayable(
            Msg(f"Tagihan berstatus {words.id.lower()}", f"The bill is {words.en.lower()}")
        )
    if amount != locked.amount:
        raise ValidationFailed(
            errors=[
                field_error(
                    "amount",
                    f"Jumlah harus tepat Rp{locked.amount}",
                    f"The amount must be exactly IDR {locked.amount}",
                )
            ]
        )
    locked.state, locked.paid_at, locked.paid_amount = PAID, now, amount
    locked.payment_reference = reference[:64]
    repository.save(session, locked)
    details = invoice_details(locked) | {"reference": locked.payment_reference}
    if workflow_of(case).transition("record_payment", state=case.state) is not None:
        actions.take_system_action(
            session,
            case=case,
            action="record_payment",
            now=now,
            env=certificates,
            details=details,
        )
    else:
        timeline.append(
            session, case=case, draft=EventDraft("invoice.paid", "system", None, details=details)
        )
    return locked


def invoices_of(session: Session, case_id: uuid.UUID) -> list[Invoice]:
    return list(repository.invoices_of(session, case_id))
