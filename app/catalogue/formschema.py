"""A small JSON Schema subset for service application forms, with its own validator.

Every service carries a form schema. The subset is deliberately small so that each schema can be
rendered as a plain HTML form and every message can name the field in Indonesian and English:

    {"type": "object", "properties": {name: prop, ...}, "required": [names]}

where a ``prop`` has ``type`` (string, integer, number, boolean), ``title`` (Indonesian label),
``x-title-en`` (English label), optional ``description`` / ``x-description-en`` (help text) and,
depending on the type, ``minLength``, ``maxLength``, ``pattern``, ``format`` (date, email),
``enum`` (strings only), ``minimum``, ``maximum``, and ``x-example`` (a value as a person
would type it, shown before the field is filled in and in the message when it is refused).
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from datetime import date

from app.errors import FieldError, Msg

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,49}")
DEFAULT_MAX_LENGTH = 1000
MAX_STRING_LENGTH = 100_000
MAX_LABEL_LENGTH = 200
# Integers beyond 2**53 do not survive a round trip through JavaScript clients.
MAX_SAFE_INTEGER = 2**53 - 1
# A request with thousands of unknown keys should not produce thousands of errors.
MAX_UNKNOWN_REPORTED = 10

_TYPES = ("string", "integer", "number", "boolean")
_FORMATS = ("date", "email")
_TOP_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})
_COMMON_KEYWORDS = frozenset(
    {"type", "title", "x-title-en", "description", "x-description-en", "x-example"}
)
MAX_EXAMPLE_LENGTH = 100
_TYPE_KEYWORDS = {
    "string": frozenset({"minLength", "maxLength", "pattern", "format", "enum"}),
    "integer": frozenset({"minimum", "maximum"}),
    "number": frozenset({"minimum", "maximum"}),
    "boolean": frozenset(),
}
_ALL_TYPE_KEYWORDS = frozenset().union(*_TYPE_KEYWORDS.values())
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL_LOCAL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
)
_EMAIL_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class SchemaError(ValueError):
    """A problem in the form schema of a service definition; ``problems`` are (location, text)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        lines = (f"{where}: {text}" if where else text for where, text in self.problems)
        super().__init__("; ".join(lines))


# --- checking the schema itself -----------------------------------------------------------------


def check_schema(schema: dict) -> dict:
    """Check a form schema against the supported subset; return a normalised deep copy."""
    problems = _schema_problems(schema)
    if problems:
        raise SchemaError(problems)
    normalised = copy.deepcopy(schema)
    for prop in normalised["properties"].values():
        if prop["type"] == "string":
            # Every string gets a bound so that no form field can carry megabytes of text.
            prop.setdefault("maxLength", DEFAULT_MAX_LENGTH)
    normalised["required"] = list(normalised.get("required", []))
    normalised["additionalProperties"] = False
    return normalised


def _schema_problems(schema: object) -> list[tuple[str, str]]:
    if not isinstance(schema, dict):
        return [("", "must be a mapping")]
    problems = [(str(key), "unknown keyword") for key in schema if key not in _TOP_KEYWORDS]
    if schema.get("type") != "object":
        problems.append(("type", 'must be "object"'))
    if schema.get("additionalProperties", False) is not False:
        problems.append(("additionalProperties", "must be false"))
    props = schema.get("properties")
    if not isinstance(props, dict):
        problems.append(("properties", "must be a mapping of field names to fields"))
        props = {}
    for name, prop in props.items():
        problems += _property_problems(name, prop)
    problems += _required_problems(schema.get("required", []), props)
    return problems


def _property_problems(name: object, prop: object) -> list[tuple[str, str]]:
    where = f"properties.{name}"
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        return [(where, f"field name must match ^{NAME_RE.pattern}$")]
    if not isinstance(prop, dict):
        return [(where, "must be a mapping")]
    kind = prop.get("type")
    if kind not in _TYPES:
        return [(f"{where}.type", f"must be one of {', '.join(_TYPES)}")]
    allowed = _COMMON_KEYWORDS | _TYPE_KEYWORDS[kind]
    problems = [(str(key), _unknown_keyword(key, kind)) for key in prop if key not in allowed]
    for key in ("title", "x-title-en"):
        label = prop.get(key)
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_LENGTH:
            problems.append((key, f"required: a non-empty string of at most {MAX_LABEL_LENGTH}"))
    for key in ("description", "x-description-en"):
        if key in prop and not isinstance(prop[key], str):
            problems.append((key, "must be a string"))
    example = prop.get("x-example", "")
    if not isinstance(example, str) or len(example) > MAX_EXAMPLE_LENGTH:
        problems.append(("x-example", f"must be a string of at most {MAX_EXAMPLE_LENGTH}"))
    if kind == "string":
        problems += _string_keyword_problems(prop)
    elif kind in ("integer", "number"):
        problems += _number_keyword_problems(prop, integer=kind == "integer")
    return [(f"{where}.{key}", text) for key, text in problems]


def _unknown_keyword(key: object, kind: str) -> str:
    if key in _ALL_TYPE_KEYWORDS:
        return f"not allowed for type {kind}"
    return "unknown keyword"


