"""The form schema subset: checking schemas and validating form data."""

from __future__ import annotations

import copy

import pytest

from app.catalogue.formschema import (
    DEFAULT_MAX_LENGTH,
    SchemaError,
    check_schema,
    is_email,
    validate_data,
)

SCHEMA = {
    "type": "object",
    "required": ["business_name", "npwp", "employees", "declaration"],
    "properties": {
        "business_name": {
            "type": "string",
            "title": "Nama usaha",
            "x-title-en": "Business name",
            "minLength": 3,
            "maxLength": 20,
        },
        "npwp": {
            "type": "string",
            "title": "NPWP",
            "x-title-en": "Tax number",
            "pattern": "[0-9]{15,16}",
        },
        "notes": {"type": "string", "title": "Catatan", "x-title-en": "Notes"},
        "legal_form": {
            "type": "string",
            "title": "Bentuk usaha",
            "x-title-en": "Legal form",
            "enum": ["CV", "PT"],
        },
        "started_on": {
            "type": "string",
            "title": "Tanggal mulai",
            "x-title-en": "Start date",
            "format": "date",
        },
        "email": {"type": "string", "title": "E-mail", "x-title-en": "E-mail", "format": "email"},
        "employees": {
            "type": "integer",
            "title": "Jumlah karyawan",
            "x-title-en": "Number of employees",
            "minimum": 0,
            "maximum": 1000000,
        },
        "width_m": {
            "type": "number",
            "title": "Lebar",
            "x-title-en": "Width",
            "minimum": 0.5,
            "maximum": 30,
        },
        "declaration": {"type": "boolean", "title": "Data benar", "x-title-en": "Data is true"},
    },
}

VALID = {
    "business_name": "Warung Bu Siti",
    "npwp": "012345678901234",
    "employees": 3,
    "declaration": True,
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return check_schema(SCHEMA)


def errors_for(schema: dict, data: object, *, partial: bool = False) -> dict[str, tuple[str, str]]:
    return {e.field: tuple(e.message) for e in validate_data(schema, data, partial=partial)}


# --- check_schema -------------------------------------------------------------------------------


def test_normalised_copy_adds_max_length_and_closes_the_object() -> None:
    original = copy.deepcopy(SCHEMA)
    result = check_schema(SCHEMA)
    assert original == SCHEMA  # the input is not modified
    assert result["additionalProperties"] is False
    assert result["properties"]["notes"]["maxLength"] == DEFAULT_MAX_LENGTH
    assert result["properties"]["business_name"]["maxLength"] == 20
    assert "maxLength" not in result["properties"]["employees"]
    assert check_schema(result) == result  # idempotent


def _problems(schema: object) -> list[tuple[str, str]]:
    with pytest.raises(SchemaError) as caught:
        check_schema(schema)  # type: ignore[arg-type]
    return caught.value.problems


def _with_prop(**prop: object) -> dict:
    base = {"type": "string", "title": "Nama", "x-title-en": "Name"}
    return {"type": "object", "properties": {"name": {**base, **prop}}}


@pytest.mark.parametrize(
    ("schema", "location"),
    [
        ([], ""),
        ({"type": "array", "properties": {}}, "type"),
        ({"type": "object"}, "properties"),
        ({"type": "object", "properties": {}, "oneOf": []}, "oneOf"),
        ({"type": "object", "properties": {}, "additionalProperties": 1}, "additionalProperties"),
        ({"type": "object", "properties": {"Bad-Name": {}}}, "properties.Bad-Name"),
        ({"type": "object", "properties": {"x" * 51: {}}}, "properties." + "x" * 51),
        ({"type": "object", "properties": {"name": "text"}}, "properties.name"),
        (_with_prop(type="array"), "properties.name.type"),
        (_with_prop(type=None), "properties.name.type"),
        (_with_prop(title=""), "properties.name.title"),
        (_with_prop(**{"x-title-en": None}), "properties.name.x-title-en"),
        (_with_prop(description=5), "properties.name.description"),
        (_with_prop(default="x"), "properties.name.default"),
        (_with_prop(minimum=1), "properties.name.minimum"),
        (_with_prop(minLength=-1), "properties.name.minLength"),
        (_with_prop(maxLength=0), "properties.name.maxLength"),
        (_with_prop(maxLength=True), "properties.name.maxLength"),
        (_with_prop(minLength=5, maxLength=4), "properties.name.minLength"),
        (_with_prop(pattern="[0-9"), "properties.name.pattern"),
        (_with_prop(pattern=3), "properties.name.pattern"),
        (_with_prop(format="uri"), "properties.name.format"),
        (_with_prop(enum=[]), "properties.name.enum"),
        (_with_prop(enum="A"), "properties.name.enum"),
        (_with_prop(enum=["A", 1]), "properties.name.enum[1]"),
        (_with_prop(enum=["A", "A"]), "properties.name.enum[1]"),
        (_with_prop(enum=["ABC"], maxLength=2), "properties.name.enum[0]"),
        (_with_prop(type="integer", enum=["1"]), "properties.name.enum"),
        (_with_prop(type="integer", maxLength=3), "properties.name.maxLength"),
        (_with_prop(type="integer", minimum=1.5), "properties.name.minimum"),
        (_with_prop(type="number", maximum=float("inf")), "properties.name.maximum"),
        (_with_prop(type="number", maximum="10"), "properties.name.maximum"),
        (_with_prop(type="number", minimum=10, maximum=1), "properties.name.minimum"),
        (_with_prop(type="integer", maximum=2**60), "properties.name.maximum"),
        (_with_prop(type="boolean", pattern="x"), "properties.name.pattern"),
        ({**_with_prop(), "required": "name"}, "required"),
        ({**_with_prop(), "required": ["other"]}, "required[0]"),
        ({**_with_prop(), "required": ["name", "name"]}, "required[1]"),
    ],
)
def test_schema_problems_say_where(schema: object, location: str) -> None:
    assert location in [where for where, _ in _problems(schema)]


def test_all_schema_problems_are_reported_together() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "title": "A", "x-title-en": "A", "pattern": "("},
            "b": {"type": "integer", "title": "B", "x-title-en": "B", "minimum": 5, "maximum": 1},
        },
        "required": ["c"],
    }
    with pytest.raises(SchemaError) as caught:
        check_schema(schema)
    locations = [where for where, _ in caught.value.problems]
    assert locations == ["properties.a.pattern", "properties.b.minimum", "required[0]"]
    assert "properties.a.pattern:" in str(caught.value)


