"""The duplicate lookup: open public reports of the same category within its radius, found
through the grid cells around the point with an index on both databases, not a scan."""

from __future__ import annotations

import math

from sqlalchemy import text

from app.complaints import geo
from app.complaints.repository import nearby_query, open_nearby
from app.db import transaction

LAT, LONG = -6.2330, 106.8560


def moved(metres_north: float, metres_east: float) -> dict:
    lat = LAT + metres_north / 111_195
    long = LONG + metres_east / (111_195 * math.cos(math.radians(LAT)))
    return {"lat": lat, "long": long}


def lookup(world, category: str, point: dict) -> dict:
    answer = world.client.get(
        "/api/v1/complaints/duplicates", params={"category": category, **point}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_open_reports_of_the_category_within_the_radius_are_offered(reports, world):
    resident = world.user("citizen")
    officer = world.user("officer", department="DBM")
    near = reports.file(resident, **moved(30, 0))
    also_near = reports.file(resident, **moved(0, -70))
    reports.file(resident, **moved(150, 0))  # beyond the 100 m radius
    reports.file(resident, category_code="BANJIR", data={"depth": "low"}, **moved(10, 0))
    done = reports.file(resident, **moved(5, 5))
    reports.act(officer, done, "decline", comment="Lampu taman milik gedung")
    reports.file(resident, category_code="PKL", **moved(5, 0))  # private category

    found = lookup(world, "PJU", {"lat": LAT, "long": LONG})
    assert found["radius_m"] == 100
    assert [item["reference"] for item in found["items"]] == [
        near["reference"],
        also_near["reference"],
    ]
    assert 25 < found["items"][0]["distance_m"] < 35
    assert "reporter" not in found["items"][0] and "contact" not in found["items"][0]
    assert lookup(world, "PKL", {"lat": LAT, "long": LONG})["items"] == []
    outside = world.client.get(
        "/api/v1/complaints/duplicates", params={"category": "PJU", "lat": -6.59, "long": 106.8}
    )
    assert outside.status_code == 422
    unknown = world.client.get(
        "/api/v1/complaints/duplicates", params={"category": "NOPE", "lat": LAT, "long": LONG}
    )
    assert unknown.status_code == 422


def test_a_report_just_across_a_cell_boundary_is_found(reports, world):
    resident = world.user("citizen")
    # The southern edge of the cell LAT lies in, and points 10 m either side of it.
    row = math.floor((LAT + 90) / geo.CELL_DEGREES)
    edge = row * geo.CELL_DEGREES - 90
    south = {"lat": edge - 10 / 111_195, "long": LONG}
    north = {"lat": edge + 10 / 111_195, "long": LONG}
    assert geo.cell_of(**{"lat": south["lat"], "lon": LONG}) != geo.cell_of(north["lat"], LONG)
    report = reports.file(resident, **south)
    found = lookup(world, "PJU", north)
    assert [item["reference"] for item in found["items"]] == [report["reference"]]
    assert geo.CELL_METRES > 200  # every radius a category may have fits in the 3 x 3 cells


def test_the_lookup_uses_the_duplicate_index(reports, world, runtime):
    resident = world.user("citizen")
    reports.file(resident)
    cells = geo.cells_around(LAT, LONG)
    with transaction(runtime.engine) as session:
        statement = _statement(session, cells)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = session.execute(text(f"EXPLAIN {statement}")).scalars().all()
        else:
            plan = [row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {statement}"))]
        assert open_nearby(session, category_code="PJU", cells=cells)
    assert any("ix_complaints_duplicates" in line for line in plan), plan


def _statement(session, cells) -> str:
    """The lookup's own SQL with its values inlined (for EXPLAIN)."""
    query = nearby_query(category_code="PJU", cells=cells)
    return str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
