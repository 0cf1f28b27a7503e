"""Bad input never gives a 500: every refusal is a 4xx the client can act on, and changes nothing.

API errors are ``application/problem+json`` (RFC 9457) with ``status`` and ``title``, and name the
field in ``errors[].field`` where there is one. The token endpoint answers in RFC 6749's own
``{"error": ...}`` format instead. After a refused write, the application, its timeline, its
documents, the stored files and the accounts are exactly as before.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pikepdf
import pytest
from PIL import Image
from sqlmodel import select

from app.main import BODY_MARGIN_BYTES
from app.models import User
from tests.factories import PASSWORD, World, pdf_bytes

PROBLEM_JSON = "application/problem+json"
BIG = "x" * 100_000
# httpx refuses URLs over 64 KiB, so oversize query values stay just below that.
BIG_QUERY = "x" * 60_000
NUL = "\u0000"
NEW_NIK = "3273015506900007"  # West Java, a woman born 15-06-1990: not one the factories make


def assert_problem(
    response, status: int, *, field: str | None = None, slug: str | None = None
) -> dict:
    """The response is a problem+json with this status (and field / type, when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    if field is not None:
        assert field in [error["field"] for error in body.get("errors", [])], body
    if slug is not None:
        assert body["type"] == f"urn:loket:problem:{slug}"
    return body


def without_language(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != "accept-language"}


# --- a citizen with a draft, and a way to see that nothing changed -----------------------------


@dataclass
class Draft:
    world: World
    citizen: User
    application: dict
    db: object

    @property
    def client(self):
        return self.world.client

    @property
    def base(self) -> str:
        return f"/api/v1/applications/{self.application['id']}"

    @property
    def headers(self) -> dict[str, str]:
        return self.world.headers(self.citizen)

    @property
    def version(self) -> int:
        return self.world.get(self.application["id"], self.citizen)["version"]

    @contextmanager
    def nothing_changes(self) -> Iterator[None]:
        """Around a refused request: afterwards, everything is as it was."""
        before = self.everything()
        yield
        assert self.everything() == before

    def everything(self) -> dict:
        """All a refused request could have touched: the draft, the citizen's list, files, users."""
        current = self.world.get(self.application["id"], self.citizen)
        events = self.client.get(f"{self.base}/events", headers=self.headers).json()["items"]
        documents = self.client.get(f"{self.base}/documents", headers=self.headers).json()
        listed = self.client.get("/api/v1/applications", headers=self.headers).json()
        root = self.world.runtime.files.root
        with self.db() as session:
            emails = sorted(session.exec(select(User.email)).all())
        return {
            "application": {k: current[k] for k in ("version", "state", "data", "updated_at")},
            "events": [event["hash"] for event in events],
            "documents": [(d["id"], d["is_current"]) for d in documents["items"]],
            "applications": [item["id"] for item in listed["items"]],
            "files": sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()),
            "users": emails,
        }


@pytest.fixture
def draft(world, db) -> Draft:
    citizen = world.user("citizen")
    application = world.create(citizen)
    assert world.upload(citizen, application).status_code == 201
    return Draft(world, citizen, application, db)


# --- JSON bodies --------------------------------------------------------------------------------


def valid_body(draft: Draft, endpoint: str) -> dict:
    return {
        "register": {
            "email": "warga.baru@example.id",
            "password": "kata-sandi-baru-sekali",
            "full_name": "Budi Santoso",
            "nik": NEW_NIK,
        },
        "create": {
            "service_code": "SIMPLE",
            "data": {"business_name": "Toko Baru", "employees": 2},
        },
        "update": {"data": {"employees": 4}, "version": draft.version},
        "transition": {"action": "withdraw", "comment": "Tidak jadi", "version": draft.version},
    }[endpoint]


