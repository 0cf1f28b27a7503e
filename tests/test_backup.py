"""`loket backup create` and `restore`: the drill an operations team runs, on both databases.

Cases and an approved certificate are made through the API, backed up, the data directory
wiped, and everything restored into a fresh database and data directory; the audit trail must
then verify clean and the certificate must still download and verify as issued.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.backup import MANIFEST
from app.cli import cli
from app.config import Settings
from app.main import create_app
from app.oauth.service import FIRST_PARTY_CLIENT, USER_SCOPES
from app.runtime import build_runtime
from tests.databases import drop_database, recreate_database

runner = CliRunner()


def loket(settings: Settings, *args: str):
    """`loket ...` with ``settings``' database and data directory as its environment."""
    env = {
        "LOKET_DATABASE_URL": settings.database_url,  # None: the data directory's SQLite file
        "LOKET_DATA_DIR": str(settings.data_dir),
        "LOKET_PUBLIC_BASE_URL": settings.public_base_url,
        "LOKET_PASSWORD_MEMORY_KIB": "1024",
        "LOKET_PASSWORD_TIME_COST": "1",
        "LOKET_EMBEDDED_DISPATCHER": "false",
    }
    return runner.invoke(cli, list(args), env=env)


@pytest.fixture
def fresh_target(settings, tmp_path, request) -> Settings:
    """Where the restore goes: a new data directory, and a new database of the same kind (a
    PostgreSQL database created empty, not from the migrated template)."""
    data_dir = tmp_path / "restored"
    if settings.is_sqlite:
        return settings.model_copy(update={"data_dir": data_dir, "database_url": None})
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"loket_restore_{uuid.uuid4().hex[:12]}"
    recreate_database(admin_url, name)
    request.addfinalizer(lambda: drop_database(admin_url, name))
    url = make_url(settings.effective_database_url).set(database=name)
    return settings.model_copy(
        update={"data_dir": data_dir, "database_url": url.render_as_string(hide_password=False)}
    )


def _approved_with_certificate(world) -> tuple[dict, bytes, object]:
    citizen, officer = world.user(), world.user("officer")
    world.create(citizen)
    world.in_state("in_review", citizen=citizen, officer=officer)
    approved = world.in_state("approved", citizen=citizen, officer=officer)
    number = approved["certificate_number"]
    pdf = world.client.get(f"/api/v1/certificates/{number}/pdf", headers=world.headers(officer))
    assert pdf.status_code == 200
    return approved, pdf.content, officer


def _backed_up(world, settings, tmp_path) -> tuple[Path, dict, bytes, object]:
    approved, pdf, officer = _approved_with_certificate(world)
    assert loket(settings, "audit", "checkpoint").exit_code == 0
    backup = tmp_path / "backup"
    created = loket(settings, "backup", "create", str(backup))
    assert created.exit_code == 0, created.output
    return backup, approved, pdf, officer


def test_the_drill_backup_wipe_restore_then_audit_and_certificate_verify(
    world, settings, tmp_path, fresh_target
):
    backup, approved, pdf, officer = _backed_up(world, settings, tmp_path)
    manifest = json.loads((backup / MANIFEST).read_text())
    assert manifest["database"]["kind"] == ("sqlite" if settings.is_sqlite else "postgresql")
    assert any(name.startswith("data/keys/") for name in manifest["files"])
    assert any(name.startswith("data/files/") for name in manifest["files"])
    shutil.rmtree(settings.data_dir)  # the disk is lost

    restored = loket(fresh_target, "backup", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    audit = loket(fresh_target, "audit", "verify")
    assert audit.exit_code == 0, audit.output
    assert ": 0 problems" in audit.output and " 0 cases" not in audit.output

    runtime = build_runtime(fresh_target)
    try:
        token, _ = runtime.tokens.issue_access_token(
            subject=str(officer.id), client_id=FIRST_PARTY_CLIENT, scopes=USER_SCOPES
        )
        with TestClient(create_app(runtime=runtime)) as client:
            number = approved["certificate_number"]
            again = client.get(
                f"/api/v1/certificates/{number}/pdf", headers={"Authorization": f"Bearer {token}"}
            )
            assert again.status_code == 200 and again.content == pdf
            check = client.post("/api/v1/verify", files={"file": ("c.pdf", again.content)})
            assert check.json()["authentic"] is True and check.json()["status"] == "valid"
    finally:
        runtime.engine.dispose()


@pytest.mark.parametrize("tampering", ["changed file", "added file", "escaping name"])
def test_a_tampered_backup_is_refused_before_anything_is_written(
    world, settings, tmp_path, fresh_target, tampering
):
    backup, *_ = _backed_up(world, settings, tmp_path)
    manifest = json.loads((backup / MANIFEST).read_text())
    key = next(name for name in manifest["files"] if name.startswith("data/keys/"))
    if tampering == "changed file":
        (backup / key).write_bytes((backup / key).read_bytes() + b"\n")
        expected = "does not match its hash"
    elif tampering == "added file":
        (backup / "data" / "keys" / "attacker.pem").write_text("-----BEGIN PRIVATE KEY-----")
        expected = "not in manifest.json"
    else:
        manifest["files"]["../outside"] = manifest["files"].pop(key)
        (backup / MANIFEST).write_text(json.dumps(manifest))
        expected = "outside the backup"
    refused = loket(fresh_target, "backup", "restore", str(backup))
    assert refused.exit_code == 1 and expected in refused.output
    assert not fresh_target.data_dir.exists()
    if not fresh_target.is_sqlite:  # the empty database stayed empty
        from app.backup import _database_has_tables

        assert not _database_has_tables(fresh_target)


def test_restore_refuses_a_database_or_data_directory_in_use_without_force(
    world, settings, tmp_path
):
    backup, approved, pdf, _officer = _backed_up(world, settings, tmp_path)
    citizen = world.user()
    later = world.create(citizen)  # made after the backup: --force must take it away
    world.runtime.engine.dispose()

    refused = loket(settings, "backup", "restore", str(backup))
    assert refused.exit_code == 1
    assert "database has tables" in refused.output and "data directory" in refused.output
    assert "--force" in refused.output

    forced = loket(settings, "backup", "restore", "--force", str(backup))
    assert forced.exit_code == 0, forced.output
    assert loket(settings, "audit", "verify").exit_code == 0
    missing = world.client.get(
        f"/api/v1/applications/{later['id']}", headers=world.headers(citizen)
    )
    assert missing.status_code in (401, 404)  # neither the case nor its applicant came back


def test_a_backup_goes_only_into_an_empty_directory(settings, tmp_path, runtime):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "x").write_text("x")
    result = loket(settings, "backup", "create", str(occupied))
    assert result.exit_code == 1 and "not an empty directory" in result.output
