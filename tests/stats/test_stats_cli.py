"""`loket stats refresh` brings the facts up to date."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli
from tests.stats import fixture


def test_stats_refresh(world, settings, monkeypatch):
    fixture.load(world.runtime, applicant_id=world.user().id)
    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["stats", "refresh"])
    assert result.exit_code == 0, result.output
    assert "16 applications read" in result.output
