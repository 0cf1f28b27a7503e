"""`loket privacy register` and `loket privacy breach` as a data protection officer runs them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.notifications.helpers import subscribe
from tests.oauth.apps import register_app
from tests.oauth.test_clients import bearer, make_client, token_for

runner = CliRunner()


@pytest.fixture
def loket(settings, monkeypatch):
    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    return lambda *args: runner.invoke(cli, list(args))


def _window() -> tuple[str, str]:
    now = datetime.now(UTC)
    return (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()


def test_the_register_names_purposes_data_recipients_and_retention(world, loket):
    register_app(world.runtime, name="JAKI Contoh", scopes=("openid", "applications:read"))
    subscribe(world.runtime.engine, "https://arsip.example.id/hook", ("application.*",))
    subscribe(world.runtime.engine, "https://lampu.example.id/hook", ("complaint.*",))
    result = loket("privacy", "register")
    assert result.exit_code == 0, result.output
    block = result.output.split("[application] SIMPLE: Simple Service")[1].split("\n\n")[0]
    assert "controller unit: DINASA" in block
    assert "deciding applications for Simple Service" in block
    assert "Business name (business_name)" in block and "NIK" in block
    assert "document: Applicant's ID card" in block
    assert "officers of DINASA" in block and "app: JAKI Contoh" in block
    assert "at https://arsip.example.id/hook" in block
    assert "lampu.example.id" not in block  # it hears complaints only
    assert "retention: not defined" in block
    as_json = json.loads(loket("privacy", "register", "--json").output)
    simple = next(a for a in as_json if a["code"] == "SIMPLE")
    assert simple["kind"] == "application" and "officers of DINASA" in simple["recipients"]


def test_breach_lists_the_residents_a_client_or_officer_touched(world, loket):
    first, second = world.user("citizen", name="Siti"), world.user("citizen", name="Agus")
    officer = world.user("officer")
    one, two = world.submitted(first), world.submitted(second)
    client_id, secret = make_client(world.runtime, "applications:read")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    assert world.client.get(f"/api/v1/applications/{one['id']}", headers=bearer(token)).is_success
    world.get(two["id"], officer)
    start, end = _window()

    by_client = loket("privacy", "breach", "--from", start, "--to", end, "--client", client_id)
    assert by_client.exit_code == 0, by_client.output
    rows = list(csv.DictReader(io.StringIO(by_client.stdout)))
    assert [(r["full_name"], r["email"], r["reads"]) for r in rows] == [("Siti", first.email, "1")]
    assert rows[0]["data_read"] == "application"

    by_officer = loket(
        "privacy", "breach", "--from", start, "--to", end, "--officer", officer.email
    )
    assert [r["full_name"] for r in csv.DictReader(io.StringIO(by_officer.stdout))] == ["Agus"]
    everyone = loket("privacy", "breach", "--from", start, "--to", end)
    assert {r["full_name"] for r in csv.DictReader(io.StringIO(everyone.stdout))} == {
        "Siti",
        "Agus",
    }
    before = loket("privacy", "breach", "--from", "2020-01-01", "--to", "2020-02-01")
    assert before.stdout.splitlines() == [
        ",".join(
            [
                "resident_id",
                "full_name",
                "email",
                "phone",
                "reads",
                "first_read",
                "last_read",
                "data_read",
            ]
        )
    ]


def test_breach_refuses_bad_input_with_a_message(world, loket):
    start, end = _window()
    assert loket("privacy", "breach", "--from", "yesterday", "--to", end).exit_code == 1
    backwards = loket("privacy", "breach", "--from", end, "--to", start)
    assert backwards.exit_code == 1 and "after --from" in backwards.output
    unknown = loket("privacy", "breach", "--from", start, "--to", end, "--officer", "x@y.id")
    assert unknown.exit_code == 1 and "No officer" in unknown.output
    both = loket(
        "privacy", "breach", "--from", start, "--to", end, "--client", "a", "--officer", "b"
    )
    assert both.exit_code == 1
