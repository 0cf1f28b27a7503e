"""Figures on a fixture with hand-computed answers, and the suppression of small cells."""

from __future__ import annotations

from app.stats.facts import refresh_facts
from app.stats.figures import publish
from tests.stats import fixture

FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}


def _loaded(world):
    fixture.load(world.runtime, applicant_id=world.user().id)


def _by(items: list[dict], key: str, value: str) -> dict:
    return next(item for item in items if item[key] == value)


def test_service_figures_match_hand_computed_values(world):
    _loaded(world)
    response = world.client.get("/api/v1/stats/services", params=FEBRUARY)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("public")
    simple = _by(response.json()["services"], "service_code", "SIMPLE")
    assert simple["received"] == 16
    assert simple["decided"] == 12
    assert simple["median_working_days"] == 2.5
    assert simple["p90_working_days"] == 5
    assert simple["pct_within_sla"] == 83.3
    assert simple["revision_rate"] == 8.3
    # 2 rejections are a small cell; approvals would give them away as 12 - 10, so both go.
    assert simple["rejected"] is None and simple["approved"] is None
    assert simple["withdrawn"] is None and simple["open_now"] is None
    assert {"approved", "rejected", "withdrawn", "open_now"} <= set(simple["suppressed"])
    assert simple["backlog"]["91+"] is None
    other = _by(response.json()["services"], "service_code", "OTHER")
    assert other["received"] == 0 and other["median_working_days"] is None


def test_department_figures(world):
    _loaded(world)
    response = world.client.get("/api/v1/stats/departments", params=FEBRUARY)
    assert response.status_code == 200, response.text
    dinas_a = _by(response.json()["departments"], "department_code", "DINASA")
    assert (dinas_a["received"], dinas_a["decided"], dinas_a["p90_working_days"]) == (16, 12, 5)
    assert dinas_a["approved"] is None


def test_a_period_outside_the_fixture_is_empty(world):
    _loaded(world)
    body = world.client.get(
        "/api/v1/stats/services", params={"from": "2026-04-01", "to": "2026-04-30"}
    ).json()
    simple = _by(body["services"], "service_code", "SIMPLE")
    assert (simple["received"], simple["decided"]) == (0, 0)


def test_timeseries_per_month(world):
    _loaded(world)
    response = world.client.get(
        "/api/v1/stats/timeseries",
        params={"service": "SIMPLE", "interval": "month", "from": "2026-01-01", "to": "2026-03-31"},
    )
    assert response.status_code == 200, response.text
    series = response.json()["series"]
    assert [row["month"] for row in series] == ["2026-01", "2026-02", "2026-03"]
    february = series[1]
    assert (february["received"], february["decided"], february["median_working_days"]) == (
        16,
        12,
        2.5,
    )
    assert series[0]["received"] == 0 and series[2]["decided"] == 0


def test_refresh_is_incremental(world, db):
    _loaded(world)
    with db() as session:
        assert refresh_facts(session) == 16
    with db() as session:
        # Only the overlap window is read again, and the figures do not change.
        assert refresh_facts(session) <= 16


def test_a_lone_small_sibling_hides_one_more_cell():
    rows = [
        {"received": 30, "approved": 20, "rejected": 10, "decided": 30},
        {"received": 4, "approved": 0, "rejected": 0, "decided": 0},
        {"received": 12, "approved": 0, "rejected": 0, "decided": 0},
    ]
    published = publish(rows, siblings=[[0, 1, 2]])
    assert published[1]["received"] is None
    # Otherwise the department total minus the other two would give the 4 back.
    assert published[2]["received"] is None
    assert published[0]["received"] == 30