def send(draft: Draft, endpoint: str, *, body=None, content: bytes | None = None, lang: str = "en"):
    method, url = {
        "register": ("POST", "/api/v1/auth/register"),
        "create": ("POST", "/api/v1/applications"),
        "update": ("PATCH", draft.base),
        "transition": ("POST", f"{draft.base}/transitions"),
    }[endpoint]
    headers = {**draft.world.headers(draft.citizen, lang=lang), "Content-Type": "application/json"}
    if endpoint == "register":
        headers = {"Content-Type": "application/json", "Accept-Language": lang}
    if content is None:
        content = json.dumps(body).encode()
    return draft.client.request(method, url, content=content, headers=headers)


def with_changes(body: dict, changes: dict) -> dict:
    """``body`` with ``changes`` applied; a key ``data.x`` sets one form field."""
    result = {**body, "data": dict(body.get("data", {}))} if "data" in body else dict(body)
    for key, value in changes.items():
        if key.startswith("data."):
            result["data"][key.removeprefix("data.")] = value
        else:
            result[key] = value
    return result


JSON_ENDPOINTS = ("register", "create", "update", "transition")
NOT_AN_OBJECT = {
    "malformed": (b'{"version": 1,', 400, "malformed-json"),
    "truncated-string": (b'{"action": "subm', 400, "malformed-json"),
    "array": (b'[{"version": 1}]', 422, "validation-failed"),
    "string": (b'"hello"', 422, "validation-failed"),
    "number": (b"42", 422, "validation-failed"),
    "null": (b"null", 422, "validation-failed"),
    "empty": (b"", 422, "validation-failed"),
    "invalid-utf8": (b'{"action": "\xff\xfe"}', 400, None),
    "deeply-nested": (b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, None),
}


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@pytest.mark.parametrize("kind", NOT_AN_OBJECT)
def test_body_that_is_not_a_json_object(draft, endpoint, kind):
    content, status, slug = NOT_AN_OBJECT[kind]
    with draft.nothing_changes():
        assert_problem(send(draft, endpoint, content=content), status, slug=slug)


# A fixed id that no row has: parameters must be the same in every pytest-xdist worker, which
# collects the tests on its own (a fresh uuid4() per collection would differ).
NOBODYS_ID = "00000000-0000-4000-8000-00000000dead"

