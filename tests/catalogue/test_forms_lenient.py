"""The form module reads answers as people write them, where the meaning is clear (issue 13,
item 2): the online form and the counter both parse through app/catalogue/forms.py."""

from __future__ import annotations

import pytest

from app.catalogue.forms import form_fields, parse_form
from app.catalogue.formschema import check_schema, validate_data

SCHEMA = check_schema(
    {
        "type": "object",
        "properties": {
            "npwp": {
                "type": "string",
                "title": "NPWP",
                "x-title-en": "Tax number",
                "description": "15 atau 16 angka.",
                "x-description-en": "15 or 16 digits.",
                "x-example": "012345678901234",
                "pattern": "[0-9]{15,16}",
            },
            "phone": {
                "type": "string",
                "title": "Telepon",
                "x-title-en": "Phone",
                "pattern": "(\\+62|0)[0-9]{8,13}",
            },
            "capital": {
                "type": "integer",
                "title": "Modal",
                "x-title-en": "Capital",
                "minimum": 0,
                "maximum": 5_000_000_000,
            },
            "area": {"type": "number", "title": "Luas", "x-title-en": "Area"},
        },
    }
)


def parsed(key: str, text: str):
    data, raw = parse_form(SCHEMA, {f"data.{key}": text})
    assert raw[key] == text.strip()  # shown again as typed
    return data[key]


@pytest.mark.parametrize(
    ("key", "written", "read"),
    [
        ("npwp", "01.234.567.8-901.234", "012345678901234"),
        ("npwp", "0123 4567 8901 2345", "0123456789012345"),
        ("npwp", "1234-5", "1234-5"),  # still too short: passed on for the message
        ("phone", "0812-3456-7890", "081234567890"),
        ("phone", "+62 812 3456 7890", "+6281234567890"),
        ("phone", "(021) 555-1234", "0215551234"),
        ("capital", "15.000.000", 15_000_000),
        ("capital", "Rp 15.000.000,-", 15_000_000),
        ("capital", "Rp15.000.000,00", 15_000_000),
        ("capital", "15 000 000", 15_000_000),
        ("capital", "15,000,000", 15_000_000),
        ("capital", "1.5", "1.5"),  # not a grouping: refused as not a whole number
        ("capital", "lima juta", "lima juta"),
        ("area", "1.500.000,50", 1_500_000.5),
        ("area", "1,5", 1.5),
        ("area", "2.5", 2.5),
    ],
)
def test_answers_are_read_as_written(key, written, read):
    assert parsed(key, written) == read


def test_a_refused_format_says_which_format_by_example():
    (error,) = validate_data(SCHEMA, {"npwp": "12345"}, partial=True)
    assert error.message.id == "NPWP belum sesuai format. 15 atau 16 angka. Contoh: 012345678901234"
    assert error.message.en.endswith("15 or 16 digits. Example: 012345678901234")


def test_every_rule_is_shown_before_it_is_broken():
    hints = {f.key: f.hint for f in form_fields(SCHEMA, "id")}
    assert hints["npwp"] == "15 atau 16 angka. Contoh: 012345678901234."  # not "Maksimal 1000"
    assert hints["capital"] == "Dari 0 sampai 5.000.000.000."
    english = {f.key: f.hint for f in form_fields(SCHEMA, "en")}
    assert english["capital"] == "From 0 to 5,000,000,000."
    kinds = {f.key: (f.kind, f.extra.get("inputmode")) for f in form_fields(SCHEMA, "id")}
    # Text inputs: a type=number input would drop "15.000.000" before it is sent.
    assert kinds["capital"] == ("text", "numeric") and kinds["area"] == ("text", "decimal")


def test_an_example_must_be_short_text():
    from app.catalogue.formschema import SchemaError

    with pytest.raises(SchemaError, match="x-example"):
        check_schema(
            {
                "type": "object",
                "properties": {
                    "a": {"type": "string", "title": "A", "x-title-en": "A", "x-example": 5}
                },
            }
        )