def _string_keyword_problems(prop: dict) -> list[tuple[str, str]]:
    problems = []
    low, high = prop.get("minLength", 0), prop.get("maxLength", DEFAULT_MAX_LENGTH)
    for key, value, least in (("minLength", low, 0), ("maxLength", high, 1)):
        if not _is_int(value) or not least <= value <= MAX_STRING_LENGTH:
            problems.append((key, f"must be an integer from {least} to {MAX_STRING_LENGTH}"))
    if not problems and low > high:
        problems.append(("minLength", "must not be greater than maxLength"))
    if "pattern" in prop:
        problems += _pattern_problems(prop["pattern"])
    if "format" in prop and prop["format"] not in _FORMATS:
        problems.append(("format", f"must be one of {', '.join(_FORMATS)}"))
    if "enum" in prop:
        problems += _enum_problems(prop["enum"], high if _is_int(high) else MAX_STRING_LENGTH)
    return problems


def _pattern_problems(pattern: object) -> list[tuple[str, str]]:
    if not isinstance(pattern, str) or not pattern:
        return [("pattern", "must be a non-empty string")]
    try:
        re.compile(pattern)
    except re.error as exc:
        return [("pattern", f"is not a valid regular expression: {exc}")]
    return []


def _enum_problems(values: object, max_length: int) -> list[tuple[str, str]]:
    if not isinstance(values, list) or not values:
        return [("enum", "must be a non-empty list of strings")]
    problems = []
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value or len(value) > max_length:
            text = f"must be a non-empty string of at most {max_length} characters"
            problems.append((f"enum[{index}]", text))
        elif values.index(value) != index:
            problems.append((f"enum[{index}]", f"duplicate value {value!r}"))
    return problems


def _number_keyword_problems(prop: dict, *, integer: bool) -> list[tuple[str, str]]:
    problems = []
    for key in ("minimum", "maximum"):
        if key not in prop:
            continue
        value = prop[key]
        if not (_is_int(value) if integer else _is_number(value)):
            problems.append((key, "must be an integer" if integer else "must be a finite number"))
        elif abs(value) > MAX_SAFE_INTEGER:
            problems.append((key, f"must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}"))
    bounded = not problems and "minimum" in prop and "maximum" in prop
    if bounded and prop["minimum"] > prop["maximum"]:
        problems.append(("minimum", "must not be greater than maximum"))
    return problems


def _required_problems(required: object, props: dict) -> list[tuple[str, str]]:
    if not isinstance(required, list):
        return [("required", "must be a list of field names")]
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, name in enumerate(required):
        if not isinstance(name, str) or name not in props:
            problems.append((f"required[{index}]", f"{name!r} is not a field in properties"))
        elif name in seen:
            problems.append((f"required[{index}]", f"{name!r} is listed twice"))
        else:
            seen.add(name)
    return problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_int(value)


# --- validating form data -----------------------------------------------------------------------


def validate_data(schema: dict, data: object, *, partial: bool) -> list[FieldError]:
    """Check form data against a checked schema; drafts (``partial``) may omit required fields.

    Absent, ``null`` and ``""`` all mean "not filled in". A required boolean must be ``true``:
    like an HTML ``required`` checkbox, it is a declaration the applicant has to tick.
    """
    if not isinstance(data, dict):
        return [
            FieldError(
                "data",
                Msg("Data formulir harus berupa objek JSON", "Form data must be a JSON object"),
            )
        ]
    props: dict = schema["properties"]
    required = set(schema.get("required", ()))
    errors = _unknown_field_errors(data, props)
    for name, prop in props.items():
        value = data.get(name)
        if _is_missing(value, prop):
            if not partial and name in required:
                errors.append(FieldError(f"data.{name}", _missing_message(prop)))
            continue
        problem = _value_problem(prop, value)
        if problem is not None:
            errors.append(FieldError(f"data.{name}", problem))
    return errors


def _unknown_field_errors(data: dict, props: dict) -> list[FieldError]:
    # Echo names safely: a lone surrogate or control character must not break the response.
    unknown = [
        str(key).encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        for key in data
        if key not in props
    ]
    errors = [
        FieldError(f"data.{key[:60]}", Msg("Isian tidak dikenal", "Unknown field"))
        for key in unknown[:MAX_UNKNOWN_REPORTED]
    ]
    hidden = len(unknown) - MAX_UNKNOWN_REPORTED
    if hidden > 0:
        errors.append(
            FieldError(
                "data",
                Msg(f"Ada {hidden} isian tidak dikenal lainnya", f"{hidden} more unknown fields"),
            )
        )
    return errors


def _is_missing(value: object, prop: dict) -> bool:
    return value is None or value == "" or (prop["type"] == "boolean" and value is False)


def _missing_message(prop: dict) -> Msg:
    label_id, label_en = prop["title"], prop["x-title-en"]
    if prop["type"] == "boolean":
        return Msg(
            f"Pernyataan \u201c{label_id}\u201d wajib dicentang",
            f"\u201c{label_en}\u201d must be ticked",
        )
    return Msg(f"{label_id} wajib diisi", f"{label_en} is required")


