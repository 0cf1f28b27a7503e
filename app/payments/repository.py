"""Invoice queries: every read and write of the ``invoices`` table."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select

from app.db import Session
from app.models import Invoice


def insert_invoice(session: Session, invoice: Invoice) -> None:
    session.add(invoice)
    session.flush()


def invoices_of(session: Session, case_id: uuid.UUID) -> Sequence[Invoice]:
    """A case's invoices, oldest first."""
    statement = select(Invoice).where(Invoice.case_id == case_id).order_by(col(Invoice.created_at))
    return session.exec(statement).all()


def invoice_for_update(session: Session, invoice_id: uuid.UUID) -> Invoice | None:
    """One invoice, its row locked until commit (a payment and a reissue never cross), read
    afresh: a copy the session loaded before the lock may be stale (a concurrent payment)."""
    statement = (
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def unpaid_past(session: Session, case_id: uuid.UUID, now: datetime) -> Sequence[Invoice]:
    statement = select(Invoice).where(
        Invoice.case_id == case_id, Invoice.state == "unpaid", col(Invoice.expires_at) <= now
    )
    return session.exec(statement).all()


def save(session: Session, invoice: Invoice) -> None:
    session.add(invoice)
    session.flush()
