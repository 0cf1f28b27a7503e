"""The officer queue and the citizen's list: filters, search, keyset pagination, overdue."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from app.models import Case


def _list(world, user, **params):
    response = world.client.get("/api/v1/applications", params=params, headers=world.headers(user))
    assert response.status_code == 200, response.text
    return response.json()


def _references(page):
    return [item["reference"] for item in page["items"]]


def test_filters_by_state_service_assignment_and_search(world):
    officer = world.user("officer")
    ani = world.user("citizen", name="Ani Wijaya")
    budi = world.user("citizen", name="Budi Santoso")
    draft = world.create(ani)
    submitted = world.submitted(ani)
    reviewing = world.in_state("in_review", citizen=budi, officer=officer)

    # Drafts are the citizen's own until submitted: not in the officer's queue.
    assert set(_references(_list(world, officer))) == {
        submitted["reference"],
        reviewing["reference"],
    }
    assert _references(_list(world, officer, state="submitted")) == [submitted["reference"]]
    both = _list(world, officer, state="submitted,in_review")
    assert set(_references(both)) == {submitted["reference"], reviewing["reference"]}
    assert _references(_list(world, officer, assigned="me")) == [reviewing["reference"]]
    assert reviewing["reference"] not in _references(_list(world, officer, assigned="unassigned"))
    assert _references(_list(world, officer, service="TWO")) == []
    assert _references(_list(world, officer, q="wijaya")) == [submitted["reference"]]
    assert _references(_list(world, officer, q=reviewing["reference"].lower())) == [
        reviewing["reference"]
    ]
    # A LIKE wildcard in the search is taken literally.
    assert _references(_list(world, officer, q="%")) == []
    # The citizen sees only their own.
    assert set(_references(_list(world, ani))) == {draft["reference"], submitted["reference"]}


def test_keyset_pagination_walks_every_item_once_newest_first(world):
    citizen = world.user("citizen")
    created = [world.create(citizen)["reference"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        page = _list(world, citizen, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += _references(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))


def test_overdue_filter_and_sla_fields(world, db):
    officer = world.user("officer")
    citizen = world.user("citizen")
    late = world.submitted(citizen)
    on_time = world.submitted(citizen)
    paused = world.in_state("revision_requested", citizen=citizen, officer=officer)
    last_week = date.today() - timedelta(days=10)
    with db() as session:
        for item in (late, paused):
            row = session.get(Case, uuid.UUID(item["id"]))
            row.due_at = last_week
            session.add(row)
    overdue = _list(world, officer, overdue="true")
    assert _references(overdue) == [late["reference"]]
    item = overdue["items"][0]
    assert item["sla"]["overdue"] is True and item["sla"]["working_days_left"] < 0
    fresh = world.get(on_time["id"], officer)["sla"]
    assert fresh["overdue"] is False and fresh["working_days_left"] >= 1
    # While the citizen holds the file the clock is paused, so it is not overdue.
    held = world.get(paused["id"], officer)["sla"]
    assert held["paused"] is True and held["overdue"] is False
