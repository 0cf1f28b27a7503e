"""Who may do what with an application, over every application endpoint.

The rule (design section 6): a citizen sees only their own applications, an officer only their
department's; anything else answers 404, never 403 and never the data. No token is 401. A token
that lacks the scope is 403. Refused writes change nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from sqlmodel import select

from app.models import Application, User
from app.oauth.service import FIRST_PARTY_CLIENT, USER_SCOPES
from app.oauth.tokens import TokenService
from tests.factories import World, pdf_bytes

PROBLEM_JSON = "application/problem+json"
BUSINESS_NAME = "Warung Rahasia Ibu Ani"

# --- the actors and the application they look at ----------------------------------------------

OWNER, OTHER_CITIZEN, OFFICER = "owner", "citizen_b", "officer"
OTHER_OFFICER, ADMIN, ANONYMOUS = "other_dept_officer", "admin", "anonymous"
OUTSIDERS = (OTHER_CITIZEN, OTHER_OFFICER, ADMIN)


@dataclass
class Scene:
    """Citizen A's draft (with an uploaded KTP) and everyone who might ask about it."""

    world: World
    users: dict[str, User | None]
    application: dict
    document: dict

    @property
    def owner(self) -> User:
        return self.users[OWNER]

    @property
    def base(self) -> str:
        return f"/api/v1/applications/{self.application['id']}"

    def headers(self, actor: str, scopes=USER_SCOPES) -> dict[str, str]:
        user = self.users[actor]
        return {"Accept-Language": "en"} if user is None else self.world.headers(user, scopes)

    def snapshot(self) -> dict:
        """What the owner sees of the application: to prove a refused write changed nothing."""
        client, headers = self.world.client, self.headers(OWNER)
        current = client.get(self.base, headers=headers).json()
        events = client.get(f"{self.base}/events", headers=headers).json()["items"]
        documents = client.get(f"{self.base}/documents", headers=headers).json()["items"]
        return {
            "version": current["version"],
            "state": current["state"],
            "data": current["data"],
            "events": [e["hash"] for e in events],
            "documents": sorted((d["id"], d["is_current"]) for d in documents),
        }


@pytest.fixture
def scene(world) -> Scene:
    users: dict[str, User | None] = {
        OWNER: world.user("citizen", name="Ani Pemilik"),
        OTHER_CITIZEN: world.user("citizen"),
        OFFICER: world.user("officer", department="DINASA"),
        OTHER_OFFICER: world.user("officer", department="DINASB"),
        ADMIN: world.user("admin"),
        ANONYMOUS: None,
    }
    application = world.create(users[OWNER], data={"business_name": BUSINESS_NAME, "employees": 3})
    uploaded = world.upload(users[OWNER], application)
    assert uploaded.status_code == 201, uploaded.text
    return Scene(world, users, application, uploaded.json())


# --- the endpoints, as a table ------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    suffix: str  # after /api/v1/applications/{id}
    write: bool = False

    def call(self, scene: Scene, headers: dict[str, str]):
        url = scene.base + self.suffix.format(document_id=scene.document["id"])
        return scene.world.client.request(self.method, url, headers=headers, **self.body(scene))

    def body(self, scene: Scene) -> dict:
        version = scene.application["version"]
        if self.method == "PATCH":
            return {"json": {"data": {"employees": 7}, "version": version}}
        if self.suffix == "/transitions":
            return {"json": {"action": "submit", "version": version}}
        if self.suffix == "/documents" and self.method == "POST":
            return {
                "data": {"requirement": "ktp"},
                "files": {"file": ("ktp-baru.pdf", pdf_bytes("baru"), "application/pdf")},
            }
        return {}


ENDPOINTS = {
    "read": Endpoint("GET", ""),
    "update": Endpoint("PATCH", "", write=True),
    "actions": Endpoint("GET", "/actions"),
    "transition": Endpoint("POST", "/transitions", write=True),
    "events": Endpoint("GET", "/events"),
    "upload": Endpoint("POST", "/documents", write=True),
    "documents": Endpoint("GET", "/documents"),
    "download": Endpoint("GET", "/documents/{document_id}"),
}
WRITES = [name for name, endpoint in ENDPOINTS.items() if endpoint.write]
READS = [name for name, endpoint in ENDPOINTS.items() if not endpoint.write]

