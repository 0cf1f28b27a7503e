"""A changed definition is a new version; an application keeps the version it started with."""

from __future__ import annotations

from app.catalogue.definitions import parse_catalogue
from app.catalogue.service import load_catalogue
from tests.factories import CATALOGUE


def test_application_keeps_its_service_version(world, db):
    citizen = world.user("citizen")
    old = world.create(citizen)
    stricter = CATALOGUE.read_text().replace("maximum: 500", "maximum: 2")
    with db() as session:
        report = load_catalogue(session, catalogue=parse_catalogue(stricter))
    assert report.new_versions == ["SIMPLE"]
    assert world.client.get("/api/v1/services/SIMPLE").json()["version"] == 2

    new = world.create(citizen, data={"business_name": "Toko Baru", "employees": 2})
    assert new["service_version"] == 2
    # The old draft is still validated against version 1 (max 500 employees).
    assert world.get(old["id"], citizen)["service_version"] == 1
    patch = world.client.patch(
        f"/api/v1/applications/{old['id']}",
        json={"data": {"employees": 300}, "version": old["version"]},
        headers=world.headers(citizen),
    )
    assert patch.status_code == 200, patch.text
    too_many = world.client.post(
        "/api/v1/applications",
        json={"service_code": "SIMPLE", "data": {"employees": 300}},
        headers=world.headers(citizen),
    )
    assert too_many.status_code == 422


def test_reloading_a_catalogue_that_says_nothing_keeps_an_admins_switch(world, db):
    from sqlalchemy import update

    from app.models import Service

    with db() as session:  # an admin withdrew the service
        session.execute(update(Service).where(Service.code == "SIMPLE").values(active=False))
    with db() as session:
        load_catalogue(session, catalogue=parse_catalogue(CATALOGUE.read_text()))
        changed = CATALOGUE.read_text().replace("maximum: 500", "maximum: 400")
        load_catalogue(session, catalogue=parse_catalogue(changed))  # a new version too
    codes = {s["code"] for s in world.client.get("/api/v1/services").json()["items"]}
    assert "SIMPLE" not in codes

    explicit = CATALOGUE.read_text().replace(
        "    workflow: single_approval\n", "    workflow: single_approval\n    active: true\n", 1
    )
    with db() as session:
        load_catalogue(session, catalogue=parse_catalogue(explicit))
    codes = {s["code"] for s in world.client.get("/api/v1/services").json()["items"]}
    assert "SIMPLE" in codes
