"""Deadlines that bind (issue 14), end to end with a moved clock on both databases: the sweep
warns, escalates to the department's head, or approves by operation of law where the service
says so; an officer extends once; nothing happens twice, nothing while the resident holds the
file, and a sweep cut short picks up where it stopped."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.catalogue.definitions import parse_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.certificates.verify import check_pdf
from app.db import transaction
from app.models import Case, Event
from app.office import end_of_day, office_date
from app.workflow.calendar import default_calendar
from tests.notifications.helpers import messages, subscribe

# Two services of department DINASA with deadline rules (the fixture catalogue's have none).
DEADLINE_SERVICES = """
services:
  - code: BOUND
    name_id: Layanan Bertenggat
    name_en: Bound Service
    description_id: Tenggat mengikat.
    description_en: Deadlines bind.
    department_code: DINASA
    sla_days: 4
    validity_months: 12
    workflow: single_approval
    sla_warning_share: 0.5
    max_extension_days: 3
    form_schema:
      type: object
      required: [business_name]
      properties:
        business_name: {type: string, title: Nama usaha, x-title-en: Business name}
    documents:
      - {code: ktp, label_id: KTP, label_en: ID card, accepted_types: [application/pdf]}
  - code: DEEMED
    name_id: Layanan Fiktif Positif
    name_en: Deemed Service
    description_id: Dianggap dikabulkan.
    description_en: Deemed granted.
    department_code: DINASA
    sla_days: 2
    validity_months: 12
    workflow: two_level
    key_fields: [business_name]
    deemed_approval:
      enabled: true
      legal_basis_id: Pasal 53 UU 30/2014
      legal_basis_en: Art. 53 of Law 30/2014
    form_schema:
      type: object
      required: [business_name]
      properties:
        business_name: {type: string, title: Nama usaha, x-title-en: Business name}
    documents:
      - {code: ktp, label_id: KTP, label_en: ID card, accepted_types: [application/pdf]}
