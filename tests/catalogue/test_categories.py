"""Complaint categories in the catalogue file: the shipped Jakarta set, routing, and every
problem an administrator can make reported with its location."""

from __future__ import annotations

import textwrap

import pytest

from app.catalogue import areas
from app.catalogue.definitions import (
    CatalogueError,
    demo_catalogue_path,
    load_catalogue,
    parse_catalogue,
)

GOOD = """
departments:
  - {code: DBM, name: Dinas Bina Marga}
  - {code: SATPOLPP, name: Satuan Polisi Pamong Praja}
categories:
  - code: PJU
    name_id: Lampu jalan mati
    name_en: Street light out
    department_code: DBM
    response_hours: 8
    resolution_days: 5
    duplicate_radius_m: 50
"""


def catalogue_with(**category) -> str:
    """GOOD with the first category's keys replaced (None removes a key)."""
    lines = [f"    {key}: {value}" for key, value in category.items() if value is not None]
    base = {
        "code": "PJU",
        "name_id": "Lampu jalan mati",
        "name_en": "Street light out",
        "department_code": "DBM",
        "response_hours": "8",
        "resolution_days": "5",
        "duplicate_radius_m": "50",
    }
    for key in category:
        base.pop(key, None)
    lines += [f"    {key}: {value}" for key, value in base.items()]
    head = GOOD.split("categories:")[0]
    return head + "categories:\n  - " + "\n".join(lines).lstrip()


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(text)
    return refused.value.problems


def test_the_shipped_catalogue_has_a_jakarta_set_of_categories():
    catalogue = load_catalogue(demo_catalogue_path())
    categories = {category.code: category for category in catalogue.categories}
    assert len(categories) >= 8
    assert len({category.department_code for category in categories.values()}) >= 4
    departments = {department.code for department in catalogue.departments}
    for category in categories.values():
        assert category.department_codes() <= departments
        assert category.name_id and category.name_en
    street_light = categories["PJU"]
    assert street_light.anonymous_allowed and street_light.public
    # Every kota and Kepulauan Seribu has its Suku Dinas.
    assert {rule.area for rule in street_light.routing} == {a.code for a in areas.children()}
    assert not categories["PKL"].public and not categories["PKL"].anonymous_allowed
    assert categories["PARKIRLIAR"].public and not categories["PARKIRLIAR"].exact_location_public


def test_routing_takes_the_first_rule_whose_area_holds_the_kelurahan():
    catalogue = load_catalogue(demo_catalogue_path())
    parking = next(c for c in catalogue.categories if c.code == "PARKIRLIAR")
    gambir = "31.71.01.1001"  # Kelurahan Gambir, Kecamatan Gambir
    assert areas.kelurahan(gambir) is not None
    near_monas = parking.route(gambir)
    assert (near_monas.department_code, near_monas.unit) == (
        "SATPOLPP",
        "Satpol PP Kecamatan Gambir",
    )
    elsewhere = parking.route("31.74.01.1001")
    assert (elsewhere.department_code, elsewhere.unit) == ("DISHUB", None)
    assert parking.route(None).department_code == "DISHUB"

    text = GOOD + textwrap.indent(
        textwrap.dedent(
            """\
            routing:
              - {area: "31.74.01", department_code: SATPOLPP}
              - {area: "31.74", unit: Suku Dinas Bina Marga Jakarta Selatan}
            """
        ),
        "    ",
    )
    street_light = parse_catalogue(text).categories[0]
    kebayoran = street_light.route("31.74.01.1001")
    assert (kebayoran.department_code, kebayoran.unit) == ("SATPOLPP", None)
    other = street_light.route("31.74.02.1001")
    assert (other.department_code, other.unit) == ("DBM", "Suku Dinas Bina Marga Jakarta Selatan")


def test_a_catalogue_of_categories_alone_is_a_catalogue():
    catalogue = parse_catalogue(GOOD)
    assert catalogue.services == () and [c.code for c in catalogue.categories] == ["PJU"]
    assert (
        catalogue.categories[0].content_hash() == parse_catalogue(GOOD).categories[0].content_hash()
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"department_code": "DINASX"},
            "categories[0].department_code: unknown department 'DINASX'",
        ),
        ({"code": "pju"}, "categories[0].code: must match"),
        ({"response_hours": "0"}, "categories[0].response_hours: must be an integer from 1 to 240"),
        ({"resolution_days": "true"}, "categories[0].resolution_days: must be an integer"),
        (
            {"duplicate_radius_m": "5000"},
            "categories[0].duplicate_radius_m: must be an integer from 10 to 200",
        ),
        ({"public": "yes please"}, "categories[0].public: must be true or false"),
        ({"name_en": None}, "categories[0].name_en: is required"),
        ({"colour": "red"}, "categories[0].colour: unknown key"),
        (
            {"form_schema": "{type: object, properties: {a: {type: blob}}}"},
            "categories[0].form_schema",
        ),
        (
            {"routing": '[{area: "32.01", unit: Bogor}]'},
            "categories[0].routing[0].area: '32.01' is not a Kemendagri code",
        ),
        (
            {"routing": '[{area: "31.99", unit: X}]'},
            "categories[0].routing[0].area: '31.99' is not",
        ),
        (
            {"routing": '[{area: "31.74"}]'},
            "categories[0].routing[0].(rule): names a department_code, a unit, or both",
        ),
        (
            {"routing": '[{area: "31.74", department_code: DINASX}]'},
            "categories[0].routing[0].department_code: unknown department 'DINASX'",
        ),
        (
            {"routing": '[{area: "31.74", unit: A}, {area: "31.74.01", unit: B}]'},
            "categories[0].routing[1].area: never matches: the earlier rule for 31.74",
        ),
        (
            {"routing": '[{area: "31.74", unit: A, kota: x}]'},
            "categories[0].routing[0].kota: unknown key",
        ),
        ({"routing": "just send it"}, "categories[0].routing: must be a list"),
    ],
)
def test_a_bad_category_is_reported_where_it_is(changes, expected):
    problems = problems_of(catalogue_with(**changes))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_two_categories_with_one_code_are_refused():
    text = GOOD + GOOD.split("categories:")[1]
    assert "categories[1].code: duplicate code 'PJU'" in problems_of(text)


def test_areas_are_jakartas_from_the_kemendagri_data():
    assert areas.counts() == {"kota": 5, "kabupaten": 1, "kecamatan": 44, "kelurahan": 267}
    assert [a.name for a in areas.children()][:2] == [
        "Kabupaten Administrasi Kepulauan Seribu",
        "Kota Administrasi Jakarta Pusat",
    ]
    menteng = next(a for a in areas.children("31.71") if a.name == "Menteng")
    assert menteng.level == "kecamatan" and menteng.code.startswith("31.71.")
    kelurahan = areas.children(menteng.code)
    assert kelurahan and all(k.level == "kelurahan" and k.postal_code for k in kelurahan)
    assert areas.kelurahan(menteng.code) is None  # a kecamatan is not a kelurahan
    assert areas.area("32.76.01.1001") is None  # Depok is not in Jakarta
    assert areas.in_jakarta(-6.1754, 106.8272)  # Monas
    assert areas.in_jakarta(-5.60, 106.55)  # Pulau Pramuka, Kepulauan Seribu
    assert not areas.in_jakarta(-6.5950, 106.8166)  # Bogor
    assert not areas.in_jakarta(6.1754, 106.8272)  # the sign of the latitude matters
