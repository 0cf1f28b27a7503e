"""Invoices (tagihan retribusi): one per fee that fell due, paid by bank virtual account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from app.models.base import new_uuid, utcnow


class Invoice(SQLModel, table=True):
    """A bill for one application's fee. Its amount is fixed when it is issued; a reissued bill
    is a new row (a new virtual account number), the expired one stays as it was."""

    __tablename__ = "invoices"

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    # Biller prefix (SNAP partnerServiceId) + customer number from a counter never reused.
    virtual_account: str = Field(max_length=28, unique=True)
    customer_no: str = Field(max_length=20)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(default="IDR", max_length=3)
    state: str = Field(max_length=16)  # unpaid | paid | expired | cancelled
    due: str = Field(max_length=16)  # on_submit | before_issue
    # How the amount was computed (inputs, unrounded value, rounding), as the resident saw it.
    breakdown: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    paid_at: datetime | None = None
    paid_amount: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    payment_reference: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = None  # expired or cancelled
