"""Bad input to the statistics API, and no personal data in anything it publishes."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/stats/services", {"from": "2026-03-01", "to": "2026-02-01"}, 422),
        ("/api/v1/stats/departments", {"from": "1900-01-01", "to": "2026-02-01"}, 422),
        ("/api/v1/stats/services", {"from": "2026-02-30"}, 422),
        ("/api/v1/stats/timeseries", {"service": "NOPE"}, 404),
        ("/api/v1/stats/timeseries", {"service": "SIMPLE", "interval": "week"}, 422),
        ("/api/v1/stats/timeseries", {}, 422),
        # Dates whose period arithmetic left what a date can hold were 500s (schemathesis).
        ("/api/v1/stats/departments", {"to": "0001-01-01"}, 422),
        ("/api/v1/stats/services", {"from": "9999-12-31", "to": "9999-12-31"}, 422),
        ("/api/v1/stats/timeseries", {"service": "SIMPLE", "to": "0001-01-31"}, 422),
        ("/api/v1/stats/timeseries", {"service": "SIMPLE", "from": "9999-12-01"}, 422),
        # A number is not a date (pydantic read it as a Unix time: 0 was 1970-01-01).
        ("/api/v1/stats/services", {"to": "0"}, 422),
        ("/api/v1/stats/services", {"from": "1700000000"}, 422),
    ],
)
def test_bad_requests_are_problems(world, path, params, status):
    response = world.client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_no_personal_data_in_any_response(world):
    citizen = world.user(name="Siti Rahmawati Uji", email="siti.uji@example.id")
    officer = world.user("officer", name="Budi Petugas Uji", email="budi.uji@example.id")
    for state in ("approved", "rejected", "in_review"):
        world.in_state(state, citizen=citizen, officer=officer)
    bodies = [
        world.client.get(path).text
        for path in (
            "/api/v1/stats/services",
            "/api/v1/stats/departments",
            "/api/v1/stats/timeseries?service=SIMPLE",
            "/open-data/applications-monthly.csv",
            "/open-data/applications-monthly.json",
            "/open-data/datapackage.json",
            "/open-data/catalog.jsonld",
        )
    ]
    text = "\n".join(bodies)
    assert "Siti" not in text and "Budi" not in text and "@" not in text.replace('"@', "")
    assert not re.search(r"\d{16}", text)
    assert "SIMPLE" in text  # the figures are there, only small ones hidden


def test_small_cells_from_the_real_flow_are_suppressed(world):
    citizen = world.user()
    officer = world.user("officer")
    world.in_state("approved", citizen=citizen, officer=officer)
    body = world.client.get("/api/v1/stats/services").json()
    simple = next(s for s in body["services"] if s["service_code"] == "SIMPLE")
    assert simple["received"] is None and simple["certificates_issued"] is None
    assert {"received", "certificates_issued"} <= set(simple["suppressed"])