"""


@pytest.fixture
def settings(settings):
    # An SMTP host makes events queue their e-mail (nothing is delivered: no dispatcher runs).
    return settings.model_copy(update={"smtp_host": "127.0.0.1"})


@pytest.fixture
def dl(world):
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=parse_catalogue(DEADLINE_SERVICES))
    return world


def _sweep(world, at, **options):
    from app.cases.sweep import sweep

    runtime = world.runtime
    return sweep(runtime.engine, now=at, env=lambda: runtime.certificates, **options)


def _case(world, application_id) -> Case:
    with transaction(world.runtime.engine) as session:
        return session.get(Case, uuid.UUID(str(application_id)))


def _events(world, application_id, action=None) -> list[Event]:
    with transaction(world.runtime.engine) as session:
        case_id = uuid.UUID(str(application_id))
        query = select(Event).where(Event.case_id == case_id).order_by(Event.seq)
        found = list(session.execute(query).scalars())
    return [e for e in found if action is None or e.action == action]


def _instants(case: Case, *, sla_days: int, share: float, extended: int = 0):
    """Warning and deadline worked out here from the calendar, not by the code under test."""
    calendar = default_calendar()
    elapsed = int(share * (sla_days + extended)) + case.paused_working_days
    warning = end_of_day(calendar.add_working_days(office_date(case.submitted_at), elapsed))
    return warning, end_of_day(case.due_at)


def test_warning_then_escalation_to_the_head(dl):
    engine = dl.runtime.engine
    hook = subscribe(engine, "http://127.0.0.1:9/hook", ("application.*",))
    citizen = dl.user("citizen")
    officer = dl.user("officer", officer_roles=("verifier", "approver"), email="o@dinasa.id")
    dl.user("officer", officer_roles=("verifier",), email="b@dinasa.id")  # not assigned
    head = dl.user("officer", officer_roles=("head",), email="head@dinasa.id")
    dl.user("officer", department="DINASB", officer_roles=("head",), email="head@dinasb.id")
    application = dl.submitted(citizen, "BOUND")
    on_time = dl.submitted(citizen, "BOUND")
    for action in ("start_review", "approve"):  # decided in time: nothing binds
        assert dl.act(officer, on_time, action).status_code == 200
    assert dl.act(officer, application, "start_review").status_code == 200
    case = _case(dl, application["id"])
    warning, deadline = _instants(case, sla_days=4, share=0.5)
    assert case.deadline_at == warning < deadline

    assert _sweep(dl, warning - timedelta(seconds=1)).items == []
    report = _sweep(dl, warning)
    assert [(i.reference, i.action, i.outcome) for i in report.items] == [
        (case.reference, "warn_sla", "done")
    ]
    assert _sweep(dl, warning + timedelta(hours=1)).items == []  # idempotent
    assert _case(dl, application["id"]).deadline_at == deadline

    report = _sweep(dl, deadline + timedelta(minutes=1))
    assert [i.action for i in report.items] == ["escalate"]
    assert _sweep(dl, deadline + timedelta(days=30)).items == []
    after = _case(dl, application["id"])
    assert after.deadline_at is None and after.state == "in_review"  # not approved: no opt-in

    warned, escalated = (
        _events(dl, application["id"], f"application.{name}")
        for name in ("sla_warned", "escalated")
    )
    assert len(warned) == len(escalated) == 1
    assert (escalated[0].actor_type, escalated[0].actor_id) == ("system", "system")
    sent = messages(engine, kind="email")
    to = {(m.event_type, m.recipient) for m in sent}
    assert ("application.sla_warned", "o@dinasa.id") in to  # the assigned officer alone
    assert not any(r == "b@dinasa.id" for _, r in to)
    assert ("application.escalated", "head@dinasa.id") in to
    assert not any(r == "head@dinasb.id" for _, r in to)  # another department's head
    # The head's queue of escalated cases.
    listed = dl.client.get("/api/v1/applications?escalated=true", headers=dl.headers(head))
    assert [item["id"] for item in listed.json()["items"]] == [application["id"]]
    hooks = {m.event_type for m in messages(engine, kind="webhook")}
    assert {"application.sla_warned", "application.escalated"} <= hooks
    assert hook.id

    # The resident sees it on their application (API and timeline words).
    seen = dl.get(application["id"], citizen)
    assert seen["sla"]["escalated_at"] is not None and seen["sla"]["warned_at"] is not None
    timeline = dl.client.get(
        f"/api/v1/applications/{application['id']}/events", headers=dl.headers(citizen)
    ).json()["items"]
    assert "application.escalated" in [e["action"] for e in timeline]


def test_an_unassigned_warning_goes_to_the_department(dl):
    citizen = dl.user("citizen")
    dl.user("officer", officer_roles=("verifier",), email="v1@dinasa.id")
    dl.user("officer", officer_roles=("approver",), email="v2@dinasa.id")
    dl.user("officer", department="DINASB", officer_roles=("verifier",), email="x@dinasb.id")
    application = dl.submitted(citizen, "BOUND")
    warning, _ = _instants(_case(dl, application["id"]), sla_days=4, share=0.5)
    assert [i.action for i in _sweep(dl, warning).items] == ["warn_sla"]
    to = {m.recipient for m in messages(dl.runtime.engine, kind="email")}
    assert {"v1@dinasa.id", "v2@dinasa.id"} <= to and "x@dinasb.id" not in to


def test_a_warning_missed_until_the_deadline_is_not_sent(dl):
    application = dl.submitted(dl.user("citizen"), "BOUND")
    _, deadline = _instants(_case(dl, application["id"]), sla_days=4, share=0.5)
    assert [i.action for i in _sweep(dl, deadline + timedelta(days=2)).items] == ["escalate"]
    assert _sweep(dl, deadline + timedelta(days=3)).items == []
    assert _events(dl, application["id"], "application.sla_warned") == []


def test_no_deadline_binds_while_the_resident_holds_the_file(dl):
    citizen, officer = dl.user("citizen"), dl.user("officer")
    application = dl.submitted(citizen, "DEEMED")
    for action in ("start_verification", "request_revision"):
        comment = "Lengkapi KTP" if action == "request_revision" else None
        assert dl.act(officer, application, action, comment=comment).status_code == 200
    paused = _case(dl, application["id"])
    assert paused.state == "revision_requested" and paused.deadline_at is None
    assert _sweep(dl, paused.created_at + timedelta(days=365)).items == []
    assert dl.get(application["id"], citizen)["state"] == "revision_requested"
    assert dl.act(citizen, application, "resubmit").status_code == 200
    assert _case(dl, application["id"]).deadline_at is not None  # the clock runs again


def test_deemed_approval_issues_a_certificate_by_operation_of_law(dl):
    citizen = dl.user("citizen", name="Siti Rahmawati")
    officer = dl.user("officer")
    application = dl.submitted(citizen, "DEEMED")
    assert dl.act(officer, application, "start_verification").status_code == 200
    _, deadline = _instants(_case(dl, application["id"]), sla_days=2, share=0.75)
    assert _sweep(dl, deadline - timedelta(seconds=1)).items[0].action == "warn_sla"
    report = _sweep(dl, deadline)
    assert [i.action for i in report.items] == ["deemed_approve"]
    assert _sweep(dl, deadline + timedelta(days=9)).items == []

    body = dl.get(application["id"], citizen)
    assert body["state"] == "approved" and body["certificate_number"]
    deemed = _events(dl, application["id"], "application.deemed_approved")
    assert len(deemed) == 1 and deemed[0].actor_type == "system"
    assert deemed[0].details["legal_basis_en"] == "Art. 53 of Law 30/2014"
    pdf = dl.client.get(
        f"/api/v1/certificates/{body['certificate_number']}/pdf", headers=dl.headers(citizen)
    ).content
    check = check_pdf(pdf, material=dl.runtime.certificates.material)
    assert check.authentic and check.reason == "ok"
    lines = {f["label_en"]: f["value"] for f in check.attachment["fields"]}
    assert "by operation of law under Art. 53 of Law 30/2014" in lines["Granted"]
    assert "demi hukum" in lines["Granted"] and "Pasal 53 UU 30/2014" in lines["Granted"]


def test_nobody_but_the_sweep_approves_by_operation_of_law(dl):
    citizen, officer = dl.user("citizen"), dl.user("officer", officer_roles=("approver", "head"))
    application = dl.submitted(citizen, "DEEMED")
    response = dl.act(officer, application, "deemed_approve")
    assert response.status_code == 403, response.text
    assert dl.act(officer, application, "escalate").status_code == 403


def test_extension_once_within_the_maximum_with_a_reason(dl):
    citizen, officer = dl.user("citizen"), dl.user("officer")
    application = dl.submitted(citizen, "BOUND")
    before = _case(dl, application["id"])
    actions = dl.client.get(
        f"/api/v1/applications/{application['id']}/actions", headers=dl.headers(officer)
    ).json()["items"]
    offered = next(a for a in actions if a["action"] == "extend")
    assert offered["needs_days"] and offered["needs_comment"]

    def extend(days, comment="Menunggu pertimbangan teknis dinas lain"):
        current = dl.get(application["id"], officer)
        body = {"action": "extend", "version": current["version"], "comment": comment}
        if days is not None:
            body["days"] = days
        return dl.client.post(
            f"/api/v1/applications/{application['id']}/transitions",
            json=body,
            headers=dl.headers(officer),
        )

    assert extend(4).status_code == 422  # past the service's 3 working days
    assert extend(None).status_code == 422  # how many days
    assert extend(2, comment="").status_code == 422  # the reason is mandatory
    assert extend(0).status_code == 422
    response = extend(3)
    assert response.status_code == 200, response.text
    after = _case(dl, application["id"])
    assert after.due_at == default_calendar().add_working_days(before.due_at, 3)
    assert after.extended_days == 3
    again = extend(1)
    assert again.status_code == 409 and "only once" in again.json()["detail"]
    # The resident sees the reason, and the new deadline binds.
    seen = dl.get(application["id"], citizen)
    assert seen["sla"]["due_at"] == after.due_at.isoformat() and seen["sla"]["extended_days"] == 3
    timeline = dl.client.get(
        f"/api/v1/applications/{application['id']}/events", headers=dl.headers(citizen)
    ).json()["items"]
    extended = [e for e in timeline if e["action"] == "application.deadline_extended"]
    assert extended[0]["comment"] == "Menunggu pertimbangan teknis dinas lain"
    _, deadline = _instants(after, sla_days=4, share=0.5, extended=3)
    assert [i.action for i in _sweep(dl, deadline - timedelta(seconds=1)).items] == ["warn_sla"]
    assert [i.action for i in _sweep(dl, deadline).items] == ["escalate"]


def test_a_service_without_extensions_refuses_one(dl):
    citizen, officer = dl.user("citizen"), dl.user("officer")
    application = dl.submitted(citizen, "SIMPLE")
    actions = dl.client.get(
        f"/api/v1/applications/{application['id']}/actions", headers=dl.headers(officer)
    ).json()["items"]
    assert "extend" not in [a["action"] for a in actions]
    current = dl.get(application["id"], officer)
    response = dl.client.post(
        f"/api/v1/applications/{application['id']}/transitions",
        json={"action": "extend", "version": current["version"], "comment": "x", "days": 1},
        headers=dl.headers(officer),
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert citizen and dl.act(citizen, application, "extend", comment="x").status_code == 403


def test_the_head_reassigns_within_the_department(dl):
    citizen = dl.user("citizen")
    first, second = dl.user("officer"), dl.user("officer")
    head = dl.user("officer", officer_roles=("head",))
    elsewhere = dl.user("officer", department="DINASB")
    application = dl.submitted(citizen, "BOUND")
    assert dl.act(first, application, "start_review").status_code == 200

    def reassign(actor, assignee):
        current = dl.get(application["id"], actor)
        return dl.client.post(
            f"/api/v1/applications/{application['id']}/transitions",
            json={"action": "reassign", "version": current["version"], "assignee_id": assignee},
            headers=dl.headers(actor),
        )

    assert reassign(first, str(second.id)).status_code == 403  # only a head
    assert reassign(head, str(elsewhere.id)).status_code == 422
    assert reassign(head, str(citizen.id)).status_code == 422
    assert reassign(head, None).status_code == 422
    response = reassign(head, str(second.id))
    assert response.status_code == 200, response.text
    assert _case(dl, application["id"]).assigned_to_id == second.id


def test_a_sweep_cut_short_resumes_without_repeating(dl, monkeypatch):
    citizen = dl.user("citizen")
    applications = [dl.submitted(citizen, "BOUND") for _ in range(5)]
    _, deadline = _instants(_case(dl, applications[0]["id"]), sla_days=4, share=0.5)
    at = deadline + timedelta(days=7)
    assert len(_sweep(dl, at, limit=1).items) == 1

    # The process dies in the middle of the second batch of two (after one batch committed):
    # that batch is undone whole, the committed one is not done again.
    from app.cases import sweep as sweep_module

    real, calls = sweep_module.take_system_action, []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "take_system_action", dying)
    with pytest.raises(KeyboardInterrupt):
        _sweep(dl, at, batch=2)
    monkeypatch.setattr(sweep_module, "take_system_action", real)
    escalated = [a for a in applications if _events(dl, a["id"], "application.escalated")]
    assert len(escalated) == 3
    assert len(_sweep(dl, at).items) == 2
    assert _sweep(dl, at).items == []
    for application in applications:
        assert len(_events(dl, application["id"], "application.escalated")) == 1


def test_one_failing_case_does_not_undo_its_batch(dl, monkeypatch):
    subscribe(dl.runtime.engine, "http://127.0.0.1:9/hook", ("application.*",))
    citizen = dl.user("citizen")
    applications = [dl.submitted(citizen, "BOUND") for _ in range(3)]
    _, deadline = _instants(_case(dl, applications[0]["id"]), sla_days=4, share=0.5)
    at = deadline + timedelta(days=7)
    from app.cases import sweep as sweep_module

    real, calls = sweep_module.take_system_action, []

    def failing_second(*args, **kwargs):
        calls.append(1)
        case = real(*args, **kwargs)  # its event and outbox rows are written, then undone
        if len(calls) == 2:
            raise RuntimeError("the certificate would not render")
        return case

    monkeypatch.setattr(sweep_module, "take_system_action", failing_second)
    report = _sweep(dl, at)
    monkeypatch.setattr(sweep_module, "take_system_action", real)
    assert sorted(i.outcome for i in report.items) == ["done", "done", "failed"]
    failed = next(i for i in report.items if i.outcome == "failed")
    assert _events(dl, failed.case_id, "application.escalated") == []
    assert _case(dl, failed.case_id).deadline_at == at + sweep_module.RETRY_AFTER
    for item in report.items:
        if item.outcome == "done":
            assert len(_events(dl, item.case_id, "application.escalated")) == 1
    hooks = messages(dl.runtime.engine, kind="webhook")
    assert [m.event_type for m in hooks].count("application.escalated") == 2
    # Retried when its time comes, and then done once.
    assert _sweep(dl, at + sweep_module.RETRY_AFTER).items[0].outcome == "done"
    assert len(_events(dl, failed.case_id, "application.escalated")) == 1


def test_two_sweeps_at_once_never_act_twice(dl):
    citizen = dl.user("citizen")
    applications = [dl.submitted(citizen, "BOUND") for _ in range(12)]
    _, deadline = _instants(_case(dl, applications[0]["id"]), sla_days=4, share=0.5)
    at = deadline + timedelta(days=7)
    reports, errors = [], []
    start = threading.Barrier(2)

    def run():
        try:
            start.wait()
            reports.append(_sweep(dl, at))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    done = [i.case_id for r in reports for i in r.items if i.outcome == "done"]
    assert sorted(map(str, done)) == sorted(a["id"] for a in applications)
    with transaction(dl.runtime.engine) as session:
        count = session.execute(
            select(func.count()).where(Event.action == "application.escalated")
        ).scalar_one()
    assert count == 12


def test_loket_sla_sweep_at_a_given_time(dl, settings, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    application = dl.submitted(dl.user("citizen"), "BOUND")
    case = _case(dl, application["id"])
    _, deadline = _instants(case, sla_days=4, share=0.5)
    runner = CliRunner()
    result = runner.invoke(cli, ["sla", "sweep", "--now", deadline.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"{case.reference}\tescalate\tdone" in result.output
    again = runner.invoke(cli, ["sla", "sweep", "--now", deadline.isoformat()])
    assert again.exit_code == 0 and "0 actions" in again.output
    bad = runner.invoke(cli, ["sla", "sweep", "--now", "tomorrow"])
    assert bad.exit_code == 1 and "ISO-8601" in bad.output

    # The events are recorded when they happen (today), whatever moment the sweep judged.
    day = office_date(_events(dl, application["id"], "application.escalated")[0].created_at)
    span = ["--from", day.isoformat(), "--to", day.isoformat()]
    report = runner.invoke(cli, ["sla", "report", *span])
    assert report.exit_code == 0, report.output
    lines = [line.split("\t") for line in report.output.splitlines()]
    header, rows = lines[0], {tuple(line[:2]): line[2:] for line in lines[1:]}
    assert header[2:4] == ["warnings", "escalations"]
    assert rows["DINASA", "BOUND"][:2] == ["0", "1"] and rows["total", ""][1] == "1"
    earlier = (day - timedelta(days=3)).isoformat()
    empty = runner.invoke(cli, ["sla", "report", "--from", earlier, "--to", earlier])
    assert empty.exit_code == 0 and "DINASA" not in empty.output
    backwards = runner.invoke(cli, ["sla", "report", "--from", day.isoformat(), "--to", earlier])
    assert backwards.exit_code == 1


def test_an_officer_extends_from_the_review_page(dl):
    from tests.web.pages import sign_in, soup

    citizen, officer = dl.user("citizen"), dl.user("officer")
    application = dl.submitted(citizen, "BOUND")
    sign_in(dl.client, officer.email)
    page = dl.client.get(f"/officer/applications/{application['id']}")
    form = soup(page).find("form", attrs={"data-action": "extend"})
    assert form is not None and form.find("input", attrs={"name": "days"}) is not None
    fields = {field["name"]: field.get("value", "") for field in form.find_all("input")}
    url = f"/officer/applications/{application['id']}/act"
    too_long = dl.client.post(url, data=fields | {"days": "9", "comment": "Perlu survei"})
    assert too_long.status_code == 422
    assert _case(dl, application["id"]).extended_days == 0
    done = dl.client.post(
        url, data=fields | {"days": "2", "comment": "Perlu survei"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert _case(dl, application["id"]).extended_days == 2
    shown = soup(dl.client.get(done.headers["location"])).select_one(".timeline").get_text()
    assert "Tenggat diperpanjang" in shown and "Perlu survei" in shown
