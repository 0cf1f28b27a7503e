"""Input types shared by every request schema."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# What _no_control_characters lets through, as a JSON Schema pattern: the OpenAPI document says
# which strings are refused, so a client (and a fuzzer) knows before it asks.
CONTROL_FREE_PATTERN = r"^[^\x00-\x08\x0b-\x1f]*$"
# For PlainText, whose value is stripped first and then checked: the whitespace stripping
# removes (the ends may hold \v, \f and \r, the rest may not), a character it keeps at either
# end, and any character allowed inside.
_WHITESPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_STRIPPED = f"[{_WHITESPACE}]"
_KEPT = f"[^\\x00-\\x1f{_WHITESPACE}]"
_INSIDE = r"[^\x00-\x08\x0b-\x1f]"


def plain_text_pattern(min_length: int) -> str:
    """What PlainText accepts, as a pattern: no control characters once stripped, and at least
    ``min_length`` characters left (minLength alone counts the spaces stripping removes)."""
    if min_length <= 1:
        content = f"{_KEPT}(?:{_INSIDE}*{_KEPT})?"
        return f"^{_STRIPPED}*{content if min_length else f'(?:{content})?'}{_STRIPPED}*$"
    return f"^{_STRIPPED}*{_KEPT}{_INSIDE}{{{min_length - 2},}}{_KEPT}{_STRIPPED}*$"


def _no_control_characters(value: str | None) -> str | None:
    # PostgreSQL refuses NUL in text (a 500 waiting to happen); other controls are never wanted.
    if value is not None and any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("must not contain control characters (such as NUL)")
    return value


@dataclass(frozen=True)
class _DocumentedPattern:
    """Adds ``pattern`` to a string's JSON Schema without validating it twice (the validators
    name the problem better than a pattern mismatch would)."""

    pattern: str = CONTROL_FREE_PATTERN

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.setdefault("pattern", self.pattern)  # a route may have set a stricter one
        return schema


@dataclass(frozen=True)
class ControlFree(GroupedMetadata):
    """No control characters but tab and newline, checked and documented."""

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        yield AfterValidator(_no_control_characters)
        yield _DocumentedPattern()


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
        yield _DocumentedPattern(plain_text_pattern(self.min_length))


# For query parameters, whose length FastAPI's Query(max_length=...) already bounds.
NoControlCharacters = ControlFree()


def _integral_number(value: object) -> object:
    # JSON Schema counts 3.0 as an integer; strict int alone refuses it.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The version a client last read: a JSON integer (3 or 3.0), never true or "3".
Version = Annotated[int, Field(ge=1, strict=True), BeforeValidator(_integral_number)]


class InputModel(BaseModel):
    """Every request body refuses unknown fields, so nobody can slip in ``state=approved``."""

    model_config = ConfigDict(extra="forbid")