UNKNOWN_FIELDS = [
    ("create", {"state": "approved"}, "state"),
    ("create", {"applicant_id": NOBODYS_ID}, "applicant_id"),
    ("create", {"data.approved": True}, "data.approved"),
    ("update", {"state": "approved"}, "state"),
    ("update", {"data.reference": "SIMPLE-2020-000001"}, "data.reference"),
    ("transition", {"to_state": "approved"}, "to_state"),
    ("register", {"role": "admin"}, "role"),
    ("register", {"is_active": True}, "is_active"),
]
NUL_BYTES = [
    ("register", {"full_name": f"Budi{NUL}Santoso"}, "full_name"),
    ("register", {"nik": NEW_NIK[:8] + NUL + NEW_NIK[9:]}, "nik"),
    ("register", {"phone": f"0812{NUL}3456"}, "phone"),
    ("register", {"password": f"kata-sandi{NUL}-baru"}, "password"),
    ("create", {"service_code": f"SIM{NUL}PLE"}, "service_code"),
    ("create", {"data.business_name": f"Toko{NUL}Baru"}, "data.business_name"),
    ("create", {"data": {f"business{NUL}name": "Toko Baru"}}, None),
    ("update", {"data.business_name": f"Toko{NUL}Baru"}, "data.business_name"),
    ("transition", {"comment": f"Tidak{NUL}jadi"}, "comment"),
    ("transition", {"action": f"with{NUL}draw"}, "action"),
]
OVERSIZE = [
    ("register", {"full_name": BIG}, "full_name"),
    ("register", {"password": BIG}, "password"),
    ("register", {"email": BIG + "@example.id"}, "email"),
    ("register", {"nik": BIG}, "nik"),
    ("register", {"phone": BIG}, "phone"),
    ("create", {"service_code": BIG}, "service_code"),
    ("create", {"data.business_name": BIG}, "data.business_name"),
    ("create", {"data": {BIG: 1}}, None),
    ("update", {"data.business_name": BIG}, "data.business_name"),
    ("transition", {"comment": BIG}, "comment"),
    ("transition", {"action": BIG}, "action"),
]
WRONG_TYPES = [
    *[
        (endpoint, {"version": value}, "version")
        for endpoint in ("update", "transition")
        for value in ("1", True, 1.5, None, "one", [1], {"v": 1}, 0, -1)
    ],
    ("create", {"service_code": 5}, "service_code"),
    ("create", {"service_code": None}, "service_code"),
    ("create", {"data": ["Toko Baru"]}, "data"),
    ("create", {"data": "Toko Baru"}, "data"),
    ("create", {"applicant_email": "not-an-email"}, "applicant_email"),
    ("update", {"data": None}, "data"),
    ("update", {"data.employees": "3"}, "data.employees"),
    ("update", {"data.employees": True}, "data.employees"),
    ("update", {"data.employees": 2.5}, "data.employees"),
    ("update", {"data.employees": 10**30}, "data.employees"),
    ("update", {"data.employees": 0}, "data.employees"),
    ("update", {"data.business_name": 42}, "data.business_name"),
    ("update", {"data.business_name": {"nested": "object"}}, "data.business_name"),
    ("update", {"data.opened_on": "2024-02-30"}, "data.opened_on"),
    ("transition", {"comment": 5}, "comment"),
    ("transition", {"action": None}, "action"),
    ("transition", {"action": ""}, "action"),
    ("register", {"email": None}, "email"),
    ("register", {"full_name": ["Budi"]}, "full_name"),
]
FIELD_CASES = {
    "unknown": UNKNOWN_FIELDS,
    "nul": NUL_BYTES,
    "oversize": OVERSIZE,
    "wrong-type": WRONG_TYPES,
}


def field_case_id(case) -> str:
    endpoint, changes, _ = case
    key, value = next(iter(changes.items()))
    shown = repr(value)[:20].replace(NUL, "NUL").replace("\\x00", "NUL")
    return f"{endpoint}-{key[:20]}={shown}"


@pytest.mark.parametrize(
    "case",
    [(kind, case) for kind, cases in FIELD_CASES.items() for case in cases],
    ids=lambda c: f"{c[0]}-{field_case_id(c[1])}",
)
def test_bad_field_is_named(draft, case):
    _, (endpoint, changes, field) = case
    body = with_changes(valid_body(draft, endpoint), changes)
    with draft.nothing_changes():
        problem = assert_problem(send(draft, endpoint, body=body), 422)
    if field is None:  # the key itself is bad: any field under data, as long as it is named
        assert all(error["field"].startswith("data") for error in problem["errors"])
    else:
        assert field in [error["field"] for error in problem["errors"]], problem


@pytest.mark.parametrize("endpoint", ["create", "update"])
def test_unencodable_form_field_name_is_refused_not_a_500(draft, endpoint):
    # A lone surrogate is valid JSON ("\udfff") but cannot be written back out as UTF-8.
    body = valid_body(draft, endpoint)
    content = json.dumps(body).replace('"data": {', '"data": {"\\udfff": 1, ', 1).encode()
    with draft.nothing_changes():
        problem = assert_problem(send(draft, endpoint, content=content), 422)
    assert all(error["field"].startswith("data") for error in problem["errors"])


@pytest.mark.parametrize("code", ["NOPE", "simple-", "", "   ", "OTHER;DROP"])
def test_unknown_service_code_is_named(draft, code):
    body = {"service_code": code, "data": {}}
    with draft.nothing_changes():
        assert_problem(send(draft, "create", body=body), 422, field="service_code")


# --- path ids -----------------------------------------------------------------------------------

