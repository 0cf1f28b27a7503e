"""Irreversible officer and admin steps ask first, on a page of their own that needs no script:
the first post shows what will happen and changes nothing; the page's "Ya, ..." button acts."""

from __future__ import annotations

import pytest

from tests.web.pages import post_form, sign_in, soup


def form_fields(form) -> dict:
    return {field["name"]: field.get("value", "") for field in form.find_all("input")}


def confirm_form(answer):
    """The confirm page's form, after checking it is one (status, question, back link)."""
    assert answer.status_code == 200
    page = soup(answer)
    assert page.find(attrs={"data-testid": "confirm"}) is not None, "not a confirm page"
    form = page.find("form", attrs={"data-busy": True})
    assert form.find("input", attrs={"name": "confirm"})["value"] == "yes"
    assert form.find("input", attrs={"name": "csrf_token"})["value"]
    return form


def test_an_approval_is_confirmed_first(client, world):
    citizen, approver = world.user("citizen"), world.user("officer", name="Pejabat Budi")
    application = world.in_state("in_review", citizen=citizen, officer=approver)
    sign_in(client, approver.email)
    review = soup(client.get(f"/officer/applications/{application['id']}"))
    approve = review.find("form", attrs={"data-action": "approve"})
    assert approve.has_attr("data-busy")  # the script shows it is working

    asked = client.post(approve["action"], data=form_fields(approve), follow_redirects=False)
    form = confirm_form(asked)
    page = soup(asked)
    assert page.find("h1").get_text(strip=True) == "Setujui permohonan ini?"
    assert "tidak dapat dibatalkan" in page.find(attrs={"data-testid": "consequence"}).get_text()
    assert application["reference"] in page.get_text()
    back = page.find("a", string="Tidak, kembali")
    assert back["href"] == f"/officer/applications/{application['id']}"
    assert world.get(application["id"], approver)["state"] == "in_review"  # nothing changed

    button = form.find("button").get_text(strip=True)
    assert button == "Ya, setujui"
    done = client.post(form["action"], data=form_fields(form), follow_redirects=False)
    assert done.status_code == 303
    assert world.get(application["id"], approver)["state"] == "approved"


@pytest.mark.parametrize("action", ["reject", "revoke"])
def test_a_rejection_or_revocation_shows_the_reason_and_waits_for_yes(client, world, action):
    citizen, officer = world.user("citizen"), world.user("officer")
    state = "approved" if action == "revoke" else "in_review"
    application = world.in_state(state, citizen=citizen, officer=officer)
    sign_in(client, officer.email)
    review = soup(client.get(f"/officer/applications/{application['id']}"))
    chosen = review.find("form", attrs={"data-action": action})
    reason = "Dokumen NIB\r\ntidak sah"
    asked = client.post(chosen["action"], data=form_fields(chosen) | {"comment": reason})
    form = confirm_form(asked)
    quoted = soup(asked).find(attrs={"data-testid": "quoted"}).get_text()
    assert quoted == "Dokumen NIB\ntidak sah"
    assert world.get(application["id"], officer)["state"] == state

    done = client.post(form["action"], data=form_fields(form), follow_redirects=False)
    assert done.status_code == 303
    after = world.get(application["id"], officer)
    assert after["state"] == ("revoked" if action == "revoke" else "rejected")
    timeline = soup(client.get(done.headers["location"])).select_one(".timeline").get_text()
    assert "Dokumen NIB\ntidak sah" in timeline  # the reason carried through the confirm page


def test_a_step_that_cannot_run_is_refused_without_asking(client, world):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.in_state("in_review", citizen=citizen, officer=officer)
    sign_in(client, officer.email)
    review = soup(client.get(f"/officer/applications/{application['id']}"))
    reject = form_fields(review.find("form", attrs={"data-action": "reject"}))
    empty = client.post(f"/officer/applications/{application['id']}/act", data=reject)
    assert empty.status_code == 422  # no reason: the form again, not a question
    assert soup(empty).find(attrs={"data-testid": "confirm"}) is None
    stale = client.post(
        f"/officer/applications/{application['id']}/act",
        data=reject | {"comment": "Tidak sah", "version": "1"},
    )
    assert stale.status_code == 409


def test_confirm_yes_still_needs_the_csrf_token(client, world):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.in_state("in_review", citizen=citizen, officer=officer)
    sign_in(client, officer.email)
    review = soup(client.get(f"/officer/applications/{application['id']}"))
    fields = form_fields(review.find("form", attrs={"data-action": "approve"}))
    forged = fields | {"confirm": "yes", "csrf_token": "forged"}
    answer = client.post(f"/officer/applications/{application['id']}/act", data=forged)
    assert answer.status_code == 403
    assert world.get(application["id"], officer)["state"] == "in_review"


def test_deactivating_an_officer_is_confirmed_first(world, client):
    admin = world.user("admin")
    officer = world.user("officer", name="Vera Petugas", email="vera@example.id")
    sign_in(client, admin.email)
    path = f"/admin/officers/{officer.id}/active"
    asked = post_form(client, path, {"active": "false"}, csrf_from="/admin/departments/DINASA")
    form = confirm_form(asked)
    page = soup(asked)
    assert "Vera Petugas" in page.get_text() and "keluar dari semua perangkat" in page.get_text()
    assert page.find("a", string="Tidak, kembali")["href"] == "/admin/departments/DINASA"
    row = soup(client.get("/admin/departments/DINASA")).find(
        "tr", attrs={"data-officer": "vera@example.id"}
    )
    assert "disabled" not in row.get("class", [])  # still active

    done = client.post(form["action"], data=form_fields(form), follow_redirects=False)
    assert done.headers["location"] == "/admin/departments/DINASA?done=officer-disabled"
    row = soup(client.get("/admin/departments/DINASA")).find(
        "tr", attrs={"data-officer": "vera@example.id"}
    )
    assert "disabled" in row.get("class", [])
    enabled = post_form(client, path, {"active": "true"}, csrf_from="/admin/departments/DINASA")
    assert enabled.status_code == 303  # giving access back needs no question


def test_stopping_a_service_is_confirmed_first_in_english_too(world, client):
    admin = world.user("admin")
    sign_in(client, admin.email)
    client.get("/lang/en?next=/")
    asked = post_form(
        client, "/admin/services/SIMPLE/active", {"active": "false"}, csrf_from="/admin/services"
    )
    form = confirm_form(asked)
    page = soup(asked)
    assert page.find("h1").get_text(strip=True) == "Stop offering this service?"
    assert page.find("a", string="No, go back")["href"] == "/admin/services/SIMPLE"
    codes = [item["code"] for item in client.get("/api/v1/services").json()["items"]]
    assert "SIMPLE" in codes

    assert form.find("button").get_text(strip=True) == "Yes, stop the service"
    done = client.post(form["action"], data=form_fields(form), follow_redirects=False)
    assert done.headers["location"] == "/admin/services/SIMPLE?done=deactivated"
    codes = [item["code"] for item in client.get("/api/v1/services").json()["items"]]
    assert "SIMPLE" not in codes


def test_an_unknown_officer_or_service_is_a_404_not_a_question(world, client):
    sign_in(client, world.user("admin").email)
    missing = "00000000-0000-0000-0000-000000000000"
    answer = post_form(
        client, f"/admin/officers/{missing}/active", {"active": "false"}, csrf_from="/admin"
    )
    assert answer.status_code == 404
    path = "/admin/services/NOPE/active"
    answer = post_form(client, path, {"active": "false"}, csrf_from="/admin")
    assert answer.status_code == 404
