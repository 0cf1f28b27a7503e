"""The OpenAPI document against the app: schemathesis generates requests for every operation
(valid and invalid ones, the documented examples, boundary values and unsupported methods) and
checks every answer against the document: no server error, a documented status, content type,
headers and body shape, valid input accepted, invalid input refused, a 405 naming the methods.

Generation is derandomised and bounded (about a minute per database on the reference machine):
the same cases on every run, so a finding is a change in the app or the document, not luck.
"""

from __future__ import annotations

import re
import socket
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    negative_data_rejection,
    positive_data_acceptance,
)

from app.db import transaction
from app.main import create_app
from app.oauth.clients import CLIENT_SCOPES, create_client
from tests.conftest import _test_settings


def _document() -> dict:
    """The document as the app serves it; building the app needs a runtime, never a query."""
    directory = Path(tempfile.mkdtemp(prefix="loket-openapi-"))
    app = create_app(_test_settings(directory, f"sqlite:///{directory / 'unused.db'}"))
    return app.openapi()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)

# Checks that cannot judge an operation from its document, and why; every other check, and
# these checks everywhere else, still run.
#
# "Valid input is accepted": an application's data is checked against its service's form and
# the service must exist in the catalogue (data, not schema); the statistics' ranges relate two
# parameters and today's date (from <= to, at most 10 years); a webhook URL is acceptable only
# if its host resolves to public addresses.
_DATA_NOT_SCHEMA = [positive_data_acceptance]
NOT_JUDGED_BY_THE_DOCUMENT = {
    ("POST", "/api/v1/applications"): _DATA_NOT_SCHEMA,
    ("PATCH", "/api/v1/applications/{application_id}"): _DATA_NOT_SCHEMA,
    ("GET", "/api/v1/stats/services"): _DATA_NOT_SCHEMA,
    ("GET", "/api/v1/stats/departments"): _DATA_NOT_SCHEMA,
    ("GET", "/api/v1/stats/complaints"): _DATA_NOT_SCHEMA,
    ("GET", "/api/v1/stats/timeseries"): _DATA_NOT_SCHEMA,
    ("POST", "/api/v1/webhooks"): _DATA_NOT_SCHEMA,
    # A report's category and kelurahan come from the catalogue and the Kemendagri data, a
    # point must lie in Jakarta, and a report needs a point or a kelurahan (two fields).
    ("POST", "/api/v1/complaints"): _DATA_NOT_SCHEMA,
    ("GET", "/api/v1/complaints"): _DATA_NOT_SCHEMA,
    ("GET", "/api/v1/complaints/duplicates"): _DATA_NOT_SCHEMA,
    ("GET", "/api/v1/public/complaints"): _DATA_NOT_SCHEMA,
    ("POST", "/api/v1/complaints/{reference}/follow"): _DATA_NOT_SCHEMA,
    ("POST", "/api/v1/complaints/{complaint_id}/photos"): [negative_data_rejection],
    # Certificate numbers hold slashes, so GET /certificates/{number} also serves the path
    # .../revoke (as the number "X/revoke"): a 405's Allow there truthfully names GET, which
    # the document, whose path parameters cannot span segments, cannot show.
    ("POST", "/api/v1/certificates/{number}/revoke"): [allow_header_conformance],
    # "Invalid input is refused": the upload's only field is a file, and a multipart part is
    # bytes whatever JSON type the generator meant, so every "invalid" file arrives as a file.
    ("POST", "/api/v1/verify"): [negative_data_rejection],
}


@schema.hook
def map_case(context, case):
    # A cursor is whatever the previous page's next_cursor was: a schema cannot describe which
    # strings the server issued, so valid cases leave it out (invalid ones still send one).
    if case.meta and case.meta.generation.mode.is_positive and case.query:
        case.query.pop("cursor", None)
    return case


@pytest.fixture
def tokens(world) -> dict[str, dict[str, str]]:
    """Who calls which area: a resident, an officer (who may revoke), a machine client."""
    citizen = world.user("citizen")
    officer = world.user("officer")
    with transaction(world.runtime.engine) as session:
        machine = create_client(
            session, passwords=world.runtime.passwords, name="Uji", scopes=sorted(CLIENT_SCOPES)
        ).client
    world.create(citizen)  # the resident's list is not empty
    token, _ = world.runtime.tokens.issue_access_token(
        subject=machine.client_id, client_id=machine.client_id, scopes=sorted(CLIENT_SCOPES)
    )
    return {
        "citizen": world.headers(citizen),
        "officer": world.headers(officer),
        "client": {"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    }


def caller_for(path: str) -> str:
    if path.startswith("/api/v1/webhooks"):
        return "client"
    if path.endswith("/revoke") and path.startswith("/api/v1/certificates"):
        return "officer"
    return "citizen"


@schema.parametrize()
@settings(
    max_examples=75,
    derandomize=True,
    database=None,
    deadline=None,
    # One database per operation (the app fixture), shared by its examples on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_as_its_document_says(case, app, tokens, monkeypatch):
    # Webhook URLs are resolved when subscribing: every host is public, and no query leaves.
    monkeypatch.setattr(socket, "getaddrinfo", _public_address)
    headers = tokens[caller_for(case.operation.path)] if case.operation.security else {}
    key = (case.operation.method.upper(), case.operation.path)
    excluded = NOT_JUDGED_BY_THE_DOCUMENT.get(key, [])
    case.call_and_validate(app=app, headers=headers, excluded_checks=excluded)


HOST_NAME = re.compile(r"[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*")


def _public_address(host, port, *args, **kwargs):
    """A resolver that knows every well-formed host name, as a public address."""
    if not isinstance(host, str) or not HOST_NAME.fullmatch(host):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port or 443))]


def test_every_error_is_documented_as_problem_json_or_an_oauth_error():
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if not code.startswith(("4", "5")) or code == "503" and path == "/readyz":
                    continue
                media = next(iter(response.get("content", {})), None)
                expected = "application/json" if path.startswith("/oauth/") else None
                assert media in ("application/problem+json", expected), (method, path, code)
    assert "HTTPValidationError" not in DOCUMENT["components"]["schemas"]
