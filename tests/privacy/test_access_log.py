"""Every read of a resident's personal data by someone else is recorded (who, what, when, for
which case), shows on the resident's own log, and is a leaf of the audit log that verification
checks; the resident's own reads leave nothing."""

from __future__ import annotations

from sqlalchemy import select, update

from app.audit.service import checkpoint, verify_all
from app.models import AuditLeaf, PersonalDataAccess
from tests.oauth.apps import register_app
from tests.oauth.test_clients import bearer, make_client, token_for
from tests.oauth.test_openid_connect import _tokens


def _log(world, citizen, **params) -> dict:
    response = world.client.get(
        "/api/v1/me/data-access", params=params, headers=world.headers(citizen)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_officer_reads_are_recorded_and_the_residents_own_are_not(world):
    citizen, officer = world.user("citizen"), world.user("officer", name="Budi Petugas")
    application = world.submitted(citizen)
    documents = world.client.get(
        f"/api/v1/applications/{application['id']}/documents", headers=world.headers(citizen)
    ).json()["items"]
    world.get(application["id"], citizen)  # the resident's own read
    assert _log(world, citizen) == {"items": [], "next_cursor": None}

    world.get(application["id"], officer)
    download = world.client.get(
        f"/api/v1/applications/{application['id']}/documents/{documents[0]['id']}",
        headers=world.headers(officer),
    )
    assert download.status_code == 200
    items = _log(world, citizen)["items"]
    assert [(i["what"], i["fields"]) for i in items] == [
        ("document", ["ktp"]),
        ("application", sorted(world.default_data("SIMPLE"))),
    ]
    for item in items:
        assert item["accessor"] == {"type": "user", "name": "Budi Petugas", "role": "officer"}
        assert item["case_reference"] == application["reference"]
        assert item["case_id"] == application["id"]


def test_the_officers_review_page_is_a_recorded_read(world):
    from tests.web.pages import sign_in

    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.submitted(citizen)
    sign_in(world.client, officer.email)
    page = world.client.get(f"/officer/applications/{application['id']}")
    assert page.status_code == 200
    world.client.cookies.clear()
    (item,) = _log(world, citizen)["items"]
    assert (item["what"], item["accessor"]["name"]) == ("application", officer.full_name)


def test_a_system_client_and_an_app_reading_userinfo_are_recorded(world):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.submitted(citizen)
    client_id, secret = make_client(world.runtime, "applications:read")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    read = world.client.get(f"/api/v1/applications/{application['id']}", headers=bearer(token))
    assert read.status_code == 200, read.text

    app = register_app(
        world.runtime, name="JAKI Contoh", scopes=("openid", "nik", "profile"), nik_approved=True
    )
    tokens = _tokens(world, app, citizen, scope="openid nik profile")
    info = world.client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200
    items = _log(world, citizen)["items"]
    assert [(i["accessor"]["type"], i["what"]) for i in items] == [
        ("app", "userinfo"),
        ("client", "application"),
    ]
    assert items[0]["accessor"]["name"] == "JAKI Contoh"
    assert items[0]["fields"] == ["name", "nik"] and items[0]["case_id"] is None
    assert officer  # the officer read nothing


def test_the_log_is_paged_and_a_bad_cursor_is_refused(world):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.submitted(citizen)
    for _ in range(5):
        world.get(application["id"], officer)
    first = _log(world, citizen, limit=2)
    second = _log(world, citizen, limit=2, cursor=first["next_cursor"])
    third = _log(world, citizen, limit=2, cursor=second["next_cursor"])
    assert [len(p["items"]) for p in (first, second, third)] == [2, 2, 1]
    assert third["next_cursor"] is None
    bad = world.client.get(
        "/api/v1/me/data-access", params={"cursor": "x'--"}, headers=world.headers(citizen)
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    client_id, secret = make_client(world.runtime, "applications:read")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    assert world.client.get("/api/v1/me/data-access", headers=bearer(token)).status_code == 403


def test_reads_are_leaves_of_the_audit_log_and_an_edit_is_found(world, db):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.submitted(citizen)
    world.get(application["id"], officer)
    settings = world.runtime.settings
    with db() as session:
        checkpoint(session, settings=settings)
    with db() as session:
        access = session.execute(select(PersonalDataAccess)).scalar_one()
        leaf = session.execute(
            select(AuditLeaf).where(AuditLeaf.access_id == access.id)
        ).scalar_one()
        assert leaf.event_id is None and leaf.case_id is None
        assert citizen.nik not in leaf.leaf_hash
        assert verify_all(session, settings=settings).findings == []
    with db() as session:  # an officer's trace rewritten, its hash recomputed too
        session.execute(
            update(PersonalDataAccess)
            .where(PersonalDataAccess.id == access.id)
            .values(accessor_name="Orang Lain", hash="0" * 64)
        )
    with db() as session:
        kinds = {f.kind for f in verify_all(session, settings=settings).findings}
    assert kinds == {"access_changed_after_logging"}
    with db() as session:
        session.execute(
            PersonalDataAccess.__table__.delete().where(PersonalDataAccess.id == access.id)
        )
    with db() as session:
        kinds = {f.kind for f in verify_all(session, settings=settings).findings}
    assert kinds == {"access_deleted"}
