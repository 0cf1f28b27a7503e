"""Form input of the admin pages, checked before any service function sees it."""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, StringConstraints

from app.schemas_common import InputModel, NoControlCharacters, PlainText


class DepartmentCreate(InputModel):
    code: Annotated[str, PlainText(32, min_length=1)]
    name: Annotated[str, PlainText(200, min_length=2)]


class OfficerCreate(InputModel):
    email: EmailStr
    full_name: Annotated[str, PlainText(200, min_length=2)]
    # As at registration: never stripped, control characters refused, size capped.
    password: Annotated[str, StringConstraints(max_length=512), NoControlCharacters]
    officer_roles: frozenset[str]


class ClientCreate(InputModel):
    name: Annotated[str, PlainText(200, min_length=2)]
    scopes: frozenset[str]


class AppClientCreate(InputModel):
    """An app acting for residents; its redirect URIs are checked by the oauth package."""

    name: Annotated[str, PlainText(200, min_length=2)]
    operator: Annotated[str, PlainText(200, min_length=2)]
    redirect_uris: list[Annotated[str, StringConstraints(max_length=2000)]]
    scopes: frozenset[str]
    public: bool = False
    logo_url: Annotated[str, StringConstraints(max_length=500)] | None = None
    nik_approved: bool = False