APPLICATION_ROUTES = [
    ("GET", ""),
    ("PATCH", ""),
    ("GET", "/actions"),
    ("POST", "/transitions"),
    ("GET", "/events"),
    ("POST", "/documents"),
    ("GET", "/documents"),
    ("GET", f"/documents/{NOBODYS_ID}"),
]


def request_body(method: str, suffix: str) -> dict:
    if method == "PATCH":
        return {"json": {"data": {"employees": 4}, "version": 1}}
    if suffix == "/transitions":
        return {"json": {"action": "withdraw", "version": 1}}
    if method == "POST":
        return {
            "data": {"requirement": "ktp"},
            "files": {"file": ("ktp.pdf", pdf_bytes(), "application/pdf")},
        }
    return {}


@pytest.mark.parametrize(("method", "suffix"), APPLICATION_ROUTES)
@pytest.mark.parametrize(
    "bad_id", ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g", "%00", "%FF", "x" * 5000]
)
def test_non_uuid_application_id_is_422(draft, method, suffix, bad_id):
    with draft.nothing_changes():
        response = draft.client.request(
            method,
            f"/api/v1/applications/{bad_id}{suffix}",
            headers=draft.headers,
            **request_body(method, suffix),
        )
        assert_problem(response, 422, field="application_id")


@pytest.mark.parametrize(("method", "suffix"), APPLICATION_ROUTES)
def test_unknown_application_is_404(draft, method, suffix):
    with draft.nothing_changes():
        response = draft.client.request(
            method,
            f"/api/v1/applications/{uuid.uuid4()}{suffix}",
            headers=draft.headers,
            **request_body(method, suffix),
        )
        assert_problem(response, 404)


def test_non_uuid_document_id_is_422(draft):
    response = draft.client.get(f"{draft.base}/documents/ktp.pdf", headers=draft.headers)
    assert_problem(response, 422, field="document_id")


def test_unknown_document_is_404(draft):
    response = draft.client.get(f"{draft.base}/documents/{uuid.uuid4()}", headers=draft.headers)
    assert_problem(response, 404)


def test_document_of_another_application_is_404(draft):
    other = draft.world.create(draft.citizen)
    uploaded = draft.world.upload(draft.citizen, other).json()
    response = draft.client.get(f"{draft.base}/documents/{uploaded['id']}", headers=draft.headers)
    assert_problem(response, 404)


# --- list filters -------------------------------------------------------------------------------


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_QUERIES = [
    ({"q": f"Budi{NUL}"}, "q"),
    ({"service": f"SIMPLE{NUL}"}, "service"),
    ({"state": f"draft{NUL}"}, "state"),
    ({"cursor": f"abc{NUL}"}, "cursor"),
    ({"assigned": f"me{NUL}"}, "assigned"),
    ({"q": BIG_QUERY}, "q"),
    ({"service": BIG_QUERY}, "service"),
    ({"state": BIG_QUERY}, "state"),
    ({"cursor": BIG_QUERY}, "cursor"),
    ({"cursor": "!!!"}, "cursor"),
    ({"cursor": b64("not a cursor")}, "cursor"),
    ({"cursor": b64(f"2024-01-01T00:00:00|{NOBODYS_ID}")}, "cursor"),  # no time zone
    ({"cursor": b64("2024-01-01T00:00:00+00:00|not-a-uuid")}, "cursor"),
    ({"cursor": "gA"}, "cursor"),  # decodes to a byte that is not UTF-8
    ({"state": "flying"}, "state"),
    ({"state": "draft,flying"}, "state"),
    ({"limit": 0}, "limit"),
    ({"limit": 1000}, "limit"),
    ({"limit": -1}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"limit": 2**70}, "limit"),
    ({"assigned": "someone"}, "assigned"),
    ({"overdue": "maybe"}, "overdue"),
]


@pytest.mark.parametrize(
    ("params", "field"),
    BAD_QUERIES,
    ids=[f"{next(iter(p))}={str(next(iter(p.values())))[:12]!r}" for p, _ in BAD_QUERIES],
)
def test_bad_list_filter_is_named(draft, params, field):
    response = draft.client.get("/api/v1/applications", params=params, headers=draft.headers)
    assert_problem(response, 422, field=field)