# What each actor gets on A's draft. A draft is the citizen's unfinished work: even the
# department's officer does not see it until it is submitted (see the submitted tests below).
ALLOWED = {OWNER: {"update": 200, "transition": 200, "upload": 201}}
EXPECTED = {
    **{(actor, name): ALLOWED[actor].get(name, 200) for actor in ALLOWED for name in ENDPOINTS},
    **{(actor, name): 404 for actor in (*OUTSIDERS, OFFICER) for name in ENDPOINTS},
    **{(ANONYMOUS, name): 401 for name in ENDPOINTS},
}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


def assert_leaks_nothing(scene: Scene, response) -> None:
    for secret in (
        scene.application["reference"],
        BUSINESS_NAME,
        scene.owner.full_name,
        scene.document["sha256"],
    ):
        assert secret not in response.text


# --- the matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "endpoint"),
    sorted(EXPECTED),
    ids=[f"{actor}-{name}" for actor, name in sorted(EXPECTED)],
)
def test_access_matrix(scene, actor, endpoint):
    expected = EXPECTED[actor, endpoint]
    before = scene.snapshot()

    response = ENDPOINTS[endpoint].call(scene, scene.headers(actor))

    assert response.status_code == expected, response.text
    if expected < 400:
        assert_sees_the_application(scene, endpoint, response)
        # The snapshot notices a write, so "unchanged" below means something. Staff opening a
        # citizen's document is a sensitive read: it leaves a trace in the timeline.
        audited = actor == OFFICER and endpoint == "download"
        assert (scene.snapshot() != before) == (ENDPOINTS[endpoint].write or audited)
        if audited:
            assert last_event(scene)["action"] == "document.viewed"
        return
    assert_problem(response, expected)
    assert_leaks_nothing(scene, response)
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert scene.snapshot() == before


def last_event(scene: Scene) -> dict:
    events = scene.world.client.get(f"{scene.base}/events", headers=scene.headers(OWNER))
    return events.json()["items"][-1]


def assert_sees_the_application(scene: Scene, endpoint: str, response) -> None:
    body = response.content if endpoint == "download" else response.json()
    if endpoint == "download":
        assert body.startswith(b"%PDF-")
    elif endpoint in ("read", "update", "transition"):
        assert body["id"] == scene.application["id"]
    elif endpoint == "actions":
        assert body["state"] == "draft"
    elif endpoint == "events":
        assert body["items"][0]["action"] == "application.created"
    elif endpoint == "documents":
        assert scene.document["id"] in [d["id"] for d in body["items"]]
    else:
        assert body["requirement"] == "ktp"


def test_owner_and_officer_are_offered_only_their_own_actions(scene):
    def offered(actor):
        response = scene.world.client.get(f"{scene.base}/actions", headers=scene.headers(actor))
        return {item["action"] for item in response.json()["items"]}

    assert "submit" in offered(OWNER)
    hidden = scene.world.client.get(f"{scene.base}/actions", headers=scene.headers(OFFICER))
    assert hidden.status_code == 404
    assert scene.world.act(scene.owner, scene.application, "submit").status_code == 200
    assert "submit" not in offered(OFFICER)
    assert "start_review" in offered(OFFICER)


# What each actor gets once A has submitted: the department's officer reads everything (a
# document download is recorded), but may not edit the citizen's data or upload in their name
# (404: that part of the file is not theirs) nor take the citizen's `submit` (409: not now).
SUBMITTED_EXPECTED = {
    **{(OFFICER, name): 200 for name in READS},
    (OFFICER, "update"): 404,
    (OFFICER, "upload"): 404,
    (OFFICER, "transition"): 409,
    **{(actor, name): 404 for actor in OUTSIDERS for name in ENDPOINTS},
}


