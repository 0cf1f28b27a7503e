"""Request and response shapes for accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, EmailStr, StringConstraints

from app.schemas_common import InputModel, NoControlCharacters, PlainText


class RegisterRequest(InputModel):
    email: EmailStr
    # Never stripped (spaces belong to a password); the policy counts code points, this only
    # caps the size. Control characters are refused: the token endpoint refuses them too.
    password: Annotated[str, StringConstraints(max_length=512), NoControlCharacters]
    full_name: Annotated[str, PlainText(200, min_length=2)]
    nik: Annotated[str, PlainText(16)]
    phone: Annotated[str, PlainText(20)] | None = None
    language: Annotated[str, PlainText(2)] = "id"


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: str
    nik_masked: str | None = None
    phone: str | None = None
    department_code: str | None = None
    officer_roles: list[str] = []
    language: str