@pytest.mark.parametrize("q", ["%", "_", "\\", "' OR 1=1 --", "ü", "   ", "SIMPLE-%"])
def test_odd_search_text_is_just_text(draft, q):
    response = draft.client.get("/api/v1/applications", params={"q": q}, headers=draft.headers)
    assert response.status_code == 200, response.text
    assert {item["id"] for item in response.json()["items"]} <= {draft.application["id"]}


@pytest.mark.parametrize("code", ["SIM%00PLE", "x" * 5000, "%FF", "NOPE"])
def test_bad_service_code_in_catalogue_path(client, world, code):
    response = client.get(f"/api/v1/services/{code}")
    assert response.status_code in (404, 422), response.text
    assert_problem(response, response.status_code)


def test_unknown_route_and_method_are_problems(draft):
    assert_problem(draft.client.get("/api/v1/nothing-here", headers=draft.headers), 404)
    assert_problem(draft.client.put(draft.base, headers=draft.headers, json={}), 405)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        # Two routes share each of these paths: Starlette's 405 named only the first one's.
        ("{base}", "GET, PATCH"),
        ("/api/v1/applications", "GET, POST"),
        ("/api/v1/webhooks", "GET, POST"),
        ("/login", "GET, POST"),  # a page: the error page carries Allow too
    ],
)
def test_a_405_names_every_method_of_the_path(draft, path, allowed):
    response = draft.client.delete(path.format(base=draft.base), headers=draft.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed


def test_a_version_may_be_written_as_an_integral_number(draft):
    """JSON Schema counts 1.0 as an integer (the document says integer): it is the version 1."""
    response = draft.client.patch(
        draft.base,
        headers=draft.headers,
        json={"data": {"business_name": "Toko Baru"}, "version": float(draft.version)},
    )
    assert response.status_code == 200, response.text


# --- workflow conflicts -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["approve", "resubmit", "start_review", "fly", "revoke"])
def test_action_not_allowed_in_draft_is_409(draft, action):
    with draft.nothing_changes():
        response = draft.client.post(
            f"{draft.base}/transitions",
            headers=draft.headers,
            json={"action": action, "version": draft.version},
        )
        assert_problem(response, 409, slug="invalid-transition")


@pytest.mark.parametrize("offset", [1, -1, 1000])
def test_stale_version_is_409(draft, offset):
    updated = draft.client.patch(
        draft.base, headers=draft.headers, json={"data": {"employees": 5}, "version": draft.version}
    )
    assert updated.status_code == 200, updated.text
    stale = draft.version + offset
    with draft.nothing_changes():
        for method, suffix, body in (
            ("PATCH", "", {"data": {"employees": 9}, "version": stale}),
            ("POST", "/transitions", {"action": "submit", "version": stale}),
        ):
            response = draft.client.request(
                method, draft.base + suffix, headers=draft.headers, json=body
            )
            assert_problem(response, 409, slug="stale-version")


def test_edits_after_submit_are_409(draft):
    submitted = draft.world.act(draft.citizen, draft.application, "submit")
    assert submitted.status_code == 200, submitted.text
    version = submitted.json()["version"]
    with draft.nothing_changes():
        attempts = [
            draft.client.patch(
                draft.base,
                headers=draft.headers,
                json={"data": {"employees": 9}, "version": version},
            ),
            draft.world.upload(draft.citizen, draft.application),
            draft.client.post(
                f"{draft.base}/transitions",
                headers=draft.headers,
                json={"action": "submit", "version": version},
            ),
        ]
        for response in attempts:
            assert_problem(response, 409, slug="invalid-transition")


# --- uploads ------------------------------------------------------------------------------------


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


ONE_MIB = 1024 * 1024
BAD_UPLOADS = {
    # name: (service, form fields, file or None, status, field)
    "unknown-requirement": (
        "SIMPLE",
        {"requirement": "paspor"},
        ("a.pdf", pdf_bytes()),
        422,
        "requirement",
    ),
    "nul-requirement": (
        "SIMPLE",
        {"requirement": f"ktp{NUL}"},
        ("a.pdf", pdf_bytes()),
        422,
        "requirement",
    ),
    "oversize-requirement": (
        "SIMPLE",
        {"requirement": BIG},
        ("a.pdf", pdf_bytes()),
        422,
        "requirement",
    ),
    "missing-requirement": ("SIMPLE", {}, ("a.pdf", pdf_bytes()), 422, "requirement"),
    "missing-file": ("SIMPLE", {"requirement": "ktp"}, None, 422, "file"),
    "empty-file": ("SIMPLE", {"requirement": "ktp"}, ("a.pdf", b""), 422, "file"),
    "png-where-only-pdf": ("TWO", {"requirement": "ktp"}, ("ktp.pdf", png_bytes()), 415, None),
    "pdf-where-only-images": (
        "SIMPLE",
        {"requirement": "foto"},
        ("foto.png", pdf_bytes()),
        415,
        None,
    ),
    "text-named-pdf": ("SIMPLE", {"requirement": "ktp"}, ("ktp.pdf", b"hello, world\n"), 415, None),
    "pdf-with-javascript": (
        "SIMPLE",
        {"requirement": "ktp"},
        ("ktp.pdf", pdf_with_javascript()),
        415,
        None,
    ),
    "truncated-pdf": ("SIMPLE", {"requirement": "ktp"}, ("ktp.pdf", pdf_bytes()[:200]), 415, None),
    "over-requirement-max-bytes": (
        "SIMPLE",
        {"requirement": "ktp"},
        ("ktp.pdf", b"%PDF-1.7\n" + b"0" * ONE_MIB),
        413,
        None,
    ),
}


@pytest.fixture
def two_level_draft(world, db) -> Draft:
    citizen = world.user("citizen")
    return Draft(world, citizen, world.create(citizen, "TWO", data={"business_name": "Toko"}), db)


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_bad_upload_is_refused_and_nothing_is_stored(draft, two_level_draft, case):
    service, form, file, status, field = BAD_UPLOADS[case]
    target = draft if service == "SIMPLE" else two_level_draft
    files = {"file": (file[0], file[1], "application/pdf")} if file else None
    with target.nothing_changes():
        response = target.client.post(
            f"{target.base}/documents", headers=target.headers, data=form, files=files
        )
        assert_problem(response, status, field=field)


def test_upload_that_is_not_multipart_is_422(draft):
    with draft.nothing_changes():
        response = draft.client.post(
            f"{draft.base}/documents",
            headers=draft.headers,
            json={"requirement": "ktp", "file": "JVBERi0xLjcK"},
        )
        assert_problem(response, 422, field="file")


@pytest.mark.parametrize("endpoint", ["upload", "create"])
def test_body_over_the_global_cap_is_413(draft, endpoint):
    cap = draft.world.runtime.settings.max_upload_bytes + BODY_MARGIN_BYTES
    with draft.nothing_changes():
        if endpoint == "upload":
            response = draft.client.post(
                f"{draft.base}/documents",
                headers=draft.headers,
                data={"requirement": "ktp"},
                files={"file": ("ktp.pdf", b"%PDF-1.7\n" + b"0" * cap, "application/pdf")},
            )
        else:
            response = send(
                draft,
                "create",
                body={"service_code": "SIMPLE", "data": {"business_name": "x" * cap}},
            )
        body = assert_problem(response, 413, slug="payload-too-large")
        assert "MB" in body["detail"]


# --- registration -------------------------------------------------------------------------------


REGISTRATION_REFUSALS = [
    ({"nik": "12345"}, "nik"),
    ({"nik": "32730155069000AB"}, "nik"),
    ({"nik": "9973015506900007"}, "nik"),  # no province 99
    ({"nik": "3273013213900007"}, "nik"),  # born on the 32nd
    ({"nik": "3273015506900000"}, "nik"),  # serial 0000
    ({"nik": "٣٢٧٣٠١٥٥٠٦٩٠٠٠٠٧"}, "nik"),  # Arabic-Indic digits
    ({"password": "pendek"}, "password"),
    ({"password": "password123"}, "password"),
    ({"password": "PASSWORD"}, "password"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "budi@"}, "email"),
    ({"email": "@example.id"}, "email"),
    ({"email": "budi@@example.id"}, "email"),
    ({"full_name": "B"}, "full_name"),
    ({"language": "fr"}, "language"),
]


