"""Input types shared by every request schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


def _no_control_characters(value: str) -> str:
    # PostgreSQL refuses NUL in text (a 500 waiting to happen); other controls are never wanted.
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("must not contain control characters (such as NUL)")
    return value


def text(max_length: int, *, min_length: int = 0):
    """A plain-text input field: stripped, bounded, no control characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_control_characters),
    ]


class InputModel(BaseModel):
    """Every request body refuses unknown fields, so nobody can slip in ``state=approved``."""

    model_config = ConfigDict(extra="forbid")


def query_text(max_length: int, *, alias: str | None = None):
    """An optional plain-text query parameter with the same rules as body text."""
    return Annotated[
        str | None,
        Query(max_length=max_length, alias=alias),
        AfterValidator(lambda value: None if value is None else _no_control_characters(value)),
    ]
