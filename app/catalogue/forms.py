"""A service's form, the one way: rendered as fields, parsed from a posted form, displayed.

Every portal uses this module: the resident's form, the counter's form for a walk-in resident,
the public service page's list of questions and the officer's read-only view. So a form posted
in either portal is stored the same (an unticked box is not stored at all), and a change to how
a field looks or reads back is made once.

Inputs are named ``data.<key>``: the service layer reports problems as ``data.<key>``, so its
messages land next to the right input without any renaming.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.errors import Msg
from app.i18n import long_date

PREFIX = "data."
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
# Longer texts get a multi-line box.
TEXTAREA_FROM = 200


@dataclass(frozen=True)
class FormField:
    key: str
    name: str  # the input's name: data.<key>
    kind: str  # text | textarea | number | date | email | select | checkbox
    label: str
    required: bool
    hint: str | None
    options: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def form_fields(schema: dict, lang: str) -> list[FormField]:
    """One field per schema property, in the schema's order, labelled in ``lang``."""
    required = set(schema.get("required", ()))
    return [_field(key, prop, key in required, lang) for key, prop in schema["properties"].items()]


def _label(prop: dict, key: str, lang: str) -> str:
    return (
        prop.get("x-title-en", prop.get("title", key)) if lang == "en" else prop.get("title", key)
    )


def _field(key: str, prop: dict, required: bool, lang: str) -> FormField:
    description = prop.get("x-description-en") if lang == "en" else prop.get("description")
    hints = [text for text in (description, _bounds(prop).in_lang(lang)) if text]
    kind, extra, options = _input_kind(prop)
    return FormField(
        key=key,
        name=PREFIX + key,
        kind=kind,
        label=_label(prop, key, lang),
        required=required,
        hint=" ".join(hints) or None,
        options=options,
        extra=extra,
    )


def _input_kind(prop: dict) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    kind = prop["type"]
    if kind == "boolean":
        return "checkbox", {}, []
    if kind in ("integer", "number"):
        # No min/max attributes: the browser would block the post and the server's own message,
        # in the page's language, would never be shown.
        return "number", {"step": "1" if kind == "integer" else "any", "inputmode": "decimal"}, []
    if "enum" in prop:
        return "select", {}, [(value, value) for value in prop["enum"]]
    if prop.get("format") in ("date", "email"):
        return prop["format"], {}, []
    max_length = prop.get("maxLength", 1000)
    return (
        ("textarea" if max_length > TEXTAREA_FROM else "text"),
        {"maxlength": str(max_length)},
        [],
    )


def _bounds(prop: dict) -> Msg:
    """What the schema allows, said before the applicant types (not only after a refusal)."""
    if prop["type"] == "string" and "enum" not in prop and "format" not in prop:
        low, high = prop.get("minLength", 0), prop.get("maxLength")
        if low and high:
            return Msg(f"{low}–{high} karakter.", f"{low}–{high} characters.")
        if high:
            return Msg(f"Maksimal {high} karakter.", f"At most {high} characters.")
    if prop["type"] in ("integer", "number") and ("minimum" in prop or "maximum" in prop):
        low, high = prop.get("minimum"), prop.get("maximum")
        if low is not None and high is not None:
            return Msg(f"Dari {low} sampai {high}.", f"From {low} to {high}.")
        if low is not None:
            return Msg(f"Minimal {low}.", f"At least {low}.")
        return Msg(f"Maksimal {high}.", f"At most {high}.")
    if prop.get("format") == "date":
        return Msg("Format TTTT-BB-HH.", "Format YYYY-MM-DD.")
    return Msg("", "")


def parse_form(schema: dict, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(form data for the service, the raw inputs to show again if the service refuses them).

    Every schema field is sent: an emptied input or an unticked box becomes ``None``, which
    removes the value (and is not stored on a new application). Numbers that do not parse are
    passed on as text so that the service says what is wrong.
    """
    data: dict[str, Any] = {}
    raw: dict[str, str] = {}
    for key, prop in schema["properties"].items():
        sent = form.get(PREFIX + key)
        text = sent.strip() if isinstance(sent, str) else ""
        raw[key] = text
        data[key] = _value(prop, text)
    return data, raw


def _value(prop: dict, text: str) -> Any:
    kind = prop["type"]
    if kind == "boolean":
        return True if text else None
    if not text:
        return None
    if kind == "integer" and _INTEGER_RE.fullmatch(text):
        return int(text)
    if kind == "number":
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return text
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return text


def shown_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Stored form data as the inputs show it."""
    return {key: _shown(value) for key, value in data.items()}


def _shown(value: Any) -> str:
    if value is True:
        return "true"
    if value is None or value is False:
        return ""
    return str(value)


def raw_inputs(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's own inputs as typed, to show again when the service refuses them."""
    return {
        name.removeprefix(PREFIX): value.strip()
        for name, value in form.items()
        if name.startswith(PREFIX) and isinstance(value, str)
    }


@dataclass(frozen=True)
class ShownAnswer:
    key: str
    label: str
    value: str  # in words: "Ya"/"Yes", a long date, "–" when not filled in


def display_fields(schema: dict, data: Mapping[str, Any], lang: str) -> list[ShownAnswer]:
    """The answers in schema order, labelled in ``lang``, as a person reads them."""
    return [
        ShownAnswer(
            key=key, label=_label(prop, key, lang), value=_in_words(data.get(key), prop, lang)
        )
        for key, prop in schema.get("properties", {}).items()
    ]


def _in_words(value: Any, prop: dict, lang: str) -> str:
    if prop.get("type") == "boolean":
        # A box left unticked is not stored (see parse_form): not stored means "no".
        ticked = value is True
        return ("Yes" if ticked else "No") if lang == "en" else ("Ya" if ticked else "Tidak")
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return str(value) if lang == "en" else str(value).replace(".", ",")
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        try:
            return long_date(date.fromisoformat(value), lang)
        except ValueError:
            return value
    return str(value)