@pytest.mark.parametrize(
    ("changes", "field"),
    REGISTRATION_REFUSALS,
    ids=[f"{k}={v!r}" for c, _ in REGISTRATION_REFUSALS for k, v in c.items()],
)
def test_registration_refusal_names_the_field_and_creates_no_account(draft, changes, field):
    good = valid_body(draft, "register")
    with draft.nothing_changes():
        assert_problem(send(draft, "register", body={**good, **changes}), 422, field=field)
    # Nothing half-written: the same e-mail and NIK are still free.
    assert send(draft, "register", body=good).status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "WARGA.BARU@example.id", "nik": "3273015506900008"}, "email"),
        ({"email": "lain@example.id"}, "nik"),
    ],
)
def test_duplicate_registration_is_409(draft, changes, field):
    good = valid_body(draft, "register")
    assert send(draft, "register", body=good).status_code == 201
    with draft.nothing_changes():
        assert_problem(send(draft, "register", body={**good, **changes}), 409, field=field)


# --- the token endpoint (RFC 6749 section 5.2 errors) -------------------------------------------


def token(client, form: dict | None = None, *, lang: str | None = None, **kwargs):
    headers = {"Accept-Language": lang} if lang else {}
    return client.post("/oauth/token", data=form, headers=headers, **kwargs)


