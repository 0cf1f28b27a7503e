"""Input types shared by every request schema."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


def _no_control_characters(value: str | None) -> str | None:
    # PostgreSQL refuses NUL in text (a 500 waiting to happen); other controls are never wanted.
    if value is not None and any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("must not contain control characters (such as NUL)")
    return value


@dataclass(frozen=True)
class PlainText(GroupedMetadata):
    """Rules for a plain-text input: stripped, bounded, no control characters.

    Use as ``Annotated[str, PlainText(200)]`` (body fields) or next to ``Query(...)``.
    """

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        yield StringConstraints(
            strip_whitespace=True, min_length=self.min_length, max_length=self.max_length
        )
        yield AfterValidator(_no_control_characters)


# For query parameters, whose length FastAPI's Query(max_length=...) already bounds.
NoControlCharacters = AfterValidator(_no_control_characters)


class InputModel(BaseModel):
    """Every request body refuses unknown fields, so nobody can slip in ``state=approved``."""

    model_config = ConfigDict(extra="forbid")
