"""Objections (keberatan, issue 14 item 5) on both databases: after a rejection the resident
objects within the window with a reason; a head of the department, never the officer who
decided, upholds or grants it (back to review, or approved with its certificate); the head's
time to answer is enforced by the deadline sweep (deemed granted where the service says so)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.catalogue.definitions import parse_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.certificates.verify import check_pdf
from app.db import transaction
from app.office import end_of_day, office_date
from app.workflow.calendar import default_calendar
from tests.cases.test_deadlines import _case, _events, _sweep

SERVICES = """
services:
  - code: OBJ
    name_id: Layanan Keberatan
    name_en: Objection Service
    description_id: Keberatan dijawab.
    description_en: Objections answered.
    department_code: DINASA
    sla_days: 5
    validity_months: 12
    workflow: single_approval
    objection_window_days: 3
    objection_answer_days: 2
    form_schema:
      type: object
      required: [business_name]
      properties:
        business_name: {type: string, title: Nama usaha, x-title-en: Business name}
    documents:
      - {code: ktp, label_id: KTP, label_en: ID card, accepted_types: [application/pdf]}
  - code: OBJD
    name_id: Layanan Keberatan Fiktif
    name_en: Objection Deemed Service
    description_id: Keberatan dianggap dikabulkan.
    description_en: Objections deemed granted.
    department_code: DINASA
    sla_days: 5
    validity_months: 12
    workflow: two_level
    objection_deemed_granted: true
    form_schema:
      type: object
      required: [business_name]
      properties:
        business_name: {type: string, title: Nama usaha, x-title-en: Business name}
    documents:
      - {code: ktp, label_id: KTP, label_en: ID card, accepted_types: [application/pdf]}
"""


@pytest.fixture
def ob(world):
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=parse_catalogue(SERVICES))
    world.users["citizen"] = world.user("citizen", name="Siti Rahmawati")
    world.users["officer"] = world.user("officer", officer_roles=("verifier", "approver"))
    world.users["head"] = world.user("officer", officer_roles=("head",))
    return world


def _rejected(world, service="OBJ"):
    citizen, officer = world.users["citizen"], world.users["officer"]
    application = world.submitted(citizen, service)
    first = "start_review" if service == "OBJ" else "start_verification"
    assert world.act(officer, application, first).status_code == 200
    response = world.act(officer, application, "reject", comment="Izin lingkungan tidak ada")
    assert response.status_code == 200, response.text
    return response.json()


def _object(world, application, comment="Izin lingkungan sudah saya lampirkan"):
    return world.act(world.users["citizen"], application, "object", comment=comment)


def test_objection_upheld_by_the_head(ob):
    application = _rejected(ob)
    assert _object(ob, application, comment="").status_code == 422  # a reason is required
    response = _object(ob, application)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "objected"
    assert _object(ob, application).status_code == 409  # not again while it is answered
    # The officer who decided may not answer the objection to their own decision.
    decided = ob.act(ob.users["officer"], application, "uphold_objection", comment="Tetap")
    assert decided.status_code == 403
    elsewhere = ob.user("officer", department="DINASB", officer_roles=("head",))
    version = ob.get(application["id"], ob.users["citizen"])["version"]
    refused = ob.client.post(
        f"/api/v1/applications/{application['id']}/transitions",
        json={"action": "uphold_objection", "version": version, "comment": "x"},
        headers=ob.headers(elsewhere),
    )
    assert refused.status_code == 404  # another department's head does not even see it
    assert ob.act(ob.users["head"], application, "uphold_objection").status_code == 422
    upheld = ob.act(ob.users["head"], application, "uphold_objection", comment="Tetap ditolak")
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["state"] == "rejected"
    assert _object(ob, application).status_code == 409  # one objection per decision
    assert len(_events(ob, application["id"], "application.objection_upheld")) == 1


def test_objection_granted_back_to_review(ob):
    application = _rejected(ob)
    assert _object(ob, application).status_code == 200
    granted = ob.act(ob.users["head"], application, "grant_objection", comment="Periksa ulang")
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert body["state"] == "in_review"
    after = _case(ob, application["id"])
    expected = default_calendar().add_working_days(office_date(after.updated_at), 5)
    assert after.due_at == expected and after.deadline_at is not None
    assert ob.act(ob.users["officer"], application, "approve").status_code == 200


def test_objection_granted_with_approval_and_certificate(ob):
    application = _rejected(ob)
    assert _object(ob, application).status_code == 200
    granted = ob.act(
        ob.users["head"], application, "grant_objection_approve", comment="Keberatan diterima"
    )
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert body["state"] == "approved" and body["certificate_number"]
    pdf = ob.client.get(
        f"/api/v1/certificates/{body['certificate_number']}/pdf",
        headers=ob.headers(ob.users["citizen"]),
    ).content
    assert check_pdf(pdf, material=ob.runtime.certificates.material).authentic


def test_the_objection_window_closes(ob):
    application = _rejected(ob)
    case = _case(ob, application["id"])
    closes = end_of_day(default_calendar().add_working_days(office_date(case.decided_at), 3))
    from app.cases import deadlines

    late = deadlines.objection_window_closes(case.decided_at, days=3)
    assert late == closes
    with transaction(ob.runtime.engine) as session:
        from sqlalchemy import update

        from app.models import Case

        # As if the rejection were four weeks old.
        session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(decided_at=case.decided_at - timedelta(days=28))
        )
    response = _object(ob, application)
    assert response.status_code == 409 and "window" in response.json()["detail"]


def test_no_objection_to_what_was_not_rejected(ob):
    application = ob.submitted(ob.users["citizen"], "OBJ")
    assert _object(ob, application).status_code == 409


def test_an_unanswered_objection_is_deemed_granted_where_the_service_says_so(ob):
    application = _rejected(ob, "OBJD")
    assert _object(ob, application).status_code == 200
    case = _case(ob, application["id"])
    deadline = end_of_day(case.due_at)
    assert case.deadline_at == deadline  # 10 working days by default
    assert case.due_at == default_calendar().add_working_days(office_date(case.updated_at), 10)
    assert _sweep(ob, deadline - timedelta(seconds=1)).items == []
    report = _sweep(ob, deadline)
    assert [i.action for i in report.items] == ["deemed_grant_objection"]
    assert _sweep(ob, deadline + timedelta(days=5)).items == []
    body = ob.get(application["id"], ob.users["citizen"])
    assert body["state"] == "approved" and body["certificate_number"]
    deemed = _events(ob, application["id"], "application.objection_deemed_granted")
    assert len(deemed) == 1 and deemed[0].actor_type == "system"


def test_an_unanswered_objection_elsewhere_is_escalated_once(ob):
    application = _rejected(ob)
    assert _object(ob, application).status_code == 200
    deadline = end_of_day(_case(ob, application["id"]).due_at)
    assert [i.action for i in _sweep(ob, deadline).items] == ["escalate"]
    assert _sweep(ob, deadline + timedelta(days=5)).items == []
    assert ob.get(application["id"], ob.users["citizen"])["state"] == "objected"
