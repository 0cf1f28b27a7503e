"""Parsing service catalogue YAML into definitions."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.catalogue.definitions import (
    Catalogue,
    CatalogueError,
    DocumentRequirement,
    ServiceDefinition,
    demo_catalogue_path,
    load_catalogue,
    parse_catalogue,
)
from app.catalogue.formschema import validate_data

SERVICE: dict[str, Any] = {
    "code": "SKDU",
    "name_id": "Surat Keterangan Domisili Usaha",
    "name_en": "Business Domicile Letter",
    "description_id": "Keterangan domisili usaha.",
    "description_en": "Business domicile letter.",
    "department_code": "DPMPTSP",
    "sla_days": 3,
    "validity_months": 12,
    "workflow": "single_approval",
    "key_fields": ["business_name"],
    "form_schema": {
        "type": "object",
        "required": ["business_name"],
        "properties": {
            "business_name": {
                "type": "string",
                "title": "Nama usaha",
                "x-title-en": "Business name",
            },
        },
    },
    "documents": [
        {
            "code": "ktp",
            "label_id": "KTP-el",
            "label_en": "ID card",
            "accepted_types": ["application/pdf", "image/jpeg"],
            "max_bytes": 2097152,
        },
    ],
}


def catalogue_yaml(*services: dict, departments: list | None = None) -> str:
    document: dict[str, Any] = {"services": list(services) or [SERVICE]}
    if departments is not None:
        document["departments"] = departments
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text)
    return caught.value.problems


def changed(**changes: Any) -> dict:
    service = copy.deepcopy(SERVICE)
    for key, value in changes.items():
        if value is ...:
            del service[key]
        else:
            service[key] = value
    return service


# --- the demo catalogue -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Catalogue:
    return load_catalogue(demo_catalogue_path())


def test_demo_catalogue_has_realistic_services(demo: Catalogue) -> None:
    services = {s.code: s for s in demo.services}
    assert len(services) >= 5
    expected = {
        "IUMK": ("single_approval", 1),
        "SKDU": ("single_approval", 3),
        "IKRM": ("single_approval", 5),
        "REKLAME": ("two_level", 10),
        "PBG": ("two_level", 25),
    }
    for code, (workflow, sla_days) in expected.items():
        assert (services[code].workflow, services[code].sla_days) == (workflow, sla_days)
    assert services["PBG"].department_code == "CKTRP"
    assert {"DPMPTSP", "CKTRP"} <= {d.code for d in demo.departments}


def test_demo_services_are_complete_and_bilingual(demo: Catalogue) -> None:
    departments = {d.code for d in demo.departments}
    for service in demo.services:
        assert service.department_code in departments
        assert service.name_id != service.name_en
        assert service.documents and any(d.code == "ktp" for d in service.documents)
        assert service.form_schema["additionalProperties"] is False
        props = service.form_schema["properties"]
        assert set(service.key_fields) <= set(props)
        assert all(p["title"] and p["x-title-en"] for p in props.values())
        assert "declaration" in service.form_schema["required"]


def test_demo_forms_accept_drafts_and_refuse_empty_submissions(demo: Catalogue) -> None:
    for service in demo.services:
        assert validate_data(service.form_schema, {}, partial=True) == []
        errors = validate_data(service.form_schema, {}, partial=False)
        assert {e.field for e in errors} == {f"data.{n}" for n in service.form_schema["required"]}


def test_demo_reklame_form_takes_dimensions_in_metres(demo: Catalogue) -> None:
    reklame = next(s for s in demo.services if s.code == "REKLAME")
    data = {
        "advert_type": "Papan/billboard",
        "advert_content": "Kopi Kenangan",
        "width_m": 4,
        "height_m": 2.5,
        "sides": 2,
        "mount_height_m": 6.5,
        "illuminated": "Penerangan luar",
        "location_address": "Jl. Jend. Sudirman Kav. 52",
        "kelurahan": "Senayan",
        "kecamatan": "Kebayoran Baru",
        "city": "Jakarta Selatan",
        "land_status": "Milik sendiri",
        "npwpd": "P.2.0001234.04.01",
        "start_date": "2026-07-01",
        "declaration": True,
    }
    assert validate_data(reklame.form_schema, data, partial=False) == []


# --- parsing --------------------------------------------------------------------------------------


def test_minimal_catalogue() -> None:
    catalogue = parse_catalogue(catalogue_yaml(departments=[{"code": "DPMPTSP", "name": "D"}]))
    (service,) = catalogue.services
    assert service.code == "SKDU"
    assert service.documents == (
        DocumentRequirement(
            code="ktp",
            label_id="KTP-el",
            label_en="ID card",
            accepted_types=("application/pdf", "image/jpeg"),
            max_bytes=2097152,
            mandatory=True,
        ),
    )
    # `active` unsaid: a stored service keeps what an admin set.
    assert (service.certificate_template, service.fee_idr, service.active) == ("default", 0, None)
    assert service.form_schema["properties"]["business_name"]["maxLength"] == 1000
    assert catalogue.departments[0].code == "DPMPTSP"


def test_a_single_service_mapping_is_a_catalogue() -> None:
    catalogue = parse_catalogue(yaml.safe_dump(SERVICE))
    assert catalogue.departments == ()
    assert [s.code for s in catalogue.services] == ["SKDU"]


def test_single_service_problems_have_bare_locations() -> None:
    assert problems_of(yaml.safe_dump(changed(sla_days=0))) == [
        "sla_days: must be an integer from 1 to 365"
    ]


def test_validity_may_be_null_and_workflows_are_configurable() -> None:
    text = catalogue_yaml(changed(validity_months=None, workflow="three_level"))
    catalogue = parse_catalogue(text, known_workflows=["three_level"])
    assert catalogue.services[0].validity_months is None
    assert "services[0].workflow: must be one of single_approval, two_level" in problems_of(text)


DOC = SERVICE["documents"][0]


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (changed(code="skdu"), "services[0].code: must match"),
        (changed(code="S"), "services[0].code: must match"),
        (changed(code="SKDU-2026"), "services[0].code: must match"),
        (changed(code="A" * 17), "services[0].code: must match"),
        (changed(name_en=...), "services[0].name_en: is required"),
        (changed(name_id="  "), "services[0].name_id: must be a non-empty string"),
        (changed(description_en="x" * 2001), "services[0].description_en: must be a non-empty"),
        (changed(department_code=...), "services[0].department_code: is required"),
        (changed(sla_days=0), "services[0].sla_days: must be an integer from 1 to 365"),
        (changed(sla_days=366), "services[0].sla_days: must be an integer"),
        (changed(sla_days=True), "services[0].sla_days: must be an integer"),
        (changed(sla_days="3"), "services[0].sla_days: must be an integer"),
        (changed(validity_months=...), "services[0].validity_months: is required"),
        (changed(validity_months=0), "services[0].validity_months: must be an integer"),
        (changed(workflow="auto"), "services[0].workflow: must be one of"),
        (changed(certificate_template="../x"), "services[0].certificate_template: must match"),
        (changed(fee_idr=-1), "services[0].fee_idr: must be an integer"),
        (changed(active="yes please"), "services[0].active: must be true or false"),
        (changed(colour="red"), "services[0].colour: unknown key"),
        (changed(key_fields=["npwp"]), "services[0].key_fields[0]: 'npwp' is not a field"),
        (changed(key_fields="business_name"), "services[0].key_fields: must be a list"),
        (changed(key_fields=["business_name"] * 2), "services[0].key_fields[1]: "),
        (changed(form_schema=...), "services[0].form_schema: is required"),
        (changed(form_schema=[]), "services[0].form_schema: must be a mapping"),
        (
            changed(form_schema={"type": "object", "properties": {"a": {"type": "date"}}}),
            "services[0].form_schema.properties.a.type: must be one of",
        ),
        (changed(documents="ktp"), "services[0].documents: must be a list"),
        (changed(documents=["ktp"]), "services[0].documents[0]: must be a mapping"),
        (changed(documents=[DOC, DOC]), "services[0].documents[1].code: duplicate code 'ktp'"),
        (changed(documents=[{**DOC, "code": "KTP"}]), "services[0].documents[0].code: must match"),
        (
            changed(documents=[{**DOC, "max_bytes": 0}]),
            "services[0].documents[0].max_bytes: must be an integer from 1 to 20971520",
        ),
        (
            changed(documents=[{**DOC, "max_bytes": 20971521}]),
            "services[0].documents[0].max_bytes: must be an integer",
        ),
        (
            changed(documents=[{**DOC, "accepted_types": []}]),
            "services[0].documents[0].accepted_types: must list at least one type",
        ),
        (
            changed(documents=[{**DOC, "accepted_types": ["image/gif"]}]),
            "services[0].documents[0].accepted_types[0]: 'image/gif' is not one of",
        ),
        (
            changed(documents=[{**DOC, "accepted_types": ["image/png", "image/png"]}]),
            "services[0].documents[0].accepted_types[1]: 'image/png' is listed twice",
        ),
        (
            changed(documents=[{**DOC, "label_en": ""}]),
            "services[0].documents[0].label_en: must be a non-empty string",
        ),
        (
            changed(documents=[{k: v for k, v in DOC.items() if k != "label_id"}]),
            "services[0].documents[0].label_id: is required",
        ),
        (
            changed(documents=[{**DOC, "mandatory": "no"}]),
            "services[0].documents[0].mandatory: must be true or false",
        ),
        (changed(documents=[{**DOC, "size": 1}]), "services[0].documents[0].size: unknown key"),
    ],
)
def test_each_problem_is_reported_with_its_location(service: dict, expected: str) -> None:
    problems = problems_of(catalogue_yaml(service))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_every_problem_is_collected() -> None:
    bad_doc = {**DOC, "code": "kk", "max_bytes": -5, "accepted_types": ["text/html"]}
    first = changed(sla_days=0, documents=[DOC, bad_doc])
    second = changed(name_en=..., department_code="NOPE")
    third = changed(code="SKDU")
    problems = problems_of(
        catalogue_yaml(
            first, second, third, departments=[{"code": "DPMPTSP", "name": "Dinas PM-PTSP"}]
        )
    )
    assert problems == [
        "services[0].documents[1].accepted_types[0]: 'text/html' is not one of application/pdf,"
        " image/jpeg, image/png",
        "services[0].documents[1].max_bytes: must be an integer from 1 to 20971520",
        "services[0].sla_days: must be an integer from 1 to 365",
        "services[1].name_en: is required",
        "services[1].department_code: unknown department 'NOPE'",
        "services[1].code: duplicate code 'SKDU'",
        "services[2].code: duplicate code 'SKDU'",
    ]


def test_catalogue_level_problems() -> None:
    assert problems_of(yaml.safe_dump({"services": []})) == [
        "services: must list at least one service"
    ]
    assert problems_of(yaml.safe_dump({"services": [SERVICE], "owners": []})) == [
        "owners: unknown key"
    ]
    assert problems_of(yaml.safe_dump({"departments": [{"code": "DPMPTSP", "name": "D"}]})) == [
        "services: is required"
    ]
    departments = [
        {"code": "DPMPTSP", "name": "A"},
        {"code": "DPMPTSP", "name": "B"},
        {"code": "x", "name": ""},
        "CKTRP",
    ]
    assert problems_of(catalogue_yaml(departments=departments)) == [
        "departments[2].code: must match ^[A-Z][A-Z0-9]{1,15}$",
        "departments[2].name: must be a non-empty string of at most 200 characters",
        "departments[3]: must be a mapping",
        "departments[1].code: duplicate code 'DPMPTSP'",
    ]


@pytest.mark.parametrize("text", ["", "# nothing\n", "- a\n- b\n", "just text"])
def test_not_a_catalogue(text: str) -> None:
    assert problems_of(text)[0].startswith("(top level):")


def test_yaml_syntax_errors_are_reported() -> None:
    assert problems_of("services: [\n")[0].startswith("(yaml):")


def test_unsafe_yaml_tags_are_refused() -> None:
    text = "services: !!python/object/apply:os.system ['echo owned']\n"
    assert problems_of(text)[0].startswith("(yaml):")


def test_duplicate_yaml_keys_are_refused() -> None:
    text = catalogue_yaml() + "services: []\n"
    assert any("duplicate key 'services'" in p for p in problems_of(text))


def test_yaml_surprises_are_caught() -> None:
    # YAML 1.1 reads an unquoted NO (Norway) as false and 2026-01-01 as a date.
    text = catalogue_yaml(
        changed(
            code="NO",
            form_schema={
                "type": "object",
                "properties": {
                    "day": {"type": "string", "title": "Hari", "x-title-en": "Day", "enum": ["x"]}
                },
            },
        )
    )
    text = text.replace("code: 'NO'", "code: NO").replace("- x", "- 2026-01-01")
    problems = problems_of(text)
    assert "services[0].code: must match ^[A-Z][A-Z0-9]{1,15}$" in problems
    assert any(p.startswith("services[0].form_schema.properties.day.enum[0]:") for p in problems)


def test_load_catalogue_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(catalogue_yaml(changed(sla_days=0)), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert str(path) in str(caught.value)
    assert "services[0].sla_days" in str(caught.value)
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CatalogueError):
        load_catalogue(path)


# --- content hash -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service() -> ServiceDefinition:
    return parse_catalogue(catalogue_yaml()).services[0]


def test_content_hash_is_stable(service: ServiceDefinition) -> None:
    again = parse_catalogue(catalogue_yaml()).services[0]
    assert service.content_hash() == again.content_hash()
    assert len(service.content_hash()) == 64
    assert service.content_hash() == dataclasses.replace(service, active=False).content_hash()


NEW_DOC = DocumentRequirement("kk", "KK", "Family card", ("application/pdf",), 1024, False)


@pytest.mark.parametrize(
    "change",
    [
        {"code": "SKDU2"},
        {"name_id": "Lain"},
        {"name_en": "Other"},
        {"description_id": "Lain."},
        {"description_en": "Other."},
        {"department_code": "CKTRP"},
        {"sla_days": 4},
        {"validity_months": None},
        {"workflow": "two_level"},
        {"certificate_template": "letter"},
        {"key_fields": ()},
        {"fee_idr": 10000},
        {"documents": (NEW_DOC,)},
    ],
)
def test_content_hash_changes_with_every_versioned_field(
    service: ServiceDefinition, change: dict
) -> None:
    assert dataclasses.replace(service, **change).content_hash() != service.content_hash()


def test_content_hash_sees_form_and_document_details(service: ServiceDefinition) -> None:
    form = copy.deepcopy(service.form_schema)
    form["properties"]["business_name"]["maxLength"] = 100
    assert dataclasses.replace(service, form_schema=form).content_hash() != service.content_hash()
    document = dataclasses.replace(service.documents[0], mandatory=False)
    modified = dataclasses.replace(service, documents=(document,))
    assert modified.content_hash() != service.content_hash()


def test_content_hash_sees_field_order(service: ServiceDefinition) -> None:
    name = {"type": "string", "title": "A", "x-title-en": "A", "maxLength": 10}
    first = {**service.form_schema, "properties": {"a": name, "b": name}}
    second = {**service.form_schema, "properties": {"b": name, "a": name}}
    assert (
        dataclasses.replace(service, form_schema=first).content_hash()
        != dataclasses.replace(service, form_schema=second).content_hash()
    )