def _value_problem(prop: dict, value: object) -> Msg | None:
    kind = prop["type"]
    if kind == "string":
        return _string_problem(prop, value)
    if kind in ("integer", "number"):
        return _number_problem(prop, value)
    if not isinstance(value, bool):
        return Msg(
            f"{prop['title']} harus bernilai ya atau tidak (true/false)",
            f"{prop['x-title-en']} must be true or false",
        )
    return None


def _string_problem(prop: dict, value: object) -> Msg | None:
    label_id, label_en = prop["title"], prop["x-title-en"]
    if not isinstance(value, str):
        return Msg(f"{label_id} harus berupa teks", f"{label_en} must be text")
    high = prop.get("maxLength", DEFAULT_MAX_LENGTH)
    # Length first, so that an oversized value is refused before it is scanned or matched.
    if len(value) > high:
        return Msg(
            f"{label_id} maksimal {high} karakter", f"{label_en} must be at most {high} characters"
        )
    if _has_forbidden_character(value):
        return Msg(
            f"{label_id} memuat karakter yang tidak diizinkan",
            f"{label_en} contains characters that are not allowed",
        )
    low = prop.get("minLength", 0)
    if len(value) < low:
        return Msg(
            f"{label_id} minimal {low} karakter", f"{label_en} must be at least {low} characters"
        )
    if "enum" in prop and value not in prop["enum"]:
        choices = ", ".join(prop["enum"])
        return Msg(
            f"{label_id} harus salah satu dari: {choices}", f"{label_en} must be one of: {choices}"
        )
    if "pattern" in prop and re.fullmatch(prop["pattern"], value) is None:
        return _pattern_message(prop)
    return _format_problem(prop, value)


def _pattern_message(prop: dict) -> Msg:
    """Which format is asked for, in words and by example: not just "not in the format"."""
    label_id, label_en = prop["title"], prop["x-title-en"]
    rule_id, rule_en = prop.get("description", ""), prop.get("x-description-en", "")
    example = prop.get("x-example")
    if example:
        rule_id = f"{rule_id} Contoh: {example}".strip()
        rule_en = f"{rule_en} Example: {example}".strip()
    if not rule_id:
        return Msg(
            f"{label_id} tidak sesuai format yang diminta",
            f"{label_en} is not in the required format",
        )
    return Msg(
        f"{label_id} belum sesuai format. {rule_id}",
        f"{label_en} is not in the format asked for. {rule_en or rule_id}",
    )


def _has_forbidden_character(text: str) -> bool:
    # Control characters (NUL breaks PostgreSQL) and lone surrogates (not encodable as UTF-8).
    return any(unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t" for char in text)


def _format_problem(prop: dict, value: str) -> Msg | None:
    label_id, label_en = prop["title"], prop["x-title-en"]
    fmt = prop.get("format")
    if fmt == "date" and not _is_iso_date(value):
        return Msg(
            f"{label_id} harus berupa tanggal yang valid (TTTT-BB-HH)",
            f"{label_en} must be a valid date (YYYY-MM-DD)",
        )
    if fmt == "email" and not is_email(value):
        return Msg(
            f"{label_id} harus berupa alamat e-mail yang valid",
            f"{label_en} must be a valid e-mail address",
        )
    return None


def _is_iso_date(value: str) -> bool:
    if _DATE_RE.fullmatch(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_email(value: str) -> bool:
    """Whether ``value`` looks like a deliverable ASCII address ``local@domain.tld``."""
    if len(value) > 254 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    labels = domain.split(".")
    return (
        len(local) <= 64
        and _EMAIL_LOCAL_RE.fullmatch(local) is not None
        and len(labels) >= 2
        and all(_EMAIL_LABEL_RE.fullmatch(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )


def _number_problem(prop: dict, value: object) -> Msg | None:
    label_id, label_en = prop["title"], prop["x-title-en"]
    if prop["type"] == "integer" and not _is_int(value):
        return Msg(f"{label_id} harus berupa bilangan bulat", f"{label_en} must be a whole number")
    if not _is_number(value):
        return Msg(f"{label_id} harus berupa angka", f"{label_en} must be a number")
    assert isinstance(value, int | float)
    if abs(value) > MAX_SAFE_INTEGER:
        return Msg(f"{label_id} di luar rentang yang diizinkan", f"{label_en} is out of range")
    if "minimum" in prop and value < prop["minimum"]:
        low = prop["minimum"]
        return Msg(
            f"{label_id} minimal {number_id(low)}",
            f"{label_en} must be at least {number_en(low)}",
        )
    if "maximum" in prop and value > prop["maximum"]:
        high = prop["maximum"]
        return Msg(
            f"{label_id} maksimal {number_id(high)}",
            f"{label_en} must be at most {number_en(high)}",
        )
    return None


def number_en(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}"


def number_id(value: float) -> str:
    # Indonesian swaps the separators: 1.000.000,5
    return number_en(value).translate(str.maketrans(",.", ".,"))
