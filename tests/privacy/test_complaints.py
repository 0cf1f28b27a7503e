"""A complaint's reporter and contact details read by an officer are recorded like any other
personal data; the register lists complaint categories as processing activities too."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli
from tests.complaints.conftest import reports  # noqa: F401  (the fixture)


def test_an_officer_reading_a_complaint_with_its_contact_is_recorded(reports, world):  # noqa: F811
    resident = world.user("citizen", name="Rina")
    officer = world.user("officer", department="DBM", officer_roles=("verifier",))
    report = reports.file(resident, phone="081234567890")
    reports.get(resident, report)  # her own read
    seen = reports.get(officer, report)
    assert seen["contact"]["phone"] == "081234567890"
    items = world.client.get("/api/v1/me/data-access", headers=world.headers(resident)).json()
    (item,) = items["items"]
    assert item["what"] == "complaint" and item["case_reference"] == report["reference"]
    assert "contact_phone" in item["fields"]
    assert item["accessor"]["name"] == officer.full_name
    held = world.client.get("/api/v1/me/export", headers=world.headers(resident)).json()
    (complaint,) = held["complaints"]
    assert complaint["reference"] == report["reference"]
    assert complaint["contact_phone"] == "081234567890"


def test_the_register_lists_complaint_categories(reports, world, settings, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["privacy", "register"])
    assert result.exit_code == 0, result.output
    assert "[complaint] PJU:" in result.output
    block = result.output.split("[complaint] PJU:")[1].split("\n\n")[0]
    assert "handling complaints about" in block
    assert "contact e-mail and phone" in block
