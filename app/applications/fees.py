"""An application's fee and bills, for whoever may see the application: the price and how it
was reached (before submitting too), the invoices, and the resident's reissue of an expired one.
"""

from __future__ import annotations

import uuid

from app.accounts.principal import Principal
from app.applications.kind import APPLICATION, priced_fee, service_of
from app.cases.access import visible_case
from app.cases.kinds import workflow_of
from app.catalogue.fees import rounding_words
from app.db import Session
from app.errors import DomainError, NotFound
from app.models import Case, Invoice, Service
from app.models.base import utcnow
from app.payments import service as payments
from app.payments.schemas import FeeInputRead, FeeRead, InvoiceList, InvoiceRead


def fee_of(session: Session, case: Case, *, service: Service | None = None) -> FeeRead | None:
    """The fee as billed (the latest bill's breakdown), else priced on the form as it is now."""
    fee = (service or service_of(session, case)).fee
    if fee.get("kind") in (None, "free"):
        return None
    billed = [i for i in payments.invoices_of(session, case.id) if i.state != payments.CANCELLED]
    if billed:
        return _fee_read(fee, billed[-1].breakdown)
    try:
        priced = priced_fee(session, case, service=service)
    except DomainError as error:
        message = error.errors[0].message if error.errors else None
        read = _fee_read(fee, {"rounding": fee.get("rounding", "nearest")}, amount=None)
        read.missing = {"id": message.id, "en": message.en} if message else None
        return read
    assert priced is not None  # the fee is not free
    return _fee_read(fee, priced.breakdown)


def _fee_read(fee: dict, breakdown: dict, **override: object) -> FeeRead:
    rule = rounding_words(fee.get("rounding", "nearest"))
    values = {
        "kind": fee["kind"],
        "due": fee.get("due", "on_submit"),
        "amount": breakdown.get("amount"),
        "formula": fee.get("formula"),
        "worked": breakdown.get("worked"),
        "unrounded": breakdown.get("unrounded"),
        "rounding": fee.get("rounding", "nearest"),
        "rounding_rule": {"id": rule.id, "en": rule.en},
        "inputs": [
            FeeInputRead(
                field=item["field"],
                label={"id": item["label_id"], "en": item["label_en"]},
                value=item["value"],
                rate=item["rate"],
            )
            for item in breakdown.get("inputs", [])
        ],
    }
    return FeeRead(**(values | override))


def invoice_read(invoice: Invoice, *, lang: str) -> InvoiceRead:
    state = payments.shown_state(invoice, now=utcnow())
    return InvoiceRead(
        id=invoice.id,
        number=invoice.customer_no,
        virtual_account=invoice.virtual_account,
        amount=invoice.amount,
        currency=invoice.currency,
        state=state,
        state_label=payments.STATE_WORDS[state].in_lang(lang),
        due=invoice.due,
        created_at=invoice.created_at,
        expires_at=invoice.expires_at,
        paid_at=invoice.paid_at,
        payment_reference=invoice.payment_reference,
    )


def list_invoices(
    session: Session, *, principal: Principal, application_id: uuid.UUID, lang: str
) -> InvoiceList:
    """The application's bills, oldest first, for its owner and its department's officers."""
    case, roles = visible_case(
        session, principal=principal, kind=APPLICATION, case_id=application_id
    )
    items = [invoice_read(i, lang=lang) for i in payments.invoices_of(session, case.id)]
    waiting = workflow_of(case).transition("record_payment", state=case.state) is not None
    if (
        APPLICATION.owner_role in roles
        and waiting
        and not any(i.state == payments.UNPAID for i in items)
    ):
        for item in items:
            item.reissuable = item.state == payments.EXPIRED
    return InvoiceList(items=items)


def reissue_invoice(
    session: Session,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    invoice_id: uuid.UUID,
    lang: str,
) -> InvoiceRead:
    """A new bill for an expired one, by the applicant, while the application waits for it."""
    case, roles = visible_case(
        session, principal=principal, kind=APPLICATION, case_id=application_id, write=True
    )
    if APPLICATION.owner_role not in roles:
        raise NotFound(APPLICATION.not_found)
    new = payments.reissue(
        session,
        case=case,
        invoice_id=invoice_id,
        actor=(principal.actor_type, principal.actor_id),
    )
    return invoice_read(new, lang=lang)
