"""Request and response shapes for accounts."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, EmailStr

from app.schemas_common import InputModel, text


class RegisterRequest(InputModel):
    email: EmailStr
    password: text(128 * 4)  # code points are checked by the password policy, this caps bytes
    full_name: text(200, min_length=2)
    nik: text(16)
    phone: text(20) | None = None
    language: text(2) = "id"


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