@pytest.mark.parametrize(
    ("actor", "endpoint"),
    sorted(SUBMITTED_EXPECTED),
    ids=[f"{a}-{n}" for a, n in sorted(SUBMITTED_EXPECTED)],
)
def test_access_matrix_once_submitted(scene, actor, endpoint):
    submitted = scene.world.act(scene.owner, scene.application, "submit")
    assert submitted.status_code == 200, submitted.text
    scene.application = submitted.json()
    before = scene.snapshot()
    expected = SUBMITTED_EXPECTED[actor, endpoint]

    response = ENDPOINTS[endpoint].call(scene, scene.headers(actor))

    assert response.status_code == expected, response.text
    if expected < 400:
        assert (scene.snapshot() != before) == (endpoint == "download")
        return
    assert_problem(response, expected)
    if expected == 404:
        assert_leaks_nothing(scene, response)
    assert scene.snapshot() == before


# --- an officer's decisions on a submitted application -------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (OFFICER, 200),
        (OWNER, 403),
        (OTHER_CITIZEN, 404),
        (OTHER_OFFICER, 404),
        (ADMIN, 404),
        (ANONYMOUS, 401),
    ],
)
def test_only_the_departments_officer_may_start_the_review(scene, actor, expected):
    world = scene.world
    submitted = world.act(scene.owner, scene.application, "submit")
    assert submitted.status_code == 200, submitted.text
    before = scene.snapshot()

    response = world.client.post(
        f"{scene.base}/transitions",
        headers=scene.headers(actor),
        json={"action": "start_review", "version": before["version"]},
    )

    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["state"] == "in_review"
    else:
        assert_problem(response, expected)
        assert_leaks_nothing(scene, response)
        assert scene.snapshot() == before


# --- create and list ----------------------------------------------------------------------------


def test_anonymous_create_is_refused_and_stores_nothing(scene, db):
    response = scene.world.client.post(
        "/api/v1/applications",
        headers=scene.headers(ANONYMOUS),
        json={"service_code": "SIMPLE", "data": {}},
    )
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    with db() as session:
        assert len(session.exec(select(Application)).all()) == 1


def test_a_citizen_cannot_apply_in_someone_elses_name(scene):
    response = scene.world.client.post(
        "/api/v1/applications",
        headers=scene.headers(OTHER_CITIZEN),
        json={"service_code": "SIMPLE", "data": {}, "applicant_email": scene.owner.email},
    )
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["applicant_email"]
    mine = scene.world.client.get("/api/v1/applications", headers=scene.headers(OWNER)).json()
    assert [item["id"] for item in mine["items"]] == [scene.application["id"]]


@pytest.fixture
def crowd(scene) -> dict[str, str]:
    """Besides A's draft: B's submitted SIMPLE application and a submitted one in department B."""
    world = scene.world
    citizen_b = scene.users[OTHER_CITIZEN]
    dept_b = world.create(citizen_b, "OTHER", data={"business_name": "Toko Dinas B"})
    assert world.act(citizen_b, dept_b, "submit").status_code == 200
    return {
        "a": scene.application["id"],
        "b": world.submitted(citizen_b)["id"],
        "dept_b": dept_b["id"],
    }


@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        (OWNER, {"a"}),
        (OTHER_CITIZEN, {"b", "dept_b"}),
        (OFFICER, {"b"}),  # A's is still a draft
        (OTHER_OFFICER, {"dept_b"}),
        (ADMIN, set()),
    ],
)
def test_list_shows_only_what_the_caller_may_see(scene, crowd, actor, visible):
    response = scene.world.client.get(
        "/api/v1/applications", headers=scene.headers(actor), params={"limit": 100}
    )
    assert response.status_code == 200, response.text
    ids = {item["id"] for item in response.json()["items"]}
    assert ids == {crowd[name] for name in visible}


@pytest.mark.parametrize("actor", OUTSIDERS)
@pytest.mark.parametrize("search", ["reference", "applicant", "service"])
def test_filters_never_reach_someone_elses_application(scene, crowd, actor, search):
    params = {
        "reference": {"q": scene.application["reference"]},
        "applicant": {"q": scene.owner.full_name},
        "service": {"service": "SIMPLE", "state": "draft"},
    }[search]
    response = scene.world.client.get(
        "/api/v1/applications", headers=scene.headers(actor), params=params
    )
    assert response.status_code == 200, response.text
    assert crowd["a"] not in {item["id"] for item in response.json()["items"]}
    assert_leaks_nothing(scene, response)


