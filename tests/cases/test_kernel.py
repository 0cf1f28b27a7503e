"""The case kernel through its own public functions: the guards and effects it carries out for
every case type, the check that a case type's workflows name only handlers that exist, and a
second case type, defined here, run on the kernel without changing a line of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, ForeignKey, MetaData, String, Table, Uuid, select

from app.accounts.principal import Principal
from app.applications.kind import APPLICATION
from app.cases import kinds, opening, queue, timeline
from app.cases.actions import available_actions, register_kind, take_action
from app.cases.kinds import CaseKind, Requirement
from app.cases.queue import ListQuery
from app.cases.repository import OwnRow
from app.cases.schemas import TransitionRequest
from app.errors import Forbidden, Msg, NotFound, ValidationFailed, invalid
from app.models import Case, Event
from app.models.base import utcnow
from app.oauth.service import USER_SCOPES
from app.workflow import definitions
from app.workflow.engine import State, Transition, Workflow


def as_principal(user, scopes=USER_SCOPES) -> Principal:
    return Principal(user=user, client_id="loket-app", scopes=frozenset(scopes))


def act(db, user, kind: CaseKind, case_id: uuid.UUID, action: str, **options) -> Case:
    """Take ``action`` in a transaction of its own, at the case's current version."""
    comment, env = options.get("comment"), options.get("env")
    scopes = options.get("scopes", USER_SCOPES)
    with db() as session:
        version = session.get(Case, case_id).version
        return take_action(
            session,
            principal=as_principal(user, scopes),
            kind=kind,
            case_id=case_id,
            request=TransitionRequest(action=action, comment=comment, version=version),
            env=env,
        )


def action_names(db, user, kind: CaseKind, case_id: uuid.UUID, scopes=USER_SCOPES) -> list[str]:
    with db() as session:
        listed = available_actions(
            session, principal=as_principal(user, scopes), kind=kind, case_id=case_id, lang="en"
        )
    return [item.action for item in listed.items]


# --- the kernel's guards and effects ------------------------------------------------------------


def test_the_officer_who_verified_may_not_approve(world, db):
    verifier = world.user("officer", officer_roles=("verifier", "approver"))
    approver = world.user("officer", officer_roles=("approver",))
    case_id = uuid.UUID(world.submitted(world.user("citizen"), "TWO")["id"])
    act(db, verifier, APPLICATION, case_id, "start_verification")
    verified = act(db, verifier, APPLICATION, case_id, "verify")
    # The effects of "verify": who verified is recorded, and the file is released.
    assert verified.first_officer_id == verifier.id and verified.assigned_to_id is None

    assert "approve" not in action_names(db, verifier, APPLICATION, case_id)
    with pytest.raises(Forbidden) as refused:
        act(db, verifier, APPLICATION, case_id, "approve")
    assert refused.value.status == 403
    with db() as session:
        unchanged = session.get(Case, case_id)
        assert (unchanged.state, unchanged.event_seq) == ("verified", verified.event_seq)

    assert "approve" in action_names(db, approver, APPLICATION, case_id)
    certificates = world.runtime.certificates
    approved = act(db, approver, APPLICATION, case_id, "approve", env=lambda: certificates)
    assert approved.state == "approved" and approved.decided_at is not None


@pytest.mark.parametrize("comment", [None, "", "   \n "])
def test_an_action_that_needs_a_comment_is_refused_without_one(world, db, comment):
    officer = world.user("officer")
    application = world.in_state("in_review", citizen=world.user("citizen"), officer=officer)
    case_id = uuid.UUID(application["id"])
    with db() as session:
        listed = available_actions(
            session, principal=as_principal(officer), kind=APPLICATION, case_id=case_id, lang="en"
        )
    assert {a.action: a.needs_comment for a in listed.items}["reject"] is True

    with pytest.raises(ValidationFailed) as refused:
        act(db, officer, APPLICATION, case_id, "reject", comment=comment)
    assert refused.value.status == 422
    assert [error.field for error in refused.value.errors] == ["comment"]
    with db() as session:
        case = session.get(Case, case_id)
        assert (case.state, case.version) == ("in_review", application["version"])

    answer = world.act(officer, application, "reject", comment=comment)
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["comment"]


