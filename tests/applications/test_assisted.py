"""Assisted digital: an officer at the counter applies on behalf of a walk-in resident."""

from __future__ import annotations


def test_officer_applies_on_behalf_of_a_resident(world):
    officer = world.user("officer", department="DINASB")
    resident = world.user("citizen", name="Pak Slamet")
    application = world.create(
        officer, "OTHER", data={"business_name": "Bengkel Slamet"}, applicant_email=resident.email
    )
    assert application["applicant"]["id"] == str(resident.id)
    assert application["submitted_by_id"] == str(officer.id)
    submitted = world.act(officer, application, "submit")
    assert submitted.status_code == 200, submitted.text

    # The resident sees it as their own, and the timeline says who keyed it in.
    mine = world.client.get("/api/v1/applications", headers=world.headers(resident)).json()
    assert [item["id"] for item in mine["items"]] == [application["id"]]
    events = world.client.get(
        f"/api/v1/applications/{application['id']}/events", headers=world.headers(resident)
    ).json()["items"]
    assert events[0]["actor_id"] == str(officer.id)
    assert events[0]["details"] == {"on_behalf_of": str(resident.id)}


def test_only_officers_apply_on_behalf_and_only_for_residents(world):
    citizen, other = world.user("citizen"), world.user("citizen")
    officer = world.user("officer")
    body = {"service_code": "SIMPLE", "data": {}, "applicant_email": other.email}
    as_citizen = world.client.post(
        "/api/v1/applications", json=body, headers=world.headers(citizen)
    )
    assert as_citizen.status_code == 422
    assert as_citizen.json()["errors"][0]["field"] == "applicant_email"
    body["applicant_email"] = officer.email
    for_officer = world.client.post(
        "/api/v1/applications", json=body, headers=world.headers(officer)
    )
    assert for_officer.status_code == 422
    without_applicant = world.client.post(
        "/api/v1/applications",
        json={"service_code": "SIMPLE", "data": {}},
        headers=world.headers(officer),
    )
    assert without_applicant.status_code == 422