def test_anonymous_list_is_401(scene):
    response = scene.world.client.get("/api/v1/applications", headers=scene.headers(ANONYMOUS))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- scopes ---------------------------------------------------------------------------------------

READ_ONLY = USER_SCOPES - {"applications:write"}
WRITE_ONLY = USER_SCOPES - {"applications:read"}


@pytest.mark.parametrize("endpoint", WRITES)
def test_token_without_write_scope_cannot_write(scene, endpoint):
    before = scene.snapshot()
    response = ENDPOINTS[endpoint].call(scene, scene.headers(OWNER, scopes=READ_ONLY))
    assert_problem(response, 403)
    assert "insufficient_scope" in response.headers["www-authenticate"]
    assert scene.snapshot() == before


def test_token_without_write_scope_cannot_create(scene, db):
    response = scene.world.client.post(
        "/api/v1/applications",
        headers=scene.headers(OWNER, scopes=READ_ONLY),
        json={"service_code": "SIMPLE", "data": {}},
    )
    assert_problem(response, 403)
    with db() as session:
        assert len(session.exec(select(Application)).all()) == 1


@pytest.mark.parametrize("endpoint", READS)
def test_token_without_read_scope_cannot_read(scene, endpoint):
    response = ENDPOINTS[endpoint].call(scene, scene.headers(OWNER, scopes=WRITE_ONLY))
    assert_problem(response, 403)
    assert_leaks_nothing(scene, response)


def test_token_without_read_scope_cannot_list(scene):
    response = scene.world.client.get(
        "/api/v1/applications", headers=scene.headers(OWNER, scopes=WRITE_ONLY)
    )
    assert_problem(response, 403)
    assert_leaks_nothing(scene, response)


# --- tokens that are no longer (or never were) good ----------------------------------------------


def deactivate(db, user: User) -> None:
    with db() as session:
        stored = session.get(User, user.id)
        stored.is_active = False
        session.add(stored)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_disabled_user_is_401_with_a_still_valid_token(scene, db, endpoint):
    headers = scene.headers(OWNER)  # issued while the account was active
    before = scene.snapshot()
    deactivate(db, scene.owner)

    response = ENDPOINTS[endpoint].call(scene, headers)

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_leaks_nothing(scene, response)
    with db() as session:
        session.get(User, scene.owner.id).is_active = True
    assert scene.snapshot() == before


def test_disabled_user_cannot_list(scene, db):
    headers = scene.headers(OWNER)
    deactivate(db, scene.owner)
    response = scene.world.client.get("/api/v1/applications", headers=headers)
    assert_problem(response, 401)


def foreign_token(scene: Scene, **changes) -> str:
    """A token signed with our own key but issued for another audience/issuer/time."""
    settings = scene.world.runtime.settings
    options = {
        "issuer": settings.issuer,
        "audience": settings.api_audience,
        "ttl_seconds": 600,
        **changes,
    }
    service = TokenService(scene.world.runtime.keys, cache_size=0, **options)
    token, _ = service.issue_access_token(
        subject=str(scene.owner.id), client_id=FIRST_PARTY_CLIENT, scopes=USER_SCOPES
    )
    return token


BAD_TOKENS = {
    "other-audience": lambda scene: foreign_token(scene, audience="https://other.example/api"),
    "other-issuer": lambda scene: foreign_token(scene, issuer="https://other.example"),
    "expired": lambda scene: foreign_token(scene, clock=lambda: time.time() - 3600),
    "longer-lived-than-we-issue": lambda scene: foreign_token(scene, ttl_seconds=86400),
    "tampered": lambda scene: scene.headers(OWNER)["Authorization"].split()[1][:-4] + "AAAA",
    "garbage": lambda scene: "not-a-token",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
@pytest.mark.parametrize("endpoint", ["read", "update"])
def test_token_not_meant_for_us_is_401(scene, kind, endpoint):
    before = scene.snapshot()
    headers = {"Authorization": f"Bearer {BAD_TOKENS[kind](scene)}", "Accept-Language": "en"}

    response = ENDPOINTS[endpoint].call(scene, headers)

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_leaks_nothing(scene, response)
    assert scene.snapshot() == before


def test_basic_credentials_are_not_a_bearer_token(scene):
    response = scene.world.client.get(scene.base, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