# --- a case type of this module's own, plugged into the kernel --------------------------------

REPORTED = State(
    name="reported", label=Msg("Dilaporkan", "Reported"), holder="authority", clock="runs"
)
RESOLVED = State(
    name="resolved",
    label=Msg("Selesai", "Resolved"),
    holder="nobody",
    clock="stopped",
    final=True,
    outcome="resolved",
)


def _workflow(*, guards=("comment_required",), effects=("claim", "decide")) -> Workflow:
    """A report an officer of the department resolves, saying how."""
    return Workflow(
        name="testflow",
        initial=REPORTED.name,
        states=(REPORTED, RESOLVED),
        transitions=(
            Transition(
                action="resolve",
                sources=frozenset({REPORTED.name}),
                target=RESOLVED.name,
                roles=frozenset({"officer"}),
                event="resolved",
                guards=guards,
                effects=effects,
                label=Msg("Selesaikan", "Resolve"),
            ),
        ),
    )


def _kind(**changes) -> CaseKind:
    fields = {
        "name": "testcase",
        "owner_role": "applicant",
        "read_scope": "testcases:read",
        "write_scope": "testcases:write",
        "not_found": Msg("Kasus uji tidak ditemukan", "Test case not found"),
        "workflows": ("testflow",),
        "subject_field": "category_code",
        "requirement": _no_documents,
        "sla_days": lambda session, case: 2,
    }
    return CaseKind(**(fields | changes))


def _no_documents(session, case, code: str) -> Requirement:
    raise invalid("requirement", "Tidak ada dokumen", "This case type takes no documents")


TESTCASE = _kind()
TESTCASE_SCOPES = ("testcases:read", "testcases:write")
# The case type's own table, as its model would declare it: its row is keyed by the case.
OWN_TABLES = MetaData()
TESTCASES = Table(
    "testcases",
    OWN_TABLES,
    Column("id", Uuid, ForeignKey(Case.__table__.c.id), primary_key=True),
    Column("location", String(100), nullable=False),
)


@pytest.fixture
def testcase_kind(runtime, monkeypatch) -> Iterator[CaseKind]:
    """The test case type registered and its table created, for one test only."""
    monkeypatch.setitem(definitions.WORKFLOWS, "testflow", _workflow())
    monkeypatch.setattr(kinds, "_KINDS", dict(kinds._KINDS))
    register_kind(TESTCASE)
    OWN_TABLES.create_all(runtime.engine)
    yield TESTCASE
    OWN_TABLES.drop_all(runtime.engine)


def test_a_case_type_whose_workflow_names_an_unknown_handler_is_refused(monkeypatch):
    monkeypatch.setattr(kinds, "_KINDS", dict(kinds._KINDS))
    careless = _workflow(guards=("comment_required", "is_friday"), effects=("claim", "send_fax"))
    monkeypatch.setitem(definitions.WORKFLOWS, "testflow", careless)

    with pytest.raises(ValueError, match="testcase") as refused:
        register_kind(_kind())
    assert "is_friday" in str(refused.value) and "send_fax" in str(refused.value)
    with pytest.raises(LookupError):
        kinds.kind_named("testcase")

    # A case type may carry the handlers the kernel lacks itself.
    register_kind(
        _kind(guards={"is_friday": lambda step: []}, effects={"send_fax": lambda step: None})
    )
    assert kinds.kind_named("testcase").name == "testcase"