def assert_oauth_error(response, error: str | set[str], status: int = 400) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] in ({error} if isinstance(error, str) else error), body
    assert body["error_description"]
    assert "access_token" not in body
    return body


TOKEN_REFUSALS = {
    # A grant OAuth defines that Loket does not offer (authorization_code it now does).
    "other-grant": (
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x"},
        "unsupported_grant_type",
    ),
    "unknown-grant": ({"grant_type": "magic"}, "unsupported_grant_type"),
    "nul-grant": ({"grant_type": f"password{NUL}"}, "invalid_request"),
    # RFC 6749 5.2: a missing parameter is invalid_request, whichever parameter it is.
    "no-fields": ({}, "invalid_request"),
    "no-grant-type": (
        {"username": "warga@example.id", "password": "kata-sandi"},
        "invalid_request",
    ),
    "no-credentials": ({"grant_type": "password"}, "invalid_request"),
    "no-password": ({"grant_type": "password", "username": "warga@example.id"}, "invalid_request"),
    "no-username": ({"grant_type": "password", "password": "kata-sandi-uji"}, "invalid_request"),
    "no-refresh-token": ({"grant_type": "refresh_token"}, "invalid_request"),
    "bad-refresh-token": (
        {"grant_type": "refresh_token", "refresh_token": "not-a-token"},
        "invalid_grant",
    ),
    "other-client": (
        {"grant_type": "password", "username": "a@b.id", "password": "x", "client_id": "evil"},
        "invalid_client",
    ),
}


@pytest.mark.parametrize("case", TOKEN_REFUSALS)
def test_token_request_refusals(client, world, case):
    form, error = TOKEN_REFUSALS[case]
    status = 401 if error == "invalid_client" else 400
    assert_oauth_error(token(client, form), error, status)


