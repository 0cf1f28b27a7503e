"""Structured logs: one parsable line per request and per job run, with the request id in the
answer, and no personal data or secret in any line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from app import logs
from app.jobs import Job, run_job

NIK = "3171015503900002"
EMAIL = "siti.rahma@example.id"
PASSWORD = "rahasia-panjang-sekali"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    yield from captured_logs()


def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged at info and above while the test runs, as Loket's JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def request_lines(stream: io.StringIO) -> list[dict]:
    return [line for line in parsed(stream) if line["logger"] == "loket.requests"]


def test_each_request_logs_one_json_line_with_its_route_status_actor_and_id(world, log_lines):
    citizen = world.user()
    created = world.create(citizen)
    missing = world.client.get(
        "/api/v1/applications/00000000-0000-0000-0000-000000000000",
        headers=world.headers(citizen),
    )
    unauthenticated = world.client.get("/api/v1/applications")

    lines = request_lines(log_lines)
    assert [(line["method"], line["route"], line["status"]) for line in lines] == [
        ("POST", "/api/v1/applications", 201),
        ("GET", "/api/v1/applications/{application_id}", 404),
        ("GET", "/api/v1/applications", 401),
    ]
    assert lines[0]["actor_id"] == lines[1]["actor_id"] == str(citizen.id)
    assert lines[2]["actor_id"] is None
    for line in lines:
        assert line["time"].endswith("Z") and line["level"] == "info"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    # The same id in the line, the response header and the problem+json body.
    assert missing.headers["x-request-id"] == lines[1]["request_id"]
    assert missing.json()["request_id"] == lines[1]["request_id"]
    assert unauthenticated.json()["request_id"] == lines[2]["request_id"]
    assert len({line["request_id"] for line in lines}) == 3
    assert created["id"] not in log_lines.getvalue()  # the template, never the path


def test_a_sane_incoming_request_id_is_kept_and_any_other_replaced(client, log_lines):
    kept = client.get("/api/v1/services", headers={"X-Request-ID": "proxy-1234abcd"})
    replaced = client.get("/api/v1/services", headers={"X-Request-ID": "a b<script>"})
    assert kept.headers["x-request-id"] == "proxy-1234abcd"
    assert replaced.headers["x-request-id"] not in ("", "a b<script>")
    assert [line["request_id"] for line in request_lines(log_lines)] == [
        "proxy-1234abcd",
        replaced.headers["x-request-id"],
    ]


def test_a_server_error_is_logged_with_its_id_and_answered_with_it(app, client, log_lines):
    def boom() -> None:
        raise RuntimeError(f"failed for {NIK} <{EMAIL}>")

    app.add_api_route("/api/v1/boom", boom, methods=["GET"])
    response = client.get("/api/v1/boom")
    assert response.status_code == 500
    request_id = response.json()["request_id"]
    assert response.headers["x-request-id"] == request_id
    lines = parsed(log_lines)
    failure = next(line for line in lines if line["logger"] == "loket")
    assert failure["level"] == "error" and failure["request_id"] == request_id
    assert "RuntimeError" in failure["exception"]
    (line,) = request_lines(log_lines)
    assert (line["route"], line["status"], line["level"]) == ("/api/v1/boom", 500, "error")
    assert NIK not in log_lines.getvalue() and EMAIL not in log_lines.getvalue()


def test_no_nik_password_token_or_email_reaches_the_log(world, log_lines):
    citizen = world.user()
    headers = world.headers(citizen)
    token = headers["Authorization"].removeprefix("Bearer ")
    registered = world.client.post(
        f"/api/v1/auth/register?nik={NIK}&email={EMAIL}",
        json={"email": EMAIL, "password": PASSWORD, "full_name": "Siti Rahma", "nik": NIK},
    )
    assert registered.status_code == 201, registered.text
    world.client.get(f"/api/v1/applications?nik={NIK}", headers=headers)
    world.client.post(
        "/api/v1/applications",
        json={"service_code": "SIMPLE", "data": {"nik": NIK}, "password": PASSWORD},
        headers=headers,
    )
    # And whatever else logs them, a message or an exception's text, the output has none.
    logging.getLogger("loket").warning(
        "odd input nik=%s password=%s from %s with Authorization: Bearer %s",
        NIK,
        PASSWORD,
        EMAIL,
        token,
    )
    text = log_lines.getvalue()
    assert len(request_lines(log_lines)) == 3
    for secret in (NIK, PASSWORD, EMAIL, token, token[:40]):
        assert secret not in text
    assert "[redacted]" in text


@pytest.mark.parametrize(
    "text",
    [
        f"nik {NIK} here",
        f'{{"nik": "{NIK}"}}',
        f"mail {EMAIL}",
        "Authorization: Bearer abc.DEF-123_x",
        "token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln",
        f"password={PASSWORD}&x=1",
        f'{{"password": "{PASSWORD}"}}',
    ],
)
def test_the_redaction_rule(text):
    redacted = logs.redact(text)
    assert logs.REDACTED in redacted
    for secret in (NIK, EMAIL, PASSWORD, "abc.DEF-123_x", "eyJzdWIiOiIxIn0"):
        assert secret not in redacted


def test_ids_and_times_are_not_mistaken_for_niks():
    line = "request_id=9f1234567890123456789abcdef01234 time=2026-12-03T14:43:37.123Z"
    assert logs.redact(line) == line


def test_a_job_run_logs_one_line_like_a_request(log_lines):
    def broken() -> None:
        raise ConnectionError(f"database gone while mailing {EMAIL}")

    run_job(Job("certificate files", 60, lambda: 3))
    run_job(Job("deadline sweep", 60, broken))
    done, failed = [line for line in parsed(log_lines) if line["logger"] == "loket.jobs"]
    assert (done["job"], done["status"], done["items"]) == ("certificate files", "ok", 3)
    assert (failed["job"], failed["status"], failed["level"]) == (
        "deadline sweep",
        "failed",
        "error",
    )
    assert "ConnectionError" in failed["exception"] and EMAIL not in failed["exception"]
    assert done["request_id"] != failed["request_id"]
    assert all(line["duration_ms"] >= 0 for line in (done, failed))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_format_is_text_on_a_terminal_and_json_otherwise():
    assert logs.resolve_format("auto", _Terminal()) == "text"
    assert logs.resolve_format("auto", io.StringIO()) == "json"
    assert logs.resolve_format("text", io.StringIO()) == "text"
    record = logging.LogRecord("loket.requests", logging.INFO, "", 0, "GET %s", ("/x",), None)
    record.status = 200
    assert logs.TextFormatter().format(record).endswith("INFO    loket.requests GET /x status=200")