def test_a_case_type_with_a_private_state_the_queues_cannot_hide_is_refused(monkeypatch):
    monkeypatch.setattr(kinds, "_KINDS", dict(kinds._KINDS))
    unsent = State(
        name="unsent",
        label=Msg("Belum dikirim", "Not sent"),
        holder="owner",
        clock="stopped",
        editable=True,
        private=True,
    )
    drafted = Workflow(
        name="testflow",
        initial=unsent.name,
        states=(unsent, REPORTED),
        transitions=(
            Transition(
                action="send",
                sources=frozenset({unsent.name}),
                target=REPORTED.name,
                roles=frozenset({"applicant"}),
                event="sent",
                label=Msg("Kirim", "Send"),
            ),
        ),
    )
    monkeypatch.setitem(definitions.WORKFLOWS, "testflow", drafted)
    with pytest.raises(ValueError, match="private state 'unsent'"):
        register_kind(_kind())


def open_testcase(db, *, reporter, department_id: int, location: str) -> tuple[uuid.UUID, str]:
    with db() as session:
        values, first_event = opening.new_case_rows(
            kind=TESTCASE,
            subject_code="JALAN",
            workflow="testflow",
            state=REPORTED.name,
            department_id=department_id,
            owner_id=reporter.id,
            principal=as_principal(reporter, TESTCASE_SCOPES),
            data={"description": "Lubang di jalan"},
            now=utcnow(),
        )
        reference = opening.insert_case(
            session,
            case=values,
            own=OwnRow(table=TESTCASES, values={"id": values["id"], "location": location}),
            first_event=first_event,
            series="TST",
        )
    assert reference is not None
    return values["id"], reference


def test_a_second_case_type_runs_on_the_kernel_unchanged(world, db, testcase_kind):
    officer = world.user("officer")
    outsider = world.user("officer", department="DINASB")
    reporter = world.user("citizen")
    application = world.submitted(reporter)  # a case of the other kind, in the same office
    case_id, reference = open_testcase(
        db, reporter=reporter, department_id=officer.department_id, location="Jl. Merdeka 1"
    )
    assert reference == f"TST-{utcnow().year}-000001"

    def listed(user, kind: CaseKind) -> list[str]:
        with db() as session:
            page = queue.list_cases(
                session,
                principal=as_principal(user, (*USER_SCOPES, *TESTCASE_SCOPES)),
                kind=kind,
                query=ListQuery(),
            )
        return [row.reference for row in page.rows]

    assert listed(officer, testcase_kind) == [reference]
    assert listed(officer, APPLICATION) == [application["reference"]]
    assert listed(outsider, testcase_kind) == []
    assert listed(reporter, testcase_kind) == [reference]
    assert action_names(db, officer, testcase_kind, case_id, TESTCASE_SCOPES) == ["resolve"]
    with db() as session, pytest.raises(NotFound):  # one kind's id is not another's case
        available_actions(
            session, principal=as_principal(officer), kind=APPLICATION, case_id=case_id, lang="en"
        )

    with pytest.raises(ValidationFailed) as refused:
        act(db, officer, testcase_kind, case_id, "resolve", scopes=TESTCASE_SCOPES)
    assert [error.field for error in refused.value.errors] == ["comment"]
    resolved = act(
        db, officer, testcase_kind, case_id, "resolve", comment="Ditambal", scopes=TESTCASE_SCOPES
    )
    assert resolved.state == RESOLVED.name and resolved.version == 2
    assert resolved.assigned_to_id == officer.id  # the kernel's "claim"
    assert resolved.decided_at is not None  # the kernel's "decide"

    with db() as session:
        case = session.get(Case, case_id)
        assert timeline.verify_chain(session, case) == []
        events = session.execute(select(Event).where(Event.case_id == case_id).order_by(Event.seq))
        assert [(e.action, e.to_state, e.comment) for e in events.scalars()] == [
            ("testcase.created", "reported", None),
            ("testcase.resolved", "resolved", "Ditambal"),
        ]
        own = session.execute(select(TESTCASES.c.location).where(TESTCASES.c.id == case_id))
        assert own.scalar_one() == "Jl. Merdeka 1"
        assert timeline.verify_all_chains(session) == (2, [])
