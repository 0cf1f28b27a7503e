"""The `loket` command as operators and scripts use it: output and exit codes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.cli import cli
from tests.factories import CATALOGUE

runner = CliRunner()


@pytest.fixture
def loket(settings, monkeypatch):
    """Run `loket ...` against this test's database and data directory."""
    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LOKET_PASSWORD_MEMORY_KIB", "1024")
    monkeypatch.setenv("LOKET_PASSWORD_TIME_COST", "1")
    return lambda *args: runner.invoke(cli, list(args))


def test_departments_and_users(loket):
    assert (
        loket("departments", "create", "--code", "dishub", "--name", "Dinas Perhubungan").exit_code
        == 0
    )
    duplicate = loket("departments", "create", "--code", "DISHUB", "--name", "Lagi")
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    created = loket(
        "users",
        "create",
        "--email",
        "budi@dishub.go.id",
        "--password",
        "panjang-sekali-aman",
        "--name",
        "Budi",
        "--role",
        "officer",
        "--department",
        "DISHUB",
        "--officer-roles",
        "verifier,approver",
    )
    assert created.exit_code == 0, created.output
    assert "created officer budi@dishub.go.id" in created.output
    no_department = loket(
        "users",
        "create",
        "--email",
        "x@y.id",
        "--password",
        "panjang-sekali-aman",
        "--name",
        "X",
        "--role",
        "officer",
    )
    assert no_department.exit_code == 1
    assert "department" in no_department.output


def test_services_load_versions_changed_definitions(loket, tmp_path):
    first = loket("services", "load", str(CATALOGUE))
    assert first.exit_code == 0, first.output
    assert "services created: SIMPLE, TWO, OTHER" in first.output
    again = loket("services", "load", str(CATALOGUE))
    assert "unchanged: SIMPLE, TWO, OTHER" in again.output
    changed = tmp_path / "changed.yaml"
    changed.write_text(CATALOGUE.read_text().replace("sla_days: 3", "sla_days: 4"))
    third = loket("services", "load", str(changed))
    assert "new versions: SIMPLE" in third.output


def test_services_load_reports_every_problem_with_its_location(loket, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        CATALOGUE.read_text()
        .replace("sla_days: 3", "sla_days: -1")
        .replace("workflow: two_level", "workflow: three_level")
    )
    result = loket("services", "load", str(broken))
    assert result.exit_code == 1
    assert "services[0].sla_days" in result.output
    assert "services[1].workflow" in result.output


def test_audit_verify_detects_edited_and_deleted_events(loket, world, runtime):
    citizen, officer = world.user("citizen"), world.user("officer")
    first = world.in_state("in_review", citizen=citizen, officer=officer)
    second = world.in_state("submitted", citizen=citizen, officer=officer)
    clean = loket("audit", "verify")
    assert clean.exit_code == 0, clean.output
    assert "checked 2 cases, 7 events, 0 logged events, 0 checkpoints: 0 problems" in clean.output

    with runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE events SET comment = 'diubah' WHERE case_id = :id AND seq = 3"),
            {"id": first["id"].replace("-", "") if runtime.settings.is_sqlite else first["id"]},
        )
        connection.execute(
            text(
                "DELETE FROM events WHERE case_id = :id AND seq = "
                "(SELECT max(seq) FROM events WHERE case_id = :id)"
            ),
            {"id": second["id"].replace("-", "") if runtime.settings.is_sqlite else second["id"]},
        )
    tampered = loket("audit", "verify")
    assert tampered.exit_code == 1
    assert f"TAMPERED event_edited {first['reference']}: event 3" in tampered.output
    assert f"TAMPERED last_events_missing {second['reference']}" in tampered.output
    # Its submission is gone, so its state no longer follows from its events either.
    assert f"TAMPERED state_not_from_events {second['reference']}" in tampered.output
    assert "3 problems" in tampered.output


def test_demo_is_idempotent_and_prints_logins(loket):
    first = loket("demo")
    assert first.exit_code == 0, first.output
    assert "warga@demo.loket.id" in first.output
    assert "verifier.dpmptsp@demo.loket.id" in first.output
    assert "petugas1.dbm@demo.loket.id" in first.output  # complaints: street lighting
    second = loket("demo")
    assert second.exit_code == 0
    assert second.output == first.output


def test_workflow_diagram():
    result = runner.invoke(cli, ["workflows", "show", "two_level"])
    assert result.exit_code == 0
    assert "verified --> approved : approve" in result.output
    assert runner.invoke(cli, ["workflows", "show", "nope"]).exit_code == 1


def test_keys_init_and_show(loket):
    created = loket("keys", "init")
    assert created.exit_code == 0, created.output
    assert created.output.count("sha256 ") == 3
    again = loket("keys", "init")
    assert again.exit_code == 1 and "--force" in again.output
    shown = loket("keys", "show")
    assert shown.exit_code == 0
    assert [line.split()[0] for line in shown.output.splitlines() if not line.startswith(" ")] == [
        "signer",
        "issuing-ca",
        "root",
    ]
    assert loket("keys", "init", "--force").exit_code == 0
