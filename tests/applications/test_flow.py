"""End to end through the JSON API: create, upload, submit, review, revise, approve."""

from __future__ import annotations


def test_single_approval_journey(world):
    citizen = world.user("citizen")
    officer = world.user("officer")
    application = world.create(citizen)
    assert application["state"] == "draft"
    assert application["reference"].startswith("SIMPLE-")
    assert application["reference"].endswith("-000001")

    # Submitting without the mandatory document is refused with the field named.
    refused = world.act(citizen, application, "submit")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["documents.ktp"]

    assert world.upload(citizen, application).status_code == 201
    submitted = world.act(citizen, application, "submit").json()
    assert submitted["state"] == "submitted"
    assert submitted["sla"]["due_at"] is not None

    reviewed = world.act(officer, application, "start_review").json()
    assert reviewed["state"] == "in_review"
    assert reviewed["assigned_to_id"] == str(officer.id)
    revision = world.act(officer, application, "request_revision", comment="Foto buram").json()
    assert revision["state"] == "revision_requested"
    assert revision["sla"]["paused"] is True
    resubmitted = world.act(citizen, application, "resubmit").json()
    assert resubmitted["state"] == "submitted"
    world.act(officer, application, "start_review")
    approved = world.act(officer, application, "approve").json()
    assert approved["state"] == "approved"
    assert approved["decided_at"] is not None
    assert approved["certificate_number"].startswith("DINASA/SIMPLE/")

    events = world.client.get(
        f"/api/v1/applications/{application['id']}/events", headers=world.headers(citizen)
    ).json()["items"]
    assert [e["action"] for e in events] == [
        "application.created",
        "document.uploaded",
        "application.submitted",
        "application.review_started",
        "application.revision_requested",
        "application.resubmitted",
        "application.review_started",
        "application.approved",
        "certificate.issued",
    ]
    assert [e["seq"] for e in events] == list(range(1, 10))


def test_two_level_needs_a_different_approver(world):
    citizen = world.user("citizen")
    both = world.user("officer", officer_roles=("verifier", "approver"))
    approver = world.user("officer", officer_roles=("approver",))
    verifier_only = world.user("officer", officer_roles=("verifier",))
    application = world.submitted(citizen, "TWO")

    assert world.act(approver, application, "start_verification").status_code == 403
    assert world.act(both, application, "start_verification").status_code == 200
    verified = world.act(both, application, "verify").json()
    assert verified["state"] == "verified" and verified["assigned_to_id"] is None

    actions = world.client.get(
        f"/api/v1/applications/{application['id']}/actions", headers=world.headers(both)
    ).json()
    assert "approve" not in [a["action"] for a in actions["items"]]
    refused = world.act(both, application, "approve")
    assert refused.status_code == 403
    assert world.act(verifier_only, application, "approve").status_code == 403
    approved = world.act(approver, application, "approve")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"


def test_actions_list_what_this_caller_may_do_now(world):
    citizen, officer = world.user("citizen"), world.user("officer")
    application = world.submitted(citizen)

    def actions(user):
        response = world.client.get(
            f"/api/v1/applications/{application['id']}/actions", headers=world.headers(user)
        )
        return sorted(a["action"] for a in response.json()["items"])

    assert actions(citizen) == ["withdraw"]
    assert actions(officer) == ["claim", "start_review"]