def test_description_in_both_languages_is_allowed() -> None:
    check_schema(_with_prop(description="Bantuan", **{"x-description-en": "Help"}))


# --- validate_data: shape -----------------------------------------------------------------------


def test_valid_data_passes(schema: dict) -> None:
    data = {
        **VALID,
        "notes": "Baris satu\nBaris\tdua",
        "legal_form": "CV",
        "started_on": "2024-02-29",
        "email": "siti.rahma+izin@warung-siti.co.id",
        "width_m": 2.5,
    }
    assert validate_data(schema, data, partial=False) == []


@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_data_must_be_an_object(schema: dict, data: object) -> None:
    assert list(errors_for(schema, data)) == ["data"]


def test_unknown_fields_are_refused(schema: dict) -> None:
    errors = errors_for(schema, {**VALID, "is_admin": True})
    assert errors == {"data.is_admin": ("Isian tidak dikenal", "Unknown field")}


def test_many_unknown_fields_are_summarised(schema: dict) -> None:
    data = {**VALID, **{f"extra_{i}": 1 for i in range(50)}}
    errors = validate_data(schema, data, partial=False)
    assert len(errors) == 11
    assert errors[-1].field == "data"
    assert "40" in errors[-1].message.en


# --- validate_data: required and partial --------------------------------------------------------


def test_required_fields_name_the_label_in_both_languages(schema: dict) -> None:
    errors = errors_for(schema, {})
    assert errors["data.business_name"] == ("Nama usaha wajib diisi", "Business name is required")
    assert set(errors) == {"data.business_name", "data.npwp", "data.employees", "data.declaration"}


def test_drafts_may_be_incomplete_but_not_wrong(schema: dict) -> None:
    assert errors_for(schema, {}, partial=True) == {}
    assert errors_for(schema, {"business_name": ""}, partial=True) == {}
    assert list(errors_for(schema, {"employees": "3"}, partial=True)) == ["data.employees"]
    assert list(errors_for(schema, {"hacker": 1}, partial=True)) == ["data.hacker"]


@pytest.mark.parametrize("blank", ["", None])
def test_empty_string_and_null_count_as_missing(schema: dict, blank: object) -> None:
    errors = errors_for(schema, {**VALID, "business_name": blank, "notes": blank})
    assert errors == {"data.business_name": ("Nama usaha wajib diisi", "Business name is required")}


def test_required_declaration_must_be_ticked(schema: dict) -> None:
    errors = errors_for(schema, {**VALID, "declaration": False})
    assert list(errors) == ["data.declaration"]
    assert "dicentang" in errors["data.declaration"][0]
    assert "ticked" in errors["data.declaration"][1]


