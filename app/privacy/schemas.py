"""The resident's view of who read their personal data."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class AccessorRead(BaseModel):
    type: str  # user (an officer or admin) | client (a system) | app (acting for you) | system
    name: str
    role: str


class AccessRead(BaseModel):
    accessed_at: datetime
    accessor: AccessorRead
    what: str  # application | document | complaint | userinfo | export
    fields: list[str]
    case_id: uuid.UUID | None
    case_reference: str | None


class AccessPage(BaseModel):
    items: list[AccessRead]
    next_cursor: str | None