def test_token_request_as_json_is_refused(client, world):
    response = client.post(
        "/oauth/token",
        json={"grant_type": "password", "username": "a@b.id", "password": "kata-sandi-uji"},
    )
    assert_oauth_error(response, "invalid_request")


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (f"warga{NUL}@example.id", "kata-sandi-uji-coba"),
        ("warga@example.id", f"kata-sandi{NUL}"),
        ("a" * 5000 + "@example.id", "kata-sandi-uji-coba"),
        ("warga@example.id", "p" * 5000),
    ],
    ids=["nul-username", "nul-password", "oversize-username", "oversize-password"],
)
def test_odd_credentials_are_an_oauth_error_not_a_problem(client, world, username, password):
    response = token(client, {"grant_type": "password", "username": username, "password": password})
    assert_oauth_error(response, {"invalid_request", "invalid_grant"})


def test_wrong_password_and_unknown_email_get_the_same_answer(client, world):
    citizen = world.user("citizen")
    wrong = token(
        client,
        {"grant_type": "password", "username": citizen.email, "password": PASSWORD + "-salah"},
    )
    unknown = token(
        client, {"grant_type": "password", "username": "nobody@example.id", "password": PASSWORD}
    )
    assert_oauth_error(wrong, "invalid_grant")
    assert wrong.json() == unknown.json()
    assert wrong.status_code == unknown.status_code
    right = token(
        client, {"grant_type": "password", "username": citizen.email, "password": PASSWORD}
    )
    assert right.status_code == 200, right.text


# --- language -----------------------------------------------------------------------------------


def anonymous_read(draft: Draft, lang_headers: dict):
    return draft.client.get(draft.base, headers=lang_headers)


def unknown_service(draft: Draft, lang_headers: dict):
    return draft.client.post(
        "/api/v1/applications",
        json={"service_code": "NOPE", "data": {}},
        headers={**without_language(draft.headers), **lang_headers},
    )


def version_zero(draft: Draft, lang_headers: dict):
    return draft.client.patch(
        draft.base,
        json={"data": {}, "version": 0},
        headers={**without_language(draft.headers), **lang_headers},
    )


def over_cap(draft: Draft, lang_headers: dict):
    cap = draft.world.runtime.settings.max_upload_bytes + BODY_MARGIN_BYTES
    return draft.client.post(
        "/api/v1/applications",
        content=b"0" * (cap + 1),
        headers={
            **without_language(draft.headers),
            **lang_headers,
            "Content-Type": "application/json",
        },
    )


LANGUAGE_CASES = {
    # request: (Indonesian title, English title, Indonesian/English text somewhere in the body)
    "401": (anonymous_read, "Perlu masuk terlebih dahulu", "Authentication required"),
    "domain-422": (
        unknown_service,
        "Layanan tidak ditemukan atau tidak aktif",
        "Unknown or inactive service",
    ),
    "pydantic-422": (version_zero, "Terlalu kecil", "greater than or equal to 1"),
    "413": (over_cap, "Berkas atau permintaan terlalu besar", "File or request too large"),
}


@pytest.mark.parametrize("case", LANGUAGE_CASES)
@pytest.mark.parametrize("lang", [None, "en", "en-US,en;q=0.9", "id", "fr, en;q=0.5", "de"])
def test_messages_are_indonesian_unless_english_is_asked_for(draft, case, lang):
    request, indonesian, english = LANGUAGE_CASES[case]
    english_wanted = lang is not None and "en" in lang
    response = request(draft, {"Accept-Language": lang} if lang else {})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    text = response.content.decode()
    assert (english if english_wanted else indonesian) in text
    assert (indonesian if english_wanted else english) not in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [(None, "E-mail atau kata sandi salah"), ("en", "Wrong e-mail or password")],
)
def test_token_errors_follow_the_language_too(client, world, lang, expected):
    response = token(
        client,
        {"grant_type": "password", "username": "nobody@example.id", "password": "kata-sandi-uji"},
        lang=lang,
    )
    assert assert_oauth_error(response, "invalid_grant")["error_description"] == expected
