"""The Alembic history builds exactly the schema the models describe, and the case-kernel
migration (0009) carries a database of the old shape (0008) over without losing a row, a link
or a verifiable hash chain."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.cases.timeline import verify_all_chains
from app.config import Settings
from app.db import build_engine, transaction
from app.main import create_app
from app.migrate import _check_foreign_keys, _foreign_keys_checked_at_end, alembic_config, upgrade
from app.models import Application, Case, Certificate, Document, Event
from app.oauth.service import FIRST_PARTY_CLIENT, USER_SCOPES
from app.runtime import build_runtime
from tests.before_kernel import CERTIFICATE_NUMBER, OLD, OldRows, insert_old_rows
from tests.conftest import _test_settings
from tests.databases import drop_database, recreate_database

BEFORE_KERNEL = "0008"


def test_migrations_match_models(runtime):
    with runtime.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_history_is_linear():
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert all(len(rev._versioned_down_revisions) <= 1 for rev in script.walk_revisions())


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path) -> Iterator[Settings]:
    """A fresh database of its own (not the shared template) built to revision 0008."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'before-kernel.db'}"
        yield from _built_to_0008(tmp_path, url)
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"loket_test_old_{uuid.uuid4().hex[:12]}"
    recreate_database(admin_url, name)
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield from _built_to_0008(tmp_path, url)
    finally:
        drop_database(admin_url, name)


def _built_to_0008(tmp_path: Path, url: str) -> Iterator[Settings]:
    settings = _test_settings(tmp_path / "data", url)
    _migrate(settings, BEFORE_KERNEL, command.upgrade)
    yield settings


def _migrate(settings: Settings, revision: str, direction) -> None:
    """Upgrade or downgrade the way ``app.migrate.upgrade`` runs migrations: one transaction,
    SQLite's foreign keys off while tables are rebuilt and every one checked at the end."""
    engine = build_engine(settings)
    try:
        with (
            engine.connect() as connection,
            _foreign_keys_checked_at_end(connection),
            connection.begin(),
        ):
            direction(alembic_config(connection), revision)
            _check_foreign_keys(connection)
    finally:
        engine.dispose()


@pytest.fixture
def migrated(old_database) -> OldRows:
    """The old rows, then the migrations to the head, as ``loket db upgrade`` runs them."""
    rows = insert_old_rows(old_database)
    upgrade(old_database)
    return rows


@pytest.fixture
def migrated_runtime(old_database, migrated):
    runtime = build_runtime(old_database)
    yield runtime
    runtime.engine.dispose()


def test_every_old_row_arrives_in_the_case_kernel(migrated, migrated_runtime):
    rows = migrated
    with transaction(migrated_runtime.engine, write=False) as session:
        cases = {c.id: c for c in session.execute(select(Case)).scalars()}
        assert set(cases) == {rows.approved, rows.verified}
        for case in cases.values():
            assert case.kind == "application"
            assert case.workflow == "two_level"  # from the service the application started on
            assert case.subject_code == "IMB"
            assert case.owner_id == rows.citizen
            assert case.first_officer_id == rows.verifier
            assert case.department_id == rows.department_id
            assert case.data == {"business_name": "Toko Sinar Jaya"}
            assert case.event_seq == len(rows.events[case.id])
        assert cases[rows.approved].state == "approved"
        assert cases[rows.approved].reference == "IMB-2026-000002"
        assert cases[rows.verified].state == "verified"
        assert cases[rows.verified].due_at == date(2026, 12, 7)

        own = session.execute(select(Application)).scalars().all()
        assert {(a.id, a.service_id) for a in own} == {
            (rows.approved, rows.service_id),
            (rows.verified, rows.service_id),
        }
        events = session.execute(select(Event).order_by(Event.id)).scalars().all()
        assert [(e.case_id, e.seq, e.hash) for e in events] == [
            (case_id, row["seq"], row["hash"])
            for case_id in (rows.verified, rows.approved)
            for row in rows.events[case_id]
        ]
        document = session.get(Document, rows.document)
        assert document is not None and document.case_id == rows.verified
        certificate = session.get(Certificate, rows.certificate)
        assert certificate is not None and certificate.application_id == rows.approved


