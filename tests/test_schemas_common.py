"""The input types' documented patterns say exactly what their validators accept."""

from __future__ import annotations

import random
import re
from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from app.schemas_common import NoControlCharacters, PlainText, Version, plain_text_pattern

# Controls, the whitespace stripping removes, other spaces it keeps, and ordinary letters.
ALPHABET = [chr(c) for c in range(0x30)] + list("\x7f\x85\xa0\u1680\u2000\u200b\u2028\u3000ab")


def accepts(model: type[BaseModel], value: object) -> bool:
    try:
        model(value=value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("min_length", [0, 1, 2, 3, 5])
def test_plain_text_pattern_agrees_with_its_validators(min_length):
    class Model(BaseModel):
        value: Annotated[str, PlainText(50, min_length=min_length)]

    pattern = re.compile(Model.model_json_schema()["properties"]["value"]["pattern"])
    assert pattern.pattern == plain_text_pattern(min_length)
    rng = random.Random(min_length)
    for _ in range(5000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 8)))
        assert accepts(Model, text) == bool(pattern.search(text)), repr(text)


def test_control_free_pattern_agrees_with_its_validator():
    class Model(BaseModel):
        value: Annotated[str, NoControlCharacters]

    pattern = re.compile(Model.model_json_schema()["properties"]["value"]["pattern"])
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 8)))
        assert accepts(Model, text) == bool(pattern.search(text)), repr(text)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [(3, True), (3.0, True), (3.5, False), (True, False), ("3", False), (0, False), (None, False)],
)
def test_a_version_is_a_json_integer(value, accepted):
    class Model(BaseModel):
        value: Version

    assert accepts(Model, value) is accepted
