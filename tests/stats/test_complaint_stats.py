"""Complaint statistics and open data, from reports driven through the real API on SQLite and
PostgreSQL: the figures per category and department, their small-cell suppression, and open
data that validates against its datapackage and carries no personal data."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from frictionless import Package
from sqlalchemy import update

from app.catalogue.definitions import load_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import table_of, transaction
from app.models import Case, Complaint
from app.office import office_date, zone
from app.office import today as office_today
from app.stats.complaints import opendata as complaints_opendata
from tests.complaints.conftest import CATEGORIES, TEBET_TIMUR, Reports
from tests.web.pages import sign_in, soup

CASES, COMPLAINTS = table_of(Case), table_of(Complaint)
SCORES = [5, 4, 5, 3, 5, 4, 5, 2, 5, 4]  # the ten reports still fixed rate it: mean 4.2


@pytest.fixture
def reports(world) -> Reports:
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(CATEGORIES))
    return Reports(world)


@pytest.fixture(autouse=True)
def _fresh_open_data():
    complaints_opendata.forget_recent()
    yield
    complaints_opendata.forget_recent()


def _stats(world, **params) -> dict:
    answer = world.client.get("/api/v1/stats/complaints", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _row(rows: list[dict], key: str, value: str) -> dict:
    return next(row for row in rows if row[key] == value)


def _handled_to_verified(reports, world, count: int, lighting=None) -> list[tuple]:
    """``count`` street-light reports, each from its own resident, accepted, worked on,
    resolved by one officer and verified by another; (resident, report) pairs."""
    lighting = lighting or world.user("officer", department="DBM", officer_roles=("verifier",))
    second = world.user("officer", department="DBM", officer_roles=("verifier",))
    filed = []
    for _ in range(count):
        resident = world.user("citizen")
        report = reports.file(resident)
        reports.act(lighting, report, "accept")
        reports.act(lighting, report, "start_work")
        reports.act(lighting, report, "resolve", comment="Lampu diganti.")
        reports.act(second, report, "verify")
        filed.append((resident, report))
    return filed


def _set_times(db, report: dict, *, base: datetime, response_h: int, fixed_h: int | None) -> None:
    """Move one report's moments to known ones (the API ran them within a second)."""
    case_id = uuid.UUID(report["id"])
    with db() as session:
        values: dict = {"submitted_at": base, "due_at": office_date(base) + timedelta(days=5)}
        if fixed_h is not None:
            values["decided_at"] = base + timedelta(hours=fixed_h)
        session.execute(update(CASES).where(CASES.c.id == case_id).values(**values))
        session.execute(
            update(COMPLAINTS)
            .where(COMPLAINTS.c.id == case_id)
            .values(
                first_response_at=base + timedelta(hours=response_h),
                response_due_at=base + timedelta(hours=6, minutes=30),
            )
        )


def test_figures_per_category_and_department_from_real_reports(reports, world, db):
    lighting = world.user("officer", department="DBM", officer_roles=("verifier",))
    filed = _handled_to_verified(reports, world, 12, lighting)
    # Two residents find it not fixed and reopen; five confirm; ten rate the handling.
    for resident, report in filed[10:]:
        reports.act(resident, report, "reopen", comment="Masih mati.")
    for resident, report in filed[:5]:
        reports.act(resident, report, "confirm")
    for (resident, report), score in zip(filed[:10], SCORES, strict=True):
        rated = world.client.post(
            f"/api/v1/complaints/{report['id']}/rating",
            json={"score": score},
            headers=world.headers(resident),
        )
        assert rated.status_code == 200, rated.text
    # Ten days ago at 10:00 in Jakarta: first responses after 1..12 hours (the deadline is at
    # 6.5 h), fixes verified after 1..10 days (due on the fifth office day).
    day = office_today() - timedelta(days=10)
    base = datetime.combine(day, time(10), zone()).astimezone(UTC)
    for index, (_, report) in enumerate(filed):
        fixed_h = 24 * (index + 1) if index < 10 else None
        _set_times(db, report, base=base, response_h=index + 1, fixed_h=fixed_h)

    body = _stats(world)
    assert body["min_cell"] == 10 and body["to"] == office_today().isoformat()
    street = _row(body["categories"], "category_code", "PJU")
    assert street["department_code"] == "DBM" and street["category_name"]["en"]
    assert (street["response_hours_sla"], street["resolution_days_sla"]) == (8, 5)
    assert (street["received"], street["responded"], street["resolved"], street["rated"]) == (
        12,
        12,
        10,
        10,
    )
    assert street["median_response_hours"] == 6.5 and street["p90_response_hours"] == 11
    assert street["pct_response_within_sla"] == 50.0
    assert street["median_resolution_days"] == 5.5 and street["p90_resolution_days"] == 9.0
    assert street["pct_resolved_within_sla"] == 50.0
    assert street["reopen_rate"] == 16.7  # 2 of the 12 fixes verified
    assert street["mean_rating"] == 4.2
    # Open now: seven (five confirmed are closed), too few to publish.
    assert street["open_now"] is None and "open_now" in street["suppressed"]

    roads = _row(body["departments"], "department_code", "DBM")
    assert {k: roads[k] for k in ("received", "resolved", "mean_rating", "reopen_rate")} == {
        "received": 12,
        "resolved": 10,
        "mean_rating": 4.2,
        "reopen_rate": 16.7,
    }
    water = _row(body["departments"], "department_code", "DSDA")
    assert water["received"] == 0 and water["median_response_hours"] is None

    _pages_show_the_figures(world, lighting)

    # A period before the reports counts none of them.
    before = _stats(world, **{"from": "2025-01-01", "to": "2025-01-31"})
    assert _row(before["categories"], "category_code", "PJU")["received"] == 0


