"""Response shapes for fees and invoices."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class FeeInputRead(BaseModel):
    field: str
    label: dict[str, str]  # {"id": ..., "en": ...}
    value: Any
    rate: str | None = None  # the table's price for an enum value, as a decimal string


class FeeRead(BaseModel):
    """What the application costs and how that was computed (before and after submitting)."""

    kind: str  # fixed | formula
    due: str  # on_submit | before_issue
    amount: int | None  # whole Rupiah; None while the form cannot be priced yet
    currency: str = "IDR"
    formula: str | None = None
    worked: str | None = None  # the formula with the form's values: "120 × 10000"
    unrounded: str | None = None
    rounding: str
    rounding_rule: dict[str, str]
    inputs: list[FeeInputRead] = []
    missing: dict[str, str] | None = None  # why it cannot be priced yet


class InvoiceRead(BaseModel):
    id: uuid.UUID
    number: str
    virtual_account: str
    amount: int
    currency: str
    state: str  # unpaid | paid | expired | cancelled
    state_label: str
    due: str
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    payment_reference: str | None
    reissuable: bool = False  # the caller may ask for a new bill in its place


class InvoiceList(BaseModel):
    items: list[InvoiceRead]