# --- validate_data: types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("business_name", 12345),
        ("business_name", ["Warung"]),
        ("employees", True),  # bool is not an integer
        ("employees", 3.0),
        ("employees", "3"),
        ("employees", 2**60),
        ("width_m", False),
        ("width_m", float("nan")),
        ("width_m", float("inf")),
        ("width_m", "2.5"),
        ("declaration", "true"),
        ("declaration", 1),
    ],
)
def test_wrong_types_are_refused(schema: dict, field: str, value: object) -> None:
    assert list(errors_for(schema, {**VALID, field: value})) == [f"data.{field}"]


def test_integers_are_numbers(schema: dict) -> None:
    assert errors_for(schema, {**VALID, "width_m": 3}) == {}


def test_type_message(schema: dict) -> None:
    errors = errors_for(schema, {**VALID, "employees": "tiga"})
    assert errors["data.employees"] == (
        "Jumlah karyawan harus berupa bilangan bulat",
        "Number of employees must be a whole number",
    )


# --- validate_data: strings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Warung\x00", "Warung\x1b[31m", "War\rung", "Warung\x7f", "Warung\x85", "Warung\ud800"]
)
def test_control_characters_are_refused(schema: dict, text: str) -> None:
    errors = errors_for(schema, {**VALID, "business_name": text})
    expected = "Business name contains characters that are not allowed"
    assert errors["data.business_name"][1] == expected


def test_length_counts_code_points(schema: dict) -> None:
    assert errors_for(schema, {**VALID, "business_name": "Kopi ☕" * 3}) == {}
    too_short = errors_for(schema, {**VALID, "business_name": "AB"})
    assert too_short["data.business_name"] == (
        "Nama usaha minimal 3 karakter",
        "Business name must be at least 3 characters",
    )
    too_long = errors_for(schema, {**VALID, "business_name": "A" * 21})
    assert too_long["data.business_name"][1] == "Business name must be at most 20 characters"


def test_default_max_length_applies(schema: dict) -> None:
    errors = errors_for(schema, {**VALID, "notes": "x" * (DEFAULT_MAX_LENGTH + 1)})
    assert list(errors) == ["data.notes"]


@pytest.mark.parametrize(
    "npwp",
    [
        "01234567890123",
        "01.234.567.8-901.234",
        "0123456789012345x",
        "０１２３４５６７８９０１２３４",
    ],
)
def test_pattern_must_match_fully(schema: dict, npwp: str) -> None:
    assert list(errors_for(schema, {**VALID, "npwp": npwp})) == ["data.npwp"]


def test_sixteen_digit_npwp_matches(schema: dict) -> None:
    assert errors_for(schema, {**VALID, "npwp": "0123456789012345"}) == {}


def test_enum(schema: dict) -> None:
    errors = errors_for(schema, {**VALID, "legal_form": "pt"})
    assert errors["data.legal_form"] == (
        "Bentuk usaha harus salah satu dari: CV, PT",
        "Legal form must be one of: CV, PT",
    )


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-29",
        "2024-13-01",
        "2024-1-05",
        "05-01-2024",
        "2024-01-05T00:00",
        "0000-01-01",
        "２０２４-01-05",
    ],
)
def test_dates_must_be_real(schema: dict, value: str) -> None:
    assert list(errors_for(schema, {**VALID, "started_on": value})) == ["data.started_on"]


@pytest.mark.parametrize("value", ["siti@example.co.id", "a.b-c_d+e@sub.example.com", "x@ab.id"])
def test_good_email(value: str) -> None:
    assert is_email(value)


@pytest.mark.parametrize(
    "value",
    [
        "siti",
        "siti@",
        "@example.com",
        "siti@example",
        "siti@@example.com",
        "siti@exa mple.com",
        "si ti@example.com",
        ".siti@example.com",
        "siti.@example.com",
        "si..ti@example.com",
        "siti@-example.com",
        "siti@example..com",
        "siti@example.c",
        "siti@example.123",
        "a" * 65 + "@example.com",
        "siti@" + "a" * 250 + ".com",
        "sití@example.com",
    ],
)
def test_bad_email(schema: dict, value: str) -> None:
    assert not is_email(value)
    assert list(errors_for(schema, {**VALID, "email": value})) == ["data.email"]


# --- validate_data: numbers ---------------------------------------------------------------------


def test_numeric_bounds_use_local_number_formats(schema: dict) -> None:
    errors = errors_for(schema, {**VALID, "employees": 1000001, "width_m": 0.25})
    assert errors["data.employees"] == (
        "Jumlah karyawan maksimal 1.000.000",
        "Number of employees must be at most 1,000,000",
    )
    assert errors["data.width_m"] == ("Lebar minimal 0,5", "Width must be at least 0.5")


def test_bounds_are_inclusive(schema: dict) -> None:
    assert errors_for(schema, {**VALID, "employees": 0, "width_m": 30}) == {}
    assert errors_for(schema, {**VALID, "employees": -1}) != {}
