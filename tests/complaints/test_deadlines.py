"""Deadlines that bind on reports too (issue 14): a report warns and escalates to the
department's heads like a permit, an officer extends it once, and a report declined as not the
city's responsibility can be objected to (keberatan), answered by a head who did not decline it,
or granted by operation of law where the category says so. Real API, moved clock, both
databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.catalogue.definitions import parse_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction
from app.models import Case
from tests.cases.test_deadlines import _case, _events, _sweep

# A category that binds: warned at half its time, one extension of two days, objections within
# three working days, answered within two or granted by law.
STRICT = """
departments:
  - {code: DBM, name: Dinas Bina Marga}
categories:
  - code: TROTOAR
    name_id: Trotoar rusak
    name_en: Broken pavement
    department_code: DBM
    response_hours: 8
    resolution_days: 6
    duplicate_radius_m: 50
    sla_warning_share: 0.5
    max_extension_days: 2
    objection_window_days: 3
    objection_answer_days: 2
    objection_deemed_granted: true
"""


@pytest.fixture
def strict(reports, world):
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=parse_catalogue(STRICT))
    world.users["citizen"] = world.user("citizen")
    world.users["officer"] = world.user("officer", department="DBM", officer_roles=("verifier",))
    world.users["head"] = world.user("officer", department="DBM", officer_roles=("head",))
    return reports


def _file(strict, **fields):
    return strict.file(strict.world.users["citizen"], category_code="TROTOAR", **fields)


def _declined(strict):
    report = _file(strict)
    strict.act(strict.world.users["officer"], report, "decline", comment="Jalan milik pusat")
    return report


def _actions(world, report):
    return [e.action for e in _events(world, report["id"])]


def test_a_report_is_warned_then_escalated_to_the_head(strict, world):
    report = _file(strict)
    filed = _case(world, report["id"])
    assert filed.deadline_at is not None  # its clock runs from the filing

    _sweep(world, filed.deadline_at + timedelta(seconds=1))
    assert "complaint.sla_warned" in _actions(world, report)
    due = _case(world, report["id"])
    assert due.sla_warned_at is not None and due.escalated_at is None

    _sweep(world, due.deadline_at + timedelta(seconds=1))
    escalated = _case(world, report["id"])
    assert escalated.escalated_at is not None
    assert _actions(world, report).count("complaint.escalated") == 1
    # A second sweep later repeats nothing.
    _sweep(world, escalated.escalated_at + timedelta(days=30))
    assert _actions(world, report).count("complaint.escalated") == 1


def test_an_officer_extends_a_report_once_within_the_category_maximum(strict, world):
    officer = world.users["officer"]
    report = _file(strict)
    due_before = _case(world, report["id"]).due_at

    too_long = strict.act(officer, report, "extend", days=3, comment="Bahan", expect=422)
    assert "from 1 to 2" in too_long["errors"][0]["message"]
    strict.act(officer, report, "extend", days=2, comment="Menunggu bahan paving")
    extended = _case(world, report["id"])
    assert (extended.extended_days, extended.due_at > due_before) == (2, True)
    again = strict.act(officer, report, "extend", days=1, comment="Lagi", expect=409)
    assert again["status"] == 409


def test_an_objection_upheld_by_a_head_who_did_not_decline(strict, world):
    citizen, head = world.users["citizen"], world.users["head"]
    report = _file(strict)
    declined = strict.act(head, report, "decline", comment="Jalan milik pusat")
    assert declined["state"] == "declined"

    objected = strict.act(citizen, report, "object", comment="Trotoar ini jalan kota")
    assert objected["state"] == "objected"
    # The head declined it, so the head may not judge the objection to it.
    strict.act(head, report, "uphold_objection", comment="Tetap", expect=403)
    other_head = world.user("officer", department="DBM", officer_roles=("head",))
    strict.act(world.users["officer"], report, "uphold_objection", comment="x", expect=403)
    upheld = strict.act(other_head, report, "uphold_objection", comment="Memang jalan nasional")
    assert upheld["state"] == "declined"
    # One objection per decision.
    strict.act(citizen, report, "object", comment="Sekali lagi", expect=409)


def test_an_objection_granted_puts_the_report_back_to_work(strict, world):
    citizen, head = world.users["citizen"], world.users["head"]
    report = _declined(strict)

    strict.act(citizen, report, "object", comment="Trotoar ini jalan kota")
    granted = strict.act(head, report, "grant_objection", comment="Benar, kami tangani")
    assert granted["state"] == "accepted"
    case = _case(world, report["id"])
    assert case.decided_at is None and case.deadline_at is not None
    assert "complaint.objection_granted" in _actions(world, report)


def test_an_unanswered_objection_is_granted_by_operation_of_law(strict, world):
    report = _declined(strict)
    strict.act(world.users["citizen"], report, "object", comment="Trotoar ini jalan kota")
    answer_due = _case(world, report["id"]).deadline_at
    assert answer_due is not None

    _sweep(world, answer_due - timedelta(minutes=1))
    assert _case(world, report["id"]).state == "objected"
    _sweep(world, answer_due + timedelta(seconds=1))
    case = _case(world, report["id"])
    assert case.state == "accepted"
    assert "complaint.objection_deemed_granted" in _actions(world, report)


def test_objections_only_against_a_decline_and_within_the_window(strict, world):
    citizen = world.users["citizen"]
    report = _file(strict)
    strict.act(citizen, report, "object", comment="Belum diputus", expect=409)

    declined = _declined(strict)
    strict.act(citizen, declined, "object", expect=422)  # a reason is required
    with transaction(world.runtime.engine) as session:
        case = session.get(Case, uuid.UUID(declined["id"]))
        case.decided_at = datetime.now(UTC) - timedelta(days=14)
    late = strict.act(citizen, declined, "object", comment="Terlambat", expect=409)
    assert "3" in late["detail"]


def test_a_category_may_not_grant_a_repair_by_silence():
    with pytest.raises(ValueError, match="deemed_approval"):
        parse_catalogue(STRICT.replace("objection_deemed_granted: true", "deemed_approval: false"))