def _cells(page, testid: str, code: str) -> dict[str, str]:
    row = page.select_one(f"[data-testid={testid}] tr[data-code={code}]")
    assert row is not None, f"no row {code} in {testid}"
    return {td["data-figure"]: td.get_text(strip=True) for td in row.select("td[data-figure]")}


def _pages_show_the_figures(world, officer) -> None:
    """/stats in Indonesian and English, and the officer's department figures."""
    page = soup(world.client.get("/stats"))
    assert "Pengaduan" in page.select_one("#h-complaints").get_text()
    street = _cells(page, "complaint-categories", "PJU")
    assert street["received"] == "12" and street["open_now"] == "<10"
    assert street["median_response_hours"] == "6,5" and street["reopen_rate"] == "16,7 %"
    assert street["mean_rating"] == "4,2"
    assert _cells(page, "complaint-departments", "DBM")["resolved"] == "10"
    assert page.find("a", href="/open-data/complaints.csv") is not None
    english = soup(world.client.get("/stats?lang=en"))
    assert "Complaints" in english.select_one("#h-complaints").get_text()
    assert _cells(english, "complaint-categories", "PJU")["median_resolution_days"] == "5.5"

    sign_in(world.client, officer.email)
    mine = soup(world.client.get("/officer/stats"))
    codes = [tr["data-code"] for tr in mine.select("[data-testid=complaint-figures] tbody tr")]
    assert codes == ["PJU"]  # only the officer's department's categories
    total = mine.select_one("[data-testid=complaint-figures] tfoot tr")
    assert total["data-code"] == "DBM"
    assert _cells(mine, "complaint-figures", "PJU")["pct_resolved_within_sla"] == "50 %"


def test_a_few_reports_publish_only_what_hides_them(reports, world):
    filed = _handled_to_verified(reports, world, 3)
    resident, report = filed[0]
    reports.act(resident, report, "confirm")
    flood = reports.file(world.user("citizen"), category_code="BANJIR", data={"depth": "low"})
    assert flood["department_code"] == "DSDA"

    body = _stats(world)
    street = _row(body["categories"], "category_code", "PJU")
    assert street["received"] is None and street["resolved"] is None
    for rate in ("median_response_hours", "pct_resolved_within_sla", "reopen_rate"):
        assert street[rate] is None and rate in street["suppressed"]
    # A zero reveals nobody; a mean of no ratings is no figure, not a hidden one.
    assert street["rated"] == 0
    assert street["mean_rating"] is None and "mean_rating" not in street["suppressed"]
    # One BANJIR report beside three PJU ones: neither count can be told from a total.
    assert _row(body["categories"], "category_code", "BANJIR")["received"] is None
    for row in body["departments"]:
        assert row["received"] in (None, 0)


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-01", "to": "2026-02-01"},
        {"from": "2026-02-30"},
        {"to": "0"},
        {"from": "1900-01-01", "to": "2026-02-01"},
        {"to": "0001-01-01"},
    ],
)
def test_bad_periods_are_problems(world, params):
    answer = world.client.get("/api/v1/stats/complaints", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_open_data_validates_and_carries_no_personal_data(reports, world, tmp_path):
    resident = world.user("citizen", name="Siti Pelapor Uji", email="siti.pelapor@example.id")
    exact = {"lat": -6.23347, "long": 106.85612}
    report = reports.file(resident, phone="+62 812 3456 7890", **exact)
    anonymous = reports.file(
        None,
        category_code="PJU",
        email="anonim.pelapor@example.id",
        area_code=TEBET_TIMUR,
        **exact,
    )
    hidden = reports.file(world.user("citizen"), category_code="PKL")  # a non-public category

    answer = world.client.get("/open-data/complaints.csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    descriptor = world.client.get("/open-data/datapackage.json").json()
    resource = next(r for r in descriptor["resources"] if r["name"] == "complaints")
    resource["path"] = "complaints.csv"
    descriptor["resources"] = [resource]
    (tmp_path / "complaints.csv").write_text(answer.text)
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    validated = Package(str(tmp_path / "datapackage.json")).validate()
    assert validated.valid, validated.flatten(["type", "note"])

    records = world.client.get("/open-data/complaints.json").json()["records"]
    by_id = {record["service_request_id"]: record for record in records}
    assert set(by_id) == {report["reference"], anonymous["reference"]}
    assert hidden["reference"] not in answer.text
    street = by_id[report["reference"]]
    assert street["service_code"] == "PJU" and street["status"] == "open"
    assert street["agency_responsible"] == "Dinas Bina Marga" and street["agency_code"] == "DBM"
    assert (street["lat"], street["long"], street["area_code"]) == (-6.233, 106.856, TEBET_TIMUR)
    assert street["requested_datetime"].endswith("Z")

    published = answer.text + json.dumps(records)
    for secret in ("Siti", "siti.pelapor", "anonim.pelapor", "@", "3456", "6.23347", "85612"):
        assert secret not in published
    assert "Lampu jalan di depan rumah" not in published  # no description either
    assert str(resident.id) not in published

    catalog = world.client.get("/open-data/catalog.jsonld").json()
    urls = [
        d["dcat:downloadURL"]["@id"]
        for dataset in catalog["dcat:dataset"]
        for d in dataset["dcat:distribution"]
    ]
    assert any(url.endswith("/open-data/complaints.csv") for url in urls)