def test_the_migrated_tables_point_at_cases_and_have_its_indexes(migrated, migrated_runtime):
    inspector = inspect(migrated_runtime.engine)
    assert "cases" in inspector.get_table_names()
    pointing = {
        table: {
            (tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in inspector.get_foreign_keys(table)
        }
        for table in ("applications", "events", "documents", "certificates")
    }
    assert (("id",), "cases") in pointing["applications"]
    assert (("service_id",), "services") in pointing["applications"]
    assert (("case_id",), "cases") in pointing["events"]
    assert (("case_id",), "cases") in pointing["documents"]
    assert (("application_id",), "cases") in pointing["certificates"]

    indexes = {index["name"]: index for index in inspector.get_indexes("cases")}
    assert {
        "ix_cases_assigned_to_id",
        "ix_cases_dept_created",
        "ix_cases_dept_state_created",
        "ix_cases_owner_created",
        "ix_cases_dept_due",
        "ix_cases_updated",
        "ix_cases_queue",
    } <= set(indexes)
    assert not [name for name in indexes if name.startswith("ix_applications_")]
    assert indexes["ix_cases_queue"]["column_names"] == [
        "department_id",
        "kind",
        "created_at",
        "id",
    ]
    where = indexes["ix_cases_queue"]["dialect_options"]
    assert "draft" in str(where.get("postgresql_where", where.get("sqlite_where")))
    assert [i["name"] for i in inspector.get_indexes("applications")] == [
        "ix_applications_service_id"
    ]
    constraints = {c["name"] for c in inspector.get_unique_constraints("events")}
    assert "uq_events_case_seq" in constraints and "uq_events_application_seq" not in constraints


def test_chains_written_before_the_kernel_still_verify(migrated, migrated_runtime):
    with transaction(migrated_runtime.engine, write=False) as session:
        checked, problems = verify_all_chains(session)
    assert (checked, problems) == (2, [])


def test_the_app_serves_a_migrated_application_to_its_applicant(migrated, migrated_runtime):
    rows = migrated

    def headers(user_id: uuid.UUID) -> dict[str, str]:
        token, _ = migrated_runtime.tokens.issue_access_token(
            subject=str(user_id), client_id=FIRST_PARTY_CLIENT, scopes=USER_SCOPES
        )
        return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    with TestClient(create_app(runtime=migrated_runtime)) as client:
        approved = client.get(
            f"/api/v1/applications/{rows.approved}", headers=headers(rows.citizen)
        )
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["reference"] == "IMB-2026-000002" and body["state"] == "approved"
        assert body["service_code"] == "IMB" and body["service_version"] == 2
        assert body["applicant"]["full_name"] == "Siti Aminah"
        assert body["certificate_number"] == CERTIFICATE_NUMBER
        listed = client.get("/api/v1/applications", headers=headers(rows.citizen)).json()
        assert {item["id"] for item in listed["items"]} == {str(rows.approved), str(rows.verified)}

        # The old verified_by_id keeps its meaning: the verifier may not also approve.
        def actions(user_id: uuid.UUID) -> list[str]:
            answer = client.get(
                f"/api/v1/applications/{rows.verified}/actions", headers=headers(user_id)
            )
            assert answer.status_code == 200, answer.text
            return [item["action"] for item in answer.json()["items"]]

        assert "approve" not in actions(rows.verifier)
        assert "approve" in actions(rows.approver)
        timeline = client.get(
            f"/api/v1/applications/{rows.verified}/events", headers=headers(rows.citizen)
        )
        assert [e["seq"] for e in timeline.json()["items"]] == [1, 2, 3, 4, 5]


def _schema_of(settings: Settings) -> dict[str, Any]:
    """Tables, columns, indexes and foreign keys as the database reports them (constraint
    names aside: PostgreSQL names them after the table they were created on)."""
    engine = build_engine(settings)
    try:
        inspector = inspect(engine)
        return {
            table: {
                "columns": sorted((c["name"], c["nullable"]) for c in inspector.get_columns(table)),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                "foreign_keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in inspector.get_foreign_keys(table)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
                ),
            }
            for table in sorted(inspector.get_table_names())
            if table != "alembic_version"
        }
    finally:
        engine.dispose()


def _old_shape_rows(settings: Settings) -> dict[str, list[tuple]]:
    engine = build_engine(settings)
    t = OLD.tables
    try:
        with engine.connect() as connection:
            return {
                "applications": connection.execute(
                    select(
                        t["applications"].c.id,
                        t["applications"].c.service_id,
                        t["applications"].c.applicant_id,
                        t["applications"].c.verified_by_id,
                        t["applications"].c.state,
                    ).order_by(t["applications"].c.reference)
                ).all(),
                "events": connection.execute(
                    select(
                        t["events"].c.application_id, t["events"].c.seq, t["events"].c.hash
                    ).order_by(t["events"].c.id)
                ).all(),
                "documents": connection.execute(
                    select(t["documents"].c.id, t["documents"].c.application_id)
                ).all(),
                "certificates": connection.execute(
                    select(t["certificates"].c.id, t["certificates"].c.application_id)
                ).all(),
            }
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again_keep_every_row(old_database, tmp_path):
    rows = insert_old_rows(old_database)
    before_schema, before_rows = _schema_of(old_database), _old_shape_rows(old_database)
    upgrade(old_database)

    _migrate(old_database, BEFORE_KERNEL, command.downgrade)
    assert _schema_of(old_database) == before_schema
    assert _old_shape_rows(old_database) == before_rows

    upgrade(old_database)
    runtime = build_runtime(old_database)
    try:
        with runtime.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
        with transaction(runtime.engine, write=False) as session:
            assert verify_all_chains(session) == (2, [])
            verified = session.get(Case, rows.verified)
            assert verified is not None and verified.first_officer_id == rows.verifier
            assert session.get(Application, rows.approved).service_id == rows.service_id
    finally:
        runtime.engine.dispose()
