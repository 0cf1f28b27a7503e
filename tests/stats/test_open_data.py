"""Open data: the CSV validates against its datapackage, the catalogue is JSON-LD."""

from __future__ import annotations

import json

from frictionless import Package
from pyld import jsonld

from tests.stats import fixture


def test_csv_validates_against_its_datapackage(world, tmp_path):
    fixture.load(world.runtime, applicant_id=world.user().id)
    csv_response = world.client.get("/open-data/applications-monthly.csv")
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    descriptor = world.client.get("/open-data/datapackage.json").json()
    (tmp_path / "applications-monthly.csv").write_text(csv_response.text)
    # Only the applications' file here (tests/stats/test_complaint_stats.py checks complaints).
    descriptor["resources"] = descriptor["resources"][:1]
    descriptor["resources"][0]["path"] = "applications-monthly.csv"
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])
    lines = csv_response.text.splitlines()
    february = next(line for line in lines if line.startswith("SIMPLE,2026-02,"))
    # Then the deadline counts (none in the fixture).
    assert february == "SIMPLE,2026-02,16,<10,<10,2.5,5,83.3" + ",0" * 8


def test_json_matches_csv(world):
    fixture.load(world.runtime, applicant_id=world.user().id)
    records = world.client.get("/open-data/applications-monthly.json").json()["records"]
    february = next(r for r in records if (r["service_code"], r["month"]) == ("SIMPLE", "2026-02"))
    assert (february["received"], february["approved"], february["p90_working_days"]) == (
        16,
        None,
        5,
    )
    assert "approved" in february["suppressed"]


def test_catalogue_is_json_ld(client):
    response = client.get("/open-data/catalog.jsonld")
    assert response.headers["content-type"].startswith("application/ld+json")
    expanded = jsonld.expand(response.json())
    assert expanded[0]["@type"] == ["http://www.w3.org/ns/dcat#Catalog"]
    dataset = expanded[0]["http://www.w3.org/ns/dcat#dataset"][0]
    assert "http://www.w3.org/ns/dcat#distribution" in dataset
