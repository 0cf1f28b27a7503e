"""What anyone may read before reporting: the categories with their questions, and the areas."""

from __future__ import annotations


def test_categories_and_areas_are_public(reports, world):
    categories = world.client.get("/api/v1/complaint-categories", headers={"Accept-Language": "en"})
    assert categories.status_code == 200
    items = {item["code"]: item for item in categories.json()["items"]}
    assert set(items) == {"PJU", "BANJIR", "PKL"}
    street_light = items["PJU"]
    assert street_light["name"] == "Street light out" and street_light["department_code"] == "DBM"
    assert street_light["anonymous_allowed"] is True and street_light["response_hours"] == 8
    assert "pole_number" in street_light["form_schema"]["properties"]

    top = world.client.get("/api/v1/areas").json()
    assert top["parent"] == "31" and len(top["items"]) == 6
    south = world.client.get("/api/v1/areas", params={"parent": "31.74"}).json()["items"]
    assert {"Tebet", "Kebayoran Baru"} <= {area["name"] for area in south}
    tebet = next(area for area in south if area["name"] == "Tebet")
    kelurahan = world.client.get("/api/v1/areas", params={"parent": tebet["code"]}).json()
    assert all(a["level"] == "kelurahan" and a["postal_code"] for a in kelurahan["items"])
    assert world.client.get("/api/v1/areas", params={"parent": "32.76"}).status_code == 404


def test_a_new_category_definition_is_a_new_version_and_old_reports_keep_theirs(reports, world):
    from app.catalogue.definitions import parse_catalogue
    from app.catalogue.service import load_catalogue
    from app.db import transaction
    from tests.complaints.conftest import CATEGORIES

    resident = world.user("citizen")
    before = reports.file(resident)
    changed = CATEGORIES.read_text(encoding="utf-8").replace(
        "resolution_days: 5", "resolution_days: 3", 1
    )
    with transaction(world.runtime.engine) as session:
        report = load_catalogue(session, catalogue=parse_catalogue(changed))
    assert report.categories_new_versions == ["PJU"]
    assert set(report.categories_unchanged) == {"BANJIR", "PKL"}
    after = reports.file(resident)
    assert (before["category_version"], after["category_version"]) == (1, 2)
    assert reports.get(resident, before)["category_version"] == 1
