"""Fee schedules are checked when the catalogue loads: a formula the evaluator would not run,
or one naming a field the form does not have, is refused with the service and field named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.catalogue.definitions import CatalogueError, demo_catalogue_path, parse_catalogue
from app.catalogue.fees import quote, round_rupiah

CATALOGUE = Path(__file__).parent / "catalogue.yaml"


def _with_fee(**fee) -> str:
    document = yaml.safe_load(CATALOGUE.read_text())
    document["services"][0]["fee"] = fee
    return yaml.safe_dump(document)


def _problems(**fee) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(_with_fee(**fee))
    return caught.value.problems


FORMULA = {"tables": {"rate": {"Hunian": 1, "Usaha": 2}}}


@pytest.mark.parametrize(
    ("formula", "complaint"),
    [
        ("floor_area * 2", "service FEEPBG: unknown field 'floor_area'"),
        ("building_use * 2", "field 'building_use' is not a numeric field"),
        ("rate[floor_area_m2]", "field 'floor_area_m2' is not an enum field"),
        ("floor_area_m2 ** 2", "Pow is not allowed"),
        ("__import__('os').getcwd()", "may be called"),
        ("floor_area_m2.real", "Attribute is not allowed"),
        ("open('x')", "only min(a, b, ...) and max(a, b, ...) may be called"),
        ("floor_area_m2 *", "not an expression"),
        ("rate * 2", "table 'rate' is used without [enum_field]"),
    ],
)
def test_a_bad_formula_is_refused_at_load(formula, complaint):
    [problem] = _problems(kind="formula", formula=formula, **FORMULA)
    assert problem.startswith("services[0].fee.formula: ")
    assert complaint in problem


def test_a_table_must_price_every_value_and_fields_must_be_required():
    [problem] = _problems(
        kind="formula", formula="floor_area_m2 * rate[building_use]", tables={"rate": {"Hunian": 1}}
    )
    assert "table 'rate' prices no value for 'building_use' = ['Usaha']" in problem
    document = yaml.safe_load(_with_fee(kind="formula", formula="floor_area_m2 * 2"))
    document["services"][0]["form_schema"]["required"] = ["building_use"]
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(yaml.safe_dump(document))
    assert "field 'floor_area_m2' is optional" in caught.value.problems[0]


def test_other_keys_are_checked():
    problems = _problems(kind="fixed", amount=0, rounding="sideways", due="later", colour="red")
    assert "services[0].fee.colour: unknown key" in problems
    assert any(p.startswith("services[0].fee.amount: must be a whole number") for p in problems)
    assert any(p.startswith("services[0].fee.rounding: must be nearest") for p in problems)
    assert any(p.startswith("services[0].fee.due: must be one of") for p in problems)


def test_rounding_rules():
    from decimal import Decimal

    assert round_rupiah(Decimal("1500.5"), "nearest") == 1501  # half up
    assert round_rupiah(Decimal("1500.4"), "nearest") == 1500
    assert round_rupiah(Decimal("1000.01"), "up_1000") == 2000
    assert round_rupiah(Decimal("1999"), "down_1000") == 1000
    assert round_rupiah(Decimal("1550"), "nearest_100") == 1600


def test_the_demo_building_approval_prices_floor_area_by_use():
    [pbg] = [s for s in parse_catalogue(demo_catalogue_path().read_text()).services if s.fee]
    assert pbg.code == "PBG"
    priced = quote(pbg.fee, {"total_floor_area_m2": 150.25, "building_function": "Hunian"})
    assert priced.amount == 2_254_000  # 150.25 x 15,000 = 2,253,750, up to the next Rp1.000
    # A fixed fee is its amount; a fee schedule changes the service's content hash.
    fixed = parse_catalogue(_with_fee(kind="fixed", amount=50000)).services[0]
    assert quote(fixed.fee, {}).amount == 50000
    free = parse_catalogue(_with_fee(kind="free")).services[0]
    assert fixed.content_hash() != free.content_hash()
