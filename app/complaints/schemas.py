"""Request and response shapes for complaints. A response to the reporter or an officer may
carry contact details; the public shapes never carry a name, a contact or an account."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, EmailStr, Field

from app.cases.schemas import DocumentRead, PersonRead, SlaRead
from app.schemas_common import InputModel, PlainText, Version

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class ComplaintCreate(InputModel):
    """A report: its category, what is wrong, and where (a point, a kelurahan, or both)."""

    category_code: Annotated[str, PlainText(16, min_length=1)]
    # Text only: HTML is kept as the characters it is and shown as text, never as markup.
    description: Annotated[str, PlainText(4000, min_length=1)]
    lat: Latitude | None = None
    long: Longitude | None = None
    address: Annotated[str, PlainText(300)] | None = None
    area_code: Annotated[str, PlainText(13)] | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    # How to reach the reporter: required for a report without an account.
    email: EmailStr | None = None
    phone: Annotated[str, PlainText(20), Field(pattern=r"^\+?[0-9 ()-]{6,20}$")] | None = None
    # The reporter's name, where a system files for someone without an account (Open311).
    name: Annotated[str, PlainText(200)] | None = None


class ComplaintTransitionRequest(InputModel):
    """One workflow action; ``refer`` names the department, ``mark_duplicate`` the report."""

    action: Annotated[str, PlainText(32, min_length=1)]
    comment: Annotated[str, PlainText(4000)] | None = None
    version: Version
    department_code: Annotated[str, PlainText(16, min_length=1)] | None = None
    duplicate_of: Annotated[str, PlainText(40, min_length=1)] | None = None
    # ``extend``: working days to add; ``reassign``: the officer who takes it over (a head's).
    days: Annotated[int, Field(ge=1, le=365)] | None = None
    assignee_id: uuid.UUID | None = None


def _whole_number(value: object) -> object:
    # JSON Schema counts 4.0 as an integer, as the version fields do.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class RatingCreate(InputModel):
    score: Annotated[int, Field(ge=1, le=5, strict=True), BeforeValidator(_whole_number)]
    comment: Annotated[str, PlainText(1000)] | None = None


class ContactRead(BaseModel):
    email: str | None
    phone: str | None
    name: str | None = None


class ComplaintSummary(BaseModel):
    id: uuid.UUID
    reference: str
    category_code: str
    state: str
    version: int
    area_code: str | None
    unit: str | None
    assigned_to_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    response_due_at: datetime | None
    sla: SlaRead


class ComplaintRead(BaseModel):
    id: uuid.UUID
    reference: str
    category_code: str
    category_version: int
    category_name: str
    state: str
    state_label: str
    version: int
    department_code: str
    unit: str | None
    description: str
    lat: float | None
    long: float | None
    area_code: str | None
    area_name: str | None
    address: str | None
    data: dict[str, Any]
    reporter: PersonRead | None
    contact: ContactRead
    assigned_to_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    response_due_at: datetime
    first_response_at: datetime | None
    decided_at: datetime | None
    # Until when the reporter may reopen a verified fix (None before verification).
    reopen_until: datetime | None
    duplicate_of: str | None
    rating: int | None
    photos: list[DocumentRead]
    sla: SlaRead


class ComplaintPage(BaseModel):
    items: list[ComplaintSummary]
    next_cursor: str | None


class PublicComplaint(BaseModel):
    """A report as anyone may see it: no name, contact or account; the point rounded to about
    110 m where the category keeps exact places private."""

    reference: str
    category_code: str
    category_name: str
    state: str
    state_label: str
    open311_status: str
    area_code: str | None
    area_name: str | None
    lat: float | None
    long: float | None
    description: str
    photo_count: int
    created_at: datetime
    updated_at: datetime
    due_at: date | None
    distance_m: float | None = None


class PublicComplaintPage(BaseModel):
    items: list[PublicComplaint]
    next_cursor: str | None


class DuplicateList(BaseModel):
    """Open public reports of the category near a point, nearest first."""

    radius_m: int
    items: list[PublicComplaint]


class FollowRead(BaseModel):
    reference: str
    following: bool


class CategoryRead(BaseModel):
    code: str
    version: int
    name: str
    names: dict[str, str]
    description: str
    department_code: str
    public: bool
    anonymous_allowed: bool
    response_hours: int
    resolution_days: int
    duplicate_radius_m: int
    form_schema: dict[str, Any]


class CategoryList(BaseModel):
    items: list[CategoryRead]


class AreaRead(BaseModel):
    code: str
    name: str
    level: str
    parent: str
    postal_code: str | None


class AreaList(BaseModel):
    parent: str
    items: list[AreaRead]
