"""GET /metrics: who may read it, what it counts, and (through a real `loket serve` with two
workers) that the workers' counts add up. Parsed with prometheus-client's own parser."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import delete, update

from app.main import create_app
from app.models import Case, OutboxMessage
from tests.factories import World, seed_catalogue
from tests.http.test_server import exchange, loket_serve, request, status

TOKEN = "scrape-" + uuid.uuid4().hex


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, labels): value} of an exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(parsed: dict, name: str, **labels: str) -> float:
    return parsed.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scraper(runtime):
    """A client of an app with a metrics token (TestClient's peer is not loopback)."""
    settings = runtime.settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    runtime.settings = settings
    seed_catalogue(runtime)
    with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
        yield client


def scrape(client: TestClient) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def test_without_the_token_from_elsewhere_it_does_not_exist(scraper):
    unknown = scraper.get("/metrics-nowhere")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = scraper.get("/metrics", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == unknown.headers["content-type"]
        assert "loket_" not in response.text
    assert scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).is_success


def test_requests_count_under_their_route_template_and_status(scraper, runtime):
    world = World(runtime=runtime, client=scraper)
    citizen = world.user("citizen")
    before = scrape(scraper)
    application = world.create(citizen)
    world.get(application["id"], citizen)
    world.get(application["id"], citizen)
    missing = scraper.get(f"/api/v1/applications/{uuid.uuid4()}", headers=world.headers(citizen))
    assert missing.status_code == 404
    scraper.get("/no/such/page")
    after = scrape(scraper)

    def grew(method: str, route: str, code: str) -> float:
        name = "loket_http_request_duration_seconds_count"
        labels = {"method": method, "route": route, "status": code}
        return value(after, name, **labels) - value(before, name, **labels)

    one = "/api/v1/applications/{application_id}"
    assert grew("POST", "/api/v1/applications", "201") == 1
    assert grew("GET", one, "200") == 2
    assert grew("GET", one, "404") == 1
    assert grew("GET", "<unmatched>", "404") == 1
    assert not any("/no/such/page" in str(labels) for _, labels in after)
    assert value(after, "loket_db_pool_connections_max") >= 1


def test_login_failures_are_counted(scraper, runtime):
    world = World(runtime=runtime, client=scraper)
    citizen = world.user("citizen")
    before = value(scrape(scraper), "loket_login_failures_total")
    for password in ("salah-satu", "salah-dua"):
        response = scraper.post(
            "/oauth/token",
            data={"grant_type": "password", "username": citizen.email, "password": password},
        )
        assert response.status_code in (400, 401), response.text
    assert value(scrape(scraper), "loket_login_failures_total") - before == 2


def test_an_approval_counts_one_certificate_and_its_signing_time(scraper, runtime):
    world = World(runtime=runtime, client=scraper)
    citizen, officer = world.user("citizen"), world.user("officer")
    before = scrape(scraper)
    world.in_state("approved", citizen=citizen, officer=officer)
    after = scrape(scraper)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    issued = [grew("loket_certificates_issued_total", path=p) for p in ("fast", "full")]
    assert sum(issued) == 1, issued
    assert grew("loket_certificate_signing_seconds_count") == 1
    assert grew("loket_certificate_signing_seconds_sum") > 0


def test_the_outbox_and_overdue_cases_are_read_from_the_database(scraper, runtime, db):
    world = World(runtime=runtime, client=scraper)
    citizen = world.user("citizen")
    late, on_time, draft = world.submitted(citizen), world.submitted(citizen), world.create(citizen)
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with db() as session:
        for case_id in (late["id"], draft["id"]):  # a draft's clock does not run
            session.execute(
                update(Case)
                .where(Case.id == uuid.UUID(case_id))
                .values(due_at=date.today() - timedelta(days=3))
            )
        session.execute(delete(OutboxMessage))
        session.add(OutboxMessage(kind="webhook", event_type="x", created_at=hour_ago))
        session.add(OutboxMessage(kind="webhook", event_type="x"))
        session.add(OutboxMessage(kind="email", event_type="x", status="dead"))
        session.add(OutboxMessage(kind="email", event_type="x", status="sent"))
    assert on_time["state"] == "submitted"
    parsed = scrape(scraper)
    assert value(parsed, "loket_database_up") == 1
    assert value(parsed, "loket_cases_overdue", department="DINASA") == 1
    assert ("loket_cases_overdue", frozenset({("department", "DINASB")})) in parsed
    assert value(parsed, "loket_outbox_pending_messages", kind="webhook") == 2
    assert value(parsed, "loket_outbox_pending_messages", kind="email") == 0
    assert value(parsed, "loket_outbox_dead_messages", kind="email") == 1
    age = value(parsed, "loket_outbox_oldest_pending_age_seconds")
    assert 3500 < age < 3700


# --- a real server ---------------------------------------------------------------------------


def _scrape_real(port: int, headers=()) -> tuple[int, str]:
    answer = exchange(port, request("/metrics", list(headers)))
    return status(answer), answer.partition(b"\r\n\r\n")[2].decode()


def _serving_pids(metrics_dir) -> set[str]:
    """The worker processes that have answered a measured request."""
    return {
        match.group(1)
        for path in metrics_dir.glob("histogram_*.db")
        if (match := re.match(r"histogram_(\d+)\.db", path.name))
    }


def test_two_workers_add_up_and_only_loopback_reads_without_a_token(tmp_path):
    data = tmp_path / "data"
    # Each worker imports the app on its own: slow when the machine is shared.
    with loket_serve(data, workers=2, start_seconds=240, LOKET_METRICS_TOKEN=TOKEN) as port:
        sent, deadline = 0, time.monotonic() + 240
        # Until both workers have answered some (the second may still be starting).
        while sent < 40 or len(_serving_pids(data / "metrics")) < 2:
            assert time.monotonic() < deadline, "the second worker never answered"
            assert status(exchange(port, request("/api/v1/services"))) == 200
            sent += 1
        code, text = _scrape_real(port)
        assert code == 200
        parsed = samples(text)
        labels = {"method": "GET", "route": "/api/v1/services", "status": "200"}
        # A scrape reaches one worker; the requests both workers answered are all in it.
        assert value(parsed, "loket_http_request_duration_seconds_count", **labels) == sent
        assert value(parsed, "loket_db_pool_connections_max") == 2 * 5  # SQLite's pool, twice
        # A proxy on this machine forwarding someone else's request: not loopback.
        forwarded = [("X-Forwarded-For", "203.0.113.9")]
        assert _scrape_real(port, forwarded)[0] == 404
        assert _scrape_real(port, [*forwarded, ("Authorization", f"Bearer {TOKEN}")])[0] == 200


def test_the_dashboard_and_alerts_use_only_metrics_that_exist(scraper):
    """deploy/'s Grafana dashboard and alert rules name the series /metrics exposes."""
    world = World(runtime=scraper.app.state.runtime, client=scraper)
    world.create(world.user("citizen"))  # one request series at least
    exposed = {name for name, _ in scrape(scraper)}
    deploy = Path(__file__).resolve().parents[2] / "deploy"
    dashboard = json.loads((deploy / "grafana" / "loket-dashboard.json").read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    rules = yaml.safe_load((deploy / "prometheus" / "loket-alerts.yml").read_text())
    expressions += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in expressions for name in re.findall(r"\bloket_\w+", expr)}
    assert len(used) >= 10
    assert used <= exposed, used - exposed
