"""Deadlines in the statistics (issue 14, item 7): warnings, escalations, extensions, deemed
approvals and objections per service in /api/v1/stats, /stats, /officer/stats and the open
data, with the small-cell suppression of every other count; an extension is counted apart and
never inside "within the SLA"."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup

from app.catalogue.definitions import parse_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction
from app.office import today as office_today
from app.stats.facts import build_fact
from app.stats.figures import DEADLINE_COUNTS
from tests.cases.test_deadlines import DEADLINE_SERVICES, _case, _instants, _sweep
from tests.web.pages import sign_in


@pytest.fixture
def dl(world):
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=parse_catalogue(DEADLINE_SERVICES))
    return world


def _escalated(world, count: int):
    citizen = world.user("citizen")
    officer = world.user("officer", officer_roles=("verifier", "approver"), email="o@dinasa.id")
    applications = [world.submitted(citizen, "BOUND") for _ in range(count)]
    extended = applications[0]
    body = {"action": "extend", "version": world.get(extended["id"], officer)["version"]}
    body |= {"comment": "Menunggu survei lapangan", "days": 2}
    answer = world.client.post(
        f"/api/v1/applications/{extended['id']}/transitions",
        json=body,
        headers=world.headers(officer),
    )
    assert answer.status_code == 200, answer.text
    _, deadline = _instants(_case(world, applications[1]["id"]), sla_days=4, share=0.5)
    report = _sweep(world, deadline + timedelta(days=1))
    assert [i.action for i in report.items].count("escalate") == count - 1
    return officer, applications


def _service(body: dict, code: str) -> dict:
    return next(item for item in body["services"] if item["service_code"] == code)


def test_counts_per_service_and_department_with_suppression(dl):
    officer, applications = _escalated(dl, 11)
    services = dl.client.get("/api/v1/stats/services")
    assert services.status_code == 200, services.text
    bound = _service(services.json(), "BOUND")
    assert bound["escalations"] == 10  # ten escalations: a cell of ten is shown
    # One extension (and the one warning of the extended file, whose deadline is still to
    # come) are small cells: hidden like any other count of 1 to 9.
    for name in ("extensions", "warnings"):
        assert bound[name] is None and name in bound["suppressed"]
    assert bound["deemed_approvals"] == 0 and bound["objections"] == 0
    departments = dl.client.get("/api/v1/stats/departments").json()["departments"]
    dinasa = next(d for d in departments if d["department_code"] == "DINASA")
    assert dinasa["escalations"] == 10
    assert set(DEADLINE_COUNTS) <= set(dinasa)


def test_the_pages_and_the_open_data_show_them(dl):
    officer, _ = _escalated(dl, 11)
    public = BeautifulSoup(dl.client.get("/stats").text, "html.parser")
    row = public.select_one('[data-testid=deadline-figures] tr[data-service="BOUND"]')
    cells = {td["data-figure"]: td.get_text(strip=True) for td in row.select("td")}
    assert cells["escalations"] == "10"
    assert cells["extensions"] == "<10"
    assert cells["deemed_approvals"] == "0"
    headings = [
        th.get_text(strip=True) for th in public.select("[data-testid=deadline-figures] th")
    ]
    assert "Diteruskan ke kepala dinas" in headings and "Perpanjangan" in headings

    records = dl.client.get("/open-data/applications-monthly.json").json()["records"]
    this_month = office_today().strftime("%Y-%m")
    ours = [r for r in records if r["service_code"] == "BOUND" and r["escalations"]]
    assert [(r["month"], r["escalations"]) for r in ours] == [(this_month, 10)]
    header = dl.client.get("/open-data/applications-monthly.csv").text.splitlines()[0]
    assert header.endswith(",".join(DEADLINE_COUNTS))

    sign_in(dl.client, officer.email)
    page = BeautifulSoup(dl.client.get("/officer/stats").text, "html.parser")
    row = page.select_one("[data-testid=deadline-figures] tbody tr")
    cells = {td["data-figure"]: td.get_text(strip=True) for td in row.select("td")}
    assert row.th.get_text(" ", strip=True).endswith("BOUND")
    assert cells["escalations"] == "10" and cells["extensions"] == "<10"


def _application(*, due: date, decided: date, extended: int) -> SimpleNamespace:
    noon = datetime(2026, 11, 2, 5, tzinfo=UTC)  # a Monday, 12:00 in Jakarta
    return SimpleNamespace(
        id=uuid.uuid4(),
        workflow="single_approval",
        state="approved",
        subject_code="BOUND",
        department_id=1,
        submitted_at=noon,
        decided_at=datetime.combine(decided, noon.timetz()),
        due_at=due,
        paused_working_days=0,
        extended_days=extended,
    )


def test_an_extension_is_never_inside_on_time():
    # Due Friday 6 Nov after an extension of two working days (from Wednesday 4 Nov).
    friday, wednesday, thursday = date(2026, 11, 6), date(2026, 11, 4), date(2026, 11, 5)
    in_extra_days = build_fact(
        _application(due=friday, decided=thursday, extended=2), revised=False
    )
    by_the_first_day = build_fact(
        _application(due=friday, decided=wednesday, extended=2), revised=False
    )
    not_extended = build_fact(_application(due=friday, decided=thursday, extended=0), revised=False)
    assert in_extra_days is not None and in_extra_days.within_sla is False
    assert by_the_first_day is not None and by_the_first_day.within_sla is True
    assert not_extended is not None and not_extended.within_sla is True
