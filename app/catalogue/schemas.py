"""Response shapes for the catalogue."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class DocumentRequirementRead(BaseModel):
    code: str
    label: str
    accepted_types: list[str]
    max_bytes: int
    mandatory: bool


class ServiceRead(BaseModel):
    code: str
    version: int
    name: str
    names: dict[str, str]
    description: str
    department_code: str
    workflow: str
    sla_days: int
    validity_months: int | None
    fee_idr: int
    form_schema: dict[str, Any]
    documents: list[DocumentRequirementRead]


class ServiceSummary(BaseModel):
    code: str
    name: str
    department_code: str
    workflow: str
    sla_days: int


class ServiceList(BaseModel):
    items: list[ServiceSummary]
